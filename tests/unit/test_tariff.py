"""Tariff maths, without Odoo."""
from decimal import Decimal as D

import pytest

from odoo.addons.prepaid_electricity.domain import tariff as t
from odoo.addons.prepaid_electricity.domain.money import as_decimal, round_money


def tiered():
    return t.build_tariff('tiered', tiers=[(D('100'), D('0.5')), (D('200'), D('0.6')), (None, D('0.8'))])


def test_flat_cost_worked_example():
    """Manual: 2.0000 per kWh × 61 kWh = 122.00."""
    flat = t.build_tariff('flat', price=D('2.0000'))
    assert round_money(t.cost(flat, D('61')), D('0.01')) == D('122.00')


def test_tier_split_across_boundaries():
    portions = t.split(tiered(), D('250'), period_energy_before=D('50'))
    assert [(p.index, p.energy, p.price) for p in portions] == [
        (1, D('50'), D('0.5')), (2, D('100'), D('0.6')), (3, D('100'), D('0.8'))]
    assert t.cost(tiered(), D('250'), D('50')) == D('25') + D('60') + D('80')


def test_tier_split_inside_one_tier_and_past_all_limits():
    assert [(p.index, p.energy) for p in t.split(tiered(), D('10'), D('120'))] == [(2, D('10'))]
    assert [(p.index, p.energy) for p in t.split(tiered(), D('10'), D('500'))] == [(3, D('10'))]


def test_energy_for_money_buys_whole_steps():
    flat = t.build_tariff('flat', price=D('2.0000'))
    assert t.energy_for_money(flat, D('25.00'), D('1'), D('0.01')) == D('12')
    assert t.energy_for_money(flat, D('1.99'), D('1'), D('0.01')) == D('0')
    assert t.energy_for_money(flat, D('25.00'), D('0.5'), D('0.01')) == D('12.5')


def test_time_of_use_bill():
    tou = t.build_tariff('tou', tou_prices={'sharp': D('1.35'), 'peak': D('1.12'), 'flat': D('0.86'),
                                            'valley': D('0.41')})
    assert t.bill_time_of_use(tou, {'sharp': D('1'), 'peak': D('2'), 'flat': D('3'), 'valley': D('4')}) == \
        D('1.35') + D('2.24') + D('2.58') + D('1.64')
    assert tou.vend_price == D('0.86')
    with pytest.raises(t.TariffError):
        t.bill_time_of_use(tou, {'night': D('1')})


@pytest.mark.parametrize('kwargs', [
    {'kind': 'flat', 'price': D('0')},
    {'kind': 'flat', 'price': D('1.23456')},
    {'kind': 'flat', 'price': D('-1')},
    {'kind': 'tiered', 'tiers': []},
    {'kind': 'tiered', 'tiers': [(D('100'), D('0.5')), (D('50'), D('0.6')), (None, D('0.7'))]},
    {'kind': 'tiered', 'tiers': [(None, D('0.5')), (None, D('0.6'))]},
    {'kind': 'tou', 'tou_prices': {'flat': D('0')}},
    {'kind': 'weird'},
])
def test_invalid_tariffs_refused(kwargs):
    with pytest.raises(t.TariffError):
        t.build_tariff(**kwargs)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        as_decimal(0.1)
    with pytest.raises(TypeError):
        t.build_tariff('flat', price=2.0)

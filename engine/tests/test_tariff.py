"""Tariff and money maths, without Odoo: flat, tiered and time-of-use pricing, rounding."""
from decimal import Decimal as D

import pytest

from engine import money
from engine import tariff as t
from engine.money import as_decimal, round_money


def tiered(period='year'):
    return t.build_tariff('tiered', period=period,
                          tiers=[(D('100'), D('0.5')), (D('200'), D('0.6')), (None, D('0.8'))])


TOU = t.build_tariff('tou', tou_prices={'sharp': D('1.3500'), 'peak': D('1.1200'), 'flat': D('0.8600'),
                                        'valley': D('0.4100')})


# --- money helpers ------------------------------------------------------------------------

def test_floats_and_bools_are_refused():
    for bad in (0.1, 2.0, True):
        with pytest.raises(TypeError):
            as_decimal(bad)
    with pytest.raises(TypeError):
        round_money(1.005)
    with pytest.raises(TypeError):
        as_decimal([1])
    with pytest.raises(TypeError):
        t.build_tariff('flat', price=2.0)
    with pytest.raises(TypeError):
        t.build_tariff('tiered', tiers=[(100.0, D('0.5')), (None, D('0.8'))])


def test_ints_and_strings_are_exact():
    assert as_decimal(3) == D('3')
    assert as_decimal('0.1') + as_decimal('0.2') == D('0.3')
    for bad in ('abc', 'NaN', 'Infinity', ''):
        with pytest.raises(ValueError):
            as_decimal(bad)


def test_round_money_half_up_to_each_precision():
    assert round_money(D('2.645'), D('0.01')) == D('2.65')
    assert round_money(D('2.644999'), D('0.01')) == D('2.64')
    assert round_money(D('52.83'), D('0.1')) == D('52.8')
    assert round_money(D('52.85'), D('0.1')) == D('52.9')
    assert round_money(D('52.5'), D('1')) == D('53')
    assert round_money(D('52.49'), '1') == D('52')


def test_payment_precision_is_compared_by_value():
    """Decimal('1.00') (what a float 1.0 becomes with 2 decimals) means whole yuan."""
    assert money.payment_precision(D('1.00')) == D('1')
    assert round_money(D('52.83'), D('1.00')) == D('53')
    assert round_money(D('52.83'), D('0.10')) == D('52.8')
    for bad in ('0.5', '0.001', '10', 0):
        with pytest.raises(ValueError):
            money.payment_precision(bad)


def test_energy_and_price_helpers():
    assert money.round_energy(D('1.005')) == D('1.01')
    assert money.round_price(D('0.123450')) == D('0.1235')
    assert money.floor_to_step(D('10.7'), D('0.5')) == D('10.5')
    assert money.floor_money(D('1.239'), D('0.01')) == D('1.23')
    assert money.is_multiple(D('10.5'), D('0.5')) and not money.is_multiple(D('10.5'), D('1'))
    assert money.has_places(D('1.10'), D('0.01')) and not money.has_places(D('1.001'), D('0.01'))
    assert (money.energy_text(D('41')), money.money_text(D('122'))) == ('41.00', '122.00')


# --- flat -----------------------------------------------------------------------------------

def test_flat_cost_worked_example():
    """Manual: 2.0000 per kWh × 61 kWh = 122.00."""
    flat = t.build_tariff('flat', price=D('2.0000'))
    assert t.cost(flat, D('61')) == D('122')
    assert t.money_for_energy(flat, D('61')) == D('122.00')
    assert [(p.index, p.energy, p.price, p.amount) for p in t.split(flat, D('61'))] == \
        [(1, D('61'), D('2.0000'), D('122'))]


def test_flat_split_of_nothing_is_empty():
    assert t.split(t.build_tariff('flat', price=D('1')), D('0')) == []


def test_negative_energy_refused():
    with pytest.raises(t.TariffError):
        t.split(tiered(), D('-1'))
    with pytest.raises(t.TariffError):
        t.split(tiered(), D('1'), D('-5'))


# --- tiered --------------------------------------------------------------------------------

def test_tier_split_across_boundaries():
    portions = t.split(tiered(), D('250'), period_energy_before=D('50'))
    assert [(p.index, p.energy, p.price, p.amount) for p in portions] == [
        (1, D('50'), D('0.5'), D('25.0')), (2, D('100'), D('0.6'), D('60.0')), (3, D('100'), D('0.8'), D('80.0'))]
    assert t.cost(tiered(), D('250'), D('50')) == D('165')


def test_tier_split_inside_one_tier_and_past_all_limits():
    assert [(p.index, p.energy) for p in t.split(tiered(), D('10'), D('120'))] == [(2, D('10'))]
    assert [(p.index, p.energy) for p in t.split(tiered(), D('10'), D('500'))] == [(3, D('10'))]


def test_tier_split_ending_exactly_on_a_boundary():
    assert [(p.index, p.energy) for p in t.split(tiered(), D('50'), D('50'))] == [(1, D('50'))]
    assert [(p.index, p.energy) for p in t.split(tiered(), D('50'), D('100'))] == [(2, D('50'))]



def test_monthly_and_yearly_period():
    assert tiered('month').period == 'month'
    assert tiered().period == 'year'
    with pytest.raises(t.TariffError):
        t.build_tariff('flat', price=D('1'), period='week')


def test_last_tier_is_open_ended():
    """build_tariff ignores a limit on the last tier (a form may hold one); the value object
    itself refuses it."""
    built = t.build_tariff('tiered', tiers=[(D('100'), D('0.5')), (D('300'), D('0.8'))])
    assert built.tiers[-1].upto is None
    with pytest.raises(t.TariffError):
        t.Tariff('tiered', tiers=(t.Tier(D('100'), D('0.5')), t.Tier(D('300'), D('0.8'))))


# --- time of use -------------------------------------------------------------------------

def test_time_of_use_card_price_is_flat_unless_told_otherwise():
    assert TOU.vend_price == D('0.8600')
    assert [(p.price, p.amount) for p in t.split(TOU, D('10'))] == [(D('0.8600'), D('8.6'))]
    told = t.build_tariff('tou', tou_prices={'flat': D('0.86'), 'peak': D('1.12')}, card_price=D('0.9'))
    assert told.vend_price == D('0.9')


# --- money <-> energy --------------------------------------------------------------------

def test_energy_for_money_buys_whole_steps():
    flat = t.build_tariff('flat', price=D('2.0000'))
    assert t.energy_for_money(flat, D('25.00'), D('1'), D('0.01')) == D('12')
    assert t.energy_for_money(flat, D('1.99'), D('1'), D('0.01')) == D('0')
    assert t.energy_for_money(flat, D('25.00'), D('0.5'), D('0.01')) == D('12.5')
    assert t.energy_for_money(flat, D('0'), D('1')) == 0


def test_energy_for_money_uses_the_rounding_allowance():
    """1.00 buys 3 kWh at 0.3333: 0.9999 rounds to 1.00."""
    cheap = t.build_tariff('flat', price=D('0.3333'))
    assert t.energy_for_money(cheap, D('1.00'), D('1')) == D('3')
    assert t.money_for_energy(cheap, D('3')) == D('1.00')


def test_energy_for_money_across_tiers():
    # 100 kWh at 0.5 = 50.00, then 30.00 at 0.6 = 50 kWh
    assert t.energy_for_money(tiered(), D('80.00'), D('1')) == D('150')
    # from 100 kWh: 100 kWh at 0.6 = 60.00, then 20.00 at 0.8 = 25 kWh
    assert t.energy_for_money(tiered(), D('80.00'), D('1'), period_energy_before=D('100')) == D('125')


def test_money_and_energy_are_inverses_on_the_worked_example():
    flat = t.build_tariff('flat', price=D('2.0000'))
    assert t.energy_for_money(flat, t.money_for_energy(flat, D('61')), D('1')) == D('61')
    assert t.money_for_energy(flat, t.energy_for_money(flat, D('122.00'), D('1'))) == D('122.00')


def test_energy_for_money_needs_a_price_and_a_step():
    free = t.Tariff('flat', price=D('0'))
    assert not free.has_price
    with pytest.raises(t.TariffError):
        t.energy_for_money(free, D('10'), D('1'))
    with pytest.raises(t.TariffError):
        t.energy_for_money(tiered(), D('10'), D('0'))


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize('kwargs', [
    {'kind': 'flat', 'price': D('0')},
    {'kind': 'flat'},
    {'kind': 'flat', 'price': D('1.23456')},
    {'kind': 'flat', 'price': D('-1')},
    {'kind': 'tiered', 'tiers': []},
    {'kind': 'tiered', 'tiers': [(D('100'), D('0.5')), (D('50'), D('0.6')), (None, D('0.7'))]},
    {'kind': 'tiered', 'tiers': [(D('100'), D('0.5')), (D('100'), D('0.6')), (None, D('0.7'))]},
    {'kind': 'tiered', 'tiers': [(None, D('0.5')), (None, D('0.6'))]},
    {'kind': 'tiered', 'tiers': [(D('0'), D('0.5')), (None, D('0.6'))]},
    {'kind': 'tiered', 'tiers': [(D('10.001'), D('0.5')), (None, D('0.6'))]},
    {'kind': 'tiered', 'tiers': [(D('100'), D('0')), (None, D('0.6'))]},
    {'kind': 'tou', 'tou_prices': {'flat': D('0')}},
    {'kind': 'tou', 'tou_prices': {'flat': D('1'), 'peak': D('-1')}},
    {'kind': 'tou', 'tou_prices': {'flat': D('1'), 'night': D('1')}},
    {'kind': 'tou', 'tou_prices': {'flat': D('1')}, 'card_price': D('0')},
    {'kind': 'weird'},
])
def test_invalid_tariffs_refused(kwargs):
    with pytest.raises(t.TariffError) as info:
        t.build_tariff(**kwargs)
    assert isinstance(info.value, ValueError)
    assert str(info.value) and '%(' not in str(info.value)


def test_tariff_error_carries_template_and_params():
    with pytest.raises(t.TariffError) as info:
        t.build_tariff('tiered', tiers=[(D('100'), D('0.5')), (D('100'), D('0.6')), (None, D('0.7'))])
    assert info.value.message == "Tier limits must increase (tier %(tier)s)."
    assert info.value.params == {'tier': 2}
    assert str(info.value) == "Tier limits must increase (tier 2)."


def test_tariffs_are_frozen():
    with pytest.raises(AttributeError):
        tiered().period = 'month'

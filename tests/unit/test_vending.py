"""The vending rules of DOMAIN.md, every refusal, and the manual's worked examples."""
from decimal import Decimal as D

import pytest

from odoo.addons.prepaid_electricity.domain import tariff as t
from odoo.addons.prepaid_electricity.domain import vending as v

FLAT = t.build_tariff('flat', price=D('2.0000'))
STATION = v.StationRules(preset_energy=D('20'), payment_precision=D('0.01'), energy_step=D('1'))
METER = v.MeterRules()
NEW = v.AccountState(is_first_vend=True)
REGULAR = v.AccountState(is_first_vend=False)


def quote(by='energy', quantity='61', tendered=None, station=STATION, meter=METER, tariff=FLAT, account=NEW):
    return v.quote(v.VendRequest(by, D(quantity), D(tendered) if tendered else None),
                   station, meter, tariff, account)


def refused(code, **kwargs):
    with pytest.raises(v.VendRefused) as info:
        quote(**kwargs)
    assert info.value.code == code
    assert str(info.value)  # a readable message
    return info.value


def test_manual_example_price_times_energy_with_preset():
    """2.0000 × 61 kWh = 122.00; the 20 kWh preset is deducted at the first vend."""
    q = quote()
    assert (q.energy_bought, q.energy_amount, q.amount_due) == (D('61'), D('122.00'), D('122.00'))
    assert (q.preset_deducted, q.energy_net, q.energy_written) == (D('20'), D('41'), D('61'))


def test_preset_only_on_first_vend():
    q = quote(account=REGULAR)
    assert q.preset_deducted == 0 and q.energy_net == D('61')


def test_multiplier_pt30_ct10_is_300():
    assert v.MeterRules(ct_ratio=10, pt_ratio=30).multiplier == 300


def test_primary_side_price_written_is_price_times_multiplier():
    """Manual: primary side 0.5 × 10 = 5."""
    q = quote(tariff=t.build_tariff('flat', price=D('0.5')), account=REGULAR,
              meter=v.MeterRules(ct_ratio=10, side='primary'))
    assert q.price_written == D('5.0000')
    assert q.energy_written == D('61')


def test_secondary_side_energy_written_is_energy_over_multiplier():
    """Manual: secondary side 100 ÷ 10 = 10."""
    q = quote(quantity='100', account=REGULAR, meter=v.MeterRules(ct_ratio=10, side='secondary'))
    assert q.energy_written == D('10.00')
    assert q.price_written == D('2.0000')


def test_payment_precision_rounds_half_up():
    tariff = t.build_tariff('flat', price=D('0.5283'))
    for precision, expected in [('0.01', D('52.83')), ('0.1', D('52.8')), ('1', D('53'))]:
        station = v.StationRules(payment_precision=D(precision))
        assert quote(quantity='100', tariff=tariff, station=station, account=REGULAR).amount_due == expected
    # 0.5283 × 5 = 2.6415 -> 2.64; × 15 = 7.9245 -> 7.92; half up: 0.5 × 0.05 kWh...
    assert quote(quantity='5', tariff=tariff, account=REGULAR).amount_due == D('2.64')


def test_by_money_keeps_the_change_as_balance():
    q = quote(by='money', quantity='25.00', account=REGULAR)
    assert (q.energy_bought, q.energy_amount, q.amount_due, q.balance_after) == (D('12'), D('24.00'), D('25.00'), D('1.00'))


def test_balance_pays_first_when_buying_by_energy():
    q = quote(quantity='10', account=v.AccountState(is_first_vend=False, money_balance=D('1.50')))
    assert (q.energy_amount, q.amount_due, q.balance_after) == (D('20.00'), D('18.50'), D('0.00'))


def test_tendered_and_change():
    q = quote(tendered='150', account=REGULAR)
    assert (q.amount_tendered, q.change) == (D('150'), D('28.00'))


def test_over_zero_deducted_from_next_credit():
    q = quote(quantity='30', account=v.AccountState(is_first_vend=False, over_zero_energy=D('3.5')))
    assert (q.over_zero_deducted, q.energy_net) == (D('3.5'), D('26.5'))


def test_tiered_quote_splits():
    tiered = t.build_tariff('tiered', tiers=[(D('100'), D('0.5')), (None, D('0.8'))])
    q = quote(quantity='50', tariff=tiered, account=v.AccountState(is_first_vend=False, period_energy=D('80')))
    assert [(p.energy, p.price) for p in q.tiers] == [(D('20'), D('0.5')), (D('30'), D('0.8'))]
    assert q.amount_due == D('34.00')
    assert q.unit_price == D('0.6800')


# --- every refusal -----------------------------------------------------------------------

def test_refused_while_card_credit_valid():
    refused('credit_still_valid', account=v.AccountState(is_card_credit_valid=True))


def test_refused_for_deactivated_and_closed():
    refused('account_deactivated', account=v.AccountState(state='deactivated'))
    refused('account_closed', account=v.AccountState(state='closed'))


def test_refused_above_hoarding_limit():
    meter = v.MeterRules(hoarding_limit=D('100'))
    refused('hoarding_exceeded', quantity='70', meter=meter,
            account=v.AccountState(is_first_vend=False, remaining_energy=D('31')))
    assert quote(quantity='69', meter=meter,
                 account=v.AccountState(is_first_vend=False, remaining_energy=D('31'))).energy_net == D('69')


def test_refused_first_vend_below_preset():
    refused('below_preset', quantity='19')


def test_refused_below_over_zero():
    refused('below_over_zero', quantity='3', account=v.AccountState(is_first_vend=False, over_zero_energy=D('5')))


def test_refused_not_positive_and_not_step():
    refused('not_positive', quantity='0')
    refused('not_positive', quantity='-5')
    refused('not_step_multiple', quantity='10.5', account=REGULAR)


def test_refused_tendered_insufficient():
    refused('tendered_insufficient', tendered='100', account=REGULAR)


def test_refused_money_too_small_or_too_precise():
    refused('money_too_small', by='money', quantity='1.99', account=REGULAR)
    refused('money_precision', by='money', quantity='10.005', account=REGULAR)


def test_refused_bad_method():
    refused('bad_method', by='kisses')

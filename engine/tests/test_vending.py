"""The vending rules of DOMAIN.md, the manual's worked examples, and every refusal."""
import dataclasses
from decimal import Decimal as D

import pytest

from engine import tariff as t
from engine import vending as v

FLAT = t.build_tariff('flat', price=D('2.0000'))
TIERED = t.build_tariff('tiered', tiers=[(D('100'), D('0.5')), (None, D('0.8'))])
STATION = v.StationRules(preset_energy=D('20'), payment_precision=D('0.01'), energy_step=D('1'))
METER = v.MeterRules()
NEW = v.AccountState(is_first_vend=True)
REGULAR = v.AccountState(is_first_vend=False)


def quote(by='energy', quantity='61', tendered=None, station=STATION, meter=METER, tariff=FLAT, account=NEW,
          **flags):
    return v.quote(v.VendRequest(by, D(quantity), D(tendered) if tendered is not None else None, **flags),
                   station, meter, tariff, account)


def refused(code, **kwargs):
    with pytest.raises(v.VendRefused) as info:
        quote(**kwargs)
    refusal = info.value
    assert refusal.code == code
    text = str(refusal)
    assert text and '%(' not in text                      # every parameter was given
    assert text == (refusal.message % refusal.params if refusal.params else refusal.message)
    assert all(isinstance(value, str) for value in refusal.params.values())
    return refusal


# --- the manual's worked examples ----------------------------------------------------------

def test_manual_example_price_times_energy():
    """2.0000 per kWh × 61 kWh = 122.00 (second vend screen: 写卡电量 61, 购电金额 122)."""
    q = quote(account=REGULAR)
    assert (q.energy_bought, q.energy_written, q.energy_net) == (D('61'), D('61'), D('61'))
    assert (q.energy_amount, q.amount_due, q.amount_tendered, q.change) == \
        (D('122.00'), D('122.00'), D('122.00'), D('0.00'))
    assert (q.balance_before, q.balance_after) == (0, 0)
    assert [(p.index, p.energy, p.price, p.amount) for p in q.tiers] == [(1, D('61'), D('2.0000'), D('122'))]


def test_manual_example_preset_deducted_at_first_vend():
    """The 20 kWh preset is deducted at the first vend only: 61 written, 41 credited."""
    q = quote()
    assert q.is_first_vend
    assert (q.energy_bought, q.energy_amount, q.amount_due) == (D('61'), D('122.00'), D('122.00'))
    assert (q.preset_deducted, q.energy_net, q.energy_written) == (D('20'), D('41'), D('61'))
    again = quote(account=REGULAR)
    assert (again.preset_deducted, again.energy_net) == (0, D('61'))


def test_manual_example_multiplier_pt30_ct10_is_300():
    assert v.MeterRules(ct_ratio=10, pt_ratio=30).multiplier == 300
    assert v.MeterRules().multiplier == 1


def test_manual_example_primary_side_price_written():
    """Primary side: price 0.5, CT 100/10 (10), PT 1: the price written is 0.5 × 10 = 5;
    the energy written is unchanged."""
    q = quote(tariff=t.build_tariff('flat', price=D('0.5')), account=REGULAR,
              meter=v.MeterRules(ct_ratio=10, pt_ratio=1, side='primary'))
    assert q.multiplier == 10
    assert q.price_written == D('5.0000')
    assert (q.energy_written, q.energy_net, q.energy_amount) == (D('61'), D('61'), D('30.50'))


def test_manual_example_secondary_side_credit_written():
    """Secondary side: 100 with a multiplier of 10 writes 100 ÷ 10 = 10; price unchanged."""
    q = quote(quantity='100', account=REGULAR, meter=v.MeterRules(ct_ratio=10, side='secondary'))
    assert q.energy_written == D('10.00')
    assert q.price_written == D('2.0000')
    assert q.energy_bought == D('100') and q.energy_amount == D('200.00')
    assert (q.energy_net, q.energy_net_billing) == (D('10.00'), D('100.00'))


# --- rounding and precision ---------------------------------------------------------------

def test_payment_precision_rounds_half_up():
    tariff = t.build_tariff('flat', price=D('0.5283'))
    for precision, expected in [('0.01', D('52.83')), ('0.1', D('52.8')), ('1', D('53'))]:
        station = v.StationRules(payment_precision=D(precision))
        assert quote(quantity='100', tariff=tariff, station=station, account=REGULAR).amount_due == expected
    # 0.5283 × 5 = 2.6415 -> 2.64; 0.5 × 0.05... half up: 0.5283 × 15 = 7.9245 -> 7.92
    assert quote(quantity='5', tariff=tariff, account=REGULAR).amount_due == D('2.64')
    half = t.build_tariff('flat', price=D('0.1250'))
    assert quote(quantity='1', tariff=half, account=REGULAR,
                 station=v.StationRules(payment_precision=D('0.1'))).amount_due == D('0.1')   # 0.125 -> 0.1
    assert quote(quantity='3', tariff=half, account=REGULAR,
                 station=v.StationRules(payment_precision=D('0.01'))).amount_due == D('0.38')  # 0.375 -> 0.38


def test_whole_yuan_precision_given_as_1_00():
    """The Odoo layer hands Decimal('1.00') for 'yuan': it must round to whole yuan."""
    station = v.StationRules(payment_precision=D('1.00'))
    assert station.payment_precision == D('1') and station.payment_precision.as_tuple().exponent == 0
    q = quote(quantity='100', tariff=t.build_tariff('flat', price=D('0.5283')), station=station, account=REGULAR)
    assert q.amount_due == D('53')
    refused('money_precision', by='money', quantity='10.50', station=station, account=REGULAR)


def test_energy_step():
    station = v.StationRules(energy_step=D('0.5'))
    assert quote(quantity='10.5', station=station, account=REGULAR).energy_bought == D('10.5')
    refused('not_step_multiple', quantity='10.25', station=station, account=REGULAR)
    by_money = quote(by='money', quantity='25.00', station=station, account=REGULAR)
    assert (by_money.energy_bought, by_money.balance_after) == (D('12.5'), D('0.00'))


# --- balance ---------------------------------------------------------------------------------

def test_by_money_keeps_what_does_not_buy_a_step_as_balance():
    q = quote(by='money', quantity='25.00', account=REGULAR)
    assert (q.energy_bought, q.energy_amount, q.amount_due, q.balance_after) == \
        (D('12'), D('24.00'), D('25.00'), D('1.00'))
    assert q.balance_used == 0


def test_by_money_adds_the_carried_balance():
    """3.00 paid + 1.00 carried buys 2 kWh exactly."""
    q = quote(by='money', quantity='3.00', account=dataclasses.replace(REGULAR, money_balance=D('1.00')))
    assert (q.energy_bought, q.energy_amount, q.amount_due) == (D('2'), D('4.00'), D('3.00'))
    assert (q.balance_before, q.balance_used, q.balance_after) == (D('1.00'), D('1.00'), D('0.00'))


def test_balance_pays_first_when_buying_by_energy():
    q = quote(quantity='10', account=v.AccountState(is_first_vend=False, money_balance=D('1.50')))
    assert (q.energy_amount, q.balance_used, q.amount_due, q.balance_after) == \
        (D('20.00'), D('1.50'), D('18.50'), D('0.00'))


def test_balance_larger_than_the_cost_is_carried():
    q = quote(quantity='2', account=v.AccountState(is_first_vend=False, money_balance=D('5.00')))
    assert (q.energy_amount, q.amount_due, q.balance_used, q.balance_after) == \
        (D('4.00'), D('0.00'), D('4.00'), D('1.00'))


def test_balance_below_the_precision_stays_carried():
    """A balance of 0.37 at a whole-yuan station pays nothing: the amount due stays a whole
    number of yuan and the 0.37 is carried."""
    station = v.StationRules(payment_precision=D('1'))
    q = quote(quantity='10', station=station, account=v.AccountState(is_first_vend=False, money_balance=D('1.37')))
    assert (q.energy_amount, q.balance_used, q.amount_due, q.balance_after) == \
        (D('20'), D('1'), D('19'), D('0.37'))


def test_tendered_and_change():
    q = quote(tendered='150', account=REGULAR)
    assert (q.amount_tendered, q.change) == (D('150'), D('28.00'))
    q = quote(by='money', quantity='25.00', tendered='50', account=REGULAR)
    assert (q.amount_due, q.amount_tendered, q.change, q.balance_after) == (D('25.00'), D('50'), D('25.00'), D('1.00'))
    exact = quote(tendered='122.00', account=REGULAR)
    assert exact.change == 0


def test_nothing_due_when_the_balance_covers_it():
    q = quote(quantity='1', tendered='0', account=v.AccountState(is_first_vend=False, money_balance=D('2.00')))
    assert (q.amount_due, q.change, q.balance_after) == (0, 0, 0)


# --- deductions, hoarding ---------------------------------------------------------------------

def test_over_zero_deducted_from_next_credit():
    q = quote(quantity='30', account=v.AccountState(is_first_vend=False, over_zero_energy=D('3.5')))
    assert (q.over_zero_deducted, q.energy_net, q.energy_written) == (D('3.5'), D('26.5'), D('30'))
    assert q.amount_due == D('60.00')       # the customer pays for all 30 kWh


def test_preset_and_over_zero_together_and_net_zero_allowed():
    account = v.AccountState(is_first_vend=True, over_zero_energy=D('5'))
    assert quote(quantity='25', account=account).energy_net == 0
    assert quote(quantity='20', account=v.AccountState(is_first_vend=True)).energy_net == 0


def test_hoarding_limit_counts_the_remaining_energy():
    meter = v.MeterRules(hoarding_limit=D('100'))
    account = v.AccountState(is_first_vend=False, remaining_energy=D('31'))
    refusal = refused('hoarding_exceeded', quantity='70', meter=meter, account=account)
    assert (refusal.params['total'], refusal.params['limit'], refusal.params['most']) == ('101.00', '100.00', '69.00')
    q = quote(quantity='69', meter=meter, account=account)
    assert (q.energy_net, q.remaining_energy_after) == (D('69'), D('100'))


def test_hoarding_limit_after_the_preset_on_the_first_vend():
    """The preset is deducted before the hoarding check: 61 written, 41 credited."""
    meter = v.MeterRules(hoarding_limit=D('41'))
    assert quote(meter=meter).remaining_energy_after == D('41')
    refused('hoarding_exceeded', quantity='62', meter=meter)


def test_default_hoarding_limit_is_9999():
    assert v.MeterRules().hoarding_limit == D('9999')
    assert quote(quantity='9999', account=REGULAR).energy_net == D('9999')
    refused('hoarding_exceeded', quantity='10000', account=REGULAR)


# --- CT/PT multiplier --------------------------------------------------------------------------

def test_secondary_side_steps_make_the_division_exact():
    """Multiplier 300: 1 kWh ÷ 300 is no whole 0.01 kWh, so energy is sold in 3 kWh steps."""
    meter = v.MeterRules(ct_ratio=10, pt_ratio=30, side='secondary')
    assert v.effective_energy_step(STATION, meter) == D('3.00')
    q = quote(quantity='600', meter=meter, account=REGULAR)
    assert (q.energy_written, q.energy_step, q.multiplier) == (D('2.00'), D('3.00'), 300)
    assert q.energy_written * 300 == q.energy_bought
    refusal = refused('not_step_multiple', quantity='601', meter=meter, account=REGULAR)
    params = refusal.params
    assert (params['lower'], params['upper'], params['multiplier']) == ('600.00', '603.00', '300')
    by_money = quote(by='money', quantity='100.00', meter=meter, account=REGULAR)
    assert (by_money.energy_bought, by_money.energy_written, by_money.balance_after) == (D('48'), D('0.16'), D('4.00'))


def test_secondary_side_deductions_are_in_meter_units():
    """The meter deducts its preset and over-zero from the credit written (its own units):
    600 kWh on a multiplier of 300 writes 2 kWh, less than a 20 kWh preset."""
    meter = v.MeterRules(ct_ratio=10, pt_ratio=30, side='secondary')
    refusal = refused('below_preset', quantity='600', meter=meter)
    assert (refusal.params['preset'], refusal.params['energy']) == ('20.00', '2.00')
    q = quote(quantity='6600', meter=meter)
    assert (q.energy_written, q.preset_deducted, q.energy_net, q.energy_net_billing) == \
        (D('22.00'), D('20'), D('2.00'), D('600.00'))
    hoarding = v.MeterRules(ct_ratio=10, pt_ratio=30, side='secondary', hoarding_limit=D('50'))
    account = v.AccountState(is_first_vend=False, remaining_energy=D('40'))
    assert quote(quantity='3000', meter=hoarding, account=account).remaining_energy_after == D('50')
    assert refused('hoarding_exceeded', quantity='3003', meter=hoarding, account=account).params['most'] == '3000.00'


def test_side_none_ignores_the_ratios():
    q = quote(meter=v.MeterRules(ct_ratio=10, pt_ratio=30, side='none'), account=REGULAR)
    assert (q.multiplier, q.energy_written, q.price_written) == (1, D('61'), D('2.0000'))


def test_meter_unit_conversions():
    meter = v.MeterRules(ct_ratio=10, side='secondary')
    assert meter.to_billing_energy(D('10')) == D('100')
    primary = v.MeterRules(ct_ratio=10, side='primary')
    assert (primary.to_billing_energy(D('10')), primary.effective_multiplier) == (D('10'), 10)


# --- tariffs in a quote --------------------------------------------------------------------------

def test_tiered_quote_splits():
    q = quote(quantity='50', tariff=TIERED, account=v.AccountState(is_first_vend=False, period_energy=D('80')))
    assert [(p.index, p.energy, p.price, p.amount) for p in q.tiers] == [
        (1, D('20'), D('0.5'), D('10.0')), (2, D('30'), D('0.8'), D('24.0'))]
    assert (q.amount_exact, q.amount_due) == (D('34.0'), D('34.00'))
    assert (q.unit_price, q.marginal_price) == (D('0.6800'), D('0.8'))
    assert (q.period_energy_before, q.period_energy_after) == (D('80'), D('130'))


def test_tiered_price_written_is_the_last_tier_times_the_multiplier():
    q = quote(quantity='50', tariff=TIERED, meter=v.MeterRules(ct_ratio=5, side='primary'),
              account=v.AccountState(is_first_vend=False, period_energy=D('80')))
    assert q.price_written == D('4.0')


def test_tiered_by_money_crosses_the_boundary():
    account = v.AccountState(is_first_vend=False, period_energy=D('80'))
    q = quote(by='money', quantity='34.00', tariff=TIERED, account=account)
    assert (q.energy_bought, q.energy_amount, q.balance_after) == (D('50'), D('34.00'), D('0.00'))


def test_time_of_use_card_vend_uses_the_flat_price():
    tou = t.build_tariff('tou', tou_prices={'sharp': D('1.35'), 'peak': D('1.12'), 'flat': D('0.86'),
                                            'valley': D('0.41')})
    q = quote(quantity='10', tariff=tou, account=REGULAR)
    assert (q.unit_price, q.amount_due) == (D('0.8600'), D('8.60'))


def test_conversions_are_exported():
    assert v.money_for_energy(FLAT, D('61')) == D('122.00')
    assert v.energy_for_money(FLAT, D('122.00'), D('1')) == D('61')


# --- every refusal --------------------------------------------------------------------------------

def test_refused_while_card_credit_valid():
    refusal = refused('credit_still_valid', account=v.AccountState(is_card_credit_valid=True))
    assert 'still on the card' in str(refusal)


def test_refused_for_deactivated_and_closed():
    refused('account_deactivated', account=v.AccountState(state='deactivated'))
    refused('account_closed', account=v.AccountState(state='closed'))


def test_refused_foreign_or_superseded_card():
    refused('card_foreign', is_card_foreign=True)
    refused('card_superseded', is_card_superseded=True)


def test_refused_tariff_without_price():
    refused('no_price', tariff=t.Tariff('flat'))
    refused('no_price', tariff=t.Tariff('tou', tou_prices=(('peak', D('1')),)))
    refused('no_price', tariff=t.Tariff('tiered', tiers=((D('10'), D('1')), (None, D('0')))))


def test_refused_first_vend_below_preset():
    refusal = refused('below_preset', quantity='19')
    assert refusal.params == {'preset': '20.00', 'energy': '19.00'}
    refused('below_preset', by='money', quantity='38.00')   # 19 kWh


def test_refused_below_over_zero():
    refused('below_over_zero', quantity='3', account=v.AccountState(is_first_vend=False, over_zero_energy=D('5')))
    refusal = refused('below_over_zero', quantity='24', account=v.AccountState(over_zero_energy=D('5')))
    assert refusal.params['least'] == '25.00'


def test_refused_not_positive():
    refused('not_positive', quantity='0')
    refused('not_positive', quantity='-5')
    refused('not_positive', by='money', quantity='0')
    refused('not_positive', by='money', quantity='-1.00')


def test_refused_not_a_whole_step():
    refusal = refused('not_step_multiple', quantity='10.5', account=REGULAR)
    assert (refusal.params['lower'], refusal.params['upper']) == ('10.00', '11.00')


def test_refused_too_large():
    refused('too_large', quantity='1000000001', account=REGULAR)
    refused('too_large', by='money', quantity='1000000001', account=REGULAR)


def test_refused_tendered_insufficient():
    refusal = refused('tendered_insufficient', tendered='100', account=REGULAR)
    assert refusal.params == {'tendered': '100.00', 'due': '122.00'}
    refused('tendered_insufficient', by='money', quantity='25.00', tendered='20', account=REGULAR)
    refused('tendered_insufficient', tendered='-1', quantity='1',
            account=v.AccountState(is_first_vend=False, money_balance=D('5')))


def test_refused_money_too_small_or_too_precise():
    refusal = refused('money_too_small', by='money', quantity='1.99', account=REGULAR)
    assert refusal.params['step_cost'] == '2.00'
    refused('money_too_small', by='money', quantity='1.00',
            account=v.AccountState(is_first_vend=False, money_balance=D('0.99')))
    refused('money_precision', by='money', quantity='10.005', account=REGULAR)
    refused('money_precision', tendered='150.001', account=REGULAR)


def test_refused_when_the_amount_rounds_to_nothing():
    """1 kWh at 0.3000 costs 0.30: to the yuan that is 0 — energy would be given away."""
    station = v.StationRules(payment_precision=D('1'))
    cheap = t.build_tariff('flat', price=D('0.3000'))
    refusal = refused('amount_zero', quantity='1', tariff=cheap, station=station, account=REGULAR)
    assert (refusal.params['precision'], refusal.params['least']) == ('1', '2.00')
    assert quote(quantity='2', tariff=cheap, station=station, account=REGULAR).amount_due == D('1')   # 0.60
    almost_free_first = t.build_tariff('tiered', tiers=[(D('1'), D('0.0001')), (None, D('5'))])
    refused('amount_zero', by='money', quantity='1', tariff=almost_free_first, station=station, account=REGULAR)


def test_refused_bad_method():
    refused('bad_method', by='kisses')


def test_refusal_order_account_before_card_before_quantity():
    closed_with_credit = v.AccountState(state='closed', is_card_credit_valid=True)
    assert refused('account_closed', quantity='0', account=closed_with_credit)
    assert refused('credit_still_valid', quantity='0', account=v.AccountState(is_card_credit_valid=True))


def test_refusal_text_is_english_with_params():
    refusal = refused('tendered_insufficient', tendered='100', account=REGULAR)
    assert refusal.message == "%(tendered)s tendered is less than the %(due)s due."
    assert str(refusal) == "100.00 tendered is less than the 122.00 due."


# --- inputs ---------------------------------------------------------------------------------------

def test_floats_are_refused_everywhere():
    with pytest.raises(TypeError):
        v.VendRequest('energy', 61.0)
    with pytest.raises(TypeError):
        v.VendRequest('energy', D('61'), amount_tendered=150.0)
    with pytest.raises(TypeError):
        v.AccountState(money_balance=1.5)
    with pytest.raises(TypeError):
        v.StationRules(preset_energy=20.0)
    with pytest.raises(TypeError):
        v.MeterRules(ct_ratio=10.0)
    with pytest.raises(TypeError):
        v.MeterRules(hoarding_limit=9999.0)
    with pytest.raises(TypeError):
        v.AccountState(is_first_vend=1)


def test_inputs_are_validated():
    for bad in (dict(state='frozen'), dict(money_balance=D('-1')), dict(remaining_energy=D('-1'))):
        with pytest.raises(ValueError):
            v.AccountState(**bad)
    for bad in (dict(payment_precision=D('0.5')), dict(energy_step=D('0')), dict(energy_step=D('0.001')),
                dict(preset_energy=D('-1'))):
        with pytest.raises(ValueError):
            v.StationRules(**bad)
    for bad in (dict(ct_ratio=0), dict(pt_ratio=D('2.5')), dict(side='tertiary'), dict(hoarding_limit=D('-1'))):
        with pytest.raises(ValueError):
            v.MeterRules(**bad)


def test_inputs_accept_ints_and_strings_and_are_frozen():
    station = v.StationRules(preset_energy=20, payment_precision='0.1', energy_step='0.5')
    assert (station.preset_energy, station.payment_precision, station.energy_step) == (D('20'), D('0.1'), D('0.5'))
    assert v.MeterRules(ct_ratio=D('10'), pt_ratio=30).multiplier == 300
    assert v.VendRequest('energy', '61').quantity == D('61')
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGULAR.money_balance = D('1')
    # the Odoo layer re-quotes a vend "as of before it" with dataclasses.replace
    assert dataclasses.replace(NEW, money_balance=D('2.50')).money_balance == D('2.50')


def test_defaults():
    station, meter, account = v.StationRules(), v.MeterRules(), v.AccountState()
    assert (station.preset_energy, station.payment_precision, station.energy_step) == (D('20'), D('0.01'), D('1'))
    assert (meter.multiplier, meter.side, meter.hoarding_limit) == (1, 'none', D('9999'))
    assert (account.state, account.is_first_vend, account.money_balance) == ('active', True, 0)

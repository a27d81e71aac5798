"""Daily billing of remote meters and their alarm/trip/close strategy, without Odoo."""
from decimal import Decimal as D

import pytest

from engine import remote_billing as rb
from engine import tariff as t

TOU = t.build_tariff('tou', tou_prices={'sharp': D('1.3500'), 'peak': D('1.1200'), 'flat': D('0.8600'),
                                        'valley': D('0.4100')})
FLAT = t.build_tariff('flat', price=D('0.5883'))
TIERED = t.build_tariff('tiered', tiers=[(D('100'), D('0.5')), (None, D('0.8'))])


def regs(total, sharp='0', peak='0', flat='0', valley='0'):
    return rb.Registers(D(total), D(sharp), D(peak), D(flat), D(valley))


def test_tou_day_is_each_band_delta_times_its_price_rounded_once():
    before = regs('100.00', '10.00', '30.00', '40.00', '20.00')
    after = regs('112.37', '11.01', '33.33', '44.44', '23.59')
    bill = rb.bill_day(before, after, TOU)
    assert bill.deltas == regs('12.37', '1.01', '3.33', '4.44', '3.59')
    # 1.01×1.35 + 3.33×1.12 + 4.44×0.86 + 3.59×0.41 = 1.3635 + 3.7296 + 3.8184 + 1.4719 = 10.3834
    assert bill.exact_amount == D('10.3834')
    assert bill.amount == D('10.38')
    assert bill.notes == ()


def test_rounding_happens_once_on_the_sum_not_per_band():
    # each band alone rounds down (0.005 -> 0.01 half up would add 4 cents if rounded per band)
    prices = {'sharp': D('0.5000'), 'peak': D('0.5000'), 'flat': D('0.5000'), 'valley': D('0.5000')}
    tariff = t.build_tariff('tou', tou_prices=prices)
    bill = rb.bill_day(regs('0.00'), regs('0.04', '0.01', '0.01', '0.01', '0.01'), tariff)
    assert bill.exact_amount == D('0.0200')
    assert bill.amount == D('0.02')


def test_flat_tariff_prices_the_total_delta():
    bill = rb.bill_day(regs('500.00', '0', '0', '500.00', '0'), regs('510.50', '0', '0', '510.50', '0'), FLAT)
    assert bill.energy == D('10.50')
    assert bill.amount == D('6.18')      # 10.5 × 0.5883 = 6.17715


def test_tiered_tariff_counts_the_energy_already_billed_in_the_period():
    bill = rb.bill_day(regs('0.00'), regs('20.00'), TIERED, period_energy_before=D('90'))
    assert bill.amount == D('13.00')     # 10 × 0.5 + 10 × 0.8


def test_first_reading_bills_from_the_start_reading_at_the_flat_band_price():
    bill = rb.bill_day(None, regs('1005.00', '1', '2', '1000', '2'), TOU, start_reading=D('1000.00'))
    assert bill.energy == D('5.00')
    assert bill.amount == D('4.30')      # 5 × 0.86: the bands at the start reading are unknown
    assert 'first' in bill.notes


def test_first_reading_at_or_below_the_start_reading_bills_nothing():
    bill = rb.bill_day(None, regs('999.50'), TOU, start_reading=D('1000.00'))
    assert bill.amount == D('0.00') and bill.energy == D('0.00')
    assert 'before_start' in bill.notes


def test_energy_below_a_later_start_reading_is_never_billed():
    bill = rb.bill_day(regs('990.00'), regs('1004.00'), FLAT, start_reading=D('1000.00'))
    assert bill.energy == D('4.00')
    assert 'before_start' in bill.notes


def test_rollover_bills_what_was_counted_across_the_wrap():
    before = regs('999998.00', '0', '0', '999998.00', '0')
    after = regs('3.50', '0', '0', '3.50', '0')
    bill = rb.bill_day(before, after, TOU)
    assert bill.energy == D('5.50')
    assert bill.deltas.flat == D('5.50')
    assert bill.amount == D('4.73')      # 5.5 × 0.86
    assert 'rollover' in bill.notes


def test_a_reset_or_replaced_meter_never_bills_a_negative_or_invented_delta():
    bill = rb.bill_day(regs('5230.00', '0', '0', '5230.00', '0'), regs('12.00', '0', '0', '12.00', '0'), TOU)
    assert bill.energy == D('0.00')
    assert bill.amount == D('0.00')
    assert 'reset' in bill.notes


def test_no_consumption_bills_zero():
    same = regs('42.00', '1', '2', '3', '36')
    assert rb.bill_day(same, same, TOU).amount == D('0.00')


def test_registers_refuse_floats_negative_and_out_of_range_values():
    with pytest.raises(TypeError):
        rb.Registers(1.5)
    with pytest.raises(ValueError):
        rb.Registers(D('-1'))
    with pytest.raises(ValueError):
        rb.Registers(D('1000000.00'))
    with pytest.raises(ValueError):
        rb.Registers(D('1.005'))


@pytest.mark.parametrize(('balance', 'level'), [('25', 0), ('20', 0), ('19.99', 1), ('10', 1), ('9.99', 2),
                                                ('-3', 2)])
def test_alarm_levels(balance, level):
    assert rb.alarm_level(D(balance), D('20'), D('10')) == level


def test_each_alarm_is_sent_once_and_a_big_drop_sends_both_in_order():
    assert rb.alarms_to_send(0, D('15'), D('20'), D('10')) == (1,)
    assert rb.alarms_to_send(1, D('15'), D('20'), D('10')) == ()
    assert rb.alarms_to_send(1, D('5'), D('20'), D('10')) == (2,)
    assert rb.alarms_to_send(0, D('5'), D('20'), D('10')) == (1, 2)
    assert rb.alarms_to_send(2, D('-5'), D('20'), D('10')) == ()
    with pytest.raises(ValueError):
        rb.alarm_level(D('5'), D('10'), D('20'))


def test_trip_below_minus_overdraft_unless_keep_power_or_auto_trip_off():
    kw = {'relay_closed': True, 'keep_power': False, 'auto_trip': True}
    assert not rb.should_trip(D('0'), D('0'), **kw)
    assert rb.should_trip(D('-0.01'), D('0'), **kw)
    assert not rb.should_trip(D('-4.99'), D('5'), **kw)
    assert rb.should_trip(D('-5.01'), D('5'), **kw)
    assert not rb.should_trip(D('-9'), D('0'), **{**kw, 'keep_power': True})
    assert not rb.should_trip(D('-9'), D('0'), **{**kw, 'auto_trip': False})
    assert not rb.should_trip(D('-9'), D('0'), **{**kw, 'relay_closed': False})


def test_close_after_a_top_up_only_what_the_strategy_tripped():
    assert rb.should_close(D('0'), D('0'), relay_closed=False, tripped_by_strategy=True)
    assert not rb.should_close(D('-0.01'), D('0'), relay_closed=False, tripped_by_strategy=True)
    assert rb.should_close(D('-4'), D('5'), relay_closed=False, tripped_by_strategy=True)
    assert not rb.should_close(D('50'), D('0'), relay_closed=False, tripped_by_strategy=False)
    assert not rb.should_close(D('50'), D('0'), relay_closed=True, tripped_by_strategy=True)

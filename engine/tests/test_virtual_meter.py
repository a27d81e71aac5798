"""The virtual meter with real card bytes: vend -> insert -> read back -> next vend."""
from dataclasses import replace
from decimal import Decimal as D

import pytest

from engine import card_crypto as cc
from engine import card_format as cf
from engine.tests.card_helpers import KEYS, STATION, image, key_lookup, new_card, write
from engine.tests.virtual_meter import MeterRefused, VirtualMeter

MASTER = KEYS[(STATION, 1)]


def meter(**kw):
    return VirtualMeter(station_code=STATION, meter_number='12345678', key_lookup=key_lookup, **kw)


def read(card):
    return cf.decode(card.read(0, 256), key_lookup, STATION)


def refusal(m, card, code):
    before = card.read(0, 256)
    state = (m.remaining, m.over_zero, m.last_sequence, m.insert_count, m.cumulative_purchased)
    with pytest.raises(MeterRefused) as info:
        m.insert(card)
    assert info.value.code == code, info.value
    assert card.read(0, 256) == before                                  # card left as it was
    assert state == (m.remaining, m.over_zero, m.last_sequence, m.insert_count, m.cumulative_purchased)
    return info.value


def test_full_cycle_over_several_vends():
    m, card = meter(), new_card()
    write(card, image(sequence=1, credit='61'))
    assert m.insert(card) == D('41')                                    # preset 20 deducted
    decoded = read(card)
    assert not decoded.is_credit_valid
    wb = decoded.write_back
    assert (wb.remaining, wb.cumulative_purchased, wb.last_purchase, wb.insert_count, wb.sequence,
            wb.meter_number, wb.generation) == (D('41'), D('41'), D('61'), 1, 1, '000012345678', 1)
    m.consume(D('30'))
    write(card, image(sequence=2, credit='50'))
    assert read(card).write_back == wb                                 # the old write-back stays readable
    assert m.insert(card) == D('50')
    assert read(card).write_back.remaining == D('61')
    m.consume(D('70'))                                                  # 9 kWh beyond zero
    assert (m.remaining, m.over_zero) == (0, D('9'))
    assert m.insert(card) == 0                                          # shown to the meter: write-back only
    wb = read(card).write_back
    assert (wb.over_zero, wb.status, wb.insert_count) == (D('9'), cf.STATUS_TRIPPED, 3)
    write(card, image(sequence=3, credit='20'))
    assert m.insert(card) == D('11')                                    # over-zero deducted
    wb = read(card).write_back
    assert (wb.remaining, wb.over_zero, wb.cumulative_purchased, wb.total_consumption, wb.insert_count,
            wb.last_purchase, wb.sequence) == (D('11'), D('0'), D('102'), D('100'), 4, D('20'), 3)
    assert wb.status == cf.STATUS_ALARM                                 # 11 kWh: under the 20 kWh alarm
    assert wb.generation == 4


def test_fresh_meter_holds_its_preset():
    m, card = meter(remaining=D(20)), new_card()
    m.consume(D('5'))
    write(card, image(sequence=1, credit='61'))
    assert m.insert(card) == D('41')
    assert m.remaining == D('56')                                       # 15 preset left + 41 bought


def test_status_levels():
    m = meter(remaining=D('100'))
    assert m.status() == cf.STATUS_NORMAL
    m.consume(D('85'))
    assert m.status() == cf.STATUS_ALARM
    m.consume(D('6'))
    assert m.status() == cf.STATUS_PRETRIP
    m.consume(D('9'))
    assert m.status() == cf.STATUS_TRIPPED
    with pytest.raises(ValueError):
        m.consume(D('-1'))


def test_replayed_purchase_on_the_same_card_credits_nothing():
    """The same purchase written again (a retried write) or a card pulled before the meter
    flipped its flag: recognised, marked consumed, never credited twice."""
    m, card = meter(), new_card()
    write(card, image(sequence=1))
    m.insert(card)
    write(card, image(sequence=1))
    result = m.insert_card(card)
    assert (result.credited, result.already_credited) == (0, True)
    assert not read(card).is_credit_valid
    assert m.remaining == D('41')


def test_torn_insertion_is_safe():
    """The card is pulled after the meter credited it but before the flag flipped."""
    m, card = meter(), new_card()
    write(card, image(sequence=1, credit='61'))
    real_write = card.write
    card.write = lambda address, data: None                             # nothing reaches the card
    assert m.insert(card) == D('41')
    card.write = real_write
    assert read(card).is_credit_valid                                   # the card still shows credit
    assert m.insert(card) == 0                                          # inserted again: no second credit
    assert not read(card).is_credit_valid and m.remaining == D('41')


def test_meter_refuses_other_sequences_and_old_cards():
    m, card, reissued = meter(), new_card(), new_card(serial=b'\x55' * 8)
    write(card, image(sequence=1))
    write(reissued, image(sequence=1))                                  # 补卡: identical data
    assert m.insert(reissued) == D('41')
    refusal(m, card, 'wrong_sequence')                                  # the old card's copy of that credit
    write(card, image(sequence=3))                                      # skips a purchase
    assert refusal(m, card, 'wrong_sequence').params == {'sequence': 3, 'expected': 2}


def test_meter_refuses_wrong_meter_station_and_unit():
    m = meter()
    card = new_card()
    write(card, replace(image(sequence=1), meter_number='000000000999'))
    assert refusal(m, card, 'wrong_meter').params == {'meter': '000000000999'}
    foreign = new_card(serial=b'\x77' * 8)
    write(foreign, image(sequence=1, station='999999'))
    refusal(m, foreign, 'foreign_station')
    money = new_card(serial=b'\x78' * 8)
    write(money, image(sequence=1, credit_unit='money'))
    refusal(m, money, 'wrong_unit')


def test_meter_refuses_forged_cards():
    m, forged = meter(), new_card(serial=b'\x66' * 8)
    write(forged, image(sequence=1))
    forged.present_psc(cc.derive_psc(MASTER, forged.serial))
    forged.write(0x37, (500000).to_bytes(4, 'big'))
    with pytest.raises(cf.CardRefused) as info:
        m.insert(forged)
    assert info.value.code == 'bad_mac'
    assert m.remaining == 0


def test_meter_refuses_below_deductions_and_over_hoarding():
    m, card = meter(), new_card()
    write(card, image(sequence=1, credit='10'))                         # less than the 20 kWh preset
    refusal(m, card, 'below_deductions')
    write(card, image(sequence=1, credit='61'))
    m.insert(card)
    write(card, replace(image(sequence=2, credit='50'), hoarding=D('60')))
    refusal(m, card, 'hoarding')                                        # 41 + 50 > 60
    write(card, replace(image(sequence=2, credit='19'), hoarding=D('60')))
    assert m.insert(card) == D('19')                                    # 41 + 19 = 60: allowed


def test_card_with_wrong_psc_is_refused_without_credit():
    m, card = meter(), new_card()
    write(card, image(sequence=1))
    card.present_psc(cc.derive_psc(MASTER, card.serial))
    card.change_psc(b'\x01\x02\x03')                                    # not the derived PSC
    card.power_off()
    with pytest.raises(MeterRefused) as info:
        m.insert(card)
    assert info.value.code == 'psc' and m.remaining == 0 and m.last_sequence == 0
    assert card.read_error_counter() == 2
    with pytest.raises(MeterRefused):
        m.insert(card)
    assert card.read_error_counter() == 1
    with pytest.raises(MeterRefused):
        m.insert(card)
    assert card.read_error_counter() == 1                               # the last try is never spent


def test_key_rotation():
    m, card = meter(), new_card()
    write(card, image(sequence=1, key_version=1))
    m.insert(card)
    write(card, image(sequence=2, credit='10', key_version=2), present_key_version=1)
    assert read(card).write_back is None                                # tagged under the old card key
    assert m.insert(card) == D('10')
    wb = read(card).write_back
    assert (wb.remaining, wb.generation) == (D('51'), 1)


def test_special_cards():
    m, card = meter(remaining=D('5')), new_card(serial=b'\x31' * 8)
    write(card, replace(image(card_type='parameter', sequence=0, credit='0'), meter_number='0',
                        alarm=D('15'), pretrip=D('5'), hoarding=D('500'), price=D('1.2395')))
    assert m.insert(card) == 0
    assert (m.alarm, m.pretrip, m.hoarding, m.price) == (D('15'), D('5'), D('500'), D('1.2395'))
    assert read(card).write_back.remaining == D('5')                    # a special card gets a write-back
    preset = new_card(serial=b'\x32' * 8)
    write(preset, replace(image(card_type='preset', sequence=0, credit='30'), meter_number='0'))
    m.insert(preset)
    assert m.preset == D('30')
    check = new_card(serial=b'\x33' * 8)
    write(check, replace(image(card_type='check', sequence=0, credit='0'), meter_number='0'))
    m.insert(check)
    assert read(check).write_back.insert_count == 0
    other = new_card(serial=b'\x34' * 8)
    write(other, replace(image(card_type='clear', sequence=0, credit='0'), meter_number='000000000999'))
    refusal(m, other, 'wrong_meter')                                    # a clear card for another meter


def test_meter_replacement_needs_a_cleared_meter():
    """换表补电: the customer's card restarts at sequence 1 with the remaining credit plus the
    new meter's preset; a used meter must be cleared first."""
    used = meter(last_sequence=7, remaining=D('3'))
    clear = new_card(serial=b'\x41' * 8)
    write(clear, replace(image(card_type='clear', sequence=0, credit='0'), meter_number='12345678'))
    used.insert(clear)
    assert (used.last_sequence, used.remaining) == (0, 0)
    card = new_card()
    write(card, image(sequence=1, credit='61'))                         # 41 left on the old meter + 20 preset
    assert used.insert(card) == D('41')


def test_money_credit_meter():
    m, card = meter(credit_unit='money', preset=D(0)), new_card()
    write(card, replace(image(sequence=1, credit='100.00', credit_unit='money'), price=D('0.5283')))
    assert m.insert(card) == D('100.00')
    m.consume(D('10'))                                                  # 10 kWh at 0.5283 = 5.283 -> 5.28
    assert m.remaining == D('94.72')
    m.insert(card)
    assert read(card).write_back.remaining == D('94.72')


def test_a_kept_meter_goes_on_where_it_stopped():
    """`make meter` keeps the meter between runs (to_state / from_state): a restored meter has
    the same registers and takes the next purchase, not the same one twice."""
    import json
    m, card = meter(remaining=D(20)), new_card()
    write(card, image(sequence=1, credit='61'))
    m.consume(D('7.5'))
    m.insert(card)
    kept = meter_from(json.loads(json.dumps(m.to_state())))
    assert kept.to_state() == m.to_state()
    assert (kept.remaining, kept.total_consumption, kept.last_sequence, kept.last_card_serial, kept.clock) == \
        (D('53.50'), D('7.5'), 1, card.serial, 1)
    assert kept.insert(card) == 0                                       # purchase 1 is not loaded twice
    write(card, image(sequence=2, credit='10'))
    assert kept.insert(card) == D('10')
    assert read(card).write_back.remaining == D('63.50')


def meter_from(state):
    return VirtualMeter.from_state(state, key_lookup)

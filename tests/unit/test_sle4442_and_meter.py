"""The virtual chip and the virtual meter, and the full card cycle without Odoo."""
from decimal import Decimal as D

import pytest

from odoo.addons.prepaid_electricity.domain import card_crypto as cc
from odoo.addons.prepaid_electricity.domain import card_format as cf
from odoo.addons.prepaid_electricity.domain.sle4442 import VirtualSle4442
from odoo.addons.prepaid_electricity.domain.virtual_meter import MeterRefused, VirtualMeter

from .card_helpers import KEYS, STATION, image, key_lookup, new_card, write


def test_writes_ignored_without_psc():
    card = new_card()
    card.write(0x40, b'\x01\x02')
    assert card.read(0x40, 2) == b'\xff\xff'


def test_psc_error_counter_locks_after_three():
    card = VirtualSle4442(serial=b'\x01' * 8, psc=b'\x12\x34\x56')
    assert card.present_psc(b'\x00\x00\x00') == 2
    assert card.present_psc(b'\x12\x34\x56') == 3     # right PSC resets the counter
    for expected in (2, 1, 0):
        assert card.present_psc(b'\x00\x00\x01') == expected
    assert card.present_psc(b'\x12\x34\x56') == 0     # locked for good
    card.write(0x40, b'\x00')
    assert card.read(0x40, 1) == b'\xff'


def test_protection_bits_only_burn():
    card = new_card()
    card.present_psc(cc.TRANSPORT_PSC)
    assert card.read_protection() == b'\xff\xff\xff\xff'
    card.write(0x00, b'\x00')       # factory area stays
    assert card.read(0, 1) == bytes.fromhex('A2')


def test_state_round_trip():
    card = new_card()
    write(card, image())
    assert VirtualSle4442.from_bytes(card.to_bytes()).read(0, 256) == card.read(0, 256)


def meter():
    return VirtualMeter(station_code=STATION, meter_number='12345678', key_lookup=key_lookup)


def test_full_cycle_over_several_vends():
    m, card = meter(), new_card()
    write(card, image(sequence=1, credit='61'))
    assert m.insert(card) == D('41')                     # preset 20 deducted
    decoded = cf.decode(card.read(0, 256), key_lookup, STATION)
    assert not decoded.is_credit_valid
    assert decoded.write_back.remaining == D('41')
    m.consume(D('30'))
    write(card, image(sequence=2, credit='50'))
    assert m.insert(card) == D('50')
    assert cf.decode(card.read(0, 256), key_lookup, STATION).write_back.remaining == D('61')
    m.consume(D('70'))                                   # 9 kWh beyond zero
    assert m.over_zero == D('9')
    write(card, image(sequence=3, credit='20'))
    assert m.insert(card) == D('11')                     # over-zero deducted
    wb = cf.decode(card.read(0, 256), key_lookup, STATION).write_back
    assert (wb.remaining, wb.over_zero, wb.cumulative_purchased, wb.total_consumption, wb.insert_count) == \
        (D('11'), D('0'), D('102'), D('100'), 3)


def test_meter_refuses_replayed_or_wrong_cards():
    m, card = meter(), new_card()
    write(card, image(sequence=1))
    m.insert(card)
    write(card, image(sequence=1))                       # the same purchase again
    with pytest.raises(MeterRefused) as info:
        m.insert(card)
    assert info.value.code == 'wrong_sequence'
    other = new_card(serial=b'\x55' * 8)
    write(other, cf.CardImage(**{**image(sequence=2).__dict__, 'meter_number': '000000000999'}))
    with pytest.raises(MeterRefused):
        m.insert(other)
    forged = new_card(serial=b'\x66' * 8)
    write(forged, image(sequence=2))
    raw = forged.read(0, 256)
    forged.present_psc(cc.derive_psc(KEYS[(STATION, 1)], forged.serial))
    forged.write(0x37, (500000).to_bytes(4, 'big'))
    with pytest.raises(cf.CardRefused):
        m.insert(forged)
    assert raw != forged.read(0, 256)


def test_meter_refuses_over_hoarding():
    m, card = meter(), new_card()
    write(card, image(sequence=1, credit='61'))
    m.insert(card)
    write(card, cf.CardImage(**{**image(sequence=2, credit='50').__dict__, 'hoarding': D('60')}))
    with pytest.raises(MeterRefused) as info:
        m.insert(card)
    assert info.value.code == 'hoarding'

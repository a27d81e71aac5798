"""Card layout: the documented offsets, round trips and every refusal of the decoder."""
from dataclasses import replace
from decimal import Decimal as D

import pytest

from engine import card_crypto as cc
from engine import card_format as cf
from engine.tests.card_helpers import KEYS, STATION, image, key_lookup, new_card, write


def decode(card, station=STATION):
    return cf.decode(card.read(0, 256), key_lookup, station)


def refused(code, raw, station=STATION, lookup=key_lookup):
    with pytest.raises(cf.CardRefused) as info:
        cf.decode(raw, lookup, station)
    assert info.value.code == code, info.value
    assert isinstance(info.value.message, str) and (info.value.message % info.value.params if info.value.params
                                                   else info.value.message)
    return info.value


def card_key(serial, version=1, station=STATION):
    return cc.diversify(KEYS[(station, version)], station, serial)


def with_write_back(raw, write_back, serial=None):
    key = card_key(serial or cf.serial_of(raw))
    return cf.apply_writes(raw, cf.encode_write_back(raw, write_back, key))


def test_round_trip():
    card = new_card()
    write(card, image())
    decoded = decode(card)
    assert decoded.image == image()
    assert decoded.serial == card.serial
    assert decoded.is_credit_valid
    assert decoded.write_back is None


def test_documented_offsets():
    """The bytes sit where docs/card-format.md says."""
    card = new_card()
    write(card, image(sequence=7, credit='61.25'))
    raw = card.read(0, 256)
    assert raw[0x20:0x22] == b'PE' and raw[0x22] == 1 and raw[0x23] == 1 and raw[0x24] == 1 and raw[0x25] == 0
    assert raw[0x26:0x29] == bytes.fromhex('310101')
    assert raw[0x29:0x2F] == bytes.fromhex('000000000001')
    assert raw[0x2F:0x35] == bytes.fromhex('000012345678')
    assert int.from_bytes(raw[0x35:0x37], 'big') == 7
    assert int.from_bytes(raw[0x37:0x3B], 'big') == 6125                  # 0.01 kWh
    assert int.from_bytes(raw[0x3B:0x3F], 'big') == 2000                  # alarm 20 kWh
    assert int.from_bytes(raw[0x43:0x47], 'big') == 999900                # hoarding 9999 kWh
    assert int.from_bytes(raw[0x47:0x4B], 'big') == 20000                 # price 2.0000
    assert int.from_bytes(raw[0x4F:0x53], 'big') == 1_700_000_000
    serial = card.serial
    assert raw[0x60:0x68] == cc.retail_mac(card_key(serial), serial + raw[0x20:0x60])
    assert raw[0x68] == cf.FLAG_VALID
    assert raw[0x69:] == b'\xff' * (256 - 0x69)                         # nothing else written
    assert cf.WRITE_BACK_ADDRESSES == (0x70, 0xA0) and cf.USER_END == 0xD0


def test_encode_is_one_run_from_0x20_to_the_flag():
    writes = cf.encode(image(), b'\x01' * 8, card_key(b'\x01' * 8))
    assert list(writes) == [0x20] and len(writes[0x20]) == 0x69 - 0x20


def test_encode_card_keeps_the_factory_area():
    card = new_card()
    blank = card.read(0, 256)
    full = cf.encode_card(image(), blank, card_key(card.serial))
    assert full[:0x20] == blank[:0x20] and len(full) == 256
    assert cf.decode(full, key_lookup, STATION).image == image()
    with pytest.raises(ValueError):
        cf.encode_card(image(), blank[:100], card_key(card.serial))


def test_consumed_image_and_special_cards():
    """A reissue of a consumed card carries the consumed flag; special cards carry none."""
    card = new_card()
    serial = card.serial
    raw = cf.encode_card(image(), card.read(0, 256), card_key(serial), credit_valid=False)
    assert raw[0x68] == cf.FLAG_CONSUMED
    assert not cf.decode(raw, key_lookup, STATION).is_credit_valid
    special = cf.encode_card(image(card_type='parameter'), card.read(0, 256), card_key(serial))
    assert special[0x68] == cf.FLAG_NONE
    decoded = cf.decode(special, key_lookup, STATION)
    assert decoded.image.card_type == 'parameter' and not decoded.is_credit_valid
    raw = bytearray(special)
    raw[0x68] = cf.FLAG_VALID                    # a special card never carries credit
    refused('torn', bytes(raw))


def test_factory_area_never_written():
    card = new_card()
    factory = card.read(0, 32)
    write(card, image())
    assert card.read(0, 32) == factory
    assert min(cf.encode(image(), card.serial, card_key(card.serial))) >= cf.USER_START


def test_blank_card():
    refused('blank', new_card().read(0, 256))
    refused('blank', bytes(256))


def test_not_ours():
    raw = bytearray(new_card().read(0, 256))
    raw[0x20:0x24] = b'ACRL'
    refused('not_ours', bytes(raw))


def test_truncated_card():
    card = new_card()
    write(card, image())
    refused('truncated', card.read(0, 200))
    refused('truncated', None)
    refused('truncated', 'not bytes')
    assert cf.decode(bytearray(card.read(0, 256)) + b'\x00' * 8, key_lookup, STATION).image == image()
    assert cf.decode(memoryview(card.read(0, 256)), key_lookup, STATION).image == image()


def test_foreign_station():
    card = new_card()
    write(card, image(station='999999'))
    assert refused('foreign_station', card.read(0, 256)).params['station'] == '999999'
    assert cf.decode(card.read(0, 256), key_lookup, None).image.station_code == '999999'   # master clear


def test_unknown_version():
    card = new_card()
    write(card, image())
    raw = bytearray(card.read(0, 256))
    raw[0x22] = 9
    assert refused('unknown_version', bytes(raw)).params == {'version': 9}


def test_unknown_key_version():
    card = new_card()
    write(card, image(key_version=2))
    only_v1 = lambda station, version: KEYS.get((station, version)) if version == 1 else None  # noqa: E731
    error = refused('unknown_key_version', card.read(0, 256), lookup=only_v1)
    assert error.params == {'station': STATION, 'version': 2}


def test_bad_mac_on_any_change_of_the_data():
    card = new_card()
    write(card, image(credit='61'))
    raw = bytearray(card.read(0, 256))
    raw[0x37:0x3B] = (999999).to_bytes(4, 'big')   # more credit
    refused('bad_mac', bytes(raw))
    raw = bytearray(card.read(0, 256))
    raw[0x60] ^= 0x80                               # the MAC itself
    refused('bad_mac', bytes(raw))


def test_copied_onto_another_card_fails_the_mac():
    """The MAC covers the serial: an image copied onto another chip is refused."""
    card = new_card()
    write(card, image())
    raw = bytearray(card.read(0, 256))
    raw[0x08:0x10] = b'\x99' * 8
    refused('bad_mac', bytes(raw))


def test_torn_writes():
    card = new_card()
    blank = card.read(0, 256)
    full = cf.encode_card(image(), blank, card_key(card.serial))
    cut = full[:0x40] + blank[0x40:]                # power lost half way through the first write
    refused('torn', cut)
    raw = bytearray(full)
    raw[0x68] = 0x33                                # a purchase card's flag that is neither A5 nor 5A
    refused('torn', bytes(raw))


def test_key_rotation_reads_old_cards_and_rekeys_them():
    card = new_card()
    write(card, image(key_version=1))
    assert decode(card).image.key_version == 1      # v2 exists; v1 cards are still read
    write(card, image(key_version=2, sequence=2), present_key_version=1)   # re-keyed on its next write
    assert decode(card).image.key_version == 2
    assert card.psc == cc.derive_psc(KEYS[(STATION, 2)], card.serial)


def test_write_back_two_copies_survive_a_torn_write():
    card = new_card()
    write(card, image())
    raw = card.read(0, 256)
    first = cf.WriteBack(remaining=D('41'), cumulative_purchased=D('41'), insert_count=1,
                         meter_number='000012345678', sequence=1)
    raw = with_write_back(raw, first)
    assert cf.decode_write_back(raw, card_key(card.serial)).generation == 1
    second = cf.WriteBack(remaining=D('30'), cumulative_purchased=D('41'), total_consumption=D('11'), insert_count=2)
    (address, data), = cf.encode_write_back(raw, second, card_key(card.serial)).items()
    assert address == 0xA0                           # the second copy goes to the other slot
    torn = bytearray(raw)
    torn[address:address + 10] = data[:10]           # power cut half way
    survivor = cf.decode_write_back(bytes(torn), card_key(card.serial))
    assert survivor == replace(first, generation=1)
    raw = cf.apply_writes(raw, {address: data})
    latest = cf.decode(raw, key_lookup, STATION).write_back
    assert (latest.remaining, latest.generation, latest.total_consumption) == (D('30'), 2, D('11'))
    third = cf.encode_write_back(raw, cf.WriteBack(remaining=D('20')), card_key(card.serial))
    assert list(third) == [0x70]                     # alternates: over the older copy


def test_write_back_generation_wraps():
    card = new_card()
    write(card, image())
    raw = card.read(0, 256)
    key = card_key(card.serial)
    raw = cf.apply_writes(raw, {0x70: cf.pack_write_back(cf.WriteBack(generation=0xFFFF), card.serial, key)})
    raw = with_write_back(raw, cf.WriteBack(remaining=D('1')))
    newest = cf.decode_write_back(raw, key)
    assert newest.generation == 0 and newest.remaining == D('1')


def test_write_back_needs_the_card_key():
    """A write-back copy is tagged under the card key: copied from another card, forged, or
    written under an old key version, it is ignored."""
    card, other = new_card(), new_card(serial=b'\x42' * 8)
    write(card, image())
    write(other, image())
    forged = cf.pack_write_back(cf.WriteBack(remaining=D('9999')), card.serial, bytes.fromhex('11' * 8 + '22' * 8))
    raw = cf.apply_writes(card.read(0, 256), {0x70: forged})
    assert cf.decode_write_back(raw, card_key(card.serial)) is None
    from_other = with_write_back(other.read(0, 256), cf.WriteBack(remaining=D('50')))
    raw = cf.apply_writes(card.read(0, 256), {0x70: from_other[0x70:0xA0]})
    assert cf.decode_write_back(raw, card_key(card.serial)) is None
    assert cf.decode_write_back(from_other, card_key(other.serial)).remaining == D('50')


def test_clear_and_mark_consumed():
    card = new_card()
    write(card, image())
    raw = with_write_back(card.read(0, 256), cf.WriteBack(remaining=D('1')))
    consumed = cf.apply_writes(raw, cf.mark_consumed())
    assert not cf.decode(consumed, key_lookup, STATION).is_credit_valid
    cleared = cf.apply_writes(consumed, cf.clear_writes())
    assert cleared[:0x20] == raw[:0x20] and cleared[0x20:0xD0] == b'\xff' * 0xB0
    refused('blank', cleared)


def test_values_that_do_not_fit_are_refused():
    for bad in (dict(credit=D('0.001')), dict(station_code='1234567'), dict(credit=D(-1)), dict(credit=0.5),
                dict(credit=D('NaN')), dict(credit=D('Infinity')), dict(credit=D(2 ** 32) / 100),
                dict(sequence=70000), dict(ct_ratio=0), dict(key_version=256), dict(issued_at=-1),
                dict(card_type='gift'), dict(credit_unit='gold'), dict(customer_number='1234567890123'),
                dict(meter_number='12a4'), dict(price=D('0.00001'))):
        with pytest.raises(ValueError):
            cf.pack_image(replace(image(), **bad))
    with pytest.raises(ValueError):
        cf.pack_write_back(cf.WriteBack(remaining=0.5), b'\x01' * 8, card_key(b'\x01' * 8))


def test_crc16_check_value():
    # CRC-16/CCITT-FALSE catalogue check value (Greg Cook's CRC catalogue, "check" of "123456789")
    assert cf.crc16(b'123456789') == 0x29B1


def test_money_credit_and_prices_round_trip():
    img = replace(image(credit='123.45', credit_unit='money'), price=D('0.5283'))
    card = new_card()
    write(card, img)
    decoded = decode(card).image
    assert decoded == img and decoded.credit_unit == 'money' and decoded.price == D('0.5283')

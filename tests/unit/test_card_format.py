"""Card layout: round trip and every refusal of the decoder."""
from decimal import Decimal as D

import pytest

from odoo.addons.prepaid_electricity.domain import card_format as cf

from .card_helpers import STATION, image, key_lookup, new_card, write


def decode(card, station=STATION):
    return cf.decode(card.read(0, 256), key_lookup, station)


def refused(code, raw, station=STATION):
    with pytest.raises(cf.CardRefused) as info:
        cf.decode(raw, key_lookup, station)
    assert info.value.code == code, info.value
    return info.value


def test_round_trip():
    card = new_card()
    write(card, image())
    decoded = decode(card)
    assert decoded.image == image()
    assert decoded.serial == card.serial
    assert decoded.is_credit_valid
    assert decoded.write_back is None


def test_layout_fits_the_user_area():
    card = new_card()
    factory = card.read(0, 32)
    write(card, image())
    assert card.read(0, 32) == factory  # the factory area is never written


def test_blank_card():
    refused('blank', new_card().read(0, 256))


def test_truncated_card():
    card = new_card()
    write(card, image())
    refused('truncated', card.read(0, 200))
    refused('truncated', None)


def test_foreign_station():
    card = new_card()
    write(card, image(station='999999'))
    assert refused('foreign_station', card.read(0, 256)).params['station'] == '999999'
    assert cf.decode(card.read(0, 256), key_lookup, None).image.station_code == '999999'  # master clear


def test_unknown_version_and_key():
    card = new_card()
    write(card, image())
    raw = bytearray(card.read(0, 256))
    raw[0x22] = 9
    refused('unknown_version', bytes(raw))
    card2 = new_card()
    write(card2, image())
    raw = card2.read(0, 256)
    with pytest.raises(cf.CardRefused) as info:
        cf.decode(raw, lambda s, v: None, STATION)
    assert info.value.code == 'unknown_key_version'


def test_bad_mac_on_any_change_of_the_data():
    card = new_card()
    write(card, image(credit='61'))
    raw = bytearray(card.read(0, 256))
    raw[0x37:0x3B] = (999999).to_bytes(4, 'big')   # more credit
    refused('bad_mac', bytes(raw))


def test_copied_onto_another_card_fails_the_mac():
    """The MAC covers the serial: an image copied onto another chip is refused."""
    card, other = new_card(), new_card(serial=b'\x99' * 8)
    write(card, image())
    raw = bytearray(card.read(0, 256))
    raw[0x08:0x10] = other.serial
    refused('bad_mac', bytes(raw))


def test_key_rotation_reads_old_cards():
    card = new_card()
    write(card, image(key_version=1))
    assert decode(card).image.key_version == 1
    write(card, image(key_version=2, sequence=2), present_key_version=1)   # re-keyed on its next write
    assert decode(card).image.key_version == 2


def test_write_back_two_copies_survive_a_torn_write():
    card = new_card()
    write(card, image())
    raw = bytearray(card.read(0, 256))
    first = cf.WriteBack(remaining=D('41'), cumulative_purchased=D('41'), insert_count=1)
    for address, data in cf.encode_write_back(bytes(raw), first).items():
        raw[address:address + len(data)] = data
    second = cf.WriteBack(remaining=D('30'), cumulative_purchased=D('41'), total_consumption=D('11'), insert_count=2)
    writes = cf.encode_write_back(bytes(raw), second)
    (address, data), = writes.items()
    assert address != 0x70  # the second copy goes to the other slot
    torn = bytearray(raw)
    torn[address:address + 10] = data[:10]  # power cut half way
    survivor = cf.decode_write_back(bytes(torn))
    assert survivor.remaining == D('41') and survivor.generation == 1
    raw[address:address + len(data)] = data
    latest = cf.decode_write_back(bytes(raw))
    assert (latest.remaining, latest.generation, latest.total_consumption) == (D('30'), 2, D('11'))


def test_values_that_do_not_fit_are_refused():
    with pytest.raises(ValueError):
        cf.pack_image(image(credit='0.001'))
    with pytest.raises(ValueError):
        cf.pack_image(image(station='1234567'))

"""Hypothesis: random bytes and single-bit flips never crash the decoder and never pass."""
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.prepaid_electricity.domain import card_format as cf

from .card_helpers import STATION, image, key_lookup, new_card, write

CARD = new_card()
write(CARD, image())
VALID = CARD.read(0, 256)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_random_bytes_only_ever_refused(raw):
    try:
        cf.decode(raw, key_lookup, STATION)
    except cf.CardRefused:
        return
    raise AssertionError("random bytes accepted as a card")


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=64, max_size=64))
def test_random_data_with_magic_only_ever_refused(body):
    raw = bytearray(VALID)
    raw[0x20:0x60] = b'PE\x01' + body[3:]
    try:
        cf.decode(bytes(raw), key_lookup, STATION)
    except cf.CardRefused:
        return
    raise AssertionError("forged data accepted")


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=0x68 * 8 - 1))
def test_any_bit_flip_of_the_protected_part_is_refused(bit):
    """Flipping any bit of the serial, data, MAC or flag never gives an accepted image with
    other contents."""
    raw = bytearray(VALID)
    raw[bit // 8] ^= 1 << (bit % 8)
    try:
        decoded = cf.decode(bytes(raw), key_lookup, STATION)
    except cf.CardRefused:
        return
    # only the factory bytes outside the serial are not authenticated
    assert bit // 8 < 0x08 or 0x10 <= bit // 8 < 0x20
    assert decoded.image == image()


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0x70 * 8, max_value=0xB0 * 8 - 1))
def test_write_back_bit_flips_are_detected(bit):
    from decimal import Decimal as D
    raw = bytearray(VALID)
    for address, data in cf.encode_write_back(bytes(raw), cf.WriteBack(remaining=D('41'), insert_count=1)).items():
        raw[address:address + len(data)] = data
    good = cf.decode_write_back(bytes(raw))
    raw[bit // 8] ^= 1 << (bit % 8)
    seen = cf.decode_write_back(bytes(raw))
    assert seen is None or seen == good

"""Hypothesis: the decoder never crashes and never accepts modified card data.

- random bytes (any length) only ever give CardRefused;
- any single-bit flip of the serial, the MAC'd data, the MAC or the flag is refused, and so
  is any random corruption of the serial, data or MAC; the flag (outside the MAC) only ever
  reads as valid, consumed or torn; flips in the unauthenticated factory bytes leave the
  same image;
- flips and corruption in the write-back area are either detected (CRC or tag) and the
  other copy is used, or the copy is unchanged: never a modified write-back.
"""
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import card_crypto as cc
from engine import card_format as cf
from engine.tests.card_helpers import KEYS, STATION, image, key_lookup, new_card, write

CARD = new_card()
write(CARD, image())
VALID = CARD.read(0, 256)
CARD_KEY = cc.diversify(KEYS[(STATION, 1)], STATION, CARD.serial)
OLDER = cf.WriteBack(remaining=D('41'), cumulative_purchased=D('41'), insert_count=1, sequence=1,
                     meter_number='000012345678')
NEWER = cf.WriteBack(remaining=D('30.5'), cumulative_purchased=D('41'), total_consumption=D('10.5'),
                     insert_count=2, sequence=1, meter_number='000012345678', status=cf.STATUS_NORMAL)
WITH_WRITE_BACK = cf.apply_writes(VALID, cf.encode_write_back(VALID, OLDER, CARD_KEY))
WITH_WRITE_BACK = cf.apply_writes(WITH_WRITE_BACK, cf.encode_write_back(WITH_WRITE_BACK, NEWER, CARD_KEY))
GOOD_OLDER, GOOD_NEWER = cf.write_back_copies(WITH_WRITE_BACK, CARD_KEY)
PROTECTED_END = cf.FLAG_ADDRESS + 1          # serial 0x08-0x0F, data, MAC, flag
UNAUTHENTICATED = set(range(0x00, 0x08)) | set(range(0x10, 0x20))


def only_refused(raw, station=STATION):
    try:
        cf.decode(raw, key_lookup, station)
    except cf.CardRefused as refusal:
        assert refusal.code in ('blank', 'not_ours', 'truncated', 'unknown_version', 'foreign_station',
                                'unknown_key_version', 'bad_mac', 'torn')
        return refusal
    raise AssertionError("modified or random bytes accepted as a card")


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_random_bytes_only_ever_refused(raw):
    only_refused(raw)
    only_refused(raw, station=None)


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=64, max_size=64), st.binary(min_size=9, max_size=9), st.sampled_from([1, 2]))
def test_random_data_behind_a_good_header_only_ever_refused(body, mac_and_flag, key_version):
    """Forged data with the right magic, version, station and a known key version."""
    raw = bytearray(VALID)
    raw[0x20:0x60] = b'PE\x01' + body[3:4] + bytes([key_version]) + body[5:6] + bytes.fromhex(STATION) + body[9:]
    raw[0x60:0x69] = mac_and_flag
    only_refused(bytes(raw))


@settings(max_examples=1000, deadline=None)
@given(st.integers(min_value=0, max_value=PROTECTED_END * 8 - 1))
def test_any_bit_flip_of_the_protected_part_is_refused(bit):
    raw = bytearray(WITH_WRITE_BACK)
    raw[bit // 8] ^= 1 << (bit % 8)
    if bit // 8 in UNAUTHENTICATED:
        assert cf.decode(bytes(raw), key_lookup, STATION).image == image()
    else:
        only_refused(bytes(raw))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.integers(min_value=0x08, max_value=cf.MAC_END - 1).filter(lambda a: a not in UNAUTHENTICATED),
                       st.integers(min_value=1, max_value=255), min_size=1, max_size=12),
       st.integers(min_value=0, max_value=255))
def test_any_corruption_of_the_mac_protected_part_is_refused(masks, flag):
    """Serial, card data or MAC changed in any way: refused, whatever the flag says."""
    raw = bytearray(WITH_WRITE_BACK)
    for address, mask in masks.items():
        raw[address] ^= mask
    raw[cf.FLAG_ADDRESS] = flag
    only_refused(bytes(raw))


@settings(max_examples=256, deadline=None)
@given(st.integers(min_value=0, max_value=255))
def test_any_flag_value(flag):
    """The flag is outside the MAC (the meter flips it): any value either reads as torn or
    leaves the same image, valid only on A5 (the meter's sequence check stops replays)."""
    raw = bytearray(WITH_WRITE_BACK)
    raw[cf.FLAG_ADDRESS] = flag
    try:
        decoded = cf.decode(bytes(raw), key_lookup, STATION)
    except cf.CardRefused as refusal:
        assert refusal.code == 'torn' and flag not in (cf.FLAG_VALID, cf.FLAG_CONSUMED)
        return
    assert decoded.image == image() and decoded.is_credit_valid == (flag == cf.FLAG_VALID)
    assert flag in (cf.FLAG_VALID, cf.FLAG_CONSUMED)


def decoded_write_back(raw):
    return cf.decode(raw, key_lookup, STATION).write_back


@settings(max_examples=1000, deadline=None)
@given(st.integers(min_value=cf.WRITE_BACK_ADDRESSES[0] * 8, max_value=cf.USER_END * 8 - 1))
def test_write_back_bit_flips_are_detected_or_fall_back(bit):
    assert decoded_write_back(WITH_WRITE_BACK) == GOOD_NEWER
    raw = bytearray(WITH_WRITE_BACK)
    raw[bit // 8] ^= 1 << (bit % 8)
    seen = decoded_write_back(bytes(raw))
    in_newer = cf.WRITE_BACK_ADDRESSES[1] <= bit // 8 < cf.USER_END
    assert seen == (GOOD_OLDER if in_newer else GOOD_NEWER)   # the damaged copy is never used


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.integers(min_value=0x70, max_value=0xCF), st.integers(min_value=1, max_value=255),
                       min_size=1, max_size=20))
def test_write_back_corruption_never_yields_modified_values(masks):
    raw = bytearray(WITH_WRITE_BACK)
    for address, mask in masks.items():
        raw[address] ^= mask
    assert decoded_write_back(bytes(raw)) in (GOOD_OLDER, GOOD_NEWER, None)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=cf.WRITE_BACK_SIZE))
def test_torn_write_back_keeps_the_last_good_copy(cut):
    """The meter's next write-back torn after `cut` bytes: the newest complete copy wins."""
    third = cf.WriteBack(remaining=D('20'), insert_count=3, meter_number='000012345678', sequence=2)
    (address, data), = cf.encode_write_back(WITH_WRITE_BACK, third, CARD_KEY).items()
    assert address == cf.WRITE_BACK_ADDRESSES[0]                 # over the older copy
    torn = bytearray(WITH_WRITE_BACK)
    torn[address:address + cut] = data[:cut]
    seen = decoded_write_back(bytes(torn))
    if cut == cf.WRITE_BACK_SIZE:
        assert seen.remaining == D('20') and seen.generation == GOOD_NEWER.generation + 1
    else:
        assert seen == GOOD_NEWER

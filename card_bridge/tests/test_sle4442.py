"""The virtual SLE4442 behaves like the chip."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_bridge import sle4442
from card_bridge.sle4442 import TRANSPORT_PSC, VirtualSle4442

SERIAL = bytes.fromhex('1020304050607080')
PSC = b'\x12\x34\x56'


def card(psc=TRANSPORT_PSC):
    return VirtualSle4442(serial=SERIAL, psc=psc)


def test_new_card():
    chip = card()
    assert chip.serial == SERIAL
    assert chip.read(0, 4) == bytes.fromhex('A2131091')            # ATR header
    assert chip.read(0x08, 8) == SERIAL
    assert chip.read(0x20, 0xE0) == b'\xff' * 0xE0                  # blank user area
    assert chip.read_error_counter() == 3
    assert chip.read_protection() == bytes(4)                       # factory area protected (0 = protected)
    assert chip.psc == TRANSPORT_PSC
    assert len(VirtualSle4442().serial) == 8                        # random serial
    with pytest.raises(ValueError):
        VirtualSle4442(serial=b'short')
    with pytest.raises(ValueError):
        VirtualSle4442(serial=SERIAL, psc=b'\x00')


def test_read_is_always_allowed_but_bounded():
    chip = card()
    assert len(chip.read(0, 256)) == 256
    for address, length in ((250, 7), (-1, 1), (0, -1), (256, 1)):
        with pytest.raises(ValueError):
            chip.read(address, length)


def test_writes_ignored_without_psc():
    chip = card()
    chip.write(0x40, b'\x01\x02')
    assert chip.read(0x40, 2) == b'\xff\xff'
    chip.present_psc(b'\x00\x00\x00')                               # a wrong PSC does not unlock
    chip.write(0x40, b'\x01\x02')
    assert chip.read(0x40, 2) == b'\xff\xff'
    assert chip.present_psc(TRANSPORT_PSC) == 3
    chip.write(0x40, b'\x01\x02')
    assert chip.read(0x40, 2) == b'\x01\x02'
    chip.power_off()                                                # pulled: PSC needed again
    chip.write(0x40, b'\x09')
    assert chip.read(0x40, 1) == b'\x01'
    with pytest.raises(ValueError):
        chip.write(255, b'\x00\x00')


def test_psc_error_counter_locks_after_three():
    chip = card(PSC)
    assert chip.present_psc(b'\x00\x00\x00') == 2
    assert chip.present_psc(PSC) == 3                               # the right PSC resets the counter
    for expected in (2, 1):
        assert chip.present_psc(b'\x00\x00\x01') == expected
    assert chip.present_psc(PSC) == 3                               # still in time with one try left
    for expected in (2, 1, 0):
        assert chip.present_psc(b'\x00\x00\x01') == expected
    assert chip.is_locked
    assert chip.present_psc(PSC) == 0                               # locked for good
    chip.write(0x40, b'\x00')
    assert chip.read(0x40, 1) == b'\xff'
    assert chip.read(0, 256)                                        # still readable
    assert not chip.change_psc(b'\x00\x00\x00')


def test_wrong_length_psc_is_a_wrong_psc():
    chip = card(PSC)
    assert chip.present_psc(b'\x12\x34') == 2
    assert chip.present_psc(b'') == 1


def test_change_psc_only_after_verification():
    chip = card()
    assert not chip.change_psc(PSC)
    assert chip.psc == TRANSPORT_PSC
    chip.present_psc(TRANSPORT_PSC)
    assert not chip.change_psc(b'\x01\x02')                         # 3 bytes or nothing
    assert chip.change_psc(PSC)
    chip.power_off()
    assert chip.present_psc(TRANSPORT_PSC) == 2                     # the old one no longer works
    assert chip.present_psc(PSC) == 3


def test_security_memory_hides_the_psc_until_verified():
    chip = card(PSC)
    assert chip.read_security_memory() == b'\x07\x00\x00\x00'
    chip.present_psc(b'\x00\x00\x00')
    assert chip.read_security_memory() == b'\x03\x00\x00\x00'
    chip.present_psc(PSC)
    assert chip.read_security_memory() == b'\x07' + PSC


def test_factory_area_is_protected():
    chip = card()
    chip.present_psc(TRANSPORT_PSC)
    chip.write(0x00, b'\x00' * 0x20)
    chip.write(0x08, b'\x99' * 8)                                   # the serial cannot be changed
    assert chip.read(0, 4) == bytes.fromhex('A2131091') and chip.serial == SERIAL
    chip.write(0x1E, b'\xaa\xbb\xcc\xdd')                           # a write across the boundary
    assert chip.read(0x1E, 4) == b'\x00\x00\xcc\xdd'


def test_protection_bits_only_burn():
    chip = card()
    chip.protection = bytearray(b'\xff\xff\xff\xff')                # as if nothing were protected yet
    chip.burn_protection(0x10, b'\x00')                             # without the PSC: ignored
    assert chip.read_protection() == b'\xff\xff\xff\xff'
    chip.present_psc(TRANSPORT_PSC)
    chip.burn_protection(0x10, b'\x01')                             # content differs: not burnt
    assert chip.read_protection() == b'\xff\xff\xff\xff'
    chip.burn_protection(0x10, b'\x00\x00')                         # bytes 0x10 and 0x11
    assert chip.read_protection() == b'\xff\xff\xfc\xff'
    chip.write(0x10, b'\x55\x55\x55')
    assert chip.read(0x10, 3) == b'\x00\x00\x55'
    chip.burn_protection(0x40, b'\xff')                             # beyond 0x1F: no bit there
    assert chip.read_protection() == b'\xff\xff\xfc\xff'
    # nothing sets a bit again: a burnt byte stays protected whatever is written
    chip.write(0x10, b'\x00')
    assert chip.read_protection() == b'\xff\xff\xfc\xff'


def test_state_round_trip():
    chip = card(PSC)
    chip.present_psc(PSC)
    chip.write(0x20, b'PE\x01')
    chip.present_psc(b'\x00\x00\x00')
    saved = chip.to_bytes()
    assert len(saved) == sle4442.STATE_SIZE
    again = VirtualSle4442.from_bytes(saved)
    assert again.read(0, 256) == chip.read(0, 256)
    assert (again.psc, again.read_error_counter(), again.read_protection()) == (PSC, 2, bytes(4))
    assert not again.unlocked                                       # a loaded card starts powered off
    for bad in (saved[:-1], saved[:-1] + b'\x04'):
        with pytest.raises(ValueError):
            VirtualSle4442.from_bytes(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(['present', 'write', 'burn', 'change', 'off']),
                          st.integers(min_value=0, max_value=255), st.binary(min_size=1, max_size=8)),
                max_size=30))
def test_factory_area_and_lock_survive_any_command_sequence(commands):
    chip = card(PSC)
    factory = chip.read(0, 32)
    for command, address, data in commands:
        address = min(address, 256 - len(data))
        was_locked = chip.is_locked
        if command == 'present':
            chip.present_psc(data[:3])
        elif command == 'write':
            chip.write(address, data)
        elif command == 'burn':
            chip.burn_protection(address, data)
        elif command == 'change':
            chip.change_psc(data[:3])
        else:
            chip.power_off()
        assert chip.read(0, 32) == factory
        assert chip.read_protection() == bytes(4)
        assert not was_locked or chip.is_locked
        assert 0 <= chip.read_error_counter() <= 3

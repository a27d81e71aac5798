"""DL/T 645-2007 codec against hand-checked frames (meter 123456789012: A0..A5 = 12 90 78 56 34 12)."""
import datetime as dt
from decimal import Decimal

import pytest

from head_end import dlt645

METER = '123456789012'
EXPIRY = dt.datetime(2030, 12, 31, 23, 59, 59)


def frame(text):
    return bytes.fromhex(text)


# --- the two frames of the issue -----------------------------------------------------------------

def test_read_forward_active_total_is_the_issues_frame():
    assert dlt645.read_request(METER, dlt645.di_current_forward(0)) == frame(
        '68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16')


def test_trip_is_the_issues_frame():
    command = dlt645.RelayCommand(dlt645.TRIP, EXPIRY, level=0x02, password='000000', operator='00000000')
    assert dlt645.relay_request(METER, command) == frame(
        '68 12 90 78 56 34 12 68 1C 10 35 33 33 33 33 33 33 33 4D 33 8C 8C 56 64 45 63 46 16')


# --- every DI used: the request, hand-checked, and its round trip --------------------------------

READ_REQUESTS = [
    (0x00010000, '33 33 34 33 68'),     # current forward active total
    (0x00010100, '33 34 34 33 69'),     # T1 sharp
    (0x00010200, '33 35 34 33 6A'),     # T2 peak
    (0x00010300, '33 36 34 33 6B'),     # T3 flat
    (0x00010400, '33 37 34 33 6C'),     # T4 valley
    (0x0001FF00, '33 32 34 33 67'),     # the block total..T4
    (0x05060001, '34 33 39 38 73'),     # daily freeze time, 1 day back
    (0x0506003E, '71 33 39 38 B0'),     # ... 62 days back
    (0x05060101, '34 34 39 38 74'),     # daily forward active energy total..T4, 1 day back
    (0x04000503, '36 38 33 37 73'),     # status word 3
]


@pytest.mark.parametrize('di, tail', READ_REQUESTS, ids=[f'{di:08X}' for di, _ in READ_REQUESTS])
def test_read_request_of_every_di(di, tail):
    raw = dlt645.read_request(METER, di)
    assert raw == frame(f'68 12 90 78 56 34 12 68 11 04 {tail} 16')
    decoded = dlt645.decode(raw)
    assert (decoded.address, decoded.control, decoded.is_answer) == (METER, 0x11, False)
    assert dlt645.requested_di(decoded) == di


def test_di_helpers():
    assert [dlt645.di_current_forward(n) for n in range(5)] == [0x00010000, 0x00010100, 0x00010200, 0x00010300,
                                                                0x00010400]
    assert dlt645.di_daily_freeze_time(1) == 0x05060001 and dlt645.di_daily_freeze_time(62) == 0x0506003E
    assert dlt645.di_daily_forward_energy(1) == 0x05060101 and dlt645.di_daily_forward_energy(62) == 0x0506013E
    for wrong in (0, 63):
        with pytest.raises(ValueError):
            dlt645.di_daily_freeze_time(wrong)
    with pytest.raises(ValueError):
        dlt645.di_current_forward(5)


def test_energy_answer_hand_checked():
    raw = dlt645.read_answer(METER, 0x00010000, dlt645.encode_energy(Decimal('1234.56')))
    assert raw == frame('68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16')
    assert dlt645.decode_energy(dlt645.parse_read_answer(dlt645.decode(raw), 0x00010000)) == Decimal('1234.56')


def test_freeze_time_answer_hand_checked():
    raw = dlt645.read_answer(METER, 0x05060001, dlt645.encode_freeze_time(dt.datetime(2017, 5, 16, 0, 0)))
    assert raw == frame('68 12 90 78 56 34 12 68 91 09 34 33 39 38 33 33 49 38 4A 29 16')
    payload = dlt645.parse_read_answer(dlt645.decode(raw), 0x05060001)
    assert dlt645.decode_freeze_time(payload) == dt.datetime(2017, 5, 16, 0, 0)


def test_status_word_3_answer_hand_checked():
    raw = dlt645.read_answer(METER, 0x04000503, dlt645.StatusWord3(dlt645.SW3_RELAY_OPEN).encode())
    assert raw == frame('68 12 90 78 56 34 12 68 91 06 36 38 33 37 43 33 6B 16')
    word = dlt645.StatusWord3.decode(dlt645.parse_read_answer(dlt645.decode(raw), 0x04000503))
    assert word.relay_open and not word.keep_power


def test_status_word_3_bits():
    """Bit 4 relay (1 open), bit 6 relay command (1 trip), bit 12 keep power (the second byte's bit 4)."""
    assert dlt645.StatusWord3(0).relay == 'closed'
    assert dlt645.StatusWord3(0x0050).relay == 'open'
    assert dlt645.StatusWord3(0x0010).relay == 'close_allowed'   # open, but the command says close
    word = dlt645.StatusWord3.decode(bytes([0x00, 0x10]))
    assert word.keep_power and word.relay == 'closed'


def test_register_block_round_trip():
    values = tuple(Decimal(v) for v in ('19.29', '0.00', '13.11', '0.00', '6.18'))
    raw = dlt645.read_answer(METER, 0x05060101, dlt645.encode_registers(values))
    decoded = dlt645.decode(raw)
    assert decoded.control == 0x91 and len(decoded.data) == 24
    assert dlt645.decode_registers(dlt645.parse_read_answer(decoded, 0x05060101)) == values


def test_register_formats():
    assert dlt645.encode_energy(Decimal('999999.99')) == frame('99 99 99 99')
    assert dlt645.encode_energy(Decimal('1000000.01')) == frame('01 00 00 00')     # the register rolls over
    assert dlt645.encode_energy(Decimal('0.019')) == frame('01 00 00 00')          # shown to the cent, truncated
    assert dlt645.decode_registers(frame('00 01 00 00  00 01 00 00')) == (
        Decimal('1.00'), Decimal('1.00'), Decimal('0.00'), Decimal('0.00'), Decimal('0.00'))
    with pytest.raises(dlt645.FrameError):
        dlt645.decode_energy(frame('1A 00 00 00'))                                  # not BCD
    with pytest.raises(dlt645.FrameError):
        dlt645.decode_freeze_time(frame('00 00 32 01 17'))                         # day 32


def test_follow_up_flag():
    raw = dlt645.read_answer(METER, 0x0001FF00, bytes(20), follow_up=True)
    decoded = dlt645.decode(raw)
    assert decoded.control == 0xB1 and decoded.follow_up
    assert dlt645.parse_read_answer(decoded, 0x0001FF00) == bytes(20)


def test_abnormal_read_answer_hand_checked():
    raw = dlt645.error_answer(METER, dlt645.READ, dlt645.ERR_NO_DATA)
    assert raw == frame('68 12 90 78 56 34 12 68 D1 01 35 8D 16')
    with pytest.raises(dlt645.MeterError, match='no requested data') as caught:
        dlt645.parse_read_answer(dlt645.decode(raw), 0x05060001)
    assert caught.value.err == 0x02


def test_answer_for_another_di_is_refused():
    raw = dlt645.read_answer(METER, 0x00010100, bytes(4))
    with pytest.raises(dlt645.FrameError, match='not for DI 00010000'):
        dlt645.parse_read_answer(dlt645.decode(raw), 0x00010000)


# --- every relay control code --------------------------------------------------------------------

RELAY_REQUESTS = [
    (dlt645.TRIP, '4D', '46'),
    (dlt645.CLOSE_ALLOWED, '4E', '47'),
    (dlt645.CLOSE, '4F', '48'),
    (dlt645.KEEP_POWER_ON, '6D', '66'),
    (dlt645.KEEP_POWER_OFF, '6E', '67'),
]


@pytest.mark.parametrize('action, n1, cs', RELAY_REQUESTS, ids=['1A', '1B', '1C', '3A', '3B'])
def test_relay_request_of_every_code(action, n1, cs):
    raw = dlt645.relay_request(METER, dlt645.RelayCommand(action, EXPIRY))
    assert raw == frame(f'68 12 90 78 56 34 12 68 1C 10 35 33 33 33 33 33 33 33 {n1} 33 8C 8C 56 64 45 63 {cs} 16')
    command = dlt645.parse_relay_request(dlt645.decode(raw))
    assert command == dlt645.RelayCommand(action, EXPIRY)


def test_relay_request_password_and_operator_low_byte_first():
    command = dlt645.RelayCommand(dlt645.CLOSE, dt.datetime(2025, 1, 2, 3, 4, 5), level=0x04, password='123456',
                                  operator='89ABCDEF')
    data = dlt645.decode(dlt645.relay_request(METER, command)).data
    assert data == frame('04 56 34 12 EF CD AB 89 1C 00 05 04 03 02 01 25')
    assert dlt645.parse_relay_request(dlt645.decode(dlt645.relay_request(METER, command))) == command


def test_relay_answers_hand_checked():
    ok = dlt645.relay_answer(METER)
    assert ok == frame('68 12 90 78 56 34 12 68 9C 00 22 16')
    assert dlt645.parse_relay_answer(dlt645.decode(ok)) is None
    refused = dlt645.error_answer(METER, dlt645.RELAY_CONTROL, dlt645.ERR_CONTROL_KEEP_POWER)
    assert refused == frame('68 12 90 78 56 34 12 68 DC 01 53 B6 16')
    with pytest.raises(dlt645.MeterError, match='keep-power') as caught:
        dlt645.parse_relay_answer(dlt645.decode(refused))
    assert caught.value.function == 0x1C


def test_relay_answer_is_not_a_read_answer():
    with pytest.raises(dlt645.FrameError):
        dlt645.parse_relay_answer(dlt645.decode(dlt645.read_answer(METER, 0x04000503, bytes(2))))


# --- bad input -----------------------------------------------------------------------------------

GOOD = frame('68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16')


def test_bad_checksum():
    with pytest.raises(dlt645.ChecksumError, match='bad checksum: 69'):
        dlt645.decode(GOOD[:-2] + b'\x69\x16')
    # in a stream the broken frame is dropped up to its second 68, which could start a frame
    assert dlt645.extract(GOOD[:-2] + b'\x69\x16') == (None, 7)
    assert dlt645.extract(GOOD[:-2] + b'\x69\x16' + GOOD) == (GOOD, 2 * len(GOOD))


def test_truncated_frame():
    with pytest.raises(dlt645.TruncatedFrame):
        dlt645.decode(GOOD[:-1])
    with pytest.raises(dlt645.TruncatedFrame):
        dlt645.decode(GOOD[:6])
    assert dlt645.extract(GOOD[:-1]) == (None, 0)       # wait for the rest


def test_garbage_and_preamble_before_the_frame():
    noisy = frame('00 FF 68 01 16') + dlt645.PREAMBLE + GOOD
    assert dlt645.decode(noisy) == dlt645.Frame(METER, 0x11, frame('00 00 01 00'))
    raw, used = dlt645.extract(noisy + GOOD[:3])
    assert raw == GOOD and used == len(noisy)
    assert dlt645.Frame(METER, 0x11, frame('00 00 01 00')).encode(preamble=True) == dlt645.PREAMBLE + GOOD


def test_wrong_address():
    with pytest.raises(dlt645.AddressMismatch, match='frame of meter 123456789012, expected 000000000001'):
        dlt645.decode(GOOD, address='000000000001')
    assert dlt645.decode(GOOD, address=METER).address == METER


def test_not_a_frame():
    for raw in (b'', frame('01 02 03'), frame('68 12 90 78 56 34 12 69 11 00 00 16')):
        with pytest.raises(dlt645.FrameError):
            dlt645.decode(raw)
    with pytest.raises(dlt645.FrameError, match='does not end with 16'):
        dlt645.decode(GOOD[:-1] + b'\x17')


def test_bad_addresses():
    for address in ('12345678901', '12345678901A', ''):
        with pytest.raises(ValueError):
            dlt645.encode_address(address)

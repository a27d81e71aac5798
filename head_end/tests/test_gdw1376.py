"""Q/GDW 1376.1 codec against hand-checked frames and frames as concentrators send them."""
import datetime as dt

import pytest

from head_end import dlt645, gdw1376

ASSET = '17000405'
A = gdw1376.Address.from_asset(ASSET)
# A login, a heartbeat and the master's confirmation as they appear in public 1376.1 captures
# (area 0200, terminal 1234H).
LOGIN_0200_1234 = '68 32 00 32 00 68 C9 00 02 34 12 00 02 71 00 00 01 00 85 16'
HEARTBEAT_0200_1234 = '68 32 00 32 00 68 C9 00 02 34 12 00 02 71 00 00 04 00 88 16'
CONFIRM_0200_1234 = '68 32 00 32 00 68 0B 00 02 34 12 00 00 61 00 00 01 00 B5 16'
READ_TOTAL = bytes.fromhex('68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16')
TOTAL_ANSWER = bytes.fromhex('68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16')   # 1234.56 kWh


def frame(text):
    return bytes.fromhex(text)


# --- address -------------------------------------------------------------------------------------

def test_asset_number_to_a1_a2():
    """The first four digits are the area code (BCD), the last four the terminal address in hex,
    as master stations print them: 19040011 is sent 04 19 11 00."""
    assert A == gdw1376.Address('1700', 0x0405)
    assert A.encode() == frame('00 17 05 04 00')
    assert gdw1376.Address.from_asset('19040011').encode() == frame('04 19 11 00 00')
    assert gdw1376.Address.decode(frame('00 17 05 04 00')).asset == ASSET
    assert A.with_master(1).encode() == frame('00 17 05 04 02')
    assert gdw1376.Address.decode(frame('00 17 05 04 03')) == gdw1376.Address('1700', 0x0405, master=1, group=True)


@pytest.mark.parametrize('asset', ['1700040', '170004051', '1700040A', '17000000', ''])
def test_bad_asset_numbers(asset):
    with pytest.raises(ValueError):
        gdw1376.Address.from_asset(asset)


# --- DA / DT -------------------------------------------------------------------------------------

@pytest.mark.parametrize('pn, raw', [(0, '00 00'), (1, '01 01'), (8, '80 01'), (9, '01 02'), (2040, '80 FF')])
def test_pn(pn, raw):
    assert gdw1376.encode_pn(pn) == frame(raw)
    assert gdw1376.decode_pn(frame(raw)) == [pn]


@pytest.mark.parametrize('fn, raw', [(1, '01 00'), (2, '02 00'), (3, '04 00'), (8, '80 00'), (9, '01 01'),
                                     (248, '80 1E')])
def test_fn(fn, raw):
    assert gdw1376.encode_fn(fn) == frame(raw)
    assert gdw1376.decode_fn(frame(raw)) == [fn]


def test_several_pn_and_fn_in_one_unit():
    assert gdw1376.decode_pn(frame('05 01')) == [1, 3]
    assert gdw1376.decode_fn(frame('03 00')) == [1, 2]
    with pytest.raises(gdw1376.FrameError):
        gdw1376.decode_pn(frame('01 00'))
    for wrong in (0, 249):
        with pytest.raises(ValueError):
            gdw1376.encode_fn(wrong)


# --- AFN 02 link test and AFN 00 confirmation ----------------------------------------------------

def test_login_heartbeat_and_confirmation_as_captured():
    address = gdw1376.Address('0200', 0x1234)
    assert gdw1376.link_frame(address, gdw1376.LOGIN, 1) == frame(LOGIN_0200_1234)
    assert gdw1376.link_frame(address, gdw1376.HEARTBEAT, 1) == frame(HEARTBEAT_0200_1234)
    login = gdw1376.decode(frame(LOGIN_0200_1234))
    assert (login.up, login.prm, login.function, login.afn, login.con, login.pseq) == (True, True, 9, 2, True, 1)
    assert login.units() == ([0], [1], b'')
    assert gdw1376.confirm(login) == frame(CONFIRM_0200_1234)
    confirmation = gdw1376.decode(frame(CONFIRM_0200_1234))
    assert (confirmation.up, confirmation.prm, confirmation.function, confirmation.afn) == (False, False, 11, 0)
    assert confirmation.units()[:2] == ([0], [1])


def test_login_logout_heartbeat_of_the_demo_concentrator_hand_checked():
    assert gdw1376.link_frame(A, gdw1376.LOGIN, 1) == frame(
        '68 32 00 32 00 68 C9 00 17 05 04 00 02 71 00 00 01 00 5D 16')
    assert gdw1376.link_frame(A, gdw1376.LOGOUT, 1) == frame(
        '68 32 00 32 00 68 C9 00 17 05 04 00 02 71 00 00 02 00 5E 16')
    assert gdw1376.link_frame(A, gdw1376.HEARTBEAT, 2) == frame(
        '68 32 00 32 00 68 C9 00 17 05 04 00 02 72 00 00 04 00 61 16')
    heartbeat = gdw1376.decode(gdw1376.link_frame(A, gdw1376.HEARTBEAT, 2))
    assert heartbeat.address.asset == ASSET and heartbeat.units()[1] == [3]
    assert gdw1376.confirm(heartbeat) == frame('68 32 00 32 00 68 0B 00 17 05 04 00 00 62 00 00 01 00 8E 16')


# --- AFN 10 F1 transparent forwarding ------------------------------------------------------------

FORWARD = gdw1376.ForwardRequest(port=2, baud=2400, parity='even', message_timeout=2.0, byte_timeout=0.1,
                                 payload=READ_TOTAL)
FORWARD_HAND = ('68 CA 00 CA 00 68 4A 00 17 05 04 02 10 61 00 00 01 00  02 6B 82 0A 10 00 '
                + READ_TOTAL.hex(' ') + ' ' + '00 ' * 16 + 'CD 16')


def test_forward_request_hand_checked():
    """C 4AH, A3 = master 1, AFN 10H, SEQ 61H; port 2, 6BH = 2400 bd 8E1, 82H = 2 s, 0AH = 100 ms,
    16 bytes of 645, the zero PW."""
    raw = gdw1376.forward_request(A.with_master(1), 1, FORWARD)
    assert raw == frame(FORWARD_HAND)
    decoded = gdw1376.decode(raw)
    assert decoded.pw == bytes(16) and decoded.tp is None and not decoded.up
    assert gdw1376.parse_forward_request(decoded) == FORWARD


def test_forward_request_with_time_label_hand_checked():
    tp = gdw1376.Tp.at(dt.datetime(2025, 3, 4, 10, 20, 30), pfc=5, delay=2)
    raw = gdw1376.forward_request(A.with_master(1), 1, FORWARD, tp=tp)
    assert raw == frame(FORWARD_HAND.replace('68 CA 00 CA 00', '68 E2 00 E2 00').replace(' 10 61 ', ' 10 E1 ')
                        .replace('CD 16', '05 30 20 10 04 02 B8 16'))
    decoded = gdw1376.decode(raw)
    assert decoded.tp == tp and decoded.pw == bytes(16)
    assert gdw1376.parse_forward_request(decoded).payload == READ_TOTAL


def test_forward_answer_hand_checked():
    request = gdw1376.decode(gdw1376.forward_request(A.with_master(1), 1, FORWARD))
    raw = gdw1376.forward_answer(request, 2, TOTAL_ANSWER)
    assert raw == frame('68 8E 00 8E 00 68 88 00 17 05 04 02 10 61 00 00 01 00 02 14 00 ' + TOTAL_ANSWER.hex(' ')
                        + ' F0 16')
    port, payload = gdw1376.parse_forward_answer(gdw1376.decode(raw))
    assert port == 2 and dlt645.decode_energy(
        dlt645.parse_read_answer(dlt645.decode(payload), 0x00010000)) == dlt645.decode_energy(frame('56 34 12 00'))


def test_empty_forward_answer_means_the_meter_did_not_answer():
    request = gdw1376.decode(gdw1376.forward_request(A.with_master(1), 1, FORWARD))
    raw = gdw1376.forward_answer(request, 2, b'')
    assert raw == frame('68 3E 00 3E 00 68 88 00 17 05 04 02 10 61 00 00 01 00 02 00 00 1E 16')
    assert gdw1376.parse_forward_answer(gdw1376.decode(raw)) == (2, b'')


def test_forward_answer_echoes_the_time_label_and_event_counter_is_read():
    tp = gdw1376.Tp(7, 1, 2, 3, 4, 0)
    request = gdw1376.decode(gdw1376.forward_request(A.with_master(1), 9, FORWARD, tp=tp))
    answer = gdw1376.decode(gdw1376.forward_answer(request, 2, TOTAL_ANSWER))
    assert answer.tp == tp and answer.pseq == 9 and answer.seq & gdw1376.SEQ_TPV
    with_events = gdw1376.Frame(answer.control | gdw1376.FCB_ACD, answer.address, answer.afn, answer.seq,
                                answer.body, ec=frame('03 01'), tp=tp)
    decoded = gdw1376.decode(with_events.encode())
    assert decoded.ec == frame('03 01') and gdw1376.parse_forward_answer(decoded) == (2, TOTAL_ANSWER)


@pytest.mark.parametrize('baud, parity, byte', [(2400, 'even', 0x6B), (2400, 'none', 0x63), (1200, 'odd', 0x4F),
                                                (9600, 'even', 0xCB), (300, 'none', 0x03)])
def test_comm_control_byte(baud, parity, byte):
    assert gdw1376.encode_comm_control(baud, parity) == byte
    decoded = gdw1376.decode_comm_control(byte)
    assert (decoded['baud'], decoded['parity'], decoded['data_bits'], decoded['stop_bits']) == (baud, parity, 8, 1)


def test_comm_control_refuses_what_a_port_cannot_do():
    with pytest.raises(ValueError):
        gdw1376.encode_comm_control(115200, 'even')
    with pytest.raises(ValueError):
        gdw1376.encode_comm_control(2400, 'mark')


@pytest.mark.parametrize('seconds, byte', [(0.5, 0x32), (1.27, 0x7F), (2, 0x82), (30, 0x9E), (127, 0xFF)])
def test_message_timeout(seconds, byte):
    assert gdw1376.encode_message_timeout(seconds) == byte
    assert gdw1376.decode_message_timeout(byte) == seconds


# --- bad input -----------------------------------------------------------------------------------

def test_bad_checksum():
    raw = frame(LOGIN_0200_1234)
    with pytest.raises(gdw1376.ChecksumError):
        gdw1376.decode(raw[:-2] + b'\x86\x16')


def test_truncated():
    raw = frame(FORWARD_HAND)
    with pytest.raises(gdw1376.TruncatedFrame):
        gdw1376.decode(raw[:-3])
    assert gdw1376.extract(raw[:-3]) == (None, 0)


def test_garbage_before_and_a_stream_of_two_frames():
    stream = frame('00 68 11 16 FE') + frame(LOGIN_0200_1234) + frame(HEARTBEAT_0200_1234)[:8]
    raw, used = gdw1376.extract(stream)
    assert raw == frame(LOGIN_0200_1234) and used == 5 + 20
    assert gdw1376.extract(stream[used:]) == (None, 0)


def test_bad_headers():
    login = frame(LOGIN_0200_1234)
    for broken in (login[:1] + frame('31 00') + login[3:],      # protocol identifier 1 in one L, the L differ
                   login[:1] + frame('30 00 30 00') + login[5:],  # protocol identifier 0
                   login[:5] + b'\x69' + login[6:]):            # no second 68
        with pytest.raises(gdw1376.FrameError):
            gdw1376.decode(broken)


def test_a_forward_answer_is_not_a_request_and_pw_is_required():
    request = gdw1376.decode(gdw1376.forward_request(A, 1, FORWARD))
    answer = gdw1376.decode(gdw1376.forward_answer(request, 2, b''))
    with pytest.raises(gdw1376.FrameError):
        gdw1376.parse_forward_request(answer)
    with pytest.raises(gdw1376.FrameError):
        gdw1376.parse_forward_answer(request)
    no_pw = gdw1376.Frame(request.control, request.address, request.afn, request.seq, request.body[:5]).encode()
    with pytest.raises(gdw1376.FrameError, match='PW'):
        gdw1376.decode(no_pw)


def test_forward_length_must_match():
    request = gdw1376.decode(gdw1376.forward_request(A, 1, FORWARD))
    short = gdw1376.Frame(request.control, request.address, request.afn, request.seq, request.body[:-1],
                          pw=bytes(16))
    with pytest.raises(gdw1376.FrameError, match='length'):
        gdw1376.parse_forward_request(gdw1376.decode(short.encode()))

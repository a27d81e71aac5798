"""ccTalk byte for byte, and the bill validator driver against the virtual validator over a
real pseudo-terminal (the driver opens it with pyserial, as it opens /dev/ttyUSB0)."""
import os
import select
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import serial

from card_bridge import cctalk
from card_bridge.acceptor import BillEvent, CcTalkBillAcceptor
from card_bridge.devices import DeviceError
from card_bridge.virtual_acceptor import PtyLink, VirtualBillValidator, command, control_server, send

PACKAGE = Path(__file__).resolve().parents[1]


def frame(text):
    return bytes.fromhex(text)


# ------------------------------------------------------------------ frames
def test_frames_of_the_spec():
    """The generic specification's examples: a simple poll to the bill validator is
    40 0 1 254 217, its ACK 1 0 40 0 215; to a coin acceptor (address 2) 2 0 1 254 255, ACK
    1 0 2 0 253."""
    assert cctalk.encode(40, 1, cctalk.SIMPLE_POLL) == frame('28 00 01 FE D9')
    assert cctalk.ack(1, 40) == frame('01 00 28 00 D7')
    assert cctalk.encode(2, 1, 254) == bytes([2, 0, 1, 254, 255])
    assert cctalk.ack(1, 2) == bytes([1, 0, 2, 0, 253])


def test_frames_of_the_bill_validator_commands():
    """Each checksum worked by hand: 256 - (sum of the other bytes mod 256)."""
    assert cctalk.encode(40, 1, cctalk.MODIFY_MASTER_INHIBIT, b'\x01') == frame('28 01 01 E4 01 F1')      # 271 -> 241
    assert cctalk.encode(40, 1, cctalk.READ_BUFFERED_BILL_EVENTS) == frame('28 00 01 9F 38')             # 200 -> 56
    assert cctalk.encode(40, 1, cctalk.ROUTE_BILL, [cctalk.ROUTE_STACK]) == frame('28 01 01 9A 01 3B')   # 197 -> 59
    assert cctalk.encode(40, 1, cctalk.REQUEST_BILL_ID, [5]) == frame('28 01 01 9D 05 34')               # 204 -> 52
    assert cctalk.encode(40, 1, cctalk.MODIFY_INHIBIT_STATUS, b'\xff\xff') == frame('28 02 01 E7 FF FF F0')
    assert cctalk.encode(40, 1, cctalk.REQUEST_EQUIPMENT_CATEGORY) == frame('28 00 01 F5 E2')
    assert cctalk.encode(40, 1, cctalk.REQUEST_COUNTRY_SCALING_FACTOR, b'CN') == frame('28 02 01 9C 43 4E A8')
    assert cctalk.ack(1, 40, b'CN0050A') == frame('01 07 28 00 43 4E 30 30 35 30 41 39')
    # scaling factor 100 (64 00), 2 decimal places
    assert cctalk.ack(1, 40, b'\x64\x00\x02') == frame('01 03 28 00 64 00 02 6E')


def test_decode():
    assert cctalk.decode(frame('28 00 01 FE D9')) == (40, 1, 254, b'')
    assert cctalk.decode(frame('01 03 28 00 64 00 02 6E')) == (1, 40, 0, b'\x64\x00\x02')


@pytest.mark.parametrize('raw', ['28 00 01 FE D8', '01 00 28 00 D6', '01 03 28 00 64 00 03 6E'])
def test_a_bad_checksum_is_refused(raw):
    with pytest.raises(cctalk.CcTalkError, match='checksum'):
        cctalk.decode(frame(raw))


def test_malformed_frames_are_refused():
    for raw in ('28 00 01 FE', '28 01 01 FE D9', '28 00 01 FE D9 00'):
        with pytest.raises(cctalk.CcTalkError):
            cctalk.decode(frame(raw))
    with pytest.raises(cctalk.CcTalkError):
        cctalk.encode(40, 1, 256)


def test_inhibit_mask_bill_id_and_scaling():
    assert cctalk.inhibit_mask([1, 5, 6]) == bytes([0b00110001, 0])
    assert cctalk.inhibit_mask([9, 16]) == bytes([0, 0b10000001])
    assert cctalk.enabled_types(bytes([0b00110001, 0b10000001])) == [1, 5, 6, 9, 16]
    assert cctalk.parse_bill_id('CN0100A') == ('CN', 100, 'A')
    assert cctalk.parse_bill_id(b'EU0005B') == ('EU', 5, 'B')
    assert cctalk.parse_bill_id('.......') is None
    assert cctalk.parse_bill_id('CN01A') is None
    assert cctalk.scaling(b'\x64\x00\x02') == (100, 2)
    assert cctalk.scaling(b'\x10\x27\x00') == (10000, 0)
    assert cctalk.bill_value(50, 100, 2) == Decimal('50.00')
    assert str(cctalk.bill_value(100, 1, 0)) == '100'
    assert cctalk.bill_value(5, 1, 1) == Decimal('0.5')          # a 5 jiao note, had it a validator
    assert isinstance(cctalk.bill_value(5, 1, 1), Decimal)


def test_the_event_table_is_the_spec():
    assert len(cctalk.BILL_EVENT_CODES) == 22
    assert cctalk.BILL_EVENT_CODES[14][:2] == ("Stacker full", cctalk.STATUS)
    assert cctalk.BILL_EVENT_CODES[16][:2] == ("Bill jammed in transport (safe mode)", cctalk.FATAL)
    assert cctalk.BILL_EVENT_CODES[18][1] == cctalk.FRAUD
    assert cctalk.BILL_EVENT_CODES[2][1] == cctalk.REJECT


def test_event_counter():
    count = cctalk.new_event_count
    assert count(None, 17) == (0, 0)          # first read: the buffer is older than this host
    assert count(3, 3) == (0, 0)
    assert count(3, 5) == (2, 0)
    assert count(0, 2) == (2, 0)              # first events after a reset
    assert count(255, 1) == (1, 0)            # wraps 255 -> 1, never to 0
    assert count(254, 2) == (3, 0)            # 255, 1, 2
    assert count(1, 8) == (5, 2)              # 7 new events, 5 kept: 2 lost
    assert count(250, 5) == (5, 5)            # 251..255, 1..5: 10 new
    assert count(7, 0) == (0, 0)              # a reset: nothing new
    assert [cctalk.next_counter(c) for c in (0, 1, 254, 255)] == [1, 2, 255, 1]
    assert cctalk.parse_bill_events(bytes([9, 5, 0, 0, 1, 5, 1, 0, 0, 0, 0])) == (
        9, [(5, 0), (0, 1), (5, 1), (0, 0), (0, 0)])
    with pytest.raises(cctalk.CcTalkError):
        cctalk.parse_bill_events(b'\x01\x02')


# ------------------------------------------------------------------ the virtual validator on a pty
@pytest.fixture
def validator():
    return VirtualBillValidator()


@pytest.fixture(params=[False, True], ids=['no-echo', 'echo'])
def link(request, validator):
    with PtyLink(validator, echo=request.param) as link:
        yield link


@pytest.fixture
def acceptor(link):
    # auto mode: the echo, when there is one, is skipped as a frame not addressed to the host
    driver = CcTalkBillAcceptor(link.path, timeout=0.3)
    yield driver
    driver.close()


def exchange(path, request, echo=False):
    with serial.Serial(path, 9600, timeout=0.5) as port:
        port.write(request)
        if echo:
            assert port.read(len(request)) == request
        head = port.read(2)
        return head + port.read(head[1] + 3) if len(head) == 2 else head


def test_the_virtual_validator_answers_byte_for_byte(validator):
    with PtyLink(validator) as link:
        assert exchange(link.path, frame('28 00 01 FE D9')) == frame('01 00 28 00 D7')
        assert exchange(link.path, frame('28 01 01 9D 05 34')) == frame('01 07 28 00 43 4E 30 30 35 30 41 39')
        assert exchange(link.path, frame('28 02 01 9C 43 4E A8')) == frame('01 03 28 00 64 00 02 6E')
        assert exchange(link.path, frame('28 00 01 F5 E2')) == cctalk.ack(1, 40, b'Bill Validator')
        assert exchange(link.path, frame('28 00 01 FE D8')) == b''                   # bad checksum: silence
        assert exchange(link.path, cctalk.encode(41, 1, 254)) == b''                 # someone else's address
        assert exchange(link.path, frame('28 01 01 9A 01 3B')) == cctalk.ack(1, 40, [254])   # escrow empty
        assert exchange(link.path, frame('28 00 01 9F 38')) == cctalk.ack(1, 40, bytes(11))  # counter 0
    with PtyLink(validator, echo=True) as link:
        assert exchange(link.path, frame('28 00 01 FE D9'), echo=True) == frame('01 00 28 00 D7')


def test_identify_and_enable(acceptor, validator):
    found = acceptor.identify()
    assert found['category'] == 'Bill Validator'
    assert {bill.number: (bill.code, bill.value) for bill in found['bill_types'].values()} == {
        1: ('CN0001A', Decimal('1.00')), 2: ('CN0005A', Decimal('5.00')), 3: ('CN0010A', Decimal('10.00')),
        4: ('CN0020A', Decimal('20.00')), 5: ('CN0050A', Decimal('50.00')), 6: ('CN0100A', Decimal('100.00'))}
    assert acceptor.enable([Decimal('50.00'), Decimal('100'), Decimal('1000')]) == [Decimal('50.00'), Decimal('100.00')]
    assert validator.master_enabled
    assert validator.mask == bytes([0b00110000, 0])
    acceptor.disable()
    assert not validator.master_enabled and validator.mask == b'\x00\x00'
    with pytest.raises(DeviceError) as info:
        acceptor.enable([Decimal('3')])
    assert info.value.code == 'no_denominations'


def test_a_note_in_escrow_stacked_is_credited(acceptor, validator):
    acceptor.enable([Decimal('50'), Decimal('20')])
    assert acceptor.poll() == []
    assert validator.insert(Decimal('50')) == 'escrow'
    assert acceptor.poll() == [('escrow', Decimal('50.00'))]
    assert validator.cashbox == []                         # held, not yet money
    assert acceptor.stack() is True
    assert acceptor.poll() == [BillEvent('stacked', Decimal('50.00'))]
    assert validator.cashbox == [Decimal('50.00')]
    assert acceptor.stack() is False                       # escrow empty now
    assert acceptor.poll() == []


def test_a_note_returned(acceptor, validator):
    acceptor.enable([Decimal('20')])
    validator.insert(20)
    assert acceptor.return_bill() is True
    assert acceptor.poll() == [('escrow', Decimal('20.00')), ('returned', None)]
    assert validator.cashbox == [] and validator.escrow is None
    validator.insert(50)                                   # not enabled: refused at the mouth
    validator.insert(7)                                    # no such note
    assert acceptor.poll() == [('fault', 'inhibited'), ('fault', 'rejected')]
    validator.insert(20)
    acceptor.disable()                                     # disabling hands a note in escrow back
    assert acceptor.poll() == [('escrow', Decimal('20.00')), ('returned', None)]
    assert validator.insert(20) == 'inhibited'


def test_jam_and_cashbox_full(acceptor, validator):
    acceptor.enable([Decimal('50')])
    validator.insert(50)
    validator.jam()
    assert acceptor.poll() == [('escrow', Decimal('50.00')), ('fault', 'jam')]
    assert acceptor.state == 'jam' and acceptor.status() == 'jam'
    assert acceptor.stack() is False                        # the note is in the jam, not in escrow
    assert validator.insert(50) == 'jammed'
    validator.power_cycle()                                 # the attendant clears the jam
    assert acceptor.poll() == [('reset', None)]
    assert acceptor.state == 'ok'
    acceptor.enable([Decimal('50')])
    validator.insert(50)
    acceptor.poll()
    validator.cashbox_full()
    with pytest.raises(DeviceError) as info:
        acceptor.stack()
    assert info.value.code == 'route_failed'
    assert acceptor.poll() == [('fault', 'cashbox_full')]
    assert acceptor.status() == 'cashbox_full'
    validator.remove_cashbox()
    validator.insert_cashbox()
    assert acceptor.poll() == [('fault', 'cashbox_removed'), ('status', 'cashbox_inserted')]
    assert acceptor.state == 'ok'


def test_event_counter_wrap_and_lost_events(acceptor, validator):
    validator.counter = 253
    acceptor.enable([Decimal('10')])                        # its first poll reads counter 253
    assert acceptor.counter == 253
    for _ in range(3):                                      # 254, 255, 1
        validator.insert(99)
    assert validator.counter == 1
    assert acceptor.poll() == [('fault', 'rejected')] * 3
    validator.insert(10)                                    # 2, 3, 4: escrow, returned, escrow
    acceptor.return_bill()
    validator.insert(10)
    events = acceptor.poll()
    assert events == [('escrow', Decimal('10.00')), ('returned', None), ('escrow', Decimal('10.00'))]
    acceptor.return_bill()
    for _ in range(6):                                      # 7 events between two reads: 2 lost
        validator.insert(99)
    events = acceptor.poll()
    assert events[0] == ('fault', 'lost_events')
    assert events[1:] == [('fault', 'rejected')] * 5


def test_first_poll_skips_older_events(link, validator):
    validator.master_enabled = True
    validator.mask = cctalk.inhibit_mask([5])
    validator.insert(50)
    validator._route(cctalk.ROUTE_STACK)                     # before this bridge session
    driver = CcTalkBillAcceptor(link.path, timeout=0.3)
    try:
        driver.identify()
        assert driver.poll() == []
    finally:
        driver.close()


class Garbling(VirtualBillValidator):
    """Corrupts the checksum of its first `bad` replies."""

    def __init__(self, bad):
        super().__init__()
        self.bad = bad

    def handle(self, raw):
        reply = super().handle(raw)
        if reply and self.bad:
            self.bad -= 1
            return reply[:-1] + bytes([(reply[-1] + 1) % 256])
        return reply


def test_bad_checksums_are_retried_then_offline():
    with PtyLink(Garbling(bad=2)) as link:
        driver = CcTalkBillAcceptor(link.path, timeout=0.2, retries=3)
        assert driver.simple_poll()                           # third try answers
        driver.close()
    with PtyLink(Garbling(bad=100)) as link:
        driver = CcTalkBillAcceptor(link.path, timeout=0.2, retries=3)
        with pytest.raises(DeviceError) as info:
            driver.simple_poll()
        assert info.value.code == 'offline' and 'checksum' in str(info.value)
        driver.close()


def test_silence_is_offline(link, validator):
    driver = CcTalkBillAcceptor(link.path, timeout=0.1, retries=2)
    try:
        link.mute = True
        with pytest.raises(DeviceError) as info:
            driver.poll()
        assert info.value.code == 'offline'
        assert driver.status() == 'offline'
        link.mute = False
        assert driver.status() == 'ok'
    finally:
        driver.close()
    with pytest.raises(DeviceError) as info:
        CcTalkBillAcceptor('/nonexistent/ttyUSB9').open()
    assert info.value.code == 'offline'


def test_strict_echo_modes(validator):
    with PtyLink(validator, echo=True) as link:
        with CcTalkBillAcceptor(link.path, echo=True, timeout=0.2) as driver:
            assert driver.simple_poll()
        with CcTalkBillAcceptor(link.path, echo=False, timeout=0.2, retries=1) as driver:
            with pytest.raises(DeviceError):                  # the echo is not a reply
                driver.simple_poll()
    with PtyLink(validator, echo=False) as link:
        with CcTalkBillAcceptor(link.path, echo=True, timeout=0.2, retries=1) as driver:
            with pytest.raises(DeviceError):                  # no echo where one is expected
                driver.simple_poll()


# ------------------------------------------------------------------ control channel and CLI
def test_control_channel(validator, tmp_path):
    server = control_server(validator, '127.0.0.1:0')
    address = f'{server.server_address[0]}:{server.server_address[1]}'
    try:
        assert send(address, {'insert': '50'})['outcome'] == 'inhibited'
        validator.master_enabled, validator.mask = True, cctalk.inhibit_mask([5])
        answer = send(address, {'insert': '50'})
        assert answer['ok'] and answer['escrow'] == '50.00'
        assert send(address, {'fault': 'jam'})['jammed']
        assert not send(address, {'fault': 'melt'})['ok']
        assert not send(address, {'insert': 'fifty'})['ok']
        assert send(address, {'power_cycle': True})['counter'] == 0
    finally:
        server.shutdown()
        server.server_close()
    unix = control_server(validator, str(tmp_path / 'control.sock'))
    try:
        assert send(str(tmp_path / 'control.sock'), {'state': True})['ok']
    finally:
        unix.shutdown()
        unix.server_close()
    assert command(validator, {'nothing': 1})['ok'] is False


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def test_cli_emulate_acceptor(tmp_path):
    """`card-bridge emulate-acceptor --link ... --control ...`: the driver opens the link like a
    serial port, another process inserts notes through the control port; SIGTERM ends it."""
    link = tmp_path / 'bill-validator'
    control = f'127.0.0.1:{free_port()}'
    env = {**os.environ, 'PYTHONPATH': str(PACKAGE)}
    emulator = subprocess.Popen([sys.executable, '-m', 'card_bridge.cli', 'emulate-acceptor', '--link', str(link),
                                 '--control', control], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=tmp_path)
    try:
        ready, _, _ = select.select([emulator.stdout], [], [], 30)
        assert ready, emulator.stderr.read()
        assert 'virtual bill validator' in emulator.stdout.readline()
        assert link.is_symlink()
        with CcTalkBillAcceptor(str(link), timeout=0.3) as driver:
            driver.enable([Decimal('100')])
            assert send(control, {'insert': '100'})['outcome'] == 'escrow'
            assert driver.poll() == [('escrow', Decimal('100.00'))]
            driver.stack()
            assert driver.poll() == [('stacked', Decimal('100.00'))]
        emulator.send_signal(signal.SIGTERM)
        assert emulator.wait(10) == 0
        assert not link.exists()
    finally:
        if emulator.poll() is None:
            emulator.kill()
            emulator.wait()


def test_route_replies():
    validator = VirtualBillValidator()
    assert validator._route(cctalk.ROUTE_STACK) == bytes([254])
    validator.master_enabled, validator.mask = True, cctalk.inhibit_mask([1])
    validator.insert(1)
    assert validator._route(cctalk.ROUTE_EXTEND_ESCROW) == b''
    assert validator._route(7) == bytes([255])
    validator.cashbox_full()
    assert validator._route(cctalk.ROUTE_STACK) == bytes([255])

"""A virtual ccTalk bill validator (development, tests and the demo only): it answers on a
pseudo-terminal exactly as a real one answers on its serial line, so the driver (acceptor.py)
runs unchanged against it, byte for byte.

Bill types 1-6 are the CNY notes of 1, 5, 10, 20, 50 and 100 yuan (CN0001A... CN0100A, scaling
factor 100 with 2 decimal places). A note inserted waits in escrow until the host routes it
(stacked: a credit event; returned: a "bill returned" event). Tests drive it directly
(insert, jam, cashbox_full, fraud, power_cycle); other processes (a browser test, `make run`'s
demo) through its control channel: JSON lines on a TCP port or a UNIX socket, e.g.
{"insert": "50"}, {"fault": "jam"}, {"power_cycle": true}, {"state": true}.
"""
import json
import logging
import os
import select
import socket
import socketserver
import threading
import time
import tty
from collections import deque
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import cctalk

_logger = logging.getLogger(__name__)

CNY_BILLS = {1: 'CN0001A', 2: 'CN0005A', 3: 'CN0010A', 4: 'CN0020A', 5: 'CN0050A', 6: 'CN0100A'}
SCALING = {'CN': (100, 2)}
INTER_BYTE_TIMEOUT = 0.05      # the spec's 50 ms: a frame left incomplete that long is dropped


class VirtualBillValidator:
    """The validator's state and its answers to ccTalk frames (no I/O: `handle` maps a
    request frame to the reply frame, or None when a real validator would stay silent)."""

    def __init__(self, address=cctalk.BILL_VALIDATOR, bills=None, capacity=500):
        self.address = address
        self.bills = dict(bills or CNY_BILLS)
        self.capacity = capacity
        self.lock = threading.RLock()
        self.power_cycle()
        self.cashbox = []               # values stacked
        self.cashbox_present = True

    # -------------------------------------------------------------- state
    def power_cycle(self):
        """Power cut or reset: counter 0, buffer empty, everything inhibited, the note in escrow
        pushed back out, a jam cleared (someone opened the unit)."""
        with self.lock:
            self.counter = 0
            self.events = deque(maxlen=cctalk.EVENT_SLOTS)     # (A, B), newest first
            self.master_enabled = False
            self.mask = b'\x00\x00'
            self.escrow = None
            self.jammed = False
            self.commands = []

    def _event(self, result_a, result_b):
        self.counter = cctalk.next_counter(self.counter)
        self.events.appendleft((result_a, result_b))

    def value_of(self, bill_type):
        bill = cctalk.parse_bill_id(self.bills[bill_type])
        factor, decimals = SCALING[bill.country]
        return cctalk.bill_value(bill.value_code, factor, decimals)

    def type_of(self, value):
        for bill_type in self.bills:
            if self.value_of(bill_type) == Decimal(value):
                return bill_type
        return None

    @property
    def full(self):
        return len(self.cashbox) >= self.capacity

    def insert(self, value):
        """A customer feeds a note. Returns what the validator did with it: 'escrow', or why
        it handed it back ('rejected', 'inhibited', 'busy', 'jammed', 'cashbox_full')."""
        with self.lock:
            if self.jammed:
                return 'jammed'
            if self.full or not self.cashbox_present:
                return 'cashbox_full'
            if self.escrow is not None:
                return 'busy'
            bill_type = self.type_of(value)
            if bill_type is None:
                self._event(0, 2)                   # invalid bill (validation fail)
                return 'rejected'
            if not self.master_enabled:
                self._event(0, 0)                   # master inhibit active
                return 'inhibited'
            if bill_type not in cctalk.enabled_types(self.mask):
                self._event(0, 4)                   # inhibited bill (on serial)
                return 'inhibited'
            self.escrow = bill_type
            self._event(bill_type, 1)               # held in escrow
            return 'escrow'

    def jam(self, code=16):
        """A note jams (16: in transport, safe mode, the default; 6: unsafe; 7: in the stacker);
        the note in escrow is lost in the jam, never credited. Cleared by power_cycle()."""
        with self.lock:
            self.jammed = True
            self.escrow = None
            self._event(0, code)

    def cashbox_full(self):
        with self.lock:
            self.capacity = len(self.cashbox)
            self._event(0, 14)

    def remove_cashbox(self):
        with self.lock:
            self.cashbox_present = False
            self._event(0, 11)

    def insert_cashbox(self, empty=True):
        with self.lock:
            if empty:
                self.cashbox = []
                self.capacity = max(self.capacity, 500)
            self.cashbox_present = True
            self._event(0, 12)

    def fraud(self, code=18):
        """A note on a string (18), or pulled back (8): it goes back out, no credit."""
        with self.lock:
            self.escrow = None
            self._event(0, code)

    def state(self):
        with self.lock:
            return {'counter': self.counter, 'master_enabled': self.master_enabled,
                    'enabled': [str(self.value_of(t)) for t in cctalk.enabled_types(self.mask) if t in self.bills],
                    'escrow': str(self.value_of(self.escrow)) if self.escrow else None,
                    'jammed': self.jammed, 'cashbox': [str(value) for value in self.cashbox],
                    'cashbox_full': self.full, 'cashbox_present': self.cashbox_present}

    # -------------------------------------------------------------- protocol
    def handle(self, raw):
        try:
            frame = cctalk.decode(raw)
        except cctalk.CcTalkError:
            return None                 # a corrupt frame is ignored: the host times out, retries
        if frame.destination not in (self.address, 0) or frame.header == cctalk.ACK:
            return None
        with self.lock:
            self.commands.append(frame.header)
            data = self._answer(frame.header, frame.data)
        if data is None:
            return None
        return cctalk.ack(frame.source, self.address, data)

    def _answer(self, header, data):  # noqa: C901 - one branch per header, as in the spec's table
        if header == cctalk.SIMPLE_POLL:
            return b''
        if header == cctalk.REQUEST_EQUIPMENT_CATEGORY:
            return b'Bill Validator'
        if header == cctalk.REQUEST_MANUFACTURER_ID:
            return b'VIR'
        if header == cctalk.REQUEST_PRODUCT_CODE:
            return b'VirtualBV'
        if header == cctalk.MODIFY_INHIBIT_STATUS and len(data) == 2:
            self.mask = bytes(data)
            return b''
        if header == cctalk.REQUEST_INHIBIT_STATUS:
            return self.mask
        if header == cctalk.MODIFY_MASTER_INHIBIT and len(data) == 1:
            self.master_enabled = bool(data[0] & 1)
            return b''
        if header == cctalk.REQUEST_MASTER_INHIBIT:
            return bytes([int(self.master_enabled)])
        if header == cctalk.READ_BUFFERED_BILL_EVENTS:
            pairs = list(self.events) + [(0, 0)] * (cctalk.EVENT_SLOTS - len(self.events))
            return bytes([self.counter] + [byte for pair in pairs for byte in pair])
        if header == cctalk.REQUEST_BILL_ID and len(data) == 1:
            return self.bills.get(data[0], cctalk.UNPROGRAMMED_BILL).encode('ascii')
        if header == cctalk.REQUEST_COUNTRY_SCALING_FACTOR and len(data) == 2:
            factor, decimals = SCALING.get(bytes(data).decode('ascii', 'replace'), (0, 0))
            return bytes([factor & 0xFF, factor >> 8, decimals])
        if header == cctalk.ROUTE_BILL and len(data) == 1:
            return self._route(data[0])
        if header == cctalk.RESET_DEVICE:
            self.power_cycle()
            return b''
        return None                     # not a command of this validator: no answer

    def _route(self, code):
        if self.escrow is None:
            return bytes([cctalk.ROUTE_ESCROW_EMPTY])
        if code == cctalk.ROUTE_EXTEND_ESCROW:
            return b''
        if code == cctalk.ROUTE_RETURN:
            self.escrow = None
            self._event(0, 1)                       # bill returned from escrow
            return b''
        if code == cctalk.ROUTE_STACK:
            if self.jammed or self.full or not self.cashbox_present:
                return bytes([cctalk.ROUTE_FAILED])
            bill_type, self.escrow = self.escrow, None
            self.cashbox.append(self.value_of(bill_type))
            self._event(bill_type, 0)               # validated and sent to the cashbox: credit
            if self.full:
                self._event(0, 14)                  # stacker full
            return b''
        return bytes([cctalk.ROUTE_FAILED])


class PtyLink:
    """The validator on a pseudo-terminal: the driver opens `path` (the slave) with pyserial as
    it would open /dev/ttyUSB0. `echo` plays the single-wire bus, where the host reads its own
    bytes back before the reply."""

    def __init__(self, validator, echo=False, link=None):
        self.validator = validator
        self.echo = echo
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)      # no line discipline between the bytes and the driver
        self.path = os.ttyname(self.slave)
        self.link = Path(link) if link else None
        if self.link:
            temporary = self.link.with_name(self.link.name + '.new')
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(self.path)
            if self.link.exists() and not self.link.is_symlink():
                temporary.unlink()
                raise FileExistsError(f"{self.link} exists and is not a link: not replaced")
            os.replace(temporary, self.link)
        self._stop = threading.Event()
        self.thread = None
        self.mute = False           # True: the validator stops answering (unplugged)

    def start(self):
        self.thread = threading.Thread(target=self.serve, name='virtual-bill-validator', daemon=True)
        self.thread.start()
        return self

    def serve(self):
        buffer, last = b'', 0.0
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            now = time.monotonic()
            if buffer and now - last > INTER_BYTE_TIMEOUT:
                buffer = b''
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 1024)
            except OSError:
                break
            if self.echo:
                os.write(self.master, chunk)
            buffer, last = buffer + chunk, now
            while len(buffer) >= 2 and len(buffer) >= cctalk.frame_length(buffer):
                size = cctalk.frame_length(buffer)
                raw, buffer = buffer[:size], buffer[size:]
                reply = None if self.mute else self.validator.handle(raw)
                if reply:
                    os.write(self.master, reply)

    def close(self):
        self._stop.set()
        if self.thread:
            self.thread.join(2)
        if self.link and self.link.is_symlink() and os.readlink(self.link) == self.path:
            self.link.unlink()
        for descriptor in (self.master, self.slave):
            try:
                os.close(descriptor)
            except OSError:
                _logger.debug("pty descriptor %s already closed", descriptor)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------ control channel
def command(validator, message):
    """One control message (a dict) applied to the validator; returns the answer (a dict)."""
    faults = {'jam': validator.jam, 'cashbox_full': validator.cashbox_full, 'fraud': validator.fraud,
              'cashbox_removed': validator.remove_cashbox, 'cashbox_inserted': validator.insert_cashbox}
    if 'insert' in message:
        try:
            outcome = validator.insert(Decimal(str(message['insert'])))
        except InvalidOperation:
            return {'ok': False, 'error': f"not an amount: {message['insert']!r}"}
        return {'ok': outcome == 'escrow', 'outcome': outcome, **validator.state()}
    if 'fault' in message:
        if message['fault'] not in faults:
            return {'ok': False, 'error': f"faults: {', '.join(faults)}"}
        faults[message['fault']]()
        return {'ok': True, **validator.state()}
    if message.get('power_cycle'):
        validator.power_cycle()
        return {'ok': True, **validator.state()}
    if 'state' in message:
        return {'ok': True, **validator.state()}
    return {'ok': False, 'error': "commands: insert, fault, power_cycle, state"}


class _ControlHandler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                message = json.loads(line)
                answer = command(self.server.validator, message) if isinstance(message, dict) else \
                    {'ok': False, 'error': "a JSON object per line"}
            except ValueError as error:
                answer = {'ok': False, 'error': f"not JSON: {error}"}
            self.wfile.write(json.dumps(answer).encode() + b'\n')


class _TcpControl(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UnixControl(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def control_server(validator, address):
    """Serve the control channel on 'HOST:PORT' (TCP; keep it on 127.0.0.1) or a UNIX socket
    path, in a thread. Returns the server (server_address tells the port when PORT was 0)."""
    if ':' in address and not address.startswith(('/', '.')):
        host, port = address.rsplit(':', 1)
        server = _TcpControl((host, int(port)), _ControlHandler)
    else:
        Path(address).unlink(missing_ok=True)
        server = _UnixControl(address, _ControlHandler)
    server.validator = validator
    threading.Thread(target=server.serve_forever, name='virtual-bill-validator-control', daemon=True).start()
    return server


def send(address, message, timeout=5):
    """A client of the control channel: send one message, return the answer."""
    if ':' in address and not address.startswith(('/', '.')):
        host, port = address.rsplit(':', 1)
        connection = socket.create_connection((host, int(port)), timeout=timeout)
    else:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        connection.connect(address)
    with connection, connection.makefile('rwb') as stream:
        stream.write(json.dumps(message).encode() + b'\n')
        stream.flush()
        return json.loads(stream.readline())

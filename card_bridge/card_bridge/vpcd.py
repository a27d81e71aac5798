"""A virtual SLE4442 card for pcscd's vpcd driver (Debian's vsmartcard-vpcd): development,
tests and the demo only, never on a POS (vpcd listens on every interface).

vpcd offers two card slots: TCP 35963 is the reader "Virtual PCD 00 00" (the demo's card) and
35964 is "Virtual PCD 00 01" (the tests' card). The card connects to its slot's port. Each
message is a 2-byte big-endian length and a payload; a 1-byte payload is a control (00 power
off, 01 on, 02 reset, 04 send the ATR), anything else is an APDU that gets one response. The
chip is card_bridge.sle4442; this module answers the ACS pseudo-APDUs a reader would turn into
chip commands."""
import logging
import socket
import struct
import threading
import time

from .drivers.base import CardError

_logger = logging.getLogger(__name__)
ATR = bytes.fromhex('3B04A2131091')
OK = b'\x90\x00'
EC_BITS = {3: 0x07, 2: 0x03, 1: 0x01, 0: 0x00}
FIRST_PORT = 35963


def reader_name(port):
    """The PC/SC reader name of vpcd's slot on `port` (35963 -> "Virtual PCD 00 00")."""
    return f'Virtual PCD 00 {port - FIRST_PORT:02d}'


class SlotTaken(CardError):
    """Another virtual card already sits in this vpcd slot."""


def card_in_slot(port):
    """The serial (hex) of the card pcscd sees in vpcd's slot on `port`, '' for an empty slot,
    None when pcscd or the reader cannot be asked."""
    from .drivers.sle4442_acs import card_serial
    from .reader_chip import find_reader
    try:
        return card_serial(find_reader(reader_name(port)))
    except CardError:                           # no pcscd, or no such reader
        return None


def check_slot_free(port, grace=2.0):
    """Refuse to plug a card into a slot that already holds one: vpcd serves one card per slot
    and would leave the second waiting unseen (a test would then read the other card). A card
    just pulled out gets `grace` seconds to be gone."""
    deadline = time.monotonic() + grace
    while (serial := card_in_slot(port)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if serial:
        raise SlotTaken(
            f"vpcd slot {port - FIRST_PORT} (TCP {port}, reader \"{reader_name(port)}\") already holds the "
            f"virtual card {serial}: another `card-bridge emulate` or test run is using it")


def wait_for_card(port, serial, timeout=20):
    """Wait until pcscd sees the card `serial` (hex) in vpcd's slot on `port` (pcscd polls
    vpcd about every 400 ms, slower on a busy machine)."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = card_in_slot(port)
        if seen == serial:
            return
        time.sleep(0.3)
    raise SlotTaken(f"pcscd does not see the virtual card {serial} in \"{reader_name(port)}\" "
                    f"(it sees {seen or 'no card'}): is another virtual card holding TCP {port}?")


class VpcdCard:
    """Plug a chip into vpcd. `fail_after_writes` pulls the card out after that many write
    APDUs (to test a card pulled mid-write); `write_delay` seconds pass before each write APDU
    is answered (a slow card, so that a write is seen under way)."""

    def __init__(self, chip, host='127.0.0.1', port=35963, fail_after_writes=None, write_delay=0):
        self.chip = chip
        self.host, self.port = host, port
        self.fail_after_writes = fail_after_writes
        self.write_delay = write_delay
        self.writes = 0
        self._socket = None
        self._stop = threading.Event()
        self.thread = None

    # --- chip commands behind ACS pseudo-APDUs -------------------------------------------
    def apdu(self, command):
        cla, ins, p1, p2 = command[:4]
        body = command[5:5 + command[4]] if len(command) > 4 else b''
        if cla != 0xFF:
            return b'\x6E\x00'
        if ins == 0xA4:                                   # select card type
            return OK
        if ins == 0xB0:                                   # read main memory
            length = command[4] or 256
            return self.chip.read(p2, min(length, 256 - p2)) + OK
        if ins == 0xB1:                                   # read error counter
            return bytes([EC_BITS[self.chip.read_error_counter()], 0, 0, 0]) + OK
        if ins == 0xB2:                                   # read protection bits
            return self.chip.read_protection() + OK
        if ins == 0x20:                                   # present PSC
            return bytes([0x90, EC_BITS[self.chip.present_psc(body)]])
        if ins == 0xD0:                                   # write main memory
            self.writes += 1
            time.sleep(self.write_delay)
            if self.fail_after_writes is not None and self.writes > self.fail_after_writes:
                self.remove()
                return b''
            self.chip.write(p2, body)
            return OK
        if ins == 0xD2:                                   # change PSC
            self.chip.change_psc(body)
            return OK
        if ins == 0xD1:                                   # burn protection
            self.chip.burn_protection(p2, body)
            return OK
        return b'\x6D\x00'

    # --- vpcd link -------------------------------------------------------------------------
    def _receive(self, sock, size):
        data = b''
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("vpcd closed the connection")
            # re-arm quick ACKs after every receive, or each APDU stalls ~40 ms
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            data += chunk
        return data

    def serve(self):
        sock = socket.create_connection((self.host, self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._socket = sock
        try:
            while not self._stop.is_set():
                (length,) = struct.unpack('>H', self._receive(sock, 2))
                payload = self._receive(sock, length)
                if length == 1:
                    if payload[0] in (0x00, 0x02):
                        self.chip.power_off()
                    if payload[0] == 0x04:
                        sock.sendall(struct.pack('>H', len(ATR)) + ATR)
                    continue
                response = self.apdu(payload)
                if self._stop.is_set():
                    break
                sock.sendall(struct.pack('>H', len(response)) + response)
        except (ConnectionError, OSError) as error:
            if not self._stop.is_set():
                _logger.info("virtual card disconnected: %s", error)
        finally:
            sock.close()

    def insert(self):
        """Insert the card (connect to vpcd) in a background thread."""
        self._stop.clear()
        self.thread = threading.Thread(target=self.serve, daemon=True, name='vpcd-card')
        self.thread.start()
        return self

    def remove(self):
        self._stop.set()
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

"""Q/GDW 1376.1, the concentrator ↔ master station protocol: the parts a prepaid head-end needs.

Frame (multi-byte fields low byte first)::

    68  L L  68  C  A1 A1 A2 A2 A3  AFN SEQ  {DA1 DA2 DT1 DT2 data}...  [AUX]  CS  16

- L (2 bytes, sent twice): D15..D2 the length of the user data (C through AUX), D1..D0 the
  protocol identifier, 2 = Q/GDW 1376.1 (1 = the older Q/GDW 130, accepted on receive).
- C: D7 DIR (1 = up, from the terminal), D6 PRM (1 = this station starts the exchange), D5 FCB
  (down) / ACD (up: the terminal has events), D4 FCV, D3..D0 the function code: PRM=1: 9 link
  test, 10 request class-1 data; PRM=0: 8 user data, 11 link status.
- A: A1 area code (行政区划码, 4 BCD digits), A2 terminal address (binary, 1..65535), A3 D0 the
  group-address flag and D7..D1 the master station address (MSA, 0..127; 0 in the terminal's
  own frames, the master's number in the master's).
- SEQ: D7 TpV (a time label is in AUX), D6 FIR, D5 FIN, D4 CON (confirmation wanted), D3..D0
  PSEQ (the requester's sequence number) / RSEQ (the answer repeats it).
- DA = pn (DA1 bit (pn-1) mod 8, DA2 (pn-1) div 8 + 1; p0 = 00 00); DT = Fn (DT1 bit (Fn-1)
  mod 8, DT2 (Fn-1) div 8).
- AUX: down frames of AFN 01/04/05/06/0F/10 carry PW (16 bytes, the message authentication
  code; zeros where the terminal does not check it), up frames carry EC (2 bytes) when ACD=1;
  then Tp (6 bytes: PFC, ss mm hh DD BCD of the sending time, permitted delay in minutes)
  when TpV=1.
- CS: sum modulo 256 of the user data.

The concentrator's 8-digit asset number is A1 A2 as master stations print them: the first 4
digits are the area code (BCD), the last 4 the terminal address in hexadecimal, so
``17000405`` is ``A1 = 1700`` and ``A2 = 0x0405``, on the wire ``00 17 05 04``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from . import framing

START = 0x68
END = 0x16
PROTOCOL_ID = 2
ACCEPTED_PROTOCOL_IDS = (1, 2)
HEADER_LEN = 6

# Control field
DIR_UP = 0x80
PRM = 0x40
FCB_ACD = 0x20
FCV = 0x10
FUNCTION_MASK = 0x0F
FN_LINK_TEST = 9          # PRM=1
FN_REQUEST_CLASS1 = 10    # PRM=1
FN_USER_DATA = 8          # PRM=0
FN_LINK_STATUS = 11       # PRM=0

# SEQ
SEQ_TPV = 0x80
SEQ_FIR = 0x40
SEQ_FIN = 0x20
SEQ_CON = 0x10

# Application function codes
AFN_CONFIRM = 0x00
AFN_LINK = 0x02
AFN_FORWARD = 0x10
AFNS_WITH_PW = {0x01, 0x04, 0x05, 0x06, 0x0F, 0x10}

# AFN 02 Fn
LOGIN = 1
LOGOUT = 2
HEARTBEAT = 3

# 透明转发通信控制字: D7..D5 baud index, D4 stop bits (0 = 1, 1 = 2), D3 parity on, D2 odd,
# D1..D0 data bits - 5.
BAUDS = (300, 600, 1200, 2400, 4800, 7200, 9600, 19200)
PARITIES = ('none', 'even', 'odd')


class FrameError(ValueError):
    pass


class TruncatedFrame(FrameError):
    pass


class ChecksumError(FrameError):
    pass


# --- address -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Address:
    area: str               # A1, 4 digits
    terminal: int           # A2
    master: int = 0         # MSA in A3
    group: bool = False     # A3 D0

    def __post_init__(self):
        if len(self.area) != 4 or not self.area.isdigit():
            raise ValueError(f"an area code (A1) is 4 digits, not {self.area!r}")
        if not 0 <= self.terminal <= 0xFFFF:
            raise ValueError(f"a terminal address (A2) is 0..65535, not {self.terminal}")
        if not 0 <= self.master <= 127:
            raise ValueError(f"a master station address is 0..127, not {self.master}")

    @classmethod
    def from_asset(cls, asset: str, master: int = 0) -> Address:
        """``17000405`` → area 1700, terminal 0x0405 (see the module's docstring)."""
        if len(asset) != 8 or not asset.isdigit():
            raise ValueError(f"a concentrator asset number is 8 digits, not {asset!r}")
        terminal = int(asset[4:], 16)
        if terminal == 0:
            raise ValueError(f"asset number {asset}: terminal address 0000 is invalid in Q/GDW 1376.1")
        return cls(asset[:4], terminal, master)

    @property
    def asset(self) -> str:
        return f'{self.area}{self.terminal:04X}'

    def with_master(self, master: int) -> Address:
        return dataclasses.replace(self, master=master)

    def encode(self) -> bytes:
        return (bytes.fromhex(self.area)[::-1] + self.terminal.to_bytes(2, 'little')
                + bytes([self.master << 1 | int(self.group)]))

    @classmethod
    def decode(cls, raw: bytes) -> Address:
        area = raw[1::-1].hex()
        if not area.isdigit():
            raise FrameError(f"area code is not BCD: {raw[:2].hex(' ')}")
        return cls(area, int.from_bytes(raw[2:4], 'little'), raw[4] >> 1, bool(raw[4] & 1))


# --- DA / DT -------------------------------------------------------------------------------------

def encode_pn(pn: int) -> bytes:
    if pn == 0:
        return b'\x00\x00'
    if not 1 <= pn <= 2040:
        raise ValueError(f"pn is 0..2040, not {pn}")
    return bytes([1 << (pn - 1) % 8, (pn - 1) // 8 + 1])


def decode_pn(raw: bytes) -> list[int]:
    da1, da2 = raw[0], raw[1]
    if da2 == 0:
        if da1:
            raise FrameError(f"DA {raw.hex(' ')}: DA2 = 0 goes with DA1 = 0 (p0)")
        return [0]
    return [(da2 - 1) * 8 + bit + 1 for bit in range(8) if da1 & 1 << bit]


def encode_fn(fn: int) -> bytes:
    if not 1 <= fn <= 248:
        raise ValueError(f"Fn is 1..248, not {fn}")
    return bytes([1 << (fn - 1) % 8, (fn - 1) // 8])


def decode_fn(raw: bytes) -> list[int]:
    return [raw[1] * 8 + bit + 1 for bit in range(8) if raw[0] & 1 << bit]


def data_unit(pn: int, fn: int, data: bytes = b'') -> bytes:
    return encode_pn(pn) + encode_fn(fn) + data


# --- time label ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Tp:
    pfc: int                 # frame counter of the sending station
    second: int
    minute: int
    hour: int
    day: int
    delay: int = 0           # permitted transmission delay in minutes (0: not checked)

    @classmethod
    def at(cls, moment: dt.datetime, pfc: int, delay: int = 0) -> Tp:
        return cls(pfc & 0xFF, moment.second, moment.minute, moment.hour, moment.day, delay)

    def encode(self) -> bytes:
        return (bytes([self.pfc]) + bytes.fromhex(f'{self.second:02d}{self.minute:02d}{self.hour:02d}{self.day:02d}')
                + bytes([self.delay]))

    @classmethod
    def decode(cls, raw: bytes) -> Tp:
        digits = raw[1:5].hex()
        if not digits.isdigit():
            raise FrameError(f"Tp time is not BCD: {raw.hex(' ')}")
        return cls(raw[0], int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:8]), raw[5])


# --- frames --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Frame:
    control: int
    address: Address
    afn: int
    seq: int
    body: bytes = b''            # the data units (DA DT data)...
    pw: bytes = b''
    ec: bytes = b''
    tp: Tp | None = None

    @property
    def up(self) -> bool:
        return bool(self.control & DIR_UP)

    @property
    def prm(self) -> bool:
        return bool(self.control & PRM)

    @property
    def function(self) -> int:
        return self.control & FUNCTION_MASK

    @property
    def pseq(self) -> int:
        return self.seq & 0x0F

    @property
    def con(self) -> bool:
        return bool(self.seq & SEQ_CON)

    def units(self) -> tuple[list[int], list[int], bytes]:
        """pn list, Fn list and the data after the first DA/DT (the frames here carry one unit)."""
        if len(self.body) < 4:
            raise FrameError("no data unit identifier")
        return decode_pn(self.body[:2]), decode_fn(self.body[2:4]), self.body[4:]

    def encode(self) -> bytes:
        tpv = self.tp is not None
        seq = (self.seq & ~SEQ_TPV) | (SEQ_TPV if tpv else 0)
        user = (bytes([self.control]) + self.address.encode() + bytes([self.afn, seq]) + self.body
                + self.pw + self.ec + (self.tp.encode() if tpv else b''))
        length = (len(user) << 2 | PROTOCOL_ID).to_bytes(2, 'little')
        return bytes([START]) + length + length + bytes([START]) + user + bytes([sum(user) & 0xFF, END])


def _candidate(buffer: bytes, at: int):
    if len(buffer) - at < HEADER_LEN:
        return None, TruncatedFrame(f"truncated frame: {len(buffer) - at} bytes after the start")
    head = buffer[at:at + HEADER_LEN]
    if head[5] != START or head[1:3] != head[3:5]:
        return None, FrameError("bad frame header (second 68 or the two L fields)")
    field = int.from_bytes(head[1:3], 'little')
    if field & 3 not in ACCEPTED_PROTOCOL_IDS:
        return None, FrameError(f"protocol identifier {field & 3} is not Q/GDW 1376.1")
    length = field >> 2
    if length < 8:
        return None, FrameError(f"user data of {length} bytes is too short")
    end = at + HEADER_LEN + length + 2
    if len(buffer) < end:
        return None, TruncatedFrame(f"truncated frame: {len(buffer) - at} of {end - at} bytes")
    raw = buffer[at:end]
    if raw[-1] != END:
        return None, FrameError(f"frame does not end with 16 but {raw[-1]:02X}")
    if sum(raw[HEADER_LEN:-2]) & 0xFF != raw[-2]:
        return None, ChecksumError(f"bad checksum {raw[-2]:02X}, the user data sum to {sum(raw[6:-2]) & 0xFF:02X}")
    return raw, None


def extract(buffer: bytes) -> tuple[bytes | None, int]:
    """Like ``dlt645.extract``: the first whole valid frame of a stream and how many bytes to
    drop with it, or (None, bytes that can be dropped)."""
    return framing.extract(buffer, START, _candidate, TruncatedFrame)


def decode(raw: bytes) -> Frame:
    at = raw.find(START)
    first_error = None
    while at >= 0:
        frame, error = _candidate(raw, at)
        if frame is not None:
            return _decode_user_data(frame[HEADER_LEN:-2])
        first_error = first_error or error
        at = raw.find(START, at + 1)
    raise first_error or FrameError(f"no frame in {raw.hex(' ') or 'nothing'}")


def _decode_user_data(user: bytes) -> Frame:
    control, address, afn, seq = user[0], Address.decode(user[1:6]), user[6], user[7]
    rest = user[8:]
    tp = None
    if seq & SEQ_TPV:
        if len(rest) < 6:
            raise FrameError("TpV is set but the time label is missing")
        tp, rest = Tp.decode(rest[-6:]), rest[:-6]
    pw = ec = b''
    if control & DIR_UP:
        if control & FCB_ACD:
            if len(rest) < 2:
                raise FrameError("ACD is set but the event counter is missing")
            ec, rest = rest[-2:], rest[:-2]
    elif control & PRM and afn in AFNS_WITH_PW:
        if len(rest) < 16:
            raise FrameError(f"AFN {afn:02X}H from the master carries a 16-byte PW")
        pw, rest = rest[-16:], rest[:-16]
    return Frame(control, address, afn, seq, rest, pw, ec, tp)


# --- the messages used ---------------------------------------------------------------------------

def link_frame(address: Address, fn: int, pseq: int) -> bytes:
    """A terminal's AFN 02 frame: F1 login, F2 logout, F3 heartbeat (C = C9H, CON = 1)."""
    return Frame(DIR_UP | PRM | FN_LINK_TEST, address, AFN_LINK, SEQ_FIR | SEQ_FIN | SEQ_CON | pseq & 0x0F,
                 data_unit(0, fn)).encode()


def confirm(request: Frame) -> bytes:
    """The master's AFN 00 F1 (all confirmed) to a terminal's frame (C = 0BH, RSEQ = its PSEQ)."""
    return Frame(FN_LINK_STATUS, request.address, AFN_CONFIRM, SEQ_FIR | SEQ_FIN | request.pseq,
                 data_unit(0, 1)).encode()


def encode_comm_control(baud: int, parity: str, data_bits: int = 8, stop_bits: int = 1) -> int:
    if baud not in BAUDS:
        raise ValueError(f"baud rate {baud} is not one of {BAUDS}")
    if parity not in PARITIES:
        raise ValueError(f"parity {parity!r} is not one of {PARITIES}")
    if not 5 <= data_bits <= 8 or stop_bits not in (1, 2):
        raise ValueError(f"{data_bits} data bits and {stop_bits} stop bits are not possible")
    return (BAUDS.index(baud) << 5 | (stop_bits - 1) << 4 | (parity != 'none') << 3 | (parity == 'odd') << 2
            | data_bits - 5)


def decode_comm_control(byte: int) -> dict:
    return {'baud': BAUDS[byte >> 5], 'stop_bits': 2 if byte & 0x10 else 1,
            'parity': ('odd' if byte & 0x04 else 'even') if byte & 0x08 else 'none', 'data_bits': (byte & 3) + 5}


def encode_message_timeout(seconds: float) -> int:
    """D7 = 0: D6..D0 in 10 ms (up to 1.27 s); D7 = 1: in seconds (up to 127 s)."""
    ticks = round(seconds * 100)
    if 1 <= ticks <= 127:
        return ticks
    whole = max(1, round(seconds))
    if whole > 127:
        raise ValueError(f"a message timeout is at most 127 s, not {seconds}")
    return 0x80 | whole


def decode_message_timeout(byte: int) -> float:
    return float(byte & 0x7F) if byte & 0x80 else (byte & 0x7F) / 100


@dataclasses.dataclass(frozen=True)
class ForwardRequest:
    port: int
    baud: int
    parity: str
    message_timeout: float       # seconds the terminal waits for the meter's answer
    byte_timeout: float          # seconds between two bytes of the answer
    payload: bytes               # the DL/T 645 frame
    data_bits: int = 8
    stop_bits: int = 1


def forward_request(address: Address, pseq: int, request: ForwardRequest, tp: Tp | None = None) -> bytes:
    """AFN 10 F1 transparent forwarding from the master (C = 4AH, request class-1 data), with a
    zero PW and an optional time label."""
    control = encode_comm_control(request.baud, request.parity, request.data_bits, request.stop_bits)
    byte_timeout = max(1, min(255, round(request.byte_timeout * 100)))
    data = (bytes([request.port, control, encode_message_timeout(request.message_timeout), byte_timeout])
            + len(request.payload).to_bytes(2, 'little') + request.payload)
    return Frame(PRM | FN_REQUEST_CLASS1, address, AFN_FORWARD, SEQ_FIR | SEQ_FIN | pseq & 0x0F,
                 data_unit(0, 1, data), pw=bytes(16), tp=tp).encode()


def parse_forward_request(frame: Frame) -> ForwardRequest:
    if frame.afn != AFN_FORWARD or frame.up:
        raise FrameError("not a forwarding request")
    pns, fns, data = frame.units()
    if fns != [1] or pns != [0]:
        raise FrameError(f"AFN 10 unit p{pns} F{fns} is not p0 F1")
    if len(data) < 6 or len(data) != 6 + int.from_bytes(data[4:6], 'little'):
        raise FrameError("forwarding request length does not match its content")
    control = decode_comm_control(data[1])
    return ForwardRequest(data[0], control['baud'], control['parity'], decode_message_timeout(data[2]),
                          data[3] / 100, data[6:], control['data_bits'], control['stop_bits'])


def forward_answer(request: Frame, port: int, payload: bytes) -> bytes:
    """The terminal's AFN 10 F1 answer: port, length, the meter's frame (empty: no answer)."""
    data = bytes([port]) + len(payload).to_bytes(2, 'little') + payload
    return Frame(DIR_UP | FN_USER_DATA, request.address, AFN_FORWARD, SEQ_FIR | SEQ_FIN | request.pseq,
                 data_unit(0, 1, data), tp=request.tp).encode()


def parse_forward_answer(frame: Frame) -> tuple[int, bytes]:
    """(port, the meter's frame); an empty frame means the meter did not answer."""
    if frame.afn != AFN_FORWARD or not frame.up:
        raise FrameError("not a forwarding answer")
    pns, fns, data = frame.units()
    if fns != [1] or pns != [0]:
        raise FrameError(f"AFN 10 unit p{pns} F{fns} is not p0 F1")
    if len(data) < 3 or len(data) != 3 + int.from_bytes(data[1:3], 'little'):
        raise FrameError("forwarding answer length does not match its content")
    return data[0], data[3:]

"""DL/T 645-2007, the meter protocol: frames, data identifiers, data formats, relay control.

Frame (every multi-byte field low byte first on the wire)::

    [FE FE FE FE]  68  A0 A1 A2 A3 A4 A5  68  C  L  DATA(L bytes, each +33H)  CS  16

- A0..A5: the meter address, 12 BCD digits; "123456789012" is sent ``12 90 78 56 34 12``.
- C: D7 direction (1 = meter's answer), D6 abnormal answer, D5 follow-up frame, D4..D0 the
  function (11H read data, 1CH relay control).
- CS: sum modulo 256 of every byte from the first 68 through the last data byte.
- The FE preamble wakes a meter's UART; it may be sent and is skipped on receive.

Here ``Frame.data`` is always the *decoded* data field (the 33H taken off).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from . import framing

START = 0x68
END = 0x16
PREAMBLE = b'\xfe\xfe\xfe\xfe'
OFFSET = 0x33
HEADER_LEN = 10                 # 68 A0..A5 68 C L
MIN_FRAME = HEADER_LEN + 2      # + CS 16

# Control codes (C) of the functions used, and the bits of the answers.
READ = 0x11
RELAY_CONTROL = 0x1C
DIRECTION_ANSWER = 0x80
ABNORMAL = 0x40
FOLLOW_UP = 0x20
FUNCTION_MASK = 0x1F

# Data identifiers DI3 DI2 DI1 DI0 (sent DI0 first).
DI_CURRENT_FORWARD_BLOCK = 0x0001FF00     # current forward active energy: total, T1..T4
DI_STATUS_WORD_3 = 0x04000503             # 电表运行状态字3 (operation status)
FORWARD_TARIFFS = ('total', 'sharp', 'peak', 'flat', 'valley')   # DI1 00, 01..04 = T1..T4
MAX_DAYS_BACK = 62                        # DI0 01..3E


def di_current_forward(tariff: int) -> int:
    """Current forward active energy of one register: 0 total, 1..4 = T1..T4 (sharp, peak,
    flat, valley): ``00010000`` .. ``00010400``."""
    if not 0 <= tariff <= 4:
        raise ValueError(f"tariff register {tariff} is not 0 (total) .. 4")
    return 0x00010000 | tariff << 8


def di_daily_freeze_time(days_back: int) -> int:
    """Time of the daily freeze ``days_back`` days ago (1..62): ``05060001`` .. ``0506003E``."""
    return 0x05060000 | _days_back(days_back)


def di_daily_forward_energy(days_back: int) -> int:
    """Forward active energy total + T1..T4 frozen ``days_back`` days ago: ``05060101`` ..
    ``0506013E``."""
    return 0x05060100 | _days_back(days_back)


def _days_back(days_back: int) -> int:
    if not 1 <= days_back <= MAX_DAYS_BACK:
        raise ValueError(f"a daily freeze is kept for 1..{MAX_DAYS_BACK} days back, not {days_back}")
    return days_back


# Error word of an abnormal read answer (D1H + ERR), DL/T 645-2007 table of the ERR bits.
ERR_OTHER = 0x01
ERR_NO_DATA = 0x02              # no requested data (an unknown DI, a freeze not taken yet)
ERR_PASSWORD = 0x04             # password wrong / not authorised
# Error word of an abnormal relay-control answer (DCH + ERR), as State Grid's remote-prepaid
# meters define it (the same bits in the firmware of several makers).
ERR_CONTROL_MAC = 0x02
ERR_CONTROL_AUTH_TIMEOUT = 0x08
ERR_CONTROL_EXPIRED = 0x10      # execution time (the command's expiry) invalid
ERR_CONTROL_KEEP_POWER = 0x20   # trip refused: the meter is in keep-power (保电)

_ERR_TEXT = {
    READ: {ERR_OTHER: "other error", ERR_NO_DATA: "no requested data", ERR_PASSWORD: "password wrong"},
    RELAY_CONTROL: {ERR_OTHER: "other error", ERR_CONTROL_MAC: "MAC error", ERR_PASSWORD: "password wrong",
                    ERR_CONTROL_AUTH_TIMEOUT: "authentication timed out", ERR_CONTROL_EXPIRED: "command expired",
                    ERR_CONTROL_KEEP_POWER: "keep-power: trip refused"},
}

# Relay control N1 (1CH).
TRIP = 0x1A
CLOSE_ALLOWED = 0x1B
CLOSE = 0x1C
KEEP_POWER_ON = 0x3A
KEEP_POWER_OFF = 0x3B
RELAY_ACTIONS = {'trip': TRIP, 'close_allowed': CLOSE_ALLOWED, 'close': CLOSE,
                 'keep_power_on': KEEP_POWER_ON, 'keep_power_off': KEEP_POWER_OFF}

# Status word 3 (2 bytes, bit 0 = low bit of the first byte).
SW3_RELAY_OPEN = 1 << 4           # 继电器状态: 0 closed (通), 1 open (断)
SW3_RELAY_COMMAND_OPEN = 1 << 6   # 继电器命令状态: 0 close, 1 trip
SW3_PRE_TRIP_ALARM = 1 << 7       # 预跳闸报警
SW3_KEEP_POWER = 1 << 12          # 保电状态


class FrameError(ValueError):
    """Bytes that are not a valid DL/T 645 frame."""


class TruncatedFrame(FrameError):
    """The frame started but its bytes are not all there."""


class ChecksumError(FrameError):
    pass


class AddressMismatch(FrameError):
    pass


class MeterError(Exception):
    """The meter answered with an abnormal answer (D1H / DCH + ERR)."""

    def __init__(self, function: int, err: int):
        self.function = function
        self.err = err
        texts = _ERR_TEXT.get(function, _ERR_TEXT[READ])
        reasons = [text for bit, text in texts.items() if err & bit] or [f"error {err:#04x}"]
        super().__init__(", ".join(reasons))


# --- addresses and BCD ---------------------------------------------------------------------------

def encode_address(address: str) -> bytes:
    """12 decimal digits, most significant first, to the 6 wire bytes (low byte first)."""
    if len(address) != 12 or not address.isdigit():
        raise ValueError(f"a meter address is 12 digits, not {address!r}")
    return bytes.fromhex(address)[::-1]


def decode_address(raw: bytes) -> str:
    return raw[::-1].hex().upper()


def bcd(value: int, length: int) -> bytes:
    """``value`` as ``length`` BCD bytes, low byte first."""
    digits = f'{value:0{length * 2}d}'
    if value < 0 or len(digits) > length * 2:
        raise ValueError(f"{value} does not fit {length} BCD bytes")
    return bytes.fromhex(digits)[::-1]


def from_bcd(raw: bytes) -> int:
    text = raw[::-1].hex()
    if not text.isdigit():
        raise FrameError(f"not BCD: {raw.hex(' ')}")
    return int(text)


def encode_hex_digits(text: str, length: int) -> bytes:
    """A code written as hex digits, most significant first (passwords, operator codes), to
    ``length`` bytes low byte first."""
    if len(text) != length * 2:
        raise ValueError(f"{text!r} is not {length * 2} hex digits")
    return bytes.fromhex(text)[::-1]


# --- frames --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Frame:
    address: str
    control: int
    data: bytes = b''

    @property
    def function(self) -> int:
        return self.control & FUNCTION_MASK

    @property
    def is_answer(self) -> bool:
        return bool(self.control & DIRECTION_ANSWER)

    @property
    def is_abnormal(self) -> bool:
        return bool(self.control & ABNORMAL)

    @property
    def follow_up(self) -> bool:
        return bool(self.control & FOLLOW_UP)

    def encode(self, preamble: bool = False) -> bytes:
        if len(self.data) > 255:
            raise ValueError("a DL/T 645 data field holds at most 255 bytes")
        body = bytes([START]) + encode_address(self.address) + bytes([START, self.control, len(self.data)])
        body += bytes((byte + OFFSET) & 0xFF for byte in self.data)
        return (PREAMBLE if preamble else b'') + body + bytes([sum(body) & 0xFF, END])


def _candidate(buffer: bytes, at: int):
    """(frame bytes, None) when a whole frame starts at ``at``; (None, error) otherwise."""
    if len(buffer) - at < HEADER_LEN:
        return None, TruncatedFrame(f"truncated frame: {len(buffer) - at} bytes after the start")
    if buffer[at + 7] != START:
        return None, FrameError("no second 68 after the address")
    end = at + HEADER_LEN + buffer[at + 9] + 2
    if len(buffer) < end:
        return None, TruncatedFrame(f"truncated frame: {len(buffer) - at} of {end - at} bytes")
    raw = buffer[at:end]
    if raw[-1] != END:
        return None, FrameError(f"frame does not end with 16 but {raw[-1]:02X}")
    if sum(raw[:-2]) & 0xFF != raw[-2]:
        return None, ChecksumError(f"bad checksum: {raw[-2]:02X}, the bytes sum to {sum(raw[:-2]) & 0xFF:02X}")
    return raw, None


def extract(buffer: bytes) -> tuple[bytes | None, int]:
    """For a byte stream: (the first whole valid frame, the number of bytes it and the garbage
    before it take), or (None, bytes that can be dropped) when no whole frame is there yet.
    Garbage (noise, FE preambles, a broken frame) before a frame is skipped."""
    return framing.extract(buffer, START, _candidate, TruncatedFrame)


def decode(raw: bytes, address: str | None = None) -> Frame:
    """The one frame in ``raw`` (a preamble and garbage before it are skipped). Raises
    ``TruncatedFrame``, ``ChecksumError``, ``AddressMismatch`` (when ``address`` is given and the
    frame is for or from another meter) or ``FrameError``."""
    at = raw.find(START)
    first_error = None
    while at >= 0:
        frame, error = _candidate(raw, at)
        if frame is not None:
            decoded = Frame(decode_address(frame[1:7]), frame[8], bytes((b - OFFSET) & 0xFF for b in frame[10:-2]))
            if address is not None and decoded.address != address:
                raise AddressMismatch(f"frame of meter {decoded.address}, expected {address}")
            return decoded
        first_error = first_error or error
        at = raw.find(START, at + 1)
    raise first_error or FrameError(f"no frame in {raw.hex(' ') or 'nothing'}")


# --- data formats --------------------------------------------------------------------------------

CENT = Decimal('0.01')


def encode_energy(kwh: Decimal) -> bytes:
    """XXXXXX.XX kWh, 4 BCD bytes (the register rolls over at 1,000,000 kWh)."""
    return bcd(int((Decimal(kwh) % 1000000).quantize(CENT, 'ROUND_DOWN') * 100), 4)


def decode_energy(raw: bytes) -> Decimal:
    if len(raw) != 4:
        raise FrameError(f"an energy register is 4 bytes, not {len(raw)}")
    return Decimal(from_bcd(raw)).scaleb(-2)        # to the cent: 670 → 6.70


def encode_registers(registers) -> bytes:
    """Total, T1..T4 (five energies) as the 20 bytes of ``0001FF00`` / ``050601xx``."""
    return b''.join(encode_energy(value) for value in registers)


def decode_registers(raw: bytes) -> tuple[Decimal, ...]:
    """Total and T1..T4 from a register block; a meter with fewer tariffs sends fewer (T1..Tn
    missing ones read as 0)."""
    if not raw or len(raw) % 4:
        raise FrameError(f"a register block is a multiple of 4 bytes, not {len(raw)}")
    values = [decode_energy(raw[i:i + 4]) for i in range(0, len(raw), 4)][:5]
    return tuple(values + [Decimal('0.00')] * (5 - len(values)))


def encode_freeze_time(moment: dt.datetime) -> bytes:
    """YYMMDDhhmm, 5 BCD bytes, minutes first on the wire."""
    return b''.join(bcd(part, 1) for part in (moment.minute, moment.hour, moment.day, moment.month, moment.year % 100))


def decode_freeze_time(raw: bytes) -> dt.datetime:
    if len(raw) != 5:
        raise FrameError(f"a freeze time is 5 bytes, not {len(raw)}")
    minute, hour, day, month, year = (from_bcd(raw[i:i + 1]) for i in range(5))
    try:
        return dt.datetime(2000 + year, month, day, hour, minute)
    except ValueError as error:
        raise FrameError(f"bad freeze time {raw.hex(' ')}: {error}") from None


def encode_expiry(moment: dt.datetime) -> bytes:
    """ssmmhhDDMMYY, seconds first on the wire (N3..N8 of a relay command)."""
    parts = (moment.second, moment.minute, moment.hour, moment.day, moment.month, moment.year % 100)
    return b''.join(bcd(part, 1) for part in parts)


def decode_expiry(raw: bytes) -> dt.datetime:
    second, minute, hour, day, month, year = (from_bcd(raw[i:i + 1]) for i in range(6))
    try:
        return dt.datetime(2000 + year, month, day, hour, minute, second)
    except ValueError as error:
        raise FrameError(f"bad expiry {raw.hex(' ')}: {error}") from None


@dataclasses.dataclass(frozen=True)
class StatusWord3:
    value: int

    @property
    def relay_open(self) -> bool:
        return bool(self.value & SW3_RELAY_OPEN)

    @property
    def relay_command_open(self) -> bool:
        return bool(self.value & SW3_RELAY_COMMAND_OPEN)

    @property
    def keep_power(self) -> bool:
        return bool(self.value & SW3_KEEP_POWER)

    @property
    def relay(self) -> str:
        """'closed', 'open', or 'close_allowed' (told to close, waiting for the tenant's button)."""
        if not self.relay_open:
            return 'closed'
        return 'open' if self.relay_command_open else 'close_allowed'

    def encode(self) -> bytes:
        return self.value.to_bytes(2, 'little')

    @classmethod
    def decode(cls, raw: bytes) -> StatusWord3:
        if len(raw) != 2:
            raise FrameError(f"status word 3 is 2 bytes, not {len(raw)}")
        return cls(int.from_bytes(raw, 'little'))


# --- read data (11H) -----------------------------------------------------------------------------

def read_request(address: str, di: int) -> bytes:
    return Frame(address, READ, di.to_bytes(4, 'little')).encode()


def read_answer(address: str, di: int, payload: bytes, follow_up: bool = False) -> bytes:
    control = READ | DIRECTION_ANSWER | (FOLLOW_UP if follow_up else 0)
    return Frame(address, control, di.to_bytes(4, 'little') + payload).encode()


def error_answer(address: str, function: int, err: int) -> bytes:
    return Frame(address, function | DIRECTION_ANSWER | ABNORMAL, bytes([err])).encode()


def requested_di(frame: Frame) -> int:
    if frame.function != READ or frame.is_answer or len(frame.data) < 4:
        raise FrameError("not a read request")
    return int.from_bytes(frame.data[:4], 'little')


def _check_answer(frame: Frame, function: int) -> None:
    if not frame.is_answer or frame.function != function:
        raise FrameError(f"not an answer to {function:02X}H: control {frame.control:02X}")
    if frame.is_abnormal:
        raise MeterError(function, int.from_bytes(frame.data, 'little') if frame.data else ERR_OTHER)


def parse_read_answer(frame: Frame, di: int) -> bytes:
    """The data of a normal read answer to ``di``; ``MeterError`` for an abnormal one."""
    _check_answer(frame, READ)
    if len(frame.data) < 4 or int.from_bytes(frame.data[:4], 'little') != di:
        raise FrameError(f"answer is not for DI {di:08X}")
    return frame.data[4:]


# --- relay control (1CH) -------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RelayCommand:
    action: int                  # N1
    expiry: dt.datetime          # N3..N8
    level: int = 0x02            # PA
    password: str = '000000'     # P2 P1 P0 (hex digits, P2 first)
    operator: str = '00000000'   # C3 C2 C1 C0
    n2: int = 0

    def encode_data(self) -> bytes:
        return (bytes([self.level]) + encode_hex_digits(self.password, 3) + encode_hex_digits(self.operator, 4)
                + bytes([self.action, self.n2]) + encode_expiry(self.expiry))


def relay_request(address: str, command: RelayCommand) -> bytes:
    return Frame(address, RELAY_CONTROL, command.encode_data()).encode()


def parse_relay_request(frame: Frame) -> RelayCommand:
    if frame.function != RELAY_CONTROL or frame.is_answer:
        raise FrameError("not a relay control request")
    data = frame.data
    if len(data) != 16:
        raise FrameError(f"a relay command carries 16 data bytes, not {len(data)}")
    return RelayCommand(action=data[8], expiry=decode_expiry(data[10:16]), level=data[0],
                        password=data[1:4][::-1].hex().upper(), operator=data[4:8][::-1].hex().upper(), n2=data[9])


def relay_answer(address: str) -> bytes:
    return Frame(address, RELAY_CONTROL | DIRECTION_ANSWER).encode()


def parse_relay_answer(frame: Frame) -> None:
    """Nothing for a normal answer (9CH); ``MeterError`` for an abnormal one (DCH + ERR)."""
    _check_answer(frame, RELAY_CONTROL)

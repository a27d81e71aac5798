"""The layout of a prepaid electricity card on an SLE4442 memory card (format 1).

docs/card-format.md has the full table. In short:

- 0x00-0x1F  the chip's factory area (ATR header, serial at 0x08-0x0F): never written;
- 0x20-0x5F  the card data (`CardImage`), 64 bytes;
- 0x60-0x67  its MAC: ISO/IEC 9797-1 MAC algorithm 3 under the per-card key, over the card
             serial and the card data (so an image copied onto another chip is refused);
- 0x68       outside the MAC, the credit flag the meter flips (A5 valid, 5A consumed, 00 on
             special cards);
- 0x70-0x9F and 0xA0-0xCF  the meter's write-back (`WriteBack`) in two alternating copies,
             each with a generation counter, a 4-byte tag (retail MAC under the card key) and
             a CRC-16: the meter writes over the older (or damaged) copy, a reader takes the
             newer intact one, so a torn write never loses the last good write-back;
- 0xD0-0xFF  free.

The server computes every byte it writes (`encode`); the meter side (`encode_write_back`,
`mark_consumed`) is used by meters and the virtual meter. `decode` returns a `DecodedCard`
or raises `CardRefused` (code, translatable message, params) and nothing else, whatever the
bytes. Business checks that need the database (unknown customer, replaced card,
deactivated customer) are the Odoo layer's.

Fixed point: energy and money in integer hundredths (0.01 kWh, or 0.01 yuan on a money-credit
meter: see `credit_unit`), price in integer ten-thousandths (10⁻⁴). Decimal at the API,
never floats.
"""
import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from . import card_crypto
from .messages import Refusal, _lt

# (station code, key version) -> that station's master key, or None when it is not known
KeyLookup = Callable[[str, int], bytes | None]
Writes = dict[int, bytes]        # {address: bytes} to write on a card

CARD_SIZE = 256
SERIAL_ADDRESS, SERIAL_SIZE = 0x08, 8
SERIAL_SLICE = slice(SERIAL_ADDRESS, SERIAL_ADDRESS + SERIAL_SIZE)
USER_START = 0x20
DATA_START, DATA_END = 0x20, 0x60
MAC_START, MAC_END = 0x60, 0x68
FLAG_ADDRESS = 0x68
WRITE_BACK_SIZE = 0x30
WRITE_BACK_ADDRESSES = (0x70, 0x70 + WRITE_BACK_SIZE)
USER_END = WRITE_BACK_ADDRESSES[1] + WRITE_BACK_SIZE        # 0xD0: what a clear erases
MAGIC = b'PE'
FORMAT_VERSION = 1

CARD_TYPES = {1: 'purchase', 2: 'clear', 3: 'check', 4: 'preset', 5: 'parameter'}
CARD_TYPE_CODES = {name: code for code, name in CARD_TYPES.items()}
CREDIT_UNITS = {0: 'energy', 1: 'money'}
CREDIT_UNIT_CODES = {name: code for code, name in CREDIT_UNITS.items()}
FLAG_VALID, FLAG_CONSUMED, FLAG_NONE = 0xA5, 0x5A, 0x00
ERASED = 0xFF                                   # a blank chip's user area reads FF
HUNDREDTH = Decimal('0.01')
TEN_THOUSANDTH = Decimal('0.0001')

STATUS_NORMAL, STATUS_ALARM, STATUS_TRIPPED, STATUS_PRETRIP = 0, 1, 2, 3
STATUSES = {STATUS_NORMAL: 'normal', STATUS_ALARM: 'alarm', STATUS_TRIPPED: 'tripped',
            STATUS_PRETRIP: 'pretrip'}

# magic, version, type, key version, credit unit, station (3 BCD), customer (6 BCD),
# meter (6 BCD), sequence, credit, alarm, pre-trip, hoarding, price, CT, PT, issue time,
# terminal, preset, reserved
_DATA = struct.Struct('>2sBBBB3s6s6sHIIIIIHHIII5s')
assert _DATA.size == DATA_END - DATA_START
# generation, meter number (6 BCD), last accepted purchase sequence, remaining (signed),
# over-zero, cumulative purchased, total consumption, insert count, last purchase, status,
# time, reserved; then a 4-byte tag and the CRC-16
_WRITE_BACK = struct.Struct('>H6sHiIIIHIBI5s')
WRITE_BACK_TAG_SIZE = 4
assert _WRITE_BACK.size + WRITE_BACK_TAG_SIZE + 2 == WRITE_BACK_SIZE
_WRITE_BACK_DOMAIN = b'WB'                        # separates write-back tags from card MACs


class CardRefused(Refusal):
    """Why card bytes are refused (a Refusal): `code` 'blank', 'not_ours', 'truncated',
    'unknown_version', 'foreign_station', 'unknown_key_version', 'bad_mac' or 'torn'."""


@dataclass(frozen=True)
class CardImage:
    """The MAC-protected data of a card (0x20-0x5F)."""
    card_type: str = 'purchase'            # purchase, clear, check, preset, parameter
    key_version: int = 1                   # 0-255: which master key of the station
    credit_unit: str = 'energy'            # energy (kWh) or money (yuan)
    station_code: str = '000000'           # 6 digits
    customer_number: str = '0'             # up to 12 digits
    meter_number: str = '0'                # up to 12 digits
    sequence: int = 0                      # purchase sequence, 0-65535
    credit: Decimal = Decimal(0)           # 0.01 kWh (or 0.01 yuan); the preset on a preset card
    alarm: Decimal = Decimal(0)            # 0.01 kWh
    pretrip: Decimal = Decimal(0)
    hoarding: Decimal = Decimal(0)
    price: Decimal = Decimal(0)            # 0.0001 per kWh, as written to the meter
    ct_ratio: int = 1
    pt_ratio: int = 1
    issued_at: int = 0                     # Unix seconds, UTC
    terminal: int = 0
    preset: Decimal = Decimal(0)           # the station's preset energy (information)


@dataclass(frozen=True)
class WriteBack:
    """What the meter wrote back onto the card (返写信息)."""
    generation: int = 0                    # set by encode_write_back
    remaining: Decimal = Decimal(0)        # remaining energy (or money), 0.01
    over_zero: Decimal = Decimal(0)        # used beyond zero, deducted from the next credit
    cumulative_purchased: Decimal = Decimal(0)   # net credit the meter received in all
    total_consumption: Decimal = Decimal(0)
    insert_count: int = 0
    last_purchase: Decimal = Decimal(0)    # credit of the last purchase card (as written)
    status: int = STATUS_NORMAL
    time: int = 0                          # meter clock, Unix seconds
    meter_number: str = '0'                # the meter that wrote it
    sequence: int = 0                      # the last purchase sequence the meter accepted


@dataclass(frozen=True)
class DecodedCard:
    serial: bytes
    image: CardImage
    is_credit_valid: bool                  # purchase card whose credit the meter has not taken
    write_back: WriteBack | None = None    # None: no intact write-back for this card key


# --- small codecs ----------------------------------------------------------------------------

def _bcd(digits, size, what):
    digits = str(digits)
    if not digits.isascii() or not digits.isdigit() or len(digits) > size * 2:
        raise ValueError(f"{what} {digits!r} does not fit in {size * 2} digits")
    return bytes.fromhex(digits.rjust(size * 2, '0'))


def _unbcd(raw):
    text = raw.hex()
    if not text.isdigit():
        raise ValueError("not BCD")
    return text


def _fixed(value, quantum, what, signed=False):
    """A Decimal as an integer count of `quantum` (exact: no rounding on a card)."""
    if isinstance(value, float):
        raise ValueError(f"{what}: use Decimal, not float")
    try:
        units = Decimal(value) / quantum
        exact = units == units.to_integral_value()
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number") from None
    low, high = (-2 ** 31, 2 ** 31) if signed else (0, 2 ** 32)
    if not exact or not low <= units < high:
        raise ValueError(f"{what} {value} does not fit the card")
    return int(units)


def _uint(value, bits, what, low=0):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < 2 ** bits:
        raise ValueError(f"{what} {value!r} does not fit the card")
    return value


def _crc16_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


_CRC16_TABLE = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR);
    crc16(b'123456789') == 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16_TABLE[(crc >> 8) ^ byte]
    return crc


def serial_of(raw: bytes) -> bytes:
    """The card serial (8 bytes of the factory area)."""
    return bytes(raw[SERIAL_SLICE])


def apply_writes(raw: bytes, writes: Writes) -> bytes:
    """The card bytes after `writes` ({address: bytes}) on `raw`."""
    raw = bytearray(raw)
    for address, data in writes.items():
        raw[address:address + len(data)] = data
    return bytes(raw)


# --- encoding (server side) ------------------------------------------------------------------

def pack_image(image: CardImage) -> bytes:
    """The 64 bytes of card data (0x20-0x5F); ValueError if a value does not fit."""
    if image.card_type not in CARD_TYPE_CODES:
        raise ValueError(f"unknown card type {image.card_type!r}")
    if image.credit_unit not in CREDIT_UNIT_CODES:
        raise ValueError(f"unknown credit unit {image.credit_unit!r}")
    return _DATA.pack(
        MAGIC, FORMAT_VERSION, CARD_TYPE_CODES[image.card_type], _uint(image.key_version, 8, 'key version'),
        CREDIT_UNIT_CODES[image.credit_unit], _bcd(image.station_code, 3, 'station code'),
        _bcd(image.customer_number, 6, 'customer number'), _bcd(image.meter_number, 6, 'meter number'),
        _uint(image.sequence, 16, 'purchase sequence'),
        _fixed(image.credit, HUNDREDTH, 'credit'), _fixed(image.alarm, HUNDREDTH, 'alarm level'),
        _fixed(image.pretrip, HUNDREDTH, 'pre-trip level'), _fixed(image.hoarding, HUNDREDTH, 'hoarding limit'),
        _fixed(image.price, TEN_THOUSANDTH, 'price'), _uint(image.ct_ratio, 16, 'CT ratio', 1),
        _uint(image.pt_ratio, 16, 'PT ratio', 1), _uint(image.issued_at, 32, 'issue time'),
        _uint(image.terminal, 32, 'terminal'), _fixed(image.preset, HUNDREDTH, 'preset energy'), bytes(5))


def image_mac(card_key: bytes, serial: bytes, data: bytes) -> bytes:
    """The card MAC: retail MAC over serial ‖ card data (8 bytes, all kept on the card)."""
    return card_crypto.retail_mac(card_key, bytes(serial) + bytes(data))


def encode(image: CardImage, serial: bytes, card_key: bytes, credit_valid: bool = True) -> Writes:
    """The bytes the server writes, as {address: bytes}: the card data, its MAC and the
    credit flag (A5 valid or 5A consumed on a purchase card, 00 on a special card), one
    contiguous run from 0x20 to 0x68. The factory area and the meter's write-back are never
    written here."""
    data = pack_image(image)
    mac = image_mac(card_key, serial, data)
    if image.card_type == 'purchase':
        flag = FLAG_VALID if credit_valid else FLAG_CONSUMED
    else:
        flag = FLAG_NONE
    return {DATA_START: data + mac + bytes([flag])}


def encode_card(image: CardImage, blank: bytes, card_key: bytes, credit_valid: bool = True) -> bytes:
    """The full 256-byte image: `blank` (the card as read, factory area and serial included)
    with `encode`'s writes applied."""
    if not isinstance(blank, (bytes, bytearray)) or len(blank) != CARD_SIZE:
        raise ValueError("a card image has 256 bytes")
    return apply_writes(blank, encode(image, serial_of(blank), card_key, credit_valid))


def clear_writes() -> Writes:
    """What a clear writes: the whole user area (card data to write-back copies) erased."""
    return {USER_START: bytes([ERASED]) * (USER_END - USER_START)}


def mark_consumed() -> Writes:
    """What the meter writes when it takes the credit: the flag, consumed."""
    return {FLAG_ADDRESS: bytes([FLAG_CONSUMED])}


# --- the meter's write-back --------------------------------------------------------------------

def _write_back_tag(card_key, serial, body):
    return card_crypto.retail_mac(card_key, _WRITE_BACK_DOMAIN + bytes(serial) + body)[:WRITE_BACK_TAG_SIZE]


def pack_write_back(write_back: WriteBack, serial: bytes, card_key: bytes) -> bytes:
    """One 48-byte write-back copy: the fields, a 4-byte tag (retail MAC under the card key
    over "WB" ‖ serial ‖ fields, leftmost 4 bytes) and the CRC-16 of all that."""
    body = _WRITE_BACK.pack(
        _uint(write_back.generation, 16, 'generation'), _bcd(write_back.meter_number, 6, 'meter number'),
        _uint(write_back.sequence, 16, 'purchase sequence'),
        _fixed(write_back.remaining, HUNDREDTH, 'remaining', signed=True),
        _fixed(write_back.over_zero, HUNDREDTH, 'over-zero'),
        _fixed(write_back.cumulative_purchased, HUNDREDTH, 'cumulative purchased'),
        _fixed(write_back.total_consumption, HUNDREDTH, 'total consumption'),
        _uint(write_back.insert_count, 16, 'insert count'),
        _fixed(write_back.last_purchase, HUNDREDTH, 'last purchase'), _uint(write_back.status, 8, 'status'),
        _uint(write_back.time, 32, 'meter time'), bytes(5))
    body += _write_back_tag(card_key, serial, body)
    return body + crc16(body).to_bytes(2, 'big')


def _read_write_back(raw, address, card_key):
    """The copy at `address`, or None when it is empty, torn (CRC) or not ours (tag)."""
    block = bytes(raw[address:address + WRITE_BACK_SIZE])
    if len(block) != WRITE_BACK_SIZE:
        return None
    body, check = block[:-2], int.from_bytes(block[-2:], 'big')
    if crc16(body) != check:
        return None
    fields, tag = body[:_WRITE_BACK.size], body[_WRITE_BACK.size:]
    if not hmac.compare_digest(tag, _write_back_tag(card_key, serial_of(raw), fields)):
        return None
    (generation, meter, sequence, remaining, over_zero, cumulative, consumption, inserts, last, status,
     time, _reserved) = _WRITE_BACK.unpack(fields)
    try:
        meter_number = _unbcd(meter)
    except ValueError:
        return None
    return WriteBack(generation=generation, remaining=Decimal(remaining) * HUNDREDTH,
                     over_zero=Decimal(over_zero) * HUNDREDTH, cumulative_purchased=Decimal(cumulative) * HUNDREDTH,
                     total_consumption=Decimal(consumption) * HUNDREDTH, insert_count=inserts,
                     last_purchase=Decimal(last) * HUNDREDTH, status=status, time=time,
                     meter_number=meter_number, sequence=sequence)


def _newer(a, b):
    """Generation a is newer than b (16-bit counter, wrapping)."""
    return 0 < ((a.generation - b.generation) & 0xFFFF) < 0x8000


def write_back_copies(raw: bytes, card_key: bytes) -> list[WriteBack | None]:
    """Both copies as [WriteBack or None, WriteBack or None] (None: empty, torn or forged)."""
    return [_read_write_back(raw, address, card_key) for address in WRITE_BACK_ADDRESSES]


def _newest(copies):
    """(index, copy) of the newer intact copy, or (None, None)."""
    a, b = copies
    if a is None and b is None:
        return None, None
    if b is None or (a is not None and not _newer(b, a)):
        return 0, a
    return 1, b


def decode_write_back(raw: bytes, card_key: bytes) -> WriteBack | None:
    """The newer intact write-back copy under this card key, or None."""
    return _newest(write_back_copies(raw, card_key))[1]


def encode_write_back(raw: bytes, write_back: WriteBack, card_key: bytes) -> Writes:
    """{address: bytes} of the meter's next write-back: over the older (or damaged) copy,
    with the next generation, so that the last good copy survives a torn write."""
    index, current = _newest(write_back_copies(raw, card_key))
    generation = ((current.generation + 1) & 0xFFFF) if current else 1
    slot = 0 if index is None else 1 - index
    packed = pack_write_back(replace(write_back, generation=generation), serial_of(raw), card_key)
    return {WRITE_BACK_ADDRESSES[slot]: packed}


# --- decoding ----------------------------------------------------------------------------------

def unpack_image(data: bytes) -> CardImage:
    """The CardImage of 64 bytes of card data (ValueError when they make no sense)."""
    (magic, version, card_type, key_version, credit_unit, station, customer, meter, sequence,
     credit, alarm, pretrip, hoarding, price, ct, pt, issued, terminal, preset, _reserved) = _DATA.unpack(data)
    if magic != MAGIC or version != FORMAT_VERSION:
        raise ValueError("not a format 1 card")
    if card_type not in CARD_TYPES or credit_unit not in CREDIT_UNITS:
        raise ValueError("unknown card type or credit unit")
    return CardImage(
        card_type=CARD_TYPES[card_type], key_version=key_version, credit_unit=CREDIT_UNITS[credit_unit],
        station_code=_unbcd(station), customer_number=_unbcd(customer), meter_number=_unbcd(meter),
        sequence=sequence, credit=Decimal(credit) * HUNDREDTH, alarm=Decimal(alarm) * HUNDREDTH,
        pretrip=Decimal(pretrip) * HUNDREDTH, hoarding=Decimal(hoarding) * HUNDREDTH,
        price=Decimal(price) * TEN_THOUSANDTH, ct_ratio=ct, pt_ratio=pt, issued_at=issued,
        terminal=terminal, preset=Decimal(preset) * HUNDREDTH)


def _torn():
    return CardRefused('torn', _lt("The card data is damaged (torn write): rewrite the card."))


def decode(raw: bytes, key_lookup: KeyLookup, station_code: str | None = None) -> DecodedCard:
    """Decode a whole card (256 bytes as read from the chip).

    `key_lookup(station_code, key_version)` returns that station's master key for that
    version, or None. Any key version it knows is accepted: after a key rotation old cards
    are still read (and re-keyed on their next write). With `station_code`, a card of another
    station is refused as foreign (a master clear passes None).

    Raises CardRefused and nothing else for any bytes; the MAC is checked before any field
    past the header is trusted."""
    if not isinstance(raw, (bytes, bytearray, memoryview)) or len(raw) < CARD_SIZE:
        raise CardRefused('truncated', _lt("The card data is incomplete: read the card again."))
    raw = bytes(raw[:CARD_SIZE])
    data, mac, flag = raw[DATA_START:DATA_END], raw[MAC_START:MAC_END], raw[FLAG_ADDRESS]
    if data[:2] != MAGIC:
        if all(b in (0x00, ERASED) for b in raw[USER_START:FLAG_ADDRESS + 1]):
            raise CardRefused('blank', _lt("This is a blank card: it holds no customer."))
        raise CardRefused('not_ours', _lt("This card was not written by this vending system."))
    if data[2] != FORMAT_VERSION:
        raise CardRefused('unknown_version', _lt("Unknown card format version %(version)s."), version=data[2])
    key_version = data[4]
    try:
        station = _unbcd(data[6:9])
    except ValueError:
        raise _torn() from None
    if station_code is not None and station != str(station_code).rjust(6, '0'):
        raise CardRefused('foreign_station', _lt("This card belongs to another station (%(station)s)."),
                          station=station)
    master = key_lookup(station, key_version)
    if master is None:
        raise CardRefused('unknown_key_version', _lt(
            "No key is known for station %(station)s, key version %(version)s."),
            station=station, version=key_version)
    serial = serial_of(raw)
    card_key = card_crypto.diversify(master, station, serial)
    if not card_crypto.verify_mac(card_key, serial + data, mac):
        if flag == ERASED:      # written in address order: the flag never came, the write was cut
            raise _torn()
        raise CardRefused('bad_mac', _lt("The card data fails its security check: it was altered or forged."))
    try:
        image = unpack_image(data)
    except (ValueError, struct.error):
        raise _torn() from None
    if image.card_type == 'purchase':
        if flag not in (FLAG_VALID, FLAG_CONSUMED):
            raise _torn()
    elif flag != FLAG_NONE:
        raise _torn()
    return DecodedCard(serial=serial, image=image, is_credit_valid=image.card_type == 'purchase' and flag == FLAG_VALID,
                       write_back=decode_write_back(raw, card_key))


def card_key_for(raw_or_serial: bytes, image: CardImage, key_lookup: KeyLookup) -> bytes | None:
    """The card key of a decoded card (meters use it to tag their write-back), or None."""
    serial = raw_or_serial if len(raw_or_serial) == SERIAL_SIZE else serial_of(raw_or_serial)
    master = key_lookup(image.station_code, image.key_version)
    return None if master is None else card_crypto.diversify(master, image.station_code, serial)


def issued_now() -> int:
    return int(datetime.now(UTC).timestamp())

"""The layout of a prepaid electricity purchase card on an SLE4442 memory card (format 1).

See docs/card-format.md for the table. In short: bytes 0x00-0x1F are the chip's factory area
(with the card serial at 0x08-0x0F), 0x20-0x5F the card data, 0x60-0x67 its MAC (retail MAC
over the serial and the card data, under the per-card key), 0x68 the credit flag the meter
flips, 0x70-0x8F and 0x90-0xAF the meter's write-back in two alternating copies, each with a
generation counter and a CRC-16, so that a torn write never loses the last good copy.

Everything the server writes is computed here; decoding either returns a typed result or
raises CardRefused with a precise, translatable reason.
"""
import struct
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal

from . import card_crypto
from .messages import _lt

CARD_SIZE = 256
FACTORY_END = 0x20
SERIAL_SLICE = slice(0x08, 0x10)
DATA_START, DATA_END = 0x20, 0x60
MAC_START, MAC_END = 0x60, 0x68
FLAG_ADDRESS = 0x68
WRITE_BACK_ADDRESSES = (0x70, 0x90)
WRITE_BACK_SIZE = 0x20
MAGIC = b'PE'
FORMAT_VERSION = 1

CARD_TYPES = {1: 'purchase', 2: 'clear', 3: 'check', 4: 'preset', 5: 'parameter'}
CARD_TYPE_CODES = {name: code for code, name in CARD_TYPES.items()}
CREDIT_UNITS = {0: 'energy', 1: 'money'}
CREDIT_UNIT_CODES = {name: code for code, name in CREDIT_UNITS.items()}
FLAG_VALID, FLAG_CONSUMED, FLAG_NONE = 0xA5, 0x5A, 0x00
HUNDREDTH = Decimal('0.01')
TEN_THOUSANDTH = Decimal('0.0001')

# magic, version, type, key version, credit unit, station (3 BCD), customer (6 BCD),
# meter (6 BCD), sequence, credit, alarm, pre-trip, hoarding, price, CT, PT, issue time,
# terminal, preset, reserved
_DATA = struct.Struct('>2sBBBB3s6s6sHIIIIIHHIII5s')
assert _DATA.size == DATA_END - DATA_START
# generation, remaining, over-zero, cumulative purchased, total consumption, insert count,
# last purchase, status, time, padding; then CRC-16
_WRITE_BACK = struct.Struct('>HiIIIHIBI1s')
assert _WRITE_BACK.size + 2 == WRITE_BACK_SIZE


class CardRefused(Exception):
    """Why a card image is refused: `code` for programs, `message` (translatable template)
    and `params` for people."""

    def __init__(self, code, message, **params):
        self.code = code
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class CardImage:
    """The MAC-protected data of a card."""
    card_type: str = 'purchase'
    key_version: int = 1
    credit_unit: str = 'energy'
    station_code: str = '000000'
    customer_number: str = '0'
    meter_number: str = '0'
    sequence: int = 0
    credit: Decimal = Decimal(0)           # kWh (or money), 0.01
    alarm: Decimal = Decimal(0)
    pretrip: Decimal = Decimal(0)
    hoarding: Decimal = Decimal(0)
    price: Decimal = Decimal(0)            # 0.0001
    ct_ratio: int = 1
    pt_ratio: int = 1
    issued_at: int = 0                     # unix seconds
    terminal: int = 0
    preset: Decimal = Decimal(0)


@dataclass(frozen=True)
class WriteBack:
    """What the meter wrote back onto the card."""
    generation: int = 0
    remaining: Decimal = Decimal(0)
    over_zero: Decimal = Decimal(0)
    cumulative_purchased: Decimal = Decimal(0)
    total_consumption: Decimal = Decimal(0)
    insert_count: int = 0
    last_purchase: Decimal = Decimal(0)
    status: int = 0
    time: int = 0


@dataclass(frozen=True)
class DecodedCard:
    serial: bytes
    image: CardImage
    is_credit_valid: bool
    write_back: WriteBack = None           # None: the meter never wrote back


# --- small codecs --------------------------------------------------------------------------

def _bcd(digits, size):
    digits = str(digits)
    if not digits.isdigit() or len(digits) > size * 2:
        raise ValueError(f"{digits!r} does not fit in {size} BCD bytes")
    return bytes.fromhex(digits.rjust(size * 2, '0'))


def _unbcd(raw):
    text = raw.hex()
    if not text.isdigit():
        raise ValueError("not BCD")
    return text


def _fixed(value, quantum, what):
    units = Decimal(value) / quantum
    if units != units.to_integral_value() or units < 0 or units >= 2 ** 32:
        raise ValueError(f"{what} {value} does not fit the card")
    return int(units)


def crc16(data):
    """CRC-16/CCITT-FALSE."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def serial_of(raw):
    return bytes(raw[SERIAL_SLICE])


# --- encoding --------------------------------------------------------------------------------

def pack_image(image):
    """The 64 bytes of card data (0x20-0x5F)."""
    return _DATA.pack(
        MAGIC, FORMAT_VERSION, CARD_TYPE_CODES[image.card_type], image.key_version,
        CREDIT_UNIT_CODES[image.credit_unit], _bcd(image.station_code, 3),
        _bcd(image.customer_number, 6), _bcd(image.meter_number, 6), image.sequence,
        _fixed(image.credit, HUNDREDTH, 'credit'), _fixed(image.alarm, HUNDREDTH, 'alarm level'),
        _fixed(image.pretrip, HUNDREDTH, 'pre-trip level'), _fixed(image.hoarding, HUNDREDTH, 'hoarding limit'),
        _fixed(image.price, TEN_THOUSANDTH, 'price'), image.ct_ratio, image.pt_ratio, image.issued_at,
        image.terminal, _fixed(image.preset, HUNDREDTH, 'preset energy'), bytes(5))


def encode(image, serial, card_key, credit_valid=True):
    """The bytes the server writes: {address: bytes} for the card data, its MAC and the
    credit flag. The factory area and the meter's write-back are never written here."""
    data = pack_image(image)
    mac = card_crypto.retail_mac(card_key, bytes(serial) + data)
    flag = FLAG_VALID if (credit_valid and image.card_type == 'purchase') else FLAG_NONE
    return {DATA_START: data + mac + bytes([flag])}


def pack_write_back(write_back):
    body = _WRITE_BACK.pack(
        write_back.generation & 0xFFFF, int(Decimal(write_back.remaining) / HUNDREDTH),
        _fixed(write_back.over_zero, HUNDREDTH, 'over-zero'),
        _fixed(write_back.cumulative_purchased, HUNDREDTH, 'cumulative purchased'),
        _fixed(write_back.total_consumption, HUNDREDTH, 'total consumption'), write_back.insert_count,
        _fixed(write_back.last_purchase, HUNDREDTH, 'last purchase'), write_back.status, write_back.time, b'\x00')
    return body + crc16(body).to_bytes(2, 'big')


def write_back_slot(raw):
    """Where the meter writes its next write-back: over the older (or damaged) copy."""
    copies = [_read_write_back(raw, address) for address in WRITE_BACK_ADDRESSES]
    if copies[0] is None:
        return 0
    if copies[1] is None:
        return 1
    return 1 if _newer(copies[0], copies[1]) else 0


def encode_write_back(raw, write_back):
    """{address: bytes} of the meter's next write-back, with the next generation."""
    current = decode_write_back(raw)
    generation = ((current.generation + 1) & 0xFFFF) if current else 1
    slot = write_back_slot(raw)
    return {WRITE_BACK_ADDRESSES[slot]: pack_write_back(replace(write_back, generation=generation))}


# --- decoding --------------------------------------------------------------------------------

def _newer(a, b):
    """Generation a is newer than b (16-bit counter, wrapping)."""
    return 0 < ((a.generation - b.generation) & 0xFFFF) < 0x8000


def _read_write_back(raw, address):
    block = bytes(raw[address:address + WRITE_BACK_SIZE])
    if len(block) != WRITE_BACK_SIZE or block in (bytes(WRITE_BACK_SIZE), b'\xff' * WRITE_BACK_SIZE):
        return None
    body, check = block[:-2], int.from_bytes(block[-2:], 'big')
    if crc16(body) != check:
        return None
    (generation, remaining, over_zero, cumulative, consumption, inserts, last, status, time,
     _pad) = _WRITE_BACK.unpack(body)
    return WriteBack(generation, Decimal(remaining) * HUNDREDTH, Decimal(over_zero) * HUNDREDTH,
                     Decimal(cumulative) * HUNDREDTH, Decimal(consumption) * HUNDREDTH, inserts,
                     Decimal(last) * HUNDREDTH, status, time)


def decode_write_back(raw):
    """The newer intact write-back copy, or None when the meter never wrote one."""
    copies = [c for c in (_read_write_back(raw, a) for a in WRITE_BACK_ADDRESSES) if c is not None]
    if not copies:
        return None
    if len(copies) == 1:
        return copies[0]
    return copies[0] if _newer(copies[0], copies[1]) else copies[1]


def unpack_image(data):
    (magic, version, card_type, key_version, credit_unit, station, customer, meter, sequence,
     credit, alarm, pretrip, hoarding, price, ct, pt, issued, terminal, preset, _reserved) = _DATA.unpack(data)
    if card_type not in CARD_TYPES or credit_unit not in CREDIT_UNITS:
        raise ValueError("unknown card type or credit unit")
    return CardImage(
        card_type=CARD_TYPES[card_type], key_version=key_version, credit_unit=CREDIT_UNITS[credit_unit],
        station_code=_unbcd(station), customer_number=_unbcd(customer), meter_number=_unbcd(meter),
        sequence=sequence, credit=Decimal(credit) * HUNDREDTH, alarm=Decimal(alarm) * HUNDREDTH,
        pretrip=Decimal(pretrip) * HUNDREDTH, hoarding=Decimal(hoarding) * HUNDREDTH,
        price=Decimal(price) * TEN_THOUSANDTH, ct_ratio=ct, pt_ratio=pt, issued_at=issued,
        terminal=terminal, preset=Decimal(preset) * HUNDREDTH)


def decode(raw, key_lookup, station_code=None):
    """Decode a whole card image (256 bytes as read from the chip).

    `key_lookup(station_code, key_version)` returns that station's master key or None.
    With `station_code`, a card of another station is refused as foreign (master clear
    passes None). Raises CardRefused; never anything else for bad input."""
    if not isinstance(raw, (bytes, bytearray)) or len(raw) < CARD_SIZE:
        raise CardRefused('truncated', _lt("The card data is incomplete: read the card again."))
    raw = bytes(raw[:CARD_SIZE])
    data, mac = raw[DATA_START:DATA_END], raw[MAC_START:MAC_END]
    if data[:2] != MAGIC:
        if all(b in (0x00, 0xFF) for b in raw[DATA_START:MAC_END + 1]):
            raise CardRefused('blank', _lt("This is a blank card: it holds no customer."))
        raise CardRefused('not_ours', _lt("This card was not written by this vending system."))
    if data[2] != FORMAT_VERSION:
        raise CardRefused('unknown_version', _lt("Unknown card format version %(version)s."), version=data[2])
    try:
        image = unpack_image(data)
    except (ValueError, struct.error):
        raise CardRefused('torn', _lt("The card data is damaged (torn write): rewrite the card.")) from None
    if station_code is not None and image.station_code != str(station_code):
        raise CardRefused('foreign_station', _lt("This card belongs to another station (%(station)s)."),
                          station=image.station_code)
    master = key_lookup(image.station_code, image.key_version)
    if master is None:
        raise CardRefused('unknown_key_version', _lt(
            "No key is known for station %(station)s, key version %(version)s."),
            station=image.station_code, version=image.key_version)
    serial = serial_of(raw)
    card_key = card_crypto.diversify(master, image.station_code, serial)
    if card_crypto.retail_mac(card_key, serial + data) != mac:
        raise CardRefused('bad_mac', _lt("The card data fails its security check: it was altered or forged."))
    flag = raw[FLAG_ADDRESS]
    if image.card_type == 'purchase' and flag not in (FLAG_VALID, FLAG_CONSUMED):
        raise CardRefused('torn', _lt("The card data is damaged (torn write): rewrite the card."))
    return DecodedCard(serial=serial, image=image, is_credit_valid=flag == FLAG_VALID,
                       write_back=decode_write_back(raw))


def issued_now():
    return int(datetime.now(timezone.utc).timestamp())

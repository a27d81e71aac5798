"""ccTalk, the serial protocol of the kiosk's bill validator (纸币器), as in the ccTalk Generic
Specification (Money Controls / Crane Payment Innovations, issue 4.x): part 1 for the frame,
part 2 for the headers, part 3 for the bill validator's event codes.

A frame is [destination, data length, source, header, data..., checksum], with the simple 8-bit
checksum: all its bytes sum to 0 modulo 256. The host is address 1, a bill validator answers
on 40 by default; a reply has header 0 (ACK) and carries the requested data. The spec's own
example, a simple poll to a bill validator: 40 0 1 254 217 (28 00 01 FE D9), answered by the
ACK 1 0 40 0 215 (01 00 28 00 D7).

Standard library only: the driver (acceptor.py) and the virtual validator (virtual_acceptor.py)
both speak through this module, so that they cannot disagree on a byte.
"""
from collections import namedtuple
from decimal import Decimal

HOST = 1
BILL_VALIDATOR = 40

# headers (part 2 of the spec)
ACK = 0
RESET_DEVICE = 1
NAK = 5
BUSY = 6
SIMPLE_POLL = 254
REQUEST_MANUFACTURER_ID = 246
REQUEST_EQUIPMENT_CATEGORY = 245
REQUEST_PRODUCT_CODE = 244
MODIFY_INHIBIT_STATUS = 231
REQUEST_INHIBIT_STATUS = 230
MODIFY_MASTER_INHIBIT = 228
REQUEST_MASTER_INHIBIT = 227
READ_BUFFERED_BILL_EVENTS = 159
REQUEST_BILL_ID = 157
REQUEST_COUNTRY_SCALING_FACTOR = 156
ROUTE_BILL = 154

# header 154's route codes and its error replies
ROUTE_RETURN = 0
ROUTE_STACK = 1
ROUTE_EXTEND_ESCROW = 255
ROUTE_ESCROW_EMPTY = 254
ROUTE_FAILED = 255

BILL_TYPES = 16                 # header 231 takes two mask bytes: bill types 1-8, then 9-16
UNPROGRAMMED_BILL = '.......'   # header 157's answer for a bill type with no bill programmed
EVENT_SLOTS = 5                 # header 159 answers the last 5 events, newest first

# Header 159, result A = 0: result B is one of these (spec part 3, "Bill validator event
# codes"): (the spec's wording, the spec's event type, the code this bridge reports).
# Result A = 1..255 is a bill type: result B 0 = validated and sent to the cashbox (credit),
# result B 1 = validated and held in escrow (pending credit, waiting for header 154).
STATUS, REJECT, FATAL, FRAUD = 'status', 'reject', 'fatal error', 'fraud attempt'
BILL_EVENT_CODES = {
    0: ("Master inhibit active", STATUS, 'inhibited'),
    1: ("Bill returned from escrow", STATUS, 'returned'),
    2: ("Invalid bill (due to validation fail)", REJECT, 'rejected'),
    3: ("Invalid bill (due to transport problem)", REJECT, 'rejected'),
    4: ("Inhibited bill (on serial)", STATUS, 'inhibited'),
    5: ("Inhibited bill (on DIP switches)", STATUS, 'inhibited'),
    6: ("Bill jammed in transport (unsafe mode)", FATAL, 'jam'),
    7: ("Bill jammed in stacker", FATAL, 'jam'),
    8: ("Bill pulled backwards", FRAUD, 'fraud'),
    9: ("Bill tamper", FRAUD, 'fraud'),
    10: ("Stacker OK", STATUS, 'cashbox_ok'),
    11: ("Stacker removed", STATUS, 'cashbox_removed'),
    12: ("Stacker inserted", STATUS, 'cashbox_inserted'),
    13: ("Stacker faulty", FATAL, 'cashbox_faulty'),
    14: ("Stacker full", STATUS, 'cashbox_full'),
    15: ("Stacker jammed", FATAL, 'jam'),
    16: ("Bill jammed in transport (safe mode)", FATAL, 'jam'),
    17: ("Opto fraud detected", FRAUD, 'fraud'),
    18: ("String fraud detected", FRAUD, 'fraud'),
    19: ("Anti-string mechanism faulty", FATAL, 'faulty'),
    20: ("Barcode detected", STATUS, 'barcode'),
    21: ("Unknown bill type stacked", STATUS, 'unknown_bill_stacked'),
}
# what leaves the validator unable to take notes until someone opens the kiosk
STOPPING_FAULTS = frozenset({'jam', 'cashbox_full', 'cashbox_removed', 'cashbox_faulty', 'faulty', 'offline'})
# what the validator reports when such a fault is over
CLEARING_STATUSES = frozenset({'cashbox_ok', 'cashbox_inserted'})


class CcTalkError(ValueError):
    """A malformed frame: too short, wrong length, or a bad checksum."""


Frame = namedtuple('Frame', 'destination source header data')


def checksum(body):
    """The simple checksum: the byte that makes the whole frame sum to 0 modulo 256."""
    return -sum(body) % 256


def encode(destination, source, header, data=b''):
    data = bytes(data)
    if len(data) > 252:
        raise CcTalkError(f"{len(data)} data bytes: a simple-checksum frame carries at most 252")
    for name, value in (('destination', destination), ('source', source), ('header', header)):
        if not 0 <= value <= 255:
            raise CcTalkError(f"{name} {value} is not a byte")
    body = bytes([destination, len(data), source, header]) + data
    return body + bytes([checksum(body)])


def frame_length(head):
    """The length of the frame whose first two bytes are `head`."""
    return head[1] + 5


def decode(raw):
    raw = bytes(raw)
    if len(raw) < 5:
        raise CcTalkError(f"a frame has at least 5 bytes, got {len(raw)}")
    if len(raw) != frame_length(raw):
        raise CcTalkError(f"length byte says {raw[1]} data bytes, the frame holds {len(raw) - 5}")
    if sum(raw) % 256:
        raise CcTalkError(f"bad checksum in {raw.hex(' ')}")
    return Frame(raw[0], raw[2], raw[3], raw[4:-1])


def ack(destination, source, data=b''):
    """A reply: header 0, with the requested data if any."""
    return encode(destination, source, ACK, data)


def inhibit_mask(bill_types):
    """Header 231's two bytes: bit n-1 set = bill type n accepted (LSB first: types 1-8, 9-16)."""
    mask = 0
    for bill_type in bill_types:
        if not 1 <= bill_type <= BILL_TYPES:
            raise ValueError(f"bill type {bill_type} is not 1-{BILL_TYPES}")
        mask |= 1 << (bill_type - 1)
    return bytes([mask & 0xFF, mask >> 8])


def enabled_types(mask):
    value = mask[0] | mask[1] << 8
    return [bill_type for bill_type in range(1, BILL_TYPES + 1) if value >> (bill_type - 1) & 1]


BillId = namedtuple('BillId', 'country value_code issue')


def parse_bill_id(text):
    """Header 157's answer, e.g. 'CN0100A': country CN, value code 0100, issue A. None for an
    unprogrammed bill type (seven dots) or anything that is not such an id."""
    if isinstance(text, bytes):
        text = text.decode('ascii', 'replace')
    if len(text) != 7 or text == UNPROGRAMMED_BILL or not text[2:6].isdigit() or not text[:2].isalpha():
        return None
    return BillId(text[:2], int(text[2:6]), text[6])


def scaling(data):
    """Header 156's answer: (scaling factor, decimal places); (0, 0) = country not supported."""
    if len(data) != 3:
        raise CcTalkError(f"a country scaling factor is 3 bytes, got {len(data)}")
    return data[0] | data[1] << 8, data[2]


def bill_value(value_code, factor, decimals):
    """The value of a bill type, exactly: value code x scaling factor, with `decimals` places
    (CN0050A, factor 100, 2 places: 50.00)."""
    return Decimal(value_code * factor).scaleb(-decimals)


def parse_bill_events(data):
    """Header 159's answer: (event counter, [(result A, result B)] newest first)."""
    if len(data) != 1 + 2 * EVENT_SLOTS:
        raise CcTalkError(f"buffered bill events are 11 bytes, got {len(data)}")
    return data[0], [(data[i], data[i + 1]) for i in range(1, len(data), 2)]


def new_event_count(last, counter):
    """How many events happened since the host last read counter `last`: (new, lost).

    The counter starts at 0 on power-up or reset, counts 1..255, then wraps to 1 (never to 0
    again), so 0 after a non-zero `last` means the device was reset. Only 5 events are kept:
    more than 5 new ones means some were lost (`lost` > 0). `last` None is a first read: the
    buffer's events are older than this host's session, none is new."""
    if last is None or counter == last:
        return 0, 0
    if counter == 0:
        return 0, 0
    new = counter if last == 0 else (counter - last) % 255
    return min(new, EVENT_SLOTS), max(new - EVENT_SLOTS, 0)


def next_counter(counter):
    """The counter after one more event: 1..255, then 1."""
    return counter % 255 + 1

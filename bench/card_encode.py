"""Time to encode + MAC one card image (goal: under 100 µs), and the other card steps.
Plain Python, no Odoo: run with the runtime's venv, `python bench/card_encode.py`."""
import sys
import timeit
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine import card_crypto, card_format  # noqa: E402  (the engine uses relative imports only)

MASTER = bytes.fromhex('00112233445566778899AABBCCDDEEFF')
SERIAL = bytes.fromhex('1020304050607080')
STATION = '310101'
IMAGE = card_format.CardImage(station_code=STATION, customer_number='000000000001', meter_number='000012345678',
                              sequence=7, credit=Decimal('61'), alarm=Decimal(20), pretrip=Decimal(10),
                              hoarding=Decimal(9999), price=Decimal('2.0000'), issued_at=1_700_000_000, terminal=1,
                              preset=Decimal(20))
CARD_KEY = card_crypto.diversify(MASTER, STATION, SERIAL)
BLANK = bytes(8) + SERIAL + bytes(16) + b'\xff' * 224
RAW = card_format.encode_card(IMAGE, BLANK, CARD_KEY)
RAW = card_format.apply_writes(RAW, card_format.encode_write_back(
    RAW, card_format.WriteBack(remaining=Decimal('41'), meter_number='000012345678', sequence=7), CARD_KEY))


def lookup(station, version):
    return MASTER


STEPS = [
    ("encode + MAC one card image", lambda: card_format.encode(IMAGE, SERIAL, CARD_KEY)),
    ("diversify card key", lambda: card_crypto.diversify(MASTER, STATION, SERIAL)),
    ("diversify + encode + MAC",
     lambda: card_format.encode(IMAGE, SERIAL, card_crypto.diversify(MASTER, STATION, SERIAL))),
    ("derive PSC", lambda: card_crypto.derive_psc(MASTER, SERIAL)),
    ("decode (key, MAC, write-back)", lambda: card_format.decode(RAW, lookup, STATION)),
]

if __name__ == '__main__':
    for label, func in STEPS:
        runs = 5_000
        best = min(timeit.repeat(func, number=runs, repeat=5)) / runs
        print(f"{label:<32} {best * 1e6:7.1f} µs")

"""Time to encode + MAC one card image (goal: under 100 µs). Plain Python, no Odoo."""
import sys
import timeit
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from domain import card_crypto, card_format  # noqa: E402  (the domain package uses relative imports only)

MASTER = bytes.fromhex('00112233445566778899AABBCCDDEEFF')
SERIAL = bytes.fromhex('1020304050607080')
IMAGE = card_format.CardImage(station_code='310101', customer_number='000000000001', meter_number='000012345678',
                              sequence=7, credit=Decimal('61'), alarm=Decimal(20), pretrip=Decimal(10),
                              hoarding=Decimal(9999), price=Decimal('2.0000'), issued_at=1_700_000_000, terminal=1,
                              preset=Decimal(20))
CARD_KEY = card_crypto.diversify(MASTER, '310101', SERIAL)


def encode_only():
    card_format.encode(IMAGE, SERIAL, CARD_KEY)


def diversify_and_encode():
    card_format.encode(IMAGE, SERIAL, card_crypto.diversify(MASTER, '310101', SERIAL))


if __name__ == '__main__':
    for label, func in [("encode + MAC one card image", encode_only),
                        ("diversify key + encode + MAC", diversify_and_encode)]:
        runs = 20_000
        best = min(timeit.repeat(func, number=runs, repeat=5)) / runs
        print(f"{label:<32} {best * 1e6:7.1f} µs")

"""The engine's share of billing one day of frozen readings for 100,000 remote meters
(`bash bench/run.sh remote_billing`; no database): `remote_billing.bill_day` for each meter
on a time-of-use tariff, with the strategy decisions that follow each bill. Prints the time
and the cost per bill; the Odoo layer's cost (reading rows, writing bills) comes on top."""
import os
import random
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from engine import remote_billing as rb  # noqa: E402
from engine import tariff  # noqa: E402

METERS = 100_000
TOU = tariff.build_tariff('tou', tou_prices={'sharp': Decimal('1.3500'), 'peak': Decimal('1.1200'),
                                             'flat': Decimal('0.8600'), 'valley': Decimal('0.4100')})


def cents(rng, upto):
    return Decimal(rng.randrange(upto * 100)) / 100


def main():
    rng = random.Random(20261202)
    days = []
    for _ in range(METERS):
        bands = [cents(rng, 5000) for _ in range(4)]
        used = [cents(rng, 8) for _ in range(4)]
        before = rb.Registers(sum(bands), *bands)
        after_bands = [b + u for b, u in zip(bands, used, strict=True)]
        days.append((before, rb.Registers(sum(after_bands), *after_bands), cents(rng, 100) - 20))
    start = time.perf_counter()
    billed = Decimal(0)
    trips = 0
    for before, after, balance in days:
        bill = rb.bill_day(before, after, TOU)
        billed += bill.amount
        balance -= bill.amount
        rb.alarms_to_send(0, balance, Decimal(20), Decimal(10))
        trips += rb.should_trip(balance, Decimal(0), relay_closed=True, keep_power=False, auto_trip=True)
    elapsed = time.perf_counter() - start
    print(f"remote billing (engine): {METERS} meters' day billed in {elapsed:.2f} s "
          f"({elapsed / METERS * 1e6:.1f} µs per bill), {billed} yuan, {trips} trips decided")


if __name__ == '__main__':
    main()

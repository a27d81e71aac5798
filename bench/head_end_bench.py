"""Head-end benchmark: one day's frozen data (freeze time + total..T4, two DL/T 645 exchanges a
meter, each in a Q/GDW 1376.1 AFN 10 F1 frame) from 10,000 virtual meters behind 100 virtual
concentrators over loopback TCP. Goal: under 60 s on the project's 2-core machine.

The concentrators and their meters run in a child process (the machine's second core), the
head-end in this one; the time is that of one round of work, from fetching it to its report
delivered to the (in-memory, JSON round-tripping) backend.

    python bench/head_end_bench.py [--concentrators 100] [--meters 100] [--same-process]
"""
import argparse
import asyncio
import datetime as dt
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'head_end'))

from head_end.backend import ConcentratorSpec, MemoryBackend, MeterSpec, ReadTask, Work  # noqa: E402
from head_end.service import HeadEnd  # noqa: E402
from head_end.virtual import SimClock, VirtualConcentrator, VirtualMeter  # noqa: E402

START = dt.datetime(2025, 3, 10, 12, 0)


def assets(count):
    return [f'1700{n:04d}' for n in range(1, count + 1)]


def addresses(asset, count):
    return [f'{asset}{room:04d}' for room in range(1, count + 1)]


async def devices(port, concentrators, meters, ready=None, stop=None):
    clock = SimClock(START, speed=0)
    virtual = []
    for asset in assets(concentrators):
        concentrator = VirtualConcentrator(asset, '127.0.0.1', port, heartbeat=60, reconnect=0.5)
        for address in addresses(asset, meters):
            concentrator.add_meter(VirtualMeter(address, clock), port=2)
        virtual.append(concentrator)
    clock.advance(dt.timedelta(days=1))          # the meters froze yesterday at midnight
    for concentrator in virtual:
        concentrator.start()
    if ready is not None:
        ready.set()
    if stop is None:
        return virtual
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for concentrator in virtual:
        await concentrator.stop()
    return virtual


def child(port, concentrators, meters, ready, stop):
    asyncio.run(devices(port, concentrators, meters, ready, stop))


async def bench(args):
    backend = MemoryBackend()
    head = HeadEnd(backend, host='127.0.0.1', port=0, meter_timeout=2.0, heartbeat_timeout=300)
    port = await head.start()
    process = None
    if args.same_process:
        virtual = await devices(port, args.concentrators, args.meters)
    else:
        context = multiprocessing.get_context('spawn')
        ready, stop = context.Event(), context.Event()
        process = context.Process(
            target=child, args=(port, args.concentrators, args.meters, ready, stop))
        process.start()
    wanted = assets(args.concentrators)
    deadline = time.monotonic() + 60
    while not all(head.concentrator_online(asset) for asset in wanted):
        if time.monotonic() > deadline:
            raise SystemExit("the virtual concentrators did not all log in within 60 s")
        await asyncio.sleep(0.1)
    await head.flush()
    backend.reports.clear()
    backend.work = Work([ConcentratorSpec(asset, meters=[MeterSpec(a) for a in addresses(asset, args.meters)])
                         for asset in wanted],
                        [ReadTask(a, 'daily', [1]) for asset in wanted for a in addresses(asset, args.meters)])
    started = time.perf_counter()
    await head.run_once()
    elapsed = time.perf_counter() - started
    report = backend.all()
    meters = args.concentrators * args.meters
    good = {r.meter for r in report.daily if r.day == dt.date(2025, 3, 10)}
    failed = [entry for entry in report.log if entry.result != 'ok']
    sys.stdout.write(
        f"head-end: one day's frozen data from {meters} meters behind {args.concentrators} concentrators "
        f"over loopback: {elapsed:.1f} s ({2 * meters / elapsed:.0f} DL/T 645 exchanges/s; "
        f"{len(good)} daily readings, {len(failed)} failures){' — goal < 60 s' if elapsed < 60 else ' — OVER 60 s'}\n")
    if process is not None:
        stop.set()
        process.join(30)
    else:
        for concentrator in virtual:
            await concentrator.stop()
    await head.close()
    return 0 if len(good) == meters and not failed and elapsed < 60 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--concentrators', type=int, default=100)
    parser.add_argument('--meters', type=int, default=100, help="meters per concentrator")
    parser.add_argument('--same-process', action='store_true', help="run the virtual devices in this process")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == '__main__':
    sys.exit(main())

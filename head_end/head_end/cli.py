"""head-end: the DL/T 645 / Q/GDW 1376.1 head-end of prepaid_electricity's remote meters.

  head-end pair http://odoo:8069 12345678 --config /etc/head-end/server.json [--name NAME]
        pair with the Odoo server (the code of a Card Bridge record of service "Meter head-end")
  head-end run --listen 0.0.0.0:7001 --server-config /etc/head-end/server.json
        listen for concentrators, carry out the work the server gives and report to it
        (undelivered reports wait in FILE.spool.jsonl)
  head-end run --listen 0.0.0.0:7001 --work work.json [--reports reports.jsonl]
        the same with the work of a JSON file (read again at every poll), every report
        written as a JSON line (standard output without --reports)
  head-end emulate --connect 127.0.0.1:7001 --asset 17000405 --meters 4 [--speed N] [--state FILE]
                   [--history DAYS] [--tz Asia/Shanghai]
        a virtual concentrator with virtual apartment meters that dials a head-end (new meters
        backdated DAYS days: they hold the daily freezes of those days)
  head-end emulate --gateway 127.0.0.1:7002 --meters 4
        a virtual transparent DL/T 645 TCP gateway with virtual meters (the head-end dials it)
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import signal
import socket
import sys
import zoneinfo
from decimal import Decimal
from pathlib import Path

from . import server
from .backend import FileBackend
from .service import HeadEnd
from .virtual import DEFAULT_PROFILE, SimClock, VirtualConcentrator, VirtualGateway, VirtualMeter

_logger = logging.getLogger('head_end')


def host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(':')
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def meter_addresses(asset: str, count: int) -> list[str]:
    """The demo's meters: the asset number and a 4-digit room number, 12 digits."""
    return [f'{asset[-8:]:0>8}{room:04d}' for room in range(1, count + 1)]


def time_zone(text: str) -> str:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time zone (e.g. Asia/Shanghai)") from None
    return text


def days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return int(text)


class DemoState:
    """The emulator's meters and clock in a JSON file, so that a demo survives a restart.
    ``tz``: the time zone of the meters' wall clock (default: the machine's)."""

    def __init__(self, path: Path | None, speed: float, tz: str | None = None):
        self.path = path
        saved = json.loads(path.read_text(encoding='utf-8')) if path and path.exists() else {}
        # At real speed the meters kept consuming while the emulator was off; faster, their
        # time goes on where it stopped.
        if saved.get('clock') and speed != 1:
            start = dt.datetime.fromisoformat(saved['clock'])
        else:
            start = dt.datetime.now(zoneinfo.ZoneInfo(tz)).replace(tzinfo=None) if tz else None
        self.clock = SimClock(start, speed)
        self.saved_meters = {state['address']: state for state in saved.get('meters', [])}

    def meter(self, address: str, scale: Decimal, history: int = 0) -> VirtualMeter:
        """The saved meter, or a new one, backdated ``history`` days (VirtualMeter.backdate)."""
        if address in self.saved_meters:
            return VirtualMeter.from_state(self.saved_meters[address], self.clock)
        meter = VirtualMeter(address, self.clock, profile=[value * scale for value in DEFAULT_PROFILE])
        if history:
            meter.backdate(history)
        return meter

    def save(self, meters) -> None:
        if not self.path:
            return
        for meter in meters:
            meter.advance()
        data = {'clock': self.clock.now().isoformat(), 'meters': [meter.to_state() for meter in meters]}
        tmp = self.path.with_suffix('.tmp')
        tmp.write_text(json.dumps(data, indent=1), encoding='utf-8')
        tmp.replace(self.path)


async def _until_stopped(tasks=()) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):       # Windows
            loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.ensure_future(stop.wait()), *tasks]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)


async def emulate(args) -> None:
    state = DemoState(args.state, args.speed, args.tz)
    meters = [state.meter(address, Decimal(1) + Decimal(index) / 4, args.history)
              for index, address in enumerate(meter_addresses(args.asset, args.meters))]
    if args.gateway:
        gateway = VirtualGateway(*args.gateway)
        for meter in meters:
            gateway.add_meter(meter)
        await gateway.start()
        _logger.info("virtual gateway on %s:%s", gateway.host, gateway.port)
        device = gateway
    else:
        concentrator = VirtualConcentrator(args.asset, *args.connect, heartbeat=args.heartbeat)
        for meter in meters:
            concentrator.add_meter(meter, port=2)
        concentrator.start()
        _logger.info("virtual concentrator %s dialling %s:%s", args.asset, *args.connect)
        device = concentrator
    for meter in meters:
        _logger.info("meter %s on port 2, 2400 bd even parity: total %s kWh, %d daily freezes, clock %s (%s)",
                     meter.address, meter.shown()[0], len(meter.freezes), f'{state.clock.now():%Y-%m-%d %H:%M}',
                     args.tz)

    async def keep() -> None:
        while True:
            await asyncio.sleep(args.save_every)
            for meter in meters:
                if not args.no_button and meter.relay_open and not meter.command_open:
                    meter.press_button()          # the tenant presses the button after a close-allowed
                    _logger.info("meter %s: the tenant pressed the button", meter.address)
            state.save(meters)

    saver = asyncio.ensure_future(keep())
    try:
        await _until_stopped([saver])
    finally:
        saver.cancel()
        state.save(meters)
        await (device.close() if args.gateway else device.stop())


async def run(args, backend) -> None:
    head = HeadEnd(backend, host=args.listen[0], port=args.listen[1],
                   meter_timeout=args.meter_timeout, heartbeat_timeout=args.heartbeat_timeout,
                   poll_interval=args.poll, meter_tz=args.meter_tz)
    serving = asyncio.ensure_future(head.serve_forever())
    try:
        await _until_stopped([serving])
        if serving.done():
            serving.result()
    finally:
        serving.cancel()
        await head.close()


def pair(args) -> int:
    try:
        config = server.pair(args.url, args.code, args.config, args.name)
    except (server.ServerError, OSError) as error:
        print(f"head-end pair: {error}", file=sys.stderr)
        return 1
    print(f"paired as bridge {config.bridge_id} with {config.url}; secret stored in {args.config}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='head-end', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-v', '--verbose', action='store_true')
    commands = parser.add_subparsers(dest='command', required=True)
    pair_parser = commands.add_parser('pair', help="pair with the Odoo server")
    pair_parser.add_argument('url', help="the Odoo server, e.g. https://odoo.example.com")
    pair_parser.add_argument('code', help="the 8-digit pairing code shown on the Card Bridge record")
    pair_parser.add_argument('--config', type=Path, required=True, help="where to write the config (mode 0600)")
    pair_parser.add_argument('--name', default=socket.gethostname(), help="this head-end's name (the host name)")
    run_parser = commands.add_parser('run', help="run the head-end on the server's work or a work file")
    run_parser.add_argument('--listen', type=host_port, default=('0.0.0.0', 7001), help="HOST:PORT for concentrators")
    source = run_parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--server-config', type=Path, help="the config written by `head-end pair`")
    source.add_argument('--work', type=Path, help="the work, as JSON (see README)")
    run_parser.add_argument('--reports', type=Path, help="with --work: append reports here (default: standard output)")
    run_parser.add_argument('--poll', type=float, default=60.0, help="seconds between two rounds of work")
    run_parser.add_argument('--meter-timeout', type=float, default=2.0)
    run_parser.add_argument('--heartbeat-timeout', type=float, default=900.0)
    run_parser.add_argument('--meter-tz', default='Asia/Shanghai', help="the meters' time zone")
    emulate_parser = commands.add_parser('emulate', help="virtual concentrator or gateway with virtual meters")
    where = emulate_parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--connect', type=host_port, help="the head-end a virtual concentrator dials")
    where.add_argument('--gateway', type=host_port, help="HOST:PORT a virtual gateway listens on")
    emulate_parser.add_argument('--asset', default='17000405', help="8-digit asset number of the concentrator")
    emulate_parser.add_argument('--meters', type=int, default=4)
    emulate_parser.add_argument('--speed', type=float, default=1.0, help="simulated seconds per real second")
    emulate_parser.add_argument('--state', type=Path, help="JSON file keeping the meters across restarts")
    emulate_parser.add_argument('--history', type=days, default=0, metavar='DAYS',
                                help="new meters (not in --state) start DAYS days ago at 00:00 and hold the daily "
                                     "freezes of those days")
    emulate_parser.add_argument('--tz', type=time_zone, default='Asia/Shanghai',
                                help="the time zone of the meters' clocks (as the head-end's --meter-tz)")
    emulate_parser.add_argument('--heartbeat', type=float, default=60.0, help="seconds between heartbeats")
    emulate_parser.add_argument('--save-every', type=float, default=5.0, help="seconds between two saves")
    emulate_parser.add_argument('--no-button', action='store_true',
                                help="tenants never press the button of a meter allowed to close")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    if args.command == 'pair':
        return pair(args)
    if args.command == 'run':
        if args.server_config and args.reports:
            parser.error("--reports goes with --work: with --server-config the reports go to the server")
        try:
            backend = server.ServerBackend(args.server_config) if args.server_config else \
                FileBackend(args.work, args.reports)
        except server.ConfigError as error:
            print(f"head-end run: {error}", file=sys.stderr)
            return 1
    try:
        asyncio.run(emulate(args) if args.command == 'emulate' else run(args, backend))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())

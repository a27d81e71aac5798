"""card-bridge: pair with a prepaid_electricity server and run its card jobs on this
workstation's PC/SC readers.

  card-bridge pair <odoo-url> <code>   exchange the 8-digit code shown on the bridge record in
                                       Odoo for this bridge's id and secret (stored mode 0600)
  card-bridge run                      long-poll the server and run the jobs it signed
  card-bridge readers                  list the PC/SC readers and the cards in them
  card-bridge status                   show the configuration and check the server answers
  card-bridge emulate                  plug a virtual SLE4442 card into vpcd (development only)
"""
import argparse
import json
import logging
import signal
import socket
import sys
import time
from pathlib import Path

from . import client, config
from .drivers import list_readers
from .drivers.base import CardError
from .drivers.sle4442_acs import Sle4442AcsDriver, card_serial
from .protocol import JobGuard, JobRefused
from .runner import run_job

_logger = logging.getLogger('card_bridge')


_readers = list_readers


def _pick_reader(name=None):
    found = _readers()
    if not found:
        raise CardError("no PC/SC reader found (is pcscd running?)")
    for reader in found:
        if not name or name in str(reader):
            return reader
    raise CardError(f"no reader named {name!r}; readers: {', '.join(map(str, found))}")


_card_serial = card_serial


def serve(server, guard, reader_name=None, wait=20, once=False):
    """The main loop: report readers, long-poll, run each verified job, return results."""
    last_serial = None
    while True:
        reader = _pick_reader(reader_name)
        serial = _card_serial(reader)
        if serial != last_serial:
            server.event('inserted' if serial else 'removed', str(reader), serial)
            last_serial = serial
        jobs = server.poll(wait=wait, readers=[{'name': str(reader), 'card': serial}])
        for message in jobs:
            try:
                job = guard.check(message)
            except JobRefused as refusal:
                _logger.warning("refused a job: %s", refusal)
                continue
            result = run_job(job, Sle4442AcsDriver(reader), guard.secret)
            server.result(result)
        if once:
            return


def main(argv=None):
    parser = argparse.ArgumentParser(prog='card-bridge', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', type=Path, default=config.DEFAULT_PATH, help="configuration file")
    parser.add_argument('-v', '--verbose', action='store_true')
    commands = parser.add_subparsers(dest='command', required=True)
    pair = commands.add_parser('pair', help="pair with a server using the code shown in Odoo")
    pair.add_argument('url')
    pair.add_argument('code')
    pair.add_argument('--name', default=socket.gethostname())
    run = commands.add_parser('run', help="run the server's card jobs")
    run.add_argument('--reader', help="part of the reader's name (default: the first reader)")
    run.add_argument('--wait', type=int, default=20, help="long-poll duration in seconds")
    run.add_argument('--once', action='store_true', help="one poll, then exit")
    commands.add_parser('readers', help="list readers and cards")
    commands.add_parser('status', help="show the configuration and reach the server")
    emulate = commands.add_parser('emulate', help="plug a virtual SLE4442 into vpcd (development only)")
    emulate.add_argument('--state', type=Path, help="file keeping the card's memory between runs")
    emulate.add_argument('--serial', help="card serial, 16 hex digits (new card)")
    emulate.add_argument('--host', default='127.0.0.1')
    emulate.add_argument('--port', type=int, default=35963,
                         help="vpcd slot: 35963 = reader \"Virtual PCD 00 00\", 35964 = \"Virtual PCD 00 01\"")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format='%(asctime)s %(levelname)s %(message)s')
    try:
        if args.command == 'pair':
            values = client.pair(args.url, args.code, args.name)
            config.save(values, args.config)
            print(f"paired as bridge {values['bridge_id']} with {values['url']}; secret stored in {args.config}")
        elif args.command == 'run':
            values = config.load(args.config)
            server = client.ServerClient(values['url'], values['bridge_id'], values['secret'])
            guard = JobGuard(values['bridge_id'], values['secret'])
            _logger.info("bridge %s serving %s", values['bridge_id'], values['url'])
            while True:
                try:
                    serve(server, guard, args.reader, args.wait, args.once)
                    return 0
                except (client.ServerError, CardError, OSError) as error:
                    _logger.warning("%s; retrying in 5 s", error)
                    if args.once:
                        return 1
                    time.sleep(5)
        elif args.command == 'readers':
            for reader in _readers():
                serial = _card_serial(reader)
                print(f"{reader}: {'card ' + serial if serial else 'no card'}")
        elif args.command == 'status':
            values = config.load(args.config)
            server = client.ServerClient(values['url'], values['bridge_id'], values['secret'])
            server.poll(wait=0)
            print(json.dumps({'server': values['url'], 'bridge_id': values['bridge_id'], 'server_answers': True}))
        elif args.command == 'emulate':
            from .sle4442 import VirtualSle4442
            from .vpcd import VpcdCard, check_slot_free
            if args.state and args.state.exists():
                chip = VirtualSle4442.from_bytes(args.state.read_bytes())
            else:
                chip = VirtualSle4442(serial=bytes.fromhex(args.serial) if args.serial else None)
            if args.host in ('127.0.0.1', 'localhost'):
                check_slot_free(args.port)
            card = VpcdCard(chip, args.host, args.port)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # keep the card's state on `make stop`
            print(f"virtual card {chip.serial.hex()} inserted into vpcd at {args.host}:{args.port}")
            try:
                card.serve()
            finally:
                if args.state:
                    args.state.write_bytes(chip.to_bytes())
    except (client.ServerError, CardError) as error:
        print(f"card-bridge: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

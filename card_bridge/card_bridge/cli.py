"""card-bridge: pair with a prepaid_electricity server and run its card jobs on this
workstation's PC/SC readers.

  card-bridge pair <odoo-url> <code>   exchange the 8-digit code shown on the bridge record in
                                       Odoo for this bridge's id and secret (stored mode 0600)
  card-bridge run                      long-poll the server and run the jobs it signed
  card-bridge readers                  list the PC/SC readers and the cards in them
  card-bridge status                   show the configuration and check the server answers
  card-bridge emulate                  plug a virtual SLE4442 card into vpcd (development only)
  card-bridge emulate-acceptor         a virtual ccTalk bill validator on a pty (development only)
  card-bridge emulate-printer          a virtual ESC/POS receipt printer on TCP (development only)

A kiosk's devices (optional; in the configuration file or on `run`'s command line):
  "acceptor": "/dev/ttyUSB0"           the ccTalk bill validator's serial port
  "printer": "tcp://127.0.0.1:9100"    the slip printer
  "terminal": "sim:///path/state.json" the card payment terminal
"""
import argparse
import json
import logging
import signal
import socket
import sys
import time
from pathlib import Path

from . import cash_journal, client, config
from .drivers import list_readers
from .drivers.base import CardError
from .drivers.sle4442_acs import Sle4442AcsDriver, card_serial
from .kiosk_jobs import DEVICE_OPERATIONS, Devices, run_device_job
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


def serve(server, guard, reader_name=None, wait=20, once=False, devices=None, journal=None):
    """The main loop: report readers (and the kiosk's devices), long-poll, run each verified
    job, return results. Cash notes the server never acknowledged are posted again first."""
    devices = Devices.of(devices)
    if devices and journal is None:
        journal = cash_journal.CashJournal()
    last_serial = None
    while True:
        if journal is not None and journal.pending():
            journal.replay(server)
        try:
            reader = _pick_reader(reader_name)
        except CardError:
            if not devices:
                raise
            reader = None           # a kiosk runs its cash, slips and payments without a reader
        readers = []
        if reader is not None:
            serial = _card_serial(reader)
            if serial != last_serial:
                server.event('inserted' if serial else 'removed', str(reader), serial)
                last_serial = serial
            readers = [{'name': str(reader), 'card': serial}]
        if devices:
            jobs = server.poll(wait=wait, readers=readers, devices=devices.status())
        else:
            jobs = server.poll(wait=wait, readers=readers)
        for message in jobs:
            try:
                job = guard.check(message)
            except JobRefused as refusal:
                _logger.warning("refused a job: %s", refusal)
                continue
            if job.get('operation') in DEVICE_OPERATIONS:
                result = run_device_job(job, devices, server, journal)
            elif reader is None:
                result = {'job_id': job['job_id'], 'nonce': job['nonce'], 'ok': False, 'raw': '',
                          'error': "no PC/SC reader found (is pcscd running?)"}
            else:
                result = run_job(job, Sle4442AcsDriver(reader), guard.secret)
            server.result(result)
        if once:
            return


def _devices(values, args):
    """The kiosk's devices: the configuration file's, overridden by `run`'s options."""
    acceptor_port = args.acceptor or values.get('acceptor')
    acceptor = None
    if acceptor_port:
        from .acceptor import CcTalkBillAcceptor
        acceptor = CcTalkBillAcceptor(acceptor_port, address=int(values.get('acceptor_address', 40)),
                                      echo=values.get('acceptor_echo'), country=values.get('acceptor_country', 'CN'))
    return Devices(acceptor=acceptor, printer=args.printer or values.get('printer'),
                   terminal=args.terminal or values.get('terminal'))


def _emulate_acceptor(args):
    from .virtual_acceptor import PtyLink, VirtualBillValidator, control_server
    validator = VirtualBillValidator(address=args.address)
    link = PtyLink(validator, echo=args.echo, link=args.link).start()
    control = control_server(validator, args.control) if args.control else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"virtual bill validator (ccTalk address {args.address}) on {link.path}"
          + (f", linked from {args.link}" if args.link else '')
          + (f"; control on {args.control}" if control else ''), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        if control:
            control.shutdown()
            control.server_close()
        link.close()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if 'emulate-printer' in argv:    # its own options (virtual_printer.main_emulate_printer)
        from .virtual_printer import main_emulate_printer
        index = argv.index('emulate-printer')
        logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
        return main_emulate_printer(argv[index + 1:])
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
    run.add_argument('--acceptor', help="the ccTalk bill validator's serial port (overrides the configuration)")
    run.add_argument('--printer', help="the slip printer's URL, e.g. tcp://127.0.0.1:9100")
    run.add_argument('--terminal', help="the card terminal's URL, e.g. sim:///path/state.json")
    commands.add_parser('readers', help="list readers and cards")
    commands.add_parser('status', help="show the configuration and reach the server")
    emulate = commands.add_parser('emulate', help="plug a virtual SLE4442 into vpcd (development only)")
    emulate.add_argument('--state', type=Path, help="file keeping the card's memory between runs")
    emulate.add_argument('--serial', help="card serial, 16 hex digits (new card)")
    emulate.add_argument('--host', default='127.0.0.1')
    emulate.add_argument('--port', type=int, default=35963,
                         help="vpcd slot: 35963 = reader \"Virtual PCD 00 00\", 35964 = \"Virtual PCD 00 01\"")
    acceptor = commands.add_parser('emulate-acceptor',
                                   help="a virtual ccTalk bill validator on a pty (development only)")
    acceptor.add_argument('--link', type=Path, help="symlink to the pty's path, for the configuration to name")
    acceptor.add_argument('--control', help="control channel: HOST:PORT (keep it on 127.0.0.1) or a socket path; "
                                            'JSON lines such as {"insert": "50"}, {"fault": "jam"}')
    acceptor.add_argument('--address', type=int, default=40, help="ccTalk address (bill validators: 40)")
    acceptor.add_argument('--echo', action='store_true', help="echo the host's bytes, as a single-wire bus does")
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
            devices = _devices(values, args)
            journal = cash_journal.CashJournal(cash_journal.path_for(args.config)) if devices else None
            _logger.info("bridge %s serving %s", values['bridge_id'], values['url'])
            while True:
                try:
                    serve(server, guard, args.reader, args.wait, args.once, devices=devices, journal=journal)
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
        elif args.command == 'emulate-acceptor':
            return _emulate_acceptor(args)
    except (client.ServerError, CardError) as error:
        print(f"card-bridge: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

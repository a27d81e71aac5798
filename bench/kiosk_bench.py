"""Time at a self-service kiosk from the card going in to the card written (goal: under 3 s,
the payment excluded), with every real part but the hardware: an Odoo server over HTTP, the
card bridge's own loop (`serve`, long polls of 1 s) with the kiosk's devices, pcscd with a
virtual SLE4442 in vpcd's second slot, the simulated bank card terminal (it approves at once).
The page's side is played by polling the kiosk's `state` route every 100 ms.

Usage (from the repository root): bash bench/run.sh kiosk (or: python bench/kiosk_bench.py DB CONF ODOO_BIN)
Each sample: a new customer's card (issued, its first purchase consumed) goes in; the kiosk
reads it and shows the customer (identify); a bank card purchase of 10 kWh is started and paid
(pay: the terminal's round trip and the vend); the card is written and read back (write). The
figures are the median and the worst of SAMPLES purchases.
"""
import logging
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import requests

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

from card_bridge import client as bridge_client
from card_bridge.cash_journal import CashJournal
from card_bridge.cli import _card_serial, _pick_reader, serve
from card_bridge.drivers.virtual_chip import VirtualChipDriver as ChipDriver
from card_bridge.kiosk_jobs import Devices
from card_bridge.protocol import JobGuard, signed
from card_bridge.runner import run_job
from card_bridge.sle4442 import VirtualSle4442
from card_bridge.vpcd import VpcdCard, check_slot_free, reader_name

SAMPLES = 10
STATION = '310101'    # the station whose key `scripts/setup.sh` writes into the key file
SLOT = 35964          # vpcd's second slot (the tests'; `make run` keeps the first)
READER = reader_name(SLOT)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def setup(env, workdir):
    """A kiosk, its paired bridge and SAMPLES customers, each with a card issued and consumed."""
    station = env['prepaid.station'].search([('code', '=', STATION)], limit=1) or \
        env['prepaid.station'].create({'name': 'Bench Kiosk Station', 'code': STATION})
    tariff = env['prepaid.tariff'].create({'name': 'Bench kiosk flat 2.0000', 'price': 2.0})
    meter_type = env['prepaid.meter.type'].create({'name': 'Bench kiosk meters'})
    env.company._prepaid_sync_product_account()
    stamp = int(time.time()) % 100000
    journal = env['account.journal'].create({'name': f'Bench Kiosk Cash {stamp}', 'type': 'cash',
                                             'code': f'K{stamp % 10000:04d}'})
    bank = env['account.journal'].search([('type', '=', 'bank'), ('company_id', '=', env.company.id)], limit=1)
    cash = env['pos.payment.method'].create({'name': 'Bench Kiosk Cash', 'journal_id': journal.id})
    card = env['pos.payment.method'].create({'name': 'Bench Kiosk UnionPay', 'journal_id': bank.id,
                                             'payment_method_type': 'terminal',
                                             'use_payment_terminal': 'prepaid_kiosk'})
    bridge = env['prepaid.card.bridge'].create({'name': f'Bench kiosk {stamp}'})
    values = bridge._pair(bridge.pairing_code)
    kiosk = env['pos.config'].create({
        'name': f'Bench Kiosk {stamp}', 'prepaid_kiosk': True, 'prepaid_bridge_id': bridge.id,
        'prepaid_station_id': station.id, 'payment_method_ids': [(6, 0, (cash | card).ids)],
        'prepaid_kiosk_cash_method_id': cash.id, 'prepaid_kiosk_card_method_id': card.id})
    guard = JobGuard(values['bridge_id'], values['secret'])
    customers = []
    for index in range(SAMPLES):
        chip = VirtualSle4442(serial=bytes.fromhex(f'7{stamp:05d}{index:010d}'[:16]))
        meter = env['prepaid.meter'].create({'number': f'8{stamp:05d}{index:06d}', 'meter_type_id': meter_type.id})
        account = env['prepaid.account'].create({
            'partner_id': env['res.partner'].create({'name': f'Bench kiosk customer {index}'}).id,
            'meter_id': meter.id, 'tariff_id': tariff.id, 'station_id': station.id})
        first = account._vend('energy', Decimal('30'))
        job = env['prepaid.card.job']._create_for(bridge, 'write', account._issue_card(chip.serial.hex()), first)
        env['prepaid.card.job']._take_pending(bridge)
        result = run_job(guard.check(job._signed_payload()), ChipDriver(chip), values['secret'])
        env['prepaid.card.job']._apply_result(bridge, signed(values['secret'], result))
        account._apply_write_back(0, 0, is_credit_consumed=True)
        customers.append((account.id, chip))
    env.cr.commit()
    return kiosk.id, kiosk.access_token, values, customers


def main(db, conf, odoo_bin):
    logging.basicConfig(level=logging.WARNING)
    config.parse_config(['-c', conf, '-d', db])
    workdir = Path(tempfile.mkdtemp(prefix='prepaid-kiosk-bench-'))
    registry = Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        kiosk_id, token, values, customers = setup(env, workdir)
    port = free_port()
    server = subprocess.Popen([sys.executable, odoo_bin, '-c', conf, '-d', db, f'--db-filter=^{db}$',
                               '--http-port', str(port), '--log-level=warn', '--max-cron-threads=0'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}'
    stop = threading.Event()
    try:
        for _ in range(120):
            try:
                if requests.get(f'{url}/web/login', timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        check_slot_free(SLOT)
        client = bridge_client.ServerClient(url, values['bridge_id'], values['secret'])
        guard = JobGuard(values['bridge_id'], values['secret'])
        devices = Devices(terminal=f'sim://{workdir}/terminal.json?timeout_delay=0')
        journal = CashJournal(workdir / 'cash-journal.jsonl')

        def bridge_loop():
            while not stop.is_set():
                try:
                    serve(client, guard, READER, wait=1, once=True, devices=devices, journal=journal)
                except Exception:   # noqa: BLE001  # the bench's bridge keeps going, as the real one does
                    time.sleep(0.2)

        threading.Thread(target=bridge_loop, daemon=True).start()
        session = requests.Session()

        def state(tid=None, action='state', **args):
            body = session.post(f'{url}/prepaid/kiosk/{kiosk_id}/call', json={
                'jsonrpc': '2.0', 'method': 'call', 'params': {
                    'access_token': token, 'action': action, 'args': {'tid': tid, **args}}},
                timeout=30).json()['result']
            if 'error' in body:
                raise RuntimeError(body['error'])
            return body['result']

        def wait(condition, tid=None, timeout=30):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                current = state(tid)
                if condition(current):
                    return time.monotonic()
                time.sleep(0.1)
            raise RuntimeError(f"timed out: {current}")

        figures = {'identify': [], 'pay': [], 'write': [], 'total': [], 'total_without_pay': []}
        for index, (_account_id, chip) in enumerate(customers):
            card = VpcdCard(chip, port=SLOT)
            card_in = time.monotonic()
            card.insert()
            shown = wait(lambda s: s.get('customer') and s['customer']['can_buy'])
            tid = f'bench-{index}-{time.time_ns()}'
            started = time.monotonic()
            state(tid, 'start', payment='card', method='energy', quantity=10)
            paid = wait(lambda s: (s.get('transaction') or {}).get('state') in ('vended', 'done'), tid)
            written = wait(lambda s: ((s.get('transaction') or {}).get('vend') or {}).get('written'), tid)
            figures['identify'].append(shown - card_in)
            figures['pay'].append(paid - started)
            figures['write'].append(written - paid)
            figures['total'].append(written - card_in)
            figures['total_without_pay'].append((shown - card_in) + (written - paid))
            card.remove()
            deadline = time.monotonic() + 10
            while _card_serial(_pick_reader(READER)) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
        print(f"kiosk: card in -> card written, {SAMPLES} purchases (bank card, 10 kWh), goal < 3 s without payment")
        for name, values_ in figures.items():
            print(f"  {name:18s} median {statistics.median(values_):6.2f} s   worst {max(values_):6.2f} s")
    finally:
        stop.set()
        server.terminate()
        server.wait(20)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3])

"""A kiosk with every real part but the hardware, for the HTTP and browser tests: this Odoo
server over HTTP, the card bridge's own loop (`serve`) in a thread with the kiosk's devices,
a virtual SLE4442 in pcscd's Virtual PCD reader (the tests' slot), a virtual ccTalk bill
validator on a pseudo-terminal, a virtual ESC/POS printer on TCP and the simulated bank card
terminal. The test inserts notes into the acceptor and cards into the reader as a customer does."""
import logging
import tempfile
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import requests

from odoo.tests import HttpCase

from card_bridge import client as bridge_client
from card_bridge.acceptor import CcTalkBillAcceptor
from card_bridge.cash_journal import CashJournal
from card_bridge.cli import _card_serial, _pick_reader, serve
from card_bridge.drivers.virtual_chip import VirtualChipDriver as ChipDriver
from card_bridge.kiosk_jobs import Devices
from card_bridge.protocol import JobGuard, signed
from card_bridge.runner import run_job
from card_bridge.sle4442 import VirtualSle4442
from card_bridge.terminal import set_next
from card_bridge.virtual_acceptor import PtyLink, VirtualBillValidator
from card_bridge.virtual_printer import VirtualPrinter, decode_escpos
from card_bridge.vpcd import VpcdCard

from ..engine.tests.virtual_meter import VirtualMeter
from .common import TEST_READER, TEST_VPCD_PORT, ensure_pcscd, make_account, make_kiosk, use_card_keys
from .test_browser_pos import TestCookieSession

_logger = logging.getLogger(__name__)
STATION = '535353'
METER = '000053535353'
MASTER = '0123456789abcdeffedcba9876543210'


class BridgeSession(TestCookieSession):
    """The kiosk bridge's HTTP session: while the test lets no request in, its requests fail at
    once, as with a server that is away (one sent then would wait for the test's cursor)."""

    def request(self, *args, **kwargs):
        if not self.test.http_request_key:
            raise requests.ConnectionError("the test lets no request in now")
        return super().request(*args, **kwargs)


class KioskHttpCommon(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_pcscd(cls)
        use_card_keys(cls, {STATION: {'1': MASTER}})
        env = cls.env(su=True)
        env.company._prepaid_sync_product_account()
        env.ref('prepaid_electricity.product_electricity').product_tmpl_id.active = True
        cls.account = make_account(env, STATION, METER, customer='王小明')
        cls.bridge = env['prepaid.card.bridge'].create({'name': 'Kiosk PC'})
        cls.kiosk = make_kiosk(env, 'Lobby Kiosk', cls.bridge, cls.account.station_id)
        cls.cash_method = cls.kiosk.prepaid_kiosk_cash_method_id
        cls.card_method = cls.kiosk.prepaid_kiosk_card_method_id

    def setUp(self):
        super().setUp()
        env = self.env(su=True)
        self.workdir = Path(tempfile.mkdtemp(prefix='prepaid-kiosk-'))
        self.chip = VirtualSle4442(serial=bytes.fromhex('5353535353535353'))
        # the customer's card: issued with a first purchase the meter has since consumed
        values = self.bridge._pair(self.bridge.pairing_code, 'kiosk-pc')
        first = self.account._vend('energy', Decimal('30'))
        card_job = self.account._issue_card(self.chip.serial.hex())
        job = env['prepaid.card.job']._create_for(self.bridge, 'write', card_job, first)
        guard = JobGuard(values['bridge_id'], values['secret'])
        self.assertEqual(env['prepaid.card.job']._take_pending(self.bridge), job)
        payload = guard.check(job._signed_payload())
        env['prepaid.card.job']._apply_result(self.bridge, signed(values['secret'], run_job(
            payload, ChipDriver(self.chip), values['secret'])))
        self.assertEqual(first.state, 'written')
        self.meter = VirtualMeter(station_code=STATION, meter_number=METER,
                                  key_lookup=lambda station, version: bytes.fromhex(MASTER))
        self.meter.insert(self.chip)      # the customer loaded the first purchase at home
        self.server = bridge_client.ServerClient(self.base_url(), values['bridge_id'], values['secret'],
                                                 session=BridgeSession(self))
        self.guard = JobGuard(values['bridge_id'], values['secret'])
        # the kiosk's devices
        self.validator = VirtualBillValidator()
        self.link = PtyLink(self.validator).start()
        self.addCleanup(self.link.close)
        self.printer = VirtualPrinter(port=0, directory=self.workdir / 'slips').start()
        self.addCleanup(self.printer.stop)
        self.terminal_url = f'sim://{self.workdir}/terminal.json?timeout_delay=0'
        self.devices = Devices(acceptor=CcTalkBillAcceptor(self.link.path),
                               printer=f'tcp://127.0.0.1:{self.printer.port}', terminal=self.terminal_url)
        self.journal = CashJournal(self.workdir / 'cash-journal.jsonl')
        self.page = TestCookieSession(self)     # the kiosk page's requests (inside allow_requests)
        self.card = None
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.idle = threading.Event()
        self.thread = None
        self.addCleanup(self.remove_card)
        self.addCleanup(self.stop_bridge)

    # ------------------------------------------------------------------ the customer
    def insert_card(self, **kwargs):
        self.remove_card()
        self.card = VpcdCard(self.chip, port=TEST_VPCD_PORT, **kwargs).insert()
        deadline = time.monotonic() + 20
        while not _card_serial(_pick_reader(TEST_READER)):
            self.assertLess(time.monotonic(), deadline, "pcscd did not see the virtual card")
            time.sleep(0.2)

    def remove_card(self):
        if self.card:
            self.card.remove()
            self.card = None
            time.sleep(0.6)

    def load_at_home(self):
        """The customer takes the card home: the meter takes its credit and writes back."""
        self.remove_card()
        self.meter.insert(self.chip)

    def insert_note(self, value):
        self.validator.insert(value)

    def slips(self):
        return [decode_escpos(path.read_bytes()) for path in self.printer.jobs()]

    def call(self, action, token=None, **args):
        """What the kiosk page sends: one JSON-RPC call of the kiosk's route."""
        response = self.page.post(f'{self.base_url()}/prepaid/kiosk/{self.kiosk.id}/call', json={
            'jsonrpc': '2.0', 'method': 'call', 'params': {
                'access_token': token or self.kiosk.access_token, 'action': action, 'lang': 'en_US',
                'args': args}}, timeout=30)
        response.raise_for_status()
        body = response.json()
        if 'error' in body:
            raise AssertionError(body['error'])
        answer = body['result']       # the kiosk's own answer: its result, or its translated refusal
        if 'error' in answer:
            raise AssertionError(answer['error'])
        return answer['result']

    def wait_state(self, condition, tid=None, timeout=30, what=''):
        """Poll the kiosk's state as its page does until `condition(state)` holds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.call('state', tid=tid)
            if condition(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the kiosk never reached {what}: {state}")
            time.sleep(0.3)

    def next_payment(self, outcome):
        set_next(self.terminal_url, outcome)

    # ------------------------------------------------------------------ the kiosk PC's bridge
    @contextmanager
    def serving(self):
        """Let the kiosk page and the bridge reach the server (the bridge loop runs), and pause the
        loop before the test takes its cursor back: a poll left running would wait for it."""
        self.env.flush_all()
        with self.allow_requests(all_requests=True):
            self.paused.clear()
            if not self.thread:
                self.thread = threading.Thread(target=self.bridge_loop, daemon=True)
                self.thread.start()
            try:
                yield
            finally:
                self.idle.clear()
                self.paused.set()
                self.assertTrue(self.idle.wait(30), "the bridge loop did not pause")
        self.env.invalidate_all()

    def bridge_loop(self):
        while not self.stop.is_set():
            # paused, or between two windows where the test lets requests in (a request then would
            # wait for the test's cursor): the bridge waits, as it does for a server that is away
            if self.paused.is_set() or not self.http_request_key:
                self.idle.set()
                time.sleep(0.05)
                continue
            try:
                serve(self.server, self.guard, TEST_READER, wait=1, once=True, devices=self.devices,
                      journal=self.journal)
            except (bridge_client.ServerError, requests.RequestException) as error:
                _logger.debug("kiosk bridge loop: %s", error)
                time.sleep(0.2)

    def stop_bridge(self):
        self.stop.set()
        if self.thread:
            self.thread.join(15)

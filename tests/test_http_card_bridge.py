"""End to end through real pcscd + vpcd + pyscard: the card bridge pairs with this server,
polls it over HTTP and runs the jobs it signed on a virtual SLE4442 in the tests' Virtual PCD
reader (vpcd's second slot: the demo of `make run` keeps the first)."""
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

import requests

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import config

from card_bridge import cli
from card_bridge import client as bridge_client
from card_bridge.cli import serve
from card_bridge.protocol import JobGuard, request_headers
from card_bridge.sle4442 import VirtualSle4442
from card_bridge.vpcd import SlotTaken, VpcdCard, wait_for_card

from ..engine import card_crypto, card_format
from .common import TEST_READER, TEST_VPCD_PORT, ensure_pcscd, insert_test_card, make_account, over_http, use_card_keys

READER = TEST_READER
METER_SCRIPT = Path(__file__).resolve().parents[1] / 'scripts' / 'virtual_meter.py'
MASTER = '00112233445566778899aabbccddeeff'
_logger = logging.getLogger(__name__)


@tagged('post_install', '-at_install', 'prepaid_http')
class TestCardBridgeEndToEnd(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_pcscd(cls)
        cls.key_file = use_card_keys(cls, {'515151': {'1': MASTER}})

    def setUp(self):
        super().setUp()
        env = self.env
        self.account = make_account(env, '515151', '515100000001', customer='Bridge Customer')
        self.vend = self.account._vend('energy', Decimal('61'))
        self.chip = VirtualSle4442(serial=bytes.fromhex('5151515151515151'))
        self.card = None
        self.bridge = env['prepaid.card.bridge'].create({'name': 'Till 1'})

    def tearDown(self):
        if self.card:
            self.card.remove()
            time.sleep(0.5)
        super().tearDown()

    def insert(self, **kwargs):
        if self.card:
            self.card.remove()
            time.sleep(0.6)
        self.card = insert_test_card(self.chip, **kwargs)

    def over_http(self):
        return over_http(self)

    def paired(self):
        with self.over_http():
            values = bridge_client.pair(self.base_url(), self.bridge.pairing_code, 'till-1')
        server = bridge_client.ServerClient(values['url'], values['bridge_id'], values['secret'])
        return server, JobGuard(values['bridge_id'], values['secret'])

    def run_bridge_once(self, server, guard):
        with self.over_http():
            serve(server, guard, READER, wait=0, once=True)

    def test_pair_issue_read_and_vend_write(self):
        server, guard = self.paired()
        self.assertEqual(self.bridge.state, 'paired')
        self.assertFalse(self.bridge.pairing_code)
        self.insert()
        # issue the card and write the first vend through the bridge
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'write',
                                                       self.account._issue_card(self.chip.serial.hex()), self.vend)
        self.run_bridge_once(server, guard)
        self.assertEqual(job.state, 'done', job.error)
        self.assertEqual(self.vend.state, 'written')
        self.assertEqual(self.bridge.card_serial, '5151515151515151')
        self.assertNotEqual(self.chip.psc, card_crypto.TRANSPORT_PSC)
        # read the card through the bridge
        read = self.env['prepaid.card.job']._create_for(self.bridge, 'read')
        self.run_bridge_once(server, guard)
        self.assertEqual(read.state, 'done')
        result = self.env['prepaid.card']._read_card(bytes.fromhex(read.raw))
        self.assertEqual(result['account'], self.account)
        self.assertEqual(result['decoded'].image.credit, Decimal('61.00'))
        # full vend jobs: poll -> write -> read-back -> result, timed
        durations = []
        for _ in range(5):
            self.account._apply_write_back(0, 0, is_credit_consumed=True)
            vend = self.account._vend('energy', Decimal('1'))
            vend._queue_card_write(self.bridge)
            start = time.perf_counter()
            self.run_bridge_once(server, guard)
            durations.append(time.perf_counter() - start)
            self.assertEqual(vend.state, 'written')
        _logger.info("[bench] full vend job through pcscd+vpcd (poll, write, read-back, result): "
                     "median %.0f ms over %d", statistics.median(durations) * 1000, len(durations))
        decoded = card_format.decode(self.chip.read(0, 256), lambda s, v: bytes.fromhex(MASTER), '515151')
        self.assertEqual(decoded.image.sequence, 6)

    def test_card_pulled_mid_write_keeps_the_vend_waiting(self):
        server, guard = self.paired()
        self.insert(fail_after_writes=0)
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'write',
                                                       self.account._issue_card(self.chip.serial.hex()), self.vend)
        self.run_bridge_once(server, guard)
        self.assertEqual(job.state, 'failed')
        self.assertEqual(self.vend.state, 'to_write')
        self.insert()   # the card is put back: the retry writes the same image
        retry = self.vend._queue_card_write(self.bridge)
        self.run_bridge_once(server, guard)
        self.assertEqual(retry.state, 'done', retry.error)
        self.assertEqual(self.vend.state, 'written')
        self.assertEqual(len(self.account.vend_ids), 1)

    def test_psc_error_counter_is_respected(self):
        """A card that already lost two PSC tries is not risked: no PSC is presented."""
        server, guard = self.paired()
        self.chip.present_psc(b'\x00\x00\x01')
        self.chip.present_psc(b'\x00\x00\x02')
        self.insert()
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'write',
                                                       self.account._issue_card(self.chip.serial.hex()), self.vend)
        self.run_bridge_once(server, guard)
        self.assertEqual(job.state, 'failed')
        self.assertIn('master clear', job.error)
        self.assertEqual(self.chip.read_error_counter(), 1)
        self.assertEqual(self.vend.state, 'to_write')

    def test_wrong_card_in_reader_is_not_written(self):
        server, guard = self.paired()
        self.insert()
        other = self.account._issue_card('0102030405060708')
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'write', other, self.vend)
        before = self.chip.read(0, 256)
        self.run_bridge_once(server, guard)
        self.assertEqual(job.state, 'failed')
        self.assertIn('wrong card', job.error)
        self.assertEqual(self.chip.read(0, 256), before)

    def test_the_long_poll_answers_as_soon_as_a_job_is_queued(self):
        """The bridge's long poll sleeps until a job for its bridge is committed and answers
        with it at once; with none, at the end of its wait. It does not look at the jobs
        meanwhile (once a look every 200 ms)."""
        server, _guard = self.paired()
        answer, looks = {}, []
        Job = type(self.env['prepaid.card.job'])
        take_pending = Job._take_pending

        def counted_take_pending(jobs, bridge):
            looks.append(bridge.id)
            return take_pending(jobs, bridge)

        def long_poll(wait):
            start = time.monotonic()
            answer.update(jobs=server.poll(wait=wait), after=time.monotonic() - start)

        with patch.object(Job, '_take_pending', counted_take_pending):
            with self.over_http():
                long_poll(2)
            self.assertEqual(answer['jobs'], [])
            self.assertGreaterEqual(answer['after'], 2)
            self.assertEqual(len(looks), 2, "a look when the poll comes, one when its wait is over")
            looks.clear()
            with self.over_http():
                poller = threading.Thread(target=long_poll, args=(20,))
                poller.start()
                time.sleep(2)       # the bridge waits
                job = self.env['prepaid.card.job']._create_for(self.bridge, 'read')
                self.env.flush_all()
                self.env.cr.postcommit.run()    # what the commit of the request queuing it runs
                poller.join(30)
        self.assertEqual([payload['job_id'] for payload in answer['jobs']], [job.id])
        self.assertLess(answer['after'], 7, "delivered when queued, long before the 20 s wait is over")
        self.assertEqual(len(looks), 2, "a look when the poll comes, one when the job is queued")
        self.assertEqual(job.state, 'sent')

    def test_refusals(self):
        code = self.bridge.pairing_code
        with self.over_http():
            response = requests.post(f'{self.base_url()}/prepaid/bridge/pair', json={'code': '00000000'}, timeout=10)
        self.assertEqual(response.status_code, 403)
        server, guard = self.paired()
        impostor = bridge_client.ServerClient(self.base_url(), server.bridge_id, 'ee' * 32)
        body = json.dumps({'wait': 0}).encode()
        headers = request_headers(server.bridge_id, server.secret, body)
        with self.over_http():
            with self.assertRaises(bridge_client.ServerError):    # the code is single use
                bridge_client.pair(self.base_url(), code, 'x')
            with self.assertRaisesRegex(bridge_client.ServerError, 'not authenticated'):   # wrong secret
                impostor.poll(wait=0)
            first = requests.post(f'{self.base_url()}/prepaid/bridge/poll', data=body, headers=headers, timeout=10)
            replay = requests.post(f'{self.base_url()}/prepaid/bridge/poll', data=body, headers=headers, timeout=10)
        self.assertEqual((first.status_code, replay.status_code), (200, 403))
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'read')
        with self.over_http():
            server.poll(wait=0)
            with self.assertRaisesRegex(bridge_client.ServerError, 'not authenticated'):   # forged result
                impostor.result({'job_id': job.id, 'nonce': job.nonce, 'ok': True, 'raw': ''})
            with self.assertRaisesRegex(bridge_client.ServerError, 'not signed'):   # result without signature
                requests_body = json.dumps({'job_id': job.id, 'nonce': job.nonce, 'ok': True}).encode()
                bridge_client._json(requests.post(
                    f'{self.base_url()}/prepaid/bridge/result', data=requests_body, timeout=10,
                    headers=request_headers(server.bridge_id, server.secret, requests_body)))
        self.bridge.action_revoke()
        with self.over_http(), self.assertRaisesRegex(bridge_client.ServerError, 'not authenticated'):
            server.poll(wait=0)

    def test_bridge_refuses_tampered_expired_replayed_and_foreign_jobs(self):
        """Jobs that did not come from this server for this bridge never touch the card."""
        server, guard = self.paired()
        self.insert()
        card_job = self.account._issue_card(self.chip.serial.hex())
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'write', card_job, self.vend)
        genuine = job._signed_payload()
        tampered = {**genuine, 'writes': {'32': 'ff' * 8}}
        unsigned = {k: v for k, v in genuine.items() if k != 'signature'}
        expired_job = self.env['prepaid.card.job']._create_for(self.bridge, 'write', card_job, self.vend)
        expired_job.expires_at = time.time() - 1
        expired = expired_job._signed_payload()
        other = self.env['prepaid.card.bridge'].create({'name': 'Till 2'})
        other.sudo()._pair(other.pairing_code)
        foreign = self.env['prepaid.card.job']._create_for(other, 'write', card_job, self.vend)._signed_payload()
        before = self.chip.read(0, 256)

        class Replaying(bridge_client.ServerClient):
            messages = []

            def poll(self, wait=20, readers=()):
                return self.messages

        replaying = Replaying(server.url, server.bridge_id, server.secret)
        runs = []
        real_run_job = cli.run_job

        def counting_run_job(*args):
            runs.append(args[0]['job_id'])
            return real_run_job(*args)

        with patch.object(cli, 'run_job', counting_run_job):
            replaying.messages = [tampered, unsigned, expired, foreign]
            self.run_bridge_once(replaying, guard)
            self.assertEqual(runs, [])
            self.assertEqual(self.chip.read(0, 256), before)
            replaying.messages = [genuine, genuine]          # the same job twice: run once
            job.state = 'sent'                               # as the server's poll would have
            self.run_bridge_once(replaying, guard)
        self.assertEqual(runs, [job.id])
        self.assertEqual(job.state, 'done')
        self.assertEqual(self.vend.state, 'written')

    # ------------------------------------------------------------------ the demo's meter
    def run_meter(self, state, consume):
        """`make meter` on the tests' reader: the card goes into the customer's virtual meter."""
        done = subprocess.run(
            [sys.executable, str(METER_SCRIPT), '--config', config['config'], '--state', str(state),
             '--reader', READER, '--keys', self.key_file, '--consume', consume],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def read_card_through_bridge(self, server, guard):
        """Read Card, as the POS asks for it: a read job through the bridge, then the server
        takes in the card (and the meter's write-back on it)."""
        read = self.env['prepaid.card.job']._create_for(self.bridge, 'read')
        self.run_bridge_once(server, guard)
        self.assertEqual(read.state, 'done', read.error)
        result = self.env['prepaid.card']._read_card(bytes.fromhex(read.raw))
        self.env.flush_all()
        return result

    def test_sell_meter_read_card_and_sell_again(self):
        """The demo's whole cycle: sell -> the card goes into the meter -> Read Card keeps the
        write-back -> the next sale is made and written, and the meter loads it too."""
        server, guard = self.paired()
        self.insert()
        self.env['prepaid.card.job']._create_for(self.bridge, 'write',
                                                 self.account._issue_card(self.chip.serial.hex()), self.vend)
        self.run_bridge_once(server, guard)
        self.assertEqual(self.vend.state, 'written')
        with self.assertRaisesRegex(UserError, 'still on the card'):      # what the demo used to end at
            self.account._vend('energy', Decimal('50'))
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        state = Path(folder.name) / 'meter.json'

        # a new meter (holding its preset) uses 10 kWh, then loads the 61 kWh less the preset
        output = self.run_meter(state, '10')
        self.assertIn('new meter 515100000001', output)
        self.assertTrue(state.exists())
        self.read_card_through_bridge(server, guard)
        writeback = self.env['prepaid.card.writeback'].search([('account_id', '=', self.account.id)])
        self.assertEqual(len(writeback), 1)
        self.assertEqual((writeback.remaining_energy, writeback.total_consumption, writeback.insert_count),
                         (51.0, 10.0, 1))
        self.assertFalse(self.account.is_credit_valid)
        self.assertEqual(self.account.remaining_energy, 51.0)

        # the next sale is made and written onto the card
        second = self.account._vend('energy', Decimal('50'))
        second._queue_card_write(self.bridge)
        self.run_bridge_once(server, guard)
        self.assertEqual(second.state, 'written')

        # the same meter (kept between runs) uses 5 kWh and loads purchase 2
        output = self.run_meter(state, '5')
        self.assertIn('purchase 2 loaded', output)
        self.read_card_through_bridge(server, guard)
        latest = self.env['prepaid.card.writeback'].search([('account_id', '=', self.account.id)], limit=1)
        self.assertEqual((latest.remaining_energy, latest.total_consumption, latest.insert_count),
                         (96.0, 15.0, 2))
        self.assertEqual(self.account.remaining_energy, 96.0)
        self.assertFalse(self.account.is_credit_valid)

    def test_a_taken_test_slot_is_refused_with_the_reason(self):
        """Another virtual card in the tests' vpcd slot (e.g. `card-bridge emulate --port 35964`):
        the test says so instead of reading that card."""
        other = VpcdCard(VirtualSle4442(serial=bytes.fromhex('0909090909090909')), port=TEST_VPCD_PORT).insert()
        self.addCleanup(other.remove)
        wait_for_card(TEST_VPCD_PORT, '0909090909090909')
        with self.assertRaisesRegex(SlotTaken, 'already holds the virtual card 0909090909090909'):
            self.insert()
        self.assertIsNone(self.card)

"""End to end over TCP and HTTP: the real head-end (head_end.service.HeadEnd with its
ServerBackend) pairs with this server, takes its work, talks Q/GDW 1376.1 to a virtual
concentrator on loopback, which forwards DL/T 645-2007 to a virtual meter, and reports back:
readings billed, the meter tripped at the overdraft limit, closed after a top-up, keep-power
refusing a trip, a meter that stops answering, a command whose answer is lost and is read back
instead of being sent again."""
import asyncio
import datetime as dt
import json
import tempfile
import time
import zoneinfo
from decimal import Decimal
from pathlib import Path

import requests

from odoo.exceptions import AccessDenied
from odoo.tests import HttpCase, tagged

from head_end import auth
from head_end import server as head_end_server
from head_end.server import ServerBackend
from head_end.service import HeadEnd
from head_end.virtual import SimClock, VirtualConcentrator, VirtualMeter

from .common import over_http
from .remote_common import ASSET, METER, RemoteFixture

SHANGHAI = zoneinfo.ZoneInfo('Asia/Shanghai')


@tagged('post_install', '-at_install', 'prepaid_http')
class TestHeadEndEndToEnd(RemoteFixture, HttpCase):

    def setUp(self):
        super().setUp()
        self.setup_remote(self.env)
        self.meter.start_reading = 0
        self.folder = Path(tempfile.mkdtemp(prefix='head-end-test-'))
        self.config = self.folder / 'server.json'
        # the meter's clock two days ago, then two days pass: it has frozen yesterday's registers
        self.clock = SimClock(dt.datetime.now(SHANGHAI).replace(tzinfo=None) - dt.timedelta(days=2), speed=0)
        self.virtual = VirtualMeter(METER, self.clock)
        self.clock.advance(dt.timedelta(days=2))

    def over_http(self):
        return over_http(self)

    def rounds(self, *steps, connected=None):
        """Run the head-end: the virtual concentrator dials it and logs in; then for each step
        (a function called between rounds, or None) one round of work is done and reported;
        `connected` is called after the last round, before the concentrator hangs up."""
        async def scenario():
            backend = ServerBackend(self.config, timeout=20)
            head = HeadEnd(backend, host='127.0.0.1', port=0, meter_timeout=0.3, link_margin=1.0, poll_interval=3600)
            await head.start()
            concentrator = VirtualConcentrator(ASSET, '127.0.0.1', head.port, heartbeat=60, reconnect=0.05)
            concentrator.add_meter(self.virtual, port=2)
            concentrator.start()
            try:
                deadline = time.monotonic() + 10
                while not head.concentrator_online(ASSET):
                    self.assertLess(time.monotonic(), deadline, "the virtual concentrator never logged in")
                    await asyncio.sleep(0.02)
                for step in steps:
                    if step:
                        self.env.invalidate_all()
                        step()
                        self.env.flush_all()
                    await head.run_once()
                if connected:
                    self.env.invalidate_all()
                    connected()
            finally:
                await concentrator.stop()
                await head.close()
            self.assertEqual(backend.waiting(), 0, "reports left undelivered")
        with self.over_http():
            asyncio.run(scenario())

    def pair(self):
        with self.over_http():
            head_end_server.pair(self.base_url(), self.head_end_code, self.config, 'he-test')

    def test_readings_trip_at_overdraft_and_close_after_a_top_up(self):
        bridge = self.env['prepaid.card.bridge'].create({'name': 'Test head-end', 'service': 'head_end'})
        self.head_end_code = bridge.pairing_code
        self.pair()
        self.assertEqual(bridge.state, 'paired')
        self.concentrator.head_end_id = bridge
        # round 1: yesterday's freeze and the relay; the first bill takes the balance below 0
        self.rounds(None, connected=lambda: self.assertTrue(self.concentrator.is_online))
        self.assertFalse(self.concentrator.is_online)    # it hung up
        reading = self.env['prepaid.meter.reading'].search([('meter_id', '=', self.meter.id)])
        self.assertEqual(len(reading), 1)
        yesterday = (dt.datetime.now(SHANGHAI) - dt.timedelta(days=1)).date()
        self.assertEqual(reading.day, yesterday)
        frozen = self.virtual.freezes[-1][1]
        self.assertEqual(Decimal(str(reading.total)), frozen[0])
        self.assertEqual((self.meter.is_online, self.meter.relay_state), (True, 'closed'))
        self.assertTrue(self.concentrator.last_heartbeat)
        bill = reading.bill_id
        self.assertTrue(bill.amount > 0)
        self.assertEqual(self.account.money_balance, -bill.amount)
        trip = self.env['prepaid.meter.command'].search([('meter_id', '=', self.meter.id), ('action', '=', 'trip')])
        self.assertEqual((trip.state, trip.origin), ('queued', 'strategy'))
        log = self.env['prepaid.collection.log'].search([('meter_id', '=', self.meter.id)])
        self.assertIn('daily', log.mapped('kind'))
        self.assertTrue(all(log.mapped('frames')))
        # round 2: the trip is sent (1CH), read back (status word 3) and confirmed; the power is off
        self.rounds(None)
        self.assertEqual((trip.state, trip.attempts), ('confirmed', 1))
        self.assertIn('68 1C 10', trip.frames.upper())     # the relay control frame went out
        self.assertTrue(self.virtual.relay_open)
        self.assertEqual((self.meter.relay_state, self.meter.tripped_by_strategy), ('open', True))
        # a top-up brings the balance back: the meter is closed again, through the head-end
        self.rounds(lambda: self.account._top_up(Decimal('50'), self.journal))
        close = self.env['prepaid.meter.command'].search([('meter_id', '=', self.meter.id), ('action', '=', 'close')])
        self.assertEqual((close.state, close.origin), ('confirmed', 'strategy'))
        self.assertFalse(self.virtual.relay_open)
        self.assertEqual(self.meter.relay_state, 'closed')
        self.assertEqual(self.reconciliation_differences(), {})

    def test_keep_power_refuses_a_trip_and_lost_answers_are_read_back(self):
        bridge = self.env['prepaid.card.bridge'].create({'name': 'Test head-end', 'service': 'head_end'})
        self.head_end_code = bridge.pairing_code
        self.pair()
        self.account._top_up(Decimal('100'), self.journal)
        manager_meter = self.meter.with_user(self.manager)
        commands = {}

        def keep_power_on():
            commands['keep'] = manager_meter._manual_command('keep_power_on', 'medical needs')

        def trip():
            commands['trip'] = manager_meter._manual_command('trip', 'test under keep-power')

        def lose_the_answer():
            self.virtual.lose_answers = 1     # the meter acts, its answer is lost on the bus
            manager_meter._manual_command('keep_power_off', 'end of the holidays')

        self.rounds(keep_power_on, trip)
        self.assertEqual(commands['keep'].state, 'confirmed')
        self.assertTrue(self.virtual.keep_power)
        self.assertEqual((commands['trip'].state, commands['trip'].result_reason), ('failed', 'refused'))
        self.assertFalse(self.virtual.relay_open)
        self.rounds(lose_the_answer)
        off = self.env['prepaid.meter.command'].search([('action', '=', 'keep_power_off')])
        self.assertEqual((off.state, off.attempts), ('unknown', 1))
        self.assertFalse(self.virtual.keep_power)     # it was done all the same
        sent = len(self.virtual.requests)
        self.rounds(None)
        # the next round reads the relay first, finds it done and sends nothing
        self.assertEqual((off.state, off.result_reason, off.attempts), ('confirmed', 'already_done', 1))
        self.assertNotIn(0x1C, self.virtual.requests[sent:])
        # a meter that stops answering is marked offline, its concentrator stays online
        self.virtual.online = False
        self.rounds(lambda: self.meter.action_read_now(), connected=lambda: self.assertEqual(
            (self.meter.is_online, self.concentrator.is_online), (False, True)))

    def test_the_routes_answer_only_a_paired_head_end(self):
        card_bridge = self.env['prepaid.card.bridge'].create({'name': 'Till'})
        card_secret = card_bridge._pair(card_bridge.pairing_code, 'till')['secret']
        # a head-end's pairing code is not a card bridge's, and the other way round
        self.assertRaises(AccessDenied, self.head_end._pair, 'x', 'he', 'head_end')

        def post(path, body, bridge_id=None, secret=None):
            data = json.dumps(body).encode()
            headers = {'Content-Type': 'application/json'}
            if bridge_id:
                headers.update(auth.request_headers(bridge_id, secret, data))
            with self.over_http():
                return requests.post(self.base_url() + path, data=data, headers=headers, timeout=20)

        self.assertEqual(post('/prepaid/head_end/work', {}).status_code, 403)
        self.assertEqual(post('/prepaid/head_end/work', {}, card_bridge.id, card_secret).status_code, 403)
        self.assertEqual(post('/prepaid/bridge/poll', {}, self.head_end.id, self.secret).status_code, 403)
        answer = post('/prepaid/head_end/work', {}, self.head_end.id, self.secret)
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.json()['concentrators'][0]['asset'], ASSET)
        bad = post('/prepaid/head_end/report', {'daily': [{'meter': METER, 'day': 'yesterday'}]},
                   self.head_end.id, self.secret)
        self.assertEqual(bad.status_code, 422)
        self.assertIn('error', bad.json())
        self.assertFalse(self.env['prepaid.meter.reading'].search([('meter_id', '=', self.meter.id)]))

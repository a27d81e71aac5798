"""Vending at the real Odoo POS in headless Chromium, with the card bridge on a virtual
SLE4442 in pcscd's Virtual PCD reader: read the card, quote, pay cash, the card is written;
the card written again from its dialog; the credit still on the card rewritten (the difference
paid; ticket and order line say it is a rewrite); Return Products refused on electricity, the
till still working after a reload; a card pulled mid-write and its retry; the session closed
and posted."""
import logging
import threading
import time
from decimal import Decimal

import requests

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from card_bridge import client as bridge_client
from card_bridge.cli import _card_serial, _pick_reader, serve
from card_bridge.protocol import JobGuard
from card_bridge.sle4442 import VirtualSle4442
from card_bridge.vpcd import VpcdCard

from ..engine import card_format
from ..engine.tests.virtual_meter import VirtualMeter
from .common import TEST_READER, TEST_VPCD_PORT, ensure_pcscd, make_account, use_card_keys

_logger = logging.getLogger(__name__)
READER = TEST_READER     # the tests' vpcd slot: the demo (`make run`) keeps the first
STATION = '525252'
METER = '000052525252'
MASTER = '0123456789abcdeffedcba9876543210'


class TestCookieSession(requests.Session):
    """The bridge's HTTP session carries the test's current request key: its requests reach
    the server only while the test lets requests in (during a tour), never between, so it can
    keep polling in the background like the real bridge."""

    def __init__(self, test):
        super().__init__()
        self.test = test

    def request(self, *args, **kwargs):
        self.cookies.set(TEST_CURSOR_COOKIE_NAME, self.test.http_request_key)
        return super().request(*args, **kwargs)


@tagged('post_install', '-at_install', 'prepaid_http')
class TestPosVendingTour(TestPointOfSaleHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_pcscd(cls)
        use_card_keys(cls, {STATION: {'1': MASTER}})

        env = cls.env(su=True)    # fixtures are the administrator's
        cls.pos_user.group_ids = [Command.link(env.ref('prepaid_electricity.prepaid_electricity_group_operator').id)]
        product = env.ref('prepaid_electricity.product_electricity')
        product.product_tmpl_id.active = True    # the POS tests archive every product
        env.company._prepaid_sync_product_account()
        cls.account = make_account(env, STATION, METER, customer='Li Na')

    # ------------------------------------------------------------------ the workstation
    def setUp(self):
        super().setUp()
        self.chip = VirtualSle4442(serial=bytes.fromhex('5252525252525252'))
        self.card = None
        self.meter = VirtualMeter(station_code=STATION, meter_number=METER,
                                  key_lookup=lambda station, version: bytes.fromhex(MASTER))
        self.bridge = self.env(su=True)['prepaid.card.bridge'].create({'name': 'Till 1'})
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.idle = threading.Event()
        self.reinsert_after_pull = False
        self.thread = None
        self.addCleanup(self.remove_card)
        self.addCleanup(self.stop_bridge)

    def insert_card(self, **kwargs):
        self.remove_card()
        self.card = VpcdCard(self.chip, port=TEST_VPCD_PORT, **kwargs).insert()
        self.wait_for_card()

    @staticmethod
    def wait_for_card(timeout=20):
        """pcscd polls vpcd about every 400 ms (slower on a busy machine): wait until the
        reader sees the card."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if _card_serial(_pick_reader(READER)):
                return
        raise AssertionError("pcscd did not see the virtual card")

    def remove_card(self):
        if self.card:
            self.card.remove()
            self.card = None
            time.sleep(0.6)

    def bridge_loop(self, server, guard):
        """The card bridge of the till, polling this server while the tour runs."""
        while not self.stop.is_set():
            if self.paused.is_set():
                self.idle.set()
                time.sleep(0.1)
                continue
            self.idle.clear()
            try:
                serve(server, guard, READER, wait=0, once=True)
            except (bridge_client.ServerError, requests.RequestException) as error:
                # between tours the test lets no request in: the bridge retries, as the real one does
                _logger.debug("bridge loop: %s", error)
            if self.reinsert_after_pull and self.card and self.card._stop.is_set():
                # the cashier puts the pulled card back into the reader
                self.reinsert_after_pull = False
                self.card.remove()
                time.sleep(0.6)     # let vpcd notice the old link is gone
                self.card = VpcdCard(self.chip, port=TEST_VPCD_PORT).insert()
                self.wait_for_card()
            time.sleep(0.2)

    def stop_bridge(self):
        self.stop.set()
        if self.thread:
            self.thread.join(10)

    def pause_bridge(self):
        # idle anew: an idle left set by the last pause would let a poll that starts just now
        # run on while the test holds the cursor
        self.idle.clear()
        self.paused.set()
        self.assertTrue(self.idle.wait(30), "the bridge loop did not pause")

    # ------------------------------------------------------------------ the test
    def test_sell_at_the_pos_write_the_card_retry_and_close(self):
        env = self.env(su=True)
        account, config_ = self.account.with_env(env), self.main_pos_config.with_env(env)
        # Li Na's card, issued with a first purchase that the meter has since consumed
        values = self.bridge._pair(self.bridge.pairing_code, 'till-1')
        server = bridge_client.ServerClient(self.base_url(), values['bridge_id'], values['secret'],
                                            session=TestCookieSession(self))
        guard = JobGuard(values['bridge_id'], values['secret'])
        self.insert_card()
        first = account._vend('energy', Decimal('30'))
        env['prepaid.card.job']._create_for(self.bridge.with_env(env), 'write',
                                            account._issue_card(self.chip.serial.hex()), first)
        env.flush_all()
        with self.allow_requests():
            serve(server, guard, READER, wait=0, once=True)
        env.invalidate_all()
        self.assertEqual(first.state, 'written')
        self.remove_card()
        self.assertEqual(self.meter.insert(self.chip), Decimal('10.00'))   # 30 kWh less the preset
        self.insert_card()
        config_.prepaid_bridge_id = self.bridge

        self.thread = threading.Thread(target=self.bridge_loop, args=(server, guard), daemon=True)
        self.thread.start()
        # 1. read the card, sell 61 kWh at 2.0000, pay cash: the card is written
        self.start_pos_tour('prepaid_electricity_pos_sale', login='pos_user')
        self.pause_bridge()
        env.invalidate_all()
        sale = account._last_vend()
        self.assertRecordValues(sale, [{'sequence': 2, 'energy_bought': 61.0, 'price': 2.0,
                                        'amount_due': 122.0, 'channel': 'pos', 'state': 'written'}])
        self.assertEqual(sale.pos_order_id.amount_total, 122.0)
        self.assertEqual(sale.pos_order_id.payment_ids.payment_method_id.name, 'Cash')
        self.assertEqual(sale.pos_order_id.partner_id, account.partner_id, "the order is the customer's")
        on_card = card_format.decode(self.chip.read(0, 256), lambda s, v: bytes.fromhex(MASTER), STATION)
        self.assertEqual((on_card.image.sequence, on_card.image.credit, on_card.is_credit_valid),
                         (2, Decimal('61.00'), True))

        # 2. the customer wanted 71 kWh: rewrite the credit still on the card, pay the 20.00
        self.paused.clear()
        self.start_pos_tour('prepaid_electricity_pos_rewrite', login='pos_user')
        self.pause_bridge()
        env.invalidate_all()
        self.assertEqual(account._last_vend(), sale, "a rewrite corrects the vend, never a new one")
        # first Write Card Again (its dialog followed the job): the same image again
        sale_jobs = env['prepaid.card.job'].search([('vend_id', '=', sale.id)], order='id')
        self.assertEqual(sale_jobs.mapped('state'), ['done', 'done', 'done'])
        self.assertEqual(sale_jobs[0].writes, sale_jobs[1].writes, "writing again writes the same image")
        self.assertRecordValues(sale, [{'sequence': 2, 'energy_bought': 71.0, 'amount_due': 142.0,
                                        'rewrite_count': 1, 'state': 'written'}])
        rewrite = account.operation_ids.filtered(lambda o: o.kind == 'rewrite')
        self.assertEqual((rewrite.amount_before, rewrite.amount_after), (122.0, 142.0))
        self.assertEqual(rewrite.pos_order_line_id.order_id.amount_total, 20.0)
        self.assertEqual(rewrite.pos_order_line_id.order_id.partner_id, account.partner_id)
        # Return Products was tried on the rewrite's order: no refund order was made
        self.assertFalse(env['pos.order.line'].search([('refunded_orderline_id', '!=', False)]))
        self.assertFalse(env['pos.order'].search([('is_refund', '=', True)]))
        on_card = card_format.decode(self.chip.read(0, 256), lambda s, v: bytes.fromhex(MASTER), STATION)
        self.assertEqual((on_card.image.sequence, on_card.image.credit, on_card.is_credit_valid),
                         (2, Decimal('71.00'), True))

        # 3. the meter takes the credit; the next sale's card is pulled out mid-write
        self.remove_card()
        self.assertEqual(self.meter.insert(self.chip), Decimal('71.00'))
        self.insert_card(fail_after_writes=0)
        self.reinsert_after_pull = True
        self.paused.clear()
        self.start_pos_tour('prepaid_electricity_pos_failed_write', login='pos_user')
        self.pause_bridge()
        self.stop_bridge()
        env.invalidate_all()
        retried = account._last_vend()
        self.assertRecordValues(retried, [{'sequence': 3, 'energy_bought': 10.0, 'amount_due': 20.0,
                                           'state': 'written'}])
        jobs = env['prepaid.card.job'].search([('vend_id', '=', retried.id)], order='id')
        self.assertEqual(jobs.mapped('state'), ['failed', 'done'])
        self.assertEqual(jobs[0].writes, jobs[1].writes, "the retry writes the same image")
        self.assertEqual(len(account.vend_ids), 3)
        on_card = card_format.decode(self.chip.read(0, 256), lambda s, v: bytes.fromhex(MASTER), STATION)
        self.assertEqual((on_card.image.sequence, on_card.image.credit), (3, Decimal('10.00')))
        self.assertEqual(self.meter.insert(self.chip), Decimal('10.00'))

        # 4. close the session: the sales and the rewrite reach the prepaid electricity liability
        session = config_.current_session_id
        session.post_closing_cash_details(session.cash_register_balance_end)
        session.close_session_from_ui()
        self.assertEqual(session.state, 'closed')
        liability = env.company.prepaid_liability_account_id
        lines = env['account.move.line'].search([('account_id', '=', liability.id), ('parent_state', '=', 'posted'),
                                                 ('move_id', 'in', session._get_related_account_moves().ids)])
        # 122.00 sold, 20.00 for the rewrite, 20.00 sold
        self.assertAlmostEqual(sum(lines.mapped('credit')) - sum(lines.mapped('debit')), 162.0)
        env.flush_all()
        row = env['prepaid.reconciliation.report'].sudo().search([('pos_session_id', '=', session.id)])
        self.assertRecordValues(row, [{'vend_amount': 162.0, 'payment_amount': 162.0, 'posted_amount': 162.0,
                                       'difference': 0.0}])

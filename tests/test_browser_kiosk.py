"""The self-service kiosk page in headless Chromium, on the kiosk PC's real bridge loop and its
virtual devices (the card in pcscd's Virtual PCD reader, the ccTalk bill acceptor on a
pseudo-terminal, the ESC/POS printer on TCP, the simulated bank card terminal): a cash sale
with the balance carried, a bank card sale, a card pulled mid-write then re-vended on its
reinsertion. The customer's hands are a thread of this test: it inserts the notes once the
acceptor is enabled and takes the card out once the slip is printed."""
import threading
import time

from odoo.tests import new_test_user, tagged

from .common import OPERATOR
from .kiosk_http_common import KioskHttpCommon


@tagged('post_install', '-at_install', 'prepaid_http')
class TestKioskTour(KioskHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['res.lang']._activate_lang('zh_CN')
        cls.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)
        cls.collector = new_test_user(cls.env, login='pe_kiosk_collector', password='pe_kiosk_collector_pw',
                                      groups=f'base.group_user,{OPERATOR}', tz='Asia/Shanghai')

    def customer(self, notes=(), slips=1, back_after_pull=False):
        """The customer at the kiosk, in a thread: insert `notes` once the acceptor takes cash,
        put the card back if it was pulled during its write, take the card once `slips` more
        slips are printed."""
        printed = len(self.printer.jobs())

        def act():
            deadline = time.monotonic() + 90
            if notes:
                while not self.validator.state().get('master_enabled') and time.monotonic() < deadline:
                    time.sleep(0.2)
                for value in notes:
                    self.insert_note(value)
                    time.sleep(0.8)
            if back_after_pull:
                while not self.card._stop.is_set() and time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(2)        # the kiosk sees the card gone, says it was not written
                self.insert_card()
            while len(self.printer.jobs()) < printed + slips and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)
            self.remove_card()

        thread = threading.Thread(target=act, daemon=True)
        thread.start()
        return thread

    def kiosk_tour(self, tour, lang='en_US', **customer):
        url = f'/prepaid/kiosk/{self.kiosk.id}?access_token={self.kiosk.access_token}&lang={lang}'
        hands = self.customer(**customer)
        self.env.flush_all()
        self.paused.clear()             # the bridge loop runs during the tour, and pauses after it
        if not self.thread:
            self.thread = threading.Thread(target=self.bridge_loop, daemon=True)
            self.thread.start()
        try:
            self.start_tour(url, tour, timeout=180)
        finally:
            self.idle.clear()
            self.paused.set()
            self.assertTrue(self.idle.wait(30), "the bridge loop did not pause")
            hands.join(30)
        self.env.invalidate_all()

    def test_kiosk_in_chromium(self):
        account = self.account
        # 1. cash: 100.00 chosen, 50 + 5 inserted, Buy: 55.00 buys 27 kWh at 2.00, 1.00 carried;
        # a slow card, so that the page sees the write under way (and does not let it go)
        self.insert_card(write_delay=0.3)
        self.kiosk_tour('prepaid_electricity_kiosk_tour', notes=['50', '5'])
        sale = account._last_vend()
        self.assertRecordValues(sale, [{'channel': 'kiosk', 'method': 'money', 'amount_due': 55.0,
                                        'energy_bought': 27.0, 'balance_after': 1.0, 'state': 'written'}])
        self.assertEqual(account.money_balance, 1.0)
        self.assertIn('27.00 kWh', self.slips()[-1])

        # 2. bank card: 20 kWh, approved by the terminal (40.00, of which the 1.00 carried pays 1.00)
        self.load_at_home()
        self.insert_card()
        self.kiosk_tour('prepaid_electricity_kiosk_card_tour', lang='zh_CN')
        sale = account._last_vend()
        self.assertRecordValues(sale, [{'method': 'energy', 'energy_bought': 20.0, 'amount_due': 39.0,
                                        'balance_before': 1.0, 'balance_after': 0.0, 'state': 'written'}])
        self.assertEqual(sale.pos_order_line_id.order_id.payment_ids.payment_method_id, self.card_method)
        self.assertIn('购电', self.slips()[-1], "the slip in the language chosen on the screen")

        # 3. 20.00 in cash, the card pulled during its write, then back: the same vend written
        self.load_at_home()
        self.insert_card(fail_after_writes=1)
        self.kiosk_tour('prepaid_electricity_kiosk_revend_tour', notes=['20'], back_after_pull=True)
        revended = account._last_vend()
        self.assertRecordValues(revended, [{'amount_due': 20.0, 'state': 'written'}])
        write_jobs = self.env['prepaid.card.job'].search([('vend_id', '=', revended.id)], order='id')
        self.assertEqual(write_jobs.mapped('state'), ['failed', 'done'], "written again: the same vend")
        self.assertEqual(write_jobs[0].writes, write_jobs[1].writes, "the same image, never new credit")

        # 4. the collector's terminal settlement (清机): the 5 note is missing from the cassette
        session = self.kiosk.current_session_id
        settlement = self.kiosk.with_user(self.collector).action_prepaid_kiosk_start_settlement()
        settlement = self.env['prepaid.kiosk.settlement'].browse(settlement['res_id'])
        self.assertEqual(settlement.acceptor_amount, 75.0)
        self.start_tour(f'/odoo/action-prepaid_electricity.prepaid_kiosk_settlement_action/{settlement.id}',
                        'prepaid_electricity_kiosk_settlement_tour', login=self.collector.login)
        self.assertRecordValues(settlement, [{'state': 'done', 'counted_amount': 70.0, 'difference': -5.0}])
        self.assertEqual(session.state, 'closed')
        self.assertTrue(settlement.difference_move_id)

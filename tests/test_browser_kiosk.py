"""The self-service kiosk page in headless Chromium, on the kiosk PC's real bridge loop and its
virtual devices (the card in pcscd's Virtual PCD reader, the ccTalk bill acceptor on a
pseudo-terminal, the ESC/POS printer on TCP, the simulated bank card terminal): a cash sale
with the balance carried, a bank card sale, a card pulled mid-write then re-vended on its
reinsertion. The customer's hands are a thread of this test: it inserts the notes once the
acceptor is enabled and takes the card out once the slip is printed."""
import threading
import time

from odoo.tests import tagged

from .kiosk_http_common import KioskHttpCommon


@tagged('post_install', '-at_install', 'prepaid_http')
class TestKioskTour(KioskHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['res.lang']._activate_lang('zh_CN')
        cls.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)

    def customer(self, notes=(), slips=1):
        """The customer at the kiosk, in a thread: insert `notes` once the acceptor takes cash,
        take the card once `slips` more slips are printed."""
        printed = len(self.printer.jobs())

        def act():
            deadline = time.monotonic() + 90
            if notes:
                while not self.validator.state().get('master_enabled') and time.monotonic() < deadline:
                    time.sleep(0.2)
                for value in notes:
                    self.insert_note(value)
                    time.sleep(0.8)
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
        # 1. cash: 100.00 chosen, a 50 note inserted, Buy: 50.00 buys 25 kWh at 2.00
        self.insert_card()
        self.kiosk_tour('prepaid_electricity_kiosk_tour', notes=['50'])
        sale = account._last_vend()
        self.assertRecordValues(sale, [{'channel': 'kiosk', 'method': 'money', 'amount_due': 50.0,
                                        'energy_bought': 25.0, 'state': 'written'}])
        self.assertIn('25.00 kWh', self.slips()[-1])

        # 2. bank card: 20 kWh, approved by the terminal
        self.load_at_home()
        self.insert_card()
        self.kiosk_tour('prepaid_electricity_kiosk_card_tour', lang='zh_CN')
        sale = account._last_vend()
        self.assertRecordValues(sale, [{'method': 'energy', 'energy_bought': 20.0, 'amount_due': 40.0,
                                        'state': 'written'}])
        self.assertEqual(sale.pos_order_line_id.order_id.payment_ids.payment_method_id, self.card_method)
        self.assertIn('购电', self.slips()[-1], "the slip in the language chosen on the screen")

        # 3. a purchase whose card was pulled during the write, then the card back in the reader
        self.load_at_home()
        with self.serving():
            self.insert_card(fail_after_writes=1)
            self.wait_state(lambda s: s['customer'] and s['customer']['can_buy'], what="a customer who can buy")
            self.call('start', tid='b-3', payment='cash', method='money', quantity=20)
            self.wait_state(lambda s: s['transaction']['accepting'], 'b-3', what="cash-in")
            self.insert_note('20')
            self.wait_state(lambda s: s['transaction']['vend'] and not s['card']['present'], 'b-3',
                            what="the card pulled during the write")
        waiting = account._last_vend()
        self.assertEqual(waiting.state, 'to_write')
        self.insert_card()
        self.kiosk_tour('prepaid_electricity_kiosk_revend_tour')
        self.assertEqual(account._last_vend(), waiting, "the same vend, never new credit")
        self.assertEqual(waiting.state, 'written')

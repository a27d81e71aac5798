"""The kiosk end to end, as its page talks to the server: the card in the reader read through
the real bridge, cash inserted into the virtual ccTalk acceptor (each note shown at once),
Buy, the card written and read back, the slip printed on the virtual ESC/POS printer with the
figures; a bank card sale on the simulated terminal; a card pulled mid-write, re-vended when
it comes back; a wrong access token refused."""
import json

from odoo.tests import tagged

from card_bridge.protocol import request_headers

from .kiosk_http_common import KioskHttpCommon


@tagged('post_install', '-at_install', 'prepaid_http')
class TestKioskOverHttp(KioskHttpCommon):

    def cash_event(self, job_id, nonce, event, **fields):
        body = json.dumps({'job_id': job_id, 'nonce': nonce, 'event': event, **fields}).encode()
        return self.page.post(f'{self.base_url()}/prepaid/bridge/cash', data=body, timeout=30,
                              headers=request_headers(self.server.bridge_id, self.server.secret, body))

    def test_kiosk_sales_over_http(self):
        account = self.account
        with self.serving():
            page = self.page.get(f'{self.base_url()}/prepaid/kiosk/{self.kiosk.id}?access_token=wrong', timeout=30)
            self.assertEqual(page.status_code, 404)
            refused = self.page.post(f'{self.base_url()}/prepaid/kiosk/{self.kiosk.id}/call', json={
                'jsonrpc': '2.0', 'method': 'call', 'params': {'access_token': 'wrong', 'action': 'state'}},
                timeout=30)
            self.assertIn('error', refused.json())
            # the acceptor's events are the kiosk bridge's, signed, for a cash job it was given
            body = json.dumps({'job_id': 0, 'nonce': 'x', 'event': 'stacked', 'value': '50.00', 'seq': 1}).encode()
            unsigned = self.page.post(f'{self.base_url()}/prepaid/bridge/cash', data=body, timeout=30)
            self.assertEqual(unsigned.status_code, 403)
            self.assertEqual(self.cash_event(0, 'x', 'stacked', value='50.00', seq=1).status_code, 404)
            self.assertFalse(self.call('state', resume=True)['card']['present'])
            self.insert_card()
            state = self.wait_state(lambda s: s['customer'], what="the customer")
            self.assertEqual((state['customer']['number'], state['customer']['name']), (account.number, '王*明'))

            # 1. cash: 100 chosen, 50 + 20 inserted, Buy
            self.call('start', tid='h-1', payment='cash', method='money', quantity=100)
            self.wait_state(lambda s: s['transaction']['accepting'], 'h-1', what="cash-in")
            self.insert_note('50')
            self.wait_state(lambda s: s['transaction']['amount_inserted'] == 50, 'h-1', what="50 inserted")
            self.insert_note('20')
            self.wait_state(lambda s: s['transaction']['amount_inserted'] == 70, 'h-1', what="70 inserted")
            self.call('buy', tid='h-1')
            state = self.wait_state(lambda s: s['transaction']['slip'] == 'printed', 'h-1', what="the slip")
            self.assertEqual(state['transaction']['state'], 'done')
            self.assertEqual(state['transaction']['vend']['energy'], 35.0)
            slip = self.slips()[-1]
            for figure in ('35.00 kWh', '￥', '70.00', account.number, '王*明', 'Lobby Kiosk', 'Receipt No.'):
                self.assertIn(figure, slip)
            self.assertTrue(slip.cut)

            # 2. bank card: 20 kWh (40.00) on the simulated terminal
            self.remove_card()
            self.wait_state(lambda s: not s['card']['present'], what="the card out")
        first = account._last_vend()
        self.assertRecordValues(first, [{'channel': 'kiosk', 'amount_due': 70.0, 'state': 'written'}])
        order = first.pos_order_line_id.order_id
        self.assertEqual(order.payment_ids.payment_method_id, self.cash_method)
        self.assertEqual(self.journal.pending(), [], "every note acknowledged")
        self.load_at_home()
        cash_job = self.env['prepaid.card.job'].search([('operation', '=', 'cash')], limit=1)

        with self.serving():
            forged = self.cash_event(cash_job.id, 'not-its-nonce', 'stacked', value='100.00', seq=9)
            self.assertEqual(forged.status_code, 404, "a note is credited only for its job's own nonce")
            self.insert_card()
            self.wait_state(lambda s: s['customer'] and s['customer']['can_buy'], what="a customer who can buy")
            self.next_payment('approve')
            self.call('start', tid='h-2', payment='card', method='energy', quantity=20)
            state = self.wait_state(lambda s: s['transaction']['state'] == 'done', 'h-2', what="the card sale")
            self.assertEqual(state['transaction']['amount_paid'], 40.0)
            self.remove_card()
            # the kiosk saw the card go: put back, it is read anew (what the meter wrote on it)
            self.wait_state(lambda s: not s['card']['present'], what="the card out")
        second = account._last_vend()
        self.assertRecordValues(second, [{'method': 'energy', 'energy_bought': 20.0, 'state': 'written'}])
        self.assertEqual(second.pos_order_line_id.order_id.payment_ids.payment_method_id, self.card_method)
        self.load_at_home()

        # 3. the card pulled during the write, then inserted again: the same vend written
        with self.serving():
            self.insert_card(fail_after_writes=1)
            self.wait_state(lambda s: s['customer'] and s['customer']['can_buy'], what="a customer who can buy")
            self.call('start', tid='h-3', payment='cash', method='money', quantity=20)
            self.wait_state(lambda s: s['transaction']['accepting'], 'h-3', what="cash-in")
            self.insert_note('20')     # the amount reached: the vend is made and its write starts
            self.wait_state(lambda s: s['transaction']['vend'] and not s['card']['present'], 'h-3',
                            what="the card pulled during the write")
            self.insert_card()
            state = self.wait_state(lambda s: s['customer'] and s['customer']['waiting_vend'], 'h-3',
                                    what="the card back, its purchase waiting")
            waiting = state['customer']['waiting_vend']
            self.call('revend')
            state = self.wait_state(lambda s: s['transaction']['state'] == 'done', 'h-3', what="the re-vend")
            self.assertEqual(state['transaction']['vend']['name'], waiting['name'])
        third = account._last_vend()
        self.assertEqual(third.name, waiting['name'])
        self.assertEqual(third.state, 'written')
        self.assertEqual(len(account.vend_ids), 4, "the first, two kiosk sales and one re-vended: never new credit")

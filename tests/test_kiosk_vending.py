"""Vending at a self-service kiosk: the card in the kiosk's reader, cash through the bill
acceptor (each note stacked only on the server's yes), a bank card through the terminal, the
vend made once as a paid order of the kiosk's session, the card written and read back by the
bridge, the slip printed."""
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .kiosk_common import KioskCommon


@tagged('post_install', '-at_install')
class TestKioskVending(KioskCommon):

    def test_the_kiosk_serves_only_the_card_in_its_reader(self):
        state = self.kiosk._kiosk_state()
        self.assertFalse(state['card']['present'])
        self.assertFalse(state['customer'])
        with self.assertRaisesRegex(UserError, "Insert your card first"):
            self.kiosk._kiosk_start('t-0', 'cash', 'money', 50)
        state = self.put_card_in_reader()
        customer = state['customer']
        self.assertEqual(customer['number'], self.account.number)
        self.assertEqual(customer['name'], 'Z*** L**', "the name is masked")
        self.assertTrue(customer['can_buy'])
        self.assertEqual(customer['last_purchase']['energy'], 61.0)
        state = self.pull_card()
        self.assertFalse(state['customer'])

    def test_a_card_taken_out_and_back_is_read_again(self):
        """Between two looks of the kiosk the card went into the meter and came back: what the
        meter wrote back on it is read, not the customer remembered from before."""
        self.account.is_credit_valid = True
        self.assertFalse(self.put_card_in_reader()['customer']['can_buy'])
        self.account.is_credit_valid = False      # (the real write-back is on the card; the read decides)
        # the card was read a minute ago, and went out and in since
        self.env.cr.execute("UPDATE prepaid_card_job SET create_date = create_date - interval '1 minute'")
        self.env.invalidate_all()
        self.bridge.card_changed_at = self.env.cr.now() - timedelta(seconds=5)
        self.assertTrue(self.kiosk._kiosk_state()['card']['reading'], "read again")
        self.run_jobs()
        self.assertTrue(self.kiosk._kiosk_state()['customer'])

    def test_cash_sale_with_the_balance_carried(self):
        """100.00 chosen, 50 + 20 + 5 inserted, Buy: 75.00 buys 37 kWh at 2.00 and 1.00 stays
        as the customer's balance; the card is written, the slip printed with the figures."""
        self.put_card_in_reader()
        summary = self.kiosk._kiosk_start('t-1', 'cash', 'money', 100)
        transaction = self.Transaction.search([('kiosk_tid', '=', 't-1')])
        self.assertEqual(summary['state'], 'cash_in')
        cash_job = transaction.job_id
        self.assertEqual(self.run_jobs(), cash_job)
        self.assertEqual(cash_job.params['limit'], '100.00')
        self.assertEqual(self.insert_notes(transaction, '50.00', '20.00', '5.00'), ['stack'] * 3)
        self.assertEqual(self.kiosk._kiosk_state('t-1')['transaction']['amount_inserted'], 75.0)
        self.kiosk._kiosk_buy('t-1')
        self.assertEqual(transaction._on_cash_event(cash_job, 'idle', {}), {'accept': False})
        self.end_cash_job(transaction)
        vend = transaction.vend_id
        self.assertRecordValues(transaction, [{'state': 'vended', 'amount_paid': 75.0}])
        self.assertRecordValues(vend, [{'channel': 'kiosk', 'method': 'money', 'amount_due': 75.0,
                                        'energy_bought': 37.0, 'balance_after': 1.0, 'state': 'to_write'}])
        order = transaction.pos_order_id
        self.assertEqual(order.session_id, self.kiosk.current_session_id)
        self.assertRecordValues(order.payment_ids, [{'payment_method_id': self.cash_method.id, 'amount': 75.0}])
        self.assertEqual(self.account.money_balance, 1.0)
        # the bridge writes the card (and reads it back); then the slip is printed
        self.run_jobs()
        self.assertEqual(vend.state, 'written')
        slip = self.slip_job(transaction)
        self.assertEqual(transaction.slip_state, 'queued')
        lines = dict(slip.params['slip']['lines'])
        self.assertEqual(lines['Energy'], '37.00 kWh')
        self.assertIn('75.00', lines['Amount'])
        self.assertIn('1.00', lines['Balance'])
        self.assertEqual(lines['Purchase No.'], str(vend.sequence))
        self.assertEqual(lines['Receipt No.'], order.name)
        self.assertEqual(lines['Kiosk'], 'Kiosk 1')
        self.assertEqual(self.run_jobs(), slip)
        self.device_result(slip)
        self.assertRecordValues(transaction, [{'state': 'done', 'slip_state': 'printed'}])

    def test_the_amount_reached_stops_the_acceptor(self):
        self.put_card_in_reader()
        self.kiosk._kiosk_start('t-2', 'cash', 'money', 50)
        transaction = self.Transaction.search([('kiosk_tid', '=', 't-2')])
        self.run_jobs()
        self.assertEqual(self.insert_notes(transaction, '20.00', '50.00', '20.00', '10.00'),
                         ['stack', 'return', 'stack', 'stack'], "a note beyond the amount chosen goes back")
        self.assertEqual(transaction.amount_inserted, 50.0)
        self.assertTrue(transaction.buy_requested)
        self.assertEqual(transaction._on_cash_event(transaction.job_id, 'idle', {}), {'accept': False})

    def test_a_note_the_account_cannot_buy_goes_back(self):
        """The hoarding limit lowered while the customer inserts notes: a note that would buy more
        than the meter may hold now is returned, a smaller one is still taken."""
        self.put_card_in_reader()
        self.kiosk._kiosk_start('t-3', 'cash', 'money', 100)
        transaction = self.Transaction.search([('kiosk_tid', '=', 't-3')])
        self.run_jobs()
        self.account.meter_id.hoarding_energy = 40
        self.assertEqual(self.insert_notes(transaction, '50.00', '20.00', '20.00', '10.00'),
                         ['stack', 'stack', 'return', 'stack'])
        self.assertEqual(transaction.amount_inserted, 80.0)

    def test_a_stacked_note_sent_again_is_recorded_once(self):
        """The bridge sends a stacked note again after a lost answer or from its journal."""
        self.put_card_in_reader()
        self.kiosk._kiosk_start('t-4', 'cash', 'money', 100)
        transaction = self.Transaction.search([('kiosk_tid', '=', 't-4')])
        self.run_jobs()
        self.insert_notes(transaction, '50.00')
        transaction._on_cash_event(transaction.job_id, 'stacked', {'value': '50.00', 'seq': 1})
        self.assertEqual(transaction.amount_inserted, 50.0)

    def test_the_same_purchase_started_twice_is_one(self):
        self.put_card_in_reader()
        self.kiosk._kiosk_start('t-5', 'cash', 'money', 100)
        self.kiosk._kiosk_start('t-5', 'cash', 'money', 100)
        self.assertEqual(self.Transaction.search_count([('kiosk_tid', '=', 't-5')]), 1)
        self.assertEqual(len(self.env['prepaid.card.job'].search([('operation', '=', 'cash')])), 1)

    def test_a_customer_who_cannot_buy_is_told_before_paying(self):
        self.account.is_credit_valid = True
        state = self.put_card_in_reader()
        self.assertFalse(state['customer']['can_buy'])
        self.assertTrue(any('still on the card' in w for w in state['customer']['warnings']))
        with self.assertRaisesRegex(UserError, 'still on the card'):
            self.kiosk._kiosk_start('t-6', 'cash', 'money', 50)
        self.assertFalse(self.Transaction.search([('kiosk_tid', '=', 't-6')]))

    def test_a_payment_the_kiosk_does_not_take_is_refused(self):
        self.put_card_in_reader()
        self.kiosk.prepaid_kiosk_card_method_id = False
        with self.assertRaisesRegex(UserError, "does not take this kind of payment"):
            self.kiosk._kiosk_start('t-8', 'card', 'money', 50)
        self.assertFalse(self.Transaction.search([('kiosk_tid', '=', 't-8')]))

    def test_out_of_service(self):
        self.put_card_in_reader()
        self.kiosk.write({'prepaid_kiosk_in_service': False, 'prepaid_kiosk_service_message': 'Being serviced'})
        self.assertEqual(self.kiosk._kiosk_state()['kiosk']['reason'], 'Being serviced')
        with self.assertRaisesRegex(UserError, 'Being serviced'):
            self.kiosk._kiosk_start('t-7', 'cash', 'money', 50)
        self.kiosk.write({'prepaid_kiosk_in_service': True, 'prepaid_kiosk_opens': 0, 'prepaid_kiosk_closes': 0.02})
        self.assertIn('open from', self.kiosk._kiosk_state()['kiosk']['reason'])

    # ------------------------------------------------------------------ bank card
    def start_card_payment(self, tid, quantity=40, method='money'):
        self.put_card_in_reader()
        self.kiosk._kiosk_start(tid, 'card', method, quantity)
        transaction = self.Transaction.search([('kiosk_tid', '=', tid)])
        pay = self.run_jobs()
        self.assertEqual(pay.operation, 'pay')
        self.assertEqual(pay.params, {'reference': transaction.reference,
                                      'amount': f'{transaction.amount_requested:.2f}'})
        return transaction, pay

    def test_bank_card_sale(self):
        transaction, pay = self.start_card_payment('c-1', quantity=30, method='energy')
        self.device_result(pay, outcome='approved', authorization='123456', card='6222 **** **** 1234')
        vend = transaction.vend_id
        self.assertRecordValues(transaction, [{'state': 'vended', 'amount_paid': 60.0,
                                               'terminal_card': '6222 **** **** 1234'}])
        self.assertRecordValues(vend, [{'method': 'energy', 'energy_bought': 30.0, 'amount_due': 60.0}])
        self.assertRecordValues(transaction.pos_order_id.payment_ids,
                                [{'payment_method_id': self.card_method.id, 'amount': 60.0}])
        self.run_jobs()
        self.assertEqual(vend.state, 'written')
        self.assertTrue(self.slip_job(transaction))

    def test_a_declined_bank_card_sells_nothing(self):
        transaction, pay = self.start_card_payment('c-2')
        self.device_result(pay, outcome='declined')
        self.assertRecordValues(transaction, [{'state': 'declined', 'vend_id': False, 'pos_order_id': False}])

    def test_an_unanswered_payment_is_asked_again_with_the_same_reference(self):
        transaction, pay = self.start_card_payment('c-3')
        self.device_result(pay, ok=False, error='timeout', outcome='timeout')
        again = self.run_jobs()
        self.assertEqual(again.operation, 'pay')
        self.assertNotEqual(again, pay)
        self.assertEqual(again.params['reference'], transaction.reference)
        self.device_result(again, outcome='approved', authorization='1', card='6222')
        self.assertEqual(transaction.state, 'vended')
        self.assertEqual(len(self.account.vend_ids), 2)

    def test_an_approved_payment_whose_vend_is_refused_is_voided(self):
        transaction, pay = self.start_card_payment('c-4')
        self.account.action_deactivate()
        self.device_result(pay, outcome='approved', authorization='9', card='6222')
        self.assertRecordValues(transaction, [{'state': 'paid', 'vend_id': False}])
        self.assertIn('deactivated', transaction.error)
        void = self.run_jobs()
        self.assertEqual(void.operation, 'void')
        self.assertEqual(void.params['reference'], transaction.reference)
        self.device_result(void, outcome='voided')
        self.assertEqual(transaction.state, 'voided')
        self.assertEqual(len(self.account.vend_ids), 1, "no vend")
        self.assertIn('voided', self.kiosk._kiosk_state('c-4')['transaction']['state'])

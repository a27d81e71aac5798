"""Terminal settlement (清机) of a self-service kiosk: started, the kiosk takes no new purchase
and the acceptor's notes are counted per denomination; the collector types the notes found in
the cassette; ended, the counted cash closes the session (Odoo posts the difference to the
cash journal's loss or profit account), the next session opens at zero and the kiosk sells
again. Held cash stays held across it; a purchase still taking money blocks the end."""
import re

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .kiosk_common import KioskCommon


@tagged('post_install', '-at_install')
class TestKioskSettlement(KioskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Settlement = cls.env['prepaid.kiosk.settlement']

    # ------------------------------------------------------------------ the kiosk's sales
    def cash_purchase(self, tid, *notes, amount=100, buy=True):
        """A cash purchase of `notes`; bought, its card is written and the credit goes into the
        meter, so that the customer may buy again."""
        transaction = super().cash_purchase(tid, *notes, amount=amount, buy=buy)
        if buy:
            self.deliver(transaction)
        return transaction

    def card_purchase(self, tid, amount=40):
        self.put_card_in_reader()
        self.kiosk._kiosk_start(tid, 'card', 'money', amount)
        transaction = self.Transaction.search([('kiosk_tid', '=', tid)])
        pay = self.run_jobs()
        self.device_result(pay, outcome='approved', authorization='654321', card='6222 **** **** 1234')
        self.deliver(transaction)
        return transaction

    def deliver(self, transaction):
        self.assertEqual(transaction.state, 'vended')
        self.run_jobs()                            # the card written; the slip queued
        self.assertEqual(transaction.vend_id.state, 'written')
        self.insert_card(self.account)             # the credit went into the meter
        self.pull_card()

    def start(self, user=None):
        action = self.kiosk.with_user(user or self.operator).action_prepaid_kiosk_start_settlement()
        self.env.flush_all()
        return self.Settlement.browse(action['res_id'])

    def count_cassette(self, settlement, counts, user=None):
        """The collector types the notes found in the cassette, in the settlement's form."""
        with Form(settlement.with_user(user or self.operator)) as form:
            for index in range(len(form.line_ids)):
                with form.line_ids.edit(index) as line:
                    line.cassette_count = counts.get(line.value, 0)
        self.env.flush_all()

    def report_text(self, settlement):
        """The settlement report's text (its HTML, as wkhtmltopdf gets it; the PDF itself, text
        layer included, is checked by the HTTP tests: wkhtmltopdf needs a running server)."""
        Report = self.env['ir.actions.report'].with_user(self.operator)
        html, _kind = Report._render_qweb_html('prepaid_electricity.action_report_kiosk_settlement', settlement.ids)
        text = re.sub(r'<[^>]+>', ' ', html.decode())
        # the monetary widget keeps the minus sign to its figure with a zero-width space
        return re.sub(r'\s+', ' ', text.replace('&nbsp;', ' ').replace('\u200b', '').replace('\ufeff', ''))

    # ------------------------------------------------------------------ tests
    def test_settlement_posts_the_difference_and_the_kiosk_sells_again(self):
        """Two cash sales (50 + 20, then 100) and a bank card sale of 40; the cassette holds one
        20 note less than the acceptor stacked: -20.00 is posted to the cash journal's loss
        account, the session is closed, the next one opens at zero and sells."""
        self.cash_purchase('s-1', '50.00', '20.00')
        self.cash_purchase('s-2', '100.00')
        self.card_purchase('s-3', 40)
        session = self.kiosk.current_session_id
        settlement = self.start()
        self.assertRecordValues(settlement, [{
            'config_id': self.kiosk.id, 'session_id': session.id, 'collector_id': self.operator.id,
            'state': 'started'}])
        self.assertRegex(settlement.name, r'^QJ/\d{4}/\d{4}$')
        # the kiosk takes no new purchase while it is collected
        self.put_card_in_reader()
        self.assertEqual(self.kiosk._kiosk_state()['kiosk']['reason'],
                         "The kiosk is being collected. Please wait a moment.")
        with self.assertRaisesRegex(UserError, "being collected"):
            self.kiosk._kiosk_start('s-4', 'cash', 'money', 50)
        self.pull_card()
        with self.assertRaisesRegex(UserError, "already being collected"):
            self.start()
        # the acceptor's notes per denomination, and the session's figures
        self.assertRecordValues(settlement.line_ids.sorted('value'), [
            {'value': 5.0, 'acceptor_count': 0, 'acceptor_amount': 0.0},
            {'value': 10.0, 'acceptor_count': 0, 'acceptor_amount': 0.0},
            {'value': 20.0, 'acceptor_count': 1, 'acceptor_amount': 20.0},
            {'value': 50.0, 'acceptor_count': 1, 'acceptor_amount': 50.0},
            {'value': 100.0, 'acceptor_count': 1, 'acceptor_amount': 100.0},
        ])
        self.assertRecordValues(settlement, [{
            'acceptor_count': 3, 'acceptor_amount': 170.0, 'opening_amount': 0.0, 'cash_payment_amount': 170.0,
            'cash_move_amount': 0.0, 'expected_amount': 170.0, 'card_amount': 40.0, 'card_count': 1,
            'sale_count': 3, 'sale_amount': 210.0, 'held_amount': 0.0}])
        self.assertEqual(settlement.expected_amount, session.cash_register_balance_end)
        # one 20 note is missing from the cassette
        self.count_cassette(settlement, {50.0: 1, 100.0: 1})
        self.assertRecordValues(settlement, [{'counted_amount': 150.0, 'difference': -20.0}])
        self.assertEqual(settlement.line_ids.filtered(lambda line: line.value == 20.0).difference, -20.0)

        settlement.with_user(self.operator).action_end()
        self.env.flush_all()
        self.assertRecordValues(settlement, [{'state': 'done', 'difference': -20.0}])
        self.assertTrue(settlement.ended_at)
        self.assertRecordValues(session, [{'state': 'closed', 'cash_register_balance_end_real': 150.0}])
        # Odoo posted the difference against the cash journal's loss account
        loss_account = self.cash_method.journal_id.loss_account_id
        self.assertTrue(loss_account)
        loss = settlement.difference_move_id.line_ids.filtered(lambda line: line.account_id == loss_account)
        self.assertRecordValues(loss, [{'debit': 20.0, 'credit': 0.0, 'parent_state': 'posted'}])
        self.assertEqual(settlement.difference_move_id.statement_line_id.pos_session_id, session)
        self.assertEqual(settlement.difference_move_id.statement_line_id.amount, -20.0)
        # the lines are frozen once the settlement ended
        with self.assertRaisesRegex(UserError, "while the settlement is started"):
            settlement.line_ids[0].with_user(self.operator).cassette_count = 3
        # the settlement slip is queued on the kiosk's printer
        slip = settlement.slip_job_id
        self.assertEqual((slip.operation, slip.bridge_id, slip.state), ('print', self.bridge, 'pending'))
        lines = dict(slip.params['slip']['lines'])
        self.assertEqual(lines['Settlement'], settlement.name)
        self.assertIn('170.00', lines['Expected Cash'])
        self.assertIn('150.00', lines['Counted Cash'])
        self.assertIn('-20.00', lines['Difference'])
        self.assertIn('40.00', lines['Bank Card'])
        self.assertEqual(lines['Sales'], '3')
        self.assertEqual(slip.params['slip']['title'], 'Kiosk Settlement')
        # the next session opens at zero (the cassette is empty) and the kiosk sells again
        new_session = self.kiosk.current_session_id
        self.assertNotEqual(new_session, session)
        self.assertRecordValues(new_session, [{'state': 'opened', 'cash_register_balance_start': 0.0}])
        self.assertEqual(settlement.next_session_id, new_session)
        self.assertEqual(self.kiosk._kiosk_state()['kiosk']['reason'], '')
        transaction = self.cash_purchase('s-5', '50.00', amount=50)
        self.assertEqual(transaction.pos_order_id.session_id, new_session)
        # the PDF holds the figures
        text = self.report_text(settlement)
        for figure in (settlement.name, 'Kiosk 1', '170.00', '150.00', '-20.00', '40.00'):
            self.assertIn(figure, text)

    def test_ending_waits_for_a_running_purchase(self):
        """A purchase still taking cash when the settlement starts finishes (its notes land in
        the settled session); the end is refused until it has."""
        transaction = self.cash_purchase('r-1', '50.00', buy=False)
        settlement = self.start()
        with self.assertRaisesRegex(UserError, transaction.reference):
            settlement.with_user(self.operator).action_end()
        self.assertEqual(settlement.state, 'started')
        self.insert_notes(transaction, '20.00', start_seq=2)
        self.kiosk._kiosk_buy('r-1')
        self.end_cash_job(transaction)
        self.assertEqual(transaction.state, 'vended')
        self.count_cassette(settlement, {50.0: 1, 20.0: 1})
        settlement.with_user(self.operator).action_end()
        self.assertRecordValues(settlement, [{'state': 'done', 'acceptor_amount': 70.0, 'expected_amount': 70.0,
                                              'counted_amount': 70.0, 'difference': 0.0,
                                              'difference_move_id': False}])

    def test_held_cash_is_counted_and_stays_held(self):
        """Cash held with no vend is in the cassette (the session's cash in): expected includes
        it, it is listed, and it stays held for a manager after the settlement."""
        transaction = self.cash_purchase('h-1', '50.00', buy=False)
        self.account.action_deactivate()           # the vend can no longer be made
        self.kiosk._kiosk_buy('h-1')
        self.end_cash_job(transaction)
        self.assertEqual(transaction.state, 'held')
        settlement = self.start()
        self.assertRecordValues(settlement, [{
            'acceptor_amount': 50.0, 'cash_payment_amount': 0.0, 'cash_move_amount': 50.0, 'expected_amount': 50.0,
            'held_amount': 50.0, 'sale_count': 0}])
        self.assertEqual(settlement.held_transaction_ids, transaction)
        self.count_cassette(settlement, {50.0: 1})
        settlement.with_user(self.operator).action_end()
        self.assertRecordValues(settlement, [{'state': 'done', 'difference': 0.0, 'difference_move_id': False}])
        self.assertRecordValues(transaction, [{'state': 'held', 'vend_id': False}])
        # the manager vends it later, from the next session
        self.account.action_reactivate()
        transaction.with_user(self.manager).action_vend_held()
        self.assertEqual(transaction.state, 'vended')
        self.assertEqual(transaction.pos_order_id.session_id, settlement.next_session_id)
        self.assertIn(transaction.reference, self.report_text(settlement))

    def test_held_cash_refunded_after_the_collection(self):
        """Held cash refunded after its cassette was collected is paid at a station, out of the
        kiosk's cash journal: the next collection of the cassette is not touched."""
        transaction = self.cash_purchase('h-2', '20.00', buy=False)
        self.account.action_deactivate()
        self.kiosk._kiosk_buy('h-2')
        self.end_cash_job(transaction)
        settlement = self.start()
        self.count_cassette(settlement, {20.0: 1})
        settlement.with_user(self.operator).action_end()
        transaction.with_user(self.manager).action_refund_held()
        self.assertEqual(transaction.state, 'refunded')
        refund = self.env['account.bank.statement.line'].search(
            [('journal_id', '=', self.cash_method.journal_id.id), ('amount', '=', -20.0)])
        self.assertEqual(len(refund), 1)
        self.assertFalse(refund.pos_session_id)
        self.assertEqual(settlement.next_session_id.cash_register_balance_end, 0.0)

    def test_only_vending_operators_collect(self):
        """A POS user without the vending role cannot start a settlement; a collector sees
        their own settlements, a manager all of them."""
        cashier = new_test_user(self.env, login='pos_cashier', groups='base.group_user,point_of_sale.group_pos_user')
        with self.assertRaises(AccessError):
            self.kiosk.with_user(cashier).action_prepaid_kiosk_start_settlement()
        with self.assertRaises(AccessError):
            self.Settlement.with_user(cashier).create({'config_id': self.kiosk.id})
        settlement = self.start()
        with self.assertRaises(AccessError):
            settlement.with_user(cashier).action_end()
        self.assertEqual(self.Settlement.with_user(self.manager).search([('id', '=', settlement.id)]), settlement)
        other = new_test_user(self.env, login='pe_operator2',
                              groups='base.group_user,prepaid_electricity.prepaid_electricity_group_operator')
        self.assertFalse(self.Settlement.with_user(other).search([('id', '=', settlement.id)]))

    def test_cancel_and_start_from_the_list(self):
        """A collector starts a settlement from the settlements' list (choosing the kiosk) and
        cancels it: nothing is posted and the kiosk sells again."""
        with Form(self.Settlement.with_user(self.operator)) as form:
            form.config_id = self.kiosk
        settlement = form.record
        session = self.kiosk.current_session_id
        self.assertRecordValues(settlement, [{'state': 'started', 'session_id': session.id}])
        self.assertEqual(len(settlement.line_ids), 5)
        self.assertTrue(self.kiosk._kiosk_out_of_service_reason())
        settlement.with_user(self.operator).action_cancel()
        self.assertEqual(settlement.state, 'cancelled')
        self.assertEqual(session.state, 'opened')
        self.assertFalse(self.kiosk._kiosk_out_of_service_reason())
        with self.assertRaisesRegex(UserError, "not started"):
            settlement.with_user(self.operator).action_end()
        self.assertEqual(self.start().session_id, session, "the next settlement settles the same session")

"""When things go wrong at an unattended kiosk, every failure ends in a state an operator can
resolve without losing the customer's money (the seed's rules): a paid vend whose card write
failed is re-vended with the same image, never new credit; cash whose vend never reached the
system is held, then vended or refunded by a manager, never both; a crash at any step is
resolved when the kiosk starts again."""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .kiosk_common import KioskCommon


@tagged('post_install', '-at_install')
class TestKioskFailures(KioskCommon):

    def vends(self):
        return self.account.vend_ids.sorted('id')

    # ------------------------------------------------------------------ 补售电
    def test_card_pulled_mid_write_is_revended_on_reinsertion(self):
        transaction = self.cash_purchase('f-1', '50.00')
        vend = transaction.vend_id
        self.run_jobs(card_present=False)          # the customer pulled the card during the write
        self.assertRecordValues(transaction, [{'state': 'vended', 'slip_state': 'none'}])
        self.assertEqual(vend.state, 'to_write')
        self.pull_card()
        state = self.put_card_in_reader()          # inserted again: the kiosk offers the re-vend
        self.assertEqual(state['customer']['waiting_vend']['name'], vend.name)
        self.assertFalse(state['customer']['can_buy'], "nothing new is sold before the paid vend is written")
        with self.assertRaises(UserError):
            self.kiosk._kiosk_start('f-1b', 'cash', 'money', 50)
        self.kiosk._kiosk_revend()
        self.run_jobs()
        self.assertEqual(vend.state, 'written')
        self.assertEqual(self.vends()[-1], vend, "the same vend, never new credit")
        self.assertEqual(len(self.vends()), 2)
        self.assertEqual(transaction.slip_state, 'queued', "the slip is printed once the card holds the credit")
        self.assertFalse(self.kiosk._kiosk_state()['customer']['waiting_vend'])

    def test_an_operator_writes_a_kiosk_vend_from_a_till(self):
        """The waiting-for-write list: a till with its own bridge writes the kiosk's vend."""
        transaction = self.cash_purchase('f-2', '20.00')
        self.run_jobs(card_present=False)
        till = self.env['prepaid.card.bridge'].create({'name': 'Till'})
        till._pair(till.pairing_code)
        job = transaction.vend_id._queue_card_write(till)
        self.assertEqual(job.vend_id, transaction.vend_id)

    def test_a_write_under_way_is_not_offered_again(self):
        transaction = self.cash_purchase('f-2b', '20.00')
        state = self.kiosk._kiosk_state('f-2b')
        self.assertFalse(state['customer']['waiting_vend'], "its write is queued: not a failure yet")
        self.assertFalse(state['customer']['can_buy'])
        self.run_jobs(card_present=False)
        state = self.kiosk._kiosk_state('f-2b')
        self.assertEqual(state['customer']['waiting_vend']['name'], transaction.vend_id.name)
        self.assertIn('not on your card yet', state['customer']['warnings'][0])

    # ------------------------------------------------------------------ abandoned
    def test_card_taken_out_during_cash_in(self):
        """The customer takes the card out with 20.00 inserted: the acceptor stops and the 20.00
        is vended to the account; the card is written when it comes back."""
        transaction = self.cash_purchase('f-2c', '20.00', buy=False)
        self.pull_card()
        self.assertEqual(transaction._on_cash_event(transaction.job_id, 'idle', {}), {'accept': False})
        self.end_cash_job(transaction)
        self.assertRecordValues(transaction, [{'state': 'vended', 'amount_paid': 20.0}])
        self.assertEqual(transaction.vend_id.state, 'to_write')

    def test_nothing_inserted_for_two_minutes(self):
        transaction = self.cash_purchase('f-2d', buy=False)
        self.assertEqual(transaction._on_cash_event(transaction.job_id, 'idle', {}), {'accept': True})
        self.env.cr.execute("UPDATE prepaid_kiosk_transaction SET create_date = create_date - interval '3 minutes'")
        self.env.invalidate_all()
        self.assertEqual(transaction._on_cash_event(transaction.job_id, 'idle', {}), {'accept': False})
        self.end_cash_job(transaction)
        self.assertEqual(transaction.state, 'cancelled')

    def test_the_page_that_lost_its_purchase_id_finds_it(self):
        transaction = self.cash_purchase('f-2e', '20.00', buy=False)
        self.assertEqual(self.kiosk._kiosk_state()['transaction']['reference'], transaction.reference)
        self.assertEqual(self.kiosk._kiosk_state('another')['transaction']['reference'], transaction.reference)

    # ------------------------------------------------------------------ cash held, no vend
    def test_cash_whose_vend_is_refused_is_held_then_vended_by_a_manager(self):
        transaction = self.cash_purchase('f-3', '50.00', buy=False)
        self.account.action_deactivate()           # the vend can no longer be made
        self.kiosk._kiosk_buy('f-3')
        self.end_cash_job(transaction)
        self.assertRecordValues(transaction, [{'state': 'held', 'vend_id': False, 'amount_inserted': 50.0}])
        session = self.kiosk.current_session_id
        self.assertEqual(session.statement_line_ids.mapped('amount'), [50.0], "the cassette holds it")
        with self.assertRaisesRegex(AccessError, "Only managers"):
            transaction.with_user(self.operator).action_vend_held()
        self.account.action_reactivate()
        transaction.with_user(self.manager).action_vend_held()
        self.assertRecordValues(transaction, [{'state': 'vended', 'settled_by_id': self.manager.id}])
        self.assertEqual(transaction.vend_id.amount_due, 50.0)
        self.assertEqual(sorted(session.statement_line_ids.mapped('amount')), [-50.0, 50.0])
        with self.assertRaisesRegex(UserError, "Only held cash"):
            transaction.with_user(self.manager).action_refund_held()

    def test_held_cash_refunded_once_and_never_vended(self):
        transaction = self.cash_purchase('f-4', '20.00', '10.00', buy=False)
        self.account.action_deactivate()
        self.kiosk._kiosk_buy('f-4')
        self.end_cash_job(transaction)
        self.assertEqual(transaction.state, 'held')
        with self.assertRaisesRegex(AccessError, "Only managers"):
            transaction.with_user(self.operator).action_refund_held()
        transaction.with_user(self.manager).action_refund_held()
        self.assertEqual(transaction.state, 'refunded')
        self.assertEqual(sorted(self.kiosk.current_session_id.statement_line_ids.mapped('amount')), [-30.0, 30.0])
        with self.assertRaisesRegex(UserError, "Only held cash"):
            transaction.with_user(self.manager).action_vend_held()
        with self.assertRaisesRegex(UserError, "Only held cash"):
            transaction.with_user(self.manager).action_refund_held()

    def test_a_vended_purchase_is_never_refunded(self):
        transaction = self.cash_purchase('f-5', '20.00')
        self.assertEqual(transaction.state, 'vended')
        with self.assertRaisesRegex(UserError, "Only held cash"):
            transaction.with_user(self.manager).action_refund_held()

    # ------------------------------------------------------------------ crashes
    def test_crash_during_cash_in_the_money_is_vended_on_restart(self):
        """The kiosk PC or its bridge died with 70.00 inserted: the cash job never ends. When the
        kiosk starts again (or the cron runs) after the idle time, the 70.00 is vended."""
        transaction = self.cash_purchase('f-6', '50.00', '20.00', buy=False)
        self.kiosk._kiosk_state('f-6', resume=True)
        self.assertEqual(transaction.state, 'cash_in', "still taking cash: nothing is stale yet")
        transaction.last_event_at = fields.Datetime.now() - timedelta(minutes=5)
        self.kiosk._kiosk_state('f-6', resume=True)
        self.assertRecordValues(transaction, [{'state': 'vended', 'amount_paid': 70.0}])
        self.assertEqual(transaction.vend_id.amount_due, 70.0)

    def test_crash_before_any_note_cancels(self):
        transaction = self.cash_purchase('f-7', buy=False)
        transaction.last_event_at = fields.Datetime.now() - timedelta(minutes=5)
        self.Transaction._cron_resume()
        self.assertRecordValues(transaction, [{'state': 'cancelled', 'vend_id': False}])

    def test_crash_between_payment_and_vend(self):
        """Paid but the vend not made (the server died in between): the restart vends it, once."""
        transaction = self.cash_purchase('f-8', '50.00', buy=False)
        transaction.write({'state': 'paid', 'amount_paid': 50.0})
        self.kiosk._kiosk_state('f-8', resume=True)
        self.assertEqual(transaction.state, 'vended')
        self.kiosk._kiosk_state('f-8', resume=True)
        self.assertEqual(len(self.vends()), 2)

    def test_crash_after_the_write_before_the_slip(self):
        transaction = self.cash_purchase('f-9', '50.00')
        self.run_jobs()
        self.slip_job(transaction).unlink()        # the print job was lost with the crash
        transaction.slip_state = 'none'
        self.kiosk._kiosk_state('f-9', resume=True)
        self.assertEqual(len(self.slip_job(transaction)), 1)

    def test_a_note_reported_after_its_purchase_closed_is_held(self):
        """The bridge's journal replays a note the server never heard of, after the purchase was
        vended: that money is the customer's too, held for an operator."""
        transaction = self.cash_purchase('f-10', '50.00')
        transaction._on_cash_event(transaction.job_id, 'stacked', {'value': '20.00', 'seq': 2})
        late = self.Transaction.search([('kiosk_tid', '=', 'f-10-late-2')])
        self.assertRecordValues(late, [{'state': 'held', 'amount_inserted': 20.0, 'account_id': self.account.id}])
        self.assertEqual(transaction.amount_inserted, 50.0)

    def test_crash_while_paying_by_bank_card(self):
        """The terminal's answer was lost (job expired): the restart asks again, same reference."""
        self.put_card_in_reader()
        self.kiosk._kiosk_start('f-11', 'card', 'money', 40)
        transaction = self.Transaction.search([('kiosk_tid', '=', 'f-11')])
        pay = self.run_jobs()
        pay.state = 'expired'
        self.kiosk._kiosk_state('f-11', resume=True)
        again = self.run_jobs()
        self.assertEqual((again.operation, again.params['reference']), ('pay', transaction.reference))

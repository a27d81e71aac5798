"""The public top-up an HTTP client calls and retries (the HA failover proof's): vending
operators only, idempotent on the client's request id, paid in the station's cash, the
reconciliation at 0.00."""
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .remote_common import RemoteCommon


@tagged('post_install', '-at_install')
class TestAccountApi(RemoteCommon):

    def test_top_up_request_is_idempotent_and_paid(self):
        account = self.account.with_user(self.operator)
        first = account.action_top_up_request('30.00', 'req-1')
        again = account.action_top_up_request('30.00', 'req-1')    # the answer was lost: retried
        self.assertEqual(first, again)
        self.env.flush_all()
        vend = self.env['prepaid.vend'].browse(first['vend_id'])
        self.assertRecordValues(vend, [{'kind': 'topup', 'amount_due': 30.0, 'client_request_id': 'req-1'}])
        self.assertTrue(vend.payment_id, "paid in the station's cash")
        self.assertEqual(self.account.money_balance, 30.0)
        self.assertEqual(self.reconciliation_differences(), {})

    def test_top_up_request_refusals(self):
        clerk = new_test_user(self.env, login='re_clerk', groups='base.group_user')
        with self.assertRaisesRegex(AccessError, "Only vending operators"):
            self.account.with_user(clerk).action_top_up_request('30.00', 'req-2')
        with self.assertRaisesRegex(UserError, "client request id"):
            self.account.with_user(self.operator).action_top_up_request('30.00', '')
        with self.assertRaisesRegex(UserError, "valid number"):
            self.account.with_user(self.operator).action_top_up_request('thirty', 'req-3')
        self.assertFalse(self.account.vend_ids)

from odoo import models
from odoo.exceptions import AccessError, UserError

from ..tools import OPERATOR_GROUP, default_cash_journal, to_decimal


class PrepaidAccount(models.Model):
    """The public (RPC) top-up of a remote account, for an HTTP client that retries after a lost
    answer: `/web/dataset/call_kw` or `/json/2/prepaid.account/action_top_up_request`. The HA
    failover proof (scripts/ha_test.py) vends through it. Idempotent on `client_request_id`:
    a request retried after a failover gives the same vend, never a second one."""
    _inherit = 'prepaid.account'

    def action_top_up_request(self, amount, client_request_id):
        """Top up this remote account by `amount`, paid in cash at its station (the payment is
        posted, as a backend top-up's), for vending operators only; returns the vend's id,
        sequence and the balance after it. A `client_request_id` already served returns that
        vend."""
        self.ensure_one()
        if not self.env.user.has_group(OPERATOR_GROUP):
            raise AccessError(self.env._("Only vending operators may top up."))
        if not client_request_id:
            raise UserError(self.env._("A top-up request needs its client request id."))
        try:
            amount = to_decimal(amount)
        except ValueError:
            raise UserError(self.env._("Enter a valid number.")) from None
        vend = self._top_up(amount, journal=default_cash_journal(self.env, self.station_id),
                            client_request_id=str(client_request_id))
        return {'vend_id': vend.id, 'sequence': vend.sequence, 'balance_after': vend.balance_after}

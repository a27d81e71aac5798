from odoo import api, fields, models

from ..tools import to_decimal


class PrepaidAccountTopUp(models.TransientModel):
    """Top up (充值) a remote meter's balance from the backend: the amount and the journal it
    is paid into. The operation is prepaid.account._top_up; a second click gives the same
    top-up (client request id of the wizard)."""
    _name = 'prepaid.account.top.up'
    _description = 'Top Up a Remote Account'
    _inherit = ['prepaid.journal.mixin']

    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True,
                                 domain="[('delivery', '=', 'remote'), ('state', '=', 'active')]")
    currency_id = fields.Many2one(related='account_id.currency_id')
    money_balance = fields.Monetary(related='account_id.money_balance', string='Balance Now',
                                    help="The customer's money balance now (a remote meter's balance in the system).")
    amount = fields.Monetary(required=True)
    balance_after = fields.Monetary(compute='_compute_balance_after')
    vend_id = fields.Many2one('prepaid.vend', string='Top-up Record', readonly=True)

    @api.depends('amount', 'money_balance')
    def _compute_balance_after(self):
        for wizard in self:
            wizard.balance_after = wizard.money_balance + wizard.amount

    def action_confirm(self):
        self.ensure_one()
        if not self.vend_id:
            self.vend_id = self.account_id._top_up(to_decimal(self.amount), self.journal_id,
                                                   client_request_id=f'top-up-wizard-{self.id}')
        return {'type': 'ir.actions.act_window_close'}

from odoo import api, fields, models

from ..tools import ENERGY_DIGITS


class PrepaidAccountMoveOut(models.TransientModel):
    """Move-out (单户电费测算 / 电费退补): read the meter now, see the bill up to that reading
    and the balance to settle, then settle it (refund or collect) and bring the account to
    zero for the next tenant. The operation is prepaid.account._move_out."""
    _name = 'prepaid.account.move.out'
    _description = 'Move-out Settlement'
    _inherit = ['prepaid.journal.mixin']

    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True,
                                 domain="[('delivery', '=', 'remote'), ('state', '=', 'active')]")
    meter_id = fields.Many2one(related='account_id.meter_id')
    currency_id = fields.Many2one(related='account_id.currency_id')
    money_balance = fields.Monetary(related='account_id.money_balance', string='Balance Now',
                                    help="The customer's money balance now (a remote meter's balance in the system).")
    billed_at = fields.Datetime(related='meter_id.billed_at', string='Billed Up To')
    current_read_at = fields.Datetime(related='meter_id.current_read_at', string='Meter Read At')
    current_total = fields.Float(related='meter_id.current_total', string='Current Total (kWh)')
    wants_current_read = fields.Boolean(related='meter_id.wants_current_read', string='Reading Requested')
    energy = fields.Float(string='Energy Since the Last Bill (kWh)', digits=ENERGY_DIGITS, compute='_compute_estimate')
    amount = fields.Monetary(string='Amount Since the Last Bill', compute='_compute_estimate')
    balance_after = fields.Monetary(string='Balance to Settle', compute='_compute_estimate',
                                    help="Positive: refunded to the tenant. Negative: collected from them.")
    estimate_error = fields.Char(compute='_compute_estimate')
    journal_id = fields.Many2one(string='Settlement Journal')
    note = fields.Text()
    operation_id = fields.Many2one('prepaid.operation', string='Account Operation', readonly=True)

    @api.depends('account_id', 'current_read_at')
    def _compute_estimate(self):
        for wizard in self:
            wizard.energy = wizard.amount = wizard.balance_after = 0.0
            wizard.estimate_error = False
            if not wizard.account_id or wizard.operation_id:
                continue
            if not wizard.current_read_at:
                wizard.estimate_error = self.env._("Read the meter now: its current registers are not known yet.")
                continue
            estimate = wizard.account_id._move_out_estimate()
            bill = estimate['bill'] or {}
            wizard.energy = bill.get('energy', 0.0)
            wizard.amount = bill.get('amount', 0.0)
            wizard.balance_after = float(estimate['balance_after'])

    def action_read_now(self):
        self.ensure_one()
        self.meter_id.action_read_now()
        return self._reopen()

    def action_refresh(self):
        return self._reopen()

    def action_settle(self):
        self.ensure_one()
        if not self.operation_id:
            self.operation_id = self.account_id._move_out(self.journal_id, self.note)
        return {'type': 'ir.actions.act_window_close'}

    def _reopen(self):
        return {
            'type': 'ir.actions.act_window', 'res_model': self._name, 'res_id': self.id,
            'name': self.env._("Move-out Settlement"), 'view_mode': 'form', 'target': 'new',
        }

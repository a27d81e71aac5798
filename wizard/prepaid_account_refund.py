from odoo import api, fields, models

from ..tools import ENERGY_DIGITS, PRICE_DIGITS, to_decimal


class PrepaidAccountRefund(models.TransientModel):
    """Suspend and refund (报停退费), in two steps: the manager enters the energy left on the
    meter (read from it) and the journal, reviews the computed refund, then confirms. The
    operation itself is prepaid.account._suspend_and_refund."""
    _name = 'prepaid.account.refund'
    _description = 'Suspend and Refund'
    _inherit = ['prepaid.journal.mixin']

    step = fields.Selection([('input', 'Enter'), ('confirm', 'Confirm')], default='input', required=True,
                            readonly=True)
    account_id = fields.Many2one('prepaid.account', required=True, readonly=True)
    station_id = fields.Many2one(related='account_id.station_id')
    currency_id = fields.Many2one(related='account_id.currency_id')
    refund_energy = fields.Float(string='Energy Left on Meter (kWh)', digits=ENERGY_DIGITS)
    refund_price = fields.Float(digits=PRICE_DIGITS, compute='_compute_refund')
    money_balance = fields.Monetary(related='account_id.money_balance')
    refund_amount = fields.Monetary(compute='_compute_refund')
    journal_id = fields.Many2one(string='Refund Journal')
    note = fields.Text()
    # The refund made by this wizard: a second click on Confirm prints its slip, never refunds again.
    operation_id = fields.Many2one('prepaid.operation', string='Account Operation', readonly=True)

    @api.depends('account_id', 'refund_energy')
    def _compute_refund(self):
        for wizard in self:
            if wizard.account_id:
                price, amount = wizard.account_id._refund_quote(to_decimal(wizard.refund_energy))
            else:
                price = amount = 0
            wizard.refund_price = float(price)
            wizard.refund_amount = float(amount)

    def action_review(self):
        """Check the refund can be made, then show its figures for confirmation."""
        self.ensure_one()
        self.account_id._check_manager()
        self.account_id._check_refundable(to_decimal(self.refund_energy), self.journal_id)
        self.step = 'confirm'
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.step = 'input'
        return self._reopen()

    def action_confirm(self):
        self.ensure_one()
        if not self.operation_id:
            self.operation_id = self.account_id._suspend_and_refund(
                to_decimal(self.refund_energy), self.journal_id, self.note)
        action = self.operation_id.action_print_refund_slip()
        action['close_on_report_download'] = True
        return action

    def _reopen(self):
        return {
            'type': 'ir.actions.act_window', 'res_model': self._name, 'res_id': self.id,
            'name': self.env._("Suspend and Refund"), 'view_mode': 'form', 'target': 'new',
        }

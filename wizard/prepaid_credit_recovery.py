from odoo import api, fields, models

from ..tools import ENERGY_DIGITS, to_decimal


class PrepaidCreditRecovery(models.TransientModel):
    """Credit recovery (补电): shows the last vend and the energy sold, collects the meter's
    cumulative purchased energy; the operation itself is prepaid.account._recover_credit."""
    _name = 'prepaid.credit.recovery'
    _description = 'Credit Recovery'

    account_id = fields.Many2one('prepaid.account', required=True, readonly=True)
    vend_id = fields.Many2one('prepaid.vend', compute='_compute_vend_id', store=True)
    meter_cumulative_energy = fields.Float(
        string='Cumulative Purchased on Meter', digits=ENERGY_DIGITS, required=True,
        help="Total energy the meter says it has been credited (from its write-back).")
    sold_cumulative_energy = fields.Float(
        string='Cumulative Sold by the System', digits=ENERGY_DIGITS, compute='_compute_sold')
    note = fields.Text()

    @api.depends('account_id')
    def _compute_vend_id(self):
        for wizard in self:
            wizard.vend_id = wizard.account_id._last_vend() if wizard.account_id else False

    @api.depends('account_id')
    def _compute_sold(self):
        for wizard in self:
            wizard.sold_cumulative_energy = float(wizard.account_id._sold_energy()) if wizard.account_id else 0.0

    def action_confirm(self):
        self.ensure_one()
        self.account_id._recover_credit(to_decimal(self.meter_cumulative_energy), self.note)
        return {'type': 'ir.actions.act_window_close'}

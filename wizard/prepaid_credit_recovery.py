from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, to_decimal


class PrepaidCreditRecovery(models.TransientModel):
    """Credit recovery (补电): the credit of the last vend never reached the meter (bad
    insertion). Checked against the meter's write-back, the same credit is written again,
    without a new payment, once."""
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
        account = self.account_id
        account._check_manager()
        account._lock_for_vend()
        vend = self.vend_id
        if account.state != 'active' or not vend:
            raise UserError(self.env._("There is no vend of an active account to recover."))
        if vend.is_recovered:
            raise UserError(self.env._("The credit of vend %(name)s has already been recovered once.",
                                       name=vend.name))
        sold = account._sold_energy()
        on_meter = to_decimal(self.meter_cumulative_energy)
        if on_meter + to_decimal(vend.energy_net) > sold:
            raise UserError(self.env._(
                "The meter has been credited %(meter)s kWh out of %(sold)s kWh sold: the credit of "
                "vend %(name)s did reach the meter, so there is nothing to recover.",
                meter=on_meter, sold=sold, name=vend.name))
        vend.write({'is_recovered': True, 'state': 'to_write'})
        account.write({'is_credit_valid': True})
        account._record_operation('recovery', vend_id=vend.id, energy_after=vend.energy_net,
                                  meter_cumulative_energy=float(on_meter),
                                  sold_cumulative_energy=float(sold), note=self.note)
        return {'type': 'ir.actions.act_window_close'}

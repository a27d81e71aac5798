from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, to_decimal


class PrepaidMeterReplace(models.TransientModel):
    """Meter replacement (换表补电), same meter type: the new meter takes over the account, the
    old meter's remaining credit (entered by hand as the meter shows it; × multiplier gives the
    billing kWh) is credited again on the new one and the purchase sequence restarts at 1. A different
    type needs suspend and refund, then a new account."""
    _name = 'prepaid.meter.replace'
    _description = 'Replace Meter'

    account_id = fields.Many2one('prepaid.account', required=True, readonly=True)
    old_meter_id = fields.Many2one(related='account_id.meter_id', string='Old Meter')
    new_meter_number = fields.Char(required=True, size=12)
    new_meter_type_id = fields.Many2one('prepaid.meter.type', required=True)
    remaining_energy = fields.Float(
        string='Remaining Credit on Old Meter', digits=ENERGY_DIGITS,
        help="As shown by the old meter; multiplied by its CT/PT multiplier.")
    note = fields.Text()

    def action_confirm(self):
        self.ensure_one()
        account = self.account_id
        account._check_manager()
        account._lock_for_vend()
        old_meter = account.meter_id
        if account.state != 'active':
            raise UserError(self.env._("Only an active account can have its meter replaced."))
        if self.new_meter_type_id != old_meter.meter_type_id:
            raise UserError(self.env._(
                "The new meter is of another type: suspend and refund this account, then open a "
                "new account for the new meter."))
        if self.remaining_energy < 0:
            raise UserError(self.env._("The remaining credit cannot be negative."))
        Meter = self.env['prepaid.meter']
        if Meter.search_count([('number', '=', self.new_meter_number), ('company_id', '=', account.company_id.id)]):
            raise UserError(self.env._("Meter %(meter)s is already registered.", meter=self.new_meter_number))
        new_meter = old_meter.copy({'number': self.new_meter_number, 'account_id': False, 'state': 'available'})
        remaining = to_decimal(self.remaining_energy)          # meter units, as displayed
        transferred = account._meter_rules().to_billing_energy(remaining)
        preset = to_decimal(account.station_id.preset_energy)
        old_meter.write({'account_id': False, 'state': 'replaced'})
        account.write({'meter_id': new_meter.id, 'purchase_sequence': 0, 'is_credit_valid': False,
                       'remaining_energy': 0.0, 'over_zero_energy': 0.0})
        new_meter.write({'account_id': account.id, 'state': 'installed'})
        # The new meter deducts its factory preset from its first card: write it on top so that
        # exactly the transferred credit reaches the customer.
        vend = self.env['prepaid.vend'].create({
            'account_id': account.id, 'meter_id': new_meter.id, 'station_id': account.station_id.id,
            'tariff_id': account.tariff_id.id, 'sequence': 1, 'kind': 'replacement', 'method': 'energy',
            'is_first_vend': True, 'energy_bought': 0.0,
            'energy_written': float(remaining + preset), 'preset_deducted': float(preset),
            'energy_net': float(remaining), 'balance_before': account.money_balance,
            'balance_after': account.money_balance,
        })
        account.write({'purchase_sequence': 1, 'is_credit_valid': True})
        account._record_operation('replace', old_meter_id=old_meter.id, new_meter_id=new_meter.id,
                                  energy_before=self.remaining_energy, energy_after=float(transferred),
                                  vend_id=vend.id, note=self.note)
        return {'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'res_id': account.id,
                'view_mode': 'form'}

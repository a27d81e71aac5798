from odoo import fields, models

from ..tools import ENERGY_DIGITS, to_decimal


class PrepaidMeterReplace(models.TransientModel):
    """Meter replacement (换表补电): collects the new meter and the old meter's remaining
    credit; the operation itself is prepaid.account._replace_meter."""
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
        self.account_id._replace_meter(self.new_meter_number, self.new_meter_type_id,
                                       to_decimal(self.remaining_energy), self.note)
        return {'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'res_id': self.account_id.id,
                'view_mode': 'form'}

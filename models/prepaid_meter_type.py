from odoo import fields, models


class PrepaidMeterType(models.Model):
    """A meter model: how it counts credit (kWh or money), its phases and nameplate."""
    _name = 'prepaid.meter.type'
    _description = 'Meter Type'
    _order = 'name'

    name = fields.Char(required=True)
    credit_unit = fields.Selection(
        [('energy', 'Energy (kWh)'), ('money', 'Money')], default='energy', required=True,
        help="Whether the meter holds its credit in kWh or in money (time-of-use meters).")
    phase = fields.Selection([('single', 'Single phase'), ('three', 'Three phase')],
                             default='single', required=True)
    nameplate = fields.Char(help="e.g. 220V 10(40)A")
    constant = fields.Integer(string='Meter Constant (imp/kWh)', default=1600)
    active = fields.Boolean(default=True)

from odoo import fields, models


class PrepaidMeterType(models.Model):
    """A meter model: how credit reaches it (an IC card, or remotely: the balance is kept in the
    system and the meter is read and switched through a concentrator), how it counts credit
    (kWh or money), its phases and nameplate."""
    _name = 'prepaid.meter.type'
    _description = 'Meter Type'
    _order = 'name'

    name = fields.Char(required=True)
    delivery = fields.Selection(
        [('card', 'IC card'), ('remote', 'Remote (balance in the system)')], string='Credit Delivery',
        default='card', required=True,
        help="IC card: each purchase is written onto the customer's card. Remote: the meter is read "
             "every day through its concentrator, each day is billed against the account's money "
             "balance, and the meter is tripped and closed remotely.")
    close_needs_button = fields.Boolean(
        string='Close Needs the Button',
        help="Remote meters of this model close only when the tenant presses their button: a close "
             "is sent as 'close allowed' (1B) instead of a direct close (1C).")
    credit_unit = fields.Selection(
        [('energy', 'Energy (kWh)'), ('money', 'Money')], default='energy', required=True,
        help="Whether the meter holds its credit in kWh or in money (time-of-use meters).")
    phase = fields.Selection([('single', 'Single phase'), ('three', 'Three phase')],
                             default='single', required=True)
    nameplate = fields.Char(help="e.g. 220V 10(40)A")
    constant = fields.Integer(string='Meter Constant (imp/kWh)', default=1600)
    active = fields.Boolean(default=True)

from odoo import fields, models


class PosConfig(models.Model):
    """A Point of Sale names the card bridge of its workstation."""
    _inherit = 'pos.config'

    prepaid_bridge_id = fields.Many2one(
        'prepaid.card.bridge', string='Card Bridge', domain="[('state', '=', 'paired')]",
        help="The card bridge on this till's workstation: card reads and writes of this POS go to it.")
    prepaid_station_id = fields.Many2one('prepaid.station', string='Vending Station')

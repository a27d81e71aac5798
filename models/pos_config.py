from odoo import api, fields, models

from ..tools import MANAGER_GROUP, OPERATOR_GROUP, electricity_product


class PosConfig(models.Model):
    """A Point of Sale names the card bridge of its workstation."""
    _inherit = 'pos.config'

    prepaid_bridge_id = fields.Many2one(
        'prepaid.card.bridge', string='Card Bridge', domain="[('state', '=', 'paired')]",
        help="The card bridge on this till's workstation: card reads and writes of this POS go to it.")
    prepaid_station_id = fields.Many2one('prepaid.station', string='Vending Station')

    def _get_special_products(self):
        # Electricity is sold only through the vending screen: always loaded, never in the grid.
        return super()._get_special_products() | electricity_product(self.env)

    @api.model
    def _load_pos_data_read(self, records, config):
        read_records = super()._load_pos_data_read(records, config)
        if read_records:
            user = self.env.user
            read_records[0].update({
                '_prepaid_product_id': electricity_product(self.env).id or False,
                '_prepaid_can_vend': user.has_group(OPERATOR_GROUP),
                '_prepaid_is_manager': user.has_group(MANAGER_GROUP),
            })
        return read_records

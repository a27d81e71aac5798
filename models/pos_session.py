from odoo import api, models


class PosSession(models.Model):
    _inherit = 'pos.session'

    @api.model
    def _load_pos_data_models(self, config):
        # Known to the POS so that electricity lines can name their customer, vend and rewrite.
        return super()._load_pos_data_models(config) + ['prepaid.account', 'prepaid.vend', 'prepaid.operation']

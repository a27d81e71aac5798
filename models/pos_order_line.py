from odoo import api, fields, models


class PosOrderLine(models.Model):
    """An "Electricity" line of a POS order: the account, how much and how (energy or
    money) the operator quoted. The vend is created by the server when the order is paid."""
    _inherit = 'pos.order.line'

    prepaid_account_id = fields.Many2one('prepaid.account', string='Electricity Customer', index='btree_not_null')
    prepaid_method = fields.Selection([('energy', 'By Energy'), ('money', 'By Money')], string='Bought')
    prepaid_quantity = fields.Float(string='Energy or Amount', digits=(16, 2))
    prepaid_vend_id = fields.Many2one('prepaid.vend', string='Vend', readonly=True, copy=False)

    @api.model
    def _load_pos_data_fields(self, config):
        return super()._load_pos_data_fields(config) + [
            'prepaid_account_id', 'prepaid_method', 'prepaid_quantity', 'prepaid_vend_id']

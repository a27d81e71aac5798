import uuid

from odoo import fields, models


class PrepaidVendCreate(models.TransientModel):
    """Sell electricity from the backend (stations without a POS)."""
    _name = 'prepaid.vend.create'
    _description = 'Sell Electricity'
    _inherit = ['prepaid.quote.mixin', 'prepaid.journal.mixin']

    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True,
                                 domain="[('state', '=', 'active')]")
    partner_id = fields.Many2one(related='account_id.partner_id')
    meter_id = fields.Many2one(related='account_id.meter_id')
    tariff_id = fields.Many2one(related='account_id.tariff_id')
    money_balance = fields.Monetary(related='account_id.money_balance')
    currency_id = fields.Many2one(related='account_id.currency_id')
    # One id per wizard: a double click on Confirm gives the same vend, never two.
    client_request_id = fields.Char(default=lambda self: str(uuid.uuid4()), readonly=True)

    def _quote_account(self):
        return self.account_id

    def action_confirm(self):
        self.ensure_one()
        vend = self.account_id._vend(*self._request_args(), client_request_id=self.client_request_id,
                                     journal=self.journal_id)
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.vend', 'res_id': vend.id,
            'view_mode': 'form',
        }

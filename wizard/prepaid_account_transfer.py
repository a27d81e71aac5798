from odoo import fields, models


class PrepaidAccountTransfer(models.TransientModel):
    """Ownership transfer (过户): collects the new holder; the operation itself is
    prepaid.account._transfer_ownership."""
    _name = 'prepaid.account.transfer'
    _description = 'Ownership Transfer'

    account_id = fields.Many2one('prepaid.account', required=True, readonly=True)
    partner_id = fields.Many2one(related='account_id.partner_id', string='Current Holder')
    new_partner_id = fields.Many2one('res.partner', string='New Holder', required=True)
    note = fields.Text()

    def action_confirm(self):
        self.ensure_one()
        self.account_id._transfer_ownership(self.new_partner_id, self.note)
        return {'type': 'ir.actions.act_window_close'}

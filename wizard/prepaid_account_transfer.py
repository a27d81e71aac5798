from odoo import fields, models
from odoo.exceptions import UserError


class PrepaidAccountTransfer(models.TransientModel):
    """Ownership transfer (过户): the account, its meter, card and remaining credit pass to a
    new holder; history stays with the account."""
    _name = 'prepaid.account.transfer'
    _description = 'Ownership Transfer'

    account_id = fields.Many2one('prepaid.account', required=True, readonly=True)
    partner_id = fields.Many2one(related='account_id.partner_id', string='Current Holder')
    new_partner_id = fields.Many2one('res.partner', string='New Holder', required=True)
    note = fields.Text()

    def action_confirm(self):
        self.ensure_one()
        account = self.account_id
        if account.state != 'active':
            raise UserError(self.env._("Only an active account can change hands."))
        if self.new_partner_id == account.partner_id:
            raise UserError(self.env._("The new holder is the current holder."))
        account._record_operation('transfer', old_partner_id=account.partner_id.id,
                                  new_partner_id=self.new_partner_id.id, note=self.note)
        account.with_context(prepaid_operation='transfer').partner_id = self.new_partner_id
        return {'type': 'ir.actions.act_window_close'}

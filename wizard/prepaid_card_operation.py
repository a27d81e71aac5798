from odoo import api, fields, models


class PrepaidCardOperation(models.TransientModel):
    """Card operations from the backend, through a card bridge: write a vend waiting for its
    card write (or write it again), issue the account's first card, reissue a card on the
    blank card now in the reader."""
    _name = 'prepaid.card.operation'
    _description = 'Card Operation'

    operation = fields.Selection([('write', 'Write Vend to Card'), ('issue', 'Issue Card'),
                                  ('reissue', 'Reissue Card')], required=True, default='write')
    account_id = fields.Many2one('prepaid.account', required=True)
    vend_id = fields.Many2one('prepaid.vend', compute='_compute_vend_id', store=True, readonly=False)
    bridge_id = fields.Many2one('prepaid.card.bridge', string='Card Bridge', required=True,
                                domain="[('state', '=', 'paired')]",
                                default=lambda self: self.env['prepaid.card.bridge'].search(
                                    [('state', '=', 'paired')], order='last_contact desc', limit=1))
    card_serial = fields.Char(related='bridge_id.card_serial', string='Card in Reader')

    @api.depends('account_id')
    def _compute_vend_id(self):
        for wizard in self:
            wizard.vend_id = wizard.vend_id or wizard.account_id._last_vend()

    def action_confirm(self):
        self.ensure_one()
        if self.operation == 'write':
            job = self.vend_id._queue_card_write(self.bridge_id)
        else:
            job = self.account_id._write_new_card(self.bridge_id, reissue=self.operation == 'reissue')
        return {
            'type': 'ir.actions.client', 'tag': 'display_notification',
            'params': {'type': 'info', 'sticky': False,
                       'message': self.env._("Card job %(job)s sent to %(bridge)s.", job=job.id,
                                             bridge=self.bridge_id.name),
                       'next': {'type': 'ir.actions.act_window_close'}},
        }

import uuid

from odoo import api, fields, models

from ..tools import default_cash_journal


class PrepaidVendRewrite(models.TransientModel):
    """Rewrite credit (改写卡内电量): correct the last vend while its credit is still on the card.
    The vend itself changes (audited by an operation record and its chatter); no new vend. The
    money difference is paid in (or back out of) the chosen journal."""
    _name = 'prepaid.vend.rewrite'
    _description = 'Rewrite Card Credit'
    _inherit = ['prepaid.quote.mixin']

    vend_id = fields.Many2one('prepaid.vend', required=True, readonly=True)
    account_id = fields.Many2one(related='vend_id.account_id')
    currency_id = fields.Many2one(related='vend_id.currency_id')
    method = fields.Selection(compute='_compute_method', store=True, readonly=True)
    amount_before = fields.Monetary(related='vend_id.amount_due', string='Amount Paid Before')
    quote_difference = fields.Monetary(
        string='Difference', compute='_compute_quote_difference',
        help="What the customer pays for the correction; negative: what the customer gets back.")
    journal_id = fields.Many2one(
        'account.journal', string='Payment Journal', required=True, domain="[('type', 'in', ('cash', 'bank'))]",
        compute='_compute_journal_id', store=True, readonly=False, precompute=True)
    # One id per wizard: a double click on Rewrite gives one rewrite, never two.
    client_request_id = fields.Char(default=lambda self: str(uuid.uuid4()), readonly=True)

    @api.depends('vend_id')
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = default_cash_journal(self.env, wizard.vend_id.station_id)

    @api.depends('vend_id')
    def _compute_method(self):
        for wizard in self:
            wizard.method = wizard.vend_id.method or 'energy'

    @api.depends('quote_amount_due', 'quote_error', 'amount_before')
    def _compute_quote_difference(self):
        for wizard in self:
            wizard.quote_difference = 0.0 if wizard.quote_error or not wizard.quantity else \
                wizard.currency_id.round(wizard.quote_amount_due - wizard.amount_before)

    def _quote_account(self):
        return self.vend_id.account_id

    def _quote(self, by, quantity, amount_tendered):
        return self.vend_id._rewrite_quote(by, quantity, amount_tendered)

    def action_confirm(self):
        self.ensure_one()
        operation = self.vend_id._rewrite(*self._request_args(), client_request_id=self.client_request_id,
                                          journal=self.journal_id)
        return {'type': 'ir.actions.act_window', 'res_model': 'prepaid.vend', 'res_id': operation.vend_id.id,
                'view_mode': 'form'}

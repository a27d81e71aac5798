from odoo import api, fields, models

from ..tools import default_cash_journal


class PrepaidJournalMixin(models.AbstractModel):
    """The cash or bank journal a wizard on a customer account (`account_id`) pays into or out
    of: by default the account's station's cash journal."""
    _name = 'prepaid.journal.mixin'
    _description = 'Payment Journal of a Vending Wizard'

    journal_id = fields.Many2one(
        'account.journal', string='Payment Journal', required=True, domain="[('type', 'in', ('cash', 'bank'))]",
        compute='_compute_journal_id', store=True, readonly=False, precompute=True)

    @api.depends('account_id')
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = default_cash_journal(self.env, wizard.account_id.station_id)

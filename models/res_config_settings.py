from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    prepaid_income_mode = fields.Selection(related='company_id.prepaid_income_mode', readonly=False)
    prepaid_liability_account_id = fields.Many2one(related='company_id.prepaid_liability_account_id', readonly=False)
    prepaid_revenue_account_id = fields.Many2one(related='company_id.prepaid_revenue_account_id', readonly=False)

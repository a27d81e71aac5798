from odoo import fields, models

from ..tools import ENERGY_DIGITS


class ResConfigSettings(models.TransientModel):
    """Settings → Electricity Vending: the company's vending settings (stored on res.company)."""
    _inherit = 'res.config.settings'

    prepaid_income_mode = fields.Selection(related='company_id.prepaid_income_mode', readonly=False)
    prepaid_liability_account_id = fields.Many2one(
        related='company_id.prepaid_liability_account_id', readonly=False,
        domain="[('account_type', '=', 'liability_current')]")
    prepaid_revenue_account_id = fields.Many2one(
        related='company_id.prepaid_revenue_account_id', readonly=False,
        domain="[('account_type', 'in', ('income', 'income_other'))]")
    prepaid_suspicious_days = fields.Integer(related='company_id.prepaid_suspicious_days', readonly=False)
    prepaid_suspicious_min_consumption = fields.Float(
        related='company_id.prepaid_suspicious_min_consumption', readonly=False, digits=ENERGY_DIGITS)
    prepaid_suspicious_max_vends = fields.Integer(related='company_id.prepaid_suspicious_max_vends', readonly=False)
    prepaid_suspicious_min_coverage = fields.Integer(
        related='company_id.prepaid_suspicious_min_coverage', readonly=False)

from odoo import api, fields, models

from ..tools import ENERGY_DIGITS


class PrepaidSuspiciousCustomer(models.TransientModel):
    """One customer flagged by a suspicious-customers query, with the figures and the reason:
    a snapshot of the query's range, kept as long as the query."""
    _name = 'prepaid.suspicious.customer'
    _description = 'Suspicious Customer'
    _order = 'energy_gap desc, id'

    query_id = fields.Many2one('prepaid.suspicious.query', required=True, ondelete='cascade', index=True)
    date_from = fields.Date(related='query_id.date_from')
    date_to = fields.Date(related='query_id.date_to')
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True, readonly=True)
    partner_id = fields.Many2one(related='account_id.partner_id')
    meter_id = fields.Many2one(related='account_id.meter_id')
    area_id = fields.Many2one(related='account_id.area_id')
    phone = fields.Char(related='account_id.phone')
    currency_id = fields.Many2one(related='query_id.company_id.currency_id')
    energy_consumed = fields.Float(string='Consumed (kWh)', digits=ENERGY_DIGITS, readonly=True,
                                   help="From the meters' write-backs over the range.")
    energy_bought = fields.Float(string='Bought (kWh)', digits=ENERGY_DIGITS, readonly=True)
    energy_gap = fields.Float(string='Not Covered (kWh)', digits=ENERGY_DIGITS, compute='_compute_energy_gap',
                              store=True, help="Consumed minus bought.")
    amount_paid = fields.Monetary(string='Paid', readonly=True)
    vend_count = fields.Integer(string='Purchases', readonly=True)
    coverage_percent = fields.Float(string='Coverage (%)', digits=(16, 1), readonly=True,
                                    help="Energy bought as a percentage of the energy consumed.")
    is_few_purchases = fields.Boolean(string='Few Purchases', readonly=True)
    is_small_purchases = fields.Boolean(string='Small Purchases', readonly=True)
    reason = fields.Char(compute='_compute_reason')

    @api.depends('energy_consumed', 'energy_bought')
    def _compute_energy_gap(self):
        for line in self:
            line.energy_gap = line.energy_consumed - line.energy_bought

    @api.depends('is_few_purchases', 'is_small_purchases', 'vend_count', 'coverage_percent')
    def _compute_reason(self):
        for line in self:
            reasons = []
            if line.is_few_purchases:
                reasons.append(self.env._("few purchases (%(count)s)", count=line.vend_count))
            if line.is_small_purchases:
                reasons.append(self.env._("small purchases (%(coverage)s%% of consumption)",
                                          coverage=line.coverage_percent))
            line.reason = ', '.join(reasons)

    def action_open_account(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'res_id': self.account_id.id,
                'view_mode': 'form', 'views': [(False, 'form')]}

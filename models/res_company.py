from odoo import fields, models

from ..tools import ENERGY_DIGITS, electricity_product


class ResCompany(models.Model):
    """Where the money of electricity sales goes: by default a prepaid electricity liability
    (deferred revenue: the energy is delivered later, by the meter), or revenue directly."""
    _inherit = 'res.company'

    prepaid_income_mode = fields.Selection(
        [('liability', 'Prepaid electricity liability (deferred revenue)'), ('revenue', 'Revenue')],
        string='Electricity Sales Posted To', default='liability', required=True)
    prepaid_liability_account_id = fields.Many2one(
        'account.account', string='Prepaid Electricity Liability', check_company=True,
        domain="[('account_type', '=', 'liability_current')]")
    prepaid_revenue_account_id = fields.Many2one(
        'account.account', string='Electricity Revenue', check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]")
    # Suspicious customers (Queries): the manager's last thresholds, remembered per company.
    prepaid_suspicious_days = fields.Integer(
        string='Suspicious Customers: Days', default=90,
        help="Length of the date range looked at by default (the dashboard's count too).")
    prepaid_suspicious_min_consumption = fields.Float(
        string='Suspicious Customers: Minimum Consumption (kWh)', digits=ENERGY_DIGITS, default=100.0,
        help="A customer who consumed less than this in the range is never suspicious.")
    prepaid_suspicious_max_vends = fields.Integer(
        string='Suspicious Customers: Few Purchases', default=0,
        help="This many purchases in the range or fewer count as few.")
    prepaid_suspicious_min_coverage = fields.Integer(
        string='Suspicious Customers: Minimum Coverage (%)', default=50,
        help="Energy bought below this percentage of the energy consumed counts as small purchases.")

    def _prepaid_income_account(self):
        """The account electricity sales and refunds are posted to, created when missing."""
        self.ensure_one()
        if self.prepaid_income_mode == 'revenue':
            return self._prepaid_revenue_account()
        if not self.prepaid_liability_account_id:
            self.prepaid_liability_account_id = self.env['account.account'].create({
                'name': self.env._("Prepaid electricity received"), 'code': self._prepaid_free_code('2241'),
                'account_type': 'liability_current', 'company_ids': [self.id]})
        return self.prepaid_liability_account_id

    def _prepaid_revenue_account(self):
        """The account earned electricity goes to (remote meters' consumption), found when missing."""
        self.ensure_one()
        if not self.prepaid_revenue_account_id:
            self.prepaid_revenue_account_id = self.env['account.account'].search(
                [*self.env['account.account']._check_company_domain(self), ('account_type', '=', 'income')], limit=1)
        return self.prepaid_revenue_account_id

    def _prepaid_consumption_journal(self):
        """The miscellaneous journal that carries the consumption entries of remote meters."""
        self.ensure_one()
        return self.env['account.journal'].search(
            [*self.env['account.journal']._check_company_domain(self), ('type', '=', 'general')], limit=1)

    def _post_prepaid_payment(self, partner, amount, journal, memo):
        """Post `amount` received from `partner` (paid back to them when negative) in
        `journal`, against the electricity liability or revenue. Nothing for a zero amount."""
        self.ensure_one()
        # sudo: operators and managers take money without being accountants; the vend or the
        # operation record audits it
        Payment = self.env['account.payment'].sudo()
        if not amount:
            return Payment
        payment = Payment.create({
            'payment_type': 'inbound' if amount > 0 else 'outbound', 'partner_type': 'customer',
            'partner_id': partner.id, 'amount': abs(float(amount)), 'currency_id': self.currency_id.id,
            'journal_id': journal.id, 'company_id': self.id, 'memo': memo,
            # sudo: the liability account may have to be created, which only accountants may do
            'destination_account_id': self.sudo()._prepaid_income_account().id,
        })
        payment.action_post()
        return payment

    def write(self, vals):
        result = super().write(vals)
        if {'prepaid_income_mode', 'prepaid_liability_account_id', 'prepaid_revenue_account_id'} & set(vals):
            self._prepaid_sync_product_account()
        return result

    def _prepaid_sync_product_account(self):
        """The Electricity product's income account follows the company's choice, so POS
        session closing posts electricity sales where the accountant wants them."""
        product = electricity_product(self.env)
        for company in self.filtered('chart_template'):
            if product:
                product.with_company(company).property_account_income_id = company._prepaid_income_account()

    def _prepaid_free_code(self, prefix):
        Account = self.env['account.account']
        for suffix in range(1, 100):
            code = f'{prefix}{suffix:02d}'
            if not Account.search_count([*Account._check_company_domain(self), ('code', '=', code)], limit=1):
                return code
        return f'{prefix}99'

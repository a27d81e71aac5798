import datetime
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import suspicion
from ..tools import ENERGY_DIGITS, to_decimal, utc_bounds


class PrepaidSuspiciousQuery(models.TransientModel):
    """Suspicious customers (可疑用户): few or small purchases against a high consumption
    read from the meters' write-backs, over a date range, with the manager's thresholds.

    The figures per account come from one SQL aggregation; the rule itself is the plain
    function `engine.suspicion.suspicion_reasons`. The thresholds used are remembered on the
    company, so that the next query (and the dashboard's count) starts from them."""
    _name = 'prepaid.suspicious.query'
    _description = 'Suspicious Customers Query'

    def _default_date_from(self):
        days = max(self.env.company.prepaid_suspicious_days, 1)
        return fields.Date.context_today(self) - datetime.timedelta(days=days - 1)

    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    date_from = fields.Date(string='From', required=True, default=_default_date_from)
    date_to = fields.Date(string='To', required=True, default=fields.Date.context_today)
    min_consumption = fields.Float(
        string='Minimum Consumption (kWh)', digits=ENERGY_DIGITS, required=True,
        default=lambda self: self.env.company.prepaid_suspicious_min_consumption,
        help="Customers who consumed less than this in the range are never suspicious.")
    max_vend_count = fields.Integer(
        string='Few Purchases: at Most', required=True,
        default=lambda self: self.env.company.prepaid_suspicious_max_vends,
        help="This many purchases in the range or fewer count as few (0: no purchase at all).")
    min_coverage_percent = fields.Integer(
        string='Small Purchases: Coverage Below (%)', required=True,
        default=lambda self: self.env.company.prepaid_suspicious_min_coverage,
        help="Energy bought below this percentage of the energy consumed counts as small purchases.")
    result_ids = fields.One2many('prepaid.suspicious.customer', 'query_id', string='Suspicious Customers')

    @api.constrains('date_from', 'date_to', 'min_consumption', 'max_vend_count', 'min_coverage_percent')
    def _check_thresholds(self):
        for query in self:
            if query.date_from > query.date_to:
                raise ValidationError(self.env._("The start date must not be after the end date."))
            if query.min_consumption <= 0 or query.max_vend_count < 0 or query.min_coverage_percent < 0:
                raise ValidationError(self.env._(
                    "The minimum consumption must be above zero; the other thresholds must not be negative."))

    def _thresholds(self):
        self.ensure_one()
        return suspicion.Thresholds(min_consumption=to_decimal(self.min_consumption),
                                    max_vend_count=self.max_vend_count,
                                    min_coverage_percent=Decimal(self.min_coverage_percent))

    def action_search(self):
        """Find the suspicious customers of the range and open them as a list."""
        self.ensure_one()
        days = (self.date_to - self.date_from).days + 1
        # sudo: a manager may not write the company, but these four remembered thresholds are theirs.
        self.company_id.sudo().write({
            'prepaid_suspicious_days': days, 'prepaid_suspicious_min_consumption': self.min_consumption,
            'prepaid_suspicious_max_vends': self.max_vend_count,
            'prepaid_suspicious_min_coverage': self.min_coverage_percent})
        self._compute_results()
        return self._action_view_results()

    def _compute_results(self):
        self.ensure_one()
        self.result_ids.unlink()
        thresholds = self._thresholds()
        vals_list = []
        for row in self._aggregate(self.company_id, self.date_from, self.date_to, thresholds.min_consumption):
            reasons = suspicion.suspicion_reasons(row['consumed'], row['bought'], row['vend_count'], thresholds)
            if reasons:
                vals_list.append({
                    'query_id': self.id, 'account_id': row['account_id'],
                    'energy_consumed': float(row['consumed']), 'energy_bought': float(row['bought']),
                    'amount_paid': float(row['amount']), 'vend_count': row['vend_count'],
                    'coverage_percent': float((row['bought'] * 100 / row['consumed']).quantize(Decimal('0.1'))),
                    'is_few_purchases': suspicion.FEW_PURCHASES in reasons,
                    'is_small_purchases': suspicion.SMALL_PURCHASES in reasons,
                })
        return self.env['prepaid.suspicious.customer'].create(vals_list)

    def _action_view_results(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.suspicious.customer',
            'name': self.env._("Suspicious Customers %(start)s – %(end)s",
                               start=fields.Date.to_string(self.date_from), end=fields.Date.to_string(self.date_to)),
            'view_mode': 'list', 'domain': [('query_id', '=', self.id)],
            'context': {'create': False},
        }

    @api.model
    def _aggregate(self, companies, date_from, date_to, min_consumption):
        """Per account of `companies` that consumed at least `min_consumption` kWh from
        date_from to date_to (local days): consumed, bought (kWh), amount paid, vend count.

        Consumed = the last write-back's total consumption in the range minus the last one
        before it (or the first in the range when the meter has none before), per meter,
        in billing kWh (× multiplier on the secondary side). Bought = the sales of the range
        (energy bought, amount due; meter-replacement credits are not purchases)."""
        start, end = utc_bounds(self.env, date_from, date_to)
        for model in ('prepaid.vend', 'prepaid.card.writeback', 'prepaid.meter'):
            self.env[model].flush_model()
        company_ids = tuple(companies.ids)
        rows = self.env.execute_query_dict(SQL("""
            WITH touched AS (
                SELECT DISTINCT meter_id FROM prepaid_card_writeback
                 WHERE date >= %(start)s AND date < %(end)s AND company_id IN %(companies)s
            ), readings AS (
                SELECT w.account_id, w.meter_id,
                       MAX(w.total_consumption) FILTER (WHERE w.date >= %(start)s) AS last_reading,
                       MIN(w.total_consumption) FILTER (WHERE w.date >= %(start)s) AS first_reading,
                       MAX(w.total_consumption) FILTER (WHERE w.date < %(start)s) AS reading_before
                  FROM prepaid_card_writeback w
                  JOIN touched t ON t.meter_id = w.meter_id
                 WHERE w.date < %(end)s AND w.company_id IN %(companies)s
                 GROUP BY w.account_id, w.meter_id
            ), consumed AS (
                SELECT r.account_id,
                       SUM((r.last_reading - COALESCE(r.reading_before, r.first_reading))
                           * CASE m.side WHEN 'secondary' THEN m.multiplier ELSE 1 END) AS energy
                  FROM readings r
                  JOIN prepaid_meter m ON m.id = r.meter_id
                 WHERE r.last_reading IS NOT NULL
                 GROUP BY r.account_id
                HAVING SUM((r.last_reading - COALESCE(r.reading_before, r.first_reading))
                           * CASE m.side WHEN 'secondary' THEN m.multiplier ELSE 1 END) >= %(min)s
            ), bought AS (
                SELECT v.account_id, SUM(v.energy_bought) AS energy, SUM(v.amount_due) AS amount,
                       COUNT(*) AS vend_count
                  FROM prepaid_vend v
                  JOIN consumed c ON c.account_id = v.account_id
                 WHERE v.kind = 'sale' AND v.state != 'cancelled'
                   AND v.date >= %(start)s AND v.date < %(end)s
                 GROUP BY v.account_id
            )
            SELECT c.account_id, c.energy AS consumed, COALESCE(b.energy, 0) AS bought,
                   COALESCE(b.amount, 0) AS amount, COALESCE(b.vend_count, 0) AS vend_count
              FROM consumed c
              LEFT JOIN bought b ON b.account_id = c.account_id
             ORDER BY c.energy - COALESCE(b.energy, 0) DESC, c.account_id
        """, start=start, end=end, companies=company_ids, min=min_consumption))
        return [{**row, 'consumed': Decimal(row['consumed']), 'bought': Decimal(row['bought']),
                 'amount': Decimal(row['amount'])} for row in rows]

    @api.model
    def _count_for_company(self, company):
        """How many customers are suspicious with the company's remembered thresholds over its
        default range ending today (the dashboard's figure)."""
        date_to = fields.Date.context_today(self)
        date_from = date_to - datetime.timedelta(days=max(company.prepaid_suspicious_days, 1) - 1)
        thresholds = suspicion.Thresholds(
            min_consumption=max(to_decimal(company.prepaid_suspicious_min_consumption), Decimal('0.01')),
            max_vend_count=max(company.prepaid_suspicious_max_vends, 0),
            min_coverage_percent=Decimal(max(company.prepaid_suspicious_min_coverage, 0)))
        return sum(1 for row in self._aggregate(company, date_from, date_to, thresholds.min_consumption)
                   if suspicion.suspicion_reasons(row['consumed'], row['bought'], row['vend_count'], thresholds))

from odoo import api, fields, models
from odoo.tools import SQL

# The figures every sales report sums (one place: PDF, XLSX and tests use the same ones).
MEASURES = ('sale_count', 'refund_count', 'energy', 'sale_amount', 'refund_amount', 'amount')


class PrepaidSalesReport(models.Model):
    """The money movements of electricity vending, one row each: a sale (vend) or a refund
    (suspend-and-refund operation). Every sales report (daily, monthly, yearly, per operator)
    is an SQL aggregation of this view, so that they all count the same things:

    - sales: vends of kind 'sale' that are not cancelled, with their amount as it stands (a
      rewrite changes the vend itself, so it is never counted twice);
    - refunds: negative money (`refund_amount` < 0), no energy: energy is energy sold;
    - meter replacement credits move credit already paid for: not money, not shown;
    - the payment method is the journal of the backend payment, or the POS payment method of
      the order (an order paid with several methods is reported as such)."""
    _name = 'prepaid.sales.report'
    _description = 'Electricity Sales and Refunds'
    _auto = False
    _order = 'date, id'
    _rec_name = 'name'

    name = fields.Char(string='Reference', readonly=True)
    date = fields.Datetime(readonly=True)
    kind = fields.Selection([('sale', 'Sale'), ('refund', 'Refund')], readonly=True)
    vend_id = fields.Many2one('prepaid.vend', readonly=True)
    operation_id = fields.Many2one('prepaid.operation', readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    station_id = fields.Many2one('prepaid.station', readonly=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    area_id = fields.Many2one('prepaid.area', readonly=True)
    user_id = fields.Many2one('res.users', string='Operator', readonly=True)
    channel = fields.Selection(
        [('backend', 'Backend'), ('pos', 'Point of Sale'), ('kiosk', 'Kiosk')], readonly=True)
    journal_id = fields.Many2one('account.journal', string='Payment Journal', readonly=True)
    pos_payment_method_id = fields.Many2one('pos.payment.method', string='POS Payment Method', readonly=True)
    sale_count = fields.Integer(string='Sales', readonly=True, aggregator='sum')
    refund_count = fields.Integer(string='Refunds', readonly=True, aggregator='sum')
    energy = fields.Float(string='Energy Sold (kWh)', digits=(16, 2), readonly=True, aggregator='sum')
    sale_amount = fields.Monetary(string='Sales Amount', readonly=True, aggregator='sum')
    refund_amount = fields.Monetary(readonly=True, aggregator='sum', help="Refunds paid back, negative.")
    amount = fields.Monetary(string='Net Amount', readonly=True, aggregator='sum',
                             help="Sales less refunds.")

    @property
    def _table_query(self):
        # Ids: 2n for vend n, 2n + 1 for operation n. No window function, so that the
        # planner pushes the report's date and company filters into both branches. The
        # payment method is looked up outside the UNION: PostgreSQL computes it only for the
        # reports that use it, by index lookups on the rows of the period.
        return SQL("""
            SELECT u.id, u.name, u.date, u.kind, u.vend_id, u.operation_id, u.company_id, u.station_id,
                   u.account_id, u.partner_id, u.area_id, u.user_id, u.channel,
                   (SELECT p.journal_id FROM account_payment p WHERE p.id = u.payment_id) AS journal_id,
                   CASE WHEN u.pos_order_line_id IS NOT NULL THEN (
                       -- one method, or NULL when the order was paid with several
                       SELECT CASE WHEN COUNT(DISTINCT pp.payment_method_id) = 1
                                   THEN MIN(pp.payment_method_id) END
                         FROM pos_order_line ol
                         JOIN pos_payment pp ON pp.pos_order_id = ol.order_id AND pp.is_change IS NOT TRUE
                        WHERE ol.id = u.pos_order_line_id
                   ) END AS pos_payment_method_id,
                   u.sale_count, u.refund_count, u.energy, u.sale_amount, u.refund_amount, u.amount
              FROM (
                SELECT v.id * 2 AS id, v.name, v.date, 'sale' AS kind, v.id AS vend_id,
                       NULL::integer AS operation_id, v.company_id, v.station_id, v.account_id,
                       v.partner_id, v.area_id, v.user_id, v.channel, v.payment_id, v.pos_order_line_id,
                       1 AS sale_count, 0 AS refund_count, v.energy_bought AS energy,
                       v.amount_due AS sale_amount, 0::numeric AS refund_amount, v.amount_due AS amount
                  FROM prepaid_vend v
                 WHERE v.kind = 'sale' AND v.state != 'cancelled'
                 UNION ALL
                SELECT o.id * 2 + 1, o.name, o.date, 'refund', NULL, o.id, o.company_id, a.station_id,
                       o.account_id, a.partner_id, a.area_id, o.user_id, 'backend', o.payment_id, NULL,
                       0, 1, 0, 0, -o.refund_amount, -o.refund_amount
                  FROM prepaid_operation o
                  JOIN prepaid_account a ON a.id = o.account_id
                 WHERE o.kind = 'refund'
              ) u
        """)

    # ------------------------------------------------------------------ aggregation
    @api.model
    def _get_totals(self, domain):
        """{measure: total} over `domain`."""
        return self._get_figure_sets(domain, [()])[0][()]

    @api.model
    def _get_figure_sets(self, domain, grouping_sets):
        """The measures of `domain` for several groupings at once, in one scan (SQL GROUPING
        SETS): ``[{keys tuple: {measure: value}} for each grouping]``. A grouping is a tuple
        of field names (many2one keys come back as ids) or of 'day' (local date); () gives
        the totals. This is where every report figure is computed."""
        query = self._search(domain)
        query.order = None
        alias = query.table
        tz = self.env.context.get('tz') or 'UTC'
        names = list(dict.fromkeys(name for grouping in grouping_sets for name in grouping))
        exprs = {name: SQL("((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", SQL.identifier(alias, 'date'), tz)
                 if name == 'day' else SQL.identifier(alias, name) for name in names}
        sets = [SQL("(%s)", SQL(", ").join(exprs[name] for name in grouping)) for grouping in grouping_sets]
        query.groupby = SQL("GROUPING SETS (%s)", SQL(", ").join(sets))
        grouping_id = SQL("GROUPING(%s)", SQL(", ").join(exprs.values())) if names else SQL("0")
        sums = [SQL("COALESCE(SUM(%s), 0)", SQL.identifier(alias, measure)) for measure in MEASURES]
        rows = self.env.execute_query(query.select(grouping_id, *exprs.values(), *sums))
        # GROUPING() sets a bit, first name highest, for each name *not* grouped by
        bits = {sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in grouping): index
                for index, grouping in enumerate(grouping_sets)}
        result = [{} for _grouping in grouping_sets]
        for grouping_bits, *values in rows:
            index = bits[grouping_bits]
            key_values = dict(zip(names, values[:len(names)]))
            figures = dict(zip(MEASURES, values[len(names):]))
            figures = {m: int(v) if m.endswith('_count') else float(v) for m, v in figures.items()}
            result[index][tuple(key_values[name] for name in grouping_sets[index])] = figures
        if () in grouping_sets and not result[grouping_sets.index(())]:
            result[grouping_sets.index(())][()] = dict.fromkeys(MEASURES, 0)
        return result

    @api.model
    def _get_months(self, domain, row_field, measure, bounds):
        """`measure` per period of `domain` (`bounds`: the 13 UTC datetimes that start and end
        the twelve months), in one row per `row_field` value (one row for all when
        `row_field` is None): ``{row id or None: [month 1..12, total]}``; rows of customers
        start with the customer number and name. One SQL query (a pivot of the month sums),
        access rules applied."""
        query = self._search(domain)
        alias = query.table
        labels = []
        if row_field == 'account_id':
            account = query.left_join(alias, 'account_id', 'prepaid_account', 'id', 'account_id')
            partner = query.left_join(account, 'partner_id', 'res_partner', 'id', 'partner_id')
            labels = [SQL.identifier(account, 'number'), SQL.identifier(partner, 'name')]
        when = SQL.identifier(alias, 'date')
        value = SQL.identifier(alias, measure)
        row = SQL.identifier(alias, row_field) if row_field else SQL('NULL')
        # plain comparisons with the month boundaries: no time zone arithmetic per row
        columns = [SQL("COALESCE(SUM(%s) FILTER (WHERE %s >= %s AND %s < %s), 0)", value, when, start, when, end)
                   for start, end in zip(bounds, bounds[1:])]
        query.order = None
        if row_field:
            query.groupby = SQL(", ").join([row, *labels])
        rows = self.env.execute_query(query.select(row, *labels, *columns, SQL("COALESCE(SUM(%s), 0)", value)))
        cast = int if measure.endswith('_count') else float
        return {row_id: [*(label or '' for label in values[:len(labels)]),
                         *(cast(value) for value in values[len(labels):])]
                for row_id, *values in rows}

    @api.model
    def _get_lines(self, domain):
        """The movements of `domain` in date order as plain tuples, for the detailed reports:
        (date, reference, kind, customer number, customer name, operator id, journal id,
        POS payment method id, channel, energy, amount). One SQL query, access rules applied."""
        query = self._search(domain, order='date, id')
        alias = query.table
        account = query.left_join(alias, 'account_id', 'prepaid_account', 'id', 'account_id')
        partner = query.left_join(alias, 'partner_id', 'res_partner', 'id', 'partner_id')
        return self.env.execute_query(query.select(*(
            SQL.identifier(alias, 'date'), SQL.identifier(alias, 'name'), SQL.identifier(alias, 'kind'),
            SQL.identifier(account, 'number'), SQL.identifier(partner, 'name'),
            SQL.identifier(alias, 'user_id'), SQL.identifier(alias, 'journal_id'),
            SQL.identifier(alias, 'pos_payment_method_id'), SQL.identifier(alias, 'channel'),
            SQL.identifier(alias, 'energy'), SQL.identifier(alias, 'amount'),
        )))

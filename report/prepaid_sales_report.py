from odoo import api, fields, models
from odoo.tools import SQL

# The figures every sales report sums (one place: PDF, XLSX and tests use the same ones).
MEASURES = ('sale_count', 'refund_count', 'energy', 'sale_amount', 'refund_amount', 'amount')


class PrepaidSalesReport(models.Model):
    """The money movements of electricity vending, one row each: a sale (vend), a rewrite's
    difference or a refund (suspend-and-refund operation). Every sales report (daily, monthly,
    yearly, per operator) is an SQL aggregation of this view, so that they all count the same
    things, each where the money was taken, by whom, when and how:

    - sales: vends of kind 'sale' that are not cancelled, at what they were sold for, under
      the operator who sold them;
    - rewrites (改写卡内电量) of those sales: the difference in energy and money (negative:
      paid back), on the day, under the user and with the payment of the rewrite (the POS
      order that settled it or the backend journal), whoever sold the vend;
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
    kind = fields.Selection([('sale', 'Sale'), ('rewrite', 'Rewrite'), ('refund', 'Refund')], readonly=True)
    vend_id = fields.Many2one('prepaid.vend', readonly=True)
    operation_id = fields.Many2one('prepaid.operation', string='Account Operation', readonly=True)
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
    sale_count = fields.Integer(string='Number of Sales', readonly=True, aggregator='sum')
    refund_count = fields.Integer(string='Number of Refunds', readonly=True, aggregator='sum')
    energy = fields.Float(string='Energy Sold (kWh)', digits=(16, 2), readonly=True, aggregator='sum')
    sale_amount = fields.Monetary(string='Sales Amount', readonly=True, aggregator='sum')
    refund_amount = fields.Monetary(readonly=True, aggregator='sum', help="Refunds paid back, negative.")
    amount = fields.Monetary(string='Net Amount', readonly=True, aggregator='sum',
                             help="Sales less refunds.")

    @property
    def _table_query(self):
        # Ids: 2n for vend n, 2n + 1 for operation n. No window function, and the branches
        # of the UNION with exactly the same column types (0::numeric, not 0): PostgreSQL then
        # flattens it, pushes the report's filters into each branch and reads only the
        # columns a report uses (an index-only scan of the vends for the yearly summary). The
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
                       1 AS sale_count, 0 AS refund_count, v.sold_energy AS energy,
                       v.sold_amount AS sale_amount, 0::numeric AS refund_amount, v.sold_amount AS amount
                  FROM prepaid_vend v
                 WHERE v.kind = 'sale' AND v.state != 'cancelled'
                 UNION ALL
                SELECT o.id * 2 + 1, v.name, o.date, 'rewrite', v.id, o.id, o.company_id, v.station_id,
                       o.account_id, v.partner_id, v.area_id, o.user_id,
                       (CASE WHEN o.pos_order_line_id IS NOT NULL THEN 'pos' ELSE 'backend' END)::varchar,
                       o.payment_id, o.pos_order_line_id, 0, 0, o.energy_after - o.energy_before,
                       o.amount_after - o.amount_before, 0::numeric, o.amount_after - o.amount_before
                  FROM prepaid_operation o
                  JOIN prepaid_vend v ON v.id = o.vend_id
                 WHERE o.kind = 'rewrite' AND v.state != 'cancelled'
                 UNION ALL
                SELECT o.id * 2 + 1, o.name, o.date, 'refund', NULL, o.id, o.company_id, a.station_id,
                       o.account_id, a.partner_id, a.area_id, o.user_id, 'backend', o.payment_id, NULL,
                       0, 1, 0::numeric, 0::numeric, -o.refund_amount, -o.refund_amount
                  FROM prepaid_operation o
                  JOIN prepaid_account a ON a.id = o.account_id
                 WHERE o.kind = 'refund'
              ) u
        """)

    # ------------------------------------------------------------------ aggregation
    @api.model
    def _execute(self, query):
        """Run a report query without JIT compilation: the payment lookups of the view weigh
        so much in the estimated cost that PostgreSQL compiles and optimizes the reports'
        queries, which took longer than running them (0.7 s more for a 0.5 s query), for no
        gain on rows that need little work each. SET LOCAL would last to the end of the
        transaction, so the transaction's setting is put back after this query (a failed
        query aborts the transaction, and its setting with it)."""
        [(jit,)] = self.env.execute_query(SQL("SELECT current_setting('jit')"))
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        rows = self.env.execute_query(query)
        self.env.cr.execute(SQL("SELECT set_config('jit', %s, true)", jit))
        return rows

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
        rows = self._execute(query.select(grouping_id, *exprs.values(), *sums))
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
        """`measure` per month of `domain` (`bounds`: the 13 UTC datetimes that start and end
        the twelve months): ``(rows, totals)``, the rows as tuples ``(row id, month 1..12,
        total)``, one per `row_field` value (one row, id None, when `row_field` is None;
        customers are ``(customer number, customer name, month 1..12, total)``), in no
        particular order, and the totals ``[month 1..12, total]``. One SQL query (a pivot of
        the month sums), access rules applied."""
        query = self._search(domain)
        alias = query.table
        row = SQL.identifier(alias, row_field) if row_field else SQL("NULL::integer")
        # Per customer, tens of thousands of groups: their numeric sums overflow a hash table,
        # which the planner picks anyway (it cannot count the groups through the UNION and
        # guesses 200). Sorted by customer, they are summed one customer at a time instead.
        query.order = row if row_field == 'account_id' else None
        movements = query.select(SQL("%s AS row_id", row), SQL("%s AS date", SQL.identifier(alias, 'date')),
                                 SQL("%s AS value", SQL.identifier(alias, measure)))
        # Plain comparisons with the month boundaries: no time zone arithmetic per row.
        sums = [SQL("SUM(r.value) FILTER (WHERE r.date >= %s AND r.date < %s) AS %s",
                    start, end, SQL.identifier(f'm{month}'))
                for month, (start, end) in enumerate(zip(bounds, bounds[1:]), start=1)]
        sums.append(SQL("SUM(r.value) AS m13"))
        # one row for all: no GROUP BY, so that there is a row even when nothing was sold
        key, groupby = (SQL("r.row_id"), SQL("GROUP BY r.row_id")) if row_field else (SQL("NULL::integer"), SQL(""))
        # Exact sums (numeric for money and energy), converted by PostgreSQL, as Odoo would
        # convert them: float, or int for counts (no Python work per figure on the way). An
        # empty month stays NULL until then: 0, nothing to convert.
        cast = SQL("int8") if measure.endswith('_count') else SQL("float8")
        figures = SQL(", ").join(SQL("COALESCE(%s::%s, 0)", SQL.identifier('g', f'm{month}'), cast)
                                 for month in range(1, 14))
        total_figures = SQL(", ").join(SQL("COALESCE(SUM(%s)::%s, 0)", SQL.identifier('g', f'm{month}'), cast)
                                       for month in range(1, 14))
        customers, keys, no_keys, labels_join = SQL(""), SQL("g.row_id"), SQL("NULL"), SQL("")
        if row_field == 'account_id':
            # The customer number and name instead of the id, once the movements are summed:
            # those of every customer at once, joined by hash. The planner, still guessing 200
            # rows, would look them up twice per row (0.15 s more for 95,000 customers).
            customers = SQL("""customer AS MATERIALIZED (
                SELECT a.id, a.number, p.name FROM prepaid_account a LEFT JOIN res_partner p ON p.id = a.partner_id
            ),""")
            keys, no_keys = SQL("COALESCE(c.number, ''), COALESCE(c.name, '')"), SQL("'', ''")
            labels_join = SQL("LEFT JOIN customer c ON c.id = g.row_id")
        # the grand totals: sums of the rows' numeric sums, not a second scan of the movements
        result = self._execute(SQL("""
            WITH %s g AS (SELECT %s AS row_id, %s FROM (%s) r %s)
            SELECT FALSE, %s, %s FROM g %s
             UNION ALL
            SELECT TRUE, %s, %s FROM g
        """, customers, key, SQL(", ").join(sums), movements, groupby, keys, figures, labels_join, no_keys,
            total_figures))
        # 95,000 customers: the rows go out as fetched, no Python work per figure
        rows = [row[1:] for row in result if not row[0]]
        totals = next(list(row[-13:]) for row in reversed(result) if row[0])
        return rows, totals

    @api.model
    def _get_lines(self, domain):
        """The movements of `domain` in date order as plain tuples, for the detailed reports:
        (date, reference, kind, customer number, customer name, operator id, journal id,
        POS payment method id, channel, energy, amount). One SQL query, access rules applied."""
        query = self._search(domain, order='date, id')
        alias = query.table
        account = query.left_join(alias, 'account_id', 'prepaid_account', 'id', 'account_id')
        partner = query.left_join(alias, 'partner_id', 'res_partner', 'id', 'partner_id')
        return self._execute(query.select(*(
            SQL.identifier(alias, 'date'), SQL.identifier(alias, 'name'), SQL.identifier(alias, 'kind'),
            SQL.identifier(account, 'number'), SQL.identifier(partner, 'name'),
            SQL.identifier(alias, 'user_id'), SQL.identifier(alias, 'journal_id'),
            SQL.identifier(alias, 'pos_payment_method_id'), SQL.identifier(alias, 'channel'),
            SQL.identifier(alias, 'energy'), SQL.identifier(alias, 'amount'),
        )))

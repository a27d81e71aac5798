from odoo import fields, models
from odoo.tools import SQL


class PrepaidReconciliationReport(models.Model):
    """Vends = payments = journal postings, per day for backend sales and refunds and per POS
    session for till sales; the difference must be 0.00.

    - vends: amounts due of the sales (refunds count negative), each at the amount it was sold
      for; a rewrite's money difference counts on its own day or session, where it was settled;
    - payments: the account.payment of each backend sale, rewrite or refund, the POS order
      lines of each till sale or rewrite;
    - postings: what the journal entries of those payments (backend) or of the closed session
      (POS) put on the company's electricity account (liability or revenue), credit - debit;
    - remote meters' consumption, per day: the bills = what their consumption entries moved
      from the liability to revenue (payment amount 0: nobody pays a bill, the balance does)."""
    _name = 'prepaid.reconciliation.report'
    _description = 'Vending Reconciliation'
    _auto = False
    _order = 'date desc, source, pos_session_id'

    date = fields.Date(readonly=True)
    # the query gives the key, the field its (translated) label; the session is its own column
    source = fields.Selection([('backend', 'Backend'), ('pos', 'Point of Sale'),
                               ('consumption', 'Remote Meter Consumption')], readonly=True)
    pos_session_id = fields.Many2one('pos.session', string='POS Session', readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    vend_amount = fields.Monetary(readonly=True)
    payment_amount = fields.Monetary(readonly=True)
    posted_amount = fields.Monetary(string='Journal Postings', readonly=True)
    difference = fields.Monetary(readonly=True, help="Vends - journal postings; must be 0.00.")

    @property
    def _table_query(self):
        return SQL("""
            WITH rewrite AS (
                SELECT o.id, o.date, o.company_id, o.vend_id, o.payment_id, o.pos_order_line_id,
                       o.amount_after - o.amount_before AS difference
                  FROM prepaid_operation o
                 WHERE o.kind = 'rewrite'
            ), sold AS (
                -- each sale at the amount it was sold for: its rewrites are settled separately
                SELECT v.date, v.company_id, v.payment_id, v.pos_order_line_id, v.sold_amount AS vend_amount
                  FROM prepaid_vend v
                 WHERE v.kind IN ('sale', 'topup') AND v.state != 'cancelled'
            ), backend AS (
                SELECT s.date::date AS date, s.company_id, s.vend_amount, p.amount AS payment_amount, p.move_id
                  FROM sold s
                  LEFT JOIN account_payment p ON p.id = s.payment_id
                 WHERE s.pos_order_line_id IS NULL
                 UNION ALL
                SELECT r.date::date, r.company_id, r.difference,
                       CASE p.payment_type WHEN 'outbound' THEN -p.amount ELSE p.amount END, p.move_id
                  FROM rewrite r
                  LEFT JOIN account_payment p ON p.id = r.payment_id
                 WHERE r.pos_order_line_id IS NULL
                 UNION ALL
                SELECT o.date::date, o.company_id, -o.refund_amount,
                       CASE p.payment_type WHEN 'inbound' THEN p.amount ELSE -p.amount END, p.move_id
                  FROM prepaid_operation o
                  LEFT JOIN account_payment p ON p.id = o.payment_id
                 WHERE o.kind IN ('refund', 'settle')
            ), backend_posted AS (
                SELECT b.date, b.company_id, b.vend_amount, b.payment_amount,
                       COALESCE((SELECT SUM(l.credit - l.debit) FROM account_move_line l
                                  JOIN res_company c ON c.id = b.company_id
                                 WHERE l.move_id = b.move_id AND l.parent_state = 'posted'
                                   AND l.account_id = CASE c.prepaid_income_mode WHEN 'revenue'
                                       THEN c.prepaid_revenue_account_id ELSE c.prepaid_liability_account_id END), 0)
                           AS posted_amount
                  FROM backend b
            ), pos_lines AS (
                SELECT s.date, s.company_id, s.vend_amount, s.pos_order_line_id FROM sold s
                 WHERE s.pos_order_line_id IS NOT NULL
                 UNION ALL
                SELECT r.date, r.company_id, r.difference, r.pos_order_line_id FROM rewrite r
                 WHERE r.pos_order_line_id IS NOT NULL
            ), pos AS (
                SELECT po.session_id, MIN(x.date)::date AS date, x.company_id,
                       SUM(x.vend_amount) AS vend_amount, SUM(ol.price_subtotal_incl) AS payment_amount
                  FROM pos_lines x
                  JOIN pos_order_line ol ON ol.id = x.pos_order_line_id
                  JOIN pos_order po ON po.id = ol.order_id
                 GROUP BY po.session_id, x.company_id
            ), billed AS (
                -- remote meters: what was billed = what moved from the liability to revenue
                SELECT b.day, b.company_id, SUM(b.amount) AS amount
                  FROM prepaid_meter_bill b
                  JOIN res_company c ON c.id = b.company_id
                 WHERE c.prepaid_income_mode = 'liability'
                 GROUP BY b.day, b.company_id
            ), moved AS (
                SELECT m.day, m.company_id, SUM(l.debit - l.credit) AS amount
                  FROM (SELECT DISTINCT move_id, day, company_id FROM prepaid_meter_bill WHERE move_id IS NOT NULL) m
                  JOIN res_company c ON c.id = m.company_id
                  JOIN account_move_line l ON l.move_id = m.move_id AND l.parent_state = 'posted'
                                          AND l.account_id = c.prepaid_liability_account_id
                 GROUP BY m.day, m.company_id
            )
            SELECT row_number() OVER () AS id, * FROM (
                SELECT date, 'backend' AS source, NULL::integer AS pos_session_id, company_id,
                       SUM(vend_amount) AS vend_amount, SUM(COALESCE(payment_amount, 0)) AS payment_amount,
                       SUM(posted_amount) AS posted_amount, SUM(vend_amount) - SUM(posted_amount) AS difference
                  FROM backend_posted GROUP BY date, company_id
                 UNION ALL
                SELECT pos.date, 'pos', pos.session_id, pos.company_id, pos.vend_amount, pos.payment_amount,
                       COALESCE(posted.amount, 0), pos.vend_amount - COALESCE(posted.amount, 0)
                  FROM pos
                  JOIN pos_session s ON s.id = pos.session_id
                  JOIN res_company c ON c.id = pos.company_id
                  LEFT JOIN LATERAL (
                      SELECT SUM(l.credit - l.debit) AS amount FROM account_move_line l
                       WHERE l.move_id = s.move_id AND l.parent_state = 'posted'
                         AND l.account_id = CASE c.prepaid_income_mode WHEN 'revenue'
                             THEN c.prepaid_revenue_account_id ELSE c.prepaid_liability_account_id END
                  ) posted ON true
                 UNION ALL
                SELECT billed.day, 'consumption', NULL, billed.company_id, billed.amount, 0,
                       COALESCE(moved.amount, 0), billed.amount - COALESCE(moved.amount, 0)
                  FROM billed
                  LEFT JOIN moved ON moved.day = billed.day AND moved.company_id = billed.company_id
            ) rows
        """)

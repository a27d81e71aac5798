from decimal import Decimal

from odoo.tests import tagged

from .common import PrepaidCommon


@tagged('post_install', '-at_install')
class TestAccounting(PrepaidCommon):
    """Backend sales and refunds reach the ledgers."""

    def _liability_balance(self):
        account = self.env.company._prepaid_income_account()
        lines = self.env['account.move.line'].search([('account_id', '=', account.id), ('parent_state', '=', 'posted')])
        return round(sum(lines.mapped('credit')) - sum(lines.mapped('debit')), 2)

    def test_a_kiosk_sale_is_one_call_with_its_journal(self):
        """A sale outside the POS (a kiosk, a remote-meter job) is one call of the account
        with the journal it is paid in; the same request twice is one vend and one payment."""
        account = self.open_account(quantity='61')
        self.insert_card(account)
        journal = self.station.cash_journal_id or self.env['account.journal'].search(
            [('type', '=', 'cash'), ('company_id', '=', self.env.company.id)], limit=1)
        seller = account.with_user(self.operator)
        vend = seller._vend('energy', Decimal('10'), client_request_id='kiosk-1', channel='backend', journal=journal)
        again = seller._vend('energy', Decimal('10'), client_request_id='kiosk-1', channel='backend', journal=journal)
        self.env.flush_all()
        self.assertEqual(again, vend)
        self.assertRecordValues(vend.payment_id, [{'amount': 20.0, 'payment_type': 'inbound', 'journal_id': journal.id,
                                                   'partner_id': self.partner.id}])
        self.assertEqual(self.env['account.payment'].search_count([('memo', 'ilike', vend.name)]), 1)

    def test_backend_sale_posts_a_payment_to_the_liability(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        wizard = self.env['prepaid.vend.create'].with_user(self.operator).create({
            'account_id': account.id, 'method': 'energy', 'quantity': 61})
        self.assertEqual(wizard.journal_id.type, 'cash')
        wizard.action_confirm()
        vend = account.vend_ids.sorted('sequence')[-1]
        self.assertEqual(self.env.company.prepaid_income_mode, 'liability')
        self.assertRecordValues(vend.payment_id, [{'amount': 122.0, 'state': 'in_process', 'payment_type': 'inbound',
                                                   'partner_id': self.partner.id}])
        liability = self.env.company.prepaid_liability_account_id
        self.assertEqual(liability.account_type, 'liability_current')
        self.assertEqual(self._liability_balance(), 244.0)   # the opening vend was paid too
        # a double click gives one vend and one payment
        wizard.action_confirm()
        self.assertEqual(len(account.vend_ids), 2)
        self.assertEqual(self._liability_balance(), 244.0)

    def test_refund_pays_back_from_the_liability(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        self.env['prepaid.vend.create'].create({'account_id': account.id, 'quantity': 50}).action_confirm()
        self.assertEqual(self._liability_balance(), 222.0)
        self.insert_card(account)
        self.env['prepaid.account.refund'].with_user(self.manager).create({
            'account_id': account.id, 'refund_energy': 30}).action_confirm()
        refund = account.operation_ids.filtered(lambda o: o.kind == 'refund')
        self.assertRecordValues(refund.payment_id, [{'amount': 60.0, 'payment_type': 'outbound'}])
        self.assertEqual(self._liability_balance(), 162.0)

    def test_backend_rewrite_settles_the_difference(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        self.env['prepaid.vend.create'].create({'account_id': account.id, 'quantity': 50}).action_confirm()
        vend = account.vend_ids.sorted('sequence')[-1]
        more = self.env['prepaid.vend.rewrite'].with_user(self.operator).create({'vend_id': vend.id, 'quantity': 60})
        self.assertEqual((more.quote_amount_due, more.amount_before, more.quote_difference), (120.0, 100.0, 20.0))
        more.action_confirm()
        more.action_confirm()    # a double click rewrites once
        rewrites = account.operation_ids.filtered(lambda o: o.kind == 'rewrite')
        self.assertRecordValues(rewrites.payment_id, [{'amount': 20.0, 'payment_type': 'inbound',
                                                       'partner_id': self.partner.id}])
        self.assertEqual(self._liability_balance(), 242.0)
        self.env['prepaid.vend.rewrite'].create({'vend_id': vend.id, 'quantity': 40}).action_confirm()
        rewrites = account.operation_ids.filtered(lambda o: o.kind == 'rewrite').sorted('id')
        self.assertRecordValues(rewrites.payment_id, [{'amount': 20.0, 'payment_type': 'inbound'},
                                                      {'amount': 40.0, 'payment_type': 'outbound'}])
        self.assertEqual((vend.amount_due, vend.payment_id.amount), (80.0, 100.0))
        self.assertEqual(self._liability_balance(), 202.0)

    def test_revenue_mode(self):
        revenue = self.env['account.account'].search(
            [*self.env['account.account']._check_company_domain(self.env.company), ('account_type', '=', 'income')],
            limit=1)
        self.env.company.write({'prepaid_income_mode': 'revenue', 'prepaid_revenue_account_id': revenue.id})
        account = self.open_account(quantity='61')
        self.insert_card(account)
        self.env['prepaid.vend.create'].create({'account_id': account.id, 'quantity': 10}).action_confirm()
        payment = account.vend_ids.sorted('sequence')[-1].payment_id
        self.assertEqual(payment.destination_account_id, revenue)

    def test_reconciliation_of_a_day_of_mixed_operations(self):
        """Sales by energy and by money, a rewrite, a refund: vends = payments = postings."""
        first = self.open_account(meter_number='300000000001', quantity='61')
        second = self.open_account(meter_number='300000000002', quantity='30')
        for account, method, quantity in [(first, 'energy', 50), (second, 'money', 25.5)]:
            self.insert_card(account)
            self.env['prepaid.vend.create'].create({
                'account_id': account.id, 'method': method, 'quantity': quantity}).action_confirm()
        sold_by_money = second.vend_ids.sorted('sequence')[-1]
        self.env['prepaid.vend.rewrite'].create({'vend_id': sold_by_money.id, 'quantity': 30}).action_confirm()
        self.insert_card(first)
        self.env['prepaid.account.refund'].with_user(self.manager).create({
            'account_id': first.id, 'refund_energy': 10}).action_confirm()
        self.env.flush_all()
        row = self.env['prepaid.reconciliation.report'].search([('source', '=', 'backend')])
        self.assertEqual(len(row), 1)
        # 122.00 + 60.00 opening, 100.00 + 25.50 sold, 25.50 rewritten to 30.00, 20.00 refunded
        # (10 kWh x 2.00)
        expected = 122.0 + 60.0 + 100.0 + 25.5 + 4.5 - 20.0
        self.assertRecordValues(row, [{'vend_amount': expected, 'payment_amount': expected,
                                       'posted_amount': expected, 'difference': 0.0}])

import io
from datetime import datetime

import openpyxl
from freezegun import freeze_time
from lxml import html as lxml_html
from pypdf import PdfReader

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import MANAGER, OPERATOR, PrepaidCommon, make_account

TZ = 'Asia/Shanghai'   # UTC+8: report days are the users' local days


def utc(*args):
    return datetime(*args)


@tagged('post_install', '-at_install')
class TestSalesReports(PrepaidCommon):
    """Sales reports: the figures of each report equal the vends and refunds they cover, PDF
    and XLSX show the same numbers, and operators see only their own daily sales.

    A day (2025-03-10, Shanghai time) with two operators, cash and bank payments, a rewrite,
    a refund, a cancelled vend and a meter replacement; other sales around its edges."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.operator2 = new_test_user(env, login='pe_operator2', groups=f'base.group_user,{OPERATOR}', tz=TZ)
        (cls.operator | cls.manager).write({'tz': TZ})
        cls.env = env = env(context=dict(env.context, tz=TZ))
        Journal = env['account.journal']
        cls.cash = Journal.search([*Journal._check_company_domain(env.company), ('type', '=', 'cash')], limit=1)
        cls.bank = Journal.search([*Journal._check_company_domain(env.company), ('type', '=', 'bank')], limit=1)
        cls.area2 = env['prepaid.area'].create({'name': 'Block 2', 'station_id': cls.station.id})

        def open_at(when, meter, quantity, method='energy', user=None, **vals):
            with freeze_time(when):
                return cls.open_account(meter_number=meter, quantity=quantity, method=method, user=user, **vals)

        def sell_at(when, account, quantity, user, journal):
            cls.insert_card(account)
            with freeze_time(when):
                cls.env['prepaid.vend.create'].with_user(user).create({
                    'account_id': account.id, 'quantity': quantity, 'journal_id': journal.id}).action_confirm()

        # the day: 2025-03-10 local = 2025-03-09 16:00 .. 2025-03-10 16:00 UTC
        cls.a = open_at(utc(2025, 3, 9, 17, 0), '500000000001', '61')                  # 122.00 cash
        sell_at(utc(2025, 3, 10, 2, 0), cls.a, 50, cls.operator2, cls.bank)              # 100.00 bank
        cls.b = open_at(utc(2025, 3, 10, 3, 0), '500000000002', '50', method='money',
                        area_id=cls.area2.id)                                            # 50.00 ...
        with freeze_time(utc(2025, 3, 10, 4, 0)):                                        # ... rewritten to 60.00
            cls.env['prepaid.vend.rewrite'].with_user(cls.operator).create({
                'vend_id': cls.b.vend_ids.id, 'quantity': 60}).action_confirm()
        cls.insert_card(cls.a)
        with freeze_time(utc(2025, 3, 10, 6, 0)):                                        # -20.00 refund
            cls.env['prepaid.account.refund'].with_user(cls.manager).create({
                'account_id': cls.a.id, 'refund_energy': 10}).action_confirm()
        cls.d = open_at(utc(2025, 3, 10, 7, 0), '500000000004', '30')                    # cancelled
        cls.d.vend_ids.state = 'cancelled'
        cls.c = open_at(utc(2025, 3, 10, 15, 59), '500000000003', '20')                  # 40.00, 23:59 local
        # around the day
        sell_at(utc(2025, 3, 10, 16, 1), cls.c, 10, cls.operator, cls.cash)              # 20.00, 03-11 00:01
        cls.insert_card(cls.c)
        with freeze_time(utc(2025, 3, 12, 2, 0)):                                        # not money
            cls.env['prepaid.meter.replace'].with_user(cls.manager).create({
                'account_id': cls.c.id, 'new_meter_number': '500000000033',
                'new_meter_type_id': cls.c.meter_id.meter_type_id.id, 'remaining_energy': 5}).action_confirm()
        cls.e = open_at(utc(2025, 2, 28, 16, 30), '500000000005', '20')                  # 40.00, 03-01 00:30
        cls.f = open_at(utc(2025, 2, 28, 15, 30), '500000000006', '25')                  # 50.00, 02-28 23:30
        cls.g = open_at(utc(2024, 12, 31, 15, 0), '500000000007', '25')                  # 50.00, 2024
        cls.h = open_at(utc(2025, 12, 31, 15, 30), '500000000008', '35', user=cls.operator2)  # 70.00, 2025-12-31
        env.flush_all()

    # ------------------------------------------------------------------ helpers
    def wizard(self, user=None, **vals):
        return self.env['prepaid.sales.report.print'].with_user(user or self.manager).create(vals)

    def expected(self, start, end, user=None, accounts=None):
        """Independent figures: the vends and refunds of [start, end) (UTC), by search + sum."""
        vend_domain = [('date', '>=', start), ('date', '<', end), ('kind', '=', 'sale'), ('state', '!=', 'cancelled')]
        refund_domain = [('date', '>=', start), ('date', '<', end), ('kind', '=', 'refund')]
        for domain in (vend_domain, refund_domain):
            if user:
                domain.append(('user_id', '=', user.id))
            if accounts is not None:
                domain.append(('account_id', 'in', accounts.ids))
        vends = self.env['prepaid.vend'].search(vend_domain)
        refunds = self.env['prepaid.operation'].search(refund_domain)
        return {
            'sale_count': len(vends), 'refund_count': len(refunds),
            'energy': round(sum(vends.mapped('energy_bought')), 2),
            'sale_amount': round(sum(vends.mapped('amount_due')), 2),
            'refund_amount': -round(sum(refunds.mapped('refund_amount')), 2),
            'amount': round(sum(vends.mapped('amount_due')) - sum(refunds.mapped('refund_amount')), 2),
        }

    @staticmethod
    def measures(values):
        keys = ('sale_count', 'refund_count', 'energy', 'sale_amount', 'refund_amount', 'amount')
        return dict(zip(keys, [round(v, 2) for v in values]))

    def xlsx_rows(self, wizard):
        book = openpyxl.load_workbook(io.BytesIO(wizard._render_xlsx()))
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}

    def html_tables(self, wizard, report='prepaid_electricity.action_report_sales'):
        content = self.env['ir.actions.report'].with_user(wizard.env.user)._render_qweb_html(report, wizard.ids)[0]
        tree = lxml_html.fromstring(content)
        tables = []
        for table in tree.xpath("//table[contains(@class, 'o_prepaid_sales_section')]"):
            rows = [[cell.text_content().strip() for cell in tr.xpath('./th|./td')]
                    for tr in table.xpath('./thead/tr|./tbody/tr|./tfoot/tr')]
            tables.append([row for row in rows if len(row) > 1])
        return tables

    # ------------------------------------------------------------------ figures
    def test_daily_report(self):
        """The day's lines and totals are its sales (the rewritten sale at what it was sold for,
        its rewrite's difference on a line of its own) less its refund; the cancelled vend, the
        meter replacement and 00:01 the next day are out."""
        data = self.wizard(report_kind='daily', date='2025-03-10')._get_report_data()
        lines, payments = data['sections']
        expected = self.expected(utc(2025, 3, 9, 16), utc(2025, 3, 10, 16))
        self.assertEqual(expected, {'sale_count': 4, 'refund_count': 1, 'energy': 161.0, 'sale_amount': 322.0,
                                    'refund_amount': -20.0, 'amount': 302.0})
        self.assertEqual(len(lines['rows']), 6)
        self.assertEqual([row[-1] for row in lines['rows']], [122.0, 100.0, 50.0, 10.0, -20.0, 40.0])
        self.assertEqual([row[2] for row in lines['rows']], ['Sale', 'Sale', 'Sale', 'Rewrite', 'Refund', 'Sale'])
        self.assertEqual(lines['totals'][-2:], [161.0, 302.0])
        self.assertEqual(self.measures(payments['totals'][1:]), expected)
        by_method = {row[0]: row[-1] for row in payments['rows']}
        self.assertEqual(by_method, {self.cash.name: 202.0, self.bank.name: 100.0})
        self.assertEqual(lines['rows'][-1][0], datetime(2025, 3, 10, 23, 59))   # local time

    def test_monthly_report(self):
        """The month's totals equal its vends and refunds; each day row equals that day."""
        data = self.wizard(report_kind='monthly', year=2025, month='3')._get_report_data()
        per_day, payments = data['sections']
        [details] = data['xlsx_sections']
        expected = self.expected(utc(2025, 2, 28, 16), utc(2025, 3, 31, 16))
        self.assertEqual(expected['amount'], 40.0 + 302.0 + 20.0)
        self.assertEqual(self.measures(per_day['totals'][1:]), expected)
        self.assertEqual(self.measures(payments['totals'][1:]), expected)
        self.assertEqual(details['totals'][-2:], [expected['energy'], expected['amount']])
        rewrites = 1    # the rewrite of b's sale: a line of its own
        self.assertEqual(len(details['rows']), expected['sale_count'] + expected['refund_count'] + rewrites)
        days = {row[0]: self.measures(row[1:]) for row in per_day['rows']}
        self.assertEqual(list(days), ['2025-03-01', '2025-03-10', '2025-03-11'])
        self.assertEqual(days['2025-03-10'], self.expected(utc(2025, 3, 9, 16), utc(2025, 3, 10, 16)))
        self.assertEqual(days['2025-03-11']['amount'], 20.0)

    def test_yearly_summary(self):
        """Per customer, per area and for everyone: months are local months, the grand total is
        the year's vends less refunds, and the filters narrow it."""
        start, end = utc(2024, 12, 31, 16), utc(2025, 12, 31, 16)
        expected = self.expected(start, end)
        for grouping in ('customer', 'area', 'all'):
            with self.subTest(grouping=grouping):
                wizard = self.wizard(report_kind='yearly', year=2025, grouping=grouping)
                [section] = wizard._get_report_data()['sections']
                self.assertEqual(section['totals'][-1], expected['amount'])
                feb, mar, dec = (section['totals'][-13 + m - 1] for m in (2, 3, 12))
                self.assertEqual((feb, mar, dec), (50.0, 362.0, 70.0))
        [section] = self.wizard(report_kind='yearly', year=2025, grouping='customer')._get_report_data()['sections']
        rows = {row[0]: row for row in section['rows']}
        self.assertNotIn(self.g.number, rows)                            # 2024
        self.assertEqual(rows[self.a.number][2 + 2], 202.0)              # March: 122 + 100 - 20
        self.assertEqual(rows[self.a.number][-1], 202.0)
        self.assertEqual(rows[self.h.number][2 + 11], 70.0)              # 23:30 on 31 December
        [section] = self.wizard(report_kind='yearly', year=2025, grouping='customer', measure='energy',
                                area_id=self.area2.id)._get_report_data()['sections']
        self.assertEqual([row[0] for row in section['rows']], [self.b.number])
        self.assertEqual(section['totals'][-1], self.expected(start, end, accounts=self.b)['energy'])
        [section] = self.wizard(report_kind='yearly', year=2025, grouping='all', measure='sale_count',
                                account_id=self.c.id)._get_report_data()['sections']
        self.assertEqual(section['totals'][-1], 2)                       # the replacement credit is not a sale

    def test_operator_summary(self):
        """Per operator and per payment method: count, energy and money, refunds by the
        manager who made them, each operator's money per payment method."""
        data = self.wizard(report_kind='operator', year=2025, month='3')._get_report_data()
        per_operator, payments = data['sections']
        start, end = utc(2025, 2, 28, 16), utc(2025, 3, 31, 16)
        expected = self.expected(start, end)
        self.assertEqual(self.measures(per_operator['totals'][1:7]), expected)
        self.assertEqual(self.measures(payments['totals'][1:]), expected)
        labels = [label for label, _kind in per_operator['columns'][7:]]
        self.assertEqual(sorted(labels), sorted([self.cash.name, self.bank.name]))
        rows = {row[0]: row for row in per_operator['rows']}
        for user in (self.operator, self.operator2, self.manager):
            with self.subTest(user=user.login):
                self.assertEqual(self.measures(rows[user.name][1:7]), self.expected(start, end, user=user))
        by_method = dict(zip(labels, rows[self.operator.name][7:]))
        self.assertEqual(by_method, {self.cash.name: 282.0, self.bank.name: 0.0})
        self.assertEqual(dict(zip(labels, rows[self.manager.name][7:]))[self.cash.name], -20.0)
        self.assertEqual(dict(zip(labels, per_operator['totals'][7:])), {self.cash.name: 262.0, self.bank.name: 100.0})

    # ------------------------------------------------------------------ outputs
    def assert_same_numbers(self, html_tables, sheets, data):
        """Every cell of every PDF table is the same number or text in the XLSX sheet."""
        sections = data['sections']
        self.assertEqual(len(html_tables), len(sections))
        for table, section, sheet in zip(html_tables, sections, list(sheets.values())):
            header, *body = table
            self.assertEqual(header, sheet[1][:len(header)])
            xlsx_body = [row[:len(header)] for row in sheet[2:]]
            self.assertEqual(len(body), len(xlsx_body), section['title'])
            for html_row, xlsx_row in zip(body, xlsx_body):
                for text, value, (_label, kind) in zip(html_row, xlsx_row, section['columns']):
                    if value is None:
                        self.assertEqual(text, '')
                    elif isinstance(value, str):
                        self.assertEqual(text, value)
                    elif kind in ('count', 'energy', 'money'):
                        # Odoo puts an invisible no-break mark after the minus sign
                        number = text.replace(',', '').replace('\ufeff', '').replace('\u200b', '')
                        self.assertAlmostEqual(float(number), value, places=2)
                    else:
                        self.assertEqual(text, value.strftime('%Y-%m-%d %H:%M:%S'))

    def test_pdf_and_xlsx_agree(self):
        """The PDF (its HTML) and the XLSX file of each report show the same figures; the XLSX
        cells are typed, with a frozen header and a totals row."""
        cases = [
            {'report_kind': 'daily', 'date': '2025-03-10'},
            {'report_kind': 'monthly', 'year': 2025, 'month': '3'},
            {'report_kind': 'yearly', 'year': 2025, 'grouping': 'customer'},
            {'report_kind': 'yearly', 'year': 2025, 'grouping': 'area', 'measure': 'energy'},
            {'report_kind': 'operator', 'year': 2025, 'month': '3'},
        ]
        for vals in cases:
            with self.subTest(**vals):
                wizard = self.wizard(**vals)
                data = wizard._get_report_data()
                action = wizard.action_print_pdf()
                self.assertEqual(action['report_name'], 'prepaid_electricity.report_sales')
                self.assert_same_numbers(self.html_tables(wizard), self.xlsx_rows(wizard), data)
        # typed cells, frozen header, totals row (monthly: its details sheet too)
        wizard = self.wizard(report_kind='monthly', year=2025, month='3')
        book = openpyxl.load_workbook(io.BytesIO(wizard._render_xlsx()))
        self.assertEqual(len(book.worksheets), 3)
        details = book.worksheets[2]
        self.assertEqual(details.freeze_panes, 'A3')
        self.assertIsInstance(details['A3'].value, datetime)
        self.assertEqual(details['I3'].number_format, '#,##0.00')
        last = details.max_row
        self.assertEqual(details.cell(last, 1).value, 'Total')
        self.assertEqual(details.cell(last, 9).value, 362.0)
        self.assertTrue(details.cell(last, 9).font.bold)

    def test_pdf_rendering(self):
        """wkhtmltopdf renders the reports; the operator summary fits one page (its figures are
        checked on the HTML wkhtmltopdf prints, in test_pdf_and_xlsx_agree)."""
        wizard = self.wizard(report_kind='operator', year=2025, month='3')
        pdf, kind = self.env['ir.actions.report'].with_context(force_report_rendering=True)._render_qweb_pdf(
            'prepaid_electricity.action_report_sales', wizard.ids)
        self.assertEqual(kind, 'pdf')
        self.assertTrue(pdf.startswith(b'%PDF'))
        self.assertEqual(len(PdfReader(io.BytesIO(pdf)).pages), 1)

    def test_xlsx_download_action(self):
        wizard = self.wizard(report_kind='daily', date='2025-03-10')
        action = wizard.action_export_xlsx()
        self.assertEqual(action['url'], f'/prepaid_electricity/sales_report/{wizard.id}/xlsx')
        self.assertEqual(wizard.report_filename, 'Daily Report 2025-03-10')

    # ------------------------------------------------------------------ access
    def test_operator_prints_own_daily_report_only(self):
        """An operator's report shows their own sales only; other reports and other
        operators' sales are refused; the record rule holds even when read directly."""
        wizard = self.wizard(user=self.operator, date='2025-03-10')
        self.assertEqual((wizard.report_kind, wizard.user_id, wizard.is_manager), ('daily', self.operator, False))
        [lines, _payments] = wizard._get_report_data()['sections']
        own = self.expected(utc(2025, 3, 9, 16), utc(2025, 3, 10, 16), user=self.operator)
        own_rewrites = 1    # the operator rewrote b's sale
        self.assertEqual(len(lines['rows']), own['sale_count'] + own_rewrites)
        self.assertEqual(lines['totals'][-1], own['amount'])
        self.assertEqual({row[5] for row in lines['rows']}, {self.operator.name})
        sheets = self.xlsx_rows(wizard)
        self.assertEqual(list(sheets.values())[0][-1][-1], own['amount'])
        for vals in ({'report_kind': 'monthly', 'year': 2025, 'month': '3'},
                     {'report_kind': 'operator', 'year': 2025, 'month': '3'},
                     {'report_kind': 'yearly', 'year': 2025},
                     {'report_kind': 'daily', 'date': '2025-03-10', 'user_id': self.operator2.id},
                     {'report_kind': 'daily', 'date': '2025-03-10', 'user_id': False}):
            with self.subTest(**vals), self.assertRaises(AccessError):
                self.wizard(user=self.operator, **vals).action_print_pdf()
            with self.subTest(**vals), self.assertRaises(AccessError):
                self.wizard(user=self.operator, **vals)._render_xlsx()
        rows = self.env['prepaid.sales.report'].with_user(self.operator).search([])
        self.assertEqual(rows.user_id, self.operator)
        totals = self.env['prepaid.sales.report'].with_user(self.operator)._get_totals([])
        self.assertEqual(totals['sale_count'], self.env['prepaid.vend'].search_count(
            [('user_id', '=', self.operator.id), ('kind', '=', 'sale'), ('state', '!=', 'cancelled')]))

    def test_jit_is_off_for_the_report_query_only(self):
        """The reports switch JIT compilation off for their own query; the rest of the
        transaction (a sale made in the same request) keeps the server's setting."""
        self.env.cr.execute("SET LOCAL jit = on")
        totals = self.env['prepaid.sales.report']._get_totals([])
        self.assertTrue(totals['sale_count'])
        self.env.cr.execute("SHOW jit")
        self.assertEqual(self.env.cr.fetchone()[0], 'on')

    def test_menus_and_rights(self):
        """The Reports menu opens the wizard for operators and managers; a user without a
        vending role can neither read the figures nor open the wizard."""
        menu = self.env.ref('prepaid_electricity.prepaid_sales_report_print_menu')
        for user in (self.operator, self.manager):
            with self.subTest(user=user.login):
                self.assertIn(menu.id, self.env['ir.ui.menu'].with_user(user)._visible_menu_ids())
        outsider = new_test_user(self.env, login='pe_outsider', groups='base.group_user')
        with self.assertRaises(AccessError):
            self.env['prepaid.sales.report'].with_user(outsider).search([])
        with self.assertRaises(AccessError):
            self.env['prepaid.sales.report.print'].with_user(outsider).create({})
        self.assertTrue(self.manager.has_group(MANAGER))
        # receipts of any vend stay reprintable from the vend's Print menu
        receipt = self.env.ref('prepaid_electricity.action_report_vend_receipt_80mm')
        self.assertEqual((receipt.binding_model_id.model, receipt.binding_type), ('prepaid.vend', 'report'))


@tagged('post_install', '-at_install')
class TestSalesReportsPos(TestPoSCommon):
    """POS sales are reported under the order's POS payment method; an order paid with
    several methods is reported as such, never split by guess."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.sudo().group_ids = [Command.link(cls.env.ref(MANAGER).id)]
        env = cls.env(su=True)
        cls.config = cls.basic_config
        cls.account = make_account(env, '636363', '636300000001', customer='POS Report Customer')
        cls.account.purchase_sequence = 1
        cls.account = cls.account.with_env(cls.env)
        cls.product = env.ref('prepaid_electricity.product_electricity').with_env(cls.env)
        env.company._prepaid_sync_product_account()

    def sell(self, energy, amount, payments):
        data = self.create_ui_order_data([{
            'product': self.product, 'quantity': 1, 'price_unit': amount, 'price_subtotal': amount,
            'price_subtotal_incl': amount, 'prepaid_account_id': self.account.id, 'prepaid_method': 'energy',
            'prepaid_quantity': energy}], payments=payments)
        self.env['pos.order'].sync_from_ui([data])
        self.account._apply_write_back(0, 0, is_credit_consumed=True)

    def test_pos_payment_methods(self):
        self.open_new_session()
        self.sell(10, 20.0, [(self.cash_pm1, 20.0)])
        self.sell(20, 40.0, [(self.cash_pm1, 15.0), (self.bank_pm1, 25.0)])
        self.env.flush_all()
        wizard = self.env['prepaid.sales.report.print'].create({'report_kind': 'daily'})
        _lines, payments = wizard._get_report_data()['sections']
        by_method = {row[0]: (row[1], row[-1]) for row in payments['rows']}
        self.assertEqual(by_method, {
            f'{self.cash_pm1.name} (Point of Sale)': (1, 20.0),
            'Several methods (Point of Sale)': (1, 40.0),
        })

    def test_money_is_reported_where_it_was_taken(self):
        """A backend sale by operator A (122.00 cash), then its rewrite at the till (+20.00 by
        bank card) by cashier B: the daily report and the per-operator summary show A with the
        sale under its journal and B with 20.00 under the card; each POS payment method's total
        is what the session took with it, and the reconciliation stays at 0.00."""
        cashier = self.env.user    # B: the POS session's user
        cashier.sudo().group_ids = [Command.link(self.env.ref(OPERATOR).id)]
        seller = new_test_user(self.env, login='pe_backend_seller', groups=f'base.group_user,{OPERATOR}')
        cash = self.env['account.journal'].search(
            [*self.env['account.journal']._check_company_domain(self.env.company), ('type', '=', 'cash')], limit=1)
        self.env['prepaid.vend.create'].with_user(seller).create({
            'account_id': self.account.id, 'quantity': 61, 'journal_id': cash.id}).action_confirm()
        vend = self.account.vend_ids
        self.assertRecordValues(vend, [{'user_id': seller.id, 'amount_due': 122.0}])
        self.open_new_session()
        rewrite = self.create_ui_order_data([{
            'product': self.product, 'quantity': 1, 'price_unit': 20.0, 'price_subtotal': 20.0,
            'price_subtotal_incl': 20.0, 'prepaid_account_id': self.account.id, 'prepaid_method': 'energy',
            'prepaid_quantity': 71, 'prepaid_rewrite_vend_id': vend.id}], payments=[(self.bank_pm1, 20.0)])
        self.env['pos.order'].sync_from_ui([rewrite])
        self.env.flush_all()
        self.assertRecordValues(vend, [{'amount_due': 142.0, 'energy_bought': 71.0,
                                        'sold_amount': 122.0, 'sold_energy': 61.0}])
        vend._compute_sold()    # as for a vend rewritten before these fields existed (module update)
        self.assertRecordValues(vend, [{'sold_amount': 122.0, 'sold_energy': 61.0}])
        card = f'{self.bank_pm1.name} (Point of Sale)'

        wizard = self.env['prepaid.sales.report.print'].create({'report_kind': 'daily'})
        lines, payments = wizard._get_report_data()['sections']
        self.assertCountEqual([(row[2], row[5], row[6], row[-2], row[-1]) for row in lines['rows']], [
            ('Sale', seller.name, cash.name, 61.0, 122.0),
            ('Rewrite', cashier.name, card, 10.0, 20.0)])
        self.assertEqual({row[0]: row[-1] for row in payments['rows']}, {cash.name: 122.0, card: 20.0})

        today = wizard.date
        wizard = self.env['prepaid.sales.report.print'].create(
            {'report_kind': 'operator', 'year': today.year, 'month': str(today.month)})
        per_operator, payments = wizard._get_report_data()['sections']
        labels = [label for label, _kind in per_operator['columns'][7:]]
        self.assertEqual(sorted(labels), sorted([cash.name, card]))
        rows = {row[0]: dict(zip(labels, row[7:])) for row in per_operator['rows']}
        self.assertEqual(rows, {seller.name: {cash.name: 122.0, card: 0.0}, cashier.name: {cash.name: 0.0, card: 20.0}})
        sold = {row[0]: (row[1], row[3], row[6]) for row in per_operator['rows']}
        self.assertEqual(sold, {seller.name: (1, 61.0, 122.0), cashier.name: (0, 10.0, 20.0)},
                         "a rewrite is no new sale: its energy and money differences only")

        # what each POS payment method took in the session, as the report shows it
        session_payments = {
            f'{method.name} (Point of Sale)': amount for method, amount in self.env['pos.payment']._read_group(
                [('session_id', '=', self.pos_session.id)], ['payment_method_id'], ['amount:sum'])}
        self.assertEqual(session_payments, {card: 20.0})
        self.assertEqual({label: total for label, total in zip(labels, per_operator['totals'][7:])
                          if label in session_payments}, session_payments)

        self.pos_session.action_pos_session_validate()
        self.env.flush_all()
        rows = self.env['prepaid.reconciliation.report'].search([('company_id', '=', self.env.company.id)])
        self.assertEqual(rows.mapped('difference'), [0.0] * len(rows))
        self.assertEqual(rows.filtered('pos_session_id').mapped('vend_amount'), [20.0])

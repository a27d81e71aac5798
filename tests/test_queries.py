import datetime
from decimal import Decimal

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import PrepaidCommon

NOW = '2026-06-15 04:00:00'          # 12:00 in Shanghai
TZ = 'Asia/Shanghai'


class QueriesCommon(PrepaidCommon):

    def sell(self, account, quantity, date=None):
        """The customer inserts the card, then buys `quantity` kWh (at `date`, UTC, if given)."""
        self.insert_card(account)
        vend = account._vend('energy', Decimal(quantity))
        if date:
            vend.date = date
        return vend

    def write_back(self, account, date, total_consumption):
        return self.env['prepaid.card.writeback'].create({
            'account_id': account.id, 'meter_id': account.meter_id.id, 'card_id': account.card_id.id,
            'date': date, 'total_consumption': total_consumption})


@tagged('post_install', '-at_install')
@freeze_time(NOW)
class TestSuspiciousCustomers(QueriesCommon):
    """Few or small purchases against a high consumption over a range, with the manager's thresholds."""

    def setUp(self):
        super().setUp()
        self.env.company.write({'prepaid_suspicious_days': 30, 'prepaid_suspicious_min_consumption': 100,
                                'prepaid_suspicious_max_vends': 1, 'prepaid_suspicious_min_coverage': 50})
        long_ago = '2026-01-10 02:00:00'
        before, inside = '2026-05-01 02:00:00', '2026-06-10 02:00:00'
        # The range is 2026-05-17 .. 2026-06-15; every opening purchase happened long before.
        self.nothing_bought = self.open_account(meter_number='500000000001', quantity='61')
        self.bought_enough = self.open_account(meter_number='500000000002', quantity='61')
        self.low_use = self.open_account(meter_number='500000000003', quantity='61')
        self.one_small = self.open_account(meter_number='500000000004', quantity='61')
        self.secondary = self.open_account(meter_number='500000000005', quantity='300', ct_ratio=10,
                                           side='secondary')
        accounts = self.nothing_bought | self.bought_enough | self.low_use | self.one_small | self.secondary
        accounts.vend_ids.write({'date': long_ago})
        # 300 kWh consumed in the range (1000 before it, 1300 at its end), nothing bought
        self.write_back(self.nothing_bought, before, 1000)
        self.write_back(self.nothing_bought, inside, 1300)
        # 300 kWh consumed, 400 kWh bought in two purchases
        self.write_back(self.bought_enough, before, 500)
        self.write_back(self.bought_enough, inside, 800)
        self.sell(self.bought_enough, '200', '2026-05-20 02:00:00')
        self.sell(self.bought_enough, '200', '2026-06-01 02:00:00')
        # only 50 kWh consumed (no reading before the range: first to last reading in it)
        self.write_back(self.low_use, '2026-05-18 02:00:00', 500)
        self.write_back(self.low_use, inside, 550)
        # 300 kWh consumed, one purchase of 100 kWh
        self.write_back(self.one_small, before, 0)
        self.write_back(self.one_small, inside, 300)
        self.sell(self.one_small, '100', '2026-06-05 02:00:00')
        # secondary side ×10: 30 meter kWh are 300 billing kWh; a sale after the range does not count
        self.write_back(self.secondary, before, 10)
        self.write_back(self.secondary, inside, 40)
        self.sell(self.secondary, '400', '2026-06-16 02:00:00')

    def run_query(self, **vals):
        query = self.env['prepaid.suspicious.query'].with_user(self.manager).with_context(tz=TZ).create(vals)
        action = query.action_search()
        return query, self.env['prepaid.suspicious.customer'].search(action['domain'])

    def test_flags_the_right_accounts_with_their_figures(self):
        query, results = self.run_query()
        self.assertEqual((query.date_from, query.date_to), (datetime.date(2026, 5, 17), datetime.date(2026, 6, 15)))
        self.assertEqual(results.account_id, self.nothing_bought | self.one_small | self.secondary)
        by_account = {line.account_id: line for line in results}
        self.assertRecordValues(by_account[self.one_small], [{
            'energy_consumed': 300.0, 'energy_bought': 100.0, 'vend_count': 1, 'amount_paid': 200.0,
            'energy_gap': 200.0, 'is_few_purchases': True, 'is_small_purchases': True}])
        self.assertRecordValues(by_account[self.nothing_bought], [{
            'energy_consumed': 300.0, 'energy_bought': 0.0, 'vend_count': 0, 'is_few_purchases': True,
            'is_small_purchases': True}])
        self.assertRecordValues(by_account[self.secondary], [{'energy_consumed': 300.0, 'vend_count': 0}])
        self.assertIn('few purchases (1)', by_account[self.one_small].reason)

    def test_thresholds_decide_and_are_remembered(self):
        # no purchase at all is "few" now; one purchase covering a third is still "small"
        _query, results = self.run_query(max_vend_count=0)
        self.assertEqual(results.account_id, self.nothing_bought | self.one_small | self.secondary)
        self.assertRecordValues(results.filtered(lambda r: r.account_id == self.one_small),
                                [{'is_few_purchases': False, 'is_small_purchases': True}])
        # coverage 0 % and no "few": only the customers who bought nothing at all remain
        _query, results = self.run_query(max_vend_count=0, min_coverage_percent=0)
        self.assertEqual(results.account_id, self.nothing_bought | self.secondary)
        # a higher consumption threshold: nobody
        _query, results = self.run_query(min_consumption=301)
        self.assertFalse(results)
        self.assertRecordValues(self.env.company, [{'prepaid_suspicious_min_consumption': 301.0,
                                                    'prepaid_suspicious_max_vends': 0,
                                                    'prepaid_suspicious_min_coverage': 0}])
        # a range that ends before the readings in it: the later reading is not counted
        _query, results = self.run_query(date_from=datetime.date(2026, 5, 1), date_to=datetime.date(2026, 6, 9),
                                         min_consumption=100)
        self.assertFalse(results)

    def test_printed_list_has_the_rows_and_totals(self):
        _query, results = self.run_query()
        html = self.env['ir.actions.report'].with_user(self.manager)._render_qweb_html(
            'prepaid_electricity.action_report_suspicious_list', results.ids)[0].decode()
        for account in results.account_id:
            self.assertIn(account.number, html)
        self.assertIn('900.00', html)      # 3 × 300 kWh consumed
        self.assertIn('few purchases (0)', html)

    def test_dashboard_counts_the_same_customers(self):
        data = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ).get_data()
        self.assertEqual(data['suspicious'], 3)
        action = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ).action_open('suspicious')
        flagged = self.env['prepaid.suspicious.customer'].search(action['domain'])
        self.assertEqual(flagged.account_id, self.nothing_bought | self.one_small | self.secondary)

    def test_only_managers_query_suspicious_customers(self):
        with self.assertRaises(AccessError):
            self.env['prepaid.suspicious.query'].with_user(self.operator).create({})
        with self.assertRaises(AccessError):
            self.env['prepaid.dashboard'].with_user(self.operator).action_open('suspicious')
        self.assertIsNone(self.env['prepaid.dashboard'].with_user(self.operator).get_data()['suspicious'])


@tagged('post_install', '-at_install')
@freeze_time(NOW)
class TestDashboard(QueriesCommon):
    """The dashboard's figures are the sums of the underlying sales, in the user's local days."""

    def setUp(self):
        super().setUp()
        self.env['prepaid.vend'].search([]).write({'date': '2020-01-01 00:00:00'})   # neutralise demo sales
        area2 = self.env['prepaid.area'].create({'name': 'Block 2', 'station_id': self.station.id})
        self.first = self.open_account(meter_number='600000000001', quantity='61')           # today
        self.second = self.open_account(meter_number='600000000002', quantity='61', area_id=area2.id)
        self.sell(self.first, '50')                                                        # today
        self.sell(self.first, '10', '2026-06-14 15:30:00')     # 23:30 local yesterday
        self.sell(self.first, '20', '2026-06-14 16:30:00')     # 00:30 local today
        self.sell(self.second, '30', '2026-03-10 02:00:00')
        self.sell(self.second, '40', '2025-06-30 16:30:00')    # 1 July 2025 local: oldest month shown
        self.sell(self.second, '70', '2025-06-30 15:30:00')    # 30 June 2025 local: too old
        self.cancelled = self.sell(self.second, '90')
        self.cancelled.state = 'cancelled'
        self.sales = self.env['prepaid.vend'].search([('kind', '=', 'sale'), ('state', '!=', 'cancelled')])
        self.tz = datetime.timezone(datetime.timedelta(hours=8))

    def local_date(self, vend):
        return vend.date.replace(tzinfo=datetime.UTC).astimezone(self.tz).date()

    def totals(self, vends):
        return (round(sum(vends.mapped('energy_bought')), 2), round(sum(vends.mapped('amount_due')), 2), len(vends))

    def test_figures_equal_the_sums_of_the_sales(self):
        data = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ).get_data()
        today = self.sales.filtered(lambda v: self.local_date(v) == datetime.date(2026, 6, 15))
        self.assertEqual(self.totals(today), (61 + 61 + 50 + 20, 2 * (61 + 61 + 50 + 20), 4))
        self.assertEqual((data['today']['energy'], data['today']['amount'], data['today']['count']),
                         self.totals(today))
        self.assertEqual(data['to_write'], self.env['prepaid.vend'].search_count([('state', '=', 'to_write')]))
        self.assertEqual([m['key'] for m in data['months']][0::11], ['2025-07', '2026-06'])
        self.assertEqual(len(data['months']), 12)
        for month in data['months']:
            vends = self.sales.filtered(lambda v, key=month['key']: f'{self.local_date(v):%Y-%m}' == key)
            self.assertEqual((month['energy'], month['amount'], month['count']), self.totals(vends), month['key'])
        shown = self.sales.filtered(lambda v: self.local_date(v) >= datetime.date(2025, 7, 1))
        self.assertEqual(sum(m['count'] for m in data['months']), len(shown))
        self.assertEqual(len(shown), 4 + 1 + 1 + 1)    # today, yesterday, March, July 2025; not June 2025
        this_month = self.sales.filtered(lambda v: self.local_date(v) >= datetime.date(2026, 6, 1))
        self.assertEqual(
            {a['name']: (a['energy'], a['amount'], a['count']) for a in data['areas']},
            {area.name: self.totals(this_month.filtered(lambda v, area=area: v.area_id == area))
             for area in this_month.area_id})

    def test_figures_open_the_matching_lists(self):
        Dashboard = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ)
        today = self.sales.filtered(lambda v: self.local_date(v) == datetime.date(2026, 6, 15))
        self.assertEqual(self.env['prepaid.vend'].search(Dashboard.action_open('today')['domain']), today)
        march = self.env['prepaid.vend'].search(Dashboard.action_open('month', '2026-03')['domain'])
        self.assertEqual(march.mapped('energy_bought'), [30.0])
        area = self.second.area_id
        by_area = self.env['prepaid.vend'].search(Dashboard.action_open('area', area.id)['domain'])
        self.assertEqual(by_area, today.filtered(lambda v: v.area_id == area))
        to_write = Dashboard.action_open('to_write')
        self.assertEqual(to_write['res_model'], 'prepaid.vend')
        self.assertEqual(safe_eval(to_write['context']).get('search_default_to_write'), 1)

    def test_every_figure_opens_a_list(self):
        """Every figure of the dashboard opens an action the web client can show: its views
        given, a list among them (the suspicious customers' had none: "Oops")."""
        Dashboard = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ)
        for figure, key in (('today', None), ('to_write', None), ('suspicious', None), ('month', '2026-03'),
                            ('area', self.second.area_id.id)):
            with self.subTest(figure=figure):
                action = Dashboard.action_open(figure, key)
                self.assertEqual(action['type'], 'ir.actions.act_window')
                self.assertIn('list', [mode for _view, mode in action['views']])
                self.assertTrue(action['name'])

    def test_chart_months_are_labelled_in_the_user_s_language(self):
        """Chart months read as the language writes a month and year, never "1 2026"."""
        Dashboard = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ)
        months = Dashboard.with_context(lang='en_US').get_data()['months']
        self.assertEqual([(m['key'], m['label']) for m in months][0::11],
                         [('2025-07', 'Jul 2025'), ('2026-06', 'Jun 2026')])
        self.env['res.lang']._activate_lang('zh_CN')
        months = Dashboard.with_context(lang='zh_CN').get_data()['months']
        self.assertEqual([m['label'] for m in months][0::11], ['2025年7月', '2026年6月'])

    def test_printed_vend_list_totals(self):
        today = self.sales.filtered(lambda v: self.local_date(v) == datetime.date(2026, 6, 15))
        values = self.env['report.prepaid_electricity.report_vend_list']._get_report_values(today.ids)
        self.assertEqual(values['totals'], {'energy_bought': 192.0, 'energy_net': sum(today.mapped('energy_net')),
                                            'amount_due': 384.0})
        html = self.env['ir.actions.report']._render_qweb_html(
            'prepaid_electricity.action_report_vend_list', today.ids)[0].decode()
        self.assertIn('192.00', html)
        self.assertIn('384.00', html)

    def test_operators_see_energy_but_no_money(self):
        data = self.env['prepaid.dashboard'].with_user(self.operator).with_context(tz=TZ).get_data()
        manager_data = self.env['prepaid.dashboard'].with_user(self.manager).with_context(tz=TZ).get_data()
        self.assertEqual(data['today']['energy'], manager_data['today']['energy'])
        self.assertIsNone(data['today']['amount'])
        self.assertTrue(all(m['amount'] is None for m in data['months']))
        self.assertTrue(all(a['amount'] is None for a in data['areas']))
        self.assertIsNone(data['suspicious'])
        self.assertFalse(data['is_manager'])


@tagged('post_install', '-at_install')
class TestQueryActions(QueriesCommon):
    """Each query opens on its default filter and is reachable by the right role."""

    def action_context(self, xmlid):
        return safe_eval(self.env.ref(xmlid).context or '{}')

    def test_default_filters(self):
        self.assertEqual(self.action_context('prepaid_electricity.prepaid_account_action_query').get(
            'search_default_open_date'), 1)
        search = etree.fromstring(self.env.ref('prepaid_electricity.prepaid_account_view_search').arch)
        self.assertEqual(search.find(".//filter[@name='open_date']").get('default_period'), 'year')
        self.assertEqual(self.action_context('prepaid_electricity.prepaid_vend_action_analysis').get(
            'search_default_this_month'), 1)
        vend_search = etree.fromstring(self.env.ref('prepaid_electricity.prepaid_vend_view_search').arch)
        self.assertEqual(vend_search.find(".//filter[@name='this_month']").get('default_period'), 'month')
        self.assertEqual(self.action_context('prepaid_electricity.prepaid_meter_action_by_area').get(
            'search_default_group_area'), 1)
        self.assertEqual(self.action_context('prepaid_electricity.prepaid_operation_action_transfers').get(
            'prepaid_operation_kind'), 'transfer')
        self.assertIn('pivot', self.env.ref('prepaid_electricity.prepaid_operation_action_refunds').view_mode)
        # operators keep their plain customer list (no date filter) for the counter
        self.assertNotIn('search_default_open_date', self.action_context('prepaid_electricity.prepaid_account_action'))

    def test_customer_search_is_fuzzy_on_number_name_and_meter(self):
        account = self.open_account(meter_number='700000123456')
        other = self.open_account(meter_number='700000999999')
        other.partner_id = self.env['res.partner'].create({'name': 'Qian Wei'})
        search = etree.fromstring(self.env.ref('prepaid_electricity.prepaid_account_view_search').arch)
        filter_domain = search.find(".//field[@name='number']").get('filter_domain')
        Account = self.env['prepaid.account'].with_user(self.operator)
        for text, expected in [(account.number[-5:], account), ('zhao', account), ('0123456', account),
                               ('qian w', other)]:
            found = Account.search([*safe_eval(filter_domain, {'self': text}), ('id', 'in', (account | other).ids)])
            self.assertEqual(found, expected, text)

    def test_menus_follow_roles(self):
        Menu = self.env['ir.ui.menu']
        manager_only = [self.env.ref('prepaid_electricity.prepaid_dashboard_menu'),
                        self.env.ref('prepaid_electricity.prepaid_suspicious_query_menu')]
        everyone = [self.env.ref(f'prepaid_electricity.{xmlid}') for xmlid in (
            'prepaid_account_query_menu', 'prepaid_meter_by_area_menu', 'prepaid_vend_analysis_menu',
            'prepaid_operation_reissue_menu', 'prepaid_operation_replacement_menu',
            'prepaid_operation_transfer_menu', 'prepaid_card_writeback_query_menu')]
        operator_menus = Menu.with_user(self.operator)._visible_menu_ids()
        manager_menus = Menu.with_user(self.manager)._visible_menu_ids()
        for menu in manager_only:
            self.assertNotIn(menu.id, operator_menus, menu.name)
            self.assertIn(menu.id, manager_menus, menu.name)
        for menu in everyone:
            self.assertIn(menu.id, operator_menus, menu.name)
        # the dashboard is the managers' first screen of the app
        root = self.env.ref('prepaid_electricity.prepaid_electricity_menu_root')
        first = root.child_id.filtered(lambda m: m.id in manager_menus).sorted('sequence')[0]
        self.assertEqual(first, manager_only[0])

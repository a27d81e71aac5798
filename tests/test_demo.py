from datetime import datetime, time, timedelta
from decimal import Decimal

import pytz

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import convert_file

from head_end.backend import DailyReading, Report
from head_end.virtual import DEFAULT_PROFILE, SimClock, VirtualMeter

from .common import ADMIN, MANAGER, OPERATOR, make_account

DASHBOARD = 'prepaid_electricity.prepaid_dashboard_action'
TILLS = 'point_of_sale.action_pos_config_kanban'


def backend_reconciliation(env, company, day):
    return env['prepaid.reconciliation.report'].search(
        [('company_id', '=', company.id), ('date', '=', day), ('source', '=', 'backend')])


@tagged('post_install', '-at_install')
class TestDemoData(TransactionCase):
    """`make run`'s demo as a user will run it. Test databases are built without demo data, so
    the demo file is loaded here (in this test's transaction) onto the test company, which has
    China's chart like the demo database (scripts/env.sh)."""

    def load_demo(self):
        convert_file(self.env, 'prepaid_electricity', 'demo/prepaid_demo.xml', {}, mode='init')
        self.env.flush_all()

    def test_demo_company_till_and_staff(self):
        odoo_shops = self.env['pos.config'].create([
            {'name': 'Furniture Shop'}, {'name': 'Bakery Shop', 'payment_method_ids': []}])
        self.load_demo()
        company = self.env.ref('base.main_company')
        self.assertEqual(company.name, 'North Estate Property Management Co., Ltd.')
        self.assertEqual(company.country_id.code, 'CN')
        self.assertEqual(company.city, 'Shanghai')
        self.assertEqual(company.currency_id.name, 'CNY')
        self.assertEqual(company.chart_template, 'cn')

        till = self.env.ref('prepaid_electricity.pos_config_vending_demo')
        methods = {method.name: method for method in till.payment_method_ids}
        self.assertEqual(set(methods), {'Cash', 'Bank Card'})
        self.assertEqual(methods['Cash'].journal_id.type, 'cash')
        self.assertTrue(methods['Cash'].is_cash_count)
        self.assertEqual(methods['Bank Card'].journal_id.type, 'bank')
        station = self.env.ref('prepaid_electricity.prepaid_station_demo')
        self.assertEqual(station.cash_journal_id, methods['Cash'].journal_id)   # the chart's Cash
        # the grid: nothing but our own category; Odoo's demo shops are put away
        grid = self.env['product.template'].search(
            self.env['product.template']._load_pos_data_domain({}, till))
        self.assertFalse(grid - self.env.ref('prepaid_electricity.product_electricity').product_tmpl_id)
        self.assertEqual(odoo_shops.mapped('active'), [False, False])
        self.assertTrue(till.active)

        users = {login: self.env['res.users'].search([('login', '=', login)]) for login in ('manager', 'operator')}
        self.assertEqual(users['manager'].action_id.id, self.env.ref(DASHBOARD).id)
        self.assertEqual(users['operator'].action_id.id, self.env.ref(TILLS).id)

    def test_demo_vend_is_paid_and_reconciles(self):
        self.load_demo()
        vend = self.env.ref('prepaid_electricity.prepaid_account_li_demo').vend_ids
        self.assertEqual(len(vend), 1)
        self.assertEqual(vend.payment_id.state, 'in_process')   # posted, waiting for the bank
        self.assertEqual(vend.payment_id.amount, vend.amount_due)
        self.assertEqual(vend.payment_id.journal_id, vend.station_id.cash_journal_id)
        self.env.invalidate_all()
        day, = backend_reconciliation(self.env, vend.company_id, vend.date.date()).mapped('difference') or [None]
        self.assertEqual(day, 0.0)

    def test_demo_vend_helper(self):
        """The helper alone (no demo file): a backend sale with its payment."""
        account = make_account(self.env, '373737', '373700000001', customer='Li Na')
        self.env['prepaid.account']._demo_vend([account.id], 'energy', 100)
        self.env.flush_all()
        vend = account.vend_ids
        self.assertEqual(vend.channel, 'backend')
        self.assertTrue(vend.payment_id)
        self.assertEqual(vend.payment_id.amount, vend.amount_due)
        row = backend_reconciliation(self.env, vend.company_id, vend.date.date())
        self.assertEqual(row.vend_amount, vend.amount_due)
        self.assertEqual(row.posted_amount, vend.amount_due)
        self.assertEqual(row.difference, 0.0)

    def test_remote_demo_property(self):
        """The remote meters demo (demo/prepaid_remote_demo.xml): four rooms on concentrator
        17000405, installed five days ago (the base of their bills), topped up in cash; the five
        days `head-end emulate --history 5` gives its virtual meters bill them as designed."""
        self.load_demo()
        convert_file(self.env, 'prepaid_electricity', 'demo/prepaid_remote_demo.xml', {}, mode='init')
        self.env.flush_all()
        concentrator = self.env.ref('prepaid_electricity.prepaid_concentrator_sunshine_demo')
        self.assertEqual((concentrator.asset_number, concentrator.protocol), ('17000405', 'gdw1376'))
        self.assertFalse(concentrator.head_end_id)          # served by every head-end of the company
        meters = concentrator.meter_ids.sorted('number')
        self.assertEqual(meters.mapped('number'), [f'17000405000{n}' for n in range(1, 5)])
        self.assertEqual(meters.mapped('room'), ['101', '102', '103', '104'])
        self.assertEqual({(m.delivery, m.rs485_port, m.baud, m.parity, m.state) for m in meters},
                         {('remote', 2, '2400', 'even', 'installed')})
        accounts = meters.account_id.sorted(lambda a: a.meter_id.number)
        self.assertEqual(accounts.mapped('meter_id'), meters)
        self.assertEqual({(a.delivery, a.state, a.tariff_id.kind, a.area_id.name) for a in accounts},
                         {('remote', 'active', 'tou', 'Sunshine Apartments')})
        self.assertTrue(all(accounts.partner_id.mapped('phone')))
        self.assertEqual(accounts.mapped('money_balance'), [200.0, 80.0, 80.0, 70.0])
        self.assertEqual(accounts.mapped('overdraft_limit'), [0.0, 0.0, 0.0, 5.0])
        self.assertEqual({(a.alarm_threshold_1, a.alarm_threshold_2, a.alarm_state) for a in accounts},
                         {(20.0, 10.0, 'ok')})
        for account in accounts:
            vend = account.vend_ids
            self.assertEqual((vend.kind, vend.amount_due), ('topup', account.money_balance))
            self.assertEqual(vend.payment_id.journal_id, account.station_id.cash_journal_id)
        self.env.invalidate_all()
        self.assertEqual(backend_reconciliation(self.env, accounts.company_id, accounts.vend_ids[0].date.date())
                         .mapped('difference'), [0.0])
        # the base: 00:00 five days ago in the meters' time zone, zero registers
        shanghai = pytz.timezone('Asia/Shanghai')
        today = datetime.now(shanghai).date()
        installed = shanghai.localize(datetime.combine(today - timedelta(days=5), time())).astimezone(pytz.utc)
        self.assertEqual({(m.billed_day, m.billed_at, m.billed_total, m.start_reading) for m in meters},
                         {(today - timedelta(days=6), installed.replace(tzinfo=None), 0.0, 0.0)})
        head_end = self.env['prepaid.card.bridge'].create({'name': 'Demo head-end', 'service': 'head_end'})
        work = head_end._head_end_work()
        self.assertEqual([c['asset'] for c in work['concentrators']], ['17000405'])
        self.assertEqual({r['meter']: r['days'] for r in work['reads'] if r['kind'] == 'daily'},
                         {m.number: [5, 4, 3, 2, 1] for m in meters})
        # what the emulator's meters (room n: the profile × 1 + (n - 1)/4) freeze in those days
        clock = SimClock(datetime.now(shanghai).replace(tzinfo=None), speed=0)
        daily = []
        for index, meter in enumerate(meters):
            virtual = VirtualMeter(meter.number, clock, profile=[v * (1 + Decimal(index) / 4) for v in DEFAULT_PROFILE])
            virtual.backdate(5)
            daily += [DailyReading(meter.number, (moment - timedelta(minutes=1)).date(), shanghai.localize(moment),
                                   datetime.now(pytz.utc), *values) for moment, values in virtual.freezes]
        head_end._head_end_report(Report(daily=daily).to_json())
        self.env.flush_all()
        self.assertEqual([len(a.bill_ids) for a in accounts], [5, 5, 5, 5])
        self.assertEqual(accounts.mapped('money_balance'), [155.6, 24.5, 13.4, -7.7])
        self.assertEqual(accounts.mapped('alarm_state'), ['ok', 'ok', 'alarm_1', 'overdraft'])
        decisions = self.env['prepaid.strategy.log'].search([('account_id', 'in', accounts.ids)])
        self.assertEqual(sorted((d.account_id.meter_id.room, d.decision) for d in decisions),
                         [('103', 'alarm_1'), ('104', 'alarm_1'), ('104', 'alarm_2'), ('104', 'trip')])
        self.assertEqual(self.env['sms.sms'].search_count([('partner_id', 'in', accounts.partner_id.ids)]), 3)
        trip = self.env['prepaid.meter.command'].search([('meter_id', 'in', meters.ids)])
        self.assertEqual((trip.meter_id.room, trip.action, trip.origin, trip.state),
                         ('104', 'trip', 'strategy', 'queued'))


@tagged('post_install', '-at_install')
class TestHomeActions(TransactionCase):
    """Vending staff land in vending (managers on the dashboard, operators on the tills), not
    on Discuss."""

    def test_role_gives_first_screen(self):
        manager = new_test_user(self.env, login='home_manager', groups=f'base.group_user,{MANAGER}')
        operator = new_test_user(self.env, login='home_operator', groups=f'base.group_user,{OPERATOR}')
        admin = new_test_user(self.env, login='home_admin', groups=f'base.group_user,{ADMIN}')
        self.assertEqual(manager.action_id.id, self.env.ref(DASHBOARD).id)
        self.assertEqual(admin.action_id.id, self.env.ref(DASHBOARD).id)
        self.assertEqual(operator.action_id.id, self.env.ref(TILLS).id)

    def test_role_given_later(self):
        user = new_test_user(self.env, login='home_later', groups='base.group_user')
        self.assertFalse(user.action_id)
        user.write({'group_ids': [(4, self.env.ref(OPERATOR).id)]})
        self.assertEqual(user.action_id.id, self.env.ref(TILLS).id)

    def test_own_home_and_system_administrators_kept(self):
        own = self.env.ref('base.action_res_users')
        user = new_test_user(self.env, login='home_own', groups='base.group_user')
        user.action_id = own.id
        user.write({'group_ids': [(4, self.env.ref(MANAGER).id)]})
        self.assertEqual(user.action_id.id, own.id)
        system = new_test_user(self.env, login='home_system', groups=f'base.group_system,{ADMIN}')
        self.assertFalse(system.action_id)

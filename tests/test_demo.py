from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import convert_file

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

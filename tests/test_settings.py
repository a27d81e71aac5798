from odoo.tests import TransactionCase, tagged

from ..tools import electricity_product


@tagged('post_install', '-at_install')
class TestVendingSettings(TransactionCase):
    """Electricity Vending → Configuration → Settings: a section of Odoo's Settings, saved onto
    the company like every Odoo app's settings."""

    def settings(self, **vals):
        return self.env['res.config.settings'].create(vals)

    def test_settings_write_the_company(self):
        company = self.env.company
        self.settings(prepaid_suspicious_days=30, prepaid_suspicious_min_consumption=250.5,
                      prepaid_suspicious_max_vends=2, prepaid_suspicious_min_coverage=40).execute()
        self.env.flush_all()
        company.invalidate_recordset()
        self.assertEqual(company.prepaid_suspicious_days, 30)
        self.assertEqual(company.prepaid_suspicious_min_consumption, 250.5)
        self.assertEqual(company.prepaid_suspicious_max_vends, 2)
        self.assertEqual(company.prepaid_suspicious_min_coverage, 40)
        # the next settings form shows what was saved
        self.assertEqual(self.settings().prepaid_suspicious_days, 30)

    def test_income_mode_from_settings_moves_the_product_account(self):
        company = self.env.company
        self.assertTrue(company.chart_template, "the test database has a chart of accounts")
        self.settings(prepaid_income_mode='revenue').execute()
        self.env.flush_all()
        self.assertEqual(company.prepaid_income_mode, 'revenue')
        revenue = company.prepaid_revenue_account_id
        self.assertTrue(revenue)
        product = electricity_product(self.env).with_company(company)
        self.assertEqual(product.property_account_income_id, revenue)
        self.settings(prepaid_income_mode='liability').execute()
        self.assertEqual(product.property_account_income_id, company.prepaid_liability_account_id)

    def test_menu_opens_the_vending_section(self):
        menu = self.env.ref('prepaid_electricity.prepaid_config_settings_menu')
        self.assertEqual(menu.parent_id, self.env.ref('prepaid_electricity.prepaid_electricity_menu_settings'))
        action = menu.action
        self.assertEqual(action.res_model, 'res.config.settings')
        self.assertIn("'module': 'prepaid_electricity'", action.context)
        arch = self.env['res.config.settings'].get_views([(False, 'form')])['views']['form']['arch']
        self.assertIn('name="prepaid_electricity"', arch)
        self.assertIn('prepaid_suspicious_days', arch)
        # no second place for the same settings: the company form has no vending tab
        company_arch = self.env['res.company'].get_views([(False, 'form')])['views']['form']['arch']
        self.assertNotIn('prepaid_income_mode', company_arch)

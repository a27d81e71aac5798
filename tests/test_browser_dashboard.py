from decimal import Decimal

from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_account


@tagged('post_install', '-at_install', 'prepaid_http')
class TestDashboardUi(HttpCase):
    """In a real headless Chromium: a manager lands on the dashboard, sees today's figures and
    the trend chart, and a figure opens its list."""

    def test_manager_dashboard(self):
        new_test_user(self.env, login='tour_manager', password='tour_manager_pw', tz='UTC',
                      groups='base.group_user,prepaid_electricity.prepaid_electricity_group_manager')
        self.env['prepaid.vend'].search([]).write({'date': '2020-01-01 00:00:00', 'state': 'written'})  # demo sales
        account = make_account(self.env, '777778', '777000000002', customer='Dashboard Customer')
        account._vend('energy', Decimal('61'))
        self.start_tour('/odoo', 'prepaid_electricity_manager_dashboard', login='tour_manager')

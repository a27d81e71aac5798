from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_account


@tagged('post_install', '-at_install', 'prepaid_http')
class TestOperatorUi(HttpCase):
    """In a real headless Chromium: an operator logs in and reaches the vending menus."""

    def test_operator_sees_vending_menu(self):
        new_test_user(self.env, login='tour_operator', password='tour_operator_pw',
                      groups='base.group_user,prepaid_electricity.prepaid_electricity_group_operator')
        make_account(self.env, '777777', '777000000001', customer='Tour Customer')
        self.start_tour('/odoo', 'prepaid_electricity_operator_menu', login='tour_operator')

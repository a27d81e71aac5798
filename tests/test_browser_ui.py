from odoo.tests import HttpCase, new_test_user, tagged


@tagged('post_install', '-at_install', 'prepaid_http')
class TestOperatorUi(HttpCase):
    """In a real headless Chromium: an operator logs in and reaches the vending menus."""

    def test_operator_sees_vending_menu(self):
        new_test_user(self.env, login='tour_operator', password='tour_operator_pw',
                      groups='base.group_user,prepaid_electricity.prepaid_electricity_group_operator')
        station = self.env['prepaid.station'].create({'name': 'UI Station', 'code': '777777'})
        tariff = self.env['prepaid.tariff'].create({'name': 'UI Flat', 'price': 1.0})
        meter_type = self.env['prepaid.meter.type'].create({'name': 'UI type'})
        meter = self.env['prepaid.meter'].create({'number': '777000000001', 'meter_type_id': meter_type.id})
        self.env['prepaid.account'].create({
            'partner_id': self.env['res.partner'].create({'name': 'Tour Customer'}).id,
            'meter_id': meter.id, 'tariff_id': tariff.id, 'station_id': station.id})
        self.start_tour('/odoo', 'prepaid_electricity_operator_menu', login='tour_operator')

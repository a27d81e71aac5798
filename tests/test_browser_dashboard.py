import datetime
from decimal import Decimal

from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_account


@tagged('post_install', '-at_install', 'prepaid_http')
class TestDashboardUi(HttpCase):
    """In a real headless Chromium: a manager lands on the dashboard, sees today's figures and
    the trend chart, and a figure opens its list; with remote meters, their section too."""

    def test_manager_dashboard(self):
        new_test_user(self.env, login='tour_manager', password='tour_manager_pw', tz='UTC',
                      groups='base.group_user,prepaid_electricity.prepaid_electricity_group_manager')
        self.env['prepaid.vend'].search([]).write({'date': '2020-01-01 00:00:00', 'state': 'written'})  # demo sales
        account = make_account(self.env, '777778', '777000000002', customer='Dashboard Customer')
        account._vend('energy', Decimal('61'))
        self.remote_meters(account)
        self.start_tour('/odoo', 'prepaid_electricity_manager_dashboard', login='tour_manager')

    def remote_meters(self, account):
        """Two remote meters as the head-end would have left them: 801 online and tripped below
        the overdraft limit (-3.00), billed 12.50 kWh (10.00) today; 802 offline behind an
        offline concentrator, on keep-power, below alarm threshold 1 (15.00)."""
        env = self.env
        meter_type = env['prepaid.meter.type'].create({'name': 'Tour remote', 'delivery': 'remote',
                                                       'credit_unit': 'money'})
        up, down = env['prepaid.concentrator'].create([{'asset_number': '17000901', 'name': 'Tour 1',
                                                        'is_online': True},
                                                       {'asset_number': '17000902', 'name': 'Tour 2'}])
        tripped, kept = env['prepaid.meter'].create([
            {'number': '170009010001', 'meter_type_id': meter_type.id, 'concentrator_id': up.id, 'room': '801',
             'is_online': True, 'relay_state': 'open'},
            {'number': '170009020001', 'meter_type_id': meter_type.id, 'concentrator_id': down.id, 'room': '802',
             'relay_state': 'closed', 'keep_power': True},
        ])
        accounts = env['prepaid.account'].create([
            {'partner_id': env['res.partner'].create({'name': f'Tenant {meter.room}'}).id, 'meter_id': meter.id,
             'tariff_id': account.tariff_id.id, 'station_id': account.station_id.id}
            for meter in (tripped, kept)])
        accounts[0].money_balance, accounts[1].money_balance = -3.0, 15.0
        env['prepaid.meter.bill'].create({
            'meter_id': tripped.id, 'account_id': accounts[0].id, 'company_id': env.company.id,
            'day': datetime.datetime.now(datetime.UTC).date(), 'energy': 12.5, 'amount': 10.0,
            'balance_before': 7.0, 'balance_after': -3.0})

from decimal import Decimal

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import PrepaidCommon


@tagged('post_install', '-at_install')
class TestRoles(PrepaidCommon):
    """The access matrix: operators sell, managers run the commercial settings and the
    sensitive operations, administrators own the stations."""

    def test_operator_cannot_change_manager_settings(self):
        for model, vals in [('prepaid.tariff', {'name': 'Cheap', 'price': 0.1}),
                            ('prepaid.area', {'name': 'Z'}),
                            ('prepaid.template', {'name': 'T', 'station_id': self.station.id,
                                                  'meter_type_id': self.meter_type.id,
                                                  'tariff_id': self.tariff.id})]:
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.operator).create(vals)
        with self.assertRaises(AccessError):
            self.tariff.with_user(self.operator).write({'price': 0.01})
        self.assertEqual(self.tariff.price, 2.0)

    def test_operator_sells_but_cannot_refund_or_deactivate(self):
        account = self.open_account()
        self.assertEqual(account.create_uid, self.operator)
        with self.assertRaises(AccessError):
            self.env['prepaid.account.refund'].with_user(self.operator).create({'account_id': account.id})
        with self.assertRaises(AccessError):
            account.with_user(self.operator).action_deactivate()
        with self.assertRaises(AccessError):
            self.env['prepaid.meter.replace'].with_user(self.operator).create({
                'account_id': account.id, 'new_meter_number': '1', 'new_meter_type_id': self.meter_type.id})
        self.assertEqual(account.state, 'active')

    def test_manager_cannot_change_administrator_settings(self):
        tariff = self.env['prepaid.tariff'].with_user(self.manager).create({'name': 'Night', 'price': 0.3})
        self.assertEqual(tariff.price, 0.3)
        with self.assertRaises(AccessError):
            self.station.with_user(self.manager).write({'preset_energy': 0})
        with self.assertRaises(AccessError):
            self.env['prepaid.station'].with_user(self.manager).create({'name': 'Rogue', 'code': '999999'})
        self.assertEqual(self.station.preset_energy, 20)
        self.station.with_user(self.admin).write({'preset_energy': 10})
        self.assertEqual(self.station.preset_energy, 10)

    def test_nobody_deletes_accounts_or_vends(self):
        account = self.open_account()
        with self.assertRaises(AccessError):
            account.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            account.vend_ids.with_user(self.manager).unlink()

    def test_roles_imply_each_other_and_pos_rights(self):
        self.assertTrue(self.operator.has_group('point_of_sale.group_pos_user'))
        self.assertTrue(self.manager.has_group('prepaid_electricity.prepaid_electricity_group_operator'))
        self.assertTrue(self.manager.has_group('account.group_account_readonly'))
        self.assertTrue(self.admin.has_group('prepaid_electricity.prepaid_electricity_group_manager'))
        self.assertFalse(self.operator.has_group('prepaid_electricity.prepaid_electricity_group_manager'))

    def test_a_vend_belongs_to_its_accounts_company(self):
        """A user working in another company who sells to this company's customer makes the
        vend in the customer's company, once per request."""
        account = self.open_account()
        self.insert_card(account)
        other = self.env['res.company'].create({'name': 'Other Utility'})
        both = account.with_context(allowed_company_ids=[other.id, self.env.company.id])
        self.assertEqual(both.env.company, other)
        vend = both._vend('energy', Decimal('10'), client_request_id='two-companies')
        self.assertEqual(vend.company_id, account.company_id)
        self.assertEqual(both._vend('energy', Decimal('10'), client_request_id='two-companies'), vend)
        self.assertEqual(len(account.vend_ids), 2)

    def test_other_company_sees_nothing(self):
        account = self.open_account()
        other = self.env['res.company'].create({'name': 'Other Utility'})
        stranger = new_test_user(self.env, login='pe_other', company_id=other.id, company_ids=[other.id],
                                 groups='base.group_user,prepaid_electricity.prepaid_electricity_group_admin')
        Account = self.env['prepaid.account'].with_user(stranger)
        self.assertFalse(Account.search([('id', '=', account.id)]))
        with self.assertRaises(AccessError):
            account.with_user(stranger).read(['number'])

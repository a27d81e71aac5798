from decimal import Decimal

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL


@tagged('post_install', '-at_install')
class TestVendConcurrency(TransactionCase):
    """Two stations sell to one customer at the same instant: exactly one vend succeeds,
    the other gets a clear error. Needs committed data and two real cursors."""

    def _committed_account(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            station = env['prepaid.station'].create({'name': 'Race', 'code': '424242'})
            tariff = env['prepaid.tariff'].create({'name': 'Race 2.0', 'price': 2.0})
            meter_type = env['prepaid.meter.type'].create({'name': 'Race type'})
            meter = env['prepaid.meter'].create({'number': '424200000001', 'meter_type_id': meter_type.id})
            account = env['prepaid.account'].create({
                'partner_id': env['res.partner'].create({'name': 'Race Customer'}).id,
                'meter_id': meter.id, 'tariff_id': tariff.id, 'station_id': station.id})
            ids = {'station': station.id, 'tariff': tariff.id, 'type': meter_type.id, 'meter': meter.id,
                   'account': account.id, 'partner': account.partner_id.id}
            cr.commit()  # pylint: disable=invalid-commit  # two other cursors must see the fixtures
        self.addCleanup(self._purge, ids)
        return ids

    def _purge(self, ids):
        # Vends and accounts are never deleted by the application: this test removes its own
        # committed fixtures directly.
        with self.registry.cursor() as cr:
            for query in [
                SQL("DELETE FROM prepaid_vend WHERE account_id = %s", ids['account']),
                SQL("DELETE FROM prepaid_operation WHERE account_id = %s", ids['account']),
                SQL("UPDATE prepaid_meter SET account_id = NULL WHERE id = %s", ids['meter']),
                SQL("DELETE FROM prepaid_account WHERE id = %s", ids['account']),
                SQL("DELETE FROM prepaid_meter WHERE id = %s", ids['meter']),
                SQL("DELETE FROM prepaid_meter_type WHERE id = %s", ids['type']),
                SQL("DELETE FROM prepaid_tariff WHERE id = %s", ids['tariff']),
                SQL("DELETE FROM prepaid_station WHERE id = %s", ids['station']),
                SQL("DELETE FROM res_partner WHERE id = %s", ids['partner']),
            ]:
                cr.execute(query)
            cr.commit()  # pylint: disable=invalid-commit  # removes the committed fixtures

    def test_two_cursors_one_vend(self):
        ids = self._committed_account()
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            account1 = api.Environment(cr1, SUPERUSER_ID, {})['prepaid.account'].browse(ids['account'])
            account2 = api.Environment(cr2, SUPERUSER_ID, {})['prepaid.account'].browse(ids['account'])
            _ = account1.purchase_sequence, account2.purchase_sequence  # both read the same state
            vend = account1._vend('energy', Decimal('61'))
            with self.assertRaisesRegex(UserError, 'being served'):
                account2._vend('energy', Decimal('61'))
            cr1.commit()
            # The second station's request is retried on a fresh transaction (as Odoo retries a
            # request after a concurrency error): it now sees the credit on the card.
            cr2.rollback()
            account2.invalidate_recordset()
            with self.assertRaisesRegex(UserError, 'still'):
                account2._vend('energy', Decimal('61'))
            cr2.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env['prepaid.account'].browse(ids['account'])
            self.assertEqual(account.vend_ids.ids, [vend.id])
            self.assertEqual(account.purchase_sequence, 1)
            self.assertEqual(account.vend_ids.amount_due, 122.0)

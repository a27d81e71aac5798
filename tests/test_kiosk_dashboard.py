"""The dashboard's kiosk health: online, last sale, cash in the cassette, paper, faults, held
cash; each kiosk opens its purchases."""
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .kiosk_common import KioskCommon


@tagged('post_install', '-at_install')
class TestKioskDashboard(KioskCommon):

    def kiosk_row(self, user=None):
        data = self.env['prepaid.dashboard'].with_user(user or self.manager).get_data()
        return next(row for row in data['kiosks'] if row['id'] == self.kiosk.id)

    def test_kiosk_health(self):
        self.put_card_in_reader()
        self.kiosk._kiosk_start('d-1', 'cash', 'money', 100)
        transaction = self.Transaction.search([('kiosk_tid', '=', 'd-1')])
        self.run_jobs()
        self.insert_notes(transaction, '50.00', '20.00')
        transaction._on_cash_event(transaction.job_id, 'fault', {'code': 'jam'})
        self.kiosk._kiosk_buy('d-1')
        self.end_cash_job(transaction)
        self.bridge.write({'devices': {'acceptor': {'state': 'ok'}, 'printer': {'state': 'paper_low'}},
                           'last_contact': fields.Datetime.now()})
        row = self.kiosk_row()
        self.assertEqual(row['cash'], 70.0)
        self.assertTrue(row['online'])
        self.assertTrue(row['last_sale'])
        self.assertEqual(row['paper'], 'paper low')
        self.assertEqual(row['faults'], ['Bill acceptor: jammed', 'Receipt printer: paper low'])
        self.assertEqual(row['held'], 0)
        self.assertIsNone(self.kiosk_row(self.operator)['cash'], "money figures are the managers'")
        self.bridge.last_contact = fields.Datetime.now() - timedelta(minutes=10)
        self.assertFalse(self.kiosk_row()['online'])
        action = self.env['prepaid.dashboard'].with_user(self.manager).action_open('kiosk', self.kiosk.id)
        self.assertEqual(self.env['prepaid.kiosk.transaction'].search(action['domain']), transaction)

    def test_the_dashboard_reads_only(self):
        """The dashboard is marked read-only, so that it runs on the read replica: in a read-only
        transaction it works; the vending calls are never marked so."""
        Dashboard = self.env['prepaid.dashboard'].with_user(self.manager)
        self.assertTrue(getattr(type(Dashboard).get_data, '_readonly', False))
        for model, method in (('prepaid.account', '_vend'), ('prepaid.account', 'action_top_up_request'),
                              ('pos.order', 'sync_from_ui'), ('pos.config', '_kiosk_state')):
            self.assertFalse(getattr(getattr(type(self.env[model]), method), '_readonly', False))
        self.env.flush_all()
        with self.env.cr.savepoint(flush=False):
            self.env.cr.execute("SET LOCAL transaction_read_only = on")
            data = Dashboard.get_data()
        self.assertEqual(data['kiosks'][0]['name'], 'Kiosk 1')

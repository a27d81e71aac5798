import datetime as dt

from odoo.exceptions import UserError
from odoo.tests import tagged

from .remote_common import RemoteCommon, freeze

DAY = dt.date(2026, 11, 1)


def day(n):
    return DAY + dt.timedelta(days=n)


@tagged('post_install', '-at_install')
class TestRemoteBilling(RemoteCommon):
    """Each day's frozen readings billed once by time of use against the money balance."""

    def setUp(self):
        super().setUp()
        self.top_up('100.00')

    def bills(self):
        return self.env['prepaid.meter.bill'].search([('account_id', '=', self.account.id)], order='day, id')

    def test_first_reading_bills_from_the_start_reading_at_the_flat_price(self):
        self.report(daily=[freeze(day(0), '112.50', '1.00', '5.00', '4.00', '2.50')])
        bill = self.bills()
        self.assertEqual(len(bill), 1)
        # 12.50 kWh above the start reading 100, bands unknown at the start: flat 0.80
        self.assertEqual((bill.energy, bill.amount, bill.balance_after), (12.5, 10.0, 90.0))
        self.assertEqual(self.account.money_balance, 90.0)
        self.assertEqual(self.meter.billed_day, day(0))

    def test_time_of_use_day_is_each_band_times_its_price_rounded_once(self):
        self.report(daily=[freeze(day(0), '112.50', '1.00', '5.00', '4.00', '2.50')])
        # deltas: sharp 0.33, peak 2.01, flat 1.11, valley 3.03 = 6.48 kWh
        self.report(daily=[freeze(day(1), '118.98', '1.33', '7.01', '5.11', '5.53')])
        bill = self.bills()[-1]
        self.assertEqual((bill.energy_sharp, bill.energy_peak, bill.energy_flat, bill.energy_valley),
                         (0.33, 2.01, 1.11, 3.03))
        # 0.396 + 2.01 + 0.888 + 1.212 = 4.506 -> 4.51 (one rounding, half up)
        self.assertEqual(bill.amount, 4.51)
        self.assertEqual(self.account.money_balance, 90.0 - 4.51)
        self.assertEqual((bill.price_sharp, bill.price_peak, bill.price_flat, bill.price_valley), (1.2, 1.0, 0.8, 0.4))
        self.assertEqual(bill.reading_id.bill_id, bill)

    def test_a_day_billed_twice_is_billed_once(self):
        reading = freeze(day(0), '110.00', flat='10.00')
        self.report(daily=[reading])
        self.report(daily=[reading, reading])
        self.assertEqual(len(self.bills()), 1)
        self.assertEqual(self.env['prepaid.meter.reading'].search_count([('meter_id', '=', self.meter.id)]), 1)
        self.assertEqual(self.account.money_balance, 92.0)

    def test_missed_days_arrive_out_of_order_and_are_billed_in_order(self):
        self.report(daily=[freeze(day(0), '110.00', flat='10.00')])
        self.report(daily=[freeze(day(3), '140.00', flat='40.00'), freeze(day(1), '120.00', flat='20.00'),
                           freeze(day(2), '125.00', flat='25.00')])
        self.assertEqual(self.bills().mapped('day'), [day(0), day(1), day(2), day(3)])
        self.assertEqual(self.bills().mapped('amount'), [8.0, 8.0, 4.0, 12.0])
        # a day older than the last one taken in arrives late: kept, never billed again
        self.report(daily=[freeze(day(-1), '105.00', flat='5.00')])
        late = self.env['prepaid.meter.reading'].search([('day', '=', day(-1))])
        self.assertFalse(late.bill_id)
        self.assertEqual(late.billing_state, 'already_billed')
        self.assertEqual(self.account.money_balance, 100 - 32)

    def test_replaced_meter_bills_nothing_and_rollover_bills_the_wrap(self):
        self.report(daily=[freeze(day(0), '999990.00', flat='999990.00')])
        self.report(daily=[freeze(day(1), '5.00', flat='5.00')])    # rollover: 15 kWh
        self.assertEqual(self.bills()[-1].energy, 15.0)
        self.assertEqual(self.bills()[-1].amount, 12.0)
        self.report(daily=[freeze(day(2), '0.50', flat='0.50')])    # went back: reset or replaced
        bill = self.bills()[-1]
        self.assertEqual((bill.energy, bill.amount), (0.0, 0.0))
        self.assertIn('reset', bill.note)
        self.report(daily=[freeze(day(3), '2.50', flat='2.50')])    # billed from the new base
        self.assertEqual(self.bills()[-1].amount, 1.6)

    def test_meter_without_tenant_takes_readings_as_its_base(self):
        self.account.with_user(self.manager).action_deactivate()
        self.report(daily=[freeze(day(0), '150.00', flat='50.00')])
        self.assertFalse(self.bills())
        self.assertEqual(self.meter.billed_total, 150.0)

    def test_consumption_moves_liability_to_revenue_and_reconciles(self):
        cron = self.env.ref('prepaid_electricity.ir_cron_post_consumption')
        triggers = self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)])
        self.report(daily=[freeze(day(0), '110.00', flat='10.00'), freeze(day(1), '112.00', flat='12.00')])
        self.report(daily=[freeze(day(1), '112.00', flat='12.00')])     # read again: nothing new
        self.report(daily=[freeze(day(2), '127.00', peak='5.00', flat='22.00')])
        # billing asks the ledger's cron to run (at once), and leaves the entries to it
        self.assertEqual(self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)]), triggers + 2)
        bills = self.bills()
        self.assertFalse(bills.move_id)
        Report = self.env['prepaid.reconciliation.report']
        self.env.flush_all()
        self.assertEqual(Report.search([('source', '=', 'consumption'), ('date', '=', day(2))]).difference, 13.0)
        self.assertEqual(cron.code, 'model._post_consumption()')
        self.env['prepaid.meter.bill']._post_consumption()       # what the cron runs
        bills.invalidate_recordset()
        self.assertEqual(len(bills.move_id), 3)     # one entry a day
        bills = bills.filtered(lambda bill: bill.day != day(1))
        company = self.env.company
        liability, revenue = company.prepaid_liability_account_id, company._prepaid_revenue_account()
        lines = bills.move_id.line_ids
        self.assertEqual(sum(lines.filtered(lambda line: line.account_id == liability).mapped('debit')), 8.0 + 13.0)
        self.assertEqual(sum(lines.filtered(lambda line: line.account_id == revenue).mapped('credit')), 8.0 + 13.0)
        self.assertEqual(bills.move_id.mapped('state'), ['posted', 'posted'])
        self.assertEqual(self.reconciliation_differences(), {})
        # the reconciliation notices a consumption entry that does not match its bills
        bills[0].move_id.button_draft()
        self.assertIn(('consumption', str(day(0))), self.reconciliation_differences())
        # late bills of a posted day get an entry of their own at the next run
        self.assertFalse(self.env['prepaid.meter.bill']._post_consumption())

    def test_card_sale_refused_for_remote_and_top_up_for_card_accounts(self):
        with self.assertRaises(UserError):
            self.account._quote('money', 10)
        card_type = self.env['prepaid.meter.type'].create({'name': 'IC card meter'})
        card_meter = self.env['prepaid.meter'].create({'number': '555', 'meter_type_id': card_type.id})
        card_account = self.env['prepaid.account'].create({
            'partner_id': self.partner.id, 'meter_id': card_meter.id, 'tariff_id': self.tariff.id,
            'station_id': self.station.id})
        with self.assertRaises(UserError):
            self.top_up('10', account=card_account)
        with self.assertRaises(UserError):
            self.top_up('0')
        with self.assertRaises(UserError):
            self.top_up('1.005')

    def test_top_up_is_a_vend_with_its_payment_and_idempotent(self):
        vend = self.account.with_user(self.operator)._top_up(50, self.journal, client_request_id='t-1')
        again = self.account.with_user(self.operator)._top_up(50, self.journal, client_request_id='t-1')
        self.assertEqual(vend, again)
        self.assertEqual((vend.kind, vend.state, vend.amount_due, vend.balance_before, vend.balance_after),
                         ('topup', 'credited', 50.0, 100.0, 150.0))
        self.assertEqual(vend.payment_id.amount, 50.0)
        self.assertEqual(vend.payment_id.journal_id, self.journal)
        self.assertEqual(self.account.money_balance, 150.0)
        self.assertEqual(self.reconciliation_differences(), {})

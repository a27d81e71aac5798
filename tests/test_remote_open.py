import datetime as dt
from decimal import Decimal

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .remote_common import METER, SHANGHAI, RemoteCommon, current, freeze

DAY = dt.date(2026, 11, 1)
NEW_METER = '170004050009'


@tagged('post_install', '-at_install')
class TestRemoteOpen(RemoteCommon):
    """Opening an account on a remote meter (move-in, 入住) with the open-account wizard: no card
    and no purchase, the remote settings, an optional first top-up; on a meter released by a
    move-out, the new tenant is billed from the move-out reading."""

    def open_account(self, meter_number, **vals):
        wizard = self.env['prepaid.account.open'].with_user(self.operator).create({
            'partner_id': self.new_partner.id, 'station_id': self.station.id, 'meter_number': meter_number,
            'tariff_id': self.tariff.id, **vals})
        action = wizard.action_open_account()
        self.env.flush_all()
        return wizard, self.env['prepaid.account'].browse(action['res_id'])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.new_partner = cls.env['res.partner'].create({'name': 'Tenant Zhou', 'phone': '13900000077'})

    def bills(self, account):
        return self.env['prepaid.meter.bill'].search([('account_id', '=', account.id)], order='day, id')

    def test_open_remote_account_without_top_up(self):
        """A new remote meter: registered with its concentrator settings, the account opened with
        its balance settings; no card, no vend, a zero balance."""
        _wizard, account = self.open_account(
            NEW_METER, meter_type_id=self.meter_type.id, concentrator_id=self.concentrator.id, rs485_port=5,
            baud='4800', parity='odd', room='201', start_reading=50.0, auto_trip=False, alarm_threshold_1=30.0,
            alarm_threshold_2=15.0, overdraft_limit=5.0, settlement_method='bank')
        self.assertRecordValues(account, [{
            'partner_id': self.new_partner.id, 'state': 'active', 'delivery': 'remote', 'money_balance': 0.0,
            'alarm_threshold_1': 30.0, 'alarm_threshold_2': 15.0, 'overdraft_limit': 5.0,
            'settlement_method': 'bank', 'card_id': False, 'purchase_sequence': 0,
        }])
        self.assertRecordValues(account.meter_id, [{
            'number': NEW_METER, 'meter_type_id': self.meter_type.id, 'concentrator_id': self.concentrator.id,
            'rs485_port': 5, 'baud': '4800', 'parity': 'odd', 'room': '201', 'start_reading': 50.0,
            'auto_trip': False, 'state': 'installed', 'account_id': account.id,
        }])
        self.assertFalse(account.vend_ids)
        self.assertEqual(account.operation_ids.mapped('kind'), ['open'])

    def test_open_remote_account_with_a_first_top_up(self):
        wizard, account = self.open_account(NEW_METER, meter_type_id=self.meter_type.id,
                                            concentrator_id=self.concentrator.id, top_up_amount=80.0,
                                            journal_id=self.journal.id)
        self.assertEqual((wizard.quote_error, wizard.rs485_port, wizard.baud, wizard.parity),
                         (False, 2, '2400', 'even'))
        self.assertRecordValues(account.vend_ids, [{'kind': 'topup', 'amount_paid': 80.0, 'balance_after': 80.0}])
        self.assertEqual(account.vend_ids.payment_id.journal_id, self.journal)
        self.assertEqual(account.money_balance, 80.0)
        self.assertEqual(self.reconciliation_differences(), {})

    def test_remote_account_needs_its_concentrator(self):
        with self.assertRaises(UserError):
            self.open_account(NEW_METER, meter_type_id=self.meter_type.id)

    def move_out_at(self, total):
        """The first tenant uses the meter (day 0 billed from the start reading 100), then moves
        out at the reading `total` taken on day 1 at noon."""
        self.top_up('100.00')
        self.report(daily=[freeze(DAY, '110.00', flat='10.00')])
        noon = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(12), SHANGHAI)
        self.report(current=[current(total, flat=str(Decimal(total) - 100), at=noon)])
        self.account.with_user(self.manager)._move_out(self.journal)
        self.env.flush_all()
        self.assertEqual((self.meter.state, self.meter.billed_total), ('available', float(total)))

    def test_move_in_after_move_out_bills_from_the_move_out_reading(self):
        """The wizard takes the released meter as it stands (type, concentrator, start reading): the
        start reading is not written again, and the new tenant's first bill starts from the
        move-out reading, not from the start reading."""
        self.move_out_at('120.00')
        wizard, account = self.open_account(METER, top_up_amount=50.0, journal_id=self.journal.id)
        self.assertEqual(wizard.existing_meter_id, self.meter)
        self.assertEqual((wizard.meter_type_id, wizard.concentrator_id, wizard.start_reading, wizard.room),
                         (self.meter_type, self.concentrator, 100.0, '101'))
        self.assertEqual(account.meter_id, self.meter)
        self.assertRecordValues(self.meter, [{'start_reading': 100.0, 'start_reading_passed': True,
                                              'billed_total': 120.0, 'account_id': account.id}])
        self.report(daily=[freeze(DAY + dt.timedelta(days=1), '125.00', flat='25.00')])
        bill = self.bills(account)
        self.assertRecordValues(bill, [{'from_total': 120.0, 'to_total': 125.0, 'energy': 5.0, 'amount': 4.0,
                                        'balance_before': 50.0, 'balance_after': 46.0}])
        self.assertEqual(account.money_balance, 46.0)
        self.assertEqual(self.bills(self.account).mapped('to_total'), [110.0, 120.0])

    def test_move_in_with_a_changed_start_reading(self):
        """A start reading the user changes is written: billing starts above it."""
        self.move_out_at('120.00')
        _wizard, account = self.open_account(METER, start_reading=123.0)
        self.assertRecordValues(self.meter, [{'start_reading': 123.0, 'start_reading_passed': False}])
        self.top_up('10.00', account=account)
        self.report(daily=[freeze(DAY + dt.timedelta(days=1), '125.00', flat='25.00')])
        bill = self.bills(account)
        self.assertRecordValues(bill, [{'energy': 2.0, 'amount': 1.6}])

    def test_move_in_through_the_form(self):
        """Entering the released meter's number in the form fills in its type and remote settings
        and hides the card purchase; the account opens without a purchase."""
        self.move_out_at('120.00')
        form = Form(self.env['prepaid.account.open'].with_user(self.operator))
        form.partner_id = self.new_partner
        form.station_id = self.station
        form.tariff_id = self.tariff
        form.meter_number = METER
        self.assertEqual((form.delivery, form.meter_type_id, form.concentrator_id, form.room, form.start_reading),
                         ('remote', self.meter_type, self.concentrator, '101', 100.0))
        form.alarm_threshold_1 = 40
        form.top_up_amount = 30
        wizard = form.save()
        account = self.env['prepaid.account'].browse(wizard.action_open_account()['res_id'])
        self.assertRecordValues(account, [{'meter_id': self.meter.id, 'alarm_threshold_1': 40.0,
                                           'money_balance': 30.0}])
        self.assertTrue(self.meter.start_reading_passed)

import datetime as dt
from decimal import Decimal

import pytz

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from head_end.backend import MeterStatus, Work

from .remote_common import ASSET, METER, RemoteCommon, current, freeze, log, online, relay


@tagged('post_install', '-at_install')
class TestHeadEndWork(RemoteCommon):
    """What the server gives the head-end to do, and what it takes from its reports."""

    def today(self):
        return dt.datetime.now(pytz.timezone('Asia/Shanghai')).date()

    def test_work_is_valid_and_asks_what_each_meter_misses(self):
        work = self.head_end._head_end_work()
        Work.from_json(work)    # the head-end's own check of what it is given
        [concentrator] = work['concentrators']
        self.assertEqual((concentrator['asset'], concentrator['protocol']), (ASSET, 'gdw1376'))
        self.assertEqual(concentrator['meters'], [{'address': METER, 'port': 2, 'baud': 2400, 'parity': 'even'}])
        reads = {(r['meter'], r['kind']): r['days'] for r in work['reads']}
        # never read: yesterday's freeze, and the relay state
        self.assertEqual(reads, {(METER, 'daily'): [1], (METER, 'relay'): []})
        # asked a moment ago: not again at the next poll
        self.assertNotIn((METER, 'daily'), {(r['meter'], r['kind']) for r in self.head_end._head_end_work()['reads']})

    def test_days_missed_during_an_outage_are_asked_back_up_to_62(self):
        self.report(daily=[freeze(self.today() - dt.timedelta(days=4), '120.00')], relays=[relay('closed')])
        self.meter.daily_asked_at = False
        [read] = self.head_end._head_end_work()['reads']
        self.assertEqual(read, {'meter': METER, 'kind': 'daily', 'days': [3, 2, 1]})
        self.meter.write({'billed_day': self.today() - dt.timedelta(days=100), 'daily_asked_at': False})
        [read] = self.head_end._head_end_work()['reads']
        self.assertEqual(read['days'], list(range(62, 0, -1)))
        self.meter.write({'billed_day': self.today() - dt.timedelta(days=1), 'daily_asked_at': False})
        self.assertFalse(self.head_end._head_end_work()['reads'])

    def test_read_now_asks_the_current_registers_once(self):
        self.report(daily=[freeze(self.today() - dt.timedelta(days=1), '120.00')], relays=[relay('closed')])
        self.meter.action_read_now()
        kinds = {r['kind'] for r in self.head_end._head_end_work()['reads']}
        self.assertEqual(kinds, {'current', 'relay'})
        self.report(current=[current('123.45', flat='23.45')], relays=[relay('closed')])
        self.assertEqual((self.meter.current_total, self.meter.wants_current_read), (123.45, False))
        self.assertFalse(self.head_end._head_end_work()['reads'])

    def test_a_head_end_serves_its_own_and_the_unassigned_concentrators_only(self):
        other = self.env['prepaid.card.bridge'].create({'name': 'Other head-end', 'service': 'head_end'})
        self.concentrator.head_end_id = other
        self.assertFalse(self.head_end._head_end_work()['concentrators'])
        self.assertEqual(len(other._head_end_work()['concentrators']), 1)

    def test_online_states_and_the_collection_log(self):
        self.report(concentrators=[online()], meters=[MeterStatus(address=METER, online=True,
                                                                  at=dt.datetime.now(dt.UTC))],
                    log=[log('daily', 'ok', detail='day 2026-11-30 (1 back)'), log('relay', 'no_answer'),
                         log('daily', 'ok', meter='999999999999')])
        self.assertTrue(self.concentrator.is_online)
        self.assertEqual(self.concentrator.peer, '127.0.0.1:50000')
        self.assertTrue(self.meter.is_online)
        entries = self.env['prepaid.collection.log'].search([('concentrator_asset', '=', ASSET)])
        self.assertEqual(sorted(entries.mapped('result')), ['no_answer', 'ok', 'ok'])
        # an address the server does not know is logged, not refused
        self.assertEqual(entries.filtered(lambda e: e.meter_address == '999999999999').meter_id.id, False)
        self.report(concentrators=[online(is_online=False)])
        self.assertFalse(self.concentrator.is_online)

    def test_a_report_that_is_not_one_is_refused_whole(self):
        with self.assertRaises(ValueError):
            self.head_end._head_end_report({'daily': [{'meter': METER, 'day': 'yesterday'}]})
        self.assertFalse(self.env['prepaid.meter.reading'].search([('meter_id', '=', self.meter.id)]))


@tagged('post_install', '-at_install')
class TestMoveOut(RemoteCommon):
    """Move-out: bill to now, settle the balance (refund or collect), zero for the next tenant."""

    def setUp(self):
        super().setUp()
        self.top_up('50.00')
        self.report(daily=[freeze(dt.date(2026, 11, 1), '110.00', flat='10.00')])   # 10 kWh: 8.00
        self.moved_at = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)

    def move_out(self, user=None):
        operation = self.account.with_user(user or self.manager)._move_out(self.journal, 'keys returned')
        self.env.flush_all()
        return operation

    def test_estimate_then_refund_the_balance_and_release_the_meter(self):
        with self.assertRaises(UserError):      # not read yet
            self.account._move_out_estimate()
        with self.assertRaises(AccessError):    # a manager's operation, refused before anything else
            self.move_out(self.operator)
        self.report(current=[current('115.00', flat='15.00', at=self.moved_at)])
        estimate = self.account._move_out_estimate()
        self.assertEqual((estimate['bill']['energy'], estimate['bill']['amount']), (5.0, 4.0))
        self.assertEqual(estimate['balance_after'], Decimal('38.00'))
        with self.assertRaises(AccessError):
            self.move_out(self.operator)
        operation = self.move_out()
        self.assertEqual((operation.kind, operation.refund_amount), ('settle', 38.0))
        self.assertEqual((operation.payment_id.payment_type, operation.payment_id.amount), ('outbound', 38.0))
        move_out_bill = self.account.bill_ids.filtered(lambda b: b.kind == 'move_out')
        self.assertEqual((move_out_bill.energy, move_out_bill.amount), (5.0, 4.0))
        self.assertEqual((self.account.state, self.account.money_balance), ('deactivated', 0.0))
        self.assertEqual((self.meter.state, self.meter.account_id.id), ('available', False))
        self.assertEqual(self.reconciliation_differences(), {})

    def test_a_debt_is_collected(self):
        self.report(current=[current('180.00', flat='80.00', at=self.moved_at)])   # 70 kWh: 56.00
        operation = self.move_out()
        self.assertEqual(operation.refund_amount, -14.0)
        self.assertEqual((operation.payment_id.payment_type, operation.payment_id.amount), ('inbound', 14.0))
        self.assertEqual(self.reconciliation_differences(), {})

    def test_the_next_tenant_starts_from_the_move_out_reading(self):
        self.report(current=[current('115.00', flat='15.00', at=self.moved_at)])
        self.move_out()
        # the freeze of the move-out day, made that midnight: before the move-out for the old
        # tenant is already billed; the new tenant moves in, then pays only what follows
        tenant = self.env['res.partner'].create({'name': 'Tenant Li'})
        newcomer = self.env['prepaid.account'].create({
            'partner_id': tenant.id, 'meter_id': self.meter.id, 'tariff_id': self.tariff.id,
            'station_id': self.station.id})
        newcomer._top_up(Decimal('20'), self.journal)
        self.report(daily=[freeze(dt.date(2026, 11, 2), '117.00', flat='17.00')])
        [bill] = newcomer.bill_ids
        self.assertEqual((bill.from_total, bill.energy, bill.amount), (115.0, 2.0, 1.6))
        self.assertEqual(newcomer.money_balance, 18.4)

"""Top-up (充值) of a remote account at the Point of Sale: the vending screen's summary of a
remote account (balance, alarm and relay state, keep-power, thresholds, last bills), the
server's quote of a top-up, and the paid order that tops the balance up once, which closes a
meter the strategy tripped; the session posts it to the prepaid liability and the
reconciliation shows 0.00."""
import datetime as dt
from decimal import Decimal

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import OPERATOR, make_account
from .remote_common import Report, freeze, result

ASSET = '17000919'
METER = '170009190001'


def remote_account(env, meter_number=METER, customer='Tenant Zhou', concentrator=None, station=None, tariff=None):
    """A remote meter behind `concentrator` and its tenant's active account: flat price 1.00,
    alarms at 20 and 10, overdraft limit 5, billing from the start reading 100."""
    meter_type = env['prepaid.meter.type'].search([('name', '=', 'Remote (POS tests)')]) or \
        env['prepaid.meter.type'].create({'name': 'Remote (POS tests)', 'delivery': 'remote', 'credit_unit': 'money'})
    meter = env['prepaid.meter'].create({
        'number': meter_number, 'meter_type_id': meter_type.id, 'concentrator_id': concentrator.id,
        'rs485_port': 2, 'start_reading': 100.0})
    return env['prepaid.account'].create({
        'partner_id': env['res.partner'].create({'name': customer, 'phone': '13900000919'}).id,
        'meter_id': meter.id, 'tariff_id': tariff.id, 'station_id': station.id, 'overdraft_limit': 5.0})


@tagged('post_install', '-at_install')
class TestPosTopUp(TestPoSCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.sudo().group_ids = [Command.link(cls.env.ref(OPERATOR).id)]
        env = cls.env(su=True)   # fixtures are the administrator's
        cls.config = cls.basic_config
        cls.product = env.ref('prepaid_electricity.product_electricity').with_env(cls.env)
        env.company._prepaid_sync_product_account()
        cls.station = env['prepaid.station'].create({'name': 'Apartments', 'code': '919191'})
        cls.tariff = env['prepaid.tariff'].create({'name': 'Flat 1.00', 'kind': 'flat', 'price': 1.0})
        cls.head_end = env['prepaid.card.bridge'].create({'name': 'Head-end', 'service': 'head_end'})
        cls.head_end._pair(cls.head_end.pairing_code, 'he-pos', 'head_end')
        cls.concentrator = env['prepaid.concentrator'].create({'asset_number': ASSET, 'name': 'Building 9'})
        cls.account = remote_account(env, concentrator=cls.concentrator, station=cls.station, tariff=cls.tariff)
        cls.journal = cls.company_data['default_journal_cash']
        # 10.00 topped up in the backend, then 25 kWh billed: -15.00, below the overdraft limit
        # of 5: the strategy trips the meter, the meter confirms
        cls.yesterday = fields.Date.context_today(env['res.users']) - dt.timedelta(days=1)
        cls.account._top_up(Decimal('10'), cls.journal)
        cls.head_end._head_end_report(Report(daily=[
            freeze(cls.yesterday - dt.timedelta(days=1), '110.00', flat='10.00', meter=METER),
            freeze(cls.yesterday, '125.00', flat='25.00', meter=METER)]).to_json())
        trip = cls.strategy_commands('trip')
        trip._apply_result(result(trip, 'confirmed'))
        cls.account = cls.account.with_env(cls.env)
        cls.card_account = make_account(env, '929292', '929200000001', customer='Card Customer').with_env(cls.env)

    @classmethod
    def strategy_commands(cls, action):
        return cls.env['prepaid.meter.command'].sudo().search(
            [('meter_id', '=', cls.account.meter_id.id), ('action', '=', action), ('origin', '=', 'strategy')])

    def top_up_order(self, amount, price=None, uuid=None, **line_vals):
        price = amount if price is None else price
        return self.create_ui_order_data([{
            'product': self.product, 'quantity': 1, 'price_unit': price, 'price_subtotal': price,
            'price_subtotal_incl': price, 'prepaid_account_id': self.account.id, 'prepaid_method': 'money',
            'prepaid_quantity': amount, **line_vals}], uuid=uuid)

    def sync(self, data):
        result = self.env['pos.order'].sync_from_ui([data])
        self.env.flush_all()
        return result

    # ------------------------------------------------------------------ the screen's summary
    def test_fixture_the_strategy_tripped_the_meter(self):
        """Billed below the overdraft limit: tripped by the strategy, confirmed by the meter."""
        self.assertEqual(self.account.money_balance, -15.0)
        self.assertRecordValues(self.account.meter_id, [{'relay_state': 'open', 'tripped_by_strategy': True}])
        self.assertEqual(self.strategy_commands('trip').state, 'confirmed')

    def test_summary_of_a_remote_account(self):
        """A remote account: its balance, balance state and relay (labels), keep-power,
        thresholds, last bills, Top Up offered, and no card warning or button."""
        summary = self.config.prepaid_account_summary(self.account.id)
        self.assertEqual((summary['is_remote'], summary['can_top_up']), (True, True))
        self.assertEqual((summary['can_buy'], summary['can_issue_card'], summary['can_rewrite']), (False, False, False))
        remote = summary['remote']
        self.assertEqual({key: remote[key] for key in (
            'balance', 'alarm_state', 'alarm_state_label', 'relay_state', 'relay_state_label', 'is_tripped',
            'keep_power', 'alarm_threshold_1', 'alarm_threshold_2', 'overdraft_limit', 'pending_command')}, {
            'balance': -15.0, 'alarm_state': 'overdraft', 'alarm_state_label': 'Below the Overdraft Limit',
            'relay_state': 'open', 'relay_state_label': 'Tripped (power off)', 'is_tripped': True,
            'keep_power': False, 'alarm_threshold_1': 20.0, 'alarm_threshold_2': 10.0, 'overdraft_limit': 5.0,
            'pending_command': False})
        self.assertEqual(remote['bills'], [
            {'id': remote['bills'][0]['id'], 'day': str(self.yesterday), 'energy': 15.0, 'amount': 15.0,
             'balance_after': -15.0},
            {'id': remote['bills'][1]['id'], 'day': str(self.yesterday - dt.timedelta(days=1)), 'energy': 10.0,
             'amount': 10.0, 'balance_after': 0.0}])
        self.assertEqual(len(summary['warnings']), 1, summary['warnings'])
        self.assertIn('a top-up of at least 10.00', summary['warnings'][0])
        self.assertNotIn('card', ' '.join(summary['warnings']).lower())
        # a card account is not remote: no balance state, no Top Up
        card = self.config.prepaid_account_summary(self.card_account.id)
        self.assertEqual((card['is_remote'], card['can_top_up'], card['remote']), (False, False, False))

    def test_summary_says_a_command_is_on_its_way(self):
        self.account.meter_id.sudo()._send_command('close', 'by hand')
        summary = self.config.prepaid_account_summary(self.account.id)
        self.assertEqual(summary['remote']['pending_command']['action'], 'close')
        self.assertTrue(any('on its way' in warning for warning in summary['warnings']))

    def test_a_search_of_many_remote_accounts_costs_no_more_queries(self):
        """The bills and pending commands of remote accounts are read for all at once: four
        accounts found cost the queries of one."""
        env = self.env(su=True)
        accounts = self.env['prepaid.account']
        for index in range(4):
            account = remote_account(env, meter_number=f'17000919100{index}', customer=f'Tenant {index}',
                                     concentrator=self.concentrator, station=self.station, tariff=self.tariff)
            account._top_up(Decimal('50'), self.journal)
            accounts |= account
        self.head_end._head_end_report(Report(daily=[
            freeze(self.yesterday, f'{110 + index}.00', flat='10.00', meter=account.meter_id.number)
            for index, account in enumerate(accounts)]).to_json())

        def queries(query):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            found = self.config.prepaid_find_accounts(query)
            return self.env.cr.sql_log_count - before, found

        queries('170009191000')    # warm the caches of the user
        one, found = queries('170009191000')
        self.assertEqual([summary['id'] for summary in found], accounts[:1].ids)
        four, found = queries('17000919100')
        self.assertEqual(len(found), 4)
        for summary in found:
            index = accounts.ids.index(summary['id'])
            self.assertEqual([bill['amount'] for bill in summary['remote']['bills']], [10.0 + index])
        self.assertEqual(four, one)

    # ------------------------------------------------------------------ the quote
    def test_quote_of_a_top_up(self):
        """The amount and the balance after it; whether the meter will be closed by it."""
        quote = self.config.prepaid_quote_top_up(self.account.id, '50')
        self.assertEqual({key: quote[key] for key in ('method', 'quantity', 'amount_due', 'balance_before',
                                                      'balance_after', 'closes_meter', 'is_top_up')},
                         {'method': 'money', 'quantity': 50.0, 'amount_due': 50.0, 'balance_before': -15.0,
                          'balance_after': 35.0, 'closes_meter': True, 'is_top_up': True})
        # 9.99 leaves the balance below -5.00: the meter stays tripped
        self.assertFalse(self.config.prepaid_quote_top_up(self.account.id, 9.99)['closes_meter'])
        self.assertTrue(self.config.prepaid_quote_top_up(self.account.id, 10)['closes_meter'])

    def test_quote_refuses_what_the_top_up_would_refuse(self):
        """Above zero, in whole cents, a number, an active remote account: else the reason."""
        for amount in (0, -5, '1.005', 'abc', ''):
            with self.subTest(amount=amount):
                self.assertIn('error', self.config.prepaid_quote_top_up(self.account.id, amount))
        self.assertIn('whole cents', self.config.prepaid_quote_top_up(self.account.id, '1.005')['error'])
        self.assertIn('IC card meter', self.config.prepaid_quote_top_up(self.card_account.id, '10')['error'])
        self.account.sudo().state = 'deactivated'
        self.assertIn('Only an active account', self.config.prepaid_quote_top_up(self.account.id, '10')['error'])
        self.assertFalse(self.config.prepaid_account_summary(self.account.id)['can_top_up'])
        self.assertFalse(self.env['prepaid.vend'].search([('account_id', '=', self.account.id),
                                                         ('channel', '=', 'pos')]))

    def test_quote_checks_the_role(self):
        clerk = new_test_user(self.env, login='pe_top_up_clerk', groups='base.group_user,point_of_sale.group_pos_user')
        with self.assertRaises(AccessError):
            self.config.with_user(clerk).prepaid_quote_top_up(self.account.id, '50')

    # ------------------------------------------------------------------ the paid order
    def test_paid_order_tops_up_once_and_closes_the_tripped_meter(self):
        """The paid order's line makes one top-up vend (on the line, by the POS), raises the
        balance, queues no card write and, above the overdraft limit again, the strategy's
        close; a second sync changes nothing; the confirmed close closes the relay."""
        self.open_new_session()
        data = self.top_up_order(50.0)
        self.sync(data)
        line = self.env['pos.order'].search([('uuid', '=', data['uuid'])]).lines
        vend = line.prepaid_vend_id
        self.assertRecordValues(vend, [{
            'kind': 'topup', 'state': 'credited', 'method': 'money', 'channel': 'pos', 'amount_due': 50.0,
            'balance_before': -15.0, 'balance_after': 35.0, 'pos_order_line_id': line.id, 'payment_id': False}])
        self.assertEqual(self.account.money_balance, 35.0)
        self.assertEqual(line.order_id.partner_id, self.account.partner_id)
        self.assertFalse(self.env['prepaid.card.job'].sudo().search([('vend_id', '=', vend.id)]))
        close = self.strategy_commands('close')
        self.assertRecordValues(close, [{'state': 'queued', 'account_id': self.account.id}])
        result_data = self.sync(data)    # resent by the till: the same vend, no second top-up
        self.assertEqual([v['id'] for v in result_data['prepaid.vend']], vend.ids)
        self.assertEqual(result_data['prepaid.vend'][0]['kind'], 'topup')
        self.assertEqual(self.env['prepaid.vend'].search_count([('pos_order_line_id', '=', line.id)]), 1)
        self.assertEqual(self.account.money_balance, 35.0)
        self.assertEqual(self.strategy_commands('close'), close)
        close._apply_result(result(close, 'confirmed'))
        self.assertRecordValues(self.account.meter_id, [{'relay_state': 'closed', 'tripped_by_strategy': False}])

    def test_a_top_up_priced_below_its_amount_is_refused(self):
        """A line that asks 40.00 for a 50.00 top-up (or one by energy) is refused, nothing written."""
        self.open_new_session()
        for data, message in ((self.top_up_order(50.0, price=40.0), 'quote it again'),
                              (self.top_up_order(50.0, prepaid_method='energy'), 'by money')):
            with self.subTest(message=message):
                with self.assertRaisesRegex(UserError, message), self.env.cr.savepoint():
                    self.sync(data)
                self.env.invalidate_all()
                self.assertFalse(self.env['pos.order'].search([('uuid', '=', data['uuid'])]))
                self.assertEqual(self.account.money_balance, -15.0)
                self.assertFalse(self.strategy_commands('close'))

    def test_session_closing_posts_the_top_up_and_reconciles(self):
        """The session posts the top-up to the prepaid liability: its reconciliation row shows
        top-ups = payments = postings, a difference of 0.00, and no other row differs."""
        self.open_new_session()
        self.sync(self.top_up_order(50.0))
        self.pos_session.action_pos_session_validate()
        self.assertEqual(self.pos_session.state, 'closed')
        self.env['prepaid.meter.bill']._post_consumption()    # the ledger's cron, for the fixture's bills
        self.env.flush_all()
        self.env.invalidate_all()
        Report_ = self.env['prepaid.reconciliation.report'].sudo()
        row = Report_.search([('pos_session_id', '=', self.pos_session.id)])
        self.assertRecordValues(row, [{'vend_amount': 50.0, 'payment_amount': 50.0, 'posted_amount': 50.0,
                                       'difference': 0.0}])
        self.assertEqual([(r.source, r.difference) for r in Report_.search([]) if round(r.difference, 2)], [])

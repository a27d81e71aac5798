import datetime as dt

from freezegun import freeze_time

from odoo.tests import tagged

from head_end.backend import MeterStatus

from .remote_common import ASSET, METER, RemoteCommon, current, freeze, online, relay, result

NOW = '2026-11-10 04:00:00'          # 12:00 in Shanghai: today is 10 November
TZ = 'Asia/Shanghai'
TODAY = dt.date(2026, 11, 10)
SECOND_ASSET = '17000406'
KEEP_POWER_METER = '170004060001'
PAID_METER = '170004050002'


def day(n):
    return TODAY + dt.timedelta(days=n)


def meter_online(address, is_online=True):
    return MeterStatus(address=address, online=is_online, at=dt.datetime.now(dt.UTC))


@tagged('post_install', '-at_install')
@freeze_time(NOW)
class TestRemoteDashboard(RemoteCommon):
    """The dashboard's remote figures: concentrators and meters offline, tripped, on
    keep-power, balances below an alarm threshold and the overdraft limit, consumption and
    billed money of the last 14 days; each figure opens the list of what it counts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.second = env['prepaid.concentrator'].create({'asset_number': SECOND_ASSET, 'name': 'Building 2'})
        cls.keep_power_meter, cls.paid_meter = env['prepaid.meter'].create([
            {'number': KEEP_POWER_METER, 'meter_type_id': cls.meter_type.id, 'concentrator_id': cls.second.id,
             'room': '201'},
            {'number': PAID_METER, 'meter_type_id': cls.meter_type.id, 'concentrator_id': cls.concentrator.id,
             'room': '102', 'rs485_port': 3},
        ])
        cls.keep_power_account, cls.paid_account = env['prepaid.account'].create([
            {'partner_id': env['res.partner'].create({'name': f'Tenant {meter.room}'}).id, 'meter_id': meter.id,
             'tariff_id': cls.tariff.id, 'station_id': cls.station.id}
            for meter in (cls.keep_power_meter, cls.paid_meter)])

    def setUp(self):
        super().setUp()
        # Building 1 is online, building 2 is not; meters 101 and 102 answer, 201 does not.
        self.report(concentrators=[online()], current=[current('100.00'), current('0', meter=PAID_METER)],
                    meters=[meter_online(KEEP_POWER_METER, False)])
        # 101: 10.00, then 8.00 (10 kWh flat) and 13.00 (5 kWh peak, 10 kWh flat) billed: -11.00, overdraft
        self.top_up('10')
        self.report(daily=[freeze(day(-2), '110.00', flat='10.00')])
        self.report(daily=[freeze(day(-1), '125.00', peak='5.00', flat='20.00')])
        trip = self.env['prepaid.meter.command'].search([('meter_id', '=', self.meter.id), ('action', '=', 'trip')])
        trip._apply_result(result(trip, 'confirmed'))
        # 201: 15.00, below alarm threshold 1, on keep-power
        self.top_up('15', account=self.keep_power_account)
        self.report(relays=[relay('closed', keep_power=True, meter=KEEP_POWER_METER)])
        # 102: 50.00, billed 4.00 on a day too old for the dashboard, then 4.00 yesterday: 42.00
        self.top_up('50', account=self.paid_account)
        self.report(daily=[freeze(day(-21), '5.00', flat='5.00', meter=PAID_METER)])
        self.report(daily=[freeze(day(-1), '10.00', flat='10.00', meter=PAID_METER)])
        self.accounts = self.account | self.keep_power_account | self.paid_account

    def dashboard(self, user=None):
        return self.env['prepaid.dashboard'].with_user(user or self.manager).with_context(tz=TZ)

    def test_set_up(self):
        self.assertEqual(self.accounts.mapped('money_balance'), [-11.0, 15.0, 42.0])
        self.assertEqual(self.accounts.mapped('alarm_state'), ['overdraft', 'alarm_1', 'ok'])
        self.assertEqual((self.meter.relay_state, self.meter.is_online), ('open', True))
        self.assertEqual((self.keep_power_meter.keep_power, self.keep_power_meter.is_online), (True, False))
        self.assertEqual((self.concentrator.is_online, self.second.is_online), (True, False))

    def test_remote_figures(self):
        remote = self.dashboard().get_data()['remote']
        self.assertEqual(
            {key: remote[key] for key in ('concentrators', 'concentrators_offline', 'meters', 'meters_offline',
                                          'meters_tripped', 'keep_power', 'alarm', 'overdraft')},
            {'concentrators': 2, 'concentrators_offline': 1, 'meters': 3, 'meters_offline': 1,
             'meters_tripped': 1, 'keep_power': 1, 'alarm': 1, 'overdraft': 1})
        days = remote['days']
        self.assertEqual(len(days), 14)
        self.assertEqual((days[0]['key'], days[-1]['key']), ('2026-10-28', '2026-11-10'))
        self.assertEqual((days[0]['label'], days[-1]['label']), ('Oct 28', 'Nov 10'))
        billed = {d['key']: (d['energy'], d['amount']) for d in days if d['energy'] or d['amount']}
        # 8 November: 101's 10 kWh; 9 November: 101's 15 kWh (13.00) and 102's 5 kWh (4.00);
        # 102's first bill (20 October) is older than 14 days
        self.assertEqual(billed, {'2026-11-08': (10.0, 8.0), '2026-11-09': (20.0, 17.0)})
        self.assertEqual((remote['energy'], remote['amount']), (30.0, 25.0))

    def test_alarm_levels_follow_the_thresholds(self):
        """Each alarm state counted in the database is the state the account shows; at the
        limit itself an account is not below it."""
        self.account.write({'overdraft_limit': 11.0})      # -11.00 is not below -11: alarm 2
        self.keep_power_account.write({'alarm_threshold_1': 15.0, 'alarm_threshold_2': 15.0})   # 15 is not below
        self.paid_account.write({'alarm_threshold_1': 50.0})                                   # 42 is below 50
        self.assertEqual(self.accounts.mapped('alarm_state'), ['alarm_2', 'ok', 'alarm_1'])
        remote = self.dashboard().get_data()['remote']
        self.assertEqual((remote['alarm'], remote['overdraft']), (2, 0))
        Account = self.env['prepaid.account']
        for state in ('ok', 'alarm_1', 'alarm_2', 'overdraft'):
            with self.subTest(state=state):
                found = Account.search([('id', 'in', self.accounts.ids), ('alarm_state', '=', state)])
                self.assertEqual(found, self.accounts.filtered(lambda a, s=state: a.alarm_state == s))
                self.assertEqual(Account.search([('id', 'in', self.accounts.ids), ('alarm_state', '!=', state)]),
                                 self.accounts - found)

    def test_only_active_accounts_and_present_meters_count(self):
        self.account.with_user(self.manager).action_deactivate()
        self.paid_meter.state = 'replaced'
        remote = self.dashboard().get_data()['remote']
        self.assertEqual((remote['overdraft'], remote['alarm'], remote['meters']), (0, 1, 2))

    def test_each_figure_opens_what_it_counts(self):
        Dashboard = self.dashboard()
        remote = Dashboard.get_data()['remote']
        expected = {
            'concentrators_offline': self.second, 'meters_offline': self.keep_power_meter,
            'meters_tripped': self.meter, 'keep_power': self.keep_power_meter,
            'alarm': self.keep_power_account, 'overdraft': self.account,
        }
        for figure, records in expected.items():
            with self.subTest(figure=figure):
                action = Dashboard.action_open(figure)
                self.assertEqual(action['type'], 'ir.actions.act_window')
                self.assertEqual(action['res_model'], records._name)
                self.assertIn('list', [mode for _view, mode in action['views']])
                self.assertTrue(action['name'])
                self.assertEqual(action['display_name'], action['name'])     # the breadcrumb shows it
                found = self.env[records._name].search(action['domain'])
                self.assertEqual(found, records)
                self.assertEqual(len(found), remote[figure])
        # the online-status and balance lists open with their own list views
        self.assertEqual(Dashboard.action_open('meters_tripped')['views'][0][0],
                         self.env.ref('prepaid_electricity.prepaid_meter_view_list_remote').id)
        self.assertEqual(Dashboard.action_open('alarm')['views'][0][0],
                         self.env.ref('prepaid_electricity.prepaid_account_view_list_balance').id)
        Bill = self.env['prepaid.meter.bill']
        yesterday = Bill.search(Dashboard.action_open('bills', '2026-11-09')['domain'])
        self.assertEqual(sorted(yesterday.mapped('amount')), [4.0, 13.0])
        fortnight = Bill.search(Dashboard.action_open('bills')['domain'])
        self.assertEqual(round(sum(fortnight.mapped('amount')), 2), remote['amount'])
        self.assertEqual(round(sum(fortnight.mapped('energy')), 2), remote['energy'])

    def test_operators_see_the_counts_but_no_money(self):
        data = self.dashboard(self.operator).get_data()
        manager = self.dashboard().get_data()
        self.assertEqual({k: v for k, v in data['remote'].items() if k not in ('days', 'amount')},
                         {k: v for k, v in manager['remote'].items() if k not in ('days', 'amount')})
        self.assertIsNone(data['remote']['amount'])
        self.assertTrue(all(d['amount'] is None for d in data['remote']['days']))
        self.assertEqual([d['energy'] for d in data['remote']['days']],
                         [d['energy'] for d in manager['remote']['days']])

    def test_no_remote_section_without_remote_meters(self):
        other = self.env['res.company'].create({'name': 'Card Estate'})
        self.manager.write({'company_ids': [(4, other.id)]})
        self.assertIsNone(self.dashboard().with_company(other).get_data()['remote'])
        self.assertTrue(self.dashboard().get_data()['remote'])

    def test_remote_figures_take_four_queries(self):
        """Aggregates only: the same four queries for 3 meters as for 100,000."""
        Dashboard = self.dashboard()
        Dashboard.get_data()        # the user's groups, the rules and the company are in the caches
        with self.assertQueryCount(4):
            Dashboard._remote_data(lambda amount: amount, 'en_US')

    def test_concentrator_going_offline_is_counted(self):
        self.report(concentrators=[online(ASSET, is_online=False)], meters=[meter_online(METER, False)])
        remote = self.dashboard().get_data()['remote']
        self.assertEqual((remote['concentrators_offline'], remote['meters_offline']), (2, 2))

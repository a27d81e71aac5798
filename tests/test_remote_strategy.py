import datetime as dt
from pathlib import Path

import polib

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .remote_common import METER, RemoteCommon, freeze, relay, result

DAY = dt.date(2026, 11, 1)


def day(n):
    return DAY + dt.timedelta(days=n)


@tagged('post_install', '-at_install')
class TestRemoteStrategy(RemoteCommon):
    """Alarms once each, automatic trip below the overdraft limit and close after a top-up,
    keep-power, manual commands, and commands confirmed by read-back, never re-sent blindly."""

    def setUp(self):
        super().setUp()
        self.top_up('30.00')
        self.report(relays=[relay('closed')], daily=[freeze(day(0), '100.00')])   # base: nothing billed

    def consume(self, n, kwh):
        """Day n's freeze after `kwh` more at the flat band (0.80 a kWh)."""
        total = f'{self.meter.billed_total + kwh:.2f}'
        flat = f'{self.meter.billed_flat + kwh:.2f}'
        self.report(daily=[freeze(day(n), total, flat=flat)])

    def strategy(self, decision=None):
        domain = [('account_id', '=', self.account.id)] + ([('decision', '=', decision)] if decision else [])
        return self.env['prepaid.strategy.log'].search(domain, order='id')

    def commands(self, action=None):
        domain = [('meter_id', '=', self.meter.id)] + ([('action', '=', action)] if action else [])
        return self.env['prepaid.meter.command'].search(domain, order='id')

    def test_each_alarm_is_queued_once_and_a_top_up_rearms_them(self):
        self.consume(1, 15)        # 30 - 12 = 18 < 20: alarm 1
        self.assertEqual(self.account.money_balance, 18.0)
        sms = self.env['sms.sms'].search([('partner_id', '=', self.partner.id)])
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.number, '13900000001')
        self.assertIn(self.account.number, sms.body)
        self.assertEqual(sms.state, 'outgoing')
        mail = self.env['mail.mail'].search([('email_to', '=', 'wang@example.com')])
        self.assertEqual(len(mail), 1)
        self.consume(2, 1)         # 17.20: still level 1, nothing new
        self.assertEqual(len(self.strategy('alarm_1')), 1)
        self.consume(3, 10)        # 9.20 < 10: alarm 2, once
        self.consume(4, 1)
        self.assertEqual(len(self.strategy('alarm_2')), 1)
        self.assertEqual(self.env['sms.sms'].search_count([('partner_id', '=', self.partner.id)]), 2)
        self.top_up('50.00')       # 58.40: re-armed
        self.assertEqual(self.account.alarm_level_notified, 0)
        self.consume(5, 50)        # 18.40: alarm 1 again
        self.assertEqual(len(self.strategy('alarm_1')), 2)

    def test_a_top_up_without_alarm_does_not_wake_the_sms_queue(self):
        sms_cron = self.env.ref('sms.ir_cron_sms_scheduler_action')
        Trigger = self.env['ir.cron.trigger']
        before = Trigger.search_count([('cron_id', '=', sms_cron.id)])
        self.top_up('10.00')       # 40.00: above both thresholds, no alarm
        self.assertEqual(Trigger.search_count([('cron_id', '=', sms_cron.id)]), before,
                         "every top-up would otherwise run the SMS queue for nothing")
        self.consume(1, 30)        # 40 - 24 = 16 < 20: alarm 1, queued and the queue woken
        self.assertEqual(Trigger.search_count([('cron_id', '=', sms_cron.id)]), before + 1)

    def test_a_drop_past_both_thresholds_sends_both_in_order(self):
        self.consume(1, 30)        # 30 - 24 = 6
        self.assertEqual(self.strategy().mapped('decision'), ['alarm_1', 'alarm_2'])

    def test_trip_below_overdraft_then_top_up_closes(self):
        self.consume(1, 40)        # 30 - 32 = -2 < -0
        trip = self.commands('trip')
        self.assertEqual((len(trip), trip.origin, trip.state), (1, 'strategy', 'queued'))
        self.assertEqual(self.strategy('trip').command_id, trip)
        work = self.head_end._head_end_work()
        self.assertEqual([c['id'] for c in work['commands']], [str(trip.id)])
        self.assertFalse(work['commands'][0]['sent_before'])
        self.consume(2, 1)         # still below: no second trip while the first is on its way
        self.assertEqual(len(self.commands('trip')), 1)
        self.assertEqual(len(self.strategy('trip')), 1)
        self.report(commands=[result(trip, 'confirmed')], relays=[relay('open')])
        self.assertEqual(trip.state, 'confirmed')
        self.assertEqual((self.meter.relay_state, self.meter.tripped_by_strategy), ('open', True))
        self.assertFalse(self.head_end._head_end_work()['commands'])
        self.top_up('1.00')        # -1.80: still below the limit, stays open
        self.assertFalse(self.commands('close'))
        self.top_up('10.00')       # 8.20: closed again
        close = self.commands('close')
        self.assertEqual((len(close), close.origin), (1, 'strategy'))
        self.report(commands=[result(close, 'confirmed')], relays=[relay('closed')])
        self.assertEqual((self.meter.relay_state, self.meter.tripped_by_strategy), ('closed', False))

    def test_money_back_before_the_trip_went_out_cancels_it(self):
        self.consume(1, 40)
        trip = self.commands('trip')
        self.top_up('5.00')
        self.assertEqual(trip.state, 'cancelled')
        self.assertFalse(self.commands('close'))

    def test_keep_power_and_auto_trip_off_never_trip(self):
        self.report(relays=[relay('closed', keep_power=True)])
        self.assertTrue(self.meter.keep_power)
        self.consume(1, 40)
        self.assertFalse(self.commands('trip'))
        self.report(relays=[relay('closed', keep_power=False)])
        self.meter.auto_trip = False
        self.consume(2, 1)
        self.assertFalse(self.commands('trip'))
        self.meter.auto_trip = True
        self.consume(3, 1)
        self.assertEqual(len(self.commands('trip')), 1)

    def test_a_managers_trip_is_not_closed_by_a_top_up(self):
        with self.assertRaises(AccessError):
            self.meter.with_user(self.operator)._manual_command('trip', 'unpaid rent')
        with self.assertRaises(AccessError):    # nor behind the method's back
            self.env['prepaid.meter.command'].with_user(self.operator).create({
                'meter_id': self.meter.id, 'company_id': self.meter.company_id.id, 'action': 'trip'})
        with self.assertRaises(UserError):
            self.meter.with_user(self.manager)._manual_command('trip', '  ')
        trip = self.meter.with_user(self.manager)._manual_command('trip', 'unpaid rent')
        self.assertEqual((trip.origin, trip.user_id, trip.reason), ('manual', self.manager, 'unpaid rent'))
        self.report(commands=[result(trip, 'confirmed')])
        self.assertEqual((self.meter.relay_state, self.meter.tripped_by_strategy), ('open', False))
        self.top_up('10.00')
        self.assertFalse(self.commands('close'))

    def test_keep_power_command_and_refused_trip(self):
        on = self.meter.with_user(self.manager)._manual_command('keep_power_on', 'medical needs')
        self.report(commands=[result(on, 'confirmed')])
        self.assertTrue(self.meter.keep_power)
        trip = self.meter.with_user(self.manager)._manual_command('trip', 'test')
        self.report(commands=[result(trip, 'failed', reason='refused')])
        self.assertEqual((trip.state, trip.result_reason), ('failed', 'refused'))
        self.assertEqual(self.meter.relay_state, 'closed')

    def test_a_command_without_answer_is_read_back_before_it_is_sent_again(self):
        trip = self.meter.with_user(self.manager)._manual_command('trip', 'test')
        self.report(commands=[result(trip, 'unknown', reason='no_answer')])
        self.assertEqual((trip.state, trip.attempts), ('unknown', 1))
        [work] = self.head_end._head_end_work()['commands']
        self.assertTrue(work['sent_before'])
        # the read-back found it done: confirmed without a second frame
        self.report(commands=[result(trip, 'confirmed', reason='already_done', sent=False)])
        self.assertEqual((trip.state, trip.attempts), ('confirmed', 1))
        # a result repeated after the command was settled changes nothing
        self.report(commands=[result(trip, 'failed', reason='refused')])
        self.assertEqual(trip.state, 'confirmed')

    def test_a_command_past_its_expiry_is_not_given_to_the_head_end(self):
        trip = self.meter.with_user(self.manager)._manual_command('trip', 'test')
        trip.expiry = dt.datetime.now() - dt.timedelta(minutes=1)
        self.assertFalse(self.head_end._head_end_work()['commands'])
        self.assertEqual(trip.state, 'expired')

    def test_an_opposite_command_replaces_one_not_sent_yet_and_waits_for_one_sent(self):
        trip = self.meter.with_user(self.manager)._manual_command('trip', 'test')
        close = self.meter.with_user(self.manager)._manual_command('close', 'changed my mind')
        self.assertEqual((trip.state, close.state), ('cancelled', 'queued'))
        self.report(commands=[result(close, 'unknown', reason='no_answer')])
        with self.assertRaises(UserError):
            self.meter.with_user(self.manager)._manual_command('trip', 'again')
        self.assertEqual(self.meter.number, METER)

    def test_logs_read_in_the_readers_language_and_the_sms_in_the_tenants(self):
        self.env['res.lang']._activate_lang('zh_CN')
        self.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)
        po = polib.pofile(str(Path(__file__).resolve().parent.parent / 'i18n' / 'zh_CN.po'))
        self.partner.lang = 'zh_CN'
        self.consume(1, 40)         # decided by the head-end's English-speaking system user
        logs = self.strategy().with_context(lang='zh_CN')
        self.assertEqual(logs.filtered(lambda log: log.decision == 'trip').outcome, po.find("Trip queued.").msgstr)
        self.assertEqual(self.strategy('trip').outcome, "Trip queued.")
        sms = self.env['sms.sms'].search([('partner_id', '=', self.partner.id)], limit=1)
        self.assertTrue(sms.body.startswith(po.find(
            "Customer %(number)s: your electricity balance is below %(threshold)s (now %(balance)s). "
            "Please top up.").msgstr.split('%')[0]))

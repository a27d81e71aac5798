"""What the POS vending screen asks the server (the `prepaid_` methods of its `pos.config`):
find the customer, read the card through the till's bridge, quote, follow and retry card
writes, by role."""
import time
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from card_bridge.sle4442 import VirtualSle4442

from ..engine.tests.virtual_meter import VirtualMeter
from .common import PrepaidCommon, use_card_keys
from .test_cards import run_job


@tagged('post_install', '-at_install')
class TestPosVendingScreen(PrepaidCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_card_keys(cls, {'654321': {'1': '00112233445566778899aabbccddeeff'}})
        cls.bridge = cls.env['prepaid.card.bridge'].create({'name': 'Till 1'})
        cls.bridge._pair(cls.bridge.pairing_code)
        cls.pos_config = cls.env['pos.config'].create({'name': 'Vending till', 'prepaid_bridge_id': cls.bridge.id})

    def setUp(self):
        super().setUp()
        self.card = VirtualSle4442(serial=bytes.fromhex('0a0b0c0d0e0f1011'))
        self.account = self.open_account(meter_number='000012345678', quantity='61')
        job = self.account._issue_card(self.card.serial.hex())
        self.account.vend_ids._confirm_card_write(run_job(self.card, job))
        self.meter = VirtualMeter(station_code='654321', meter_number='000012345678', preset=Decimal(20),
                                  key_lookup=lambda station, version: bytes.fromhex('00112233445566778899aabbccddeeff'))
        self.screen = self.pos_config.with_user(self.operator)

    def bridge_answers(self, job_id, ok=True, error=''):
        """The bridge took the job (a vend write is minted then) and read the card, or failed:
        what `_apply_result` stores after checking the signature."""
        job = self.env['prepaid.card.job'].browse(job_id)
        self.assertIn(job, job._take_pending(self.bridge))
        job.write({'state': 'done' if ok else 'failed', 'raw': self.card.read(0, 256).hex(), 'error': error or False})
        if ok and job.operation == 'write':
            job.vend_id._confirm_card_write(run_job(self.card, job.vend_id._card_job()))
        return job

    def test_find_the_customer_by_number_name_phone_or_meter(self):
        for query in (self.account.number, 'Zhao', '13800000001', '12345678'):
            found = self.screen.prepaid_find_accounts(query)
            self.assertEqual([row['id'] for row in found], [self.account.id], query)
        summary = found[0]
        self.assertEqual((summary['name'], summary['meter'], summary['card_serial'], summary['purchase_sequence']),
                         ('Zhao Lei', '000012345678', '0a0b0c0d0e0f1011', 1))
        # the credit of the first purchase is still on the card: the screen says so
        self.assertTrue(any('still on the card' in warning for warning in summary['warnings']))
        self.assertEqual(self.screen.prepaid_find_accounts('x'), [], "too short to search")

    def test_read_card_then_quote(self):
        self.assertEqual(self.meter.insert(self.card), Decimal('41.00'))    # 61 less the preset
        job_id = self.screen.prepaid_read_card()['job_id']
        self.assertEqual(self.screen.prepaid_job_status(job_id)['state'], 'pending')
        self.bridge_answers(job_id)
        status = self.screen.prepaid_job_status(job_id)
        self.assertEqual(status['state'], 'done')
        summary = status['account']
        self.assertEqual(summary['id'], self.account.id)
        self.assertEqual(summary['writeback']['remaining'], 41.0)
        self.assertFalse(summary['is_credit_valid'], "the meter consumed the credit, read from the card")
        self.assertFalse(summary['warnings'])
        quote = self.screen.prepaid_quote(self.account.id, 'energy', '61')
        self.assertEqual((quote['energy_bought'], quote['unit_price'], quote['amount_due'], quote['preset_deducted']),
                         (61.0, 2.0, 122.0, 0.0))
        by_money = self.screen.prepaid_quote(self.account.id, 'money', '100.00')
        self.assertEqual((by_money['energy_bought'], by_money['amount_due']), (50.0, 100.0))
        self.assertIn('greater than zero',
                      self.screen.prepaid_quote(self.account.id, 'energy', '0')['error'])
        self.assertIn('valid number', self.screen.prepaid_quote(self.account.id, 'energy', 'abc')['error'])

    def test_quote_refused_while_the_credit_is_on_the_card(self):
        refused = self.screen.with_context(lang='en_US').prepaid_quote(self.account.id, 'energy', '10')
        self.assertNotIn('amount_due', refused)
        self.assertTrue(refused['error'])

    def test_rewrite_quote_while_the_credit_is_on_the_card(self):
        vend = self.account.vend_ids
        summary = self.screen.prepaid_account_summary(self.account.id)
        self.assertEqual((summary['can_rewrite'], summary['last_vend']['id']), (True, vend.id))
        more = self.screen.prepaid_quote_rewrite(vend.id, 'energy', '71')
        self.assertEqual((more['energy_bought'], more['amount_due'], more['amount_before'], more['difference'],
                          more['rewrite_vend_id']), (71.0, 142.0, 122.0, 20.0, vend.id))
        less = self.screen.prepaid_quote_rewrite(vend.id, 'money', '100')
        self.assertEqual((less['energy_bought'], less['difference']), (50.0, -22.0))
        self.assertEqual((vend.amount_due, vend.energy_bought), (122.0, 61.0), "a quote changes nothing")
        # once the meter has taken the credit, the purchase can no longer be corrected
        self.meter.insert(self.card)
        self.insert_card(self.account, remaining=41)
        self.assertFalse(self.screen.prepaid_account_summary(self.account.id)['can_rewrite'])
        refused = self.screen.prepaid_quote_rewrite(vend.id, 'energy', '71')
        self.assertIn('already reached the meter', refused['error'])

    def test_a_foreign_card_is_refused_with_a_message(self):
        blank = VirtualSle4442(serial=bytes.fromhex('0101010101010101'))
        self.card = blank
        job_id = self.screen.prepaid_read_card()['job_id']
        self.bridge_answers(job_id)
        status = self.screen.prepaid_job_status(job_id)
        self.assertEqual(status['state'], 'failed')
        self.assertTrue(status['error'])
        self.assertNotIn('account', status)

    def test_failed_write_then_retry_writes_the_same_image(self):
        self.meter.insert(self.card)
        self.account.invalidate_recordset()
        self.insert_card(self.account, remaining=41)
        vend = self.account._vend('energy', Decimal('10'), channel='pos')
        first = self.screen.prepaid_write_vend(vend.id)['job_id']
        self.bridge_answers(first, ok=False, error='card removed')
        [status] = self.screen.prepaid_write_status([vend.id])
        self.assertEqual((status['state'], status['job_state'], status['error']),
                         ('to_write', 'failed', 'card removed'))
        summary = self.screen.prepaid_account_summary(self.account.id)
        self.assertEqual(summary['waiting_vend_id'], vend.id)
        self.assertIn(f'{vend.name} is waiting for its card write', ' '.join(summary['warnings']))
        retry = self.screen.prepaid_write_vend(vend.id)['job_id']
        self.bridge_answers(retry)
        jobs = self.env['prepaid.card.job'].browse([first, retry])
        self.assertTrue(jobs[0].writes)
        self.assertEqual(jobs[0].writes, jobs[1].writes)
        [status] = self.screen.prepaid_write_status([vend.id])
        self.assertEqual((status['state'], status['job_state']), ('written', 'done'))
        self.assertEqual(len(self.account.vend_ids), 2, "a retry never makes a new vend")

    def queries(self, call, *args):
        """The number of queries a vending call costs (from a cold cache), and its result."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = call(*args)
        return self.env.cr.sql_log_count - before, result

    def test_the_write_status_of_many_vends_costs_no_more_queries(self):
        """The receipt screen follows every vend of the order: their last jobs are found at once,
        so four vends cost the queries of one."""
        Job = self.env['prepaid.card.job'].sudo()
        vends, last_jobs = self.env['prepaid.vend'], []
        for index in range(4):
            vend = self.open_account(meter_number=f'00009999000{index}', quantity='30').vend_ids
            Job._create_for(self.bridge, 'write', vend=vend)
            last_jobs.append(Job._create_for(self.bridge, 'write', vend=vend).id)    # a retry: the last job
            vends |= vend
        self.queries(self.screen.prepaid_write_status, vends.ids)    # warm the caches of the user
        one, statuses = self.queries(self.screen.prepaid_write_status, vends[:1].ids)
        self.assertEqual([status['job_id'] for status in statuses], last_jobs[:1])
        four, statuses = self.queries(self.screen.prepaid_write_status, vends.ids)
        self.assertEqual([status['job_id'] for status in statuses], last_jobs)
        self.assertEqual([status['job_state'] for status in statuses], ['pending'] * 4)
        self.assertEqual(four, one)

    def test_a_search_of_many_accounts_costs_no_more_queries(self):
        """The summaries of a search read the last vends, waiting vends and write-backs of all
        accounts at once: four customers found cost the queries of one."""
        accounts = self.env['prepaid.account']
        for index in range(4):
            account = self.open_account(meter_number=f'00008888000{index}', quantity='30')
            Writeback = self.env['prepaid.card.writeback']
            for remaining in (50, 3 + index):    # the meter wrote back twice: the last one is shown
                Writeback.create({'account_id': account.id, 'meter_id': account.meter_id.id,
                                  'remaining_energy': remaining})
            accounts |= account
        self.queries(self.screen.prepaid_find_accounts, '000088880000')    # warm the caches of the user
        one, found = self.queries(self.screen.prepaid_find_accounts, '000088880000')
        self.assertEqual([summary['id'] for summary in found], accounts[:1].ids)
        four, found = self.queries(self.screen.prepaid_find_accounts, '00008888000')
        self.assertEqual({summary['id'] for summary in found}, set(accounts.ids))
        for summary in found:
            account = accounts.browse(summary['id'])
            self.assertEqual(summary['last_vend']['id'], account.vend_ids.id)
            self.assertEqual([vend['id'] for vend in summary['recent_vends']], account.vend_ids.ids)
            self.assertEqual(summary['waiting_vend_id'], account.vend_ids.id)
            self.assertEqual(summary['writeback']['remaining'], 3 + accounts.ids.index(account.id))
        self.assertEqual(four, one)

    def test_a_write_is_minted_when_the_bridge_takes_it(self):
        self.meter.insert(self.card)
        self.insert_card(self.account, remaining=41)
        vend = self.account._vend('energy', Decimal('10'), channel='pos')
        job = self.env['prepaid.card.job'].browse(self.screen.prepaid_write_vend(vend.id)['job_id'])
        self.assertFalse(job.writes, "the sale only queues the job")
        self.assertEqual(job._take_pending(self.bridge), job)
        expected = vend._card_job()
        self.assertEqual((job.state, job.serial), ('sent', expected['serial']))
        self.assertEqual(job.writes, {str(address): data.hex() for address, data in expected['writes'].items()})
        self.assertTrue(job.psc_present and job.psc_new)
        # a vend that can no longer be written when the bridge asks: the job fails, saying why
        late = self.env['prepaid.card.job'].browse(self.screen.prepaid_write_vend(vend.id)['job_id'])
        vend.state = 'cancelled'
        self.assertFalse(late._take_pending(self.bridge))
        self.assertEqual(late.state, 'failed')
        self.assertIn('cancelled', late.error)
        self.assertFalse(late.writes)

    def test_a_write_the_bridge_never_picks_up_expires(self):
        self.meter.insert(self.card)
        self.insert_card(self.account, remaining=41)
        vend = self.account._vend('energy', Decimal('10'), channel='pos')
        job = self.env['prepaid.card.job'].browse(self.screen.prepaid_write_vend(vend.id)['job_id'])
        job.expires_at = time.time() - 1     # the bridge is off
        [status] = self.screen.prepaid_write_status([vend.id])
        self.assertEqual((status['state'], status['job_state']), ('to_write', 'expired'))
        self.assertTrue(status['error'])

    def test_roles(self):
        clerk = new_test_user(self.env, login='pe_clerk', groups='base.group_user,point_of_sale.group_pos_user')
        with self.assertRaises(AccessError):
            self.pos_config.with_user(clerk).prepaid_find_accounts('Zhao')
        self.bridge.card_serial = '0202020202020202'
        with self.assertRaises(AccessError):
            self.screen.prepaid_reissue_card(self.account.id)    # managers only
        job_id = self.pos_config.with_user(self.manager).prepaid_reissue_card(self.account.id)['job_id']
        job = self.env['prepaid.card.job'].browse(job_id)
        self.assertEqual((job.serial, self.account.card_id.serial), ('0202020202020202', '0202020202020202'))
        with self.assertRaises(AccessError):
            self.screen.prepaid_recover_credit(self.account.id, 0)

    def test_manager_recovers_credit_at_the_till(self):
        """The till's credit recovery is the account's operation: checked against the meter's
        cumulative energy, the lost credit is written again, once; no wizard is involved."""
        self.meter.insert(self.card)                    # 41 kWh taken in
        self.insert_card(self.account, remaining=41)
        vend = self.account._vend('energy', Decimal('50'), channel='pos')
        self.insert_card(self.account)                  # a bad insertion: the meter never got it
        till = self.pos_config.with_user(self.manager)
        with self.assertRaisesRegex(UserError, 'valid number'):
            till.prepaid_recover_credit(self.account.id, 'forty-one')
        job_id = till.prepaid_recover_credit(self.account.id, '41')['job_id']
        self.env.flush_all()
        self.assertRecordValues(self.env['prepaid.card.job'].browse(job_id),
                                [{'vend_id': vend.id, 'operation': 'write'}])
        self.assertRecordValues(vend, [{'is_recovered': True, 'state': 'to_write'}])
        recovery = self.account.operation_ids.filtered(lambda o: o.kind == 'recovery')
        self.assertEqual(recovery.meter_cumulative_energy, 41.0)
        self.assertFalse(self.env['prepaid.credit.recovery'].search([]))
        with self.assertRaisesRegex(UserError, 'already been recovered'):
            till.prepaid_recover_credit(self.account.id, 41)

    def test_a_till_without_bridge_says_so(self):
        self.pos_config.prepaid_bridge_id = False
        with self.assertRaisesRegex(UserError, 'No paired card bridge'):
            self.screen.prepaid_read_card()

    # ------------------------------------------------------------------ the vending screen's customer
    def test_the_screen_shows_the_last_purchases_and_the_full_write_back(self):
        self.meter.insert(self.card)
        self.meter.consume(Decimal('30'))
        self.meter.insert(self.card)          # the meter writes back again, 11 kWh left
        job_id = self.screen.prepaid_read_card()['job_id']
        self.bridge_answers(job_id)
        summary = self.screen.prepaid_job_status(job_id)['account']
        writeback = summary['writeback']
        self.assertEqual((writeback['remaining'], writeback['cumulative'], writeback['total_consumption'],
                          writeback['over_zero'], writeback['insert_count'], writeback['meter_status_label']),
                         (11.0, 41.0, 30.0, 0.0, 2, 'Alarm'))
        # five more purchases: the screen lists the last five, newest first
        for energy in range(1, 6):
            self.insert_card(self.account, remaining=11)
            self.account._vend('energy', Decimal(energy), channel='pos')
        self.env.flush_all()
        recent = self.screen.prepaid_account_summary(self.account.id)['recent_vends']
        self.assertEqual([(row['energy'], row['amount'], row['state_label']) for row in recent],
                         # the last one waits for its write; the others reached the meter
                         [(5.0, 10.0, 'Waiting for Card Write'), (4.0, 8.0, 'Written'), (3.0, 6.0, 'Written'),
                          (2.0, 4.0, 'Written'), (1.0, 2.0, 'Written')])
        self.assertTrue(all(row['date'] for row in recent))

    def test_buying_is_not_offered_while_it_would_be_refused(self):
        summary = self.screen.prepaid_account_summary(self.account.id)
        self.assertFalse(summary['can_buy'], "the first purchase's credit is still on the card")
        self.assertIn('inserts the card in the meter first', ' '.join(summary['warnings']))
        self.insert_card(self.account, remaining=41)
        self.assertTrue(self.screen.prepaid_account_summary(self.account.id)['can_buy'])
        self.account.with_user(self.manager).action_deactivate()
        summary = self.screen.prepaid_account_summary(self.account.id)
        self.assertFalse(summary['can_buy'])
        self.assertIn('A manager can reactivate it', ' '.join(summary['warnings']))

    def test_open_an_account_at_the_till_sell_the_first_purchase_then_issue_the_card(self):
        options = self.screen.prepaid_opening_options()
        self.assertEqual([t['id'] for t in options['templates']], [self.template.id])
        summary = self.screen.prepaid_open_account({
            'name': 'Qian Fang', 'phone': '13900000002', 'address': 'Block 1, 101',
            'meter_number': '000012340001', 'template_id': self.template.id})
        account = self.env['prepaid.account'].browse(summary['id'])
        self.assertRecordValues(account, [{'state': 'active', 'tariff_id': self.tariff.id, 'area_id': self.area.id,
                                           'station_id': self.station.id, 'card_id': False}])
        self.assertEqual((account.partner_id.name, account.partner_id.phone, account.meter_id.number),
                         ('Qian Fang', '13900000002', '000012340001'))
        self.assertEqual(account.operation_ids.mapped('kind'), ['open'])
        self.assertEqual((summary['can_buy'], summary['can_issue_card']), (True, False))
        self.assertIn('no card yet: sell the first purchase', ' '.join(summary['warnings']))
        # the first purchase is quoted like any sale, preset deducted; the card comes after it
        quote = self.screen.prepaid_quote(account.id, 'energy', '61')
        self.assertEqual((quote['amount_due'], quote['preset_deducted'], quote['energy_net']), (122.0, 20.0, 41.0))
        self.bridge.card_serial = '0303030303030303'
        with self.assertRaisesRegex(UserError, 'no purchase yet'):
            self.screen.prepaid_issue_card(account.id)
        vend = account._vend('energy', Decimal('61'), channel='pos')    # the order is paid
        summary = self.screen.prepaid_account_summary(account.id)
        self.assertEqual((summary['can_buy'], summary['can_issue_card']), (False, True))
        self.bridge.card_serial = False
        with self.assertRaisesRegex(UserError, 'blank card'):
            self.screen.prepaid_issue_card(account.id)
        self.bridge.card_serial = '0303030303030303'
        self.card = VirtualSle4442(serial=bytes.fromhex('0303030303030303'))
        job_id = self.screen.prepaid_issue_card(account.id)['job_id']
        self.bridge_answers(job_id)
        self.assertEqual((account.card_id.serial, vend.state), ('0303030303030303', 'written'))
        meter = VirtualMeter(station_code='654321', meter_number='000012340001', preset=Decimal(20),
                             key_lookup=lambda station, version: bytes.fromhex('00112233445566778899aabbccddeeff'))
        self.assertEqual(meter.insert(self.card), Decimal('41.00'), "the first purchase reached the meter")
        # a second "first card" would be a reissue behind the managers' back
        self.bridge.card_serial = '0404040404040404'
        with self.assertRaisesRegex(UserError, 'already has card'):
            self.screen.prepaid_issue_card(account.id)
        self.assertEqual(account.card_id.serial, '0303030303030303')

    def test_opening_at_the_till_refuses_a_meter_in_use_and_writes_nothing(self):
        with self.assertRaisesRegex(UserError, 'not available'):
            self.screen.prepaid_open_account({
                'name': 'Sun Li', 'meter_number': '000012345678', 'template_id': self.template.id})
        self.assertFalse(self.env['res.partner'].search_count([('name', '=', 'Sun Li')]))
        with self.assertRaisesRegex(UserError, 'meter number'):
            self.screen.prepaid_open_account({'name': 'Sun Li', 'template_id': self.template.id})

    def test_roles_at_the_till(self):
        clerk = new_test_user(self.env, login='pe_clerk2', groups='base.group_user,point_of_sale.group_pos_user')
        values = {'name': 'Wu Gang', 'meter_number': '000012340002', 'template_id': self.template.id}
        # the clerk is told why, before anything is looked up
        with self.assertRaisesRegex(AccessError, 'Only vending operators'):
            self.pos_config.with_user(clerk).prepaid_open_account(values)
        opened = self.screen.prepaid_open_account(values)
        account = self.env['prepaid.account'].browse(opened['id'])
        account._vend('energy', Decimal('30'), channel='pos')
        self.bridge.card_serial = '0505050505050505'
        with self.assertRaisesRegex(AccessError, 'Only vending operators'):
            self.pos_config.with_user(clerk).prepaid_issue_card(account.id)
        self.assertFalse(account.card_id)
        with self.assertRaises(AccessError):
            self.screen.prepaid_reissue_card(self.account.id)    # managers only
        self.assertEqual(self.account.card_id.serial, '0a0b0c0d0e0f1011')

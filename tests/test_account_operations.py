from decimal import Decimal

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import PrepaidCommon


@tagged('post_install', '-at_install')
class TestOpenAndVend(PrepaidCommon):

    def test_open_account_worked_example(self):
        """Manual: 2.0000 per kWh × 61 kWh = 122.00; the 20 kWh preset is deducted at the
        first vend, so 41 kWh reach the customer."""
        account = self.open_account(quantity='61')
        self.assertEqual(len(account.number), 12)
        self.assertTrue(account.number.isdigit())
        self.assertEqual(account.state, 'active')
        self.assertEqual(account.meter_id.state, 'installed')
        self.assertEqual(account.meter_id.account_id, account)
        self.assertEqual(account.purchase_sequence, 1)
        self.assertRecordValues(account.vend_ids, [{
            'sequence': 1, 'method': 'energy', 'energy_bought': 61.0, 'energy_written': 61.0,
            'preset_deducted': 20.0, 'energy_net': 41.0, 'price': 2.0, 'amount_due': 122.0,
            'is_first_vend': True, 'state': 'to_write', 'user_id': self.operator.id,
        }])
        self.assertEqual(account.operation_ids.mapped('kind'), ['open'])

    def test_customer_number_is_never_edited(self):
        account = self.open_account()
        with self.assertRaises(UserError):
            account.write({'number': '999999999999'})

    def test_second_vend_needs_consumed_card_and_has_no_preset(self):
        account = self.open_account(quantity='61')
        with self.assertRaisesRegex(UserError, 'still'):
            account._vend('energy', Decimal('10'))
        self.insert_card(account, remaining=41)
        vend = account._vend('energy', Decimal('50'))
        self.assertRecordValues(vend, [{'sequence': 2, 'preset_deducted': 0.0, 'energy_net': 50.0,
                                        'amount_due': 100.0}])
        self.assertEqual(account.purchase_sequence, 2)

    def test_vend_by_money_carries_the_balance(self):
        """By money: what does not buy a whole kWh stays as the customer's balance."""
        account = self.open_account(quantity='61')
        self.insert_card(account)
        vend = account._vend('money', Decimal('25.00'))
        self.assertRecordValues(vend, [{'energy_bought': 12.0, 'energy_amount': 24.0, 'amount_due': 25.0,
                                        'balance_after': 1.0}])
        self.assertEqual(account.money_balance, 1.0)
        self.insert_card(account)
        vend = account._vend('money', Decimal('3.00'))
        # 3.00 + 1.00 carried buys 2 kWh exactly
        self.assertRecordValues(vend, [{'energy_bought': 2.0, 'energy_amount': 4.0, 'amount_due': 3.0,
                                        'balance_before': 1.0, 'balance_after': 0.0}])

    def test_idempotent_on_client_request(self):
        """The same request twice gives the same vend, never two."""
        account = self.open_account()
        self.insert_card(account)
        first = account._vend('energy', Decimal('10'), client_request_id='req-1')
        again = account._vend('energy', Decimal('10'), client_request_id='req-1')
        self.assertEqual(first, again)
        self.assertEqual(len(account.vend_ids), 2)
        self.assertEqual(account.purchase_sequence, 2)

    def test_backend_wizard_double_click_is_one_vend(self):
        account = self.open_account()
        self.insert_card(account)
        wizard = self.env['prepaid.vend.create'].with_user(self.operator).create({
            'account_id': account.id, 'method': 'energy', 'quantity': 10})
        self.assertEqual(wizard.quote_amount_due, 20.0)
        wizard.action_confirm()
        wizard.action_confirm()
        self.assertEqual(len(account.vend_ids), 2)

    def test_wizard_shows_refusal(self):
        account = self.open_account()
        wizard = self.env['prepaid.vend.create'].create({'account_id': account.id, 'quantity': 10})
        self.assertTrue(wizard.quote_error)
        self.assertFalse(wizard.quote_amount_due)

    def test_hoarding_limit_refused(self):
        account = self.open_account(quantity='61', hoarding_energy=100)
        self.insert_card(account, remaining=41)
        with self.assertRaises(UserError):
            account._vend('energy', Decimal('60'))
        self.assertEqual(account.purchase_sequence, 1)
        account._vend('energy', Decimal('59'))

    def test_tiered_purchase_is_split(self):
        tiered = self.env['prepaid.tariff'].create({
            'name': 'Tiers', 'kind': 'tiered', 'period': 'year',
            'tier_ids': [(0, 0, {'sequence': 1, 'upto_energy': 100, 'price': 0.5}),
                         (0, 0, {'sequence': 2, 'price': 0.8})]})
        account = self.open_account(quantity='80', tariff_id=tiered.id)
        self.insert_card(account)
        vend = account._vend('energy', Decimal('50'))
        # 20 kWh left in tier 1 at 0.5, 30 kWh in tier 2 at 0.8
        self.assertEqual(vend.amount_due, 34.0)
        self.assertEqual([(t['energy'], t['price']) for t in vend.tier_detail],
                         [('20.00', '0.5000'), ('30.00', '0.8000')])

    def test_ct_pt_sides(self):
        """PT 30 × CT 10 = 300. Primary side: the price written is price × multiplier.
        Secondary side: the credit written is credit ÷ multiplier."""
        account = self.open_account(meter_number='100000000002', quantity='6600', ct_ratio=10, pt_ratio=30,
                                    side='secondary', hoarding_energy=9999)
        self.assertEqual(account.meter_id.multiplier, 300)
        vend = account.vend_ids
        self.assertEqual(vend.energy_written, 22.0)  # 6600 ÷ 300, in meter units
        self.assertEqual(vend.energy_net, 2.0)       # the meter deducts its 20 kWh preset
        self.assertEqual(vend.price_written, 2.0)
        self.assertEqual(vend.amount_due, 13200.0)
        account2 = self.open_account(meter_number='100000000003', quantity='100', ct_ratio=10, pt_ratio=1,
                                     side='primary')
        self.assertEqual(account2.vend_ids.price_written, 20.0)  # 2.0000 × 10
        self.assertEqual(account2.vend_ids.energy_written, 100.0)


@tagged('post_install', '-at_install')
class TestAccountOperations(PrepaidCommon):

    def test_rewrite_changes_the_vend_not_a_new_one(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        vend = account._vend('energy', Decimal('50'))
        wizard = self.env['prepaid.vend.rewrite'].with_user(self.operator).create({
            'vend_id': vend.id, 'quantity': 30})
        self.assertEqual(wizard.quote_amount_due, 60.0)
        wizard.action_confirm()
        self.assertEqual(len(account.vend_ids), 2)
        self.assertRecordValues(vend, [{'energy_bought': 30.0, 'amount_due': 60.0, 'rewrite_count': 1,
                                        'sequence': 2}])
        op = account.operation_ids.filtered(lambda o: o.kind == 'rewrite')
        self.assertRecordValues(op, [{'energy_before': 50.0, 'energy_after': 30.0,
                                      'amount_before': 100.0, 'amount_after': 60.0, 'vend_id': vend.id}])

    def test_rewrite_refused_once_consumed(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        wizard = self.env['prepaid.vend.rewrite'].create({'vend_id': account.vend_ids.id, 'quantity': 30})
        with self.assertRaises(UserError):
            wizard.action_confirm()

    def test_ownership_transfer(self):
        account = self.open_account()
        heir = self.env['res.partner'].create({'name': 'Zhao Min'})
        self.env['prepaid.account.transfer'].with_user(self.operator).create({
            'account_id': account.id, 'new_partner_id': heir.id}).action_confirm()
        self.assertEqual(account.partner_id, heir)
        self.assertRecordValues(account.operation_ids.filtered(lambda o: o.kind == 'transfer'),
                                [{'old_partner_id': self.partner.id, 'new_partner_id': heir.id}])

    def test_modify_customer_data_is_audited(self):
        account = self.open_account()
        other_area = self.env['prepaid.area'].create({'name': 'Block 2', 'station_id': self.station.id})
        account.with_user(self.operator).write({'area_id': other_area.id})
        self.assertEqual(account.area_id, other_area)
        modify = account.operation_ids.filtered(lambda o: o.kind == 'modify')
        self.assertEqual(len(modify), 1)
        self.assertIn('Area', modify.note)

    def test_suspend_and_refund(self):
        """Refund = energy left on the meter × the price paid (+ money balance); the customer
        becomes deactivated."""
        account = self.open_account(quantity='61')
        self.insert_card(account)
        account._vend('money', Decimal('25.00'))   # 12 kWh, 1.00 carried
        self.insert_card(account)                  # the meter took the credit in
        wizard = self.env['prepaid.account.refund'].with_user(self.manager).create({
            'account_id': account.id, 'refund_energy': 30})
        self.assertEqual(wizard.refund_amount, 61.0)  # 30 × 2.00 + 1.00
        wizard.action_confirm()
        self.assertEqual(account.state, 'deactivated')
        self.assertEqual(account.money_balance, 0.0)
        self.assertFalse(account.is_credit_valid)
        self.assertRecordValues(account.operation_ids.filtered(lambda o: o.kind == 'refund'),
                                [{'refund_energy': 30.0, 'refund_amount': 61.0}])
        with self.assertRaises(UserError):
            account._vend('energy', Decimal('10'))

    def test_refund_more_than_sold_refused(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        wizard = self.env['prepaid.account.refund'].with_user(self.manager).create({
            'account_id': account.id, 'refund_energy': 42})
        with self.assertRaisesRegex(UserError, 'more than was ever credited'):
            wizard.action_confirm()
        self.assertEqual(account.state, 'active')

    def test_reactivate_refused_when_meter_reused(self):
        account = self.open_account(meter_number='100000000009')
        account.with_user(self.manager).action_deactivate()
        self.assertEqual(account.meter_id.state, 'available')
        other_partner = self.env['res.partner'].create({'name': 'Newcomer'})
        self.open_account(meter_number='100000000009', partner_id=other_partner.id)
        with self.assertRaisesRegex(UserError, 'cannot be reactivated'):
            account.with_user(self.manager).action_reactivate()
        self.assertEqual(account.state, 'deactivated')

    def test_reactivate(self):
        account = self.open_account()
        account.with_user(self.manager).action_deactivate()
        account.with_user(self.manager).action_reactivate()
        self.assertEqual(account.state, 'active')
        self.assertEqual(account.meter_id.account_id, account)

    def test_close_freezes_forever(self):
        account = self.open_account()
        account.with_user(self.manager).action_deactivate()
        account.with_user(self.manager).action_close()
        self.assertEqual(account.state, 'closed')
        with self.assertRaises(UserError):
            account.with_user(self.manager).action_reactivate()
        with self.assertRaises(UserError):
            account.write({'area_id': False})
        with self.assertRaises(UserError):
            account.unlink()
        self.assertEqual(len(account.vend_ids), 1)

    def test_erase_personal_data_keeps_sales(self):
        account = self.open_account()
        account.with_user(self.manager).action_deactivate()
        account.with_user(self.manager).action_close()
        account.with_user(self.manager).action_erase_personal_data()
        self.assertNotIn('Zhao', account.partner_id.name)
        self.assertFalse(account.partner_id.phone)
        self.assertTrue(account.is_erased)
        self.assertEqual(account.vend_ids.amount_due, 122.0)

    def test_meter_replacement_same_type(self):
        """The old meter's remaining credit × multiplier is credited on the new meter, the
        sequence restarts at 1, and no money changes hands."""
        account = self.open_account(quantity='61')
        old_meter = account.meter_id
        self.insert_card(account, remaining=41)
        self.env['prepaid.meter.replace'].with_user(self.manager).create({
            'account_id': account.id, 'new_meter_number': '200000000001',
            'new_meter_type_id': self.meter_type.id, 'remaining_energy': 35}).action_confirm()
        self.assertEqual(account.meter_id.number, '200000000001')
        self.assertEqual(old_meter.state, 'replaced')
        self.assertEqual(account.purchase_sequence, 1)
        credit = account.vend_ids.filtered(lambda v: v.kind == 'replacement')
        self.assertRecordValues(credit, [{'sequence': 1, 'energy_net': 35.0, 'energy_written': 55.0,
                                          'amount_due': 0.0, 'meter_id': account.meter_id.id}])
        self.insert_card(account)
        self.assertEqual(account._vend('energy', Decimal('10')).sequence, 2)

    def test_meter_replacement_other_type_refused(self):
        account = self.open_account()
        three = self.env['prepaid.meter.type'].create({'name': 'Three phase', 'phase': 'three'})
        wizard = self.env['prepaid.meter.replace'].with_user(self.manager).create({
            'account_id': account.id, 'new_meter_number': '200000000002', 'new_meter_type_id': three.id})
        with self.assertRaisesRegex(UserError, 'suspend and refund'):
            wizard.action_confirm()

    def test_credit_recovery_once(self):
        account = self.open_account(quantity='61')      # 41 kWh net
        self.insert_card(account)
        vend = account._vend('energy', Decimal('50'))    # 50 kWh never reached the meter
        self.insert_card(account)
        wizard = self.env['prepaid.credit.recovery'].with_user(self.manager).create({
            'account_id': account.id, 'meter_cumulative_energy': 41})
        self.assertEqual(wizard.vend_id, vend)
        wizard.action_confirm()
        self.assertTrue(vend.is_recovered)
        self.assertTrue(account.is_credit_valid)
        self.assertEqual(len(account.vend_ids), 2)
        again = self.env['prepaid.credit.recovery'].with_user(self.manager).create({
            'account_id': account.id, 'meter_cumulative_energy': 41})
        with self.assertRaisesRegex(UserError, 'already been recovered'):
            again.action_confirm()

    def test_credit_recovery_refused_when_meter_got_it(self):
        account = self.open_account(quantity='61')
        self.insert_card(account)
        account._vend('energy', Decimal('50'))
        self.insert_card(account)
        wizard = self.env['prepaid.credit.recovery'].with_user(self.manager).create({
            'account_id': account.id, 'meter_cumulative_energy': 91})
        with self.assertRaisesRegex(UserError, 'did reach the meter'):
            wizard.action_confirm()

    def test_transfer_ownership_is_one_call_of_the_account(self):
        """An ownership transfer is one call of the account; a transfer to the current holder
        or of an account that is not active is refused and records nothing."""
        account = self.open_account()
        heir = self.env['res.partner'].create({'name': 'Zhao Xiaoming'})
        with self.assertRaisesRegex(UserError, 'current holder'):
            account.with_user(self.operator)._transfer_ownership(self.partner)
        operation = account.with_user(self.operator)._transfer_ownership(heir, note='Inherited')
        self.env.flush_all()
        self.assertRecordValues(operation, [{'kind': 'transfer', 'old_partner_id': self.partner.id,
                                             'new_partner_id': heir.id, 'note': 'Inherited'}])
        self.assertEqual(account.partner_id, heir)
        self.assertFalse(account.operation_ids.filtered(lambda o: o.kind == 'modify'), "a transfer, not a modify")
        account.with_user(self.manager).action_deactivate()
        with self.assertRaisesRegex(UserError, 'Only an active account'):
            account.with_user(self.operator)._transfer_ownership(self.partner)
        self.assertEqual(len(account.operation_ids.filtered(lambda o: o.kind == 'transfer')), 1)

    def test_replace_meter_is_one_call_of_the_account(self):
        """A kiosk or a remote-meter job replaces a meter with one call of the account, no
        wizard: on a secondary-side meter the remaining credit (meter units) is recorded
        × the multiplier in billing kWh, and the operation leads to the credit to write."""
        account = self.open_account(quantity='61')
        account.meter_id.write({'ct_ratio': 10, 'pt_ratio': 3, 'side': 'secondary'})
        self.insert_card(account, remaining=41)
        operation = account.with_user(self.manager)._replace_meter(
            '200000000003', self.meter_type, Decimal('12.5'), note='Burnt terminal')
        self.env.flush_all()
        self.assertRecordValues(operation, [{
            'kind': 'replace', 'energy_before': 12.5, 'energy_after': 375.0, 'note': 'Burnt terminal',
            'new_meter_id': account.meter_id.id}])
        self.assertRecordValues(operation.vend_id, [{
            'kind': 'replacement', 'sequence': 1, 'energy_net': 12.5, 'energy_written': 32.5,
            'preset_deducted': 20.0, 'amount_due': 0.0, 'state': 'to_write'}])
        self.assertEqual(operation.old_meter_id.state, 'replaced')
        self.assertRecordValues(account, [{'purchase_sequence': 1, 'is_credit_valid': True}])

    def test_replace_meter_refusals_change_nothing(self):
        """An operator may not replace a meter; a negative credit or a number already
        registered is refused with the meter and the account untouched."""
        account = self.open_account(quantity='61')
        old_meter = account.meter_id
        with self.assertRaises(AccessError):
            account.with_user(self.operator)._replace_meter('200000000004', self.meter_type, Decimal(5))
        with self.assertRaisesRegex(UserError, 'cannot be negative'):
            account.with_user(self.manager)._replace_meter('200000000004', self.meter_type, Decimal('-1'))
        with self.assertRaisesRegex(UserError, 'already registered'):
            account.with_user(self.manager)._replace_meter(old_meter.number, self.meter_type, Decimal(5))
        self.env.flush_all()
        self.assertEqual((account.meter_id, old_meter.state, account.purchase_sequence),
                         (old_meter, 'installed', 1))
        self.assertFalse(self.env['prepaid.meter'].search([('number', '=', '200000000004')]))

    def test_recover_credit_is_one_call_of_the_account(self):
        """Credit recovery with one call of the account, no wizard; managers only."""
        account = self.open_account(quantity='61')      # 41 kWh net
        self.insert_card(account)
        vend = account._vend('energy', Decimal('50'))
        self.insert_card(account)
        with self.assertRaises(AccessError):
            account.with_user(self.operator)._recover_credit(Decimal(41))
        operation = account.with_user(self.manager)._recover_credit(Decimal(41), note='Bad insertion')
        self.env.flush_all()
        self.assertRecordValues(operation, [{
            'kind': 'recovery', 'vend_id': vend.id, 'energy_after': 50.0, 'meter_cumulative_energy': 41.0,
            'sold_cumulative_energy': 91.0, 'note': 'Bad insertion'}])
        self.assertRecordValues(vend, [{'is_recovered': True, 'state': 'to_write'}])
        self.assertTrue(account.is_credit_valid)

    def test_station_code_guarded_once_accounts_exist(self):
        self.open_account()
        with self.assertRaises(ValidationError):
            self.station.with_user(self.admin).write({'code': '111111'})
        self.assertEqual(self.station.code, '654321')

    def test_station_code_must_be_six_digits(self):
        with self.assertRaises(ValidationError):
            self.env['prepaid.station'].create({'name': 'Bad', 'code': '12AB56'})

    def test_vend_query_count_is_fixed(self):
        """Vending issues a fixed number of queries, whatever the history."""
        account = self.open_account(quantity='61')
        for _ in range(3):
            self.insert_card(account)
            account._vend('energy', Decimal('5'))
        self.insert_card(account)
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=23):
            account._vend('energy', Decimal('5'))
            self.env.flush_all()

    def test_station_code_change_needs_password(self):
        self.open_account()
        self.admin.password = 'admin-secret'
        Wizard = self.env['prepaid.station.code.change'].with_user(self.admin)
        wrong = Wizard.create({'station_id': self.station.id, 'new_code': '111111'})
        with self.assertRaisesRegex(UserError, 'Wrong password'):
            wrong.with_context(password='nope').action_confirm()   # the button sends it so
        self.assertEqual(self.station.code, '654321')
        Wizard.create({'station_id': self.station.id, 'new_code': '111111'}).with_context(
            password='admin-secret').action_confirm()
        self.assertEqual(self.station.code, '111111')

    def test_receipt_then_reprint_marked_copy(self):
        """A receipt shows the vend; a reprint says it is a copy and keeps the number."""
        account = self.open_account(quantity='61')
        vend = account.vend_ids
        report = self.env.ref('prepaid_electricity.action_report_vend_receipt_80mm')
        first = str(report.with_user(self.operator)._render_qweb_html(report.report_name, vend.ids)[0])
        self.assertIn('122.00', first)
        self.assertIn(account.number, first)
        self.assertIn(vend.name, first)
        self.assertNotIn('COPY', first)
        second = str(report._render_qweb_html(report.report_name, vend.ids)[0])
        self.assertIn('COPY', second)
        self.assertIn(vend.name, second)
        self.assertEqual(vend.receipt_print_count, 2)
        pdf = self.env.ref('prepaid_electricity.action_report_vend_receipt_a5').with_context(
            force_report_rendering=True)._render_qweb_pdf('prepaid_electricity.report_vend_receipt', vend.ids)[0]
        self.assertTrue(pdf.startswith(b'%PDF'))

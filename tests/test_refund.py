import io
from decimal import Decimal

from pypdf import PdfReader

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from card_bridge.sle4442 import VirtualSle4442

from ..engine.tests.virtual_meter import VirtualMeter
from .common import PrepaidCommon, use_card_keys
from .test_cards import run_job

KEYS = {'654321': {'1': '00112233445566778899aabbccddeeff'}, '111111': {'1': 'ffeeddccbbaa99887766554433221100'}}


class CardCase(PrepaidCommon):
    """An account whose first vend is written onto a virtual card, and its virtual meter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_card_keys(cls, KEYS)

    def setUp(self):
        super().setUp()
        self.card = VirtualSle4442(serial=bytes.fromhex('0a0b0c0d0e0f1011'))
        self.account = self.open_account(meter_number='000012345678', quantity='61')
        job = self.account.with_user(self.operator)._issue_card(self.card.serial.hex())
        self.write_card(self.account.vend_ids, job)
        self.meter = VirtualMeter(station_code='654321', meter_number='000012345678', preset=Decimal(20),
                                  key_lookup=lambda station, version: bytes.fromhex(KEYS[station][str(version)]))

    def write_card(self, vend, job=None):
        """The card bridge writes the vend and reads the card back."""
        vend._confirm_card_write(run_job(self.card, job or vend._card_job()))

    def read_card(self):
        """The operator reads the card: the meter's write-back is saved."""
        return self.env['prepaid.card'].with_user(self.operator)._read_card(self.card.read(0, 256))


@tagged('post_install', '-at_install')
class TestSuspendAndRefund(CardCase):

    def wizard(self, energy, **vals):
        return self.env['prepaid.account.refund'].with_user(self.manager).create({
            'account_id': self.account.id, 'refund_energy': energy, **vals})

    def assert_not_refunded(self):
        self.assertEqual(self.account.state, 'active')
        self.assertFalse(self.account.operation_ids.filtered(lambda o: o.kind == 'refund'))

    def test_refused_while_the_credit_is_still_on_the_card(self):
        """The meter never learns of the suspension: credit still valid on the card is never
        refunded. Once the meter took it in and the card was read, the refund goes through."""
        self.read_card()
        self.assertTrue(self.account.is_credit_valid)
        with self.assertRaisesRegex(UserError, 'still on the card.*Insert the card into the meter, then read the card'):
            self.wizard(0).action_review()
        with self.assertRaisesRegex(UserError, 'still on the card'):
            self.wizard(0).action_confirm()
        self.assert_not_refunded()
        self.assertEqual(self.meter.insert(self.card), Decimal('41'))
        self.read_card()
        self.wizard(41).action_confirm()
        self.env.flush_all()
        self.assertEqual(self.account.state, 'deactivated')
        self.assertRecordValues(self.account.operation_ids.filtered(lambda o: o.kind == 'refund'),
                                [{'refund_energy': 41.0, 'refund_amount': 82.0, 'refund_price': 2.0}])

    def test_refused_while_a_paid_vend_waits_for_its_card_write(self):
        """A paid vend not yet written may still land on the card (or did, unconfirmed): it is
        never refunded past, even when the account no longer counts credit on the card."""
        self.meter.insert(self.card)
        self.read_card()
        vend = self.account.with_user(self.operator)._vend('energy', Decimal('50'))
        with self.assertRaisesRegex(UserError, f'{vend.name}.*waiting for its card write'):
            self.wizard(41).action_confirm()
        # deactivated and reactivated meanwhile: the account forgot the credit, the vend did not
        self.account.with_user(self.manager).action_deactivate()
        self.account.with_user(self.manager).action_reactivate()
        self.assertFalse(self.account.is_credit_valid)
        with self.assertRaisesRegex(UserError, 'waiting for its card write'):
            self.wizard(41).action_confirm()
        self.assert_not_refunded()
        self.write_card(vend, vend._card_job(credit_valid=True))
        self.meter.insert(self.card)
        self.read_card()
        self.wizard(91).action_confirm()
        self.assertRecordValues(self.account.operation_ids.filtered(lambda o: o.kind == 'refund'),
                                [{'refund_energy': 91.0, 'refund_amount': 182.0}])

    def test_confirmation_step_and_double_click(self):
        """The manager reviews the figures (energy × price + balance, journal) before
        confirming; confirming twice refunds once and prints the slip of that one refund."""
        self.meter.insert(self.card)
        self.read_card()
        self.account.with_user(self.operator)._vend('money', Decimal('25.00'))   # 12 kWh, 1.00 carried
        self.write_card(self.account._last_vend())
        self.meter.insert(self.card)
        self.read_card()
        wizard = self.wizard(30)
        self.assertEqual(wizard.step, 'input')
        action = wizard.action_review()
        self.assertEqual((action['res_model'], action['res_id']), ('prepaid.account.refund', wizard.id))
        self.assertRecordValues(wizard, [{'step': 'confirm', 'refund_price': 2.0, 'money_balance': 1.0,
                                          'refund_amount': 61.0, 'journal_id': self.station.cash_journal_id.id}])
        self.assert_not_refunded()       # reviewing refunds nothing
        first = wizard.action_confirm()
        second = wizard.action_confirm()
        self.env.flush_all()
        refund = self.account.operation_ids.filtered(lambda o: o.kind == 'refund')
        self.assertEqual(len(refund), 1)
        self.assertRecordValues(refund.payment_id, [{'amount': 61.0, 'payment_type': 'outbound',
                                                     'journal_id': self.station.cash_journal_id.id}])
        for action in (first, second):
            self.assertEqual(action['report_name'], 'prepaid_electricity.report_refund_slip')
            self.assertEqual(action['context']['active_ids'], refund.ids)
        with self.assertRaisesRegex(UserError, 'Only an active account'):
            self.wizard(0).action_confirm()

    def test_review_refuses_what_confirming_would(self):
        self.meter.insert(self.card)
        self.read_card()
        with self.assertRaisesRegex(UserError, 'more than was ever credited'):
            self.wizard(42).action_review()
        with self.assertRaisesRegex(UserError, 'cannot be negative'):
            self.wizard(-1).action_review()
        sales = self.env['account.journal'].search([('type', '=', 'sale')], limit=1)
        with self.assertRaisesRegex(UserError, 'not a cash or bank journal'):
            self.wizard(41, journal_id=sales.id).action_confirm()
        self.assert_not_refunded()
        self.assertEqual(self.wizard(41).action_review()['res_model'], 'prepaid.account.refund')

    def test_refund_journal_defaults_to_the_station_cash_journal(self):
        """A demo shop's cash journal sorting first is never the default: the station's is,
        else its company's own Cash journal; for refunds and for backend sales alike."""
        Journal = self.env['account.journal']
        shop = Journal.create({'name': 'Cash Furn. Shop', 'code': 'CFS', 'type': 'cash', 'sequence': 0})
        company_cash = self.env['account.chart.template'].ref('cash')
        self.assertEqual(Journal.search([('type', '=', 'cash')], limit=1), shop)
        self.assertEqual(self.station.cash_journal_id, company_cash)   # the station's default
        with self.assertRaises(ValidationError):
            self.station.cash_journal_id = Journal.search([('type', '=', 'bank')], limit=1)
        till = Journal.create({'name': 'Till North', 'code': 'TILN', 'type': 'cash', 'sequence': 1})
        self.station.cash_journal_id = till
        self.assertEqual(self.wizard(0).journal_id, till)
        vend = self.env['prepaid.vend.create'].with_user(self.operator).create({'account_id': self.account.id})
        self.assertEqual(vend.journal_id, till)
        other = self.env['prepaid.station'].create({'name': 'Other', 'code': '222222'})
        other.cash_journal_id = False
        opening = self.env['prepaid.account.open'].with_user(self.operator).create({
            'partner_id': self.partner.id, 'station_id': other.id, 'meter_number': '1',
            'meter_type_id': self.meter_type.id, 'tariff_id': self.tariff.id})
        self.assertEqual(opening.journal_id, company_cash)

    def test_refund_slip_original_then_copy(self):
        """The slip shows the refund; each reprint says it is a copy and keeps the number."""
        self.meter.insert(self.card)
        self.read_card()
        action = self.wizard(30).action_confirm()
        refund = self.account.operation_ids.filtered(lambda o: o.kind == 'refund')
        self.assertTrue(refund.slip_number.startswith('RF/'))
        report = self.env['ir.actions.report']._get_report(action['report_name'])
        first = str(report.with_user(self.manager)._render_qweb_html(report.report_name, refund.ids)[0])
        for text in (refund.slip_number, self.account.number, 'Zhao Lei', '000012345678', '654321',
                     '30.00', '2.0000', '60.00', self.station.cash_journal_id.name, 'pe_manager'):
            self.assertIn(text, first)
        self.assertNotIn('COPY', first)
        pdf = report.with_user(self.manager).with_context(force_report_rendering=True)._render_qweb_pdf(
            report.report_name, refund.ids)[0]
        self.assertEqual(len(PdfReader(io.BytesIO(pdf)).pages), 1)
        # the PDF's text layer depends on the fonts wkhtmltopdf gets (a running server serves
        # the web fonts, drawn as outlines): the copy mark is checked on the next print's HTML
        again = str(report.with_user(self.manager)._render_qweb_html(report.report_name, refund.ids)[0])
        self.assertIn('COPY', again)
        self.assertIn(refund.slip_number, again)
        self.assertEqual(refund.slip_print_count, 3)
        with self.assertRaisesRegex(UserError, 'audit trail'):
            refund.write({'refund_amount': 0})
        with self.assertRaisesRegex(UserError, 'refund slip'):
            self.account.operation_ids.filtered(lambda o: o.kind == 'open').action_print_refund_slip()


@tagged('post_install', '-at_install')
class TestStationCodeChange(CardCase):

    def test_code_change_flushes_and_makes_old_cards_foreign(self):
        """With the right password the code changes (through a flush, as a request commits),
        the password is never kept, and a card written under the old code is foreign."""
        self.assertEqual(self.read_card()['account'], self.account)
        self.admin.password = 'admin-secret'
        # as the web client does: the form is saved, then the button sends the password
        wizard = self.env['prepaid.station.code.change'].with_user(self.admin).create({
            'station_id': self.station.id, 'new_code': '111111', 'password': 'admin-secret'})
        wizard.with_context(password='admin-secret').action_confirm()
        self.env.flush_all()
        self.assertEqual(self.station.code, '111111')
        self.assertIn('from 654321 to 111111', self.station.message_ids[0].body)
        [(column,)] = self.env.execute_query(SQL(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'prepaid_station_code_change' AND column_name = 'password'"))
        if column:
            self.assertFalse(self.env.execute_query(SQL(
                "SELECT id FROM prepaid_station_code_change WHERE password IS NOT NULL")))
        with self.assertRaisesRegex(UserError, r'another station \(654321\)'):
            self.read_card()

    def test_wrong_or_missing_password_changes_nothing(self):
        self.admin.password = 'admin-secret'
        wizard = self.env['prepaid.station.code.change'].with_user(self.admin).create({
            'station_id': self.station.id, 'new_code': '111111'})
        with self.assertRaisesRegex(UserError, 'Wrong password'):
            wizard.with_context(password='nope').action_confirm()
        with self.assertRaisesRegex(UserError, 'Enter your password'):
            wizard.action_confirm()
        self.env.flush_all()
        self.assertEqual(self.station.code, '654321')
        self.assertEqual(self.read_card()['account'], self.account)

import re

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import make_account


@tagged('post_install', '-at_install')
class TestPosVending(TestPoSCommon):
    """The server side of vending at the POS: a paid order makes one vend per electricity
    line, never two, and the sale is posted to the prepaid electricity liability."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the cashier of these POS tests sells electricity
        operator = cls.env.ref('prepaid_electricity.prepaid_electricity_group_operator')
        cls.env.user.sudo().group_ids = [Command.link(operator.id)]
        env = cls.env(su=True)   # fixtures are the administrator's
        cls.config = cls.basic_config
        cls.account = make_account(env, '626262', '626200000001', customer='POS Customer')
        cls.account.purchase_sequence = 1   # not a first vend: no preset
        cls.account = cls.account.with_env(cls.env)
        cls.product = env.ref('prepaid_electricity.product_electricity')
        env.company._prepaid_sync_product_account()
        cls.product = cls.product.with_env(cls.env)

    def electricity_order(self, energy, amount, uuid=None, **line_vals):
        return self.create_ui_order_data([{
            'product': self.product, 'quantity': 1, 'price_unit': amount, 'price_subtotal': amount,
            'price_subtotal_incl': amount, 'prepaid_account_id': self.account.id, 'prepaid_method': 'energy',
            'prepaid_quantity': energy, **line_vals}], uuid=uuid)

    def close_session_and_check_reconciliation(self, amount):
        """Close the session: `amount` reaches the liability, and the session's reconciliation
        row shows vends = payments = postings = `amount`, a difference of 0.00."""
        self.pos_session.action_pos_session_validate()
        liability = self.env.company.prepaid_liability_account_id
        lines = self.env['account.move.line'].search(
            [('account_id', '=', liability.id), ('parent_state', '=', 'posted')])
        self.assertEqual(round(sum(lines.mapped('credit')) - sum(lines.mapped('debit')), 2), amount)
        self.env.flush_all()
        row = self.env['prepaid.reconciliation.report'].sudo().search([('pos_session_id', '=', self.pos_session.id)])
        self.assertRecordValues(row, [{'vend_amount': amount, 'payment_amount': amount, 'posted_amount': amount,
                                       'difference': 0.0}])

    def test_order_synced_twice_makes_one_vend(self):
        self.open_new_session()
        data = self.electricity_order(61, 122.0)
        self.env['pos.order'].sync_from_ui([data])
        self.env['pos.order'].sync_from_ui([data])
        order = self.env['pos.order'].search([('uuid', '=', data['uuid'])])
        self.assertEqual(len(order), 1)
        vend = order.lines.prepaid_vend_id
        self.assertRecordValues(vend, [{'amount_due': 122.0, 'energy_bought': 61.0, 'channel': 'pos',
                                        'pos_order_line_id': order.lines.id, 'sequence': 2}])
        self.assertEqual(len(self.account.vend_ids), 1)

    def test_a_paid_order_is_kept_when_the_bridge_is_revoked(self):
        bridge = self.env['prepaid.card.bridge'].sudo().create({'name': 'Revoked till'})
        bridge.state = 'revoked'
        self.config.sudo().prepaid_bridge_id = bridge
        self.account.sudo().card_id = self.env['prepaid.card'].sudo()._new_card_for(self.account, '0c0c0c0c0c0c0c0c')
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        vend = self.account.vend_ids
        self.assertRecordValues(vend, [{'amount_due': 122.0, 'state': 'to_write'}])
        self.assertFalse(self.env['prepaid.card.job'].sudo().search([('vend_id', '=', vend.id)]),
                         "the vend waits for a write from a till or the backend with a working bridge")

    def test_session_closing_posts_to_the_liability(self):
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        self.close_session_and_check_reconciliation(122.0)

    def test_rewrite_at_the_pos_settles_the_difference(self):
        """Rewrite credit at the till: the vend is corrected (no new vend, same purchase number),
        the order line carries the difference (paid, or paid back when negative), the session
        posts it, and the reconciliation still shows 0.00."""
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        vend = self.account.vend_ids
        more = self.electricity_order(71, 20.0, prepaid_rewrite_vend_id=vend.id)
        self.env['pos.order'].sync_from_ui([more])
        self.env['pos.order'].sync_from_ui([more])    # resent: still one rewrite
        rewrite = self.account.operation_ids.filtered(lambda o: o.kind == 'rewrite')
        line = self.env['pos.order'].search([('uuid', '=', more['uuid'])]).lines
        self.assertRecordValues(rewrite, [{'vend_id': vend.id, 'amount_before': 122.0, 'amount_after': 142.0,
                                           'energy_before': 61.0, 'energy_after': 71.0, 'pos_order_line_id': line.id}])
        self.assertEqual((line.prepaid_operation_id, line.prepaid_vend_id), (rewrite, vend))
        less = self.electricity_order(51, -40.0, prepaid_rewrite_vend_id=vend.id)
        result = self.env['pos.order'].sync_from_ui([less])
        self.assertEqual([v['amount_due'] for v in result['prepaid.vend']], [102.0], "the receipt shows the new amount")
        self.assertEqual(self.account.vend_ids, vend, "a rewrite never makes a new vend")
        self.assertRecordValues(vend, [{'energy_bought': 51.0, 'amount_due': 102.0, 'sequence': 2,
                                        'rewrite_count': 2, 'state': 'to_write'}])
        wrong = self.electricity_order(61, 5.0, prepaid_rewrite_vend_id=vend.id)
        with self.assertRaisesRegex(UserError, 'quote it again'), self.env.cr.savepoint():
            self.env['pos.order'].sync_from_ui([wrong])    # a request refused is rolled back
        self.close_session_and_check_reconciliation(102.0)

    def test_a_rewrite_reads_as_a_rewrite_on_the_ticket_and_the_receipt(self):
        """A rewrite settled at the till comes back to the POS with its figures (energy and
        amount before and after) for the ticket, and the vend's backend receipt shows the
        rewrite (paid before, new amount, money paid back, who settled it and where) instead of
        the original sale's tendered money."""
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        vend = self.account.vend_ids
        result = self.env['pos.order'].sync_from_ui(
            [self.electricity_order(51, -20.0, prepaid_rewrite_vend_id=vend.id)])
        [operation] = result['prepaid.operation']
        self.assertEqual({key: operation[key]
                          for key in ('energy_before', 'energy_after', 'amount_before', 'amount_after')},
                         {'energy_before': 61.0, 'energy_after': 51.0, 'amount_before': 122.0, 'amount_after': 102.0})
        [line] = result['pos.order.line']
        self.assertEqual(line['prepaid_operation_id'], operation['id'])
        report = self.env.ref('prepaid_electricity.action_report_vend_receipt_80mm')
        html = report._render_qweb_html(report.report_name, vend.ids)[0].decode()
        receipt = ' '.join(re.sub(r'<[^>]+>', ' ', html).replace('\xa0', ' ').split())
        self.assertIn('Credit rewritten', receipt)
        self.assertIn('Paid Before $ 122.00 New Amount $ 102.00 Paid Back $ 20.00', receipt)
        settled_by = self.env['pos.order'].search([], order='id desc', limit=1)
        self.assertIn(f'Settled at {settled_by.name}', receipt, "where the rewrite was settled")
        self.assertNotIn('Tendered', receipt, "the original sale's tendered money is not the rewrite's")

    def test_the_order_is_the_customers(self):
        """An order selling electricity belongs to the account's customer: set at sync when the
        POS sent no customer, refused when it names another one or mixes customers."""
        self.open_new_session()
        data = self.electricity_order(61, 122.0)
        self.env['pos.order'].sync_from_ui([data])
        order = self.env['pos.order'].search([('uuid', '=', data['uuid'])])
        self.assertEqual(order.partner_id, self.account.partner_id)
        stranger = self.env['res.partner'].create({'name': 'Somebody Else'})
        other = self.electricity_order(10, 20.0)
        other['partner_id'] = stranger.id
        with self.assertRaisesRegex(UserError, "account's customer"), self.env.cr.savepoint():
            self.env['pos.order'].sync_from_ui([other])
        second = make_account(self.env(su=True), '636363', '636300000001', customer='Second Customer')
        mixed = self.create_ui_order_data([
            {'product': self.product, 'quantity': 1, 'price_unit': amount, 'price_subtotal': amount,
             'price_subtotal_incl': amount, 'prepaid_account_id': account.id, 'prepaid_method': 'energy',
             'prepaid_quantity': 10} for account, amount in ((self.account, 20.0), (second, 20.0))])
        with self.assertRaisesRegex(UserError, 'one customer only'), self.env.cr.savepoint():
            self.env['pos.order'].sync_from_ui([mixed])
        self.assertEqual(len(self.account.vend_ids | second.vend_ids), 1)

    def test_electricity_cannot_be_returned_from_the_backend(self):
        """Return Products on a paid order of electricity is refused: no refund order is made
        (the meter has the energy; Suspend and Refund pays it back)."""
        self.open_new_session()
        data = self.electricity_order(61, 122.0)
        self.env['pos.order'].sync_from_ui([data])
        order = self.env['pos.order'].search([('uuid', '=', data['uuid'])])
        with self.assertRaisesRegex(UserError, 'Suspend and Refund'):
            order.refund()
        self.assertFalse(self.env['pos.order.line'].search([('refunded_orderline_id', 'in', order.lines.ids)]))

    def test_rewrite_is_refused_once_the_meter_has_the_credit(self):
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        vend = self.account.vend_ids
        self.account.sudo().is_credit_valid = False    # the card went into the meter
        with self.assertRaisesRegex(UserError, 'already reached the meter'):
            self.env['pos.order'].sync_from_ui([self.electricity_order(71, 20.0, prepaid_rewrite_vend_id=vend.id)])
        self.assertEqual(vend.amount_due, 122.0)

    def test_synced_order_returns_its_vend_to_the_pos(self):
        self.open_new_session()
        data = self.electricity_order(61, 122.0)
        result = self.env['pos.order'].sync_from_ui([data])
        [vend] = result['prepaid.vend']
        self.assertEqual((vend['amount_due'], vend['sequence'], vend['meter_number'], vend['account_number']),
                         (122.0, 2, '626200000001', self.account.number))
        # the ticket names the customer and the station
        self.assertEqual((vend['customer_name'], vend['station_name']), ('POS Customer', 'Station 626262'))
        self.assertEqual([line['prepaid_vend_id'] for line in result['pos.order.line']], [vend['id']])

    def test_electricity_needs_a_customer_and_is_never_refunded_at_the_pos(self):
        self.open_new_session()
        data = self.create_ui_order_data([{'product': self.product, 'quantity': 1, 'price_unit': 10.0,
                                           'price_subtotal': 10.0, 'price_subtotal_incl': 10.0}])
        with self.assertRaisesRegex(UserError, 'Sell Electricity button'):
            self.env['pos.order'].sync_from_ui([data])
        refund = self.create_ui_order_data([{
            'product': self.product, 'quantity': -1, 'price_unit': 122.0, 'price_subtotal': -122.0,
            'price_subtotal_incl': -122.0, 'prepaid_account_id': self.account.id, 'prepaid_method': 'energy',
            'prepaid_quantity': 61}])
        with self.assertRaisesRegex(UserError, 'Suspend and Refund'):
            self.env['pos.order'].sync_from_ui([refund])
        self.assertFalse(self.account.vend_ids)

    def test_the_electricity_product_is_always_loaded_but_not_in_the_grid(self):
        self.assertIn(self.product, self.config._get_special_products())
        self.open_new_session()
        data = self.pos_session.load_data([])
        config_data = data['pos.config'][0]
        self.assertEqual(config_data['_prepaid_product_id'], self.product.id)
        self.assertTrue(config_data['_prepaid_can_vend'])
        self.assertIn(self.product.id, config_data['_pos_special_products_ids'])

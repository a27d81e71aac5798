"""The server's guards behind the POS: an order synced with a tampered electricity line
(price, energy, customer) is refused with nothing written, and every vending call of the
POS checks the cashier's role on the server, whatever the screen shows."""
import inspect

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import OPERATOR, make_account


@tagged('post_install', '-at_install')
class TestPosGuards(TestPoSCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.sudo().group_ids = [Command.link(cls.env.ref(OPERATOR).id)]
        env = cls.env(su=True)   # fixtures are the administrator's
        cls.config = cls.basic_config
        # two customers at different prices: 2.00 and 3.00 per kWh
        cls.account = make_account(env, '646464', '646400000001', customer='Guarded Customer')
        cls.other = make_account(env, '656565', '656500000001', customer='Other Customer', price=3.0)
        (cls.account | cls.other).purchase_sequence = 1    # not first vends: no preset
        cls.account, cls.other = cls.account.with_env(cls.env), cls.other.with_env(cls.env)
        cls.product = env.ref('prepaid_electricity.product_electricity').with_env(cls.env)
        env.company._prepaid_sync_product_account()

    def electricity_order(self, energy, amount, account=None, **line_vals):
        return self.create_ui_order_data([{
            'product': self.product, 'quantity': 1, 'price_unit': amount, 'price_subtotal': amount,
            'price_subtotal_incl': amount, 'prepaid_account_id': (account or self.account).id,
            'prepaid_method': 'energy', 'prepaid_quantity': energy, **line_vals}])

    def assert_refused(self, data, message):
        """The order is refused as the till sends it (one request, rolled back on error): no
        order, no vend, no rewrite, the customers untouched."""
        vends = self.env['prepaid.vend'].search([])
        customers = [(a.purchase_sequence, a.money_balance, a.period_energy) for a in (self.account, self.other)]
        with self.assertRaisesRegex(UserError, message), self.env.cr.savepoint():
            self.env['pos.order'].sync_from_ui([data])
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertFalse(self.env['pos.order'].search([('uuid', '=', data['uuid'])]))
        self.assertEqual(self.env['prepaid.vend'].search([]), vends)
        self.assertEqual(customers, [(a.purchase_sequence, a.money_balance, a.period_energy)
                                     for a in (self.account, self.other)])

    # ------------------------------------------------------------------ tampered orders
    def test_a_sale_priced_below_its_quote_is_refused(self):
        """61 kWh cost 122.00: a line that asks 100.00 for them is refused."""
        self.open_new_session()
        self.assert_refused(self.electricity_order(61, 100.0), 'quote it again')

    def test_a_sale_with_more_energy_than_paid_for_is_refused(self):
        """The line pays 122.00 (61 kWh) but asks for 71 kWh: refused."""
        self.open_new_session()
        self.assert_refused(self.electricity_order(71, 122.0), 'quote it again')

    def test_a_sale_moved_to_another_customer_is_refused(self):
        """Quoted for a customer at 2.00 (61 kWh = 122.00), sent for another at 3.00: refused,
        the other customer would get 61 kWh for 122.00 instead of 183.00."""
        self.open_new_session()
        self.assert_refused(self.electricity_order(61, 122.0, account=self.other), 'quote it again')
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 183.0, account=self.other)])
        self.assertRecordValues(self.other.vend_ids, [{'energy_bought': 61.0, 'amount_due': 183.0}])

    def test_a_rewrite_of_another_customer_s_vend_is_refused(self):
        """A rewrite line whose vend is another customer's is refused, even at the right price."""
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        vend = self.account.vend_ids
        data = self.electricity_order(71, 20.0, account=self.other, prepaid_rewrite_vend_id=vend.id)
        self.assert_refused(data, "not of this line's customer")
        self.assertRecordValues(vend, [{'energy_bought': 61.0, 'amount_due': 122.0, 'rewrite_count': 0}])
        self.assertFalse(self.account.operation_ids.filtered(lambda o: o.kind == 'rewrite'))

    def test_a_rewrite_priced_below_its_quote_is_refused(self):
        """Rewriting 61 to 71 kWh costs 20.00 more: a line asking 10.00 is refused."""
        self.open_new_session()
        self.env['pos.order'].sync_from_ui([self.electricity_order(61, 122.0)])
        vend = self.account.vend_ids
        self.assert_refused(self.electricity_order(71, 10.0, prepaid_rewrite_vend_id=vend.id), 'quote it again')
        self.assertRecordValues(vend, [{'amount_due': 122.0, 'rewrite_count': 0}])

    # ------------------------------------------------------------------ roles
    def test_every_vending_call_checks_the_role(self):
        """Each vending call of the till (every public `prepaid_` method of pos.config) refuses a
        POS user without a vending role (AccessError), before it looks at anything else; reissue
        and credit recovery refuse an operator who is not a manager."""
        bridge = self.env['prepaid.card.bridge'].sudo().create({'name': 'Guarded till'})
        bridge._pair(bridge.pairing_code)
        bridge.card_serial = '0d0d0d0d0d0d0d0d'
        self.config.sudo().prepaid_bridge_id = bridge
        self.account.sudo().card_id = self.env['prepaid.card'].sudo()._new_card_for(self.account, '0c0c0c0c0c0c0c0c')
        clerk = new_test_user(self.env, login='pe_pos_clerk', groups='base.group_user,point_of_sale.group_pos_user')
        operator = new_test_user(self.env, login='pe_pos_operator',
                                 groups=f'base.group_user,point_of_sale.group_pos_user,{OPERATOR}')
        Config = type(self.env['pos.config'])
        methods = {name: getattr(Config, name) for name in dir(Config)
                   if name.startswith('prepaid_') and inspect.isfunction(getattr(Config, name))}
        self.assertLessEqual({f'prepaid_{name}' for name in (
            'find_accounts', 'account_summary', 'read_card', 'job_status', 'opening_options', 'open_account',
            'quote', 'quote_rewrite', 'quote_top_up', 'write_status', 'write_vend', 'issue_card', 'reissue_card',
            'recover_credit')}, set(methods))
        for name, method in sorted(methods.items()):
            # whatever the method takes (never looked at: refused before)
            args = [self.account.id] * (len(inspect.signature(method).parameters) - 1)
            with self.subTest(method=name), self.assertRaises(AccessError):
                getattr(self.config.with_user(clerk), name)(*args)
        self.assertFalse(self.env['prepaid.card.job'].sudo().search([('bridge_id', '=', bridge.id)]))
        for name, args in (('prepaid_reissue_card', [self.account.id]),
                           ('prepaid_recover_credit', [self.account.id, 0])):
            with self.subTest(method=name), self.assertRaises(AccessError):
                getattr(self.config.with_user(operator), name)(*args)
        self.assertEqual(self.account.card_id.serial, '0c0c0c0c0c0c0c0c', "no card was reissued")

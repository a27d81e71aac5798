"""A remote meter tripped at the overdraft limit, topped up at the real Odoo POS in headless
Chromium: the manager sees it tripped in the Balances list; the operator finds the tenant,
sees the meter tripped and the negative balance, tops it up and pays cash; the strategy queues
the close, and the meter's confirmation closes the relay."""
import datetime as dt
from decimal import Decimal

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .common import MANAGER, OPERATOR
from .remote_common import Report, freeze, result
from .test_pos_top_up import remote_account

ASSET = '17000929'
METER = '170009290001'


@tagged('post_install', '-at_install', 'prepaid_http')
class TestPosTopUpTour(TestPointOfSaleHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env(su=True)    # fixtures are the administrator's
        cls.pos_user.group_ids = [Command.link(env.ref(OPERATOR).id)]
        cls.manager = new_test_user(env, login='pe_balances_manager', password='pe_balances_manager_pw', tz='UTC',
                                    groups=f'base.group_user,{MANAGER}')
        product = env.ref('prepaid_electricity.product_electricity')
        product.product_tmpl_id.active = True    # the POS tests archive every product
        env.company._prepaid_sync_product_account()
        station = env['prepaid.station'].create({'name': 'Apartments', 'code': '929292'})
        tariff = env['prepaid.tariff'].create({'name': 'Flat 1.00', 'kind': 'flat', 'price': 1.0})
        head_end = env['prepaid.card.bridge'].create({'name': 'Head-end', 'service': 'head_end'})
        head_end._pair(head_end.pairing_code, 'he-tour', 'head_end')
        concentrator = env['prepaid.concentrator'].create({'asset_number': ASSET, 'name': 'Building 9'})
        cls.account = remote_account(env, meter_number=METER, concentrator=concentrator, station=station,
                                     tariff=tariff)
        # 10.00 topped up in the backend, then 25 kWh billed over two days: -15.00, below the
        # overdraft limit of 5.00: the strategy trips the meter, and the meter confirms it
        cash = env['account.journal'].search([*env['account.journal']._check_company_domain(env.company),
                                              ('type', '=', 'cash')], limit=1)
        cls.account._top_up(Decimal('10'), cash)
        yesterday = fields.Date.context_today(env.user) - dt.timedelta(days=1)
        head_end._head_end_report(Report(daily=[
            freeze(yesterday - dt.timedelta(days=1), '110.00', flat='10.00', meter=METER),
            freeze(yesterday, '125.00', flat='25.00', meter=METER)]).to_json())
        trip = cls.commands('trip')
        trip._apply_result(result(trip, 'confirmed'))

    @classmethod
    def commands(cls, action):
        return cls.env['prepaid.meter.command'].sudo().search(
            [('meter_id', '=', cls.account.meter_id.id), ('action', '=', action), ('origin', '=', 'strategy')])

    def test_top_up_a_tripped_meter_at_the_pos(self):
        account, meter = self.account, self.account.meter_id
        self.assertEqual(account.money_balance, -15.0)
        self.assertRecordValues(meter, [{'relay_state': 'open', 'tripped_by_strategy': True}])

        # the manager's Balances list (remote accounts) shows the meter tripped
        self.start_tour('/odoo/action-prepaid_electricity.prepaid_account_action_balance',
                        'prepaid_electricity_remote_balances', login=self.manager.login)

        self.start_pos_tour('prepaid_electricity_pos_top_up', login='pos_user')
        self.env.invalidate_all()
        vend = account.vend_ids.filtered(lambda v: v.channel == 'pos')
        self.assertRecordValues(vend, [{'kind': 'topup', 'state': 'credited', 'method': 'money', 'amount_due': 50.0,
                                        'balance_before': -15.0, 'balance_after': 35.0}])
        self.assertTrue(vend.pos_order_line_id)
        self.assertEqual(vend.pos_order_line_id.order_id.state, 'paid')
        self.assertEqual(account.money_balance, 35.0)
        close = self.commands('close')
        self.assertRecordValues(close, [{'state': 'queued', 'account_id': account.id}])
        self.assertEqual(meter.relay_state, 'open', "closed only when the meter confirms")

        # the head-end sends the close and the meter's read-back confirms it
        close._apply_result(result(close, 'confirmed'))
        self.assertRecordValues(meter, [{'relay_state': 'closed', 'tripped_by_strategy': False}])
        self.assertEqual(account.alarm_state, 'ok')

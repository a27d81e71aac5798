"""The vending screen of the real Odoo POS in headless Chromium, as a Chinese-speaking
operator sees it: the search row on one line; a customer's last purchases and the meter's
write-back; no quote offered while the credit is still on the card; a customer without a card
offered the card issue, in a dialog of its own that shows the server's refusal; an account
opened at the till in its dialog (refused while incomplete) and its first purchase added to the
order."""
from decimal import Decimal

from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .common import make_account

STATION = '535353'


@tagged('post_install', '-at_install', 'prepaid_http')
class TestPosScreenTour(TestPointOfSaleHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env(su=True)    # fixtures are the administrator's
        env['res.lang']._activate_lang('zh_CN')
        env['ir.module.module']._load_module_terms(['web', 'point_of_sale', 'prepaid_electricity'], ['zh_CN'])
        cls.pos_user.write({
            'lang': 'zh_CN',
            'group_ids': [Command.link(env.ref('prepaid_electricity.prepaid_electricity_group_operator').id)]})
        product = env.ref('prepaid_electricity.product_electricity')
        product.product_tmpl_id.active = True    # the POS tests archive every product
        env.company._prepaid_sync_product_account()

        # Li Na: six purchases, the last one's credit still on her card; the meter wrote back
        li = make_account(env, STATION, '000053530001', customer='Li Na')
        for energy in range(31, 37):
            if li.is_credit_valid:
                li._apply_write_back(10, 0, is_credit_consumed=True)
            li._vend('energy', Decimal(energy))
        li.card_id = env['prepaid.card']._new_card_for(li, '5353535353535353')
        env['prepaid.card.writeback'].create({
            'card_id': li.card_id.id, 'account_id': li.id, 'meter_id': li.meter_id.id, 'remaining_energy': 12.5,
            'cumulative_purchased': 160.0, 'total_consumption': 147.5, 'insert_count': 5, 'meter_status': '0'})
        station = li.station_id
        env['prepaid.template'].create({'name': 'Flats', 'station_id': station.id, 'is_default': True,
                                        'meter_type_id': li.meter_type_id.id, 'tariff_id': li.tariff_id.id})
        # a vending till: its grid shows only an (empty) category of its own, as in the demo
        cls.main_pos_config.write({
            'prepaid_station_id': station.id, 'limit_categories': True,
            'iface_available_categ_ids': [Command.set(env['pos.category'].create({'name': 'Electricity'}).ids)]})
        # Wang Wei: opened in the backend with his first purchase, his card not issued yet
        meter = env['prepaid.meter'].create({'number': '000053530002', 'meter_type_id': li.meter_type_id.id})
        wang = env['prepaid.account'].create({
            'partner_id': env['res.partner'].create({'name': 'Wang Wei'}).id, 'meter_id': meter.id,
            'tariff_id': li.tariff_id.id, 'station_id': station.id})
        wang._vend('energy', Decimal('30'))

    def test_the_vending_screen(self):
        self.start_pos_tour('prepaid_electricity_pos_screen', login='pos_user')
        account = self.env(su=True)['prepaid.account'].search([('partner_id.name', '=', 'Chen Jie')])
        self.assertRecordValues(account, [{'state': 'active', 'card_id': False, 'phone': '13700000003'}])
        self.assertEqual(account.meter_id.number, '000053535353')
        self.assertEqual(account.operation_ids.mapped('kind'), ['open'])
        self.assertFalse(account.vend_ids, "the first purchase is made when the order is paid")
        # the card issue refused in its dialog (no bridge on this till) wrote nothing
        wang = self.env(su=True)['prepaid.account'].search([('partner_id.name', '=', 'Wang Wei')])
        self.assertFalse(wang.card_id)
        self.assertFalse(self.env(su=True)['prepaid.card.job'].search([]))

"""What the screens show is readable: a tariff's price said once, a bridge's readers as text."""
from odoo.tests import TransactionCase, tagged

from .common import make_account


@tagged('post_install', '-at_install')
class TestDisplay(TransactionCase):

    def test_a_flat_tariff_shows_its_price_once(self):
        """The vending screen puts the tariff's name and price on one line: a name that already
        says the price ("Residential 2.0000") is not followed by it again."""
        account = make_account(self.env, '676767', '676700000001')
        Vending = self.env['pos.config']
        for name, expected in (('Residential 2.0000', 'Residential 2.0000'), ('Residential', 'Residential 2.0000')):
            with self.subTest(name=name):
                account.tariff_id.name = name
                summary = Vending._prepaid_account_summary(account)
                self.assertEqual(' '.join(filter(None, [summary['tariff'], summary['price']])), expected)
        tiered = self.env['prepaid.tariff'].create({'name': 'Tiers', 'kind': 'tiered', 'tier_ids': [
            (0, 0, {'sequence': 1, 'upto_energy': 100, 'price': 0.5}), (0, 0, {'sequence': 2, 'price': 0.8})]})
        account.tariff_id = tiered
        self.assertEqual(Vending._prepaid_account_summary(account)['price'], '0.5000 / 0.8000')

    def test_bridge_readers_read_as_text(self):
        """The bridge form lists each reader and the card in it, not "[object Object]"."""
        bridge = self.env['prepaid.card.bridge'].create({'name': 'Till'})
        self.assertEqual(bridge.readers_text, 'No reader reported yet.')
        bridge.readers = [{'name': 'Virtual PCD 00 00', 'card': '0a0b0c0d0e0f1011'},
                          {'name': 'Virtual PCD 00 01', 'card': None}]
        self.assertEqual(bridge.readers_text.splitlines(),
                         ['Virtual PCD 00 00: card 0a0b0c0d0e0f1011', 'Virtual PCD 00 01: no card'])
        arch = self.env['prepaid.card.bridge'].get_views([(False, 'form')])['views']['form']['arch']
        self.assertIn('name="readers_text"', arch)
        self.assertNotIn('name="readers"', arch)

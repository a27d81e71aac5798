"""The Odoo layer's one way from its numbers (ORM floats, POS input) to the engine's Decimal."""
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..tools import to_decimal


@tagged('post_install', '-at_install')
class TestToDecimal(BaseCase):

    def test_numbers_become_exact_decimals(self):
        """A float is the decimal it prints as, never its binary expansion, rounded half up."""
        for value, places, expected in (
                (0.1, 2, '0.10'), (2.675, 2, '2.68'), (0.125, 2, '0.13'), (1.99995, 4, '2.0000'),
                (61, 2, '61.00'), ('41', 2, '41.00'), (' 12.5 ', 2, '12.50'), (Decimal('3.14159'), 4, '3.1416'),
                (False, 2, '0.00'), (None, 2, '0.00'), (-0.005, 2, '-0.01')):
            with self.subTest(value=value):
                self.assertEqual(str(to_decimal(value, places)), expected)

    def test_anything_else_is_a_value_error(self):
        for value in ('', 'forty', 'nan', 'inf', float('nan'), float('inf'), True, [1], '1e40'):
            with self.subTest(value=value), self.assertRaises(ValueError):
                to_decimal(value)

"""The plain-Python engine of prepaid_electricity: tariff maths, the vending rules, the
card format and its crypto. Nothing here imports Odoo; money and energy are Decimal throughout."""

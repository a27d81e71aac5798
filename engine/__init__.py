"""The plain-Python engine of prepaid_electricity: tariff maths, the vending rules, the
card format and its crypto, and a virtual meter (the virtual SLE4442 card is card_bridge's). Nothing here imports
Odoo; money and energy are Decimal throughout."""

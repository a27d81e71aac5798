"""The plain-Python domain core of prepaid_electricity: tariff maths, the vending rules, the
card format and its crypto, a virtual SLE4442 card and a virtual meter. Nothing here imports
Odoo; money and energy are Decimal throughout."""

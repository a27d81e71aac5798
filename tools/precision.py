"""Field precisions and the one way from the Odoo layer's numbers to the engine's Decimal."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ENERGY_DIGITS = (16, 2)     # kWh, stored as numeric(16, 2)
PRICE_DIGITS = (16, 4)      # yuan per kWh, 4 decimals


def to_decimal(value, places=2):
    """The one way from the Odoo layer's numbers to the engine's exact Decimal, with `places`
    decimals: a value read from a numeric column or a float field (a Python float in the ORM,
    False or None when empty: 0), or a number the POS sends (float, int or numeric string).
    A float is taken as the shortest decimal that prints it (what was stored or typed), never
    its binary expansion; then rounded half up. Anything else is a ValueError."""
    if value is None or value is False:
        value = 0
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"{value!r} is not a number")
    try:
        result = Decimal(str(value).strip()).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return result

"""Small helpers shared by the Odoo layer (no models here)."""
from decimal import Decimal

ENERGY_DIGITS = (16, 2)     # kWh, stored as numeric(16, 2)
PRICE_DIGITS = (16, 4)      # yuan per kWh, 4 decimals


def to_decimal(value, places=2):
    """Convert a value read from a numeric column (a Python float in the ORM) to an exact
    Decimal with `places` decimals: the domain engine never sees a float."""
    if value is None or value is False:
        value = 0
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-places))
    return Decimal(f'{value:.{places}f}')

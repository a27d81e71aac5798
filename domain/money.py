"""Exact arithmetic for money and energy.

Money and energy are `Decimal` everywhere; a float is refused (TypeError) so that no binary
rounding error can creep into a sale. Rounding is ROUND_HALF_UP (四舍五入), as a cashier does.
Energy is kept to 0.01 kWh, prices to 0.0001, money to the station's payment precision."""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

ENERGY_QUANTUM = Decimal('0.01')
PRICE_QUANTUM = Decimal('0.0001')
PAYMENT_PRECISIONS = (Decimal('1'), Decimal('0.1'), Decimal('0.01'))


def as_decimal(value, what='value'):
    """A Decimal from an int, a str or a Decimal; never from a float."""
    if isinstance(value, bool):
        raise TypeError(f"{what}: a boolean is not a number")
    if isinstance(value, float):
        raise TypeError(f"{what}: floats are not accepted for money or energy, use Decimal or str")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"{what}: {value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return result


def round_money(amount, precision):
    """Round an exact amount to the payment precision (1, 0.1 or 0.01), half up."""
    return as_decimal(amount).quantize(as_decimal(precision), rounding=ROUND_HALF_UP)


def round_energy(energy, rounding=ROUND_HALF_UP):
    return as_decimal(energy).quantize(ENERGY_QUANTUM, rounding=rounding)


def floor_energy(energy):
    """Energy rounded down to 0.01 kWh: what is written never exceeds what was paid for."""
    return round_energy(energy, ROUND_DOWN)


def is_multiple(value, step):
    return as_decimal(value) % as_decimal(step) == 0

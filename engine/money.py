"""Exact arithmetic for money, prices and energy (no Odoo here).

Money, prices and energy are `Decimal` everywhere. A float is refused with TypeError (and so
is a bool), so that no binary rounding error can creep into a sale; ints and numeric strings
are accepted and converted exactly.

Rounding rules:
- money is rounded to the station's payment precision, 1, 0.1 or 0.01 yuan (default 0.01),
  ROUND_HALF_UP (四舍五入, as a cashier does). `Decimal('1.00')` means whole yuan: a
  precision is compared by value, never by its exponent;
- prices have 4 decimals (0.0001), energy 2 decimals (0.01 kWh), ROUND_HALF_UP unless a
  function says otherwise (`floor_to_step`, `floor_money` round down).
"""
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

# What the rules take for a quantity: a Decimal, an int or a str (never a float); they hand
# back Decimals.
Number = Decimal | int | str

ZERO = Decimal(0)
ENERGY_QUANTUM = Decimal('0.01')
PRICE_QUANTUM = Decimal('0.0001')
MONEY_QUANTUM = Decimal('0.01')
PAYMENT_PRECISIONS = (Decimal('1'), Decimal('0.1'), Decimal('0.01'))
DEFAULT_PAYMENT_PRECISION = Decimal('0.01')


def as_decimal(value: Number, what: str = 'value') -> Decimal:
    """A finite Decimal from an int, a str or a Decimal; never from a float or a bool."""
    if isinstance(value, bool):
        raise TypeError(f"{what}: a boolean is not a number")
    if isinstance(value, float):
        raise TypeError(f"{what}: floats are not accepted for money or energy, use Decimal or str")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value)
        except (InvalidOperation, ValueError):
            raise ValueError(f"{what}: {value!r} is not a number") from None
    else:
        raise TypeError(f"{what}: {type(value).__name__} is not a number (use Decimal, int or str)")
    if not result.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return result


def payment_precision(value: Number = DEFAULT_PAYMENT_PRECISION) -> Decimal:
    """The canonical payment precision (Decimal 1, 0.1 or 0.01) for any equal value, e.g.
    '1', 1, Decimal('1.00'). Anything else is a ValueError."""
    precision = as_decimal(value, 'payment precision')
    for canonical in PAYMENT_PRECISIONS:
        if precision == canonical:
            return canonical
    raise ValueError(f"payment precision must be 1, 0.1 or 0.01, not {value!r}")


def round_money(amount: Number, precision: Number = DEFAULT_PAYMENT_PRECISION) -> Decimal:
    """`amount` rounded half up to the payment precision (1, 0.1 or 0.01)."""
    return as_decimal(amount, 'amount').quantize(payment_precision(precision), rounding=ROUND_HALF_UP)


def floor_money(amount: Number, precision: Number = DEFAULT_PAYMENT_PRECISION) -> Decimal:
    """`amount` rounded down (towards minus infinity) to the payment precision."""
    return as_decimal(amount, 'amount').quantize(payment_precision(precision), rounding=ROUND_FLOOR)


def round_price(price: Number) -> Decimal:
    """A price per kWh rounded half up to 4 decimals."""
    return as_decimal(price, 'price').quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)


def round_energy(energy: Number, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Energy to 0.01 kWh, half up unless told otherwise."""
    return as_decimal(energy, 'energy').quantize(ENERGY_QUANTUM, rounding=rounding)


def is_multiple(value: Number, step: Number) -> bool:
    """True when `value` is a whole number of `step`s (exactly, no rounding)."""
    return as_decimal(value) % as_decimal(step) == 0


def floor_to_step(value: Number, step: Number) -> Decimal:
    """The largest whole number of `step`s not above `value` (value >= 0)."""
    value, step = as_decimal(value), as_decimal(step)
    return (value // step) * step


def has_places(value: Number, quantum: Number) -> bool:
    """True when `value` has no more decimals than `quantum` (e.g. 0.01)."""
    value = as_decimal(value)
    return value == value.quantize(as_decimal(quantum), rounding=ROUND_DOWN)


def energy_text(energy: Number) -> str:
    """Energy as shown in a message: 2 decimals."""
    return str(round_energy(energy))


def money_text(amount: Number) -> str:
    """Money as shown in a message: 2 decimals (amounts are at most to the cent)."""
    return str(as_decimal(amount, 'amount').quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP))

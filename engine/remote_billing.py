"""Billing of remote prepaid meters from their daily frozen registers (no Odoo here).

A remote meter (费控表 read through a concentrator) freezes its forward active energy every
day at 00:00: the total and the four time-of-use registers T1..T4 (sharp, peak, flat, valley).
Each day is billed once from the difference between its freeze and the previous one:

- time of use: each band's delta × that band's price; flat or tiered: the total's delta
  priced by the tariff (tiers counted from the energy already billed in the period);
- the exact amount is rounded ONCE, half up, to the cent;
- billing starts after the start reading (示值起始表码): energy below it is never billed;
- a register that went backwards is either a rollover (the 6-digit register passed
  999999.99 and restarted at 0: the delta is what it counted across the wrap) or a reset
  (a replaced or reset meter): then nothing is billed and the reading is the new base,
  never a negative or an invented delta.

Entry point: `bill_day(previous, current, tariff, start_reading, period_energy_before)`.

The account's strategy (预充值告警, 自动跳闸/合闸) is decided by `alarm_level`, `should_trip`
and `should_close` from the money balance after each bill or top-up.
"""
from dataclasses import dataclass, fields
from decimal import Decimal

from .money import MONEY_QUANTUM, ZERO, Number, as_decimal, has_places, round_money
from .tariff import TOU_BANDS, Tariff

# DL/T 645 energy registers are XXXXXX.XX kWh: they wrap at 1,000,000.
REGISTER_RANGE = Decimal('1000000')
ENERGY_PLACES = Decimal('0.01')
ALARM_NONE, ALARM_FIRST, ALARM_SECOND = 0, 1, 2


def _register(value: Number, what: str) -> Decimal:
    register = as_decimal(value, what)
    if register < 0 or register >= REGISTER_RANGE or not has_places(register, ENERGY_PLACES):
        raise ValueError(f"{what} must be 0..999999.99 kWh with 2 decimals, not {value!r}")
    return register


@dataclass(frozen=True)
class Registers:
    """The five forward active energy registers of one freeze (kWh, 2 decimals)."""
    total: Decimal
    sharp: Decimal = ZERO
    peak: Decimal = ZERO
    flat: Decimal = ZERO
    valley: Decimal = ZERO

    def __post_init__(self):
        for field in fields(self):
            object.__setattr__(self, field.name, _register(getattr(self, field.name), field.name))


@dataclass(frozen=True)
class DayBill:
    """One day's bill: the deltas billed per register, the exact and the rounded amount, and
    why a register billed nothing (`notes`: 'before_start', 'rollover', 'reset', 'first')."""
    deltas: Registers
    exact_amount: Decimal
    amount: Decimal
    notes: tuple[str, ...] = ()

    @property
    def energy(self) -> Decimal:
        return self.deltas.total


def _delta(previous: Decimal, current: Decimal, notes: list) -> Decimal:
    if current >= previous:
        return current - previous
    wrapped = current + REGISTER_RANGE - previous
    # A wrap counts only a little past the register's end; a big drop is a reset or a
    # replacement, whose energy since the previous reading is unknown: nothing is billed.
    if wrapped < REGISTER_RANGE / 2:
        notes.append('rollover')
        return wrapped
    notes.append('reset')
    return ZERO


def bill_day(previous: Registers | None, current: Registers, tariff: Tariff, start_reading: Number = ZERO,
             period_energy_before: Number = ZERO) -> DayBill:
    """The bill of the day that `current` closes, `previous` being the freeze before it (None
    for the meter's first reading: billing then starts at `start_reading`)."""
    start = _register(start_reading, 'start reading')
    notes: list[str] = []
    if previous is None:
        # The first reading: only the total is known at the start reading, not how its time
        # of use bands stood then, so this first day is billed on the total, at the tariff's
        # flat price (a TOU tariff's flat band).
        notes.append('first')
        if current.total <= start:
            notes.append('before_start')
        total = max(current.total - start, ZERO)
        deltas = Registers(total)
    else:
        band_deltas = {band: _delta(getattr(previous, band), getattr(current, band), notes) for band in TOU_BANDS}
        total = _delta(previous.total, current.total, notes)
        if 'reset' in notes:
            # one register reset means the meter was: no band of it is trusted for this day
            deltas = Registers(ZERO)
        else:
            # what lies below the start reading was never the tenant's
            unbilled = max(start - previous.total, ZERO)
            if unbilled:
                notes.append('before_start')
                total = max(total - unbilled, ZERO)
                band_deltas = {band: ZERO for band in TOU_BANDS} if not total else band_deltas
            deltas = Registers(total, **band_deltas)
    exact = _exact_amount(tariff, deltas, previous is not None and 'before_start' not in notes,
                          as_decimal(period_energy_before, 'period energy'))
    return DayBill(deltas=deltas, exact_amount=exact, amount=round_money(exact, MONEY_QUANTUM),
                   notes=tuple(dict.fromkeys(notes)))


def _exact_amount(tariff: Tariff, deltas: Registers, bands_known: bool, period_energy_before: Decimal) -> Decimal:
    if tariff.kind == 'tou':
        prices = dict(tariff.tou_prices)
        band_sum = sum((getattr(deltas, band) for band in TOU_BANDS), ZERO)
        if bands_known and band_sum == deltas.total:
            return sum((getattr(deltas, band) * prices[band] for band in TOU_BANDS), ZERO)
        # bands unknown (first day) or not adding up to the total (a meter that counts a
        # band nowhere): the total at the flat band's price, never more than was consumed
        return deltas.total * prices['flat']
    return tariff.cost(deltas.total, period_energy_before)


# ---------------------------------------------------------------------------------- strategy
def alarm_level(balance: Number, first_threshold: Number, second_threshold: Number) -> int:
    """0 above threshold 1 (预充值1); 1 below it; 2 below threshold 2 (预充值2)."""
    balance = as_decimal(balance, 'balance')
    first, second = as_decimal(first_threshold, 'threshold 1'), as_decimal(second_threshold, 'threshold 2')
    if second > first:
        raise ValueError("threshold 2 must not be above threshold 1")
    if balance < second:
        return ALARM_SECOND
    if balance < first:
        return ALARM_FIRST
    return ALARM_NONE


def alarms_to_send(level_notified: int, balance: Number, first_threshold: Number,
                   second_threshold: Number) -> tuple[int, ...]:
    """The alarm levels to notify now, each once: the levels reached that were not notified
    yet (a balance that drops past both at once sends both, in order)."""
    level = alarm_level(balance, first_threshold, second_threshold)
    return tuple(range(level_notified + 1, level + 1))


def should_trip(balance: Number, overdraft: Number, *, relay_closed: bool, keep_power: bool,
                auto_trip: bool) -> bool:
    """Trip (跳闸) when the balance is below −overdraft (透支值), unless keep-power (保电) is
    set, automatic tripping is off, or the relay is already open."""
    return (relay_closed and auto_trip and not keep_power
            and as_decimal(balance, 'balance') < -as_decimal(overdraft, 'overdraft'))


def should_close(balance: Number, overdraft: Number, *, relay_closed: bool, tripped_by_strategy: bool) -> bool:
    """Close (合闸) again a relay the strategy tripped once the balance is back at or above
    −overdraft (a manager's trip is closed by a manager)."""
    return (not relay_closed and tripped_by_strategy
            and as_decimal(balance, 'balance') >= -as_decimal(overdraft, 'overdraft'))


__all__ = [
    'ALARM_FIRST', 'ALARM_NONE', 'ALARM_SECOND', 'REGISTER_RANGE', 'DayBill', 'Registers', 'alarm_level',
    'alarms_to_send', 'bill_day', 'should_close', 'should_trip',
]

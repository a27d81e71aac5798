"""The vending rules: from an account's state, its tariff and a request (by energy or by
money) to the whole quote of a vend, or the precise reason it is refused.

Rounding and balance rules:
- energy is bought in whole `energy_step`s (default 1 kWh), kept to 0.01 kWh;
- the energy amount is the exact tariff cost rounded once, half up, to the payment precision;
- the customer's carried money balance pays first: buying by energy, the amount due is the
  energy amount less the balance (never below zero); buying by money, the money handed over
  plus the balance buys the most whole steps and what is left is carried to the next vend;
- always: amount_due + balance_before == energy_amount + balance_after (no cent is lost or
  invented), and change = amount_tendered - amount_due >= 0;
- the preset energy is deducted at the first vend only, the over-zero energy of the last
  write-back at the next vend: net = bought - preset - over-zero (refused if below zero);
- CT/PT: multiplier = CT × PT. Primary side: the price written to the meter is price ×
  multiplier. Secondary side: the energy written is energy ÷ multiplier (rounded down to
  0.01 kWh), the price unchanged;
- refused while the card's credit is still valid, for a deactivated or closed account, and
  when the meter's remaining energy plus the net credit would exceed its hoarding limit.
"""
from dataclasses import dataclass

from . import tariff as tariffs
from .messages import _lt
from .money import PAYMENT_PRECISIONS, PRICE_QUANTUM, as_decimal, floor_energy, is_multiple, round_money

ZERO = as_decimal(0)


class VendRefused(Exception):
    """Why a vend cannot be made: `code` for programs, `message` (a translatable template)
    and `params` for people."""

    def __init__(self, code, message, **params):
        self.code = code
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class StationRules:
    preset_energy: object = as_decimal(20)
    payment_precision: object = as_decimal('0.01')
    energy_step: object = as_decimal(1)


@dataclass(frozen=True)
class MeterRules:
    ct_ratio: int = 1
    pt_ratio: int = 1
    side: str = 'none'                  # 'none', 'primary' or 'secondary'
    hoarding_limit: object = as_decimal(9999)

    @property
    def multiplier(self):
        return self.ct_ratio * self.pt_ratio


@dataclass(frozen=True)
class AccountState:
    state: str = 'active'               # 'active', 'deactivated' or 'closed'
    is_first_vend: bool = True
    money_balance: object = ZERO
    period_energy: object = ZERO        # bought in the tariff's current period
    is_card_credit_valid: bool = False
    remaining_energy: object = ZERO     # meter's last write-back, meter units
    over_zero_energy: object = ZERO     # meter's last write-back


@dataclass(frozen=True)
class VendRequest:
    by: str                             # 'energy' or 'money'
    quantity: object                    # kWh or money
    amount_tendered: object = None      # money handed over; None: exactly the amount due


@dataclass(frozen=True)
class Quote:
    by: str
    is_first_vend: bool
    energy_bought: object               # kWh paid for (primary side)
    preset_deducted: object
    over_zero_deducted: object
    energy_net: object                  # kWh the customer gets
    energy_written: object              # credit on the card, meter units
    multiplier: int
    unit_price: object                  # average price of this vend, 4 decimals
    price_written: object               # price written to the meter
    tiers: tuple                        # TierPortion, ...
    energy_amount: object               # cost of the energy, rounded to the payment precision
    amount_due: object                  # what the customer pays now
    amount_tendered: object
    change: object
    balance_before: object
    balance_after: object
    period_energy_before: object


def _refuse(code, message, **params):
    raise VendRefused(code, message, **params)


def _check_account(account):
    if account.state == 'closed':
        _refuse('account_closed', _lt("The account is closed: nothing can be sold to it."))
    if account.state == 'deactivated':
        _refuse('account_deactivated', _lt("The customer is deactivated: reactivate the account before selling."))
    if account.is_card_credit_valid:
        _refuse('credit_still_valid', _lt(
            "The credit of the last purchase is still on the card: the customer must insert the "
            "card into the meter before buying again (or rewrite that purchase)."))


def _check_station(station):
    if as_decimal(station.payment_precision) not in PAYMENT_PRECISIONS:
        _refuse('bad_precision', _lt("The payment precision must be 1, 0.1 or 0.01."))
    if as_decimal(station.energy_step) <= 0:
        _refuse('bad_step', _lt("The energy step must be above zero."))


def quote(request, station, meter, tariff, account):
    """The whole quote of a vend, or VendRefused."""
    _check_station(station)
    _check_account(account)
    precision = as_decimal(station.payment_precision)
    step = as_decimal(station.energy_step)
    balance = as_decimal(account.money_balance, 'money balance')
    period_before = as_decimal(account.period_energy, 'period energy')
    quantity = as_decimal(request.quantity, 'quantity')
    if quantity <= 0:
        _refuse('not_positive', _lt("Enter an energy or an amount above zero."))

    if request.by == 'energy':
        if not is_multiple(quantity, step):
            _refuse('not_step_multiple', _lt("Energy is sold in steps of %(step)s kWh."), step=step)
        energy = quantity
        energy_amount = round_money(tariffs.cost(tariff, energy, period_before), precision)
        balance_used = min(balance, energy_amount)
        amount_due = energy_amount - balance_used
        balance_after = balance - balance_used
    elif request.by == 'money':
        if not is_multiple(quantity, precision):
            _refuse('money_precision', _lt("Amounts are paid to the nearest %(precision)s."), precision=precision)
        available = quantity + balance
        energy = tariffs.energy_for_money(tariff, available, step, precision, period_before)
        if energy <= 0:
            _refuse('money_too_small', _lt("%(amount)s does not buy %(step)s kWh."), amount=available, step=step)
        energy_amount = round_money(tariffs.cost(tariff, energy, period_before), precision)
        amount_due = quantity
        balance_after = available - energy_amount
    else:
        _refuse('bad_method', _lt("Buy by energy or by money."))

    tendered = amount_due if request.amount_tendered is None else as_decimal(request.amount_tendered, 'amount tendered')
    if tendered < amount_due:
        _refuse('tendered_insufficient', _lt("%(tendered)s tendered is less than the %(due)s due."),
                tendered=tendered, due=amount_due)

    preset = as_decimal(station.preset_energy) if account.is_first_vend else ZERO
    if energy < preset:
        _refuse('below_preset', _lt(
            "The first purchase must be at least the %(preset)s kWh preset in the new meter."), preset=preset)
    over_zero = as_decimal(account.over_zero_energy)
    net = energy - preset - over_zero
    if net < 0:
        _refuse('below_over_zero', _lt(
            "The meter used %(over_zero)s kWh beyond zero: buy at least that much."), over_zero=over_zero)

    multiplier = meter.multiplier
    if multiplier < 1:
        _refuse('bad_multiplier', _lt("CT and PT ratios must be at least 1."))
    portions = tuple(tariffs.split(tariff, energy, period_before))
    exact = sum((p.amount for p in portions), ZERO)
    unit_price = (exact / energy).quantize(PRICE_QUANTUM)
    if meter.side == 'secondary':
        energy_written, price_written, net_meter = floor_energy(energy / multiplier), unit_price, net / multiplier
    elif meter.side == 'primary':
        energy_written, price_written, net_meter = energy, unit_price * multiplier, net
    else:
        energy_written, price_written, net_meter = energy, unit_price, net
    remaining = as_decimal(account.remaining_energy)
    hoarding = as_decimal(meter.hoarding_limit)
    if remaining + net_meter > hoarding:
        _refuse('hoarding_exceeded', _lt(
            "The meter would hold %(total)s kWh, above its hoarding limit of %(limit)s kWh."),
            total=floor_energy(remaining + net_meter), limit=hoarding)

    return Quote(
        by=request.by, is_first_vend=account.is_first_vend, energy_bought=energy,
        preset_deducted=preset, over_zero_deducted=over_zero, energy_net=net,
        energy_written=energy_written, multiplier=multiplier, unit_price=unit_price,
        price_written=price_written, tiers=portions, energy_amount=energy_amount,
        amount_due=amount_due, amount_tendered=tendered, change=tendered - amount_due,
        balance_before=balance, balance_after=balance_after, period_energy_before=period_before,
    )

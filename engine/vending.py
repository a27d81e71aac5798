"""The vending rules (no Odoo here): from the account's state, the station's and the meter's
rules, the tariff and a request (by energy or by money) to the whole quote of a vend, or
`VendRefused` with the precise reason.

Entry point: `quote(request, station, meter, tariff, account) -> Quote`.

Money and balance (all Decimal, no cent lost or invented):
- energy amount = the tariff's exact cost of the energy (tiers split) rounded ONCE, half up,
  to the station's payment precision (1, 0.1 or 0.01 yuan; default 0.01);
- the carried money balance (本次余额) pays first, in whole units of the precision:
  buying by energy, amount due = energy amount - balance used (never below zero), and the
  rest of the balance is carried; buying by money, the money handed over (a whole number of
  precision units) plus the balance buys the largest whole number of energy steps whose
  energy amount does not exceed it, and what is left is the new balance;
- always: amount_due + balance_before == energy_amount + balance_after, and
  amount_tendered == amount_due + change with change >= 0 (amount_tendered defaults to the
  amount due; buying by money the amount due is the money handed over for energy).

Energy (2 decimals, 0.01 kWh):
- energy bought is what the customer pays for, in kWh on the primary side (billing kWh); it
  counts towards the tariff's tiers. Buying by energy it must be a whole number of energy
  steps (station, default 1 kWh);
- CT/PT: multiplier = CT × PT (none = 1). Side 'none': no effect. 'primary' (一次侧): the
  energy written is the energy bought, the price written to the meter is price × multiplier.
  'secondary' (二次侧): the energy written is energy bought ÷ multiplier, price unchanged. So
  that this division is always exact (nothing lost, nothing invented), the energy step on a
  secondary-side meter is the smallest multiple of the station's step that is also a
  multiple of 0.01 × multiplier (e.g. 3 kWh for 1 kWh steps and a multiplier of 300);
- the meter works in its own units (= billing kWh except on the secondary side): the preset
  energy, the over-zero energy and the remaining energy of its write-back and its hoarding
  limit are meter units, and it credits net = energy written - preset (first purchase
  only) - over-zero. The engine applies exactly that rule, so it never sells what the meter
  would refuse: refused when a first purchase is below the preset, when the net would be
  negative, and when remaining + net would exceed the hoarding limit (default 9999);
- price written: the price of the last kWh bought (the tariff price; on a tiered tariff the
  price of the tier the purchase ends in) × multiplier on the primary side. The quote's
  `unit_price` is the average price of the purchase (exact cost ÷ energy, 4 decimals, half up).

Refusals (`VendRefused.code`): bad_method, account_closed, account_deactivated, card_foreign,
card_superseded, credit_still_valid, no_price, not_positive, too_large, not_step_multiple,
amount_zero (an energy whose amount rounds to nothing would be given away), money_precision,
money_too_small, below_preset, below_over_zero, hoarding_exceeded,
tendered_insufficient. Malformed inputs (a float, an unknown account state...) are
programming errors: TypeError / ValueError, not refusals.
"""
from dataclasses import dataclass
from decimal import Decimal
from math import lcm

from . import tariff as tariffs
from .messages import Refusal, _lt
from .money import (
    ENERGY_QUANTUM,
    ZERO,
    Number,
    as_decimal,
    energy_text,
    floor_money,
    floor_to_step,
    has_places,
    is_multiple,
    money_text,
    payment_precision,
    round_price,
)

STATES = ('active', 'deactivated', 'closed')
SIDES = ('none', 'primary', 'secondary')
METHODS = ('energy', 'money')
MAX_QUANTITY = Decimal('1000000000')    # one purchase of 10^9 kWh or yuan is a typo, not a sale

# Re-exported: the two conversions, with the same rounding as a quote.
energy_for_money = tariffs.energy_for_money
money_for_energy = tariffs.money_for_energy


class VendRefused(Refusal):
    """Why a vend cannot be made (a Refusal; its params are strings)."""


def _refuse(code, message, **params):
    raise VendRefused(code, message, **params)


def _flag(value, what):
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return value


def _energy(value, what, positive=False):
    energy = as_decimal(value, what)
    if energy < 0 or (positive and energy == 0):
        raise ValueError(f"{what} must be {'above' if positive else 'at least'} zero, not {energy}")
    return energy


def _ratio(value, what):
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be a whole number (int or Decimal), not {type(value).__name__}")
    ratio = as_decimal(value, what)
    if ratio != ratio.to_integral_value() or ratio < 1:
        raise ValueError(f"{what} must be a whole number of at least 1, not {value!r}")
    return int(ratio)


# ---------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class StationRules:
    """Rules of the vending station: the factory preset energy of new meters (deducted at a
    meter's first purchase, meter units), the payment precision and the energy step."""
    preset_energy: Decimal = Decimal('20')
    payment_precision: Decimal = Decimal('0.01')
    energy_step: Decimal = Decimal('1')

    def __post_init__(self):
        object.__setattr__(self, 'preset_energy', _energy(self.preset_energy, 'preset energy'))
        object.__setattr__(self, 'payment_precision', payment_precision(self.payment_precision))
        step = _energy(self.energy_step, 'energy step', positive=True)
        if not has_places(step, ENERGY_QUANTUM):
            raise ValueError(f"energy step must be a multiple of 0.01 kWh, not {step}")
        object.__setattr__(self, 'energy_step', step)


@dataclass(frozen=True)
class MeterRules:
    """The meter's CT/PT ratios, which side it meters, and its hoarding limit (meter units)."""
    ct_ratio: int = 1
    pt_ratio: int = 1
    side: str = 'none'                  # 'none', 'primary' or 'secondary'
    hoarding_limit: Decimal = Decimal('9999')

    def __post_init__(self):
        object.__setattr__(self, 'ct_ratio', _ratio(self.ct_ratio, 'CT ratio'))
        object.__setattr__(self, 'pt_ratio', _ratio(self.pt_ratio, 'PT ratio'))
        if self.side not in SIDES:
            raise ValueError(f"meter side must be one of {SIDES}, not {self.side!r}")
        object.__setattr__(self, 'hoarding_limit', _energy(self.hoarding_limit, 'hoarding limit'))

    @property
    def multiplier(self) -> int:
        """CT ratio × PT ratio, e.g. PT 30 × CT 10 = 300; 1 without transformers."""
        return self.ct_ratio * self.pt_ratio

    @property
    def effective_multiplier(self) -> int:
        """The multiplier the vend applies: 1 when the meter side is 'none'."""
        return 1 if self.side == 'none' else self.multiplier

    def to_billing_energy(self, meter_energy: Number) -> Decimal:
        """Meter kWh as billing (primary) kWh: × multiplier on the secondary side."""
        meter_energy = as_decimal(meter_energy, 'energy')
        return meter_energy * self.multiplier if self.side == 'secondary' else meter_energy


@dataclass(frozen=True)
class AccountState:
    """What the vend needs to know of the customer account (read from the account row)."""
    state: str = 'active'               # 'active', 'deactivated' or 'closed'
    is_first_vend: bool = True          # the meter's first purchase: the preset is deducted
    money_balance: Decimal = ZERO        # money carried from the last purchase (本次余额)
    period_energy: Decimal = ZERO        # billing kWh bought in the tariff's current period
    is_card_credit_valid: bool = False  # the last credit is still on the card (not inserted)
    remaining_energy: Decimal = ZERO     # meter's last write-back, meter units
    over_zero_energy: Decimal = ZERO     # meter's last write-back, meter units

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"account state must be one of {STATES}, not {self.state!r}")
        _flag(self.is_first_vend, 'is_first_vend')
        _flag(self.is_card_credit_valid, 'is_card_credit_valid')
        balance = as_decimal(self.money_balance, 'money balance')
        if balance < 0:
            raise ValueError(f"money balance cannot be negative, not {balance}")
        object.__setattr__(self, 'money_balance', balance)
        for name in ('period_energy', 'remaining_energy', 'over_zero_energy'):
            object.__setattr__(self, name, _energy(getattr(self, name), name.replace('_', ' ')))


@dataclass(frozen=True)
class VendRequest:
    """What the customer asks for: `by` 'energy' (quantity in kWh) or 'money' (quantity in
    yuan), the money handed over (None: exactly the amount due), and what the card layer
    found about the card presented (another station's card; a card replaced by a reissue)."""
    by: str
    quantity: Decimal
    amount_tendered: Decimal | None = None
    is_card_foreign: bool = False
    is_card_superseded: bool = False

    def __post_init__(self):
        object.__setattr__(self, 'quantity', as_decimal(self.quantity, 'quantity'))
        if self.amount_tendered is not None:
            object.__setattr__(self, 'amount_tendered', as_decimal(self.amount_tendered, 'amount tendered'))
        _flag(self.is_card_foreign, 'is_card_foreign')
        _flag(self.is_card_superseded, 'is_card_superseded')


# ---------------------------------------------------------------------------------- result
@dataclass(frozen=True, kw_only=True)
class Quote:
    """The whole quote of a vend. Energies in kWh (0.01), money in yuan, prices per kWh."""
    by: str                             # 'energy' or 'money'
    quantity: Decimal                    # as requested (kWh or money)
    is_first_vend: bool
    # energy
    energy_bought: Decimal               # billing kWh paid for (primary side); counts for tiers
    energy_step: Decimal                 # the step the energy was bought in (see module doc)
    multiplier: int                     # CT × PT applied (1 when the side is 'none')
    side: str
    energy_written: Decimal              # credit written to the card, meter units
    preset_deducted: Decimal             # meter units, first vend only
    over_zero_deducted: Decimal          # meter units
    energy_net: Decimal                  # credited by the meter: written - preset - over-zero
    energy_net_billing: Decimal          # the same in billing kWh (× multiplier on the secondary side)
    remaining_energy_before: Decimal     # meter's last write-back
    remaining_energy_after: Decimal      # remaining + net, <= the hoarding limit
    period_energy_before: Decimal
    period_energy_after: Decimal
    # prices
    tiers: tuple[tariffs.TierPortion, ...]  # (index, energy, price, amount), ...
    unit_price: Decimal                  # average price of this purchase, 4 decimals half up
    marginal_price: Decimal              # price of the last kWh bought
    price_written: Decimal               # price written to the meter
    # money
    payment_precision: Decimal
    amount_exact: Decimal                # sum of the tier amounts, unrounded
    energy_amount: Decimal               # amount_exact rounded half up to the payment precision
    balance_before: Decimal
    balance_used: Decimal                # of the balance, towards this energy amount
    balance_after: Decimal               # carried to the next purchase
    amount_due: Decimal                  # money the customer pays now
    amount_tendered: Decimal
    change: Decimal


# ---------------------------------------------------------------------------------- rules
def effective_energy_step(station: StationRules, meter: MeterRules) -> Decimal:
    """The energy step of a vend: the station's, or on a secondary-side meter the smallest
    multiple of it that is also a multiple of 0.01 × multiplier (so energy ÷ multiplier is a
    whole number of 0.01 kWh)."""
    step = station.energy_step
    if meter.side != 'secondary' or meter.multiplier == 1:
        return step
    hundredths = int(step / ENERGY_QUANTUM)
    return (Decimal(lcm(hundredths, meter.multiplier)) * ENERGY_QUANTUM).quantize(ENERGY_QUANTUM)


def _check_parties(request, account, tariff):
    if request.by not in METHODS:
        _refuse('bad_method', _lt("Choose how to buy: by energy (kWh) or by money."))
    if account.state == 'closed':
        _refuse('account_closed', _lt("The customer's account is closed: nothing can be sold to it."))
    if account.state == 'deactivated':
        _refuse('account_deactivated', _lt(
            "The customer is deactivated: reactivate the account before selling."))
    if request.is_card_foreign:
        _refuse('card_foreign', _lt(
            "This card belongs to another vending station: nothing can be sold on it here."))
    if request.is_card_superseded:
        _refuse('card_superseded', _lt(
            "This card was replaced by a reissued card: the customer has a newer card, sell on that one."))
    if account.is_card_credit_valid:
        _refuse('credit_still_valid', _lt(
            "The credit of the last purchase is still on the card: the customer must insert the "
            "card into the meter first (then read it here again), or that purchase can be rewritten."))
    if not tariff.has_price:
        _refuse('no_price', _lt("The customer's tariff has no price: set its prices before selling."))


def _check_quantity(request, station, meter, step):
    quantity = request.quantity
    if request.by == 'energy':
        if quantity <= 0:
            _refuse('not_positive', _lt("Enter an energy or an amount above zero."))
        if quantity > MAX_QUANTITY:
            _refuse('too_large', _lt("%(quantity)s kWh is too much for one purchase."), quantity=str(quantity))
        if not is_multiple(quantity, step):
            lower = floor_to_step(quantity, step)
            params = dict(energy=str(quantity), step=energy_text(step), lower=energy_text(lower),
                          upper=energy_text(lower + step))
            if step != station.energy_step:
                _refuse('not_step_multiple', _lt(
                    "This meter is on the secondary side of a CT/PT with a multiplier of %(multiplier)s: "
                    "its energy is sold in whole steps of %(step)s kWh, so %(energy)s kWh cannot be "
                    "sold (%(lower)s or %(upper)s kWh can)."), multiplier=str(meter.multiplier), **params)
            _refuse('not_step_multiple', _lt(
                "Energy is sold in whole steps of %(step)s kWh: %(energy)s kWh cannot be sold "
                "(%(lower)s or %(upper)s kWh can)."), **params)
    else:
        if quantity <= 0:
            _refuse('not_positive', _lt("Enter an energy or an amount above zero."))
        if quantity > MAX_QUANTITY:
            _refuse('too_large', _lt("%(quantity)s is too much money for one purchase."), quantity=str(quantity))
        _check_precision(quantity, station.payment_precision)


def _check_precision(amount, precision):
    if not is_multiple(amount, precision):
        _refuse('money_precision', _lt(
            "Payments are made to the nearest %(precision)s: %(amount)s is not."),
            precision=str(precision), amount=str(amount))


def _check_not_free(tariff, energy, energy_amount, step, precision, before):
    """Every price is above zero, yet a small energy may cost less than half a payment unit:
    rounded, it would be given away. Refused (by money, only a tariff whose first tier is
    almost free can get there)."""
    if energy_amount <= 0:
        _refuse('amount_zero', _lt(
            "%(energy)s kWh costs less than half of the payment unit of %(precision)s, so it would "
            "be given away: buy at least %(least)s kWh."),
            energy=energy_text(energy), precision=str(precision),
            least=energy_text(energy_for_money(tariff, ZERO, step, precision, before) + step))


def quote(request: VendRequest, station: StationRules, meter: MeterRules, tariff: tariffs.Tariff,
          account: AccountState) -> Quote:
    """The whole quote of `request` for an account in state `account`, or VendRefused.

    `station`: StationRules, `meter`: MeterRules, `tariff`: tariff.Tariff, `account`:
    AccountState. Nothing is changed: the caller records the vend and applies
    `balance_after`, `period_energy_after` etc. to the account.

    Three steps, refused in this order: the price (energy and money, balance included),
    what the meter does with the card, the money handed over."""
    _check_parties(request, account, tariff)
    step = effective_energy_step(station, meter)
    _check_quantity(request, station, meter, step)
    price = _pricing(request, station, tariff, account, step)
    effect = _meter_effect(price.energy, station, meter, account, step)
    tendered = _tender(request.amount_tendered, price.amount_due, station.payment_precision)

    energy, before = price.energy, account.period_energy
    portions = tuple(tariffs.split(tariff, energy, before))
    exact = sum((p.amount for p in portions), ZERO)
    marginal = portions[-1].price
    return Quote(
        by=request.by, quantity=request.quantity, is_first_vend=account.is_first_vend,
        energy_bought=energy, energy_step=step, multiplier=effect.multiplier, side=meter.side,
        energy_written=effect.energy_written, preset_deducted=effect.preset, over_zero_deducted=effect.over_zero,
        energy_net=effect.net, energy_net_billing=meter.to_billing_energy(effect.net),
        remaining_energy_before=effect.remaining, remaining_energy_after=effect.remaining + effect.net,
        period_energy_before=before, period_energy_after=before + energy,
        tiers=portions, unit_price=round_price(exact / energy), marginal_price=marginal,
        price_written=marginal * effect.multiplier if meter.side == 'primary' else marginal,
        payment_precision=station.payment_precision, amount_exact=exact, energy_amount=price.energy_amount,
        balance_before=account.money_balance, balance_used=price.balance_used, balance_after=price.balance_after,
        amount_due=price.amount_due, amount_tendered=tendered, change=tendered - price.amount_due,
    )


@dataclass(frozen=True)
class _Pricing:
    energy: Decimal             # billing kWh bought
    energy_amount: Decimal      # its price, rounded once to the payment precision
    balance_used: Decimal
    amount_due: Decimal
    balance_after: Decimal


def _pricing(request, station, tariff, account, step):
    """The energy bought and the money of the purchase: amount due and balance (module doc,
    "Money and balance")."""
    precision = station.payment_precision
    balance = account.money_balance
    usable_balance = floor_money(balance, precision)   # the balance pays in whole precision units
    before = account.period_energy
    if request.by == 'energy':
        energy = request.quantity
        energy_amount = money_for_energy(tariff, energy, precision, before)
        _check_not_free(tariff, energy, energy_amount, step, precision, before)
        balance_used = min(usable_balance, energy_amount)
        return _Pricing(energy=energy, energy_amount=energy_amount, balance_used=balance_used,
                        amount_due=energy_amount - balance_used, balance_after=balance - balance_used)
    available = request.quantity + balance
    energy = energy_for_money(tariff, available, step, precision, before)
    if energy <= 0:
        _refuse('money_too_small', _lt(
            "%(available)s (%(amount)s paid and %(balance)s of balance) does not buy one step of "
            "%(step)s kWh, which costs %(step_cost)s."),
            available=money_text(available), amount=money_text(request.quantity),
            balance=money_text(balance), step=energy_text(step),
            step_cost=money_text(money_for_energy(tariff, step, precision, before)))
    energy_amount = money_for_energy(tariff, energy, precision, before)
    _check_not_free(tariff, energy, energy_amount, step, precision, before)
    return _Pricing(energy=energy, energy_amount=energy_amount,
                    balance_used=min(usable_balance, energy_amount),
                    amount_due=request.quantity, balance_after=available - energy_amount)


@dataclass(frozen=True)
class _MeterEffect:
    multiplier: int             # applied (1 when the side is 'none')
    energy_written: Decimal     # meter units
    preset: Decimal
    over_zero: Decimal
    net: Decimal                # what the meter credits
    remaining: Decimal          # before this purchase


def _meter_effect(energy, station, meter, account, step):
    """What the meter will do with the card, in its units: the energy written, the preset and
    over-zero it deducts, the net it credits; refused where the meter would refuse."""
    multiplier = meter.effective_multiplier
    energy_written = energy / multiplier if meter.side == 'secondary' else energy
    energy_written = energy_written.quantize(ENERGY_QUANTUM)    # exact: energy is a whole step
    preset = station.preset_energy if account.is_first_vend else ZERO
    over_zero = account.over_zero_energy
    if energy_written < preset:
        _refuse('below_preset', _lt(
            "The first purchase must be at least the %(preset)s kWh preset in the new meter, which is "
            "deducted from it: %(energy)s kWh is less."),
            preset=energy_text(preset), energy=energy_text(energy_written))
    net = energy_written - preset - over_zero
    if net < 0:
        params = dict(over_zero=energy_text(over_zero), energy=energy_text(energy_written),
                      preset=energy_text(preset), least=energy_text(preset + over_zero))
        if preset:
            _refuse('below_over_zero', _lt(
                "The meter used %(over_zero)s kWh beyond zero and holds a %(preset)s kWh preset, both "
                "deducted from this purchase: %(energy)s kWh does not cover them (at least "
                "%(least)s kWh)."), **params)
        _refuse('below_over_zero', _lt(
            "The meter used %(over_zero)s kWh beyond zero, which is deducted from this purchase: "
            "%(energy)s kWh does not cover it."), **params)
    remaining = account.remaining_energy
    if remaining + net > meter.hoarding_limit:
        room = max(ZERO, meter.hoarding_limit - remaining + preset + over_zero)
        most = floor_to_step(meter.to_billing_energy(room), step)
        _refuse('hoarding_exceeded', _lt(
            "The meter would hold %(total)s kWh (%(remaining)s kWh left and %(net)s kWh credited), "
            "above its hoarding limit of %(limit)s kWh: at most %(most)s kWh can be sold now."),
            total=energy_text(remaining + net), remaining=energy_text(remaining), net=energy_text(net),
            limit=energy_text(meter.hoarding_limit), most=energy_text(most))
    return _MeterEffect(multiplier=multiplier, energy_written=energy_written, preset=preset,
                        over_zero=over_zero, net=net, remaining=remaining)


def _tender(tendered, amount_due, precision):
    """The money handed over (None: exactly the amount due), refused below the amount due."""
    if tendered is None:
        return amount_due
    _check_precision(tendered, precision)
    if tendered < amount_due:
        _refuse('tendered_insufficient', _lt(
            "%(tendered)s tendered is less than the %(due)s due."),
            tendered=money_text(tendered), due=money_text(amount_due))
    return tendered


__all__ = [
    'AccountState', 'MeterRules', 'Quote', 'StationRules', 'VendRefused', 'VendRequest',
    'effective_energy_step', 'energy_for_money', 'money_for_energy', 'quote',
]

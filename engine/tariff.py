"""Tariffs and their pricing maths: flat, tiered and time-of-use (no Odoo here).

- Flat: one price per kWh.
- Tiered (阶梯电价): blocks of the energy bought in the tariff's period (month or year; the
  caller passes the energy already bought in the current period). Each tier applies up to a
  cumulative energy (`upto`); the last tier is open-ended. A purchase that crosses a
  boundary is split, each part priced at its tier's price.
- Time-of-use (分时电价): prices for sharp 尖 / peak 峰 / flat 平 / valley 谷. A card vend on
  such a tariff uses one price, the flat band's unless the tariff gives another `card_price`.

Rounding rules: prices have 4 decimals (0.0001), energies 2 (0.01 kWh). The parts of a split
carry their *exact* amount (energy × price, never rounded), so the parts always add up to the
exact cost; the amount due is that exact cost rounded once, half up, to the payment precision
(`money_for_energy`). `energy_for_money` buys the most whole energy steps whose rounded cost
does not exceed the money. Everything is Decimal; floats are refused with TypeError.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .messages import Refusal, _lt
from .money import ENERGY_QUANTUM, PRICE_QUANTUM, ZERO, Number, as_decimal, has_places, round_money

KINDS = ('flat', 'tiered', 'tou')
PERIODS = ('month', 'year')
TOU_BANDS = ('sharp', 'peak', 'flat', 'valley')


class TariffError(Refusal, ValueError):
    """A tariff that is malformed or cannot price what is asked (a Refusal, code 'tariff';
    also a ValueError)."""

    def __init__(self, message: str, **params: str | int):
        super().__init__('tariff', message, **params)


def _price(value, what='price'):
    """A non-negative price with at most 4 decimals (None stays None)."""
    if value is None:
        return None
    price = as_decimal(value, what)
    if price < 0:
        raise TariffError(_lt("A price cannot be negative (%(what)s: %(price)s)."), what=what, price=str(price))
    if not has_places(price, PRICE_QUANTUM):
        raise TariffError(_lt("Prices have at most 4 decimals (%(what)s: %(price)s)."), what=what, price=str(price))
    return price


@dataclass(frozen=True)
class Tier:
    """One block of a tiered tariff: `price` per kWh for the energy bought in the period up
    to the cumulative `upto` kWh (None: open-ended, the last tier)."""
    upto: Decimal | None
    price: Decimal

    def __post_init__(self):
        if self.upto is not None:
            upto = as_decimal(self.upto, 'tier limit')
            if upto <= 0 or not has_places(upto, ENERGY_QUANTUM):
                raise TariffError(_lt("A tier limit must be above zero, to 0.01 kWh (%(upto)s)."), upto=str(upto))
            object.__setattr__(self, 'upto', upto)
        object.__setattr__(self, 'price', _price(self.price, 'tier price'))
        if self.price is None:
            raise TariffError(_lt("Every tier needs a price."))


@dataclass(frozen=True)
class TierPortion:
    """The part of a purchase priced in one tier (for flat and time-of-use card vends, the
    single part, index 1). `amount` is exact: energy × price, not rounded."""
    index: int          # 1-based tier number
    energy: Decimal     # kWh priced in this tier
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Tariff:
    """A validated tariff. Build one with `build_tariff` (strict: every price needed must be
    above zero) or directly (prices may be zero or missing: the vend is then refused)."""
    kind: str
    price: Decimal | None = None         # flat price
    period: str = 'year'                 # tiers count the energy bought in this period
    tiers: tuple[Tier, ...] = ()         # tiered
    tou_prices: tuple[tuple[str, Decimal], ...] = ()     # ((band, price), ...) in TOU_BANDS order (tou)
    card_price: Decimal | None = None    # tou: price of a card vend; None: the flat band's

    def __post_init__(self):
        if self.kind not in KINDS:
            raise TariffError(_lt("Unknown tariff type %(kind)s."), kind=str(self.kind))
        if self.period not in PERIODS:
            raise TariffError(_lt("Unknown tariff period %(period)s."), period=str(self.period))
        object.__setattr__(self, 'price', _price(self.price, 'price'))
        object.__setattr__(self, 'card_price', _price(self.card_price, 'card price'))
        tiers = tuple(t if isinstance(t, Tier) else Tier(*t) for t in self.tiers)
        for number, tier in enumerate(tiers, start=1):
            last = number == len(tiers)
            if tier.upto is None and not last:
                raise TariffError(_lt("Only the last tier may be open-ended (tier %(tier)s)."), tier=number)
            if last and tier.upto is not None:
                raise TariffError(_lt("The last tier must be open-ended (tier %(tier)s)."), tier=number)
            if number > 1 and tier.upto is not None and tier.upto <= tiers[number - 2].upto:
                raise TariffError(_lt("Tier limits must increase (tier %(tier)s)."), tier=number)
        if self.kind == 'tiered' and not tiers:
            raise TariffError(_lt("A tiered tariff needs at least one tier."))
        object.__setattr__(self, 'tiers', tiers)
        given = dict(self.tou_prices)
        unknown = set(given) - set(TOU_BANDS)
        if unknown:
            raise TariffError(_lt("Unknown time-of-use bands: %(bands)s."), bands=', '.join(sorted(unknown)))
        object.__setattr__(self, 'tou_prices', tuple(
            (band, _price(given.get(band, ZERO), f'{band} price')) for band in TOU_BANDS) if given else ())

    @property
    def vend_price(self) -> Decimal | None:
        """The single price of a card vend on a flat or time-of-use tariff; the first tier's
        price on a tiered one (informative: a tiered vend is priced by `split`)."""
        if self.kind == 'tou':
            if self.card_price is not None:
                return self.card_price
            return dict(self.tou_prices).get('flat')
        if self.kind == 'tiered':
            return self.tiers[0].price
        return self.price

    @property
    def has_price(self) -> bool:
        """True when a card vend can be priced: every price it may use is above zero."""
        if self.kind == 'tiered':
            return all(tier.price > 0 for tier in self.tiers)
        price = self.vend_price
        return price is not None and price > 0

    def split(self, energy: Number, period_energy_before: Number = ZERO) -> list[TierPortion]:
        return split(self, energy, period_energy_before)

    def cost(self, energy: Number, period_energy_before: Number = ZERO) -> Decimal:
        return cost(self, energy, period_energy_before)


def build_tariff(kind: str, price: Number | None = None, period: str = 'year',
                 tiers: Iterable[tuple[Number | None, Number]] = (), tou_prices: Mapping[str, Number] | None = None,
                 card_price: Number | None = None) -> Tariff:
    """Validate and build a Tariff from plain values (what a form holds).

    `tiers`: [(upto or None, price), ...] in order; the last tier is open-ended whatever its
    `upto` says. `tou_prices`: {'sharp': ..., 'peak': ..., 'flat': ..., 'valley': ...}
    (missing bands cost 0). Values not used by the kind are ignored. Strict: a flat price,
    every tier price and the card price of a time-of-use tariff must be above zero."""
    if kind not in KINDS:
        raise TariffError(_lt("Unknown tariff type %(kind)s."), kind=str(kind))
    if kind == 'flat':
        flat = _price(price if price is not None else ZERO)
        if flat <= 0:
            raise TariffError(_lt("A flat tariff needs a price above zero."))
        return Tariff('flat', price=flat, period=period)
    if kind == 'tiered':
        tiers = list(tiers or ())
        if not tiers:
            raise TariffError(_lt("A tiered tariff needs at least one tier."))
        built = []
        for number, (upto, tier_price) in enumerate(tiers, start=1):
            if number == len(tiers):
                upto = None     # the last tier is open-ended
            elif upto is None:
                raise TariffError(_lt("Only the last tier may be open-ended (tier %(tier)s)."), tier=number)
            tier = Tier(upto, tier_price)
            if tier.price <= 0:
                raise TariffError(_lt("Tier %(tier)s needs a price above zero."), tier=number)
            built.append(tier)
        return Tariff('tiered', period=period, tiers=tuple(built))
    tariff = Tariff('tou', period=period, tou_prices=tuple((tou_prices or {'flat': ZERO}).items()),
                    card_price=card_price)
    if not tariff.has_price:
        if card_price is not None:
            raise TariffError(_lt("The card price of a time-of-use tariff must be above zero."))
        raise TariffError(_lt("A time-of-use tariff needs a flat price above zero."))
    return tariff


def _check_energy(energy, what='energy'):
    energy = as_decimal(energy, what)
    if energy < 0:
        raise TariffError(_lt("Energy cannot be negative (%(what)s: %(energy)s kWh)."),
                          what=what, energy=str(energy))
    return energy


def split(tariff: Tariff, energy: Number, period_energy_before: Number = ZERO) -> list[TierPortion]:
    """The tier portions of buying `energy` kWh when `period_energy_before` kWh were already
    bought this period. The portions' energies add up to `energy`, their exact amounts to
    `cost`. A flat or time-of-use tariff gives one portion at its card vend price."""
    energy = _check_energy(energy)
    start = _check_energy(period_energy_before, 'period energy')
    if tariff.kind != 'tiered':
        price = tariff.vend_price
        if price is None:
            raise TariffError(_lt("The tariff has no price."))
        return [TierPortion(1, energy, price, energy * price)] if energy else []
    end = start + energy
    portions, lower = [], ZERO
    for index, tier in enumerate(tariff.tiers, start=1):
        low = max(start, lower)
        high = end if tier.upto is None else min(end, tier.upto)
        if high > low:
            portions.append(TierPortion(index, high - low, tier.price, (high - low) * tier.price))
        if tier.upto is None:
            break
        lower = tier.upto
    return portions


def cost(tariff: Tariff, energy: Number, period_energy_before: Number = ZERO) -> Decimal:
    """Exact (unrounded) cost of `energy` kWh: the sum of the split's amounts."""
    return sum((p.amount for p in split(tariff, energy, period_energy_before)), ZERO)


def money_for_energy(tariff: Tariff, energy: Number, precision: Number = '0.01',
                     period_energy_before: Number = ZERO) -> Decimal:
    """What `energy` kWh cost, rounded half up to the payment precision."""
    return round_money(cost(tariff, energy, period_energy_before), precision)


def energy_for_money(tariff: Tariff, money: Number, step: Number, precision: Number = '0.01',
                     period_energy_before: Number = ZERO) -> Decimal:
    """The most energy, in whole `step`s, whose rounded cost (`money_for_energy`) does not
    exceed `money`; 0 when not even one step is affordable. (With `money` 0 it is the most
    energy whose cost rounds to nothing.)

    Inverse of `money_for_energy` wherever rounding allows:
    money_for_energy(energy_for_money(m)) <= m, and energy_for_money(money_for_energy(e)) >= e,
    with equality when one step always costs at least the payment precision."""
    money, step = as_decimal(money, 'money'), as_decimal(step, 'energy step')
    if step <= 0:
        raise TariffError(_lt("The energy step must be above zero."))
    if not tariff.has_price:
        raise TariffError(_lt("The tariff has no price."))
    if money < 0:
        return ZERO * step

    def affordable(steps):
        return money_for_energy(tariff, steps * step, precision, period_energy_before) <= money

    # Every price is above zero, so the rounded cost never decreases with the energy and
    # grows without bound: bracket the answer by doubling, then bisect on the step count.
    high = 1
    while affordable(high):
        high *= 2
    low = high // 2     # affordable, or 0
    while high - low > 1:
        middle = (low + high) // 2
        if affordable(middle):
            low = middle
        else:
            high = middle
    return low * step


__all__ = [
    'KINDS', 'PERIODS', 'TOU_BANDS', 'Tariff', 'TariffError', 'Tier', 'TierPortion', 'build_tariff', 'cost',
    'energy_for_money', 'money_for_energy', 'split',
]

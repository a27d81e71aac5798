"""Tariffs and their maths: flat, tiered and time-of-use.

A tiered tariff prices the energy by blocks of the energy already bought in the tariff's
period (month or year): a purchase that crosses a block boundary is split, each part at its
block's price. The exact cost (unrounded, to 0.000001) is the sum of the parts; the amount
due is rounded once, by the caller, to the payment precision. Time-of-use tariffs bill a
consumption split in sharp / peak / flat / valley; a card vend on such a tariff uses its
flat price."""
from dataclasses import dataclass

from .messages import _lt
from .money import PRICE_QUANTUM, as_decimal, round_money

KINDS = ('flat', 'tiered', 'tou')
PERIODS = ('month', 'year')
TOU_PERIODS = ('sharp', 'peak', 'flat', 'valley')


class TariffError(ValueError):
    """A tariff that cannot price anything; `message` is a translatable template."""

    def __init__(self, message, **params):
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class Tier:
    upto: object        # Decimal cumulative kWh in the period, None for the last tier
    price: object       # Decimal per kWh


@dataclass(frozen=True)
class Tariff:
    kind: str
    price: object = None                 # flat price
    period: str = 'year'
    tiers: tuple = ()
    tou_prices: tuple = ()               # ((period, price), ...)

    @property
    def vend_price(self):
        """The single price of a card vend on a flat or time-of-use tariff."""
        if self.kind == 'tou':
            return dict(self.tou_prices)['flat']
        return self.price


@dataclass(frozen=True)
class TierPortion:
    index: int          # 1-based tier number
    energy: object      # kWh priced in this tier
    price: object
    amount: object      # exact energy × price


def _price(value, what):
    price = as_decimal(value, what)
    if price < 0:
        raise TariffError(_lt("A price cannot be negative."))
    if price != price.quantize(PRICE_QUANTUM):
        raise TariffError(_lt("Prices have at most 4 decimals."))
    return price


def build_tariff(kind, price=None, period='year', tiers=(), tou_prices=None):
    """Validate and build a Tariff. `tiers` is a list of (upto or None, price) in order."""
    if kind not in KINDS:
        raise TariffError(_lt("Unknown tariff type %(kind)s."), kind=kind)
    if period not in PERIODS:
        raise TariffError(_lt("Unknown tariff period %(period)s."), period=period)
    if kind == 'flat':
        flat = _price(price if price is not None else 0, 'price')
        if flat <= 0:
            raise TariffError(_lt("A flat tariff needs a price above zero."))
        return Tariff('flat', price=flat, period=period)
    if kind == 'tiered':
        built, previous = [], 0
        if not tiers:
            raise TariffError(_lt("A tiered tariff needs at least one tier."))
        for number, (upto, tier_price) in enumerate(tiers, start=1):
            last = number == len(tiers)
            tier_price = _price(tier_price, 'tier price')
            if tier_price <= 0:
                raise TariffError(_lt("Tier %(tier)s needs a price above zero."), tier=number)
            if last:
                upto = None  # the last tier is open-ended
            else:
                if upto is None:
                    raise TariffError(_lt("Only the last tier may be open-ended (tier %(tier)s)."), tier=number)
                upto = as_decimal(upto, 'tier limit')
                if upto <= previous:
                    raise TariffError(_lt("Tier limits must increase (tier %(tier)s)."), tier=number)
                previous = upto
            built.append(Tier(upto, tier_price))
        return Tariff('tiered', period=period, tiers=tuple(built))
    prices = tuple((name, _price((tou_prices or {}).get(name, 0), f'{name} price')) for name in TOU_PERIODS)
    if dict(prices)['flat'] <= 0:
        raise TariffError(_lt("A time-of-use tariff needs a flat price above zero."))
    return Tariff('tou', period=period, tou_prices=prices)


def split(tariff, energy, period_energy_before=0):
    """The tier portions of buying `energy` kWh after `period_energy_before` kWh this period."""
    energy = as_decimal(energy, 'energy')
    if tariff.kind != 'tiered':
        price = tariff.vend_price
        return [TierPortion(1, energy, price, energy * price)] if energy else []
    start = as_decimal(period_energy_before, 'period energy')
    end = start + energy
    portions, lower = [], as_decimal(0)
    for index, tier in enumerate(tariff.tiers, start=1):
        low = max(start, lower)
        high = end if tier.upto is None else min(end, tier.upto)
        if high > low:
            portions.append(TierPortion(index, high - low, tier.price, (high - low) * tier.price))
        if tier.upto is None:
            break
        lower = tier.upto
    return portions


def cost(tariff, energy, period_energy_before=0):
    """Exact (unrounded) cost of `energy` kWh."""
    return sum((p.amount for p in split(tariff, energy, period_energy_before)), as_decimal(0))


def energy_for_money(tariff, money, step, precision, period_energy_before=0):
    """The most energy, in whole `step`s, whose rounded cost does not exceed `money`."""
    money, step = as_decimal(money, 'money'), as_decimal(step, 'energy step')
    if money <= 0:
        return as_decimal(0)

    def affordable(steps):
        return round_money(cost(tariff, steps * step, period_energy_before), precision) <= money

    # The cost is increasing in the energy: bracket then bisect on the number of steps.
    high = 1
    while affordable(high):
        high *= 2
    low = high // 2  # affordable (or 0)
    while high - low > 1:
        middle = (low + high) // 2
        if affordable(middle):
            low = middle
        else:
            high = middle
    return low * step


def bill_time_of_use(tariff, consumption):
    """Exact amount of a consumption {'sharp': kWh, 'peak': ..., 'flat': ..., 'valley': ...}."""
    if tariff.kind != 'tou':
        raise TariffError(_lt("Only a time-of-use tariff bills by time period."))
    prices = dict(tariff.tou_prices)
    unknown = set(consumption) - set(prices)
    if unknown:
        raise TariffError(_lt("Unknown time periods: %(periods)s."), periods=', '.join(sorted(unknown)))
    total = as_decimal(0)
    for name, energy in consumption.items():
        energy = as_decimal(energy, f'{name} energy')
        if energy < 0:
            raise TariffError(_lt("Consumption cannot be negative."))
        total += energy * prices[name]
    return total

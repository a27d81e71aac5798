"""Suspicious customers (可疑用户): few or small purchases against a high consumption.

The figures come from SQL aggregation in the Odoo layer (energy bought and vend count from the
sales, energy consumed from the meters' write-backs, both over one date range, both in billing
kWh); this module only decides. Energy and percentages are Decimal."""
import dataclasses
from decimal import Decimal

from .money import Number, as_decimal

FEW_PURCHASES = 'few'
SMALL_PURCHASES = 'small'


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """What the manager sets.

    - min_consumption: kWh consumed in the range from which a customer is looked at at all
      (a low consumption is never suspicious);
    - max_vend_count: that many purchases or fewer in the range is "few";
    - min_coverage_percent: energy bought below this share of the energy consumed is "small"."""
    min_consumption: Decimal
    max_vend_count: int
    min_coverage_percent: Decimal

    def __post_init__(self):
        object.__setattr__(self, 'min_consumption', as_decimal(self.min_consumption))
        object.__setattr__(self, 'min_coverage_percent', as_decimal(self.min_coverage_percent))
        if self.min_consumption <= 0 or self.max_vend_count < 0 or self.min_coverage_percent < 0:
            raise ValueError("thresholds must be positive")


def suspicion_reasons(consumed: Number, bought: Number, vend_count: int, thresholds: Thresholds) -> tuple[str, ...]:
    """The reasons (FEW_PURCHASES, SMALL_PURCHASES) why a customer who consumed `consumed` kWh
    and bought `bought` kWh in `vend_count` purchases is suspicious; empty when they are not."""
    consumed, bought = as_decimal(consumed), as_decimal(bought)
    if consumed < thresholds.min_consumption:
        return ()
    reasons = []
    if vend_count <= thresholds.max_vend_count:
        reasons.append(FEW_PURCHASES)
    if bought * 100 < consumed * thresholds.min_coverage_percent:
        reasons.append(SMALL_PURCHASES)
    return tuple(reasons)

"""The suspicious-customer rule, without Odoo."""
from decimal import Decimal as D

import pytest

from engine.suspicion import FEW_PURCHASES, SMALL_PURCHASES, Thresholds, suspicion_reasons

RULE = Thresholds(min_consumption=D('100'), max_vend_count=1, min_coverage_percent=D('50'))


@pytest.mark.parametrize('consumed, bought, vends, expected', [
    (D('99.99'), D('0'), 0, ()),                                # low consumption is never suspicious
    (D('100'), D('0'), 0, (FEW_PURCHASES, SMALL_PURCHASES)),    # at the threshold, nothing bought
    (D('300'), D('100'), 1, (FEW_PURCHASES, SMALL_PURCHASES)),  # one purchase covering a third
    (D('300'), D('400'), 1, (FEW_PURCHASES,)),                  # one big purchase: few only
    (D('300'), D('149.99'), 3, (SMALL_PURCHASES,)),             # many small purchases
    (D('300'), D('150'), 2, ()),                                # exactly half covered, two purchases
])
def test_reasons(consumed, bought, vends, expected):
    assert suspicion_reasons(consumed, bought, vends, RULE) == expected


def test_floats_and_bad_thresholds_are_refused():
    with pytest.raises(TypeError):
        suspicion_reasons(300.0, D('0'), 0, RULE)
    with pytest.raises(TypeError):
        Thresholds(min_consumption=100.0, max_vend_count=0, min_coverage_percent=D('50'))
    with pytest.raises(ValueError):
        Thresholds(min_consumption=D('0'), max_vend_count=0, min_coverage_percent=D('50'))

"""Property tests: energy <-> money never loses or invents a cent."""
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.prepaid_electricity.domain import tariff as t
from odoo.addons.prepaid_electricity.domain import vending as v
from odoo.addons.prepaid_electricity.domain.money import round_money

prices = st.integers(min_value=1, max_value=50_000).map(lambda n: D(n).scaleb(-4))      # 0.0001 .. 5.0000
energies = st.integers(min_value=1, max_value=5_000).map(D)
money = st.integers(min_value=1, max_value=1_000_000).map(lambda n: D(n).scaleb(-2))   # 0.01 .. 10000.00
balances = st.integers(min_value=0, max_value=10_000).map(lambda n: D(n).scaleb(-2))
precisions = st.sampled_from([D('1'), D('0.1'), D('0.01')])


@st.composite
def tariffs(draw):
    if draw(st.booleans()):
        return t.build_tariff('flat', price=draw(prices))
    limits = sorted(set(draw(st.lists(st.integers(min_value=1, max_value=6000), min_size=1, max_size=3))))
    tier_prices = draw(st.lists(prices, min_size=len(limits) + 1, max_size=len(limits) + 1))
    return t.build_tariff('tiered', tiers=[(D(limit), p) for limit, p in zip(limits, tier_prices)]
                          + [(None, tier_prices[-1])])


period_energy = st.integers(min_value=0, max_value=8000).map(D)
settings_ = settings(max_examples=200, deadline=None)


@settings_
@given(tariffs(), energies, period_energy)
def test_tier_split_sums_to_the_energy_and_cost(tariff, energy, before):
    portions = t.split(tariff, energy, before)
    assert sum(p.energy for p in portions) == energy
    assert sum(p.amount for p in portions) == t.cost(tariff, energy, before)
    assert all(p.energy > 0 and p.amount == p.energy * p.price for p in portions)


@settings_
@given(tariffs(), energies, period_energy, energies)
def test_split_is_additive(tariff, first, before, second):
    """Buying a then b costs exactly what buying a + b at once costs."""
    assert t.cost(tariff, first, before) + t.cost(tariff, second, before + first) == \
        t.cost(tariff, first + second, before)


@settings_
@given(tariffs(), money, balances, precisions, period_energy)
def test_by_money_balances_to_the_cent(tariff, amount, balance, precision, before):
    amount = round_money(amount, precision)
    if amount <= 0:
        return
    account = v.AccountState(is_first_vend=False, money_balance=balance, period_energy=before)
    station = v.StationRules(payment_precision=precision)
    try:
        q = v.quote(v.VendRequest('money', amount), station, v.MeterRules(hoarding_limit=D('1e9')), tariff, account)
    except v.VendRefused as refusal:
        assert refusal.code == 'money_too_small'
        assert round_money(t.cost(tariff, D(1), before), precision) > amount + balance
        return
    assert q.amount_due + q.balance_before == q.energy_amount + q.balance_after
    assert q.balance_after >= 0
    # the leftover does not buy one more step
    assert round_money(t.cost(tariff, q.energy_bought + 1, before), precision) > amount + balance


@settings_
@given(tariffs(), money, precisions, period_energy)
def test_energy_and_money_are_inverses(tariff, amount, precision, before):
    """Buying by money then by the energy it bought costs the same energy amount."""
    amount = round_money(amount, precision)
    if amount <= 0:
        return
    account = v.AccountState(is_first_vend=False, period_energy=before)
    station = v.StationRules(payment_precision=precision)
    meter = v.MeterRules(hoarding_limit=D('1e9'))
    try:
        by_money = v.quote(v.VendRequest('money', amount), station, meter, tariff, account)
    except v.VendRefused:
        return
    by_energy = v.quote(v.VendRequest('energy', by_money.energy_bought), station, meter, tariff, account)
    assert by_energy.energy_amount == by_money.energy_amount
    assert by_energy.amount_due + by_money.balance_after == amount


@settings_
@given(tariffs(), energies, balances, precisions)
def test_by_energy_balances_to_the_cent(tariff, energy, balance, precision):
    account = v.AccountState(is_first_vend=False, money_balance=balance)
    q = v.quote(v.VendRequest('energy', energy), v.StationRules(payment_precision=precision),
                v.MeterRules(hoarding_limit=D('1e9')), tariff, account)
    assert q.amount_due + q.balance_before == q.energy_amount + q.balance_after
    assert q.amount_due >= 0 and q.balance_after >= 0
    assert q.energy_amount == round_money(sum(p.amount for p in q.tiers), precision)

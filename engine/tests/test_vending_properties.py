"""Property tests (hypothesis): energy <-> money and tier splits never lose or invent a cent
or a hundredth of a kWh."""
# pylint: disable=unreachable  # pylint takes hypothesis's assume() for a call that never returns
from decimal import Decimal as D

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import tariff as t
from engine import vending as v
from engine.money import round_money

prices = st.integers(min_value=1, max_value=50_000).map(lambda n: D(n).scaleb(-4))      # 0.0001 .. 5.0000
energies = st.integers(min_value=1, max_value=500_000).map(lambda n: D(n).scaleb(-2))  # 0.01 .. 5000.00
whole_energies = st.integers(min_value=1, max_value=5_000).map(D)
money = st.integers(min_value=1, max_value=1_000_000).map(lambda n: D(n).scaleb(-2))   # 0.01 .. 10000.00
balances = st.integers(min_value=0, max_value=10_000).map(lambda n: D(n).scaleb(-3))   # 0 .. 10.000
precisions = st.sampled_from([D('1'), D('0.1'), D('0.01')])
steps = st.sampled_from([D('1'), D('0.5'), D('0.1'), D('0.01'), D('2')])
period_energy = st.integers(min_value=0, max_value=800_000).map(lambda n: D(n).scaleb(-2))
meters = st.builds(v.MeterRules, ct_ratio=st.sampled_from([1, 5, 10, 40, 100]),
                   pt_ratio=st.sampled_from([1, 3, 30, 100]),
                   side=st.sampled_from(['none', 'primary', 'secondary']), hoarding_limit=st.just(D('1e12')))
BIG = v.MeterRules(hoarding_limit=D('1e12'))


@st.composite
def tariffs(draw):
    kind = draw(st.sampled_from(['flat', 'tiered', 'tou']))
    if kind == 'flat':
        return t.build_tariff('flat', price=draw(prices))
    if kind == 'tou':
        return t.build_tariff('tou', tou_prices={band: draw(prices) for band in t.TOU_BANDS})
    limits = sorted(set(draw(st.lists(st.integers(min_value=1, max_value=600_000), min_size=1, max_size=4))))
    tier_prices = draw(st.lists(prices, min_size=len(limits) + 1, max_size=len(limits) + 1))
    return t.build_tariff('tiered', tiers=[(D(limit).scaleb(-2), p) for limit, p in zip(limits, tier_prices)]
                          + [(None, tier_prices[-1])])


fast = settings(max_examples=200, deadline=None)


def try_quote(request, station, meter, tariff, account):
    try:
        return v.quote(request, station, meter, tariff, account)
    except v.VendRefused as refusal:
        return refusal


# --- tariff splits ---------------------------------------------------------------------------

@fast
@given(tariffs(), energies, period_energy)
def test_tier_split_sums_to_the_energy_and_the_cost(tariff, energy, before):
    portions = t.split(tariff, energy, before)
    assert sum(p.energy for p in portions) == energy
    assert sum(p.amount for p in portions) == t.cost(tariff, energy, before)
    assert all(p.energy > 0 and p.amount == p.energy * p.price for p in portions)
    assert [p.index for p in portions] == sorted(set(p.index for p in portions))   # in order, no repeat


@fast
@given(tariffs(), energies, period_energy, energies)
def test_split_is_additive(tariff, first, before, second):
    """Buying a then b costs exactly what buying a + b at once costs."""
    assert t.cost(tariff, first, before) + t.cost(tariff, second, before + first) == \
        t.cost(tariff, first + second, before)


@fast
@given(tariffs(), energies, energies, period_energy, precisions)
def test_rounded_cost_never_decreases(tariff, a, b, before, precision):
    low, high = sorted((a, b))
    assert t.money_for_energy(tariff, low, precision, before) <= t.money_for_energy(tariff, high, precision, before)


# --- money <-> energy ------------------------------------------------------------------------

@fast
@given(tariffs(), money, steps, precisions, period_energy)
def test_energy_for_money_is_the_most_affordable(tariff, amount, step, precision, before):
    energy = t.energy_for_money(tariff, amount, step, precision, before)
    assert energy % step == 0 and energy >= 0
    assert t.money_for_energy(tariff, energy, precision, before) <= amount        # never spends more
    assert t.money_for_energy(tariff, energy + step, precision, before) > amount  # one more step is too much


@fast
@given(tariffs(), st.integers(min_value=1, max_value=5_000), steps, precisions, period_energy)
def test_money_for_energy_then_back_gives_at_least_the_energy(tariff, count, step, precision, before):
    """Exactly the energy back whenever one step always costs at least the payment precision."""
    energy = count * step
    amount = t.money_for_energy(tariff, energy, precision, before)
    back = t.energy_for_money(tariff, amount, step, precision, before)
    assert back >= energy
    assert t.money_for_energy(tariff, back, precision, before) == amount
    cheapest = min(tier.price for tier in tariff.tiers) if tariff.kind == 'tiered' else tariff.vend_price
    if cheapest * step >= precision:
        assert back == energy


# --- quotes ----------------------------------------------------------------------------------

@fast
@given(tariffs(), money, balances, precisions, steps, period_energy, meters)
def test_by_money_balances_to_the_cent(tariff, amount, balance, precision, step, before, meter):
    amount = round_money(amount, precision)
    assume(amount > 0)
    account = v.AccountState(is_first_vend=False, money_balance=balance, period_energy=before)
    station = v.StationRules(payment_precision=precision, energy_step=step)
    q = try_quote(v.VendRequest('money', amount), station, meter, tariff, account)
    effective = v.effective_energy_step(station, meter)
    if isinstance(q, v.VendRefused):
        if q.code == 'amount_zero':     # an almost free first tier
            assert t.money_for_energy(tariff, D(q.params['energy']), precision, before) == 0
            return
        assert q.code == 'money_too_small'
        assert t.money_for_energy(tariff, effective, precision, before) > amount + balance
        return
    # nothing lost, nothing invented
    assert q.amount_due == amount
    assert q.amount_due + q.balance_before == q.energy_amount + q.balance_after
    assert q.amount_tendered == q.amount_due + q.change and q.change == 0
    # never spends more than is available, and the leftover does not buy one more step
    assert q.energy_amount <= amount + balance
    assert 0 <= q.balance_after
    assert t.money_for_energy(tariff, q.energy_bought + effective, precision, before) > amount + balance
    assert 0 <= q.balance_used <= balance and q.balance_after - q.balance_before + q.balance_used >= 0
    # the energy
    assert q.energy_bought % effective == 0 and q.energy_bought % step == 0
    assert sum(p.energy for p in q.tiers) == q.energy_bought
    assert sum(p.amount for p in q.tiers) == q.amount_exact
    assert round_money(q.amount_exact, precision) == q.energy_amount
    assert q.period_energy_after == before + q.energy_bought


@fast
@given(tariffs(), whole_energies, balances, precisions, period_energy, st.one_of(st.none(), money))
def test_by_energy_balances_to_the_cent(tariff, energy, balance, precision, before, extra):
    account = v.AccountState(is_first_vend=False, money_balance=balance, period_energy=before)
    station = v.StationRules(payment_precision=precision)
    plain = try_quote(v.VendRequest('energy', energy), station, BIG, tariff, account)
    if isinstance(plain, v.VendRefused):
        assert plain.code == 'amount_zero'
        assert t.money_for_energy(tariff, energy, precision, before) == 0
        return
    tendered = None if extra is None else round_money(plain.amount_due + extra, precision)
    q = v.quote(v.VendRequest('energy', energy, tendered), station, BIG, tariff, account)
    assert q.energy_bought == energy == sum(p.energy for p in q.tiers)
    assert q.amount_exact == sum(p.amount for p in q.tiers)          # the tiers add up before rounding
    assert q.energy_amount == round_money(q.amount_exact, precision)
    assert q.amount_due + q.balance_before == q.energy_amount + q.balance_after
    assert q.amount_due >= 0 and q.balance_after >= 0 and q.change >= 0
    assert q.amount_due % precision == 0                              # what is paid is payable
    assert q.amount_tendered == q.amount_due + q.change
    assert q.balance_after == 0 or q.amount_due == 0 or q.balance_after < precision


@fast
@given(tariffs(), money, precisions, steps, period_energy, meters)
def test_energy_and_money_are_inverses(tariff, amount, precision, step, before, meter):
    """Buying by money, then by the energy it bought, costs the same energy amount; the
    amount due by energy plus the balance carried by money is the money paid."""
    amount = round_money(amount, precision)
    assume(amount > 0)
    account = v.AccountState(is_first_vend=False, period_energy=before)
    station = v.StationRules(payment_precision=precision, energy_step=step)
    by_money = try_quote(v.VendRequest('money', amount), station, meter, tariff, account)
    assume(not isinstance(by_money, v.VendRefused))
    assert by_money.energy_amount > 0
    by_energy = v.quote(v.VendRequest('energy', by_money.energy_bought), station, meter, tariff, account)
    assert by_energy.energy_amount == by_money.energy_amount
    assert by_energy.amount_due + by_money.balance_after == amount
    assert by_energy.tiers == by_money.tiers
    assert (by_energy.energy_written, by_energy.energy_net, by_energy.price_written) == \
        (by_money.energy_written, by_money.energy_net, by_money.price_written)


@fast
@given(tariffs(), st.integers(min_value=1, max_value=2_000), precisions, steps, period_energy)
def test_by_energy_then_by_its_amount_buys_the_energy_back(tariff, count, precision, step, before):
    account = v.AccountState(is_first_vend=False, period_energy=before)
    station = v.StationRules(payment_precision=precision, energy_step=step)
    by_energy = try_quote(v.VendRequest('energy', count * step), station, BIG, tariff, account)
    if isinstance(by_energy, v.VendRefused):
        assert by_energy.code == 'amount_zero'
        return
    assert by_energy.amount_due > 0
    by_money = v.quote(v.VendRequest('money', by_energy.amount_due), station, BIG, tariff, account)
    assert by_money.energy_bought >= by_energy.energy_bought
    assert by_money.energy_amount == by_energy.energy_amount
    assert by_money.balance_after == 0


@fast
@given(tariffs(), st.integers(min_value=1, max_value=3_000), meters, st.booleans(),
       st.integers(min_value=0, max_value=3_000).map(lambda n: D(n).scaleb(-2)),
       st.integers(min_value=0, max_value=3_000).map(lambda n: D(n).scaleb(-2)))
def test_meter_side_never_loses_energy(tariff, count, meter, first, preset, over_zero):
    station = v.StationRules(preset_energy=preset)
    step = v.effective_energy_step(station, meter)
    account = v.AccountState(is_first_vend=first, over_zero_energy=over_zero)
    q = try_quote(v.VendRequest('energy', count * step), station, meter, tariff, account)
    if isinstance(q, v.VendRefused):
        assert q.code in ('below_preset', 'below_over_zero', 'amount_zero')
        return
    assert q.energy_written * (meter.multiplier if meter.side == 'secondary' else 1) == q.energy_bought
    assert q.energy_written == q.energy_net + q.preset_deducted + q.over_zero_deducted
    assert q.preset_deducted == (preset if first else 0)
    assert q.energy_net >= 0
    assert q.energy_written == q.energy_written.quantize(D('0.01'))
    multiplier = meter.multiplier if meter.side == 'primary' else 1
    assert q.price_written == q.marginal_price * multiplier


@fast
@given(whole_energies, st.integers(min_value=0, max_value=20_000).map(D),
       st.integers(min_value=0, max_value=20_000).map(D))
def test_hoarding_limit_is_never_exceeded(energy, remaining, limit):
    account = v.AccountState(is_first_vend=False, remaining_energy=remaining)
    meter = v.MeterRules(hoarding_limit=limit)
    flat = t.build_tariff('flat', price=D('1'))
    q = try_quote(v.VendRequest('energy', energy), v.StationRules(), meter, flat, account)
    if isinstance(q, v.VendRefused):
        assert q.code == 'hoarding_exceeded' and remaining + energy > limit
        most = D(q.params['most'])
        if most > 0:
            assert v.quote(v.VendRequest('energy', most), v.StationRules(), meter,
                           t.build_tariff('flat', price=D('1')), account).remaining_energy_after <= limit
    else:
        assert q.remaining_energy_after == remaining + energy <= limit

"""Money, bonus rules, plans, development rules and recognition without money."""

import copy
import math
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    Measurements,
    Monthly,
    PolicyError,
    Quarterly,
    Rating,
    RatingScale,
    Role,
    Sentiment,
    ServiceQualityError,
    UnknownKeyError,
    ValidationError,
    Weekly,
    WrongTypeError,
    Yearly,
    measure,
)
from servicequality import metrics as sqm
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import (
    MINOR_UNITS,
    ConsecutivePeriods,
    Currency,
    Eligibility,
    Exclusion,
    IncentivePlan,
    Payee,
    PayoutLine,
    PerPoint,
    PoolShare,
    Rule,
    RuleOutcome,
    ThresholdBonus,
    TieredBonus,
    TopShare,
    allocate,
    best_cases,
    compare_plans,
    praise_digest,
)
from servicequality.policy import (
    Dimension,
    Scorecard,
    ScorecardComponent,
    Tier,
    TierPolicy,
    classify,
    presets,
)
from tests.raising import fails

CNY = Currency.of("CNY")
MAY = Monthly(tz=UTC).period_of(datetime(2026, 5, 1, tzinfo=UTC))
SATISFACTION_ONLY = Scorecard(
    name="satisfaction only",
    components=(
        ScorecardComponent(
            metric="satisfaction_rate",
            weight=1.0,
            dimension=Dimension.SATISFACTION,
            worst=0.0,
            best=1.0,
        ),
    ),
)


def synthetic(states, roles=None, min_sample=1):
    """Measurements by agent from hand-written additive states.

    ``states`` maps a metric object to ``{agent: state row}``.
    """
    agents = sorted({a for rows in states.values() for a in rows})
    return Measurements(
        key_names=("agent",),
        keys=[(a,) for a in agents],
        metrics=list(states),
        states={
            m.name: np.array(
                [rows.get(a, (0.0,) * m.width) for a in agents], dtype=float
            )
            for m, rows in states.items()
        },
        agent_roles={a: (roles or {}).get(a, Role.AGENT) for a in agents},
        min_sample=min_sample,
    )


def ratings_of(means, n=100):
    """Mean-rating states: ``means`` maps agent → mean of ``n`` ratings."""
    return {
        a: (n, mean * n, mean * mean * n) for a, mean in means.items()
    }  # the sum of squares only shapes the interval


def satisfaction_of(shares, n=100):
    return {a: (round(share * n), n) for a, share in shares.items()}


def workload_of(points):
    return {a: (p, p) for a, p in points.items()}


MEAN_RATING = sqm.mean_rating(scale=RatingScale.FIVE_STAR)


class TestCurrency:
    def test_minor_units(self):
        assert Currency.of("CNY").quantum == Decimal("0.01")
        assert Currency.of("JPY").quantum == Decimal(1)
        assert Currency.of("KWD").minor_unit == 3
        assert MINOR_UNITS["USD"] == 2

    def test_unknown_code_says_how_to_build_it(self):
        with fails(UnknownKeyError, "code", match=r"Currency\(code='XTS', minor_unit="):
            Currency.of("XTS")
        assert Currency(code="XTS", minor_unit=1).quantum == Decimal("0.1")

    @pytest.mark.parametrize(
        ("code", "minor_unit", "error"),
        [
            ("cny", 2, PolicyError),
            ("CN", 2, PolicyError),
            ("CNY", 5, PolicyError),
            ("CNY", True, WrongTypeError),
        ],
    )
    def test_bad_currency(self, code, minor_unit, error):
        with pytest.raises(error):
            Currency(code=code, minor_unit=minor_unit)

    def test_exact_refuses_floats_and_fractions_of_a_cent(self):
        assert CNY.exact("x", "amount", "199.9") == Decimal("199.90")
        assert CNY.exact("x", "amount", 200) == Decimal("200.00")
        with fails(WrongTypeError, "amount", match="never a float"):
            CNY.exact("x", "amount", 199.9)
        with pytest.raises(PolicyError, match=r"multiples of 0\.01"):
            CNY.exact("x", "amount", "0.005")
        with pytest.raises(PolicyError, match="not a decimal"):
            CNY.exact("x", "amount", "lots")
        with pytest.raises(PolicyError, match="finite"):
            CNY.exact("x", "amount", "NaN")

    def test_round_half_up_and_format(self):
        assert CNY.round(Decimal("0.005")) == Decimal("0.01")
        assert CNY.round(Decimal("0.0049")) == Decimal("0.00")
        assert CNY.format(Decimal("1234.5")) == "CNY 1,234.50"
        assert Currency.of("JPY").format(Decimal(1234)) == "JPY 1,234"


class TestAllocate:
    def test_a_cent_left_over_goes_to_the_first_of_equal_weights(self):
        shares = allocate(Decimal(100), [1, 1, 1], currency=CNY)
        assert shares == (Decimal("33.34"), Decimal("33.33"), Decimal("33.33"))

    def test_largest_remainder_wins_over_position(self):
        # quotas 0.333…, 0.666… cents: the second has the larger remainder
        assert allocate(Decimal("0.01"), [1, 2], currency=CNY) == (
            Decimal("0.00"),
            Decimal("0.01"),
        )

    def test_equal_remainders_go_to_the_larger_weight(self):
        # 5 yen by weights 1 and 3 and 1: quotas 1, 3, 1 exactly; 7 yen:
        # quotas 1.4, 4.2, 1.4 → floors 1, 4, 1, one yen left, remainders
        # 0.4, 0.2, 0.4 → the first of the tied larger remainders
        jpy = Currency.of("JPY")
        assert allocate(Decimal(7), [1, 3, 1], currency=jpy) == (2, 4, 1)
        # weights 2 and 4 with 3 units: quotas 1 and 2, nothing left;
        # 1 unit by weights 1 and 1 with a third of weight 0
        assert allocate(Decimal(1), [0, 1, 1], currency=jpy) == (0, 1, 0)

    def test_zero_weights_get_nothing(self):
        shares = allocate(Decimal(10), [0, 3, 0, 1], currency=CNY)
        assert shares == (0, Decimal("7.50"), 0, Decimal("2.50"))

    @pytest.mark.parametrize(
        ("weights", "message"),
        [
            ([], "must not all be 0"),
            ([0, 0], "must not all be 0"),
            ([1, -1], "must not be negative"),
            ([1, float("nan")], "must be finite"),
            ([1, "2"], "must be a real number"),
            ([True], "must be a real number"),
        ],
    )
    def test_bad_weights(self, weights, message):
        with pytest.raises(ServiceQualityError, match=message):
            allocate(Decimal(10), weights, currency=CNY)

    @pytest.mark.parametrize("weights", [[1, "2"], [True]])
    def test_weights_of_the_wrong_type(self, weights):
        with pytest.raises(WrongTypeError, match="must be a real number"):
            allocate(Decimal(10), weights, currency=CNY)

    def test_bad_pool(self):
        with pytest.raises(PolicyError, match="negative"):
            allocate(Decimal(-10), [1], currency=CNY)
        with pytest.raises(PolicyError, match="multiples"):
            allocate(Decimal("0.001"), [1], currency=CNY)

    @given(
        cents=st.integers(0, 10**9),
        weights=st.lists(
            st.one_of(
                st.integers(0, 10**6),
                st.floats(0, 1e6, allow_nan=False),
                st.fractions(min_value=0, max_value=1000),
            ),
            min_size=1,
            max_size=30,
        ),
    )
    def test_shares_add_up_to_the_pool_exactly(self, cents, weights):
        assume(sum(Fraction(w) for w in weights) > 0)
        pool = Decimal(cents).scaleb(-2)
        shares = allocate(pool, weights, currency=CNY)
        assert sum(shares) == pool
        assert all(s >= 0 for s in shares)
        assert all(s == s.quantize(CNY.quantum) for s in shares)
        total = sum(Fraction(w) for w in weights)
        for weight, share in zip(weights, shares, strict=True):
            fair = Fraction(cents) * Fraction(weight) / total
            assert abs(Fraction(share * 100) - fair) < 1

    @given(
        cents=st.integers(0, 10**7),
        weights=st.lists(st.integers(0, 10**4), min_size=1, max_size=20),
        scale=st.integers(1, 10**6),
        shift=st.integers(-20, 20),
    )
    def test_scaling_every_weight_changes_nothing(self, cents, weights, scale, shift):
        assume(sum(weights) > 0)
        pool = Decimal(cents).scaleb(-2)
        expected = allocate(pool, weights, currency=CNY)
        assert allocate(pool, [w * scale for w in weights], currency=CNY) == expected
        floats = [float(w) * 2.0**shift for w in weights]
        assert allocate(pool, floats, currency=CNY) == expected

    @given(
        cents=st.integers(0, 10**7),
        weights=st.lists(st.integers(0, 100), min_size=1, max_size=12),
        data=st.data(),
    )
    def test_reordering_moves_shares_with_their_weights(self, cents, weights, data):
        assume(sum(weights) > 0)
        order = data.draw(st.permutations(range(len(weights))))
        pool = Decimal(cents).scaleb(-2)
        shares = allocate(pool, weights, currency=CNY)
        moved = allocate(pool, [weights[i] for i in order], currency=CNY)
        assert sorted(moved) == sorted(shares)
        # only an exact tie can move a left-over cent between equal weights
        for position, i in enumerate(order):
            assert abs(moved[position] - shares[i]) <= CNY.quantum
            if weights.count(weights[i]) == 1:
                assert moved[position] == shares[i]


def satisfaction_bonus(**extra):
    chosen = {"amount": "500", **extra}
    return ThresholdBonus(
        name="satisfaction bonus", bar=presets.SATISFACTION_BONUS_BAR, **chosen
    )


def plan_of(*rules, **extra):
    return IncentivePlan(name="May bonus", currency="CNY", rules=rules, **extra)


def pay(plan, measured, period=MAY, policies=(), **options):
    """Classify with ``policies`` and the plan's tier policies, then apply it."""
    assessment = classify(measured, [*policies, *plan.tier_policies], **options)
    return plan.apply(assessment, period)


def bar(metric, *, min_sample=30, **bound):
    """A two-tier threshold policy on ``metric``."""
    return TierPolicy(
        metric=metric,
        tiers=(Tier(name="reached", **bound), Tier(name="not_reached")),
        min_sample=min_sample,
    )


class TestThresholdBonus:
    def test_the_seed_bar_passes_at_4_5_and_not_at_4_49(self):
        """达标就拿: a mean five-star rating of 4.5 gets the whole bonus (S4 §3.1)."""
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.5, "b": 4.49})})
        statement = pay(plan_of(satisfaction_bonus()), measured)
        assert statement.totals == {"a": Decimal("500.00"), "b": Decimal("0.00")}
        (line_b,) = statement.lines_of("b")
        assert "4.490 < 4.5 → not_reached" in line_b.explanation
        assert line_b.explanation.endswith("⇒ CNY 0.00")

    def test_never_rank_based(self):
        """Everyone who reaches the bar is paid in full, however many they are."""
        measured = synthetic({MEAN_RATING: ratings_of(dict.fromkeys("abcdef", 4.8))})
        statement = pay(plan_of(satisfaction_bonus()), measured)
        assert set(statement.totals.values()) == {Decimal("500.00")}

    def test_insufficient_data_pays_nothing_and_says_how_many_more(self):
        measured = synthetic({MEAN_RATING: ratings_of({"a": 5.0}, n=12)})
        statement = pay(plan_of(satisfaction_bonus()), measured)
        (line,) = statement.lines
        assert line.amount == 0
        assert "18 more needed" in line.explanation

    def test_at_most_for_lower_is_better(self):
        escalation = sqm.escalation_rate()
        measured = synthetic({escalation: satisfaction_of({"a": 0.05, "b": 0.06})})
        rule = ThresholdBonus(
            name="few escalations",
            bar=bar("escalation_rate", at_most=0.05),
            amount=100,
        )
        statement = pay(plan_of(rule), measured)
        assert statement.totals == {"a": Decimal(100), "b": Decimal(0)}

    def test_wrong_direction_is_refused(self):
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.0})})
        rule = ThresholdBonus(name="x", bar=bar("mean_rating", at_most=4.5), amount=1)
        with pytest.raises(PolicyError, match="where higher is better"):
            pay(plan_of(rule), measured)

    def test_cap(self):
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.9})})
        rule = satisfaction_bonus(cap="300")
        (line,) = pay(plan_of(rule), measured).lines
        assert line.amount == Decimal(300)
        assert str(line.amount) == "300.00"
        assert "capped at CNY 300.00" in line.explanation

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"bar": presets.SATISFACTION}, "exactly two tiers"),
            ({"bar": "mean_rating"}, "a TierPolicy, not str"),
            ({"amount": 500.0}, "never a float"),
            ({"name": " "}, "empty or blank"),
            ({"cap": "-1"}, "negative"),
            ({"eligible": {"satisfaction_rate": "good"}}, "an Eligibility or None"),
        ],
    )
    def test_bad_rules(self, options, message):
        chosen = {
            "name": "x",
            "bar": presets.SATISFACTION_BONUS_BAR,
            "amount": "1",
            **options,
        }
        with pytest.raises(ServiceQualityError, match=message):
            ThresholdBonus(**chosen)

    def test_the_bar_is_classified_once_by_classify(self):
        """The rule reads the bar's judgement; it refuses an assessment without it."""
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.6})})
        rule = satisfaction_bonus()
        assert plan_of(rule).tier_policies == (presets.SATISFACTION_BONUS_BAR,)
        with fails(UnknownKeyError, "tier_policies", match="classify with the plan"):
            plan_of(rule).apply(classify(measured, []), MAY)
        other = bar("mean_rating", at_least=4.0)
        with fails(PolicyError, "tier_policies", match="another tier policy"):
            plan_of(rule).apply(classify(measured, [other]), MAY)

    @given(
        low=st.integers(0, 400),
        raise_by=st.integers(0, 100),
        n=st.integers(1, 80),
    )
    def test_raising_the_metric_never_lowers_the_bonus(self, low, raise_by, n):
        sums = {"a": low / 100 + 1, "b": (low + raise_by) / 100 + 1}
        measured = synthetic(
            {MEAN_RATING: {a: (n, m * n, m * m * n) for a, m in sums.items()}}
        )
        statement = pay(plan_of(satisfaction_bonus()), measured)
        assert statement.total("a") <= statement.total("b")


AMOUNTS = {"excellent": "800", "good": "300", "warning": "0"}


class TestTieredBonus:
    def test_amount_per_tier_of_a_policy(self):
        measured = synthetic(
            {sqm.satisfaction_rate(): satisfaction_of({"a": 0.9, "b": 0.8, "c": 0.79})}
        )
        rule = TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=AMOUNTS)
        statement = pay(plan_of(rule), measured)
        assert statement.totals == {
            "a": Decimal(800),
            "b": Decimal(300),
            "c": Decimal(0),
        }
        assert "0.900 ≥ 0.9 → excellent" in statement.lines_of("a")[0].explanation

    def test_tier_read_from_the_assessment(self):
        measured = synthetic(
            {sqm.satisfaction_rate(): satisfaction_of({"a": 0.95, "b": 0.85}, n=10)}
        )
        assessment = classify(measured, [presets.SATISFACTION])
        rule = TieredBonus(name="tier", tiers="satisfaction_rate", amounts=AMOUNTS)
        statement = plan_of(rule).apply(assessment, MAY)
        assert statement.totals == {"a": Decimal(0), "b": Decimal(0)}
        assert "insufficient_data" in statement.lines[0].explanation

    def test_names_checked_against_the_assessed_policy(self):
        measured = synthetic({sqm.satisfaction_rate(): satisfaction_of({"a": 0.95})})
        assessment = classify(measured, [presets.SATISFACTION])
        rule = TieredBonus(
            name="tier", tiers="satisfaction_rate", amounts={"excellent": "1"}
        )
        with fails(PolicyError, "amounts", match="'good': is a tier without"):
            plan_of(rule).apply(assessment, MAY)
        unknown = TieredBonus(name="t", tiers="first_contact_resolution", amounts={})
        with fails(UnknownKeyError, "tiers", match="no tier policy"):
            plan_of(unknown).apply(assessment, MAY)

    @pytest.mark.parametrize(
        ("amounts", "message"),
        [
            ({"excellent": "800", "good": "900", "warning": "0"}, "pays less"),
            ({"excellent": "800", "good": "300"}, "'warning': is a tier without"),
            ({**AMOUNTS, "great": "1"}, "not a tier of"),
            ({**AMOUNTS, "insufficient_data": "0"}, "always pays 0"),
            ({**AMOUNTS, "good": 300.0}, "never a float"),
        ],
    )
    def test_bad_amounts(self, amounts, message):
        with pytest.raises(ServiceQualityError, match=message):
            TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=amounts)

    def test_bad_tiers(self):
        with fails(WrongTypeError, "tiers", match="a TierPolicy or a name"):
            TieredBonus(name="tier", tiers=3, amounts={})
        with fails(WrongTypeError, "amounts", match="a mapping of tier to amount"):
            TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=[1])

    @given(low=st.integers(0, 100), raise_by=st.integers(0, 100))
    def test_raising_the_metric_never_lowers_the_bonus(self, low, raise_by):
        high = min(100, low + raise_by)
        measured = synthetic(
            {sqm.satisfaction_rate(): {"a": (low, 100), "b": (high, 100)}}
        )
        rule = TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=AMOUNTS)
        statement = pay(plan_of(rule), measured)
        assert statement.total("a") <= statement.total("b")


class TestPerPoint:
    def test_the_seed_workload(self):
        """20 basic + 10 complex + 5 complaints + 1 crisis = 48 points (S4 §3.1)."""
        at = datetime(2026, 5, 4, 9, tzinfo=UTC)
        mix = [Difficulty.BASIC] * 20 + [Difficulty.COMPLEX] * 10
        mix += [Difficulty.COMPLAINT] * 5 + [Difficulty.CRISIS]
        table = ConversationTable.from_records(
            Conversation(
                id=f"c{i}",
                agent_id="a",
                customer_id=f"u{i}",
                opened_at=at + timedelta(minutes=i),
                channel=Channel.CHAT,
                difficulty=level,
                resolved=True,
                escalated=False,
                rating_invited=False,
            )
            for i, level in enumerate(mix)
        )
        measured = measure(table, ["weighted_workload"], by="agent")
        rule = PerPoint(name="workload", rate="2.50")
        (line,) = pay(plan_of(rule), measured).lines
        assert line.amount == Decimal("120.00")
        assert line.explanation == (
            "weighted_workload 48 points × CNY 2.50 = CNY 120.00"
        )

    def test_rounds_half_up_and_caps(self):
        measured = synthetic({sqm.weighted_workload(): workload_of({"a": 1.5})})
        assessment = classify(measured, [])
        (line,) = plan_of(PerPoint(name="p", rate="0.03")).apply(assessment, MAY).lines
        assert line.amount == Decimal("0.05")  # 0.045, half up (half even gives 0.04)
        capped = plan_of(PerPoint(name="p", rate="100", cap="120")).apply(
            assessment, MAY
        )
        assert capped.total("a") == Decimal(120)

    def test_points_metric_only(self):
        measured = synthetic({sqm.satisfaction_rate(): satisfaction_of({"a": 0.5})})
        rule = PerPoint(name="p", rate="1", metric="satisfaction_rate")
        with pytest.raises(PolicyError, match="not in points or counts"):
            pay(plan_of(rule), measured)


def pool_assessment(shares, points=None, n=100):
    states = {sqm.satisfaction_rate(): satisfaction_of(shares, n=n)}
    if points is not None:
        states[sqm.weighted_workload()] = workload_of(points)
    return classify(
        synthetic(states), [presets.SATISFACTION], scorecard=SATISFACTION_ONLY
    )


class TestPoolShare:
    def test_split_by_composite_score(self):
        assessment = pool_assessment({"a": 0.9, "b": 0.6, "c": 0.0})
        rule = PoolShare(name="pool", pool="1000")
        statement = plan_of(rule).apply(assessment, MAY)
        assert statement.totals == {
            "a": Decimal(600),
            "b": Decimal(400),
            "c": Decimal(0),
        }
        assert "60.00% of CNY 1,000.00" in statement.lines_of("a")[0].explanation

    def test_split_by_a_product_of_factors(self):
        assessment = pool_assessment({"a": 0.5, "b": 1.0}, points={"a": 30, "b": 10})
        rule = PoolShare(
            name="pool", pool="100", weight=("composite_score", "weighted_workload")
        )
        statement = plan_of(rule).apply(assessment, MAY)
        assert statement.totals == {"a": Decimal(60), "b": Decimal(40)}
        assert "composite_score 50.0 × weighted_workload 30" in (
            statement.lines_of("a")[0].explanation
        )

    def test_every_weight_zero_leaves_the_pool_unallocated(self):
        assessment = pool_assessment({"a": 0.0, "b": 0.0})
        statement = plan_of(PoolShare(name="pool", pool="1000")).apply(assessment, MAY)
        assert statement.total_paid == 0
        (kept,) = statement.unallocated
        assert kept.amount == Decimal(1000)
        assert "every weight is 0" in kept.reason

    def test_undefined_or_insufficient_scores_weigh_zero(self):
        measured = synthetic(
            {sqm.satisfaction_rate(): {"a": (9, 10), "b": (45, 50), "c": (0, 0)}},
            min_sample=30,
        )
        assessment = classify(measured, [], scorecard=SATISFACTION_ONLY)
        statement = plan_of(PoolShare(name="pool", pool="100")).apply(assessment, MAY)
        assert statement.totals == {"a": 0, "b": Decimal(100), "c": 0}
        assert "too few observations" in statement.lines_of("a")[0].explanation
        assert "composite_score undefined" in statement.lines_of("c")[0].explanation

    def test_cap_keeps_the_excess_unallocated(self):
        assessment = pool_assessment({"a": 0.9, "b": 0.1})
        rule = PoolShare(name="pool", pool="1000", cap="500")
        statement = plan_of(rule).apply(assessment, MAY)
        assert statement.totals == {"a": Decimal(500), "b": Decimal(100)}
        (kept,) = statement.unallocated
        assert kept.amount == Decimal(400)
        assert statement.total_paid + statement.total_unallocated == Decimal(1000)

    def test_needs_a_scorecard_for_composite_weights(self):
        measured = synthetic({sqm.satisfaction_rate(): satisfaction_of({"a": 0.9})})
        with pytest.raises(PolicyError, match="no scorecard applied"):
            pay(plan_of(PoolShare(name="pool", pool="1")), measured)

    def test_lower_is_better_metric_is_not_a_weight(self):
        measured = synthetic({sqm.escalation_rate(): satisfaction_of({"a": 0.1})})
        rule = PoolShare(name="pool", pool="1", weight="escalation_rate")
        with fails(PolicyError, "weight", match="cannot be a weight"):
            pay(plan_of(rule), measured)

    def test_bad_pools(self):
        with pytest.raises(PolicyError, match="negative"):
            PoolShare(name="pool", pool="-1")
        with pytest.raises(PolicyError, match="at least one"):
            PoolShare(name="pool", pool="1", weight=())
        with fails(WrongTypeError, "weight", match="a name or a sequence of names"):
            PoolShare(name="pool", pool="1", weight=5)
        with fails(WrongTypeError, "pool", match="never a float"):
            PoolShare(name="pool", pool=1.5)
        with fails(WrongTypeError, "name", match="a string, not int"):
            PoolShare(name=7, pool="1")
        with pytest.raises(PolicyError, match="multiples of 1"):
            IncentivePlan(
                name="x", currency="JPY", rules=[PoolShare(name="p", pool="0.5")]
            )

    @given(
        satisfied=st.lists(st.integers(0, 100), min_size=1, max_size=12),
        cents=st.integers(0, 10**8),
    )
    def test_shares_and_unallocated_add_up_to_the_pool(self, satisfied, cents):
        shares = {f"a{i:02}": s / 100 for i, s in enumerate(satisfied)}
        pool = Decimal(cents).scaleb(-2)
        statement = plan_of(PoolShare(name="pool", pool=pool)).apply(
            pool_assessment(shares), MAY
        )
        assert statement.total_paid + statement.total_unallocated == pool
        assert all(line.amount >= 0 for line in statement.lines)


class TestPlan:
    def test_bots_are_never_paid_and_supervisors_only_on_purpose(self):
        roles = {"bot": Role.BOT, "s": Role.SUPERVISOR}
        measured = synthetic(
            {MEAN_RATING: ratings_of(dict.fromkeys(["a", "s", "bot"], 4.9))}, roles
        )
        assessment = classify(measured, [presets.SATISFACTION_BONUS_BAR])
        agents_only = plan_of(satisfaction_bonus()).apply(assessment, MAY)
        assert agents_only.agents == ("a",)
        assert {e.agent_id: e.reason for e in agents_only.excluded} == {
            "bot": "bots are never paid",
            "s": "supervisor is not among the plan's eligible roles",
        }
        with_supervisors = plan_of(
            satisfaction_bonus(), eligible_roles=(Role.AGENT, Role.SUPERVISOR)
        ).apply(assessment, MAY)
        assert with_supervisors.agents == ("a", "s")
        with pytest.raises(PolicyError, match="bots are never paid"):
            plan_of(satisfaction_bonus(), eligible_roles=(Role.BOT,))

    def test_negative_amounts_only_on_purpose(self):
        deduction = ThresholdBonus(
            name="deduction", bar=bar("escalation_rate", at_most=0.5), amount="-50"
        )
        with pytest.raises(PolicyError, match="not a punishment tool"):
            plan_of(deduction)
        with pytest.raises(PolicyError, match="not a punishment tool"):
            plan_of(PerPoint(name="p", rate="-1"))
        measured = synthetic({sqm.escalation_rate(): satisfaction_of({"a": 0.1})})
        statement = pay(plan_of(deduction, allow_negative=True), measured)
        assert statement.total("a") == Decimal(-50)

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"rules": []}, "must hold a rule"),
            ({"rules": [satisfaction_bonus(), satisfaction_bonus()]}, "two rules"),
            ({"rules": ["bonus"]}, r"must be a bonus rule \(see Rule\), not str"),
            ({"rules": 5}, "a sequence of bonus rules, not int"),
            ({"currency": "XTS"}, "not in MINOR_UNITS"),
            ({"currency": 156}, "a Currency or an ISO code, not int"),
            ({"eligible_roles": ()}, "must name a role"),
            ({"eligible_roles": ("agent",)}, "must be a Role, not str"),
            ({"allow_negative": 1}, "True or False"),
            ({"name": ""}, "empty or blank"),
        ],
    )
    def test_bad_plans(self, options, message):
        chosen = {
            "name": "plan",
            "currency": "CNY",
            "rules": [satisfaction_bonus()],
            **options,
        }
        with pytest.raises(ServiceQualityError, match=message):
            IncentivePlan(**chosen)

    def test_fraction_of_a_yen(self):
        with pytest.raises(PolicyError, match="JPY amounts are whole multiples"):
            IncentivePlan(
                name="x", currency="JPY", rules=[satisfaction_bonus(amount="0.5")]
            )

    def test_pays_only_the_requested_period(self):
        shop = example_shop(2_000, rating_scale=RatingScale.FIVE_STAR)
        calendar = Monthly(tz=SHOP_TIMEZONE)
        measured = measure(shop, [MEAN_RATING], by=["agent", calendar])
        assessment = classify(measured, [presets.SATISFACTION_BONUS_BAR])
        november = calendar.period_of(datetime(2025, 11, 15, tzinfo=SHOP_TIMEZONE))
        statement = plan_of(satisfaction_bonus()).apply(assessment, november)
        assert statement.period == november
        assert len(statement.agents) == 12
        with fails(UnknownKeyError, "period", match="not a period of"):
            plan_of(satisfaction_bonus()).apply(assessment, MAY)

    def test_needs_agent_groups(self):
        measured = measure(example_shop(200), [MEAN_RATING], by="channel")
        with fails(PolicyError, "assessment", match="grouped by 'agent'"):
            pay(plan_of(satisfaction_bonus()), measured)
        with fails(WrongTypeError, "assessment", match="an Assessment|a Assessment"):
            plan_of(satisfaction_bonus()).apply(measured, MAY)
        with fails(WrongTypeError, "period", match="a Period, not str"):
            plan_of(satisfaction_bonus()).apply(classify(measured, []), "May")

    def test_statement_to_pandas(self):
        """Amounts stay exact Decimals; the period becomes its label on request."""
        statement = plan_of(PoolShare(name="pool", pool="100")).apply(
            pool_assessment({"a": 0.9, "b": 0.6}), MAY
        )
        frame = statement.to_pandas(period_labels=True)
        assert list(frame["period"]) == ["2026-05", "2026-05"]
        assert list(frame["amount"]) == [Decimal("60.00"), Decimal("40.00")]
        assert list(statement.to_pandas()["period"]) == [MAY, MAY]

    def test_statement_text_and_records(self):
        assessment = pool_assessment({"a": 0.9, "b": 0.0})
        plan = plan_of(
            PoolShare(name="pool", pool="100", cap="60"),
            TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=AMOUNTS),
        )
        statement = plan.apply(assessment, MAY)
        text = str(statement)
        assert "a: CNY 860.00" in text
        assert "unallocated pool: CNY 40.00" in text
        assert text.endswith("total paid: CNY 860.00")
        records = statement.to_records()
        assert [r["amount"] for r in records] == [
            line.amount for line in statement.lines
        ]
        assert {r["rule"] for r in records} == {"pool", "tier"}

    @given(
        means=st.lists(st.integers(300, 500), min_size=1, max_size=8),
        amount=st.integers(0, 10**6),
        pool=st.integers(0, 10**8),
        rate=st.integers(0, 10**4),
    )
    def test_totals_are_sums_of_lines_and_never_negative(
        self, means, amount, pool, rate
    ):
        agents = [f"a{i}" for i in range(len(means))]
        measured = synthetic(
            {
                MEAN_RATING: ratings_of(
                    {a: m / 100 for a, m in zip(agents, means, strict=True)}
                ),
                sqm.weighted_workload(): workload_of(
                    {a: m / 7 for a, m in zip(agents, means, strict=True)}
                ),
            }
        )
        plan = plan_of(
            satisfaction_bonus(amount=Decimal(amount).scaleb(-2)),
            PerPoint(name="points", rate=Decimal(rate).scaleb(-3)),
            PoolShare(
                name="pool", pool=Decimal(pool).scaleb(-2), weight="weighted_workload"
            ),
        )
        statement = pay(plan, measured)
        assert statement.total_paid == sum(line.amount for line in statement.lines)
        assert statement.total_paid == sum(statement.totals.values())
        assert all(line.amount >= 0 for line in statement.lines)
        assert all(
            line.amount == line.amount.quantize(CNY.quantum) for line in statement.lines
        )


def relabelled(table, mapping):
    """The same conversations and roster with agent ids renamed by ``mapping``."""
    records = table.to_records()
    rename = lambda x: None if x is None else mapping[x]  # noqa: E731
    conversations = [
        Conversation.from_dict(
            {
                **c.to_dict(),
                "agent_id": rename(c.agent_id),
                "transferred_to": rename(c.transferred_to),
            }
        )
        for c in records.conversations
    ]
    agents = [
        Agent.from_dict({**a.to_dict(), "id": mapping[a.id]}) for a in records.agents
    ]
    return ConversationTable.from_records(
        conversations,
        ratings=records.ratings,
        reviews=records.reviews,
        agents=agents,
        knowledge_tests=[
            type(t).from_dict({**t.to_dict(), "agent_id": mapping[t.agent_id]})
            for t in records.knowledge_tests
        ],
    )


class TestRelabelling:
    @settings(max_examples=25)
    @given(data=st.data())
    def test_relabelling_agents_permutes_payouts(self, data):
        shop = example_shop(300, rating_scale=RatingScale.FIVE_STAR)
        ids = shop.vocabulary("agent_id").tolist()
        names = data.draw(st.permutations([f"x{i:02}" for i in range(len(ids))]))
        mapping = dict(zip(ids, names, strict=True))
        plan = plan_of(
            ThresholdBonus(
                name="satisfaction bonus",
                bar=bar("mean_rating", at_least=4.5, min_sample=5),
                amount="500",
            ),
            PerPoint(name="points", rate="1.25"),
            PoolShare(name="pool", pool="9999.99", weight="weighted_workload"),
        )

        def pay(table):
            measured = measure(
                table,
                [MEAN_RATING, "weighted_workload", "satisfaction_rate"],
                by="agent",
            )
            policies = [presets.SATISFACTION, *plan.tier_policies]
            return plan.apply(classify(measured, policies), MAY)

        before, after = pay(shop), pay(relabelled(shop, mapping))
        assert sorted(after.totals.values()) == sorted(before.totals.values())
        for agent, total in before.totals.items():
            assert abs(after.total(mapping[agent]) - total) <= CNY.quantum
        for line in before.lines:
            if line.rule != "pool":
                (moved,) = [
                    other
                    for other in after.lines_of(mapping[line.agent_id])
                    if other.rule == line.rule
                ]
                assert moved.amount == line.amount


class TestComparePlans:
    def test_difference_per_agent(self):
        assessment = pool_assessment({"a": 0.9, "b": 0.5})
        flat = plan_of(PoolShare(name="pool", pool="1000"))
        tiered = plan_of(
            TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=AMOUNTS)
        )
        comparison = compare_plans(flat, tiered, assessment, MAY)
        rows = {r.agent_id: r for r in comparison.rows}
        assert rows["a"].total_a + rows["b"].total_a == Decimal(1000)
        assert rows["a"].difference == Decimal(800) - rows["a"].total_a
        assert comparison.to_records()[0]["agent_id"] == "a"
        frame = comparison.to_pandas()
        assert list(frame["agent_id"]) == ["a", "b"]
        assert list(frame["difference"]) == [r.difference for r in comparison.rows]
        markup = comparison._repr_html_()
        assert "CNY 800.00" in markup
        assert "<th" in markup
        assert markup.count("<tr>") == 1 + len(comparison.rows)
        yen = IncentivePlan(name="yen", currency="JPY", rules=[satisfaction_bonus()])
        with fails(PolicyError, "plan_b", match="currency of plan_a"):
            compare_plans(flat, yen, assessment, MAY)

    def test_agent_paid_by_one_plan_only(self):
        measured = synthetic(
            {MEAN_RATING: ratings_of({"a": 4.9, "s": 4.9})}, {"s": Role.SUPERVISOR}
        )
        both = plan_of(
            satisfaction_bonus(), eligible_roles=(Role.AGENT, Role.SUPERVISOR)
        )
        assessment = classify(measured, both.tier_policies)
        comparison = compare_plans(plan_of(satisfaction_bonus()), both, assessment, MAY)
        (supervisor,) = [r for r in comparison.rows if r.agent_id == "s"]
        assert (supervisor.total_a, supervisor.total_b) == (0, Decimal(500))


class TestRulesReadJudgements:
    @given(
        shares=st.lists(st.integers(0, 100), min_size=1, max_size=8),
        means=st.lists(st.integers(300, 500), min_size=8, max_size=8),
        n=st.integers(1, 60),
    )
    def test_every_line_quotes_the_assessments_judgement(self, shares, means, n):
        """For every line, the tier and the numbers equal the assessment's."""
        agents = [f"a{i}" for i in range(len(shares))]
        measured = synthetic(
            {
                sqm.satisfaction_rate(): satisfaction_of(
                    {a: x / 100 for a, x in zip(agents, shares, strict=True)}, n=n
                ),
                MEAN_RATING: ratings_of(
                    {a: m / 100 for a, m in zip(agents, means, strict=False)}, n=n
                ),
            }
        )
        plan = plan_of(
            satisfaction_bonus(),
            TieredBonus(name="tier", tiers=presets.SATISFACTION, amounts=AMOUNTS),
        )
        assessment = classify(measured, plan.tier_policies)
        statement = plan.apply(assessment, MAY)
        amounts = {
            "reached": Decimal(500),
            **{k: Decimal(a) for k, a in AMOUNTS.items()},
        }
        assert len(statement.lines) == 2 * len(agents)
        for line in statement.lines:
            (quoted,) = line.judgements
            shown = assessment.get(quoted.metric, **line.key)
            assert shown.tier == quoted.tier
            assert shown.n == quoted.n
            for number in ("value", "low", "high"):
                a, b = getattr(shown, number), getattr(quoted, number)
                assert a == b or (math.isnan(a) and math.isnan(b))
            assert line.explanation.startswith(shown.reason)
            assert line.amount == amounts.get(shown.tier, Decimal(0))


class TeamPot:
    """A custom rule: a fixed amount per agent, except for one team."""

    name = "team pot"
    eligible = None
    tier_policies = ()

    def __init__(self, skip=None, drop=None, amount=Decimal("10.00")):
        self.skip, self.drop, self.amount = skip, drop, amount

    def check(self, currency, *, allow_negative):
        currency.exact(self.name, "amount", self.amount)

    def pay(self, assessment, payees, currency):
        lines, excluded = [], []
        for payee in payees:
            if payee.agent_id == self.drop:
                continue
            if payee.agent_id == self.skip:
                excluded.append(
                    Exclusion(
                        agent_id=payee.agent_id,
                        role=payee.role,
                        reason="in the other team",
                        rule=self.name,
                    )
                )
                continue
            lines.append(
                PayoutLine(
                    agent_id=payee.agent_id,
                    rule=self.name,
                    amount=self.amount,
                    explanation=f"pot {currency.format(self.amount)}",
                    key=payee.key,
                )
            )
        return RuleOutcome(lines=tuple(lines), excluded=tuple(excluded))


class TestRuleProtocol:
    def test_any_object_following_the_protocol_is_a_rule(self):
        """A shop's own rule is paid like a built-in one, its exclusions listed."""
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.0, "b": 4.0})})
        rule = TeamPot(skip="b")
        assert isinstance(rule, Rule)
        assert isinstance(satisfaction_bonus(), Rule)
        statement = pay(plan_of(rule), measured)
        assert statement.totals == {"a": Decimal("10.00")}
        (excluded,) = statement.excluded
        assert (excluded.agent_id, excluded.rule, excluded.reason) == (
            "b",
            "team pot",
            "in the other team",
        )

    def test_a_rule_that_drops_a_payee_is_refused(self):
        """Every payee gets one line or one exclusion: nobody silently vanishes."""
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.0, "b": 4.0})})
        with fails(PolicyError, "outcome", match="exactly one line or one exclusion"):
            pay(plan_of(TeamPot(drop="b")), measured)

    def test_amounts_are_quantized_and_checked(self):
        """A custom rule's amounts come out in the currency's minor unit."""
        measured = synthetic({MEAN_RATING: ratings_of({"a": 4.0})})
        statement = pay(plan_of(TeamPot(amount=Decimal(7))), measured)
        assert str(statement.lines[0].amount) == "7.00"
        with fails(PolicyError, "amount", match="multiples of 0.01"):
            IncentivePlan(
                name="x", currency="CNY", rules=[TeamPot(amount=Decimal("0.001"))]
            )

    def test_payee_and_outcome_are_checked_values(self):
        """Payee and RuleOutcome are public, validated values."""
        payee = Payee(agent_id="a", role=Role.AGENT, key={"agent": "a"})
        assert payee.key == {"agent": "a"}
        with fails(WrongTypeError, "role"):
            Payee(agent_id="a", role="agent", key={"agent": "a"})
        assert RuleOutcome(lines=()).unallocated == ()

    def test_statements_with_undefined_intervals_travel(self):
        """A line quoting a judgement without an interval still pickles to equal."""
        measured = synthetic({MEAN_RATING: ratings_of({"a": 5.0}, n=1)})
        statement = pay(plan_of(satisfaction_bonus()), measured)
        (line,) = statement.lines
        assert math.isnan(line.judgements[0].low)
        assert pickle.loads(pickle.dumps(statement.lines)) == statement.lines
        assert copy.deepcopy(statement.lines) == statement.lines

    def test_protocol_values_travel(self):
        """Payees, outcomes, gates and results pickle and deep-copy to equals."""
        line = PayoutLine(
            agent_id="a", rule="r", amount=Decimal("1.00"), explanation="why"
        )
        values = [
            Payee(agent_id="a", role=Role.AGENT, key={"agent": "a"}),
            RuleOutcome(lines=(line,)),
            Eligibility(tiers={"satisfaction_rate": ("excellent", "good")}),
            satisfaction_bonus(eligible=Eligibility(tiers={"mean_rating": "reached"})),
        ]
        for value in values:
            assert pickle.loads(pickle.dumps(value)) == value
            assert copy.deepcopy(value) == value


SHARES = {"a": 0.95, "b": 0.85, "c": 0.5}


class TestEligibility:
    def gated_pool(self, eligibility):
        assessment = pool_assessment(SHARES, points={"a": 10, "b": 30, "c": 60})
        rule = PoolShare(
            name="pool", pool="900", weight="weighted_workload", eligible=eligibility
        )
        return assessment, plan_of(rule).apply(assessment, MAY)

    def test_tiers_gate_excludes_with_the_judgement(self):
        """Only agents rated at least good share the pool; c is told why."""
        assessment, statement = self.gated_pool(
            Eligibility(tiers={"satisfaction_rate": ("excellent", "good")})
        )
        assert statement.totals == {"a": Decimal(225), "b": Decimal(675)}
        (excluded,) = statement.excluded
        assert excluded.agent_id == "c"
        assert excluded.rule == "pool"
        judgement = assessment.get("satisfaction_rate", agent="c")
        assert excluded.reason == (
            f"not eligible: satisfaction_rate is warning, not excellent or good "
            f"({judgement.reason})"
        )

    def test_nobodys_score_changes(self):
        """The gate reads the assessment; it does not filter data."""
        assessment, _ = self.gated_pool(
            Eligibility(tiers={"satisfaction_rate": "good"})
        )
        before = pool_assessment(SHARES, points={"a": 10, "b": 30, "c": 60})
        assert assessment.to_records() == before.to_records()
        assert assessment.scores == before.scores

    def test_predicate_gate(self):
        """A predicate over the agent's judgements admits or refuses, with words."""

        def excellent(judgements):
            return judgements["satisfaction_rate"].tier == "excellent"

        _, statement = self.gated_pool(
            Eligibility(predicate=excellent, description="rated excellent")
        )
        assert statement.totals == {"a": Decimal(900)}
        assert [(e.agent_id, e.reason) for e in statement.excluded] == [
            ("b", "not eligible: not rated excellent"),
            ("c", "not eligible: not rated excellent"),
        ]

    def test_bad_gates(self):
        """Gates need something to check, known tiers and a description."""
        with fails(PolicyError, "tiers", match="give accepted tiers"):
            Eligibility()
        with fails(PolicyError, "description"):
            Eligibility(predicate=lambda _: True)
        with fails(WrongTypeError, "predicate", match="callable"):
            Eligibility(predicate="yes", description="yes")
        with fails(UnknownKeyError, "tiers", match="not a tier of satisfaction_rate"):
            self.gated_pool(Eligibility(tiers={"satisfaction_rate": "great"}))
        with fails(UnknownKeyError, "tiers", match="no tier policy"):
            self.gated_pool(Eligibility(tiers={"mean_rating": "reached"}))
        with fails(WrongTypeError, "predicate", match="a bool result"):
            self.gated_pool(Eligibility(predicate=lambda _: 1, description="one"))


QUARTERS = Quarterly(tz=UTC)


def quarterly(tiers_by_agent, scorecard=None):
    """An assessment by agent × quarter of 2026 from satisfaction shares."""
    metric = sqm.satisfaction_rate()
    keys, rows = [], []
    for agent, shares in tiers_by_agent.items():
        for quarter, share in enumerate(shares):
            if share is None:
                continue
            start = datetime(2026, 1 + 3 * quarter, 1, tzinfo=UTC)
            keys.append((agent, QUARTERS.period_of(start)))
            rows.append((round(share * 100), 100))
    measured = Measurements(
        key_names=("agent", "period"),
        keys=keys,
        metrics=[metric],
        states={metric.name: np.array(rows, dtype=float)},
        agent_roles=dict.fromkeys(tiers_by_agent, Role.AGENT),
    )
    return classify(measured, [presets.SATISFACTION], scorecard=scorecard)


class TestConsecutivePeriods:
    def test_two_excellent_quarters_in_a_row(self):
        assessment = quarterly(
            {
                "run": [0.95, 0.92, 0.5, 0.5],
                "gap": [0.95, 0.5, 0.95, 0.5],
                "missing": [0.95, None, 0.95, None],
                "long": [0.95, 0.95, 0.95, 0.95],
            }
        )
        senior = ConsecutivePeriods(
            title="senior agent",
            qualifies={"satisfaction_rate": "excellent"},
            calendar=QUARTERS,
        )
        earned = senior.recognise(assessment)
        assert [(r.agent_id, r.period.start.month) for r in earned] == [
            ("long", 4),
            ("run", 4),
        ]
        assert len(earned[1].evidence) == 2
        assert "0.950 ≥ 0.9 → excellent" in earned[1].evidence[0]
        frame = earned.to_pandas(period_labels=True)
        assert list(frame["agent_id"]) == ["long", "run"]
        assert list(frame["period"]) == ["2026-Q2", "2026-Q2"]
        assert earned.to_records()[0]["title"] == "senior agent"
        assert "senior agent" in earned._repr_html_()

    def test_several_accepted_tiers_and_longer_runs(self):
        assessment = quarterly({"a": [0.85, 0.95, 0.8, 0.7], "b": [0.85] * 4})
        rule = ConsecutivePeriods(
            title="steady",
            qualifies={"satisfaction_rate": ("excellent", "good")},
            count=3,
            calendar=QUARTERS,
        )
        assert [
            (r.agent_id, r.period.start.month) for r in rule.recognise(assessment)
        ] == [
            ("a", 7),
            ("b", 7),
        ]

    def test_refusals(self):
        assessment = quarterly({"a": [0.9]})
        with fails(UnknownKeyError, "qualifies", match="no tier policy"):
            ConsecutivePeriods(
                title="x",
                qualifies={"first_contact_resolution": "excellent"},
                calendar=QUARTERS,
            ).recognise(assessment)
        with pytest.raises(PolicyError, match="not a period of"):
            ConsecutivePeriods(
                title="x",
                qualifies={"satisfaction_rate": "excellent"},
                calendar=Quarterly(tz=SHOP_TIMEZONE),
            ).recognise(assessment)
        for options in (
            {"qualifies": {}},
            {"count": 0},
            {"count": True},
            {"calendar": Weekly},
            {"eligible_roles": (Role.BOT,)},
            {"qualifies": {"satisfaction_rate": ()}},
        ):
            chosen = {
                "title": "x",
                "qualifies": {"satisfaction_rate": "excellent"},
                "calendar": QUARTERS,
                **options,
            }
            with pytest.raises(ServiceQualityError):
                ConsecutivePeriods(**chosen)


class TestTopShare:
    def test_ten_percent_of_thirty_is_three(self):
        shares = {f"a{i:02}": [0.5 + i / 100] for i in range(30)}
        top = TopShare(title="training", by="satisfaction_rate", calendar=QUARTERS)
        earned = top.recognise(quarterly(shares))
        assert [r.agent_id for r in earned] == ["a29", "a28", "a27"]
        assert "rank 1 of 30" in earned[0].evidence[0]
        assert "→ 3 (ceil)" in earned[0].evidence[1]

    @pytest.mark.parametrize(
        ("rounding", "ties", "expected"),
        [
            ("ceil", "include", ["e", "d", "c", "b"]),
            ("ceil", "exclude", ["e"]),
            ("floor", "include", ["e"]),
            ("round", "include", ["e"]),
        ],
    )
    def test_rounding_and_ties(self, rounding, ties, expected):
        # 5 agents × 25 % = 1.25: ceil 2, floor 1, round 1; d, c, b tie
        shares = {"a": [0.5], "b": [0.7], "c": [0.7], "d": [0.7], "e": [0.9]}
        top = TopShare(
            title="t",
            by="satisfaction_rate",
            share=0.25,
            calendar=QUARTERS,
            rounding=rounding,
            ties=ties,
        )
        assert sorted(r.agent_id for r in top.recognise(quarterly(shares))) == sorted(
            expected
        )

    def test_at_least_one_and_composite_score(self):
        shares = {"a": [0.6], "b": [0.8]}
        top = TopShare(title="t", share=0.01, calendar=QUARTERS)
        (earned,) = top.recognise(quarterly(shares, scorecard=SATISFACTION_ONLY))
        assert earned.agent_id == "b"
        assert "composite_score 80.000" in earned.evidence[0]

    def test_lower_is_better_ranks_lowest_first(self):
        metric = sqm.escalation_rate()
        period = QUARTERS.period_of(datetime(2026, 2, 1, tzinfo=UTC))
        measured = Measurements(
            key_names=("agent", "period"),
            keys=[("a", period), ("b", period)],
            metrics=[metric],
            states={metric.name: np.array([[10, 100], [30, 100]], dtype=float)},
            agent_roles={"a": Role.AGENT, "b": Role.AGENT},
        )
        top = TopShare(title="t", by="escalation_rate", calendar=QUARTERS)
        (earned,) = top.recognise(classify(measured, []))
        assert earned.agent_id == "a"

    @pytest.mark.parametrize(
        "options",
        [
            {"share": 0},
            {"share": 1.5},
            {"share": True},
            {"rounding": "up"},
            {"ties": "random"},
            {"by": ""},
            {"calendar": "yearly"},
        ],
    )
    def test_bad_options(self, options):
        with pytest.raises(ServiceQualityError):
            TopShare(title="t", **{"calendar": Yearly(tz=UTC), **options})


T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


def served(
    cid, agent, level, *, start=None, end=None, resolved=True, minutes=0, **extra
):
    return Conversation(
        id=cid,
        agent_id=agent,
        customer_id=f"u-{cid}",
        opened_at=T0 + timedelta(minutes=minutes),
        channel=Channel.CHAT,
        difficulty=level,
        resolved=resolved,
        escalated=False,
        rating_invited=True,
        sentiment_start=start,
        sentiment_end=end,
        **extra,
    )


def rated(cid, score, comment=None):
    return Rating(
        conversation_id=cid, score=score, scale=RatingScale.THREE_LEVEL, comment=comment
    )


ROSTER = (
    Agent(id="a1", role=Role.AGENT),
    Agent(id="a2", role=Role.AGENT),
    Agent(id="bot", role=Role.BOT),
)


class TestBestCases:
    def test_hardest_then_emotion_turn_then_earliest(self):
        neg, pos = Sentiment.NEGATIVE, Sentiment.POSITIVE
        table = ConversationTable.from_records(
            [
                served("c1", "a1", Difficulty.COMPLAINT, minutes=1),
                served("c2", "a2", Difficulty.COMPLAINT, start=neg, end=pos, minutes=2),
                served("c3", "a1", Difficulty.CRISIS, resolved=False, minutes=3),
                served("c4", "bot", Difficulty.CRISIS, minutes=4),
                served("c5", "a2", Difficulty.COMPLAINT, minutes=0),
                served("c6", "a1", Difficulty.CRISIS, minutes=6),
                served("c7", "a1", Difficulty.BASIC, minutes=7),
            ],
            ratings=[rated(c, 3) for c in ("c1", "c2", "c3", "c4", "c5", "c7")]
            + [rated("c6", 2)],
            agents=ROSTER,
        )
        cases = best_cases(table, calendar=Weekly(tz=UTC), per_period=9, min_sample=1)
        assert [c.conversation_id for c in cases] == ["c2", "c5", "c1", "c7"]
        assert cases[0].emotion_turned
        assert cases[0].agent_id == "a2"
        assert "mood turned from negative to positive" in cases[0].reason
        assert "#1 of 4" in cases[0].reason

    def test_one_per_week_and_nothing_to_show(self):
        shop = example_shop(1_000)
        weekly = Weekly(tz=SHOP_TIMEZONE)
        cases = best_cases(shop, calendar=weekly, min_sample=1)
        periods = [c.period for c in cases]
        assert periods == sorted(set(periods))
        assert all(c.agent_id != "bot" for c in cases)
        frame = cases.to_pandas(period_labels=True)
        assert list(frame["conversation_id"]) == [c.conversation_id for c in cases]
        assert all(label.startswith("2025-W") for label in frame["period"])
        empty = best_cases(
            shop.filter(np.zeros(len(shop), dtype=bool)), calendar=weekly
        )
        assert empty == ()
        assert empty.to_records() == []
        assert "0 result(s)" in empty._repr_html_()
        empty = shop.filter(np.zeros(len(shop), dtype=bool))
        assert best_cases(empty, calendar=weekly) == ()
        with pytest.raises(ValidationError, match="per_period"):
            best_cases(shop, calendar=weekly, per_period=0)
        with pytest.raises(ValidationError, match="calendar"):
            best_cases(shop, calendar="weekly")

    def test_a_table_without_difficulty_is_refused(self):
        """Cases rank by difficulty: without the column, no silent ranking."""
        shop = example_shop(1_000)
        frame = shop.to_pandas().drop(columns=["difficulty"])
        table = ConversationTable.from_pandas(
            frame, rating_scale=shop.rating_scales[0], agents=shop.agents
        )
        with pytest.raises(UnknownKeyError, match="difficulty"):
            best_cases(table, calendar=Weekly(tz=SHOP_TIMEZONE), min_sample=1)


class TestPraiseDigest:
    def test_positive_comments_reach_the_agent(self):
        table = ConversationTable.from_records(
            [
                served("c1", "a1", Difficulty.BASIC, minutes=5),
                served("c2", "a1", Difficulty.BASIC, minutes=1),
                served("c3", "a2", Difficulty.BASIC),
                served("c4", "bot", Difficulty.BASIC),
                served("c5", "bot", Difficulty.BASIC, transferred_to="a2"),
                served("c6", "a2", Difficulty.BASIC),
            ],
            ratings=[
                rated("c1", 3, "patient"),
                rated("c2", 3, "fast"),
                rated("c3", 1, "rude"),
                rated("c4", 3, "bot was fine"),
                rated("c5", 3, "thanks for taking over"),
                rated("c6", 3),
            ],
            agents=ROSTER,
        )
        digest = praise_digest(table, calendar=Weekly(tz=UTC))
        assert [(p.agent_id, p.comments) for p in digest] == [
            ("a1", ("fast", "patient")),
            ("a2", ("thanks for taking over",)),
        ]
        assert digest[0].conversation_ids == ("c2", "c1")
        nothing = table.filter(np.zeros(6, dtype=bool))
        assert praise_digest(nothing, calendar=Weekly(tz=UTC)) == ()
        with fails(ValidationError, "calendar", match="is required"):
            praise_digest(nothing)
        with pytest.raises(ValidationError, match="table"):
            praise_digest([], calendar=Weekly(tz=UTC))


class TestEdges:
    def test_metric_weights_undefined_insufficient_or_negative(self):
        measured = synthetic(
            {MEAN_RATING: {"a": (0, 0, 0), "b": (3, 15, 75), "c": (40, 180, 810)}},
            min_sample=30,
        )
        rule = PoolShare(name="pool", pool="10", weight="mean_rating")
        statement = pay(plan_of(rule), measured)
        assert statement.totals == {"a": 0, "b": 0, "c": Decimal(10)}
        assert "mean_rating undefined" in statement.lines_of("a")[0].explanation
        assert "too few observations" in statement.lines_of("b")[0].explanation
        negative = synthetic({sqm.weighted_workload(): {"a": (2, -3.0)}})
        with pytest.raises(PolicyError, match="is negative"):
            plan_of(
                PoolShare(name="pool", pool="10", weight="weighted_workload")
            ).apply(classify(negative, []), MAY)

    def test_measurements_know_agent_roles(self):
        shop = example_shop(300)
        by_agent = measure(shop, ["satisfaction_rate"], by="agent")
        assert by_agent.agent_roles["s01"] is Role.SUPERVISOR
        assert set(by_agent.agent_roles) == set(by_agent.key_column("agent"))
        assert measure(shop, ["satisfaction_rate"], by="channel").agent_roles == {}

    def test_merging_conflicting_roles_is_refused(self):
        first = synthetic({MEAN_RATING: ratings_of({"a": 4.0})})
        second = synthetic(
            {MEAN_RATING: ratings_of({"a": 4.0})}, {"a": Role.SUPERVISOR}
        )
        assert first.merge(first).agent_roles == {"a": Role.AGENT}
        with pytest.raises(ValidationError, match="agent_roles"):
            first.merge(second)

    def test_unknown_role_is_refused(self):
        metric = MEAN_RATING
        measured = Measurements(
            key_names=("agent",),
            keys=[("a",)],
            metrics=[metric],
            states={metric.name: np.array([[100, 450, 2030]], dtype=float)},
        )
        with fails(UnknownKeyError, "agent", match="'a': has no known role"):
            pay(plan_of(satisfaction_bonus()), measured)

    def test_development_rules_need_agent_by_period(self):
        measured = synthetic({sqm.satisfaction_rate(): satisfaction_of({"a": 0.9})})
        rule = ConsecutivePeriods(
            title="x", qualifies={"satisfaction_rate": "excellent"}, calendar=QUARTERS
        )
        with fails(PolicyError, "assessment", match="exactly 'agent' and a calendar"):
            rule.recognise(classify(measured, [presets.SATISFACTION]))

    def test_only_eligible_and_ranked_agents(self):
        metric = sqm.satisfaction_rate()
        period = QUARTERS.period_of(datetime(2026, 2, 1, tzinfo=UTC))
        measured = Measurements(
            key_names=("agent", "period"),
            keys=[("a", period), ("s", period), ("z", period)],
            metrics=[metric],
            states={metric.name: np.array([[0, 0], [99, 100], [0, 0]], dtype=float)},
            agent_roles={"a": Role.AGENT, "s": Role.SUPERVISOR, "z": Role.AGENT},
        )
        assessment = classify(measured, [presets.SATISFACTION])
        top = TopShare(title="t", by="satisfaction_rate", calendar=QUARTERS)
        assert top.recognise(assessment) == ()
        supervisors = TopShare(
            title="t",
            by="satisfaction_rate",
            calendar=QUARTERS,
            eligible_roles=(Role.SUPERVISOR,),
        )
        assert [r.agent_id for r in supervisors.recognise(assessment)] == ["s"]

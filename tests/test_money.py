"""Money under hostile conditions: caller contexts, huge amounts, any weights."""

import math
import numbers
from datetime import datetime
from decimal import (
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Rounded,
    localcontext,
)
from fractions import Fraction
from functools import cache
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from servicequality import (
    Monthly,
    PolicyError,
    RatingScale,
    ServiceQualityError,
    WrongTypeError,
    measure,
)
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import (
    MAX_AMOUNT,
    Currency,
    IncentivePlan,
    PerPoint,
    PoolShare,
    ThresholdBonus,
    TieredBonus,
    allocate,
)
from servicequality.metrics import mean_rating
from servicequality.policy import classify, presets

CNY = Currency.of("CNY")


def reference_allocate(pool, weights, currency):
    """The exact-Fraction largest-remainder allocator the library started with."""
    exact = [Fraction(w.item() if isinstance(w, np.generic) else w) for w in weights]
    total = sum(exact, Fraction(0))
    units = int(Fraction(pool) / Fraction(currency.quantum))
    quotas = [units * w / total for w in exact]
    floors = [math.floor(q) for q in quotas]
    left = units - sum(floors)
    order = sorted(
        range(len(exact)), key=lambda i: (-(quotas[i] - floors[i]), -exact[i], i)
    )
    for i in order[:left]:
        floors[i] += 1
    return tuple(Fraction(f) * Fraction(currency.quantum) for f in floors)


@st.composite
def weights(draw, *, min_size=1, max_size=40):
    """Non-negative real weights of every accepted type, often repeated (ties)."""
    one = st.one_of(
        st.integers(0, 10**30),
        st.integers(0, 5),
        st.floats(0, 1e300, allow_nan=False, allow_infinity=False),
        st.floats(0, 10, allow_nan=False, allow_subnormal=True),
        st.fractions(min_value=0, max_value=10**6),
        st.decimals(min_value=0, max_value=10**12, allow_nan=False, places=4),
        st.integers(0, 2**62).map(np.int64),
        st.integers(0, 2**16 - 1).map(np.uint16),
        st.floats(0, 2.0**100, width=32, allow_nan=False).map(np.float32),
    )
    pool = draw(st.lists(one, min_size=1, max_size=4))
    chosen = draw(st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size))
    assume(any(w > 0 for w in chosen))
    return chosen


@st.composite
def integer_arrays(draw):
    """Non-negative numpy integer arrays of several dtypes, up to each one's top."""
    dtype = draw(st.sampled_from([np.int64, np.uint64, np.int32, np.uint8]))
    top = int(np.iinfo(dtype).max)
    values = st.one_of(st.integers(0, 3), st.integers(0, top))
    chosen = draw(st.lists(values, min_size=1, max_size=50))
    return np.array(chosen, dtype=dtype)


@st.composite
def pools(draw, currency=CNY):
    """A pool in whole minor units, from nothing to just below ``MAX_AMOUNT``."""
    largest = int(MAX_AMOUNT.scaleb(currency.minor_unit)) - 1
    units = draw(st.one_of(st.integers(0, 10**7), st.integers(0, largest)))
    return Decimal(units).scaleb(-currency.minor_unit)


class TestAllocateIsTheFractionAllocator:
    @given(pool=pools(), chosen=weights())
    def test_equal_to_the_fraction_reference(self, pool, chosen):
        """Every share equals the exact-Fraction allocator's share."""
        shares = allocate(pool, chosen, currency=CNY)
        assert reference_allocate(pool, chosen, CNY) == tuple(map(Fraction, shares))

    @given(
        pool=pools(),
        chosen=st.lists(st.floats(0, 60000, allow_nan=False), min_size=1, max_size=50),
        width=st.sampled_from([np.float64, np.float32, np.float16]),
    )
    def test_float_arrays_equal_the_reference(self, pool, chosen, width):
        """A numpy float array of any width is read exactly, as its values."""
        array = np.array(chosen, dtype=width)
        assume(array.astype(np.float64).sum() > 0 and np.isfinite(array).all())
        shares = allocate(pool, array, currency=CNY)
        expected = reference_allocate(pool, [float(w) for w in array], CNY)
        assert expected == tuple(map(Fraction, shares))

    @given(pool=pools(), array=integer_arrays())
    def test_integer_arrays_equal_the_reference(self, pool, array):
        """A numpy integer array gives what the same Python ints give."""
        assume(any(array))
        shares = allocate(pool, array, currency=CNY)
        expected = reference_allocate(pool, [int(w) for w in array.tolist()], CNY)
        assert expected == tuple(map(Fraction, shares))

    @given(pool=pools(), chosen=weights(max_size=20))
    def test_every_share_keeps_the_currency_places(self, pool, chosen):
        """Each share has exactly two decimal places in CNY, zero included."""
        shares = allocate(pool, chosen, currency=CNY)
        assert {s.as_tuple().exponent for s in shares} == {-2}
        assert sum(shares) == pool


class TestAllocateInputs:
    def test_a_currency_code_is_a_currency(self):
        """``currency="JPY"`` is ``Currency.of("JPY")``."""
        assert allocate(Decimal(7), [1, 3, 1], currency="JPY") == (2, 4, 1)

    def test_a_wrong_currency_type_is_a_wrong_type_error(self):
        with pytest.raises(WrongTypeError, match="a Currency or an ISO code"):
            allocate(Decimal(7), [1], currency=2)  # type: ignore[arg-type]

    def test_numpy_scalars_are_numbers(self):
        """numpy integers and float32 are weights like any int or float."""
        shares = allocate(
            Decimal(10), [np.int64(1), np.float32(0.5), np.uint8(2)], currency=CNY
        )
        # 1000 cents by 1 : 0.5 : 2 → 285.71…, 142.85…, 571.42… → floors
        # 285, 142, 571 (998); the two cents go to remainders .71 and .57
        assert shares == (Decimal("2.86"), Decimal("1.43"), Decimal("5.71"))

    @pytest.mark.parametrize(
        "weight",
        [
            Decimal("sNaN"),
            Decimal("NaN"),
            Decimal("-Infinity"),
            float("inf"),
            np.float32("nan"),
            np.float64("-inf"),
        ],
    )
    def test_non_finite_weights_are_policy_errors(self, weight):
        with pytest.raises(PolicyError, match="must be finite") as caught:
            allocate(Decimal(10), [1, weight], currency=CNY)
        assert caught.value.field == "weights[1]"

    def test_long_doubles_and_object_arrays_are_read_exactly(self):
        """longdouble weights keep their extra bits; object arrays their values."""
        tiny = np.longdouble(1) + np.finfo(np.longdouble).eps
        weights = np.array([tiny, np.longdouble(1)], dtype=np.longdouble)
        expected = reference_allocate(
            Decimal("0.01"), [Fraction(*w.as_integer_ratio()) for w in weights], CNY
        )
        assert allocate(Decimal("0.01"), weights, currency=CNY) == tuple(
            Decimal(f.numerator) / f.denominator for f in expected
        )
        mixed = np.array([Fraction(1, 3), 2, Decimal("0.5")], dtype=object)
        assert allocate(Decimal(38), mixed, currency=CNY) == allocate(
            Decimal(38), list(mixed), currency=CNY
        )

    def test_any_other_real_is_read_as_its_float(self):
        class Half(numbers.Real):
            def __float__(self):
                return 0.5

        for name in numbers.Real.__abstractmethods__ - {"__float__"}:
            setattr(Half, name, lambda *_: NotImplemented)
        Half.__abstractmethods__ = frozenset()
        assert allocate(Decimal(3), [Half(), 1], currency="JPY") == (1, 2)

    @pytest.mark.parametrize("weight", [True, np.bool_(True), "1", None, 1j])
    def test_non_real_weights_are_wrong_type_errors(self, weight):
        with pytest.raises(WrongTypeError, match="must be a real number"):
            allocate(Decimal(10), [1, weight], currency=CNY)

    @pytest.mark.parametrize(
        "chosen", [np.array([1, -1]), np.array([1.0, -0.5]), [Fraction(-1, 2)]]
    )
    def test_negative_weights_are_refused_in_any_form(self, chosen):
        with pytest.raises(PolicyError, match="must not be negative"):
            allocate(Decimal(10), chosen, currency=CNY)

    @pytest.mark.parametrize("chosen", [1, "12", object()])
    def test_weights_must_be_a_sequence(self, chosen):
        with pytest.raises(WrongTypeError, match="sequence of real numbers"):
            allocate(Decimal(10), chosen, currency=CNY)

    @pytest.mark.parametrize(
        "pool", [Decimal("1E+26"), Decimal("-1E+30"), "1" + "0" * 400, 10**400]
    )
    def test_huge_pools_are_policy_errors(self, pool):
        with pytest.raises(PolicyError, match=r"smaller than 1E\+26"):
            allocate(pool, [1, 2], currency=CNY)

    def test_the_largest_pool_still_splits_exactly(self):
        pool = MAX_AMOUNT - CNY.quantum
        shares = allocate(pool, [1, 1], currency=CNY)
        assert shares == (
            Decimal("50000000000000000000000000.00"),
            Decimal("49999999999999999999999999.99"),
        )


HOSTILE = MappingProxyType(
    {"prec": 6, "traps": [Inexact, Rounded, InvalidOperation, DivisionByZero]}
)


class TestCallerContext:
    def test_allocate_ignores_a_six_digit_context(self):
        """The issue's case: 10,000.00 under ``prec=6`` splits exactly."""
        expected = allocate(Decimal("10000.00"), [1, 1, 1], currency=CNY)
        with localcontext(**HOSTILE):
            shares = allocate(Decimal("10000.00"), [1, 1, 1], currency=CNY)
        assert shares == expected
        assert expected == (Decimal("3333.34"), Decimal("3333.33"), Decimal("3333.33"))

    def test_currency_methods_ignore_the_context(self):
        with localcontext(**HOSTILE):
            assert CNY.exact("x", "amount", "12345678.90") == Decimal("12345678.90")
            assert CNY.round(Decimal("12345678.905")) == Decimal("12345678.91")
            assert CNY.format(Decimal("12345678.9")) == "CNY 12,345,678.90"
            assert CNY.quantum == Decimal("0.01")

    @pytest.mark.parametrize(
        "value", [Decimal("1E+26"), "-100000000000000000000000000", 10**26]
    )
    def test_amounts_of_1e26_and_more_are_policy_errors(self, value):
        with pytest.raises(PolicyError, match=r"smaller than 1E\+26"):
            CNY.exact("x", "amount", value)
        with pytest.raises(PolicyError, match=r"smaller than 1E\+26"):
            ThresholdBonus(name="t", bar=presets.SATISFACTION_BONUS_BAR, amount=value)

    def test_a_whole_plan_pays_the_same_under_a_hostile_context(self):
        """Every line and total is the same under ``prec=6`` with every trap set."""
        assessment, period = _november()
        plan = IncentivePlan(
            name="big",
            currency="CNY",
            rules=[
                ThresholdBonus(
                    name="bar",
                    bar=presets.SATISFACTION_BONUS_BAR,
                    amount="1234567.89",
                ),
                TieredBonus(
                    name="tiers",
                    tiers="satisfaction_rate",
                    amounts={"excellent": "99999.99", "good": "5000", "warning": 0},
                ),
                PerPoint(name="points", rate="123.45"),
                PoolShare(name="pool", pool="98765432.10", weight="composite_score"),
            ],
        )
        assessment = classify(
            assessment.measurements,
            [presets.SATISFACTION, *plan.tier_policies],
            scorecard=presets.MATURE_STAGE,
        )
        expected = plan.apply(assessment, period)
        with localcontext(**HOSTILE):
            statement = plan.apply(assessment, period)
            totals = statement.totals
            paid = statement.total_paid
        assert statement.lines == expected.lines
        assert totals == expected.totals
        assert paid == expected.total_paid
        assert all(line.amount.as_tuple().exponent == -2 for line in statement.lines)


def test_every_amount_on_every_line_keeps_the_currency_places():
    """Capped, pooled, tiered and per-point lines, and what stays unallocated."""
    assessment, period = _november()
    plan = IncentivePlan(
        name="capped",
        currency="CNY",
        rules=[
            PerPoint(name="points", rate="0.4", cap="50"),
            PoolShare(name="pool", pool="1500", weight="composite_score", cap="100"),
        ],
    )
    statement = plan.apply(assessment, period)
    amounts = [line.amount for line in statement.lines]
    amounts += [u.amount for u in statement.unallocated]
    assert {a.as_tuple().exponent for a in amounts} == {-2}


@cache
def _november():
    shop = example_shop(rating_scale=RatingScale.FIVE_STAR)
    month = Monthly(tz=SHOP_TIMEZONE)
    november = month.period_of(datetime(2025, 11, 1, tzinfo=SHOP_TIMEZONE))
    scorecard = presets.MATURE_STAGE
    measured = measure(
        shop,
        [
            *scorecard.metrics,
            mean_rating(scale=RatingScale.FIVE_STAR),
            "weighted_workload",
        ],
        by=["agent", month],
    )
    return classify(measured, [presets.SATISFACTION], scorecard=scorecard), november


def test_every_money_error_is_a_library_error():
    """The family root catches every refusal above."""
    for bad in ([1, "x"], [Decimal("sNaN")], []):
        with pytest.raises(ServiceQualityError):
            allocate(Decimal(1), bad, currency=CNY)

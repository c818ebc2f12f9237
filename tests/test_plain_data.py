"""Every configuration round-trips through plain data, ready for TOML or JSON."""

import contextlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
    DifficultyCoefficients,
    PolicyError,
    RatingScale,
    Role,
    ServiceHours,
    ServiceQualityError,
    SLAPolicy,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
)
from servicequality.incentives import (
    Currency,
    Eligibility,
    IncentivePlan,
    PerPoint,
    PoolShare,
    ThresholdBonus,
    TieredBonus,
)
from servicequality.policy import (
    Dimension,
    PolicySchedule,
    PolicyVersion,
    Scorecard,
    ScorecardComponent,
    Tier,
    TierPolicy,
    presets,
)
from servicequality.strategies import rating_scales
from tests.raising import fails

ZONES = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/Sao_Paulo"]
NAMES = st.text("abcdefghij_", min_size=1, max_size=8).filter(str.isidentifier)


def plain(value):
    """Whether ``value`` is TOML-ready data: str, int, float, bool, list, dict."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(x) for k, x in value.items())
    if isinstance(value, list):
        return all(plain(x) for x in value)
    return isinstance(value, str | int | float | bool)


def round_trips(value):
    """``value`` survives to_dict, JSON and from_dict unchanged."""
    data = value.to_dict()
    assert plain(data)
    assert type(value).from_dict(json.loads(json.dumps(data))) == value


@st.composite
def tier_policies(draw, metric=None):
    higher = draw(st.booleans())
    bounds = sorted(
        draw(st.lists(st.floats(0, 1), min_size=0, max_size=3, unique=True)),
        reverse=higher,
    )
    side = "at_least" if higher else "at_most"
    tiers = [Tier(name=f"t{i}", **{side: b}) for i, b in enumerate(bounds)]
    return TierPolicy(
        metric=metric
        or draw(st.sampled_from(["satisfaction_rate", "sla_chat", "custom"])),
        tiers=(*tiers, Tier(name="rest")),
        min_sample=draw(st.integers(1, 100)),
        basis=draw(st.sampled_from(["value", "interval"])),
    )


@st.composite
def scorecards(draw):
    parts = draw(st.lists(st.integers(1, 9), min_size=1, max_size=5))
    return Scorecard(
        name=draw(NAMES),
        components=tuple(
            ScorecardComponent(
                metric=f"m{i}",
                weight=part / sum(parts),
                dimension=draw(st.sampled_from(list(Dimension))),
                worst=0.0,
                best=draw(st.sampled_from([1.0, -1.0, 600.0])),
            )
            for i, part in enumerate(parts)
        ),
        max_core=draw(st.integers(5, 7)),
    )


@st.composite
def schedules(draw):
    days = sorted(
        draw(st.lists(st.integers(0, 3_000), min_size=1, max_size=3, unique=True))
    )
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    start = datetime(2024, 1, 1, tzinfo=zone)
    return PolicySchedule(
        versions=tuple(
            PolicyVersion(
                effective_from=start + timedelta(days=d),
                policies=(draw(tier_policies()),),
                scorecard=draw(st.none() | scorecards()),
            )
            for d in days
        )
    )


MONEY = st.integers(0, 10**9).map(lambda cents: Decimal(cents).scaleb(-2))
GATES = st.none() | st.just(
    Eligibility(tiers={"satisfaction_rate": ("excellent", "good")})
)


@st.composite
def rules(draw, name):
    kind = draw(
        st.sampled_from(["threshold", "tiered", "tiered_name", "point", "pool"])
    )
    cap = draw(st.none() | MONEY)
    gate = draw(GATES)
    if kind == "threshold":
        bar = draw(
            tier_policies(metric="mean_rating").filter(lambda p: len(p.tiers) == 2)
        )
        return ThresholdBonus(
            name=name, bar=bar, amount=draw(MONEY), cap=cap, eligible=gate
        )
    if kind.startswith("tiered"):
        policy = presets.SATISFACTION
        amounts = sorted(draw(st.lists(MONEY, min_size=3, max_size=3)), reverse=True)
        return TieredBonus(
            name=name,
            tiers=policy if kind == "tiered" else policy.metric,
            amounts=dict(zip(policy.tier_names, amounts, strict=False)),
            cap=cap,
            eligible=gate,
        )
    if kind == "point":
        rate = draw(st.integers(0, 10**6))
        return PerPoint(
            name=name, rate=Decimal(rate).scaleb(-3), cap=cap, eligible=gate
        )
    weight = draw(
        st.sampled_from(
            [("composite_score",), ("weighted_workload", "composite_score")]
        )
    )
    return PoolShare(name=name, pool=draw(MONEY), weight=weight, cap=cap, eligible=gate)


@st.composite
def plans(draw):
    count = draw(st.integers(1, 4))
    return IncentivePlan(
        name=draw(NAMES),
        currency=draw(
            st.sampled_from(["CNY", "USD", Currency(code="XTS", minor_unit=2)])
        ),
        rules=[draw(rules(f"rule {i}")) for i in range(count)],
        eligible_roles=draw(
            st.sampled_from([(Role.AGENT,), (Role.AGENT, Role.SUPERVISOR)])
        ),
    )


@st.composite
def service_hours(draw):
    weekly = {}
    for day in draw(st.sets(st.integers(0, 6), min_size=1)):
        cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
        pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
        weekly[day] = [
            f"{a * 15 // 60:02}:{a * 15 % 60:02}-{b * 15 // 60:02}:{b * 15 % 60:02}"
            for a, b in pairs
        ]
    return ServiceHours(
        weekly=weekly,
        tz=draw(st.sampled_from(ZONES)),
        holidays=frozenset(
            draw(st.sets(st.dates(date(2020, 1, 1), date(2030, 1, 1)), max_size=4))
        ),
    )


@st.composite
def sla_policies(draw):
    seconds = st.none() | st.integers(1, 365 * 86_400 * 1_000).map(
        lambda ms: timedelta(milliseconds=ms)
    )
    first, resolution = draw(seconds), draw(seconds)
    if first is None and resolution is None:
        first = timedelta(minutes=3)
    return SLAPolicy(
        name=draw(NAMES),
        first_response=first,
        resolution=resolution,
        clock=draw(st.none() | service_hours()),
    )


COEFFICIENTS = st.builds(
    DifficultyCoefficients,
    basic=st.floats(0.01, 10),
    complex=st.floats(0.01, 10),
    complaint=st.floats(0.01, 10),
    crisis=st.floats(0.01, 10),
)


class TestRoundTrips:
    @given(tier_policies())
    def test_tier_policy(self, policy):
        """A tier policy reads back equal."""
        round_trips(policy)

    @given(scorecards())
    def test_scorecard(self, card):
        """A scorecard reads back equal."""
        round_trips(card)

    @given(schedules())
    def test_policy_schedule(self, schedule):
        """A schedule, its instants and scorecards read back equal."""
        round_trips(schedule)

    @given(plans())
    def test_incentive_plan(self, plan):
        """A plan, every rule kind, caps and gates read back equal."""
        round_trips(plan)

    @given(sla_policies())
    def test_sla_policy(self, sla):
        """An SLA policy, its targets and clock read back equal."""
        round_trips(sla)

    @given(service_hours())
    def test_service_hours(self, hours):
        """Service hours, their zone and holidays read back equal."""
        round_trips(hours)

    @given(COEFFICIENTS)
    def test_difficulty_coefficients(self, coefficients):
        """Difficulty coefficients read back equal."""
        round_trips(coefficients)

    @given(rating_scales())
    def test_rating_scale(self, scale):
        """A rating scale reads back equal."""
        round_trips(scale)


JSON = st.recursive(
    # amounts of 1E+26 and more are the money module's case (hostile input)
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats()
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CONFIGURATIONS = [
    TierPolicy,
    Scorecard,
    PolicySchedule,
    IncentivePlan,
    SLAPolicy,
    ServiceHours,
    DifficultyCoefficients,
    RatingScale,
]


def leaves(data, path=()):
    """Every path to a leaf (or an empty container) of plain data."""
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    found = False
    for key, value in items:
        found = True
        yield from leaves(value, (*path, key))
    if not found:
        yield path


def put(data, path, value):
    """A copy of ``data`` with the leaf at ``path`` replaced by ``value``."""
    if not path:
        return value
    head, *rest = path
    copied = dict(data) if isinstance(data, dict) else list(data)
    copied[head] = put(data[head], rest, value)
    return copied


class TestBadPlainData:
    @pytest.mark.parametrize("kind", CONFIGURATIONS, ids=lambda k: k.__name__)
    @given(data=JSON)
    def test_only_library_errors(self, kind, data):
        """Any JSON value gives a configuration or a library error, never another."""
        with contextlib.suppress(ServiceQualityError):
            kind.from_dict(data)

    @pytest.mark.parametrize(
        "strategy",
        [
            tier_policies(),
            scorecards(),
            schedules(),
            plans(),
            sla_policies(),
            service_hours(),
            COEFFICIENTS,
        ],
        ids=["tiers", "scorecard", "schedule", "plan", "sla", "hours", "difficulty"],
    )
    @given(data=st.data())
    def test_one_bad_leaf_gives_a_library_error(self, strategy, data):
        """Valid data with one leaf replaced reads back or fails in the family."""
        value = data.draw(strategy)
        plain = value.to_dict()
        paths = list(leaves(plain))
        path = data.draw(st.sampled_from(paths))
        replaced = data.draw(JSON)
        with contextlib.suppress(ServiceQualityError):
            type(value).from_dict(put(plain, path, replaced))

    def test_errors_name_the_key(self):
        """Unknown keys, wrong kinds and roles are named where they occur."""
        plan = IncentivePlan(
            name="p", currency="CNY", rules=[PerPoint(name="x", rate="1")]
        ).to_dict()
        for kind in ("lottery", ["per_point"], None):
            with fails(UnknownKeyError, "rules", match="kinds: threshold_bonus"):
                IncentivePlan.from_dict({**plan, "rules": [{"kind": kind}]})
        with fails(UnknownKeyError, "eligible_roles", match="roles: agent"):
            IncentivePlan.from_dict({**plan, "eligible_roles": ["boss"]})
        with fails(PolicyError, "colour", match="not a known key"):
            PerPoint.from_dict({**plan["rules"][0], "colour": "red"})
        with fails(PolicyError, "kind", match="'per_point'"):
            PerPoint.from_dict({**plan["rules"][0], "kind": "pool_share"})
        with fails(WrongTypeError, "first_response_seconds"):
            SLAPolicy.from_dict({"name": "chat", "first_response_seconds": "3m"})
        with fails(ValidationError, "holidays", match="ISO date"):
            ServiceHours.from_dict(
                {"weekly": {"monday": ["09:00-18:00"]}, "tz": "UTC", "holidays": ["x"]}
            )
        with fails(ValidationError, "crisis", match="positive"):
            DifficultyCoefficients.from_dict({"crisis": -1})

    def test_code_and_fixed_offsets_are_not_plain_data(self):
        """A predicate gate or a zone without a name cannot be written down."""
        gate = Eligibility(predicate=lambda _: True, description="anyone")
        plan = IncentivePlan(
            name="p",
            currency="CNY",
            rules=[PerPoint(name="x", rate="1", eligible=gate)],
        )
        with fails(PolicyError, "predicate", match="plain data cannot hold"):
            plan.to_dict()
        with fails(ValidationError, "tz", match="no IANA name"):
            ServiceHours.daily("09:00-18:00", tz=timezone(timedelta(hours=8))).to_dict()
        assert ServiceHours.daily("09:00-18:00", tz=UTC).to_dict()["tz"] == "UTC"

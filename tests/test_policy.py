"""Tiers, scorecards and schedules: boundaries, monotonicity, plain-data round trips."""

import math
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
    ConversationTable,
    Monthly,
    PolicyError,
    SLAPolicy,
    UnknownKeyError,
    WrongTypeError,
    measure,
)
from servicequality import metrics as sqm
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.policy import (
    INSUFFICIENT_DATA,
    Dimension,
    PolicySchedule,
    PolicyVersion,
    Scorecard,
    ScorecardComponent,
    Tier,
    TierPolicy,
    classify,
    presets,
)
from tests.raising import fails


def tier_of(policy, value, n=1000, low=math.nan, high=math.nan):
    return policy.classify(value, n=n, low=low, high=high)[0]


class TestPresetBoundaries:
    @pytest.mark.parametrize(
        ("value", "tier"),
        [
            (1.0, "excellent"),
            (0.90, "excellent"),
            (0.8999, "good"),
            (0.9001, "excellent"),
            (0.80, "good"),
            (0.7999, "warning"),
            (0.0, "warning"),
        ],
    )
    def test_satisfaction(self, value, tier):
        """Douyin: excellent ≥ 90 %, good ≥ 80 %, warning below (S0 §1)."""
        assert tier == tier_of(presets.SATISFACTION, value)

    @pytest.mark.parametrize(
        ("value", "tier"),
        [
            (0.85, "excellent"),
            (0.8499, "pass"),
            (0.8501, "excellent"),
            (0.75, "pass"),
            (0.7499, "below_standard"),
            (0.7501, "pass"),
        ],
    )
    def test_first_contact_resolution(self, value, tier):
        """Independent stores: excellent ≥ 85 %, pass ≥ 75 % (S4 §2)."""
        assert tier == tier_of(presets.FIRST_CONTACT_RESOLUTION, value)

    @pytest.mark.parametrize(
        ("value", "tier"), [(4.5, "reached"), (4.49, "not_reached"), (4.51, "reached")]
    )
    def test_satisfaction_bonus_bar(self, value, tier):
        """4.5 of 5 reaches the bar, 4.49 does not (S4 §3.1)."""
        assert tier == tier_of(presets.SATISFACTION_BONUS_BAR, value)


class TestSmallSamplesAndBasis:
    def test_too_few_observations_say_how_many_more(self):
        """Three ratings never earn a real tier by accident."""
        tier, reason = presets.SATISFACTION.classify(1.0, n=3)
        assert tier == INSUFFICIENT_DATA
        assert "27 more needed" in reason

    def test_interval_basis_uses_the_conservative_end(self):
        """A 0.92 rate whose lower bound is 0.86 is only 'good' on the interval."""
        policy = TierPolicy(
            metric="satisfaction_rate",
            tiers=presets.SATISFACTION.tiers,
            basis="interval",
        )
        assert policy.classify(0.92, n=100, low=0.86, high=0.96)[0] == "good"
        assert tier_of(presets.SATISFACTION, 0.92, low=0.86, high=0.96) == "excellent"
        assert policy.classify(0.92, n=100)[0] == INSUFFICIENT_DATA

    def test_lower_is_better_uses_at_most_and_the_upper_bound(self):
        """Response time: the upper bound must be within the limit."""
        policy = TierPolicy(
            metric="first_response_time",
            tiers=(
                Tier(name="fast", at_most=60),
                Tier(name="ok", at_most=180),
                Tier(name="slow"),
            ),
            basis="interval",
        )
        assert policy.classify(50, n=50, low=40, high=70)[0] == "ok"
        assert policy.classify(50, n=50, low=40, high=60)[0] == "fast"
        assert policy.classify(50, n=50, low=40, high=181)[0] == "slow"

    def test_reason_reads_as_one_sentence(self):
        """The reason shows the value, the bar, the tier, n and the interval."""
        _, reason = presets.SATISFACTION.classify(
            0.912, n=213, low=0.87, high=0.94, confidence=0.95
        )
        assert reason == (
            "satisfaction_rate 0.912 ≥ 0.9 → excellent (n = 213, 95 % CI 0.870–0.940)"
        )
        _, bare = presets.SATISFACTION.classify(0.912, n=213, low=0.87, high=0.94)
        assert "(n = 213, CI 0.870–0.940)" in bare
        _, below = presets.SATISFACTION.classify(0.5, n=213, low=0.4, high=0.6)
        assert "< 0.8 → warning" in below


class TestPolicyRules:
    @pytest.mark.parametrize(
        ("tiers", "message"),
        [
            ((Tier(name="a", at_least=0.8), Tier(name="a")), "twice"),
            (
                (
                    Tier(name="a", at_least=0.8),
                    Tier(name="b", at_most=0.9),
                    Tier(name="c"),
                ),
                "mix",
            ),
            (
                (
                    Tier(name="a", at_least=0.8),
                    Tier(name="b", at_least=0.9),
                    Tier(name="c"),
                ),
                "best to worst",
            ),
            (
                (
                    Tier(name="a", at_least=0.8),
                    Tier(name="b", at_least=0.8),
                    Tier(name="c"),
                ),
                "best to worst",
            ),
            ((Tier(name="a", at_least=0.8), Tier(name="b", at_least=0.5)), "catch-all"),
            ((Tier(name="a"), Tier(name="b")), "only the last"),
            ((), "at least one tier"),
        ],
    )
    def test_inconsistent_tiers_are_policy_errors(self, tiers, message):
        """Overlapping, unordered or duplicate tiers name the rule."""
        with fails(PolicyError, "tiers", match=message):
            TierPolicy(metric="satisfaction_rate", tiers=tiers)

    def test_bounds_are_checked_against_the_declared_unit(self):
        """Shares stay in 0..1 and times above 0, whatever the metric's name."""
        shop = example_shop(300)
        sla = SLAPolicy(name="chat", first_response=timedelta(minutes=3))
        measured = measure(shop, ["first_response_time", *sla.metrics()], by="agent")
        share = TierPolicy(
            metric="sla_chat_first_response",
            tiers=(Tier(name="a", at_least=1.2), Tier(name="b")),
        )
        with fails(PolicyError, "tiers", match="share bound must be in 0..1"):
            classify(measured, [share])
        negative = TierPolicy(
            metric="first_response_time",
            tiers=(Tier(name="a", at_most=-1), Tier(name="b")),
        )
        with fails(PolicyError, "tiers", match="seconds must not be negative"):
            classify(measured, [negative])
        share.check_metric(unit="score", higher_is_better=True)
        negative.check_metric(unit="score", higher_is_better=False)
        with fails(PolicyError, "tiers", match="where lower is better"):
            share.check_metric(unit="score", higher_is_better=False)

    def test_bad_options(self):
        """min_sample and basis are checked."""
        with pytest.raises(PolicyError, match="min_sample"):
            TierPolicy(
                metric="satisfaction_rate",
                tiers=presets.SATISFACTION.tiers,
                min_sample=0,
            )
        with pytest.raises(PolicyError, match="basis"):
            TierPolicy(
                metric="satisfaction_rate",
                tiers=presets.SATISFACTION.tiers,
                basis="mean",
            )

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"name": ""}, "name"),
            ({"name": INSUFFICIENT_DATA}, "reserved"),
            ({"name": "a", "at_least": 1, "at_most": 2}, "not both"),
            ({"name": "a", "at_least": math.nan}, "finite"),
        ],
    )
    def test_bad_tiers(self, arguments, message):
        """Tiers check their own fields."""
        name = arguments.pop("name")
        with pytest.raises(PolicyError, match=message):
            Tier(name=name, **arguments)


BOUNDS = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=4, unique=True)


@st.composite
def policies(draw):
    bounds = sorted(draw(BOUNDS), reverse=True)
    higher = draw(st.booleans())
    if not higher:
        bounds.reverse()
    side = "at_least" if higher else "at_most"
    tiers = [Tier(name=f"t{i}", **{side: b}) for i, b in enumerate(bounds)]
    return TierPolicy(
        metric="satisfaction_rate",
        tiers=(*tiers, Tier(name="rest")),
        min_sample=draw(st.integers(1, 50)),
        basis=draw(st.sampled_from(["value", "interval"])),
    )


class TestPolicyProperties:
    @given(policies(), st.floats(0, 1), st.floats(0, 1))
    def test_classification_is_monotone(self, policy, a, b):
        """A better value never lands in a worse tier."""
        worse, better = (
            sorted((a, b)) if policy.higher_is_better else sorted((a, b), reverse=True)
        )
        rank = {name: i for i, name in enumerate(policy.tier_names)}
        tier_worse = policy.classify(worse, n=100, low=worse, high=worse)[0]
        tier_better = policy.classify(better, n=100, low=better, high=better)[0]
        assert rank[tier_better] <= rank[tier_worse]

    @given(policies())
    def test_round_trips_through_plain_data(self, policy):
        """from_dict(to_dict(p)) == p."""
        assert policy == TierPolicy.from_dict(policy.to_dict())

    @pytest.mark.parametrize(
        ("data", "kind", "field", "message"),
        [
            ({"metric": "x"}, PolicyError, "tiers", "required but missing"),
            (
                {"metric": "x", "tiers": [], "colour": "red"},
                PolicyError,
                "colour",
                "not a known key",
            ),
            ({"metric": "x", "tiers": "excellent"}, WrongTypeError, "tiers", "list"),
            (
                {"metric": "x", "tiers": [{"name": "a", "at_least": "high"}]},
                WrongTypeError,
                "at_least",
                "a number, not str",
            ),
            (
                {"metric": "x", "tiers": [{"name": "a", "above": 1}]},
                PolicyError,
                "above",
                "known keys: name, at_least, at_most",
            ),
            ("satisfaction", WrongTypeError, "data", "mapping"),
        ],
    )
    def test_bad_plain_data_names_the_key(self, data, kind, field, message):
        """Configuration errors say which key broke which rule."""
        with fails(kind, field, match=message):
            TierPolicy.from_dict(data)

    def test_deeply_nested_data_is_a_library_error(self):
        """Data nested 100,000 deep is refused by the library, not by recursion."""
        deep: list = []
        for _ in range(100_000):
            deep = [deep]
        with fails(WrongTypeError, "data"):
            TierPolicy.from_dict({"metric": "x", "tiers": [deep]})
        nested: dict = {}
        for _ in range(100_000):
            nested = {"tiers": nested}
        with fails(PolicyError, "metric", match="required"):
            TierPolicy.from_dict(nested)


def component(metric, weight, worst=0.0, best=1.0):
    return ScorecardComponent(
        metric=metric,
        weight=weight,
        dimension=Dimension.SATISFACTION,
        worst=worst,
        best=best,
    )


class TestScorecard:
    def test_presets_weigh_what_the_stage_needs(self):
        """Growth weighs responsiveness most; maturity resolution and satisfaction."""

        def weight_of(card):
            totals = {}
            for c in card.components:
                totals[c.dimension] = totals.get(c.dimension, 0) + c.weight
            return max(totals, key=totals.get)

        assert weight_of(presets.GROWTH_STAGE) is Dimension.RESPONSIVENESS
        mature = presets.MATURE_STAGE
        weights = {c.metric: c.weight for c in mature.components}
        assert weights["first_contact_resolution"] + weights["satisfaction_rate"] >= 0.5

    def test_more_than_five_core_metrics_need_a_raised_limit(self):
        """Too many metrics is an error unless max_core is raised on purpose (S4 §5)."""
        parts = tuple(component(f"m{i}", 1 / 6) for i in range(6))
        with pytest.raises(PolicyError, match="max_core"):
            Scorecard(name="wide", components=parts)
        assert len(Scorecard(name="wide", components=parts, max_core=6).components) == 6

    @pytest.mark.parametrize(
        ("parts", "message"),
        [
            ((component("a", 0.5), component("b", 0.4)), "sum to"),
            ((component("a", 0.5), component("a", 0.5)), "twice"),
            ((), "at least one"),
        ],
    )
    def test_bad_scorecards(self, parts, message):
        """Weights sum to 1 and each metric appears once."""
        with fails(PolicyError, "components", match=message):
            Scorecard(name="card", components=parts)

    def test_bad_components(self):
        """Weights in (0, 1], distinct worst and best, a known dimension."""
        with fails(PolicyError, "weight", match=r"\(0, 1\]"):
            component("a", 0)
        with fails(PolicyError, "best", match="differ"):
            component("a", 1, worst=0.5, best=0.5)
        with fails(WrongTypeError, "dimension", match="a Dimension, not str"):
            ScorecardComponent(metric="a", weight=1, dimension="speed", worst=0, best=1)

    def test_composite_shows_each_contribution(self):
        """50 % weight at score 0.5 and 50 % at 1.0 make 75 points."""
        shop = example_shop(2_000)
        card = Scorecard(
            name="two",
            components=(
                component("rating_rate", 0.5, worst=0.0, best=1.0),
                component("resolution_rate", 0.5, worst=0.0, best=0.5),
            ),
        )
        result = measure(shop, ["rating_rate", "resolution_rate"])
        (line,) = card.score(result)
        rating = result.get("rating_rate").value
        resolution = min(1.0, result.get("resolution_rate").value / 0.5)
        assert line.composite == pytest.approx(50 * rating + 50 * resolution)
        assert [c.metric for c in line.contributions] == [
            "rating_rate",
            "resolution_rate",
        ]
        assert "of 100" in line.reason

    @given(
        st.lists(st.floats(0, 1), min_size=3, max_size=3),
        st.integers(0, 2),
        st.floats(0, 1),
    )
    def test_composite_is_bounded_and_rises_with_any_component(
        self, values, which, gain
    ):
        """0 ≤ composite ≤ 100, and improving one component never lowers it."""
        card = Scorecard(
            name="three",
            components=(
                component("a", 0.5),
                component("b", 0.3),
                component("c", 0.2, worst=1.0, best=0.0),
            ),
        )

        def composite(vals):
            return math.fsum(
                100 * c.weight * c.score(v)
                for c, v in zip(card.components, vals, strict=True)
            )

        before = composite(values)
        improved = list(values)
        direction = (
            1 if card.components[which].best > card.components[which].worst else -1
        )
        improved[which] = min(1.0, max(0.0, values[which] + direction * gain))
        assert 0 <= before <= 100 + 1e-9
        assert composite(improved) >= before - 1e-9

    def test_round_trip_and_bad_plain_data(self):
        """Scorecards read back from plain data; bad keys are named."""
        card = presets.MATURE_STAGE
        assert card == Scorecard.from_dict(card.to_dict())
        data = card.to_dict()
        data["components"][0]["dimension"] = "speed"
        with fails(PolicyError, "dimension", match="one of resolution_quality"):
            Scorecard.from_dict(data)
        with fails(WrongTypeError, "components", match="list"):
            Scorecard.from_dict({"name": "x", "components": {}})

    def test_missing_metric_and_undefined_values(self):
        """A scorecard needs its metrics measured; NaN values give no composite."""
        shop = example_shop(300)
        with fails(UnknownKeyError, "components", match="not measured"):
            presets.GROWTH_STAGE.score(measure(shop, ["rating_rate"]))
        card = Scorecard(
            name="bot", components=(component("transfer_rate", 1.0, worst=1, best=0),)
        )
        result = measure(shop, ["transfer_rate", "rating_rate"], by="agent")
        lines = {line.key["agent"]: line for line in card.score(result)}
        assert math.isnan(lines["a01"].composite)
        assert "no value" in lines["a01"].reason


JAN = datetime(2025, 1, 1, tzinfo=SHOP_TIMEZONE)
NOV = datetime(2025, 11, 1, tzinfo=SHOP_TIMEZONE)


class TestClassifyAndSchedule:
    def test_classify_every_group(self):
        """Each group gets a tier per policy, with the reason."""
        shop = example_shop(4_000)
        result = measure(
            shop, ["satisfaction_rate", "first_contact_resolution"], by="agent"
        )
        assessment = classify(
            result, [presets.SATISFACTION, presets.FIRST_CONTACT_RESOLUTION]
        )
        assert len(assessment) == len(result)
        judgement = assessment.get("satisfaction_rate", agent="a09")
        assert judgement.tier in presets.SATISFACTION.tier_names
        assert judgement.reason.startswith("satisfaction_rate")
        assert assessment.tier("satisfaction_rate", agent="a09") == judgement.tier
        records = assessment.to_records()
        assert len(records) == 2 * len(result)
        assert {"agent", "metric", "tier", "reason"} <= set(records[0])

    def test_to_pandas_with_integer_counts_and_period_labels(self):
        """One row per group and metric; n is an integer; periods become labels."""
        shop = example_shop(800)
        result = measure(
            shop, ["satisfaction_rate"], by=["agent", Monthly(tz=SHOP_TIMEZONE)]
        )
        assessment = classify(result, [presets.SATISFACTION])
        frame = assessment.to_pandas(period_labels=True)
        assert len(frame) == len(result)
        assert str(frame["n"].dtype) == "int64"
        periods = result.key_column("period")
        assert list(frame["period"]) == [f"{p.start:%Y-%m}" for p in periods]
        assert list(frame["tier"]) == [j.tier for j in assessment]
        raw = assessment.to_pandas()
        assert list(raw["period"]) == list(periods)

    def test_reasons_say_the_confidence_level_that_was_set(self):
        """A 90 % interval is called a 90 % interval, not a 95 % one."""
        shop = example_shop(800)
        ninety = attrs.evolve(sqm.satisfaction_rate(), confidence=0.9)
        policy = attrs.evolve(presets.SATISFACTION, min_sample=1)
        assessment = classify(measure(shop, [ninety], by="agent"), [policy])
        reasons = [j.reason for j in assessment]
        assert reasons
        assert all("90 % CI" in r and "95 %" not in r for r in reasons)
        default = classify(measure(shop, ["satisfaction_rate"], by="agent"), [policy])
        assert all("95 % CI" in j.reason for j in default)

    def test_classify_errors(self):
        """Unmeasured metrics, duplicate policies and unknown groups are errors."""
        result = measure(example_shop(300), ["satisfaction_rate"], by="agent")
        with fails(UnknownKeyError, "policies", match="not measured"):
            classify(result, [presets.FIRST_CONTACT_RESOLUTION])
        with fails(PolicyError, "policies", match="two tier policies"):
            classify(result, [presets.SATISFACTION, presets.SATISFACTION])
        with fails(WrongTypeError, "measurements", match="Measurements, not list"):
            classify([], [presets.SATISFACTION])
        with fails(WrongTypeError, "policies", match="TierPolicy, not str"):
            classify(result, ["satisfaction_rate"])
        with fails(WrongTypeError, "policies", match="sequence of TierPolicy"):
            classify(result, presets.SATISFACTION)
        assessment = classify(result, [presets.SATISFACTION])
        with fails(UnknownKeyError, "key", match="not a group"):
            assessment.get("satisfaction_rate", agent="zz")
        with fails(UnknownKeyError, "key", match="exactly the keys agent"):
            assessment.get("satisfaction_rate", team="zz")
        with fails(UnknownKeyError, "metric", match="no tier policy"):
            assessment.get("rating_rate", agent="a01")
        with fails(UnknownKeyError, "key", match="no scorecard"):
            assessment.score(agent="a01")

    def test_schedule_judges_each_period_by_its_own_rules(self):
        """A revision from November applies to November, not to October."""
        strict = TierPolicy(
            metric="satisfaction_rate",
            tiers=(
                Tier(name="excellent", at_least=0.99),
                Tier(name="good", at_least=0.98),
                Tier(name="warning"),
            ),
            min_sample=1,
        )
        lenient = TierPolicy(
            metric="satisfaction_rate",
            tiers=(
                Tier(name="excellent", at_least=0.01),
                Tier(name="good", at_least=0.0),
                Tier(name="warning"),
            ),
            min_sample=1,
        )
        schedule = PolicySchedule(
            versions=(
                PolicyVersion(effective_from=JAN, policies=(lenient,)),
                PolicyVersion(effective_from=NOV, policies=(strict,), scorecard=None),
            )
        )
        october_records = example_shop(800, month=10).to_records()
        renamed = ConversationTable.from_records(
            [attrs.evolve(c, id="oct-" + c.id) for c in october_records.conversations],
            ratings=[
                attrs.evolve(r, conversation_id="oct-" + r.conversation_id)
                for r in october_records.ratings
            ],
            agents=october_records.agents,
        )
        shop = renamed + example_shop(800, month=11, seed=8)
        result = measure(shop, ["satisfaction_rate"], by=Monthly(tz=SHOP_TIMEZONE))
        assessment = classify(result, schedule)
        october, november = result.key_column("period")[:2]
        assert assessment.tier("satisfaction_rate", period=october) == "excellent"
        assert assessment.tier("satisfaction_rate", period=november) == "warning"
        assert schedule.in_force(NOV + timedelta(days=3)).policies == (strict,)
        with fails(UnknownKeyError, "at", match="before the first policy version"):
            schedule.in_force(JAN - timedelta(days=1))

    def test_schedule_rules(self):
        """Versions are increasing; schedules need periods; round trip."""
        version = PolicyVersion(
            effective_from=JAN,
            policies=(presets.SATISFACTION,),
            scorecard=presets.GROWTH_STAGE,
        )
        with fails(PolicyError, "versions", match="increasing"):
            PolicySchedule(versions=(version, version))
        schedule = PolicySchedule(versions=(version,))
        assert schedule == PolicySchedule.from_dict(schedule.to_dict())
        result = measure(example_shop(300), ["satisfaction_rate"], by="agent")
        with fails(PolicyError, "measurements", match="period"):
            classify(result, schedule)
        with fails(PolicyError, "effective_from", match="timezone-aware"):
            PolicyVersion(effective_from=datetime(2025, 1, 1), policies=())
        with fails(PolicyError, "effective_from", match="ISO"):
            PolicyVersion.from_dict({"effective_from": "soon", "policies": []})
        with fails(PolicyError, "effective_from", match="timezone-aware"):
            PolicyVersion(effective_from="2026-01-01T00:00:00", policies=())

    def test_effective_from_text_is_parsed_at_construction(self):
        """An ISO string with an offset becomes the datetime it names."""
        version = PolicyVersion(effective_from="2026-01-01T00:00:00+08:00", policies=())
        expected = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
        assert expected == version.effective_from
        schedule = PolicySchedule(versions=(version,))
        assert schedule.in_force(expected) is version

    @given(
        st.lists(st.integers(0, 400), min_size=1, max_size=5, unique=True),
        st.integers(-10, 420),
    )
    def test_schedules_pick_the_version_in_force(self, offsets, probe):
        """The version in force is the latest that started at or before the moment."""
        starts = sorted(JAN + timedelta(days=d) for d in offsets)
        schedule = PolicySchedule(
            versions=tuple(PolicyVersion(effective_from=s, policies=()) for s in starts)
        )
        moment = JAN + timedelta(days=probe)
        started = [s for s in starts if s <= moment]
        if not started:
            with fails(UnknownKeyError, "at"):
                schedule.in_force(moment)
            return
        assert schedule.in_force(moment).effective_from == max(started)

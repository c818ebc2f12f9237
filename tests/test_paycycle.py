"""The pay cycle: exclusions, as-of evaluation, locked statements, adjustments."""

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    ExclusionReason,
    Monthly,
    PolicyError,
    Rating,
    RatingExclusion,
    RatingScale,
    Role,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
    as_of,
    exclude_ratings,
    measure,
)
from servicequality import metrics as sqm
from servicequality.incentives import (
    Adjustment,
    Dispute,
    DisputeStatus,
    IncentivePlan,
    LockedLine,
    LockedStatement,
    PerPoint,
    PlanSchedule,
    PlanVersion,
    PoolShare,
    ThresholdBonus,
    TieredBonus,
    backtest,
)
from servicequality.policy import Tier, TierPolicy, classify
from servicequality.review import data_quality
from tests.raising import fails

FIVE = RatingScale.FIVE_STAR
MONTH = Monthly(tz=UTC)
MAY = MONTH.period_of(datetime(2026, 5, 1, tzinfo=UTC))
JUNE = MONTH.period_of(datetime(2026, 6, 1, tzinfo=UTC))
JULY = MONTH.period_of(datetime(2026, 7, 1, tzinfo=UTC))
LOCK = datetime(2026, 6, 1, 6, tzinfo=UTC)
MID_JUNE = datetime(2026, 6, 15, tzinfo=UTC)
END_JUNE = datetime(2026, 6, 30, tzinfo=UTC)
AGENTS = ("a1", "a2", "a3")
BAR = TierPolicy(
    metric="satisfaction_rate",
    tiers=(Tier(name="reached", at_least=0.8), Tier(name="not_reached")),
    min_sample=2,
)
TIERS = TierPolicy(
    metric="mean_rating",
    tiers=(
        Tier(name="high", at_least=4.5),
        Tier(name="mid", at_least=3.0),
        Tier(name="low"),
    ),
    min_sample=2,
)


def conversation(i, agent, opened, difficulty=Difficulty.BASIC):
    return Conversation(
        id=f"c{i}",
        agent_id=agent,
        customer_id=f"u{i}",
        opened_at=opened,
        closed_at=opened + timedelta(minutes=10),
        channel=Channel.CHAT,
        difficulty=difficulty,
        resolved=True,
        escalated=False,
        rating_invited=True,
    )


def rating(i, score, rated_at):
    return Rating(conversation_id=f"c{i}", score=score, scale=FIVE, rated_at=rated_at)


def table_of(conversations, ratings):
    return ConversationTable.from_records(
        conversations,
        ratings=ratings,
        agents=[Agent(id=a, role=Role.AGENT) for a in AGENTS],
    )


def plan_of(*rules, **options):
    return IncentivePlan(name="May", currency="CNY", rules=rules, **options)


TIERS_RATE = attrs.evolve(
    TIERS,
    metric="satisfaction_rate",
    tiers=(
        Tier(name="high", at_least=0.9),
        Tier(name="mid", at_least=0.6),
        Tier(name="low"),
    ),
)


SIMPLE = plan_of(
    ThresholdBonus(name="bar", bar=BAR, amount="200"),
    TieredBonus(
        name="tiers", tiers=TIERS, amounts={"high": "300", "mid": "100", "low": "0"}
    ),
    PerPoint(name="points", rate="0.37"),
    clawback="allowed",
)
POOLED = plan_of(
    ThresholdBonus(name="bar", bar=BAR, amount="200", cap="150"),
    PoolShare(
        name="pool", pool="1000", weight=("weighted_workload", "satisfaction_rate")
    ),
    clawback="allowed",
)


def pay(plan, table, period=MAY):
    measured = measure(
        table,
        ["satisfaction_rate", sqm.mean_rating(scale=FIVE), "weighted_workload"],
        by=["agent", MONTH],
    )
    assessment = classify(measured, [*plan.tier_policies])
    return plan.apply(assessment, period)


# A small May by hand: a1 has two satisfied ratings at lock; a late 1-star
# arrives on June 3; a2's 1-star rating is appealed and excluded on June 10.
HAND = [
    conversation(0, "a1", datetime(2026, 5, 3, 9, tzinfo=UTC)),
    conversation(1, "a1", datetime(2026, 5, 4, 9, tzinfo=UTC)),
    conversation(2, "a1", datetime(2026, 5, 5, 9, tzinfo=UTC)),
    conversation(3, "a2", datetime(2026, 5, 6, 9, tzinfo=UTC)),
    conversation(4, "a2", datetime(2026, 5, 7, 9, tzinfo=UTC)),
    conversation(5, "a2", datetime(2026, 5, 8, 9, tzinfo=UTC)),
    conversation(6, "a2", datetime(2026, 6, 2, 9, tzinfo=UTC)),
]
HAND_RATINGS = [
    rating(0, 5, datetime(2026, 5, 3, 10, tzinfo=UTC)),
    rating(1, 4, datetime(2026, 5, 4, 10, tzinfo=UTC)),
    rating(2, 1, datetime(2026, 6, 3, 10, tzinfo=UTC)),
    rating(3, 5, datetime(2026, 5, 6, 10, tzinfo=UTC)),
    rating(4, 4, datetime(2026, 5, 7, 10, tzinfo=UTC)),
    rating(5, 1, datetime(2026, 5, 8, 10, tzinfo=UTC)),
]
APPEAL = RatingExclusion(
    conversation_id="c5",
    reason=ExclusionReason.APPEAL_UPHELD,
    effective_at=datetime(2026, 6, 10, tzinfo=UTC),
    note="appeal 2026-118",
)
HAND_TABLE = table_of(HAND, HAND_RATINGS)
BAR_ONLY = plan_of(ThresholdBonus(name="bar", bar=BAR, amount="200"))


class TestRatingExclusion:
    def test_in_force_from_effective_until_lifted(self):
        """In force at effective_at, not before, and not from lifted_at on."""
        lifted = APPEAL.lift(datetime(2026, 6, 20, tzinfo=UTC))
        assert not APPEAL.in_force(datetime(2026, 6, 9, 23, tzinfo=UTC))
        assert APPEAL.in_force(APPEAL.effective_at)
        assert lifted.in_force(datetime(2026, 6, 19, tzinfo=UTC))
        assert not lifted.in_force(datetime(2026, 6, 20, tzinfo=UTC))

    def test_plain_data_round_trip_through_json(self):
        lifted = APPEAL.lift(datetime(2026, 6, 20, tzinfo=UTC))
        for value in (APPEAL, lifted):
            assert (
                RatingExclusion.from_dict(json.loads(json.dumps(value.to_dict())))
                == value
            )

    @pytest.mark.parametrize(
        ("options", "kind", "field"),
        [
            ({"conversation_id": " "}, ValidationError, "conversation_id"),
            ({"reason": "appeal_upheld"}, WrongTypeError, "reason"),
            (
                {"effective_at": datetime(2026, 6, 10)},
                ValidationError,
                "effective_at",
            ),  # naive on purpose
            (
                {"lifted_at": datetime(2026, 6, 1, tzinfo=UTC)},
                ValidationError,
                "lifted_at",
            ),
        ],
    )
    def test_bad_values_name_the_field(self, options, kind, field):
        with fails(kind, field):
            attrs.evolve(APPEAL, **options)

    def test_unknown_reason_in_plain_data(self):
        with fails(ValidationError, "reason", match="appeal_upheld"):
            RatingExclusion.from_dict({**APPEAL.to_dict(), "reason": "rude"})


class TestExcludeRatings:
    def test_an_excluded_rating_leaves_every_satisfaction_metric(self):
        """a2: 2 of 3 satisfied (0.667) becomes 2 of 2 once c5 is excluded."""
        after = exclude_ratings(HAND_TABLE, [APPEAL], at=END_JUNE)
        before = measure(HAND_TABLE, ["satisfaction_rate", "rating_rate"], by="agent")
        measured = measure(after, ["satisfaction_rate", "rating_rate"], by="agent")
        assert before.get("satisfaction_rate", agent="a2").value == pytest.approx(2 / 3)
        assert measured.get("satisfaction_rate", agent="a2").value == 1.0
        assert measured.get("rating_rate", agent="a2").value == 2 / 4
        assert len(after) == len(HAND_TABLE)

    def test_not_yet_in_force_removes_nothing(self):
        assert (
            exclude_ratings(HAND_TABLE, [APPEAL], at=MID_JUNE - timedelta(days=6))
            == HAND_TABLE
        )

    def test_unknown_or_unrated_conversations_remove_nothing(self):
        """The caller keeps one list of exclusions for all its tables."""
        elsewhere = attrs.evolve(APPEAL, conversation_id="c999")
        unrated = attrs.evolve(APPEAL, conversation_id="c6")
        assert (
            exclude_ratings(HAND_TABLE, [elsewhere, unrated], at=END_JUNE) == HAND_TABLE
        )

    def test_wrong_types(self):
        with fails(WrongTypeError, "exclusions"):
            exclude_ratings(HAND_TABLE, ["c5"], at=END_JUNE)
        with fails(ValidationError, "at"):
            exclude_ratings(
                HAND_TABLE, [APPEAL], at=datetime(2026, 6, 1)
            )  # naive on purpose


class TestAsOf:
    def test_late_ratings_later_conversations_and_exclusions(self):
        """At the lock: c2's rating is not known, c6 not opened, c5 still counts."""
        known = as_of(HAND_TABLE, LOCK, exclusions=[APPEAL])
        expected = table_of(
            HAND[:6], [r for r in HAND_RATINGS if r.conversation_id != "c2"]
        )
        assert known.to_records() == expected.to_records()

    def test_table_methods_delegate(self):
        assert HAND_TABLE.as_of(LOCK, exclusions=[APPEAL]).to_records() == (
            as_of(HAND_TABLE, LOCK, exclusions=[APPEAL]).to_records()
        )
        assert HAND_TABLE.excluding([APPEAL], at=END_JUNE) == exclude_ratings(
            HAND_TABLE, [APPEAL], at=END_JUNE
        )

    def test_later_closing_is_not_yet_known(self):
        closes_late = attrs.evolve(HAND[0], closed_at=datetime(2026, 6, 2, tzinfo=UTC))
        known = as_of(table_of([closes_late], []), LOCK)
        assert np.isnat(known["closed_at"]).all()

    def test_a_rating_without_rated_at_cannot_be_placed_in_time(self):
        undated = table_of(
            HAND[:1], [Rating(conversation_id="c0", score=5, scale=FIVE)]
        )
        with fails(ValidationError, "rated_at", match="c0") as caught:
            as_of(undated, LOCK)
        assert caught.value.index == 0


class TestLock:
    def test_lock_records_every_line(self):
        statement = pay(BAR_ONLY, as_of(HAND_TABLE, LOCK))
        locked = statement.lock(LOCK)
        assert [(x.agent_id, x.amount) for x in locked.lines] == [
            ("a1", Decimal("200.00")),
            ("a2", Decimal("0.00")),
        ]
        assert locked.locked_at == LOCK
        assert locked.total_paid == Decimal("200.00")

    def test_cannot_lock_before_the_period_ends(self):
        statement = pay(BAR_ONLY, HAND_TABLE)
        with fails(PolicyError, "at"):
            statement.lock(datetime(2026, 5, 31, tzinfo=UTC))

    def test_json_round_trip(self):
        locked = pay(POOLED, as_of(HAND_TABLE, LOCK)).lock(LOCK)
        text = json.dumps(locked.to_dict())
        assert LockedStatement.from_dict(json.loads(text)) == locked

    def test_repeated_line_is_refused(self):
        line = LockedLine(agent_id="a1", rule="bar", amount=Decimal(1), explanation="x")
        with fails(PolicyError, "lines"):
            LockedStatement(
                plan="May",
                currency=SIMPLE.currency,
                period=MAY,
                locked_at=LOCK,
                lines=(line, line),
            )


class TestAdjust:
    def locked(self, plan=BAR_ONLY):
        return pay(plan, as_of(HAND_TABLE, LOCK, exclusions=[APPEAL])).lock(LOCK)

    def rerun(self, plan=BAR_ONLY, at=END_JUNE):
        return pay(plan, as_of(HAND_TABLE, at, exclusions=[APPEAL]))

    def test_late_rating_and_upheld_appeal(self):
        """a1 falls to 2/3 < 0.8: clawback 200 (allowed); a2 rises to 2/2: +200."""
        plan = attrs.evolve(BAR_ONLY, clawback="allowed")
        adjustments = plan.adjust(
            self.locked(plan),
            self.rerun(plan),
            paid_in=JUNE,
            at=END_JUNE,
            table=HAND_TABLE,
            exclusions=[APPEAL],
        )
        assert [(a.agent_id, a.amount, a.waived) for a in adjustments] == [
            ("a1", Decimal("-200.00"), Decimal("0.00")),
            ("a2", Decimal("200.00"), Decimal("0.00")),
        ]
        a1, a2 = adjustments
        assert a1.arrived == ("c2",)
        assert a2.excluded == ("c5",)
        assert "clawback CNY 200.00" in a1.explanation
        assert "1 exclusion(s) (c5)" in a2.explanation

    def test_never_claws_back_and_says_so(self):
        adjustments = BAR_ONLY.adjust(
            self.locked(), self.rerun(), paid_in=JUNE, at=END_JUNE
        )
        assert [(a.agent_id, a.amount, a.waived) for a in adjustments] == [
            ("a1", Decimal("0.00"), Decimal("-200.00")),
            ("a2", Decimal("200.00"), Decimal("0.00")),
        ]
        assert (
            "CNY 200.00 not taken back (clawback never)" in adjustments[0].explanation
        )

    def test_a_waived_clawback_is_listed_once(self):
        first = BAR_ONLY.adjust(self.locked(), self.rerun(), paid_in=JUNE, at=END_JUNE)
        again = BAR_ONLY.adjust(
            self.locked(), self.rerun(), paid_in=JULY, at=END_JUNE, earlier=first
        )
        assert again == ()

    def test_capped_clawback_offsets_top_ups_first(self):
        """Clawback 200 on bar; +100 on tiers; cap 30: take back 130, waive 70."""
        plan = plan_of(
            ThresholdBonus(name="bar", bar=BAR, amount="200"),
            TieredBonus(
                name="tiers",
                tiers=TIERS,
                amounts={"high": "100", "mid": "0", "low": "0"},
            ),
            clawback="capped",
            clawback_cap="30",
        )
        locked = self.locked(plan)
        rerun = self.rerun(plan)
        # Make a1's tiers line pay 100 more on the re-run by locking it at 0.
        locked = attrs.evolve(
            locked,
            lines=tuple(
                attrs.evolve(x, amount=Decimal("0.00"))
                if (x.agent_id, x.rule) == ("a1", "tiers")
                else x
                for x in locked.lines
            ),
        )
        rerun_a1 = {x.rule: x.amount for x in rerun.lines_of("a1")}
        assert rerun_a1 == {"bar": Decimal("0.00"), "tiers": Decimal("0.00")}
        rerun = attrs.evolve(
            rerun,
            lines=tuple(
                attrs.evolve(x, amount=Decimal("100.00"))
                if (x.agent_id, x.rule) == ("a1", "tiers")
                else x
                for x in rerun.lines
            ),
        )
        adjustments = plan.adjust(locked, rerun, paid_in=JUNE, at=END_JUNE)
        mine = {a.rule: (a.amount, a.waived) for a in adjustments if a.agent_id == "a1"}
        assert mine == {
            "bar": (Decimal("-130.00"), Decimal("-70.00")),
            "tiers": (Decimal("100.00"), Decimal("0.00")),
        }

    def test_the_next_statement_pays_them_and_locks_them(self):
        plan = attrs.evolve(BAR_ONLY, clawback="allowed")
        adjustments = plan.adjust(
            self.locked(plan), self.rerun(plan), paid_in=JUNE, at=END_JUNE
        )
        june = pay(plan, as_of(HAND_TABLE, END_JUNE), JUNE).with_adjustments(
            adjustments
        )
        assert june.total("a1") == Decimal("-200.00")
        assert june.total("a2") == Decimal("200.00")
        locked_june = june.lock(datetime(2026, 7, 1, 6, tzinfo=UTC))
        assert locked_june.adjustments == adjustments
        assert LockedStatement.from_dict(locked_june.to_dict()) == locked_june
        assert "adjustment bar (2026-05)" in str(june)

    def test_adjustments_paid_in_another_period_are_refused(self):
        adjustments = BAR_ONLY.adjust(
            self.locked(), self.rerun(), paid_in=JULY, at=END_JUNE
        )
        with fails(PolicyError, "adjustments"):
            pay(BAR_ONLY, HAND_TABLE, JUNE).with_adjustments(adjustments)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"paid_in": MAY}, "paid_in"),
            ({"at": datetime(2026, 6, 1, tzinfo=UTC)}, "at"),
            ({"rerun": "june"}, "rerun"),
            ({"plan": "other"}, "plan"),
        ],
    )
    def test_refused(self, change, field):
        plan = BAR_ONLY
        rerun = self.rerun()
        options = {"paid_in": JUNE, "at": END_JUNE}
        if "paid_in" in change or "at" in change:
            options.update(change)
        if change.get("rerun"):
            rerun = pay(BAR_ONLY, HAND_TABLE, JUNE)
        if change.get("plan"):
            plan = attrs.evolve(BAR_ONLY, name="other")
        with fails(PolicyError, field):
            plan.adjust(self.locked(), rerun, **options)

    def test_adjustment_round_trip_and_its_identity(self):
        (adjustment,) = BAR_ONLY.adjust(
            self.locked(), self.rerun(), paid_in=JUNE, at=END_JUNE
        )[1:]
        assert (
            Adjustment.from_dict(json.loads(json.dumps(adjustment.to_dict())))
            == adjustment
        )
        with fails(ValidationError, "now"):
            attrs.evolve(adjustment, amount=Decimal("1.00"))


class TestPlanClawbackOptions:
    @pytest.mark.parametrize(
        ("options", "field"),
        [
            ({"clawback": "sometimes"}, "clawback"),
            ({"clawback": "capped"}, "clawback_cap"),
            ({"clawback_cap": "10"}, "clawback_cap"),
            ({"clawback": "capped", "clawback_cap": "-1"}, "clawback_cap"),
            ({"clawback": "capped", "clawback_cap": "0.001"}, "clawback_cap"),
        ],
    )
    def test_bad_options(self, options, field):
        with fails(PolicyError, field):
            plan_of(PerPoint(name="points", rate="1"), **options)

    def test_round_trip(self):
        plan = plan_of(
            PerPoint(name="points", rate="1"), clawback="capped", clawback_cap="50"
        )
        assert IncentivePlan.from_dict(plan.to_dict()) == plan
        assert "clawback" not in plan_of(PerPoint(name="points", rate="1")).to_dict()


@st.composite
def months(draw):
    """A May of up to 24 conversations; ratings arrive up to 40 days later."""
    conversations, ratings = [], []
    for i in range(draw(st.integers(1, 24))):
        opened = MAY.start + timedelta(minutes=draw(st.integers(0, 31 * 24 * 60 - 1)))
        conversations.append(
            conversation(
                i,
                draw(st.sampled_from(AGENTS)),
                opened,
                draw(st.sampled_from(Difficulty)),
            )
        )
        if draw(st.booleans()):
            lag = timedelta(hours=draw(st.integers(1, 40 * 24)))
            ratings.append(rating(i, draw(st.integers(1, 5)), opened + lag))
    exclusions = [
        RatingExclusion(
            conversation_id=r.conversation_id,
            reason=draw(st.sampled_from(ExclusionReason)),
            effective_at=max(r.rated_at, LOCK)
            + timedelta(hours=draw(st.integers(0, 30 * 24))),
        )
        for r in ratings
        if draw(st.booleans())
    ]
    return conversations, ratings, exclusions


def known_at(conversations, ratings, exclusions, at):
    """What was known at ``at``, built from the records (independently of as_of)."""
    out = {e.conversation_id for e in exclusions if e.effective_at <= at}
    return table_of(
        [c for c in conversations if c.opened_at <= at],
        [r for r in ratings if r.rated_at <= at and r.conversation_id not in out],
    )


def amounts(statement):
    return {(x.agent_id, x.rule): x.amount for x in statement.lines}


class TestProperties:
    @settings(max_examples=40)
    @given(months())
    def test_as_of_the_lock_reproduces_the_locked_statement(self, month):
        conversations, ratings, exclusions = month
        locked = pay(SIMPLE, known_at(conversations, ratings, exclusions, LOCK)).lock(
            LOCK
        )
        final = table_of(conversations, ratings)
        again = pay(SIMPLE, as_of(final, LOCK, exclusions=exclusions)).lock(LOCK)
        assert again == locked

    @settings(max_examples=40)
    @given(months(), st.sampled_from([SIMPLE, POOLED]))
    def test_locked_plus_adjustments_equals_one_run_on_final_data(self, month, plan):
        """Two rounds of adjustments; exact per line, pools and caps included."""
        conversations, ratings, exclusions = month
        final = table_of(conversations, ratings)
        locked = pay(plan, as_of(final, LOCK, exclusions=exclusions)).lock(LOCK)
        snapshot = locked.to_dict()
        first = plan.adjust(
            locked,
            pay(plan, as_of(final, MID_JUNE, exclusions=exclusions)),
            paid_in=JUNE,
            at=MID_JUNE,
            table=final,
            exclusions=exclusions,
        )
        last = pay(
            plan, exclude_ratings(final, exclusions, at=END_JUNE + timedelta(days=40))
        )
        second = plan.adjust(
            locked,
            last,
            paid_in=JULY,
            at=END_JUNE + timedelta(days=40),
            earlier=first,
        )
        assert locked.to_dict() == snapshot
        loaded = LockedStatement.from_dict(json.loads(json.dumps(snapshot)))
        stored = [
            Adjustment.from_dict(json.loads(json.dumps(a.to_dict()))) for a in first
        ]
        assert (
            plan.adjust(
                loaded,
                last,
                paid_in=JULY,
                at=END_JUNE + timedelta(days=40),
                earlier=stored,
            )
            == second
        )
        paid = {key: locked.amount(*key) for key in amounts(last)}
        for adjustment in (*first, *second):
            key = (adjustment.agent_id, adjustment.rule)
            paid[key] += adjustment.amount
            assert adjustment.waived == 0
        assert paid == amounts(last)

    @settings(max_examples=40)
    @given(months(), st.sampled_from(["never", "capped"]))
    def test_limited_clawbacks_never_take_more_than_allowed(self, month, clawback):
        """Paid plus the latest waived part is the final run; net loss is bounded."""
        conversations, ratings, exclusions = month
        final = table_of(conversations, ratings)
        cap = {"clawback_cap": "50"} if clawback == "capped" else {}
        plan = attrs.evolve(POOLED, clawback=clawback, **cap)
        locked = pay(plan, as_of(final, LOCK, exclusions=exclusions)).lock(LOCK)
        last = pay(plan, exclude_ratings(final, exclusions, at=JULY.end))
        adjustments = plan.adjust(locked, last, paid_in=JULY, at=JULY.end)
        floor = Decimal(-50) if clawback == "capped" else Decimal(0)
        for agent in AGENTS:
            mine = [a for a in adjustments if a.agent_id == agent]
            assert sum((a.amount for a in mine), Decimal(0)) >= floor
        settled = {key: locked.amount(*key) for key in amounts(last)}
        for a in adjustments:
            settled[(a.agent_id, a.rule)] += a.amount + a.waived
        assert settled == amounts(last)
        pool = sum(
            (x.amount for x in locked.lines if x.rule == "pool"), Decimal(0)
        ) + sum((a.amount for a in adjustments if a.rule == "pool"), Decimal(0))
        waived = sum((a.waived for a in adjustments if a.rule == "pool"), Decimal(0))
        assert pool + waived <= Decimal(1000)

    @settings(max_examples=40)
    @given(months())
    def test_exclusions_only_remove_ratings_and_lifting_restores(self, month):
        conversations, ratings, exclusions = month
        table = table_of(conversations, ratings)
        at = JULY.end
        excluded = exclude_ratings(table, exclusions, at=at)
        rating_columns = {"rating_scale", "rating_score", "rated_at", "rating_comment"}
        for name in table.column_names:
            if name not in rating_columns:
                kind = table[name].dtype.kind
                assert np.array_equal(
                    excluded[name], table[name], equal_nan=kind in "fmM"
                ), name
        kept = excluded["rating_scale"] >= 0
        assert (table["rating_scale"][kept] >= 0).all()
        assert int((~kept & (table["rating_scale"] >= 0)).sum()) == len(
            {e.conversation_id for e in exclusions}
        )
        lifted = [e.lift(at) for e in exclusions]
        restored = exclude_ratings(table, lifted, at=at)
        catalogue = sqm.standard_catalogue()
        assert measure(restored, catalogue, by="agent") == measure(
            table, catalogue, by="agent"
        )


def rated_month(scores_by_agent):
    """May conversations rated at once: ``{agent: [score, ...]}``."""
    conversations, ratings, i = [], [], 0
    for agent, scores in scores_by_agent.items():
        for score in scores:
            opened = MAY.start + timedelta(hours=i)
            conversations.append(conversation(i, agent, opened))
            ratings.append(rating(i, score, opened + timedelta(minutes=30)))
            i += 1
    return table_of(conversations, ratings)


class TestPayoutConfidence:
    def test_threshold_line_shows_the_posterior_mass_on_its_side(self):
        """17 of 20 satisfied, bar 0.8: P(p ≥ 0.8) under Beta(17.5, 3.5)."""
        from scipy.stats import beta

        table = rated_month({"a1": [5] * 17 + [1] * 3, "a2": [5] * 14 + [1] * 6})
        lines = {x.agent_id: x for x in pay(BAR_ONLY, table).lines}
        assert lines["a1"].confidence == pytest.approx(beta.sf(0.8, 17.5, 3.5))
        assert lines["a2"].confidence == pytest.approx(beta.cdf(0.8, 14.5, 6.5))
        assert f"P = {beta.sf(0.8, 17.5, 3.5):.2f}" in lines["a1"].explanation

    def test_a_middle_tier_takes_the_mass_between_its_bounds(self):
        """6 of 10 = 0.6 → mid: the Beta(6.5, 4.5) mass between 0.6 and 0.9."""
        from scipy.stats import beta

        rule = TieredBonus(
            name="rate tiers",
            tiers=TIERS_RATE,
            amounts={"high": "300", "mid": "100", "low": "0"},
        )
        table = rated_month({"a1": [5] * 6 + [1] * 4})
        (line,) = pay(plan_of(rule), table).lines
        assert line.amount == Decimal("100.00")
        assert line.confidence == pytest.approx(
            beta.cdf(0.9, 6.5, 4.5) - beta.cdf(0.6, 6.5, 4.5)
        )

    def test_lower_is_better_tiers(self):
        from scipy.stats import beta

        from servicequality.incentives._confidence import tier_probability

        policy = TierPolicy(
            metric="escalation_rate",
            tiers=(
                Tier(name="good", at_most=0.05),
                Tier(name="ok", at_most=0.10),
                Tier(name="bad"),
            ),
        )
        a, b = 6 + 0.5, 94 + 0.5
        assert tier_probability(policy, "good", 6, 100) == pytest.approx(
            beta.cdf(0.05, a, b)
        )
        assert tier_probability(policy, "ok", 6, 100) == pytest.approx(
            beta.cdf(0.10, a, b) - beta.cdf(0.05, a, b)
        )
        assert tier_probability(policy, "bad", 6, 100) == pytest.approx(
            beta.sf(0.10, a, b)
        )
        assert tier_probability(policy, "insufficient_data", 6, 100) is None

    def test_means_have_no_confidence(self):
        table = rated_month({"a1": [5, 4, 4]})
        tiers = TieredBonus(
            name="tiers", tiers=TIERS, amounts={"high": "1", "mid": "0", "low": "0"}
        )
        (line,) = pay(plan_of(tiers), table).lines
        assert line.confidence is None
        assert "P =" not in line.explanation

    @settings(max_examples=60)
    @given(st.integers(0, 60), st.integers(1, 60))
    def test_the_tiers_of_a_policy_share_all_the_mass(self, successes, extra):
        from servicequality.incentives._confidence import tier_probability

        trials = successes + extra
        total = sum(
            tier_probability(TIERS_RATE, name, successes, trials)
            for name in ("high", "mid", "low")
        )
        assert total == pytest.approx(1.0)


class TestOwnBars:
    def test_a_trainee_is_judged_by_their_own_bar(self):
        """14 of 20 = 0.70: below the shop's 0.8, above the trainee's 0.65."""
        table = rated_month({"a1": [5] * 14 + [1] * 6, "a2": [5] * 14 + [1] * 6})
        rule = ThresholdBonus(
            name="bar", bar=BAR, amount="200", agent_bars={"a2": 0.65}
        )
        lines = {x.agent_id: x for x in pay(plan_of(rule), table).lines}
        assert lines["a1"].amount == Decimal("0.00")
        assert lines["a2"].amount == Decimal("200.00")
        assert "a2's own bar: satisfaction_rate 0.700 ≥ 0.65 → reached" in (
            lines["a2"].explanation
        )

    def test_round_trip_and_bad_bars(self):
        rule = ThresholdBonus(
            name="bar", bar=BAR, amount="200", agent_bars={"a2": 0.65}
        )
        assert ThresholdBonus.from_dict(rule.to_dict()) == rule
        with fails(PolicyError, "agent_bars['a2']"):
            ThresholdBonus(name="bar", bar=BAR, amount="1", agent_bars={"a2": math.nan})
        with fails(PolicyError, "tiers"):
            pay(
                plan_of(
                    ThresholdBonus(
                        name="b", bar=BAR, amount="1", agent_bars={"a1": 1.5}
                    )
                ),
                rated_month({"a1": [5, 5]}),
            )


RAISED = datetime(2026, 6, 2, 9, tzinfo=UTC)
QUESTION = Dispute(
    id="D-1",
    agent_id="a2",
    rule="bar",
    period=MAY,
    raised_by="a2",
    raised_at=RAISED,
    what="c5's customer wrote a 1 by mistake; my bonus depends on it",
)


class TestDisputes:
    def test_the_statement_lists_open_disputes_with_their_rows(self):
        statement = pay(BAR_ONLY, as_of(HAND_TABLE, LOCK))
        decided = QUESTION.resolve(
            DisputeStatus.REJECTED, at=RAISED + timedelta(days=1), resolution="stands"
        )
        other_month = attrs.evolve(QUESTION, id="D-2", period=JUNE)
        (found,) = statement.open_disputes([QUESTION, decided, other_month])
        assert found.dispute == QUESTION
        assert (found.line.agent_id, found.line.rule) == ("a2", "bar")
        (rows,) = found.rows
        assert sorted(rows.ids) == ["c3", "c4", "c5"]

    def test_a_dispute_of_a_line_not_on_the_statement(self):
        statement = pay(BAR_ONLY, as_of(HAND_TABLE, LOCK))
        with fails(UnknownKeyError, "disputes", match="D-9"):
            statement.open_disputes([attrs.evolve(QUESTION, id="D-9", rule="pool")])

    def test_resolution_rules(self):
        upheld = QUESTION.resolve(
            DisputeStatus.UPHELD, at=RAISED + timedelta(days=3), resolution="appealed"
        )
        assert not upheld.is_open
        with fails(ValidationError, "status"):
            upheld.resolve(DisputeStatus.REJECTED, at=RAISED, resolution="no")
        with fails(ValidationError, "status"):
            QUESTION.resolve(DisputeStatus.OPEN, at=RAISED, resolution="no")
        with fails(ValidationError, "resolved_at"):
            QUESTION.resolve(
                DisputeStatus.UPHELD, at=RAISED - timedelta(days=1), resolution="x"
            )
        with fails(ValidationError, "resolution"):
            attrs.evolve(QUESTION, resolution="early")

    def test_json_round_trip(self):
        upheld = QUESTION.resolve(
            DisputeStatus.UPHELD, at=RAISED + timedelta(days=3), resolution="appealed"
        )
        for value in (QUESTION, upheld):
            assert Dispute.from_dict(json.loads(json.dumps(value.to_dict()))) == value
        with fails(ValidationError, "status"):
            Dispute.from_dict({**QUESTION.to_dict(), "status": "pending"})


class TestPlanSchedule:
    def schedule(self):
        later = attrs.evolve(BAR_ONLY, name="June")
        return PlanSchedule(
            versions=(
                PlanVersion(effective_from=MAY.start, plan=BAR_ONLY),
                PlanVersion(
                    effective_from=datetime(2026, 5, 20, tzinfo=UTC), plan=later
                ),
            )
        )

    def test_the_plan_in_force_at_the_period_start(self):
        schedule = self.schedule()
        assert schedule.in_force(MAY).name == "May"
        assert schedule.in_force(JUNE).name == "June"
        assert (
            schedule.apply(
                classify(
                    measure(HAND_TABLE, ["satisfaction_rate"], by=["agent", MONTH]),
                    BAR_ONLY.tier_policies,
                ),
                JUNE,
            ).plan
            == "June"
        )

    def test_refused(self):
        with fails(UnknownKeyError, "period"):
            self.schedule().in_force(MONTH.period_of(datetime(2026, 4, 1, tzinfo=UTC)))
        first, second = self.schedule().versions
        with fails(PolicyError, "versions"):
            PlanSchedule(versions=(second, first))
        with fails(PolicyError, "versions"):
            PlanSchedule(versions=())
        usd = PlanVersion(
            effective_from=JUNE.start,
            plan=IncentivePlan(name="usd", currency="USD", rules=BAR_ONLY.rules),
        )
        with fails(PolicyError, "versions"):
            PlanSchedule(versions=(first, usd))

    def test_round_trip(self):
        schedule = self.schedule()
        assert PlanSchedule.from_dict(json.loads(json.dumps(schedule.to_dict()))) == (
            schedule
        )


class TestBacktest:
    def test_cost_per_period_and_flips(self):
        """a1 is paid in May, not in June, paid in July: 2 flips in 2 chances."""
        conversations, ratings, i = [], [], 0
        plan = {"May": [5, 5], "June": [1, 1], "July": [5, 4]}
        for month_start, scores in zip(
            (MAY.start, JUNE.start, JULY.start), plan.values(), strict=True
        ):
            for score in scores:
                opened = month_start + timedelta(days=1, hours=i)
                conversations.append(conversation(i, "a1", opened))
                ratings.append(rating(i, score, opened + timedelta(minutes=5)))
                conversations.append(conversation(i + 100, "a2", opened))
                ratings.append(rating(i + 100, 5, opened + timedelta(minutes=5)))
                i += 1
        table = table_of(conversations, ratings)
        assessment = classify(
            measure(table, ["satisfaction_rate"], by=["agent", MONTH]),
            BAR_ONLY.tier_policies,
        )
        result = backtest(BAR_ONLY, assessment)
        assert result.periods == (MAY, JUNE, JULY)
        assert result.costs == (Decimal(400), Decimal(200), Decimal(400))
        assert result.total_cost == Decimal(1000)
        rows = {a.agent_id: a for a in result.agents}
        assert (rows["a1"].flips, rows["a1"].chances) == (2, 2)
        assert (rows["a2"].flips, rows["a2"].flip_rate) == (0, 0.0)
        assert rows["a1"].total == Decimal(400)

    def test_a_schedule_pays_each_period_by_its_plan(self):
        june_plan = attrs.evolve(BAR_ONLY, name="June")
        schedule = PlanSchedule(
            versions=(
                PlanVersion(effective_from=MAY.start, plan=BAR_ONLY),
                PlanVersion(effective_from=JUNE.start, plan=june_plan),
            )
        )
        assessment = classify(
            measure(HAND_TABLE, ["satisfaction_rate"], by=["agent", MONTH]),
            BAR_ONLY.tier_policies,
        )
        assert backtest(schedule, assessment).plan == ("May", "June")

    def test_needs_periods(self):
        assessment = classify(
            measure(HAND_TABLE, ["satisfaction_rate"], by="agent"),
            BAR_ONLY.tier_policies,
        )
        with fails(PolicyError, "assessment"):
            backtest(BAR_ONLY, assessment)
        with fails(WrongTypeError, "plan"):
            backtest("plan", assessment)


class TestDataQualityExclusions:
    def test_exclusions_per_agent_and_the_gaming_signal(self):
        """a1 has 12 of 20 ratings excluded, a2 none of 20: a finding for a1."""
        table = rated_month({"a1": [1] * 12 + [5] * 8, "a2": [1] * 12 + [5] * 8})
        appeals = [attrs.evolve(APPEAL, conversation_id=f"c{i}") for i in range(12)]
        report = data_quality(table, exclusions=appeals)
        assert report.exclusions == {"a1": 12}
        (finding,) = [f for f in report.findings if f.kind == "exclusion_rate"]
        assert (finding.agent_id, finding.value, finding.n) == ("a1", 12 / 20, 20)
        assert "excluded ratings of a1: 12" in str(report)

    def test_without_exclusions_nothing_changes(self):
        table = rated_month({"a1": [5, 4], "a2": [1, 5]})
        assert data_quality(table).exclusions == {}


class TestPartialPeriods:
    def roster(self):
        """a2 joined on May 22 (10 of 31 days employed); a1 all month."""
        return [
            Agent(id="a1", role=Role.AGENT),
            Agent(
                id="a2",
                role=Role.AGENT,
                employed_from=datetime(2026, 5, 22, tzinfo=UTC),
            ),
        ]

    def table(self):
        return rated_month({"a1": [5, 5, 5], "a2": [5, 5, 5]})

    def test_pro_rata_by_days(self):
        """300 × 10/31 = 96.774… → CNY 96.77; a1 in full."""
        plan = plan_of(
            ThresholdBonus(name="bar", bar=BAR, amount="300"), partial="days"
        )
        measured = measure(self.table(), ["satisfaction_rate"], by=["agent", MONTH])
        statement = plan.apply(
            classify(measured, plan.tier_policies), MAY, roster=self.roster()
        )
        assert statement.totals == {"a1": Decimal("300.00"), "a2": Decimal("96.77")}
        assert "employed 10 of 31 days → 32.26% pro rata" in (
            statement.lines_of("a2")[0].explanation
        )

    @pytest.mark.parametrize(("days", "paid"), [(10, "300.00"), (11, "0.00")])
    def test_minimum_days(self, days, paid):
        plan = plan_of(
            ThresholdBonus(name="bar", bar=BAR, amount="300"),
            partial="minimum_days",
            minimum_days=days,
        )
        measured = measure(self.table(), ["satisfaction_rate"], by=["agent", MONTH])
        statement = plan.apply(
            classify(measured, plan.tier_policies), MAY, roster=self.roster()
        )
        assert statement.total("a2") == Decimal(paid)

    def test_a_pool_keeps_what_a_partial_share_loses(self):
        """Equal weights: 500 each; a2 gets 500 × 10/31 = 161.29, 338.71 kept."""
        plan = plan_of(
            PoolShare(name="pool", pool="1000", weight="weighted_workload"),
            partial="days",
        )
        measured = measure(self.table(), ["weighted_workload"], by=["agent", MONTH])
        statement = plan.apply(classify(measured, []), MAY, roster=self.roster())
        assert statement.total("a2") == Decimal("161.29")
        (kept,) = statement.unallocated
        assert kept.amount == Decimal("338.71")
        assert statement.total_paid + statement.total_unallocated == Decimal(1000)

    def test_default_and_bad_options(self):
        plan = plan_of(ThresholdBonus(name="bar", bar=BAR, amount="300"))
        measured = measure(self.table(), ["satisfaction_rate"], by=["agent", MONTH])
        statement = plan.apply(
            classify(measured, plan.tier_policies), MAY, roster=self.roster()
        )
        assert statement.total("a2") == Decimal("300.00")
        with fails(PolicyError, "partial"):
            plan_of(PerPoint(name="p", rate="1"), partial="weeks")
        with fails(PolicyError, "minimum_days"):
            plan_of(PerPoint(name="p", rate="1"), partial="minimum_days")
        with fails(PolicyError, "minimum_days"):
            plan_of(
                PerPoint(name="p", rate="1"), partial="minimum_days", minimum_days=0
            )
        with fails(ValidationError, "employed_until"):
            Agent(
                id="a",
                role=Role.AGENT,
                employed_from=MAY.end,
                employed_until=MAY.start,
            )
        days = plan_of(
            PerPoint(name="p", rate="1"), partial="minimum_days", minimum_days=5
        )
        assert IncentivePlan.from_dict(days.to_dict()) == days


class TestAsOfWithLaterFacts:
    def test_messages_and_instants_after_the_moment_are_not_yet_known(self):
        """as_of keeps only messages of kept rows sent by then, and no later times."""
        from servicequality.demo import example_shop
        from servicequality.metrics import reply_time

        shop = example_shop(2_000, messages=True)
        opened = np.sort(shop["opened_at"])
        moment = opened[len(opened) // 2].astype(datetime).replace(tzinfo=UTC)
        known = shop.as_of(moment)
        cut = np.datetime64(moment.replace(tzinfo=None), "us")
        assert known.messages is not None
        assert (known.messages["sent_at"] <= cut).all()
        kept = set(known.vocabulary("conversation_id")[known["conversation_id"]])
        talked = set(
            known.messages.vocabulary("conversation_id")[
                known.messages["conversation_id"]
            ]
        )
        assert talked <= kept
        for name in ("closed_at", "first_response_at", "handed_over_at", "invited_at"):
            column = known[name]
            assert not (column[~np.isnat(column)] > cut).any(), name
        same = known.filter(np.ones(len(known), dtype=bool))
        assert measure(known, [reply_time()], by="agent") == measure(
            same, [reply_time()], by="agent"
        )


class TestReviewsInTime:
    def test_a_review_recorded_after_the_moment_is_not_yet_known(self):
        """as_of removes reviews with a later reviewed_at; undated ones stay."""
        from servicequality import QualityReview
        from servicequality.metrics import reply_accuracy

        opened = datetime(2026, 5, 4, 9, tzinfo=UTC)
        conversations = [conversation(i, "a1", opened) for i in range(3)]
        reviews = [
            QualityReview(
                conversation_id=f"c{i}",
                reviewer_id="qa",
                accurate=accurate,
                script_compliant=True,
                empathy=3,
                reviewed_at=None if days is None else opened + timedelta(days=days),
            )
            for i, (accurate, days) in enumerate(
                [(True, 1), (False, 20), (False, None)]
            )
        ]
        table = ConversationTable.from_records(conversations, reviews=reviews)
        assert table.to_records().reviews == tuple(reviews)
        known = table.as_of(opened + timedelta(days=2))
        assert known["reviewer_id"].tolist()[1] == -1
        assert np.isnat(known["reviewed_at"][1])
        assert known.to_records().reviews == (reviews[0], reviews[2])
        accuracy = measure(known, [reply_accuracy()]).get("reply_accuracy")
        assert (accuracy.numerator, accuracy.denominator) == (1, 2)
        later = table.as_of(opened + timedelta(days=30))
        assert later.to_records().reviews == tuple(reviews)

    def test_a_review_instant_without_a_review_is_a_reject(self):
        """reviewed_at on a row nobody reviewed is refused, naming the row."""
        opened = np.array(["2026-05-04T09:00"] * 2, dtype="datetime64[us]")
        table = ConversationTable.from_arrays(
            conversation_id=np.array([0, 1]),
            conversation_ids=["c0", "c1"],
            agent_id=np.array([0, 0]),
            agent_ids=["a1"],
            opened_at=opened,
            resolved=np.array([True, True]),
            reviewed_at=np.array(["2026-05-05T09:00", "NaT"], dtype="datetime64[us]"),
            errors="collect",
        )
        assert [(r.index, r.field) for r in table.rejects] == [(0, "reviewed_at")]


def test_plan_options_of_the_wrong_type_are_named():
    """An array or number for clawback or partial is a WrongTypeError (fuzz find)."""
    from servicequality import WrongTypeError

    rule = ThresholdBonus(name="bar", bar=BAR, amount="200")
    for field, value in (("clawback", np.array([1, 2])), ("partial", 3)):
        with pytest.raises(WrongTypeError) as caught:
            IncentivePlan(name="p", rules=(rule,), currency="CNY", **{field: value})
        assert caught.value.field == field

"""Ranking and recognition never decide on fewer observations than the minimum."""

from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    Measurements,
    PolicyError,
    Quarterly,
    Rating,
    RatingScale,
    Role,
    ValidationError,
    Weekly,
    WrongTypeError,
)
from servicequality import metrics as sqm
from servicequality.incentives import (
    MIN_SAMPLE,
    ConsecutivePeriods,
    NotRecognised,
    TopShare,
    best_cases,
    best_cases_excluded,
)
from servicequality.policy import (
    Dimension,
    Scorecard,
    ScorecardComponent,
    classify,
    presets,
)

QUARTERS = Quarterly(tz=UTC)
Q1 = QUARTERS.period_of(datetime(2026, 1, 1, tzinfo=UTC))


def assessed(counts, *, quarters=1, policies=None, scorecard=None):
    """Agent × quarter assessment from ``{agent: (satisfied, rated)}`` per quarter."""
    metric = sqm.satisfaction_rate()
    keys, rows = [], []
    for agent, per_quarter in counts.items():
        for q in range(quarters):
            state = per_quarter[q] if isinstance(per_quarter, list) else per_quarter
            if state is None:
                continue
            start = datetime(2026, 1 + 3 * q, 1, tzinfo=UTC)
            keys.append((agent, QUARTERS.period_of(start)))
            rows.append(state)
    measured = Measurements(
        key_names=("agent", "period"),
        keys=keys,
        metrics=[metric],
        states={metric.name: np.array(rows, dtype=float)},
        agent_roles=dict.fromkeys(counts, Role.AGENT),
    )
    chosen = [presets.SATISFACTION] if policies is None else policies
    return classify(measured, chosen, scorecard=scorecard)


class TestTopShare:
    def test_one_rating_is_not_ranked_and_says_why(self):
        """The issue's case: a perfect score on n = 1 took a training place."""
        counts = {"lucky": (1, 1), "steady": (90, 100), "fair": (80, 100)}
        top = TopShare(title="training", by="satisfaction_rate", calendar=QUARTERS)
        assessment = assessed(counts)
        assert [r.agent_id for r in top.recognise(assessment)] == ["steady"]
        assert top.excluded(assessment) == (
            NotRecognised(
                agent_id="lucky",
                title="training",
                period=Q1,
                reason="satisfaction_rate rests on n = 1 < 30 observations",
            ),
        )

    def test_the_default_is_thirty(self):
        assert TopShare(title="t", calendar=QUARTERS).min_sample == MIN_SAMPLE == 30
        counts = {"a": (29, 29), "b": (20, 30)}
        top = TopShare(title="t", by="satisfaction_rate", calendar=QUARTERS)
        assert [r.agent_id for r in top.recognise(assessed(counts))] == ["b"]

    def test_a_lower_minimum_must_be_asked_for(self):
        """``min_sample=1`` ranks on one rating, but the tier policy still rules."""
        counts = {"lucky": (1, 1), "steady": (90, 100)}
        lax_policy = attrs.evolve(presets.SATISFACTION, min_sample=1)
        top = TopShare(
            title="t", by="satisfaction_rate", calendar=QUARTERS, min_sample=1
        )
        assert [r.agent_id for r in top.recognise(assessed(counts))] == ["steady"]
        both_lax = assessed(counts, policies=[lax_policy])
        assert [r.agent_id for r in top.recognise(both_lax)] == ["lucky"]

    def test_the_tier_policys_larger_minimum_wins(self):
        strict = attrs.evolve(presets.SATISFACTION, min_sample=50)
        counts = {"a": (40, 40), "b": (45, 60)}
        top = TopShare(title="t", by="satisfaction_rate", calendar=QUARTERS)
        assessment = assessed(counts, policies=[strict])
        assert [r.agent_id for r in top.recognise(assessment)] == ["b"]
        (excluded,) = top.excluded(assessment)
        assert excluded.reason == "satisfaction_rate rests on n = 40 < 50 observations"

    def test_composite_score_needs_every_component(self):
        card = Scorecard(
            name="two",
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
        counts = {"few": (3, 3), "many": (50, 100)}
        top = TopShare(title="t", share=1.0, calendar=QUARTERS)
        assessment = assessed(counts, scorecard=card)
        assert [r.agent_id for r in top.recognise(assessment)] == ["many"]
        assert [n.agent_id for n in top.excluded(assessment)] == ["few"]

    def test_evidence_names_the_observations(self):
        top = TopShare(title="t", by="satisfaction_rate", calendar=QUARTERS)
        (earned,) = top.recognise(assessed({"a": (90, 100)}))
        assert "n = 100" in earned.evidence[0]
        assert "at least 30 observations" in earned.evidence[1]

    @pytest.mark.parametrize(
        ("value", "error"),
        [(0, PolicyError), (-3, PolicyError), (1.5, WrongTypeError), (True, TypeError)],
    )
    def test_bad_minimums(self, value, error):
        with pytest.raises(error):
            TopShare(title="t", calendar=QUARTERS, min_sample=value)

    @given(
        counts=st.dictionaries(
            st.sampled_from([f"a{i}" for i in range(12)]),
            st.integers(1, 80).flatmap(
                lambda n: st.tuples(st.integers(0, n), st.just(n))
            ),
            min_size=1,
        ),
        share=st.sampled_from([0.1, 0.25, 0.5, 1.0]),
        minimum=st.integers(1, 60),
    )
    def test_every_agent_is_ranked_or_excluded_never_both(self, counts, share, minimum):
        """Recognised agents rest on enough ratings; the rest are excluded."""
        lax = attrs.evolve(presets.SATISFACTION, min_sample=1)
        top = TopShare(
            title="t",
            by="satisfaction_rate",
            share=share,
            calendar=QUARTERS,
            min_sample=minimum,
        )
        assessment = assessed(counts, policies=[lax])
        earned = {r.agent_id for r in top.recognise(assessment)}
        excluded = {n.agent_id for n in top.excluded(assessment)}
        assert not earned & excluded
        assert excluded == {a for a, (_, n) in counts.items() if n < minimum}
        assert all(counts[a][1] >= minimum for a in earned)
        if len(excluded) < len(counts):
            assert earned


class TestConsecutivePeriods:
    def test_insufficient_data_can_never_qualify(self):
        with pytest.raises(PolicyError, match="cannot qualify"):
            ConsecutivePeriods(
                title="x",
                qualifies={"satisfaction_rate": ("excellent", "insufficient_data")},
                calendar=QUARTERS,
            )

    def test_a_thin_quarter_breaks_the_run_and_is_reported(self):
        counts = {
            "thin": [(95, 100), (3, 3), (95, 100)],
            "full": [(95, 100), (95, 100), (95, 100)],
        }
        rule = ConsecutivePeriods(
            title="senior agent",
            qualifies={"satisfaction_rate": "excellent"},
            calendar=QUARTERS,
        )
        assessment = assessed(counts, quarters=3)
        assert [r.agent_id for r in rule.recognise(assessment)] == ["full"]
        (thin,) = rule.excluded(assessment)
        assert (thin.agent_id, thin.period.start.month) == ("thin", 4)
        assert "n = 3 < 30" in thin.reason


T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


def table_of(rated_by_agent):
    """A week of resolved crisis conversations, all rated satisfied."""
    conversations, ratings = [], []
    for agent, count in rated_by_agent.items():
        for i in range(count):
            cid = f"{agent}-{i}"
            conversations.append(
                Conversation(
                    id=cid,
                    agent_id=agent,
                    customer_id=f"u-{cid}",
                    opened_at=T0 + timedelta(minutes=i),
                    channel=Channel.CHAT,
                    difficulty=Difficulty.CRISIS,
                    resolved=True,
                    escalated=False,
                    rating_invited=True,
                )
            )
            ratings.append(
                Rating(conversation_id=cid, score=3, scale=RatingScale.THREE_LEVEL)
            )
    agents = [Agent(id=a, role=Role.AGENT) for a in rated_by_agent]
    return ConversationTable.from_records(conversations, ratings=ratings, agents=agents)


class TestBestCases:
    def test_an_agent_below_the_minimum_is_not_picked_and_is_reported(self):
        """'a' opened first (the earliest wins ties) but has only 2 ratings."""
        table = table_of({"a": 2, "b": 30})
        (case,) = best_cases(table, calendar=Weekly(tz=UTC))
        assert case.agent_id == "b"
        (excluded,) = best_cases_excluded(table, calendar=Weekly(tz=UTC))
        assert (excluded.agent_id, excluded.title) == ("a", "best case")
        assert excluded.reason.startswith("2 rated conversation(s) in ")
        assert excluded.reason.endswith("< min_sample 30")

    def test_a_lower_minimum_lets_small_samples_in(self):
        table = table_of({"a": 2, "b": 30})
        (case,) = best_cases(table, calendar=Weekly(tz=UTC), min_sample=2)
        assert case.agent_id == "a"
        assert best_cases_excluded(table, calendar=Weekly(tz=UTC), min_sample=2) == ()

    def test_nobody_with_enough_ratings_gives_no_case(self):
        table = table_of({"a": 2})
        assert best_cases(table, calendar=Weekly(tz=UTC)) == ()

    @pytest.mark.parametrize(
        ("value", "error"), [(0, ValidationError), ("30", TypeError)]
    )
    def test_bad_minimums(self, value, error):
        table = table_of({"a": 1})
        with pytest.raises(error):
            best_cases(table, calendar=Weekly(tz=UTC), min_sample=value)
        with pytest.raises(error):
            best_cases_excluded(table, calendar=Weekly(tz=UTC), min_sample=value)

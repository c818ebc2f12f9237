"""Case-mix adjustment: expected counts from the team's cell rates, and the ratio."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    Agent,
    ConversationTable,
    RatingScale,
    Role,
    UnknownKeyError,
    ValidationError,
    measure,
)
from servicequality.policy import (
    CaseMixRatio,
    Dimension,
    Scorecard,
    ScorecardComponent,
    Tier,
    TierPolicy,
    case_mix_ratio,
    classify,
)
from servicequality.stats import wilson_interval
from tests.test_review import generated_weeks

AGENTS = ["a0", "a1", "a2", "a3"]


def cells_table(difficulty, channel, agent, satisfied, topic=None):
    """Rated conversations with the given cells, agents and outcomes."""
    n = len(agent)
    return ConversationTable.from_arrays(
        conversation_id=np.arange(n),
        conversation_ids=[f"c{i}" for i in range(n)],
        agent_id=np.asarray(agent),
        agent_ids=AGENTS,
        customer_id=np.arange(n),
        customer_ids=[f"u{i}" for i in range(n)],
        opened_at=np.datetime64("2026-05-04T00:00", "us")
        + np.arange(n).astype("timedelta64[m]"),
        channel=np.asarray(channel, dtype=np.int8),
        topic=np.zeros(n, dtype=np.int64) if topic is None else np.asarray(topic),
        topics=["color", "returns"],
        difficulty=np.asarray(difficulty, dtype=np.int8),
        resolved=np.ones(n, dtype=bool),
        escalated=np.zeros(n, dtype=bool),
        rating_invited=np.ones(n, dtype=bool),
        rating_scale=np.zeros(n, dtype=np.int8),
        rating_scales=(RatingScale.THREE_LEVEL,),
        rating_score=np.where(np.asarray(satisfied), 3, 1).astype(np.int8),
        agents=[Agent(id=a, role=Role.AGENT) for a in AGENTS],
    )


def pandas_expected(table):
    """Per agent: observed satisfied and expected satisfied, by pandas alone."""
    frame = table.to_pandas()
    frame = frame[frame["rating_score"].notna()].copy()
    frame["satisfied"] = frame["rating_score"] >= 3
    keys = ["difficulty", "topic", "channel"]
    frame["topic"] = frame["topic"].fillna("—")
    rate = frame.groupby(keys, observed=True)["satisfied"].transform("mean")
    frame["expected"] = rate
    return frame.groupby("agent_id")[["satisfied", "expected"]].sum()


class TestExpected:
    def test_matches_pandas(self):
        """Observed and expected per agent equal a pandas groupby-transform."""
        table = generated_weeks(11, n=4_000, basic={"a0": 0.9, "a1": 0.1})
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        measured = measure(table, [ratio], by="agent")
        oracle = pandas_expected(table)
        for (agent,), observed, expected in zip(
            measured.keys,
            measured.column(ratio.name, "numerator"),
            measured.column(ratio.name, "denominator"),
            strict=True,
        ):
            assert oracle.loc[agent, "satisfied"] == observed
            assert oracle.loc[agent, "expected"] == pytest.approx(expected)

    def test_cells_and_description(self):
        """The cells used are named, in the order asked."""
        ratio = case_mix_ratio(
            "first_contact_resolution", team=generated_weeks(1, n=300)
        )
        assert ratio.cells == ("difficulty", "topic", "channel")
        assert ratio.left_out == ()
        assert "difficulty × topic × channel" in ratio.description
        assert ratio.unit == "ratio"
        assert ratio.needs_history

    def test_absent_column_is_left_out_and_named(self):
        """A table loaded without a topic column is adjusted over the others."""
        full = generated_weeks(12, n=1_000)
        frame = full.to_pandas().drop(columns=["topic"])
        table = ConversationTable.from_pandas(frame, rating_scale=full.rating_scales[0])
        assert "topic" in table.absent_columns
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        assert ratio.cells == ("difficulty", "channel")
        assert ratio.left_out == ("topic",)
        assert "not adjusted for topic" in ratio.description
        by_two = case_mix_ratio(
            "satisfaction_rate", team=table, cells=["difficulty", "channel"], name="two"
        )
        measured = measure(table, [ratio, by_two], by="agent")
        np.testing.assert_allclose(
            measured.column(ratio.name, "denominator"),
            measured.column(by_two.name, "denominator"),
        )

    def test_fewer_cells(self):
        """Cells over difficulty only: expected uses difficulty rates alone."""
        table = cells_table(
            difficulty=[0, 0, 3, 3, 0, 3],
            channel=[0, 1, 0, 1, 0, 1],
            agent=[0, 0, 0, 1, 1, 1],
            satisfied=[1, 1, 0, 1, 0, 0],
        )
        ratio = case_mix_ratio("satisfaction_rate", team=table, cells=["difficulty"])
        measured = measure(table, [ratio], by="agent")
        basic, crisis = 2 / 3, 1 / 3
        expected = measured.column(ratio.name, "denominator")
        np.testing.assert_allclose(expected, [2 * basic + crisis, basic + 2 * crisis])
        np.testing.assert_allclose(
            measured.column(ratio.name), [2 / expected[0], 1 / expected[1]]
        )


class TestRatio:
    def test_team_mix_and_rates_give_one(self):
        """Agents with the team's mix and the team's rates in each cell score 1."""
        difficulty = [0, 0, 0, 3, 3] * 2
        satisfied = [1, 1, 0, 1, 0] * 2
        agent = [0] * 5 + [1] * 5
        table = cells_table(difficulty, [0] * 10, agent, satisfied)
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        values = measure(table, [ratio], by="agent").column(ratio.name)
        np.testing.assert_allclose(values, [1.0, 1.0])

    def test_hard_work_is_not_punished(self):
        """Same skill on harder work: raw rates differ, ratios agree."""
        difficulty = [0] * 10 + [3] * 10 + [0] * 2 + [3] * 18
        satisfied = [1] * 9 + [0] + [1] * 5 + [0] * 5 + [1, 1] + [1] * 9 + [0] * 9
        agent = [0] * 20 + [1] * 20
        table = cells_table(difficulty, [0] * 40, agent, satisfied)
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        measured = measure(table, ["satisfaction_rate", ratio], by="agent")
        raw = measured.column("satisfaction_rate")
        assert raw[0] > raw[1]
        adjusted = measured.column(ratio.name)
        assert abs(adjusted[0] - adjusted[1]) < abs(raw[0] - raw[1]) / raw.mean()

    def test_one_rate_interval_is_wilson_over_the_rate(self):
        """With a single cell, the bounds are Wilson's divided by the team rate."""
        satisfied = [1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1]
        agent = [0] * 6 + [1] * 6
        table = cells_table([0] * 12, [0] * 12, agent, satisfied)
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        measured = measure(table, [ratio], by="agent")
        team = 9 / 12
        low, high = wilson_interval([4, 5], [6, 6])
        np.testing.assert_allclose(measured.column(ratio.name, "low"), low / team)
        np.testing.assert_allclose(measured.column(ratio.name, "high"), high / team)

    def test_interval_coverage_by_simulation(self):
        """The 95 % interval holds the true ratio in 93–97 % of simulated agents."""
        rng = np.random.default_rng(7)
        team_rates = np.array([0.9, 0.75, 0.5, 0.3])
        truth = 1.1
        covered = 0
        runs = 2_000
        base = case_mix_ratio("satisfaction_rate", team=generated_weeks(1, n=50)).base
        ratio = CaseMixRatio(name="x", base=base, cells=(), reference=())
        for _ in range(runs):
            n = rng.integers(20, 200)
            cell = rng.integers(0, 4, n)
            e = team_rates[cell]
            observed = float((rng.random(n) < np.minimum(truth * e, 1)).sum())
            expected, squares = e.sum(), (e * e).sum()
            values = ratio.finalize(np.array([[observed, expected, squares, n]]))
            covered += values.low[0] <= truth <= values.high[0]
        assert 0.93 <= covered / runs <= 0.97

    def test_tiers_on_the_ratio(self):
        """A TierPolicy on the ratio classifies agents like any metric."""
        table = generated_weeks(11, n=4_000)
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        policy = TierPolicy(
            metric=ratio.name,
            tiers=[
                Tier(name="above", at_least=1.05),
                Tier(name="expected", at_least=0.95),
                Tier(name="below"),
            ],
        )
        measured = measure(table, [ratio], by="agent")
        assessment = classify(measured, [policy])
        for (agent,), value in zip(
            measured.keys, measured.column(ratio.name), strict=True
        ):
            tier = assessment.tier(ratio.name, agent=agent)
            expected = (
                "above" if value >= 1.05 else "expected" if value >= 0.95 else "below"
            )
            assert expected == tier


class TestScorecard:
    def test_ratio_as_a_scorecard_component(self):
        """The ratio scores like any metric: 100 · (value - worst) / (best - worst)."""
        table = generated_weeks(11, n=4_000)
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        component = ScorecardComponent(
            metric=ratio.name,
            weight=1.0,
            dimension=Dimension.SATISFACTION,
            worst=0.8,
            best=1.2,
        )
        card = Scorecard(name="adjusted", components=[component])
        measured = measure(table, [ratio], by="agent")
        scores = [line.composite for line in card.score(measured)]
        values = measured.column(ratio.name)
        expected = 100 * np.clip((values - 0.8) / 0.4, 0, 1)
        np.testing.assert_allclose(scores, expected)


class TestProperties:
    @settings(max_examples=40)
    @given(
        st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(0, 3),
                st.integers(0, 3),
                st.booleans(),
                st.integers(0, 1),
            ),
            min_size=1,
            max_size=60,
        )
    )
    def test_expected_sums_to_team_observed(self, rows):
        """Over every agent, expected counts add up to the team's observed count."""
        columns = map(list, zip(*rows, strict=True))
        difficulty, channel, agent, satisfied, topic = columns
        table = cells_table(difficulty, channel, agent, satisfied, topic)
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        measured = measure(table, [ratio], by="agent")
        assert measured.column(ratio.name, "denominator").sum() == pytest.approx(
            sum(satisfied)
        )
        assert measured.column(ratio.name, "numerator").sum() == sum(satisfied)

    @settings(max_examples=40)
    @given(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans()),
            min_size=1,
            max_size=30,
        )
    )
    def test_team_mix_and_rates_give_one(self, work):
        """Two agents with the same conversations and outcomes both score 1."""
        difficulty, channel, satisfied = map(list, zip(*work, strict=True))
        table = cells_table(
            difficulty * 2,
            channel * 2,
            [0] * len(work) + [1] * len(work),
            satisfied * 2,
        )
        ratio = case_mix_ratio("satisfaction_rate", team=table)
        values = measure(table, [ratio], by="agent").column(ratio.name)
        expected = [1.0, 1.0] if any(satisfied) else [np.nan, np.nan]
        np.testing.assert_allclose(values, expected)


class TestRefusals:
    def test_cell_unknown_to_the_team(self):
        """A cell the team never handled has no rate: refused by name."""
        team = cells_table([0, 0], [0, 0], [0, 1], [1, 0])
        other = cells_table([3], [0], [0], [1])
        ratio = case_mix_ratio("satisfaction_rate", team=team)
        with pytest.raises(UnknownKeyError, match="no team rate"):
            measure(other, [ratio], by="agent")

    def test_not_a_share(self):
        """Means cannot be adjusted this way."""
        with pytest.raises(ValidationError, match="must be a share"):
            case_mix_ratio("mean_rating", team=generated_weeks(1, n=50))

    @pytest.mark.parametrize("cells", [["opened_at"], ["customer_id"], ["x"], [3]])
    def test_not_a_category(self, cells):
        """Cells must be category columns."""
        with pytest.raises(ValidationError, match="category column"):
            case_mix_ratio(
                "satisfaction_rate", team=generated_weeks(1, n=50), cells=cells
            )

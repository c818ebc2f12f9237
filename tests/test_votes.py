"""Vote distributions, Welch's test, and the weekly review of any metric."""

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from servicequality import ConversationTable, RatingScale, ValidationError, Weekly
from servicequality.demo import example_shop
from servicequality.metrics import first_response_time
from servicequality.review import vote_distribution, weekly_review
from servicequality.review._votes import _labels
from servicequality.stats import welch_test
from tests.test_review import WEEK, generated_weeks
from tests.test_stats_adjust_casemix import cells_table

SHOP = example_shop()


def _humans_frame(table):
    """Rated conversations counting for humans, as a pandas frame."""
    frame = table.to_pandas()
    names = [s.name for s in table.rating_scales]
    frame["rating_scale"] = [
        names[c] if c >= 0 else None for c in table["rating_scale"]
    ]
    roles = {a.id: a.role.value for a in table.agents}
    handler = frame["transferred_to"].where(
        frame["transferred_to"].notna(), frame["agent_id"]
    )
    frame["handler"] = handler
    return frame[(handler.map(roles) != "bot") & frame["rating_score"].notna()]


class TestVoteDistribution:
    def test_counts_match_pandas(self):
        """Counts per agent and score equal a pandas crosstab of the rated rows."""
        votes = vote_distribution(SHOP, by="agent")
        frame = _humans_frame(SHOP)
        frame = frame[frame["rating_scale"] == "three_level"]
        expected = (
            frame.groupby(["handler", "rating_score"]).size().unstack(fill_value=0)
        )
        for row, (agent,) in enumerate(votes.keys):
            for level, score in enumerate(votes.scores):
                got = votes.counts[row, level]
                assert expected.get(score, {}).get(agent, 0) == got

    def test_levels_take_the_scales_first_label(self):
        """The three-level scale's levels read 不满意, 一般, 满意, lowest first."""
        votes = vote_distribution(SHOP)
        assert votes.labels == ("不满意", "一般", "满意")
        assert votes.scores == (1, 2, 3)

    def test_labels_fall_back_to_scores(self):
        """A scale without labels is labelled by its scores, lowest first."""
        bare = RatingScale(
            name="bare", low=1, high=3, satisfied_from=3, dissatisfied_to=1
        )
        assert _labels(bare) == ("1", "2", "3")

    def test_shares_sum_to_one_per_group_with_ratings(self):
        """Each group's shares add to 1."""
        votes = vote_distribution(SHOP, by="agent")
        rated = votes.totals > 0
        np.testing.assert_allclose(votes.shares[rated].sum(axis=1), 1.0)

    def test_other_scale_counts_nothing(self):
        """Ratings on another scale are not counted."""
        votes = vote_distribution(SHOP, scale=RatingScale.FIVE_STAR)
        five_star = _humans_frame(SHOP)
        five_star = five_star[five_star["rating_scale"] == "five_star"]
        assert len(five_star) == int(votes.totals.sum())

    def test_addition_equals_measuring_both(self):
        """Votes of two halves added equal the votes of the whole."""
        half = np.arange(len(SHOP)) % 2 == 0
        whole = vote_distribution(SHOP, by="agent")
        added = vote_distribution(SHOP.filter(half), by="agent") + vote_distribution(
            SHOP.filter(~half), by="agent"
        )
        assert whole.keys == added.keys
        np.testing.assert_array_equal(whole.counts, added.counts)

    def test_records_and_frame_agree(self):
        """One record per group and level; the frame holds the same counts."""
        votes = vote_distribution(SHOP, by="channel")
        records = votes.to_records()
        assert len(records) == 3 * len(votes.keys)
        frame = votes.to_pandas()
        assert frame["count"].tolist() == [r["count"] for r in records]
        assert "<table" in votes._repr_html_()

    def test_too_wide_scale_is_refused(self):
        """A scale of millions of levels is refused, not counted level by level."""
        wide = RatingScale(
            name="wide", low=0, high=10**6, satisfied_from=9, dissatisfied_to=1
        )
        with pytest.raises(ValidationError, match="levels"):
            vote_distribution(SHOP, scale=wide)


@st.composite
def two_samples(draw):
    """Two samples of scores, each with at least two values."""
    values = st.integers(min_value=1, max_value=5)
    a = draw(st.lists(values, min_size=2, max_size=40))
    b = draw(st.lists(values, min_size=2, max_size=40))
    return np.array(a, float), np.array(b, float)


def _sums(x):
    return len(x), x.sum(), (x * x).sum()


class TestWelch:
    @settings(max_examples=60)
    @given(two_samples(), st.sampled_from(["less", "greater", "two-sided"]))
    def test_matches_scipy(self, samples, alternative):
        """Equal to Welch's t from numpy moments on scipy's t law (floored df)."""
        a, b = samples
        p = welch_test(*_sums(a), *_sums(b), alternative=alternative)
        if a.var() == 0 and b.var() == 0:
            assert np.isnan(p)
            return
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        t = (a.mean() - b.mean()) / np.sqrt(va + vb)
        df = np.floor(
            (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) + 1e-9
        )
        dist = scipy_stats.t(max(df, 1))
        expected = {
            "less": dist.cdf(t),
            "greater": dist.sf(t),
            "two-sided": min(2 * dist.sf(abs(t)), 1.0),
        }[alternative]
        assert expected == pytest.approx(float(p), rel=1e-6, abs=1e-12)

    def test_too_few_observations_is_nan(self):
        """One observation on a side gives no test."""
        assert np.isnan(welch_test(1, 3.0, 9.0, 5, 15.0, 50.0))

    def test_unknown_alternative_is_refused(self):
        """Only less, greater and two-sided."""
        with pytest.raises(ValidationError, match="alternative"):
            welch_test(3, 6.0, 14.0, 3, 6.0, 14.0, alternative="lower")


class TestWeeklyReviewMetrics:
    def test_default_metrics_unchanged(self):
        """Without ``metrics`` the three reviewed metrics are compared."""
        review = weekly_review(generated_weeks(1), WEEK)
        assert [c.metric for c in review.changes] == [
            "satisfaction_rate",
            "repeat_inquiry_rate",
            "escalation_rate",
        ]

    def test_mean_metric_finds_planted_hour(self):
        """A planted bad hour lowers mean_rating there; Welch finds it."""
        table = generated_weeks(3, bad_hour=14, bad_satisfied=0.2)
        review = weekly_review(table, WEEK, metrics=["mean_rating"])
        labels = {(f.dimension, f.label) for f in review.findings}
        assert ("hour", 14) in labels
        assert all(
            f.metric == "mean_rating" and f.unit == "score" for f in review.findings
        )

    def test_mean_change_matches_pandas(self):
        """The week's mean rating and its change equal a pandas computation."""
        table = generated_weeks(4)
        review = weekly_review(table, WEEK, metrics=["mean_rating"])
        frame = table.to_pandas()
        frame = frame[frame["rating_score"].notna()]
        opened = frame["opened_at"]
        this = frame[(opened >= WEEK.start) & (opened < WEEK.end)]["rating_score"]
        before = frame[(opened >= WEEK.start - WEEK.duration) & (opened < WEEK.start)][
            "rating_score"
        ]
        (change,) = review.changes
        assert change.value == pytest.approx(this.mean())
        assert change.previous == pytest.approx(before.mean())
        _, expected_p = scipy_stats.ttest_ind(this, before, equal_var=False)
        assert change.p_value == pytest.approx(expected_p, rel=1e-3)

    def test_higher_is_worse_metric_tested_upward(self):
        """A lower-is-better share (dissatisfaction) flags the bad hour too."""
        table = generated_weeks(5, n=8_000, bad_hour=9, bad_satisfied=0.1)
        review = weekly_review(
            table, WEEK, metrics=["dissatisfaction_rate"], dimensions=["channel"]
        )
        assert all(f.difference > 0 for f in review.findings)
        hourly = weekly_review(table, WEEK, metrics=["dissatisfaction_rate"])
        assert ("hour", 9) in {(f.dimension, f.label) for f in hourly.findings}

    def test_quantile_is_refused(self):
        """A quantile or a total has no sums to test, so it is refused by name."""
        p90 = first_response_time(statistic="p90")
        for metric in (p90, "conversation_count"):
            with pytest.raises(ValidationError, match="must be a share or a mean"):
                weekly_review(generated_weeks(1), WEEK, metrics=[metric])

    def test_html_shows_units(self):
        """Mean findings show as scores, not percentages."""
        table = generated_weeks(3, bad_hour=14, bad_satisfied=0.2)
        review = weekly_review(table, WEEK, metrics=["mean_rating"])
        html = review._repr_html_()
        assert "mean_rating" in html
        assert "%" not in html.split("mean_rating")[1].split("</tr>")[0]


def test_week_constant_is_a_week():
    """The shared review week is a Monday-to-Monday week in UTC."""
    assert Weekly(tz=UTC).period_of(datetime(2026, 5, 11, tzinfo=UTC)) == WEEK


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        min_size=1,
        max_size=50,
    )
)
def test_shares_sum_to_one_and_counts_to_ratings(rows):
    """Per agent, counts add to the agent's ratings and shares to 1."""
    agents, scores = map(list, zip(*rows, strict=True))
    satisfied = [s == 3 for s in scores]
    table = cells_table([0] * len(rows), [0] * len(rows), agents, satisfied)
    votes = vote_distribution(table, by="agent")
    for row, (agent,) in enumerate(votes.keys):
        mine = [s for a, s in zip(agents, satisfied, strict=True) if f"a{a}" == agent]
        assert len(mine) == votes.totals[row]
        assert sum(mine) == votes.counts[row, 2]
        assert votes.shares[row].sum() == pytest.approx(1.0)


def test_the_default_scale_is_the_tables_own():
    """A five-star table counts its stars; a table with two scales must choose."""
    five = RatingScale.FIVE_STAR
    shop = example_shop(500)
    frame = shop.to_pandas()
    frame["rating_score"] = frame["rating_score"].where(frame["rating_score"].isna(), 5)
    table = ConversationTable.from_pandas(frame, rating_scale=five, agents=shop.agents)
    votes = vote_distribution(table)
    assert votes.scores == (1, 2, 3, 4, 5)
    assert int(votes.totals.sum()) == int(vote_distribution(shop).totals.sum())
    assert int(votes.counts[:, :4].sum()) == 0
    both = table.filter(np.arange(len(table)) < 250) + shop.filter(
        np.arange(len(shop)) >= 250
    )
    with pytest.raises(ValidationError, match="not one scale"):
        vote_distribution(both)

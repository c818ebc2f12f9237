"""Intervals and quantiles against scipy and statsmodels (test-only dependencies)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from servicequality import ValidationError
from servicequality.stats import (
    benjamini_hochberg,
    fisher_exact_test,
    jeffreys_interval,
    mean_interval,
    nonresponse_bounds,
    normal_quantile,
    poststratified_rate,
    shrunk_rates,
    t_quantile,
    two_proportion_test,
    wilson_interval,
)
from servicequality.stats._beta import beta_quantile

COUNTS = st.integers(1, 5000).flatmap(
    lambda n: st.tuples(st.integers(0, n), st.just(n))
)


class TestWilson:
    @given(
        st.lists(COUNTS, min_size=1, max_size=20),
        st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    )
    def test_equals_statsmodels(self, pairs, confidence):
        """Bounds equal statsmodels' Wilson interval to 1e-12."""
        successes = np.array([x for x, _ in pairs])
        trials = np.array([n for _, n in pairs])
        low, high = wilson_interval(successes, trials, confidence=confidence)
        expected_low, expected_high = proportion_confint(
            successes, trials, alpha=1 - confidence, method="wilson"
        )
        np.testing.assert_allclose(low, expected_low, rtol=0, atol=1e-12)
        np.testing.assert_allclose(high, expected_high, rtol=0, atol=1e-12)

    def test_zero_trials_is_undefined(self):
        """No trials: NaN bounds, not 0 %."""
        low, high = wilson_interval([0, 1], [0, 2])
        assert math.isnan(low[0])
        assert math.isnan(high[0])
        assert 0 < low[1] < 0.5 < high[1] < 1

    @pytest.mark.parametrize(("x", "n"), [(-1, 3), (4, 3), (0, -1)])
    def test_impossible_counts_are_rejected(self, x, n):
        """Successes lie in 0..trials."""
        with pytest.raises(ValidationError):
            wilson_interval([x], [n])


class TestQuantiles:
    @pytest.mark.parametrize(
        "p", [1e-12, 1e-6, 0.01, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999999]
    )
    def test_normal_quantile_equals_scipy(self, p):
        """Accurate to 1e-13 over the range."""
        assert normal_quantile(p) == pytest.approx(scipy_stats.norm.ppf(p), abs=1e-13)

    @given(
        st.integers(1, 20_000),
        st.sampled_from([0.6, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.05]),
    )
    def test_t_quantile_equals_scipy(self, df, p):
        """Relative error below 1e-9."""
        assert t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-9)

    @pytest.mark.parametrize("p", [0, 1, 1.5, float("nan"), "0.5"])
    def test_probabilities_outside_zero_one_are_rejected(self, p):
        """Quantiles exist only strictly inside (0, 1)."""
        with pytest.raises(ValidationError):
            normal_quantile(p)

    @pytest.mark.parametrize("df", [0, -3, 2.5, True])
    def test_degrees_of_freedom_are_whole_and_positive(self, df):
        """t needs df >= 1, a whole number."""
        with pytest.raises(ValidationError):
            t_quantile(0.9, df)

    def test_t_median_is_zero(self):
        """The t distribution is symmetric."""
        assert t_quantile(0.5, 7) == 0.0


class TestMeanInterval:
    @given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=50))
    def test_equals_scipy_t_interval(self, values):
        """Mean ± t·s/√n from sums equals scipy's interval."""
        x = np.array(values)
        low, high = mean_interval([len(x)], [x.sum()], [(x * x).sum()])
        if x.std() == 0:
            assert low[0] == pytest.approx(x.mean())
            return
        expected = scipy_stats.t.interval(
            0.95, len(x) - 1, loc=x.mean(), scale=scipy_stats.sem(x)
        )
        scale = max(1.0, abs(x).max())
        assert low[0] == pytest.approx(expected[0], abs=1e-7 * scale)
        assert high[0] == pytest.approx(expected[1], abs=1e-7 * scale)

    def test_fewer_than_two_observations_have_no_interval(self):
        """One observation has no spread to estimate."""
        low, high = mean_interval([0, 1], [0.0, 4.0], [0.0, 16.0])
        assert np.isnan(low).all()
        assert np.isnan(high).all()


class TestJeffreys:
    @settings(max_examples=40)
    @given(
        st.lists(COUNTS, min_size=1, max_size=8),
        st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    )
    def test_equals_statsmodels(self, pairs, confidence):
        """Bounds equal statsmodels' Jeffreys interval to 1e-12."""
        successes = np.array([x for x, _ in pairs])
        trials = np.array([n for _, n in pairs])
        low, high = jeffreys_interval(successes, trials, confidence=confidence)
        expected_low, expected_high = proportion_confint(
            successes, trials, alpha=1 - confidence, method="jeffreys"
        )
        np.testing.assert_allclose(low, expected_low, rtol=0, atol=1e-12)
        np.testing.assert_allclose(high, expected_high, rtol=0, atol=1e-12)

    def test_zero_trials_is_undefined_and_bad_counts_refused(self):
        low, high = jeffreys_interval([0, 9], [0, 10])
        assert math.isnan(low[0])
        assert math.isnan(high[0])
        assert low[1] < 0.9 < high[1]
        with pytest.raises(ValidationError):
            jeffreys_interval([3], [2])
        with pytest.raises(ValidationError):
            jeffreys_interval([np.nan], [2])


RATED = st.integers(0, 500).flatmap(
    lambda c: st.integers(0, c).flatmap(
        lambda r: st.tuples(st.integers(0, r), st.just(r), st.just(c))
    )
)


class TestJeffreysAtScale:
    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(
            st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=80
        )
    )
    def test_groups_with_equal_counts_share_bounds_that_match_scipy(self, pairs):
        """Deduplicated groups get the beta quantiles scipy gives each of them."""
        x = np.array([min(a, b) for a, b in pairs], dtype=float)
        n = np.array([max(a, b) for a, b in pairs], dtype=float)
        low, high = jeffreys_interval(x, n)
        some = n > 0
        a, b = x[some] + 0.5, n[some] - x[some] + 0.5
        assert np.allclose(low[some], scipy_stats.beta.ppf(0.025, a, b), atol=1e-12)
        assert np.allclose(high[some], scipy_stats.beta.ppf(0.975, a, b), atol=1e-12)
        assert np.isnan(low[~some]).all()

    def test_counts_spread_too_wide_for_a_table_take_the_general_path(self):
        """Whole counts of very different sizes are deduplicated without a table."""
        x = np.array([1.0, 2.0**29, 1.0, 3.0])
        n = np.array([3.0, 2.0**30, 3.0, 9.0])
        low, high = jeffreys_interval(x, n)
        a, b = x + 0.5, n - x + 0.5
        assert np.allclose(low, scipy_stats.beta.ppf(0.025, a, b), atol=1e-12)
        assert np.allclose(high, scipy_stats.beta.ppf(0.975, a, b), atol=1e-12)
        assert low[0] == low[2]

    def test_fractional_counts_take_the_general_path(self):
        """Weighted (fractional) counts are not rounded into integer keys."""
        low, high = jeffreys_interval([0.5, 0.5, 2.25], [1.5, 1.5, 3.0])
        expected_low = scipy_stats.beta.ppf(0.025, [1.0, 1.0, 2.75], [1.5, 1.5, 1.25])
        assert np.allclose(low, expected_low, atol=1e-12)
        assert low[0] == low[1]
        assert (high > low).all()


class TestBetaQuantile:
    @settings(max_examples=25, deadline=None)
    @given(
        st.lists(st.floats(0.3, 60), min_size=6, max_size=6),
        st.lists(st.floats(0.3, 60), min_size=6, max_size=6),
        st.floats(0.001, 0.999),
    )
    def test_any_shape_matches_scipy(self, a, b, p):
        """Quantiles of 2-D parameters, from the default start, equal scipy's."""
        shape_a = np.array(a).reshape(2, 3)
        shape_b = np.array(b).reshape(2, 3)
        got = beta_quantile(p, shape_a, shape_b)
        assert got.shape == (2, 3)
        assert np.allclose(got, scipy_stats.beta.ppf(p, shape_a, shape_b), atol=1e-10)

    def test_quantiles_near_one_are_exact_relative_to_their_distance_from_one(self):
        """Upper tails of Beta(n + 0.5, 0.5) keep 1e-12 of scipy's bound up to 3,000."""
        n = np.arange(1, 3001, dtype=float)
        got = beta_quantile(0.975, n + 0.5, 0.5)
        np.testing.assert_allclose(
            1 - got, 1 - scipy_stats.beta.ppf(0.975, n + 0.5, 0.5), rtol=1e-9
        )

    @settings(max_examples=25, deadline=None)
    @given(
        st.floats(0.3, 1e5),
        st.floats(0.3, 1e5),
        st.floats(1e-6, 1 - 1e-6),
    )
    def test_wide_shapes_and_tails_match_scipy(self, a, b, p):
        """Large and unequal shapes and far tails land within 1e-9 of scipy."""
        got = beta_quantile([p, 1 - p], a, b)
        expected = scipy_stats.beta.ppf([p, 1 - p], a, b)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-13)

    @settings(max_examples=25, deadline=None)
    @given(
        st.floats(5, 5_000),
        st.floats(5, 5_000),
        st.sampled_from([0.005, 0.025, 0.1, 0.9, 0.975]),
    )
    def test_normal_guess_is_close_for_counted_shapes(self, a, b, p):
        """A&S 26.5.22 lands within 2 % of the distance to the nearer end."""
        from servicequality.stats._beta import normal_guess

        guess = float(normal_guess(normal_quantile(p), a, b))
        exact = float(scipy_stats.beta.ppf(p, a, b))
        assert abs(guess - exact) <= 0.02 * min(exact, 1 - exact)

    def test_the_fraction_falls_back_to_lentzs_guard(self, monkeypatch):
        """A denominator that vanishes unguarded is evaluated again with the guard."""
        from servicequality.stats import _beta

        a, b, x = np.array([2.5, 7.5]), np.array([3.5, 1.5]), np.array([0.2, 0.6])
        guarded = _beta._lentz(a, b, x, _beta._guard)
        monkeypatch.setattr(_beta, "_unguarded", lambda v: np.full_like(v, np.inf))
        assert np.isfinite(guarded).all()
        np.testing.assert_array_equal(_beta._continued_fraction(a, b, x), guarded)

    def test_edge_guess_is_close_for_tiny_tails(self):
        """The series guess at a 2.5 % tail of Beta(0.5, n + 0.5) is near the truth."""
        from servicequality.stats._beta import edge_quantile

        a, b = np.array([0.5, 0.5]), np.array([10.5, 100.5])
        guess = edge_quantile(0.025, a, b)
        exact = scipy_stats.beta.ppf(0.025, a, b)
        assert np.allclose(guess, exact, rtol=0.1)


class TestNonresponse:
    @given(st.lists(RATED, min_size=1, max_size=20))
    def test_bounds_contain_the_observed_rate(self, triples):
        s, r, c = (
            np.array(column, dtype=float) for column in zip(*triples, strict=True)
        )
        low, high = nonresponse_bounds(s, r, c)
        rated = r > 0
        observed = s[rated] / r[rated]
        assert (low[rated] <= observed + 1e-12).all()
        assert (observed <= high[rated] + 1e-12).all()
        assert np.isnan(low[c == 0]).all()
        assert ((low[c > 0] >= 0) & (high[c > 0] <= 1)).all()

    def test_collapse_when_everyone_rated(self):
        low, high = nonresponse_bounds([7, 0], [10, 4], [10, 4])
        np.testing.assert_array_equal(low, [0.7, 0.0])
        np.testing.assert_array_equal(high, [0.7, 0.0])

    def test_bad_counts(self):
        with pytest.raises(ValidationError):
            nonresponse_bounds([1], [2], [1])


class TestPoststratification:
    @given(
        st.lists(
            st.tuples(st.integers(1, 200), st.floats(0, 1)), min_size=1, max_size=6
        ),
        st.integers(1, 5),
    )
    def test_equals_raw_when_ratings_are_proportional(self, strata, every):
        conversations = np.array([c * every for c, _ in strata], dtype=float)
        rated = np.array([c for c, _ in strata], dtype=float)
        satisfied = np.floor(rated * np.array([share for _, share in strata]))
        raw = satisfied.sum() / rated.sum()
        assert poststratified_rate(satisfied, rated, conversations) == pytest.approx(
            raw, abs=1e-12
        )

    def test_reweights_strata_by_conversations(self):
        # email: 1 of 10 conversations rated, satisfied; chat: 90 of 90 rated, half
        rate = poststratified_rate([1, 45], [1, 90], [10, 90])
        assert rate == pytest.approx(0.1 * 1 + 0.9 * 0.5)
        assert pytest.approx(rate) != (46 / 91)

    def test_unrated_strata_are_left_out_and_empty_is_nan(self):
        assert poststratified_rate([1, 0], [2, 0], [2, 8]) == pytest.approx(0.5)
        rows = poststratified_rate([[1, 0], [0, 0]], [[2, 0], [0, 0]], [[2, 8], [3, 3]])
        assert rows[0] == pytest.approx(0.5)
        assert math.isnan(rows[1])


class TestShrinkage:
    @given(st.lists(COUNTS, min_size=2, max_size=30))
    def test_moves_toward_the_pooled_rate_never_past_it(self, pairs):
        x = np.array([a for a, _ in pairs], dtype=float)
        n = np.array([b for _, b in pairs], dtype=float)
        pooled = x.sum() / n.sum()
        raw = x / n
        shrunk = shrunk_rates(x, n)
        tolerance = 1e-12
        assert (np.abs(shrunk - pooled) <= np.abs(raw - pooled) + tolerance).all()
        assert (np.sign(shrunk - pooled) * np.sign(raw - pooled) >= 0).all() or (
            np.abs(shrunk - pooled) <= tolerance
        ).all()
        between = (np.minimum(raw, pooled) - tolerance <= shrunk) & (
            shrunk <= np.maximum(raw, pooled) + tolerance
        )
        assert between.all()

    def test_few_trials_shrink_more(self):
        x = np.array([10, 900, 500, 300, 3])
        n = np.array([10, 1000, 1000, 1000, 10])
        shrunk = shrunk_rates(x, n)
        pooled = x.sum() / n.sum()
        # the two small groups (1.0 and 0.3 raw) move most
        moved = np.abs(shrunk - x / n)
        assert moved[0] > moved[1]
        assert moved[4] > moved[3]
        assert shrunk[0] > pooled

    def test_edges(self):
        assert math.isnan(shrunk_rates([0, 1], [0, 2])[0])
        assert shrunk_rates([1, 0], [2, 0])[0] == 0.5
        np.testing.assert_array_equal(shrunk_rates([5, 5], [5, 5]), [1.0, 1.0])
        # no more spread than chance: complete pooling
        np.testing.assert_allclose(shrunk_rates([50, 50], [100, 100]), [0.5, 0.5])


class TestTests:
    @given(
        COUNTS,
        COUNTS,
        st.sampled_from(
            [("less", "smaller"), ("greater", "larger"), ("two-sided",) * 2]
        ),
    )
    def test_equals_statsmodels_ztest(self, a, b, alternative):
        ours, theirs = alternative
        p = two_proportion_test(a[0], a[1], b[0], b[1], alternative=ours)
        pooled = (a[0] + b[0]) / (a[1] + b[1])
        if pooled in (0, 1):
            assert math.isnan(p)
            return
        _, expected = proportions_ztest([a[0], b[0]], [a[1], b[1]], alternative=theirs)
        assert p == pytest.approx(expected, abs=1e-12)

    def test_untestable_and_bad_alternative(self):
        assert math.isnan(two_proportion_test(0, 0, 1, 2))
        with pytest.raises(ValidationError):
            two_proportion_test(1, 2, 1, 2, alternative="worse")

    @given(st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), max_size=40))
    def test_benjamini_hochberg_equals_statsmodels(self, p_values):
        p = np.array(p_values, dtype=float)
        q = benjamini_hochberg(p)
        finite = ~np.isnan(p)
        assert np.isnan(q[~finite]).all()
        if finite.any():
            expected = multipletests(p[finite], method="fdr_bh")[1]
            np.testing.assert_allclose(q[finite], expected, rtol=0, atol=1e-12)

    def test_benjamini_hochberg_refuses_bad_p_values(self):
        with pytest.raises(ValidationError):
            benjamini_hochberg([0.5, 1.5])


class TestFisher:
    @given(
        COUNTS.filter(lambda c: c[1] <= 400),
        COUNTS.filter(lambda c: c[1] <= 400),
        st.sampled_from(["less", "greater", "two-sided"]),
    )
    def test_equals_scipy(self, a, b, alternative):
        p = fisher_exact_test(a[0], a[1], b[0], b[1], alternative=alternative)
        expected = fisher_exact(
            [[a[0], a[1] - a[0]], [b[0], b[1] - b[0]]], alternative=alternative
        ).pvalue
        assert p == pytest.approx(expected, abs=1e-12)

    def test_vectorised_untestable_and_bad_alternative(self):
        p = fisher_exact_test([1, 0], [4, 0], [3, 1], [4, 2], alternative="less")
        assert 0 < p[0] < 1
        assert math.isnan(p[1])
        with pytest.raises(ValidationError):
            fisher_exact_test(1, 2, 1, 2, alternative="worse")

"""Intervals and quantiles against scipy and statsmodels (test-only dependencies)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportion_confint

from servicequality import ValidationError
from servicequality.stats import (
    mean_interval,
    normal_quantile,
    t_quantile,
    wilson_interval,
)

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

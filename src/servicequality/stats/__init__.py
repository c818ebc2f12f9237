"""Statistics behind the measurements: intervals, adjusted rates and tests."""

from servicequality.stats._adjust import (
    benjamini_hochberg,
    fisher_exact_test,
    nonresponse_bounds,
    poststratified_rate,
    shrunk_rates,
    two_proportion_test,
)
from servicequality.stats._intervals import (
    jeffreys_interval,
    mean_interval,
    normal_quantile,
    t_quantile,
    wilson_interval,
)
from servicequality.stats._means import welch_test

__all__ = [
    "benjamini_hochberg",
    "fisher_exact_test",
    "jeffreys_interval",
    "mean_interval",
    "nonresponse_bounds",
    "normal_quantile",
    "poststratified_rate",
    "shrunk_rates",
    "t_quantile",
    "two_proportion_test",
    "welch_test",
    "wilson_interval",
]

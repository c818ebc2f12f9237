"""Statistics behind the measurements: intervals and distribution quantiles."""

from servicequality.stats._intervals import (
    mean_interval,
    normal_quantile,
    t_quantile,
    wilson_interval,
)

__all__ = ["mean_interval", "normal_quantile", "t_quantile", "wilson_interval"]

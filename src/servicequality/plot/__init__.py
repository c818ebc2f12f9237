"""Figures for notebooks and reports (needs the ``plot`` extra: matplotlib).

Every function returns a new :class:`matplotlib.figure.Figure` built without
pyplot: the library never shows, saves or changes global matplotlib state.
Save one with ``figure.savefig("trend.png")`` or let a notebook display it.
Text falls back to an installed Chinese font (:data:`CJK_FONTS`) for
characters the usual font lacks.
"""

try:
    import matplotlib as mpl  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on the environment
    message = "servicequality.plot needs matplotlib: pip install 'servicequality[plot]'"
    raise ImportError(message) from missing

from servicequality.plot._figures import (
    metric_trend,
    one_to_one_chart,
    payout_breakdown,
    satisfaction_heatmap,
    tier_distribution,
)
from servicequality.plot._fonts import CJK_FONTS, use_cjk_fonts

__all__ = [
    "CJK_FONTS",
    "metric_trend",
    "one_to_one_chart",
    "payout_breakdown",
    "satisfaction_heatmap",
    "tier_distribution",
    "use_cjk_fonts",
]

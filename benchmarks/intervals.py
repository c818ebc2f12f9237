"""Intervals for many groups: the Jeffreys interval against the Wilson interval.

The (satisfied, rated) pairs of ``satisfaction_rate`` by agent × week
(≈260,000 groups at full scale, many with few ratings) go to
``servicequality.stats.jeffreys_interval`` and ``wilson_interval`` at 95 %;
interleaved best of ``--repeats`` (25 by default at both sizes: a run takes
milliseconds). Before the ratio is printed, both are
checked against independent formulas: Wilson's closed form with
``statistics.NormalDist``, and Jeffreys against ``scipy.stats.beta.ppf`` on
a sample of 2,000 groups when scipy is installed (to 1e-9 absolute).

Run: python benchmarks/intervals.py [--size shop|scale] [--rows N] [--agents N]
"""

from __future__ import annotations

import argparse
import os
import sys
from statistics import NormalDist

import _data
import numpy as np
from _timing import interleaved

from servicequality import measure
from servicequality.stats import jeffreys_interval, wilson_interval

CONFIDENCE = 0.95


def wilson_by_hand(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval, written out from its formula."""
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        center = (x + z * z / 2) / (n + z * z)
        half = z / (n + z * z) * np.sqrt(x * (n - x) / n + z * z / 4)
    return center - half, center + half


def check(x: np.ndarray, n: np.ndarray) -> str:
    """Both intervals against independent computations; what was checked."""
    low, high = wilson_interval(x, n, confidence=CONFIDENCE)
    expected_low, expected_high = wilson_by_hand(x, n)
    assert np.allclose(low, expected_low, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.allclose(high, expected_high, rtol=1e-12, atol=1e-12, equal_nan=True)
    low, high = jeffreys_interval(x, n, confidence=CONFIDENCE)
    assert np.array_equal(np.isnan(low), n == 0)
    assert (low[n > 0] <= high[n > 0]).all()
    try:
        from scipy.stats import beta  # noqa: PLC0415  # optional, only to check
    except ImportError:
        return "Wilson checked by its formula (no scipy: Jeffreys not checked)"
    sample = np.random.default_rng(0).choice(np.flatnonzero(n > 0), 2_000)
    a, b = x[sample] + 0.5, n[sample] - x[sample] + 0.5
    tail = (1 - CONFIDENCE) / 2
    assert np.allclose(low[sample], beta.ppf(tail, a, b), rtol=0, atol=1e-9)
    assert np.allclose(high[sample], beta.ppf(1 - tail, a, b), rtol=0, atol=1e-9)
    return "Wilson checked by its formula, Jeffreys by scipy on 2,000 groups"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _data.add_size_options(parser)
    options = _data.parse_options(parser)
    if "--repeats" not in sys.argv:  # runs of milliseconds at both sizes
        options.repeats = _data.SHOP_REPEATS
    table = _data.table(_data.arguments_for(options))
    measured = measure(table, "satisfaction_rate", by=("agent", _data.WEEK))
    x = measured.column("satisfaction_rate", "numerator")
    n = measured.column("satisfaction_rate", "n")
    checked = check(x, n)
    times, _ = interleaved(
        {
            "wilson": lambda: wilson_interval(x, n, confidence=CONFIDENCE),
            "jeffreys": lambda: jeffreys_interval(x, n, confidence=CONFIDENCE),
        },
        options.repeats,
    )

    print(_data.describe(options, table))
    print(
        f"{len(n):,} groups (agent x week), median {np.median(n):.0f} ratings; "
        f"best of {options.repeats} interleaved; {os.cpu_count()} cores"
    )
    print(checked)
    ratio = times["jeffreys"] / times["wilson"]
    print(f"jeffreys_interval / wilson_interval: {ratio:.2f}")


if __name__ == "__main__":
    main()

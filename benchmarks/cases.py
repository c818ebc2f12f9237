"""Case derivation: ``derive_cases`` against a plain ``np.lexsort`` reference.

Both assign every conversation to a case with the library's key (``case_id``
where given, else customer × topic chained within 7 days) and return the
same two arrays: whether a row is the first of its case, and its case's
size. The reference sorts by ``np.lexsort((ids, times, keys))`` and marks
case starts in that order. Timed on the rows in time order (as service
logs are exported) and on the same rows shuffled; interleaved best of
``--repeats``; both results asserted equal on every row. (``--order`` is
ignored.)

Run: python benchmarks/cases.py [--size shop|scale] [--rows N] [--agents N]
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta

import _data
import numpy as np
from _timing import interleaved

from servicequality._engine._cases import derive_cases

WINDOW = timedelta(days=7)


def reference(table, window: timedelta) -> tuple[np.ndarray, np.ndarray]:
    """First-of-case flags and case sizes by one ``np.lexsort``."""
    topics = len(table.vocabulary("topic")) + 1
    given = len(table.vocabulary("case_id"))
    case_id = table["case_id"]
    chain = table["customer_id"].astype(np.int64) * topics + table["topic"] + given + 1
    keys = np.where(case_id >= 0, case_id, chain)
    times = table["opened_at"].view(np.int64)
    order = np.lexsort((table["conversation_id"], times, keys))
    k, t = keys[order], times[order]
    new = np.ones(len(k), dtype=bool)
    limit = window // timedelta(microseconds=1)
    new[1:] = (k[1:] != k[:-1]) | ((k[1:] >= given) & (t[1:] - t[:-1] > limit))
    number = np.cumsum(new) - 1
    first = np.empty(len(k), dtype=bool)
    first[order] = new
    size = np.empty(len(k), dtype=np.int64)
    size[order] = np.bincount(number)[number]
    return first, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _data.add_size_options(parser)
    options = _data.parse_options(parser)
    options.order = "time"  # both orders are measured
    arguments = _data.arguments_for(options)
    in_order = _data.table(arguments)
    mixed = _data.table(_data.shuffled(arguments))
    del arguments
    tables = {"time order": in_order, "shuffled": mixed}
    contenders = {}
    for label, table in tables.items():
        contenders[f"derive_cases, {label}"] = lambda t=table: derive_cases(t, WINDOW)
        contenders[f"np.lexsort, {label}"] = lambda t=table: reference(t, WINDOW)
    times, results = interleaved(contenders, options.repeats)
    for label in tables:
        cases = results[f"derive_cases, {label}"]
        first, size = results[f"np.lexsort, {label}"]
        assert np.array_equal(cases.first, first), label
        assert np.array_equal(cases.size, size), label
    repeats = (~first).mean()

    print(_data.describe(options, in_order))
    print(
        f"cases within {WINDOW.days} days: {first.sum():,} cases, "
        f"{repeats:.1%} of conversations repeat one; {os.cpu_count()} cores"
    )
    print("first-of-case flags and case sizes agree on every row, both orders")
    for label in tables:
        ratio = times[f"np.lexsort, {label}"] / times[f"derive_cases, {label}"]
        print(f"np.lexsort reference / derive_cases, rows {label}: {ratio:.2f}")


if __name__ == "__main__":
    main()

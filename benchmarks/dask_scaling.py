"""The standard catalogue on many rows: one process against Dask with 2 workers.

In one run, on the same conversations of the example shop (10 million by
default), by agent × week:

- ``measure`` on the table already in memory (the baseline);
- one process that reads the Parquet files with pandas, builds the table
  with ``from_pandas`` and measures (the same work Dask does);
- ``servicequality.dask.measure`` on ``dd.read_parquet`` with a
  ``LocalCluster`` of 2 worker processes × 1 thread, once for the additive
  metrics (no shuffle) and once for the whole catalogue (shuffle by
  customer for first-contact resolution and repeat inquiries).

Every result is checked against the baseline (counts exactly, sums to 1e-9).
Prints ratios to the baseline only: absolute times vary on shared machines.

Run: python benchmarks/dask_scaling.py [--rows 10000000] [--partitions 20]
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
import time

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster

import servicequality.dask as sqd
from servicequality import ConversationTable, RatingScale, Weekly, measure
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.metrics import standard_catalogue

CATALOGUE = [m for m in standard_catalogue() if m.reads == "conversations"]
ADDITIVE = [m for m in CATALOGUE if not m.needs_history]


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def check(expected, got) -> None:
    assert expected.keys == got.keys
    for name in got.metric_names:
        a, b = expected.state(name), got.state(name)
        assert np.allclose(a, b, rtol=1e-9, atol=0), name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=20)
    options = parser.parse_args()
    by = ["agent", Weekly(tz=SHOP_TIMEZONE)]
    three = RatingScale.THREE_LEVEL

    generate, shop = timed(lambda: example_shop(options.rows, seed=1))
    print(f"{options.rows:,} conversations generated in {generate:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        frame = shop.to_pandas()
        for number, rows in enumerate(
            np.array_split(np.arange(len(frame)), options.partitions)
        ):
            path = pathlib.Path(folder) / f"part-{number:03d}.parquet"
            frame.iloc[rows].to_parquet(path, index=False)
        del frame

        baseline, whole = timed(lambda: measure(shop, CATALOGUE, by=by))
        additive_base, additive = timed(lambda: measure(shop, ADDITIVE, by=by))

        def from_files() -> object:
            table = ConversationTable.from_pandas(
                pd.read_parquet(folder), rating_scale=three, agents=shop.agents
            )
            return measure(table, CATALOGUE, by=by)

        one_process, result = timed(from_files)
        check(whole, result)
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit="10GiB",
            ) as cluster,
            Client(cluster),
        ):

            def distributed(metrics):
                return sqd.measure(
                    dd.read_parquet(folder),
                    metrics,
                    by=by,
                    rating_scale=three,
                    agents=shop.agents,
                )

            no_shuffle, result = timed(lambda: distributed(ADDITIVE))
            check(additive, result)
            shuffled, result = timed(lambda: distributed(CATALOGUE))
            check(whole, result)

    print(f"baseline: measure on the in-memory table, {len(CATALOGUE)} metrics = 1.00")
    print(f"  additive metrics only, in memory:        {additive_base / baseline:6.2f}")
    print(f"  one process from Parquet (read+build):   {one_process / baseline:6.2f}")
    print(f"  Dask, 2 workers, additive (no shuffle):  {no_shuffle / baseline:6.2f}")
    print(f"  Dask, 2 workers, catalogue (shuffle):    {shuffled / baseline:6.2f}")
    print(f"  one process from Parquet / Dask shuffle: {one_process / shuffled:6.2f}")


if __name__ == "__main__":
    main()

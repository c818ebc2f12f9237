"""How fast tables are built, and how much memory from_arrays needs.

Prints ratios against baselines measured in the same run:
- from_records against constructing the same Conversation/Rating objects;
- from_arrays against one plain copy of every input column, and its peak
  traced memory against the bytes of the input columns.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import attrs
import numpy as np

from servicequality import Conversation, ConversationTable, Rating
from servicequality.demo import example_shop


def best_of(repeats, function):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def records_benchmark(rows: int) -> None:
    records = example_shop(rows, seed=1).to_records()
    dicts = [attrs.asdict(c, recurse=False) for c in records.conversations]
    rating_dicts = [attrs.asdict(r, recurse=False) for r in records.ratings]

    def construct():
        return [Conversation(**d) for d in dicts], [Rating(**d) for d in rating_dicts]

    baseline, _ = best_of(3, construct)
    elapsed, table = best_of(
        3,
        lambda: ConversationTable.from_records(
            records.conversations,
            ratings=records.ratings,
            reviews=records.reviews,
            agents=records.agents,
        ),
    )
    assert len(table) == rows
    print(
        f"from_records: {rows:,} conversations, {rows / elapsed:,.0f} conversations/s"
    )
    print(f"  ratio to constructing the value objects alone: {elapsed / baseline:.2f}x")


def arrays_benchmark(rows: int) -> None:
    shop = example_shop(rows, seed=1)
    columns = {name: np.array(shop[name]) for name in shop.column_names}
    lists = {
        "conversation_ids": shop.vocabulary("conversation_id"),
        "agent_ids": shop.vocabulary("agent_id"),
        "customer_ids": shop.vocabulary("customer_id"),
        "topics": shop.vocabulary("topic"),
        "case_ids": shop.vocabulary("case_id"),
        "reviewer_ids": shop.vocabulary("reviewer_id"),
        "rating_comments": shop.vocabulary("rating_comment"),
    }
    input_bytes = sum(a.nbytes for a in columns.values())
    string_bytes = sum(v.nbytes for v in lists.values())

    def build():
        return ConversationTable.from_arrays(
            **columns,
            **lists,
            rating_scales=shop.rating_scales,
            agents=shop.agents,
        )

    copy_time, _ = best_of(3, lambda: {k: v.copy() for k, v in columns.items()})
    build_time, table = best_of(3, build)
    assert len(table) == rows
    tracemalloc.start()
    build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"from_arrays: {rows:,} rows, {input_bytes / 2**20:,.0f} MiB of columns "
        f"(+{string_bytes / 2**20:,.0f} MiB of id lists, StringDType headers)"
    )
    print(
        f"  time ratio to one plain copy of the columns: {build_time / copy_time:.2f}x"
    )
    print(f"  peak traced memory / input column bytes: {peak / input_bytes:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--record-rows", type=int, default=100_000)
    arguments = parser.parse_args()
    records_benchmark(arguments.record_rows)
    arrays_benchmark(arguments.rows)


if __name__ == "__main__":
    main()

"""Ingestion: ``from_pandas`` and ``from_arrow`` against factorize + one copy.

Three inputs hold the same conversations as the generated table:
- a pandas DataFrame with string ids (pandas' ``str`` dtype, as read from
  Parquet), enumerations as value strings, UTC-aware timestamps and
  ``rating_score`` as floats with NaN where unrated (as pandas reads a
  nullable integer column from Arrow);
- the same frame with integer ids (``conversation_id``, ``agent_id``,
  ``transferred_to``, ``customer_id``, ``case_id``, ``reviewer_id``;
  nullable ``Int64`` where optional);
- a ``pyarrow.Table`` whose id, label and enumeration columns are
  dictionary-encoded strings, and the same table as a polars DataFrame
  (``from_frame``, when polars is installed).

The baseline for a frame is what any loader must do at least: one
``pandas.factorize`` of each id and label column plus one deep copy of the
frame. ``from_arrow`` and ``from_frame`` (polars) are compared with the
baseline of the string-id frame (the same content). The loaders read
columns on as many threads as there are cores (``threads=None``); the
string-id frame is also read on one thread (``threads=1``), against the
same single-threaded baseline. Interleaved best of
``--repeats``; every table built is checked to hold the same conversations
as the original, column by column.

Run: python benchmarks/ingestion.py [--size shop|scale] [--rows N] [--agents N]
"""

from __future__ import annotations

import argparse
import importlib
import os

import _data
import numpy as np
import pandas as pd
import pyarrow as pa
from _timing import interleaved

from servicequality import (
    Agent,
    Channel,
    ConversationTable,
    Difficulty,
    Role,
    Sentiment,
)

CODES = {
    **{column: column for column in _data.CODE_COLUMNS},
    "transferred_to": "agent_id",
    "invitation_variant": "invitation_variant",
}
"""Code columns and the vocabulary each indexes."""
INTEGER_IDS = (
    "conversation_id",
    "agent_id",
    "transferred_to",
    "customer_id",
    "case_id",
    "reviewer_id",
)
ENUMS = {
    "channel": Channel,
    "difficulty": Difficulty,
    "sentiment_start": Sentiment,
    "sentiment_end": Sentiment,
}


def arrow_column(table: ConversationTable, name: str) -> pa.Array:
    """One column as Arrow: labels dictionary-encoded, nulls where missing."""
    column = table[name]
    if column.dtype.kind == "M":
        utc = pa.timestamp("us", tz="UTC")
        return pa.array(column, mask=np.isnat(column)).cast(utc)
    if name == "rating_score":
        return pa.array(column, mask=table["rating_scale"] < 0)
    if name in CODES:
        labels = pa.array(table.vocabulary(CODES[name]))
    elif name in ENUMS:
        labels = pa.array([member.value for member in ENUMS[name]])
    else:
        return pa.array(column)
    codes = pa.array(column.astype(np.int32), mask=column < 0)
    return pa.DictionaryArray.from_arrays(codes, labels)


def arrow_input(table: ConversationTable) -> pa.Table:
    """The table's conversations as an Arrow table (the scale is a parameter)."""
    return pa.table(
        {
            name: arrow_column(table, name)
            for name in table.column_names
            if name != "rating_scale"
        }
    )


def string_frame(arrow: pa.Table) -> pd.DataFrame:
    """The Arrow input as pandas with plain string columns."""
    decoded = {
        name: column.cast(pa.string())
        if pa.types.is_dictionary(column.type)
        else column
        for name, column in zip(arrow.column_names, arrow.columns, strict=True)
    }
    return pa.table(decoded).to_pandas()


def integer_frame(frame: pd.DataFrame, table: ConversationTable) -> pd.DataFrame:
    """``frame`` with the table's codes as integer ids (missing: ``<NA>``)."""
    frame = frame.copy()
    for name in INTEGER_IDS:
        codes = table[name].astype(np.int64)
        frame[name] = pd.arrays.IntegerArray(codes, codes < 0)
    return frame


def integer_roster(table: ConversationTable) -> tuple[Agent, ...]:
    """The roster with each agent's code as its id."""
    roles = list(Role)
    return tuple(
        Agent(id=str(code), role=roles[role])
        for code, role in enumerate(table.agent_roles.tolist())
    )


def baseline(frame: pd.DataFrame) -> None:
    """One factorize of each id and label column, and one deep copy of the frame."""
    for name in CODES:
        pd.factorize(frame[name])
    frame.copy(deep=True)


def decoded(table: ConversationTable, name: str, *, integers: bool) -> np.ndarray:
    """The ids of code column ``name`` (as integers if ``integers``), present rows."""
    codes = table[name]
    vocabulary = table.vocabulary(CODES[name])
    if integers:
        vocabulary = vocabulary.astype(np.int64)
    return vocabulary[codes[codes >= 0]]


def check_same(original: ConversationTable, built: ConversationTable, who: str) -> None:
    """The two tables hold the same conversations in the same rows."""
    assert len(built) == len(original), who
    integers = "integer" in who
    for name in original.column_names:
        a, b = original[name], built[name]
        if name in CODES:
            assert np.array_equal(a < 0, b < 0), (who, name)
            expected = (
                a[a >= 0].astype(np.int64)
                if integers and name in INTEGER_IDS
                else decoded(original, name, integers=False)
            )
            got = decoded(built, name, integers=integers and name in INTEGER_IDS)
            assert np.array_equal(expected, got), (who, name)
        elif name == "rating_score":
            rated = original["rating_scale"] >= 0
            assert np.array_equal(a[rated], b[rated]), (who, name)
        else:
            assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fmM"), (who, name)
    assert original.rating_scales == built.rating_scales, who


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _data.add_size_options(parser)
    options = _data.parse_options(parser)
    table = _data.table(_data.arguments_for(options))
    arrow = arrow_input(table)
    strings = string_frame(arrow)
    integers = integer_frame(strings, table)
    roster, numbered = table.agents, integer_roster(table)
    scale = _data.SCALE
    from_pandas, from_arrow, from_frame = (
        ConversationTable.from_pandas,
        ConversationTable.from_arrow,
        ConversationTable.from_frame,
    )
    try:
        polars = importlib.import_module("polars").from_arrow(arrow)
    except ImportError:  # the bench extra brings polars
        polars = None

    times, _ = interleaved(
        {
            "factorize + copy, string ids": lambda: baseline(strings),
            "from_pandas, string ids": lambda: from_pandas(
                strings, rating_scale=scale, agents=roster
            ),
            "from_pandas, string ids, one thread": lambda: from_pandas(
                strings, rating_scale=scale, agents=roster, threads=1
            ),
            "factorize + copy, integer ids": lambda: baseline(integers),
            "from_pandas, integer ids": lambda: from_pandas(
                integers, rating_scale=scale, agents=numbered
            ),
            "from_arrow, dictionary strings": lambda: from_arrow(
                arrow, rating_scale=scale, agents=roster
            ),
            **(
                {}
                if polars is None
                else {
                    "from_frame, polars": lambda: from_frame(
                        polars, rating_scale=scale, agents=roster
                    )
                }
            ),
        },
        options.repeats,
        check=lambda name, built: built is None or check_same(table, built, name),
    )

    def ratio(built: str, base: str) -> float:
        return times[built] / times[f"factorize + copy, {base}"]

    print(_data.describe(options, table))
    print(f"best of {options.repeats} interleaved; {os.cpu_count()} cores")
    print("every table built holds the same conversations as the original")
    print(
        "from_pandas / (factorize + copy), string ids:  "
        f"{ratio('from_pandas, string ids', 'string ids'):6.2f}"
    )
    print(
        "same, on one thread:                           "
        f"{ratio('from_pandas, string ids, one thread', 'string ids'):6.2f}"
    )
    print(
        "from_pandas / (factorize + copy), integer ids: "
        f"{ratio('from_pandas, integer ids', 'integer ids'):6.2f}"
    )
    print(
        "from_arrow (dictionary) / (factorize + copy of the string frame): "
        f"{ratio('from_arrow, dictionary strings', 'string ids'):6.2f}"
    )
    if polars is not None:
        print(
            "from_frame (polars) / (factorize + copy of the string frame): "
            f"{ratio('from_frame, polars', 'string ids'):6.2f}"
        )


if __name__ == "__main__":
    main()

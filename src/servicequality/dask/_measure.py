"""``measure`` over the partitions of a Dask DataFrame, merged by group key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dask.dataframe as dd
from dask.base import compute
from dask.delayed import delayed

from servicequality._engine._grouping import resolve_by
from servicequality._engine._measure import (
    Accumulator,
    Measurements,
    resolve_metrics,
)
from servicequality._engine._measure import measure as measure_table
from servicequality._errors import ValidationError
from servicequality._frames import absent_fields
from servicequality._messages import MessageTable
from servicequality._schema import refuse_absent
from servicequality._table import ConversationTable

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from servicequality._engine._grouping import By
    from servicequality._model import Agent, RatingScale
    from servicequality.metrics._base import Metric

__all__ = ["measure"]


def _partial(  # noqa: PLR0917  # one task, every argument distinct
    frame: Any,
    metrics: Sequence[Metric],
    by: tuple[By, ...],
    columns: Mapping[str, str] | None,
    rating_scale: RatingScale | None,
    agents: Sequence[Agent],
    min_sample: int,
    messages: Any = None,
    message_columns: Mapping[str, str] | None = None,
) -> Measurements:
    table = ConversationTable.from_pandas(
        frame, columns=columns, rating_scale=rating_scale, agents=agents
    )
    if messages is not None:
        table = table.with_messages(
            MessageTable.from_pandas(messages, columns=message_columns)
        )
    measured = measure_table(table, metrics, by=by, min_sample=min_sample)
    return measured.detached()


_KEY = "_servicequality_key"


def _aligned(
    frame: dd.DataFrame,
    messages: dd.DataFrame,
    customer: str | None,
    columns: Mapping[str, str] | None,
    message_columns: Mapping[str, str] | None,
) -> tuple[dd.DataFrame, dd.DataFrame]:
    """Both frames shuffled on one key into equal partitions (see ``measure``)."""
    if not isinstance(messages, dd.DataFrame):
        raise ValidationError(
            "dask.measure",
            "messages",
            type(messages).__name__,
            "must be a Dask DataFrame",
        )
    conversation = (columns or {}).get("conversation_id", "conversation_id")
    talk = (message_columns or {}).get("conversation_id", "conversation_id")
    key = frame[customer if customer else conversation].astype("string")
    frame = frame.assign(**{_KEY: key})
    if customer:
        owners = frame[[conversation, _KEY]].rename(columns={conversation: talk})
        messages = messages.assign(**{talk: messages[talk].astype("string")}).merge(
            owners.assign(**{talk: owners[talk].astype("string")}), on=talk, how="left"
        )
    else:
        messages = messages.assign(**{_KEY: messages[talk].astype("string")})
    count = max(frame.npartitions, 1)
    return (
        frame.shuffle(on=_KEY, npartitions=count).drop(columns=_KEY),
        messages.shuffle(on=_KEY, npartitions=count).drop(columns=_KEY),
    )


def _merge(*parts: Measurements) -> Measurements:
    total = parts[0]
    for part in parts[1:]:
        total = total.merge(part)
    return total


def measure(  # every option is a keyword
    frame: dd.DataFrame,
    metrics: Iterable[Metric | str] | Metric | str,
    *,
    by: Sequence[By] | By = (),
    columns: Mapping[str, str] | None = None,
    rating_scale: RatingScale | None = None,
    agents: Sequence[Agent] = (),
    min_sample: int = 1,
    shuffle: bool | None = None,
    split_every: int = 8,
    messages: dd.DataFrame | None = None,
    message_columns: Mapping[str, str] | None = None,
) -> Measurements:
    """Measure ``metrics`` on a Dask DataFrame of conversations.

    Args:
        frame: One conversation per row, as for
            :meth:`ConversationTable.from_pandas`.
        metrics: Metric objects or built-in names (conversation metrics).
        by: Bys, as for :func:`servicequality.measure`.
        columns: ``{library field: frame column}``.
        rating_scale: The scale of ``rating_score``.
        agents: The roster; without it every agent counts as a human.
        min_sample: As for :func:`servicequality.measure`.
        shuffle: Move each customer's conversations into one partition first
            (needed by case-based metrics). ``None`` shuffles when a
            measured metric declares ``needs_history``.
        split_every: How many partial results one task adds.
        messages: Message events, one per row, as for
            :meth:`MessageTable.from_pandas`, for the reply metrics. Messages
            travel with their conversations: both frames are shuffled on the
            same key into the same number of partitions (the conversation
            id, or the customer id when shuffling by customer, which the
            messages get by a join), so partition *i* of each holds the same
            conversations; a message whose conversation is not beside it is
            an error, never dropped.
        message_columns: ``{library field: messages column}``.

    Returns:
        Measurements equal to measuring the whole data in one process:
        counts exactly, float sums to rounding. They hold no table, so
        ``rows()`` drill-down is not available.

    Raises:
        ValidationError: for a frame that is not a Dask DataFrame, a
            knowledge-test metric, or ``split_every`` below 2; then as
            :func:`servicequality.measure` and
            :meth:`ConversationTable.from_pandas`, from the first partition
            that fails.
    """
    if not isinstance(frame, dd.DataFrame):
        raise ValidationError(
            "dask.measure", "frame", type(frame).__name__, "must be a Dask DataFrame"
        )
    if (
        isinstance(split_every, bool)
        or not isinstance(split_every, int)
        or (split_every < 2)
    ):
        raise ValidationError(
            "dask.measure", "split_every", split_every, "must be a whole number >= 2"
        )
    chosen = resolve_metrics(metrics)
    for metric in chosen:
        if metric.reads != "conversations":
            raise ValidationError(
                "dask.measure",
                "metrics",
                metric.name,
                "rests on knowledge tests; measure those on a ConversationTable",
            )
    dimensions = resolve_by(by)
    refuse_absent(
        "dask.measure", absent_fields(frame.columns, columns), chosen, dimensions
    )
    if shuffle is None:
        shuffle = any(m.needs_history for m in chosen)
    customer = (columns or {}).get("customer_id", "customer_id")
    if messages is None:
        if shuffle:
            frame = frame.shuffle(on=customer)
        pieces: list[tuple[Any, Any]] = [
            (part, None)
            for part in frame.to_delayed()  # type: ignore[no-untyped-call]
        ]
    else:
        frame, messages = _aligned(
            frame, messages, customer if shuffle else None, columns, message_columns
        )
        pieces = list(
            zip(
                frame.to_delayed(),  # type: ignore[no-untyped-call]
                messages.to_delayed(),  # type: ignore[no-untyped-call]
                strict=True,
            )
        )
    parts = [
        delayed(_partial)(
            part,
            chosen,
            dimensions,
            columns,
            rating_scale,
            agents,
            min_sample,
            talk,
            message_columns,
        )
        for part, talk in pieces
    ]
    while len(parts) > 1:
        parts = [
            delayed(_merge)(*parts[i : i + split_every])
            for i in range(0, len(parts), split_every)
        ]
    if not parts:
        return Accumulator(chosen, by=dimensions, min_sample=min_sample).result()
    (result,) = compute(parts[0])  # type: ignore[no-untyped-call]
    merged: Measurements = result
    keys = [merged.key_codes(name) for name in merged.key_names]
    return Measurements.from_codes(
        key_names=merged.key_names,
        labels=tuple(labels for _, labels in keys),
        codes=tuple(codes for codes, _ in keys),
        metrics=chosen,
        states={m.name: merged.state(m.name) for m in chosen},
        min_sample=min_sample,
        agent_roles=merged.agent_roles,
    )

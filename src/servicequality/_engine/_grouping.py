"""The grouping engine: group keys of rows to dense group numbers.

Every dimension has one label space shared by all metrics (agents index the
agent vocabulary, periods are assigned over all timestamps at once), so the
group numbers of conversation metrics, bot metrics and knowledge-test
metrics line up. Groups come out in key order (labels in the order of each
dimension's label space), as code arrays: no Python object per group.
"""

from __future__ import annotations

from datetime import UTC
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servicequality._errors import ValidationError, WrongTypeError
from servicequality._model import Channel, Difficulty, Role
from servicequality._periods import Period, TimeGrouping

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Sequence

    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._table import ConversationTable
    from servicequality.metrics._base import Metric

__all__ = [
    "CHUNK",
    "DIMENSIONS",
    "By",
    "GroupIndex",
    "Groups",
    "combine_codes",
    "key_names",
    "order_key",
    "resolve_by",
    "split_codes",
]

DIMENSIONS = ("agent", "team", "role", "channel", "topic", "difficulty")
"""Names accepted in ``by=`` besides calendars."""
_CONVERSATION_ONLY = ("channel", "topic", "difficulty")
CHUNK = 1 << 21
"""Rows per reduction chunk: sums are added chunk by chunk in a fixed order,
so results are the same bit for bit whatever the number of threads."""

By = str | TimeGrouping
Spec = tuple[Literal["conversations", "knowledge_tests"], Literal["handler", "agent"]]
Selection = tuple[Spec, str]


def resolve_by(by: Sequence[By] | By) -> tuple[By, ...]:
    """Check ``by``: known names and calendars, each key at most once."""
    if isinstance(by, str) or hasattr(by, "assign"):
        items: tuple[Any, ...] = (by,)
    elif isinstance(by, list | tuple):
        items = tuple(by)
    else:
        raise WrongTypeError(
            "measure", "by", by, "must be a dimension name, a calendar or a sequence"
        )
    for item in items:
        if isinstance(item, str):
            if item not in DIMENSIONS:
                raise ValidationError(
                    "measure",
                    "by",
                    item,
                    f"is not a dimension; use {', '.join(DIMENSIONS)} or a calendar",
                )
        elif not hasattr(item, "assign") or not hasattr(item, "key"):
            raise WrongTypeError(
                "measure", "by", item, "must be a dimension name or a calendar"
            )
    names = key_names(items)
    if len(set(names)) != len(names):
        raise ValidationError("measure", "by", items, "names the same key twice")
    return items


def key_names(by: Sequence[By]) -> tuple[str, ...]:
    """The key of each ``by`` item: the dimension name or the calendar's key."""
    return tuple(item if isinstance(item, str) else str(item.key) for item in by)


class Groups:
    """Which group each row adds to: ``index[i]`` in ``0..count-1``, or -1 to skip.

    ``sum`` and ``count_where`` are ``np.bincount`` over the index, so states
    are plain per-group sums whatever the metric. Within one ``measure``
    call, metrics that share a population share one ``Groups``, and each
    distinct mask array is counted once.
    """

    __slots__ = ("_counted", "_map", "_memo", "_shifted", "count")

    def __init__(
        self,
        shifted: NDArray[np.intp],
        count: int,
        *,
        map_chunks: Callable[..., Iterable[NDArray[np.float64]]] = map,
        memo: dict[Hashable, Any] | None = None,
    ) -> None:
        """Hold ``index + 1`` per row (0: skip) for ``count`` groups."""
        self._shifted = shifted
        self.count = count
        self._map = map_chunks
        self._memo = {} if memo is None else memo
        self._counted: dict[int, tuple[NDArray[Any], NDArray[np.float64]]] = {}

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A value shared by the metrics of one ``measure`` call (a row mask, say).

        ``compute`` runs only for a ``key`` not seen in this call; metrics
        that build their masks from equal parts get the same array back, so
        :meth:`count_where` counts it once.
        """
        try:
            hash(key)
        except TypeError:  # a metric built from unhashable callables
            return compute()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def index(self) -> NDArray[np.intp]:
        """The group of each row, -1 for rows that add to no group."""
        return self._shifted - 1

    def _reduce(self, weights: NDArray[Any] | None) -> NDArray[np.float64]:
        size = len(self._shifted)
        minlength = self.count + 1

        def chunk(part: slice) -> NDArray[np.float64]:
            return np.bincount(
                self._shifted[part],
                weights=None if weights is None else weights[part],
                minlength=minlength,
            ).astype(np.float64, copy=False)

        total: NDArray[np.float64] | None = None
        for partial in self._map(
            chunk, [slice(s, s + CHUNK) for s in range(0, size, CHUNK)]
        ):
            total = partial if total is None else total + partial
        if total is None:
            return np.zeros(self.count)
        return total[1:]

    def sum(self, weights: NDArray[Any]) -> NDArray[np.float64]:
        """Per-group sum of ``weights`` over counted rows (length ``count``).

        The same array (the same object) is summed once per ``measure`` call.
        """
        key = id(weights)
        if key not in self._counted:
            self._counted[key] = (weights, self._reduce(weights))
        return self._counted[key][1]

    def count_where(self, mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Per-group number of counted rows where ``mask`` holds.

        The same mask array (the same object) is counted once.
        """
        return self.sum(mask)


def _spec(metric: Metric) -> Spec:
    subject: Literal["handler", "agent"] = (
        "agent" if metric.population == "bots" else "handler"
    )
    return metric.reads, subject


def _selection(metric: Metric) -> Selection:
    population = "all" if metric.reads == "knowledge_tests" else metric.population
    return _spec(metric), population


def _population_mask(selection: Selection, rows: Rows) -> NDArray[np.bool_] | None:
    population = selection[1]
    if population == "all":
        return None
    if population == "bots":
        return rows.by_bot
    return ~rows.handled_by_bot


class GroupIndex:
    """Dense group numbers for each metric's rows, and each group's key codes.

    Attributes:
        labels: Per dimension, the labels its codes index, in key order.
        codes: Per dimension, the code of every group (groups in key order).
        size: Number of groups.
    """

    def __init__(
        self,
        table: ConversationTable,
        rows: Rows,
        by: Sequence[By],
        metrics: Sequence[Metric],
        *,
        map_chunks: Callable[..., Iterable[NDArray[np.float64]]] = map,
    ) -> None:
        self._table, self._rows, self._by = table, rows, tuple(by)
        self._map = map_chunks
        specs = sorted({_spec(m) for m in metrics})
        labels: list[tuple[Any, ...]] = []
        per_dimension: dict[Spec, list[NDArray[np.int64]]] = {s: [] for s in specs}
        for item in self._by:
            dimension_labels, per_spec = _in_key_order(*self._dimension(item, specs))
            labels.append(tuple(dimension_labels))
            for spec in specs:
                per_dimension[spec].append(per_spec[spec])
        self.labels = tuple(labels)
        self._sizes = [max(len(x), 1) for x in self.labels]
        self._combined = {
            spec: combine_codes(per_dimension[spec], self._sizes) if self._by else None
            for spec in specs
        }
        selections = sorted({_selection(m) for m in metrics})
        self._masks = {s: _population_mask(s, rows) for s in selections}
        self._distinct, self._lookup = self._dense(selections)
        self.size = len(self._distinct) if self._by else 1
        self.codes = split_codes(self._distinct, self._sizes) if self._by else ()
        self._groups: dict[Selection, Groups] = {}
        self._memo: dict[Hashable, Any] = {}

    def _subject(self, spec: Spec) -> NDArray[np.int64]:
        if spec[0] == "knowledge_tests":
            return self._table.knowledge_tests["agent_id"].astype(np.int64)
        if spec[1] == "agent":
            return self._table["agent_id"].astype(np.int64)
        return self._rows.handler.astype(np.int64)

    def _dimension(
        self, item: By, specs: Sequence[Spec]
    ) -> tuple[list[Any], dict[Spec, NDArray[np.int64]]]:
        table = self._table
        if not isinstance(item, str):
            return self._calendar(item, specs)
        if item in _CONVERSATION_ONLY and any(s[0] == "knowledge_tests" for s in specs):
            raise ValidationError(
                "measure",
                "by",
                item,
                "does not apply to knowledge tests (knowledge_score)",
            )
        if item == "agent":
            labels: list[Any] = table.vocabulary("agent_id").tolist()
            return labels, {s: self._subject(s) for s in specs}
        if item == "role":
            roles = table.agent_roles.astype(np.int64)
            return list(Role), {s: roles[self._subject(s)] for s in specs}
        if item == "team":
            teams = {a.id: a.team for a in table.agents}
            labels = [None, *sorted({t for t in teams.values() if t is not None})]
            position = {label: i for i, label in enumerate(labels)}
            of_agent = np.array(
                [position[teams.get(x)] for x in table.vocabulary("agent_id").tolist()],
                dtype=np.int64,
            )
            return labels, {s: of_agent[self._subject(s)] for s in specs}
        if item == "topic":
            labels = [None, *table.vocabulary("topic").tolist()]
            return labels, {s: table["topic"].astype(np.int64) + 1 for s in specs}
        enum = Channel if item == "channel" else Difficulty
        return list(enum), {s: table[item].astype(np.int64) for s in specs}

    def _calendar(
        self, calendar: TimeGrouping, specs: Sequence[Spec]
    ) -> tuple[list[Any], dict[Spec, NDArray[np.int64]]]:
        pieces = [
            self._table.knowledge_tests["taken_at"]
            if s[0] == "knowledge_tests"
            else self._table["opened_at"]
            for s in specs
        ]
        codes, labels = calendar.assign(
            np.concatenate(pieces)
            if len(pieces) > 1
            else pieces[0]
            if pieces
            else np.array([], "datetime64[us]")
        )
        bounds = np.cumsum([len(p) for p in pieces])[:-1]
        split = np.split(codes.astype(np.int64, copy=False), bounds)
        buckets = getattr(calendar, "buckets", None)
        if buckets is not None:
            place = {bucket: i for i, bucket in enumerate(buckets)}
            of_label = np.array([place[x] for x in labels], dtype=np.int64)
            return list(buckets), {
                s: of_label[c] if len(of_label) else c
                for s, c in zip(specs, split, strict=True)
            }
        return list(labels), dict(zip(specs, split, strict=True))

    def _dense(
        self, selections: Sequence[Selection]
    ) -> tuple[NDArray[np.int64], NDArray[np.intp] | None]:
        if not self._by:
            return np.zeros(1, dtype=np.int64), None
        capacity = int(np.prod(self._sizes, dtype=object))
        used = [
            combined if mask is None else combined[mask]
            for combined, mask in (
                (self._combined[spec], self._masks[(spec, population)])
                for spec, population in selections
            )
            if combined is not None
        ]
        if capacity <= 1 << 26:
            present = np.zeros(capacity, dtype=bool)
            for codes in used:
                present |= np.bincount(codes, minlength=capacity) > 0
            return np.flatnonzero(present), np.cumsum(present, dtype=np.intp)
        if not used:
            return np.zeros(0, dtype=np.int64), None
        return np.unique(np.concatenate(used)), None

    def position(self, codes: Sequence[int]) -> int | None:
        """The group number of the key with these per-dimension codes, if any."""
        flat = 0
        for code, size in zip(codes, self._sizes, strict=True):
            flat = flat * size + int(code)
        at = int(np.searchsorted(self._distinct, flat))
        if at < len(self._distinct) and int(self._distinct[at]) == flat:
            return at
        return None

    def groups(self, metric: Metric) -> Groups:
        """The group of each of ``metric``'s rows (shared by alike metrics)."""
        selection = _selection(metric)
        if selection not in self._groups:
            self._groups[selection] = Groups(
                self._shifted(selection),
                self.size,
                map_chunks=self._map,
                memo=self._memo,
            )
        return self._groups[selection]

    def _shifted(self, selection: Selection) -> NDArray[np.intp]:
        spec = selection[0]
        combined = self._combined[spec]
        mask = self._masks[selection]
        if combined is None:
            size = (
                len(self._table.knowledge_tests["agent_id"])
                if spec[0] == "knowledge_tests"
                else len(self._table)
            )
            shifted = np.ones(size, dtype=np.intp)
        elif self._lookup is not None:
            shifted = self._lookup[combined]
        else:
            shifted = np.searchsorted(self._distinct, combined).astype(np.intp) + 1
        if mask is not None:
            shifted[~mask] = 0
        return shifted


def order_key(label: Any) -> tuple[Any, ...]:
    """Sort key of a group label.

    "None" first, periods in time order, enumeration members in definition
    order, anything else by value.
    """
    if label is None:
        return (0,)
    if isinstance(label, Period):
        return (1, label.start.astimezone(UTC))
    if isinstance(label, Enum):
        return (1, list(type(label)).index(label))
    return (1, label)


def _in_key_order(
    labels: list[Any], codes: dict[Spec, NDArray[np.int64]]
) -> tuple[list[Any], dict[Spec, NDArray[np.int64]]]:
    """Labels sorted by :func:`order_key`, codes renumbered to match."""
    order = sorted(range(len(labels)), key=lambda i: order_key(labels[i]))
    if order == list(range(len(labels))):
        return labels, codes
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return [labels[i] for i in order], {s: rank[c] for s, c in codes.items()}


def combine_codes(
    codes: Sequence[NDArray[np.int64]], sizes: Sequence[int]
) -> NDArray[np.int64]:
    """One code per row from per-dimension codes (mixed radix, first key first).

    Sorting the combined codes sorts the rows by key; ``()`` gives ``[0]``.
    """
    if not codes:
        return np.zeros(1, dtype=np.int64)
    combined = np.asarray(codes[0], dtype=np.int64).copy()
    for column, size in zip(codes[1:], sizes[1:], strict=True):
        combined *= size
        combined += column
    return combined


def split_codes(
    distinct: NDArray[np.int64], sizes: Sequence[int]
) -> tuple[NDArray[np.int64], ...]:
    """The per-dimension codes of combined codes (the inverse of ``combine_codes``)."""
    remainders = distinct.copy()
    columns = []
    for size in reversed(sizes):
        columns.append(remainders % size)
        remainders //= size
    return tuple(reversed(columns))

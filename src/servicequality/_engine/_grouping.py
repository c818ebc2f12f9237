"""The grouping engine: group keys of rows to dense group numbers.

Every dimension has one label space shared by all metrics (agents index the
agent vocabulary, periods are assigned over all timestamps at once), so the
group numbers of conversation metrics, bot metrics and knowledge-test
metrics line up. Groups come out in key order (labels in the order of each
dimension's label space), as code arrays: no Python object per group.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future
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
    "BLOCK",
    "DIMENSIONS",
    "PARALLEL_ROWS",
    "By",
    "GroupIndex",
    "Groups",
    "available_cores",
    "combine_codes",
    "in_halves",
    "key_names",
    "order_key",
    "resolve_by",
    "split_codes",
]

DIMENSIONS = ("agent", "team", "role", "channel", "topic", "difficulty")
"""Names accepted in ``by=`` besides calendars."""
_CONVERSATION_ONLY = ("channel", "topic", "difficulty")
PARALLEL_ROWS = 1 << 20
"""Tables of more rows than this are reduced on several threads."""
BLOCK = 1 << 16
"""Rows per block of the row-wise passes (their temporaries stay in cache)."""
_BITMAP_KEYS = 1 << 26
"""Up to this many possible keys, the keys present are found with a bitmap."""
_NARROW_STATE = 16
"""Wider states (histograms) are only kept for the keys present."""

By = str | TimeGrouping
Spec = tuple[Literal["conversations", "knowledge_tests"], Literal["handler", "agent"]]
Selection = tuple[Spec, str]


def available_cores() -> int:
    """The cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover  # platforms without affinity


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
    distinct array is reduced once. Arrays announced with :meth:`announce`
    start reducing at once on the call's threads while the next metric
    builds its masks; masks are counted several to a pass.
    """

    __slots__ = (
        "_counted",
        "_every",
        "_memo",
        "_most",
        "_pending",
        "_pool",
        "_queue",
        "_shifted",
        "_sizes",
        "count",
    )

    def __init__(
        self,
        shifted: NDArray[np.intp],
        count: int,
        *,
        pool: Executor | None = None,
        memo: dict[Hashable, Any] | None = None,
        every: NDArray[np.bool_] | None = None,
    ) -> None:
        """Hold ``index + 1`` per row (0: skip) for ``count`` groups.

        ``pool`` runs reductions in the background (``None``: at once, on
        the calling thread); ``every`` is the all-rows mask, counted as the
        group sizes.
        """
        self._shifted = shifted
        self.count = count
        self._pool = pool
        self._memo = {} if memo is None else memo
        self._every = every
        self._sizes: NDArray[np.int64] | None = None
        self._most: int | None = None
        self._counted: dict[int, tuple[NDArray[Any], NDArray[np.float64]]] = {}
        self._pending: dict[int, tuple[list[NDArray[Any]], Future[Any]]] = {}
        self._queue: list[NDArray[np.bool_]] = []

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

    def _bins(self, weights: NDArray[Any] | None) -> NDArray[Any]:
        return np.bincount(self._shifted, weights=weights, minlength=self.count + 1)[1:]

    def sizes(self) -> NDArray[np.int64]:
        """Rows per group (computed once)."""
        if self._sizes is None:
            self._sizes = self._bins(None)
        return self._sizes

    def announce(self, arrays: Iterable[NDArray[Any]]) -> None:
        """Start reducing ``arrays`` for later :meth:`sum` calls.

        Boolean masks are counted up to eight at a time: each row's mask
        bits become one float weight with a field per mask wide enough for
        the largest group, so one weighted ``np.bincount`` yields every
        count exactly. Each pass and each sum of values is one task;
        results are the same whatever the number of threads.
        """
        for array in arrays:
            key = id(array)
            if key in self._counted or key in self._pending:
                continue
            if array is self._every:
                self._counted[key] = (array, self.sizes().astype(np.float64))
            elif array.dtype == np.bool_ and self._per_pass() > 1:
                if all(a is not array for a in self._queue):
                    self._queue.append(array)
                if len(self._queue) == self._per_pass():
                    self._launch(self._counts, self._queue)
                    self._queue = []
            else:
                self._launch(self._total, [array])

    def prefetch(self, arrays: Iterable[NDArray[Any]]) -> None:
        """Reduce ``arrays`` now (see :meth:`announce`)."""
        listed = list(arrays)
        self.announce(listed)
        self._flush()
        for array in listed:
            self._wait(array)

    def _per_pass(self) -> int:
        return masks_per_pass(self._largest())

    def _largest(self) -> int:
        if self._most is None:
            self._most = int(self.sizes().max(initial=0))
        return self._most

    def _launch(
        self,
        reduce: Callable[[list[NDArray[Any]]], list[NDArray[Any]]],
        arrays: list[NDArray[Any]],
    ) -> None:
        future: Future[Any]
        if self._pool is None:
            future = Future()
            future.set_result(reduce(arrays))
        else:
            future = self._pool.submit(reduce, arrays)
        for array in arrays:
            self._pending[id(array)] = (arrays, future)

    def _flush(self) -> None:
        if self._queue:
            self._launch(self._counts, self._queue)
            self._queue = []

    def _wait(self, array: NDArray[Any]) -> None:
        if id(array) in self._counted:
            return
        if id(array) not in self._pending:
            if any(a is array for a in self._queue):
                self._flush()
            else:
                self._launch(self._total, [array])
        arrays, future = self._pending[id(array)]
        for done, total in zip(arrays, future.result(), strict=True):
            del self._pending[id(done)]
            self._counted[id(done)] = (done, np.asarray(total, dtype=np.float64))

    def _total(self, arrays: list[NDArray[Any]]) -> list[NDArray[Any]]:
        return [self._bins(arrays[0])]

    def _counts(self, masks: list[NDArray[np.bool_]]) -> list[NDArray[Any]]:
        width = _field_width(self._largest())
        field = np.arange(1 << len(masks))
        packing = np.asarray(
            sum(
                ((field >> j) & 1).astype(np.float64) * float(1 << (width * j))
                for j in range(len(masks))
            )
        )
        pattern = masks[0].view(np.uint8).copy()
        for shift, mask in enumerate(masks[1:], start=1):
            pattern |= mask.view(np.uint8) << shift
        packed = self._bins(packing[pattern]).astype(np.int64)
        low = (1 << width) - 1
        return [(packed >> (width * j)) & low for j in range(len(masks))]

    def sum(self, weights: NDArray[Any]) -> NDArray[np.float64]:
        """Per-group sum of ``weights`` over counted rows (length ``count``).

        The same array (the same object) is summed once per ``measure`` call.
        """
        self._wait(weights)
        return self._counted[id(weights)][1]

    def count_where(self, mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Per-group number of counted rows where ``mask`` holds.

        The same mask array (the same object) is counted once.
        """
        return self.sum(mask)


_FLOAT_BITS = 53
"""Integers up to 2**53 add exactly in float64."""
_MASKS_PER_PASS = 8


def _field_width(largest: int) -> int:
    return max(largest.bit_length(), 1)


def masks_per_pass(largest: int) -> int:
    """Masks counted in one pass when the largest group has ``largest`` rows.

    Each mask gets a bit field wide enough for ``largest``; the fields of one
    row must fit the 53 bits a float64 adds exactly. 1 means one by one.
    """
    return min(_MASKS_PER_PASS, _FLOAT_BITS // _field_width(largest))


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


Coded = tuple["NDArray[np.integer[Any]]", "NDArray[np.int64]"]
"""Row values and the key code of each value: a row's code is ``mapping[raw]``."""


class GroupIndex:
    """Group numbers for each metric's rows, and each group's key codes.

    Rows are numbered by the mixed-radix code of their keys (first key
    first, so numbers follow key order). When there are no more possible
    keys than rows and every state is narrow, that code is the group number
    itself (groups without rows are dropped by :meth:`finish`); otherwise
    the codes present are numbered densely first.

    Attributes:
        labels: Per dimension, the labels its codes index, in key order.
        size: Number of group numbers (possible keys, or keys present).
    """

    def __init__(
        self,
        table: ConversationTable,
        rows: Rows,
        by: Sequence[By],
        metrics: Sequence[Metric],
        *,
        pool: Executor | None = None,
    ) -> None:
        self._table, self._rows, self._by = table, rows, tuple(by)
        self._pool = pool
        specs = sorted({_spec(m) for m in metrics})
        labels: list[tuple[Any, ...]] = []
        self._coded: dict[Spec, list[Coded]] = {s: [] for s in specs}
        for item in self._by:
            dimension_labels, per_spec = _in_key_order(*self._dimension(item, specs))
            labels.append(tuple(dimension_labels))
            for spec in specs:
                self._coded[spec].append(per_spec[spec])
        self.labels = tuple(labels)
        self._sizes = [max(len(x), 1) for x in self.labels]
        self._strides = [
            int(np.prod(self._sizes[i + 1 :], dtype=np.int64))
            for i in range(len(self._sizes))
        ]
        capacity = int(np.prod(self._sizes, dtype=object))
        self._selections = sorted({_selection(m) for m in metrics})
        self._masks = {s: _population_mask(s, rows) for s in self._selections}
        self._direct = not self._by or (
            capacity <= max(len(table), 1 << 10)
            and max((m.width for m in metrics), default=0) <= _NARROW_STATE
        )
        self._distinct: NDArray[np.int64] | None = None
        self._numbered: dict[Selection, NDArray[np.intp]] = {}
        if self._direct:
            self.size = capacity
        else:
            self._distinct = self._dense(capacity)
            self.size = len(self._distinct)
        self._groups: dict[Selection, Groups] = {}
        self._memo: dict[Hashable, Any] = {}

    def _length(self, spec: Spec) -> int:
        if spec[0] == "knowledge_tests":
            return len(self._table.knowledge_tests["agent_id"])
        return len(self._table)

    def _subject(self, spec: Spec) -> NDArray[np.integer[Any]]:
        if spec[0] == "knowledge_tests":
            return self._table.knowledge_tests["agent_id"]
        if spec[1] == "agent":
            return self._table["agent_id"]
        return self._rows.handler

    def _dimension(
        self, item: By, specs: Sequence[Spec]
    ) -> tuple[list[Any], dict[Spec, Coded]]:
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
        agents = len(table.vocabulary("agent_id"))
        if item == "agent":
            labels: list[Any] = table.vocabulary("agent_id").tolist()
            of_agent = np.arange(agents, dtype=np.int64)
        elif item == "role":
            labels = list(Role)
            of_agent = table.agent_roles.astype(np.int64)
        elif item == "team":
            teams = {a.id: a.team for a in table.agents}
            labels = [None, *sorted({t for t in teams.values() if t is not None})]
            position = {label: i for i, label in enumerate(labels)}
            of_agent = np.array(
                [position[teams.get(x)] for x in table.vocabulary("agent_id").tolist()],
                dtype=np.int64,
            )
        elif item == "topic":
            labels = [None, *table.vocabulary("topic").tolist()]
            # code -1 (no topic) indexes the last entry: the label None
            of_topic = np.append(np.arange(1, len(labels)), 0).astype(np.int64)
            return labels, dict.fromkeys(specs, (table["topic"], of_topic))
        else:
            enum = Channel if item == "channel" else Difficulty
            identity = np.arange(len(enum), dtype=np.int64)
            return list(enum), dict.fromkeys(specs, (table[item], identity))
        return labels, {s: (self._subject(s), of_agent) for s in specs}

    def _calendar(
        self, calendar: TimeGrouping, specs: Sequence[Spec]
    ) -> tuple[list[Any], dict[Spec, Coded]]:
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
        split = np.split(codes, bounds) if pieces else []
        buckets = getattr(calendar, "buckets", None)
        if buckets is not None:
            place = {bucket: i for i, bucket in enumerate(buckets)}
            of_label = np.array([place[x] for x in labels], dtype=np.int64)
            return list(buckets), {
                s: (c, of_label) for s, c in zip(specs, split, strict=True)
            }
        identity = np.arange(len(labels), dtype=np.int64)
        return list(labels), {
            s: (c, identity) for s, c in zip(specs, split, strict=True)
        }

    def _combined(self, selection: Selection, offset: int) -> NDArray[np.intp]:
        """Per row: the key's mixed-radix code plus ``offset``; 0 off population."""
        spec = selection[0]
        coded = self._coded[spec]
        mask = self._masks[selection]
        out = np.empty(self._length(spec), dtype=np.intp)
        lookups = [
            mapping * stride
            for (_, mapping), stride in zip(coded, self._strides, strict=True)
        ]

        def rows(part: slice) -> None:
            for start in range(part.start, part.stop, BLOCK):
                block = slice(start, min(start + BLOCK, part.stop))
                code = np.full(block.stop - block.start, offset, dtype=np.intp)
                for (raw, _), lookup in zip(coded, lookups, strict=True):
                    code += lookup[raw[block]]
                if mask is not None:
                    code *= mask[block]
                out[block] = code

        in_halves(len(out), rows, self._pool)
        return out

    def _dense(self, capacity: int) -> NDArray[np.int64]:
        """Number the key codes present densely; keep each selection's numbers.

        Up to 2**26 possible keys a bitmap of them is ranked; beyond, the
        codes present are sorted once.
        """
        combined = {s: self._combined(s, 1) for s in self._selections}
        if capacity <= _BITMAP_KEYS:
            present = np.zeros(capacity + 1, dtype=bool)
            for codes in combined.values():
                present[codes] = True
            present[0] = False
            rank = np.cumsum(present, dtype=np.intp)
            self._numbered = {s: rank[codes] for s, codes in combined.items()}
            return np.flatnonzero(present).astype(np.int64) - 1
        inside = {s: codes > 0 for s, codes in combined.items()}
        distinct, inverse = np.unique(
            np.concatenate([c[inside[s]] for s, c in combined.items()]),
            return_inverse=True,
        )
        start = 0
        for selection, codes in combined.items():
            stop = start + int(np.count_nonzero(inside[selection]))
            codes[inside[selection]] = inverse.reshape(-1)[start:stop] + 1
            start = stop
        self._numbered = combined
        return distinct.astype(np.int64) - 1

    def position(self, codes: Sequence[int]) -> int | None:
        """The group number of the key with these per-dimension codes, if any."""
        flat = sum(
            int(code) * stride
            for code, stride in zip(codes, self._strides, strict=True)
        )
        if self._distinct is None:
            return flat
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
                pool=self._pool,
                memo=self._memo,
                every=None
                if selection[0][0] == "knowledge_tests"
                else self._rows.every,
            )
        return self._groups[selection]

    def _shifted(self, selection: Selection) -> NDArray[np.intp]:
        if self._direct:
            return self._combined(selection, 1)
        return self._numbered[selection]

    def present(self) -> NDArray[np.intp]:
        """Group numbers that have rows for at least one metric, ascending."""
        if not self._by:
            return np.zeros(1, dtype=np.intp)
        if not self._direct:
            return np.arange(self.size, dtype=np.intp)
        seen = np.zeros(self.size, dtype=bool)
        for selection in self._selections:
            if selection not in self._groups:
                continue
            seen |= self._groups[selection].sizes() > 0
        return np.flatnonzero(seen)

    def finish(
        self, states: dict[str, NDArray[np.float64]]
    ) -> tuple[tuple[NDArray[np.int64], ...], dict[str, NDArray[np.float64]]]:
        """Per dimension the code of each group present, and their states.

        ``states`` hold a row per group number; groups come out in key order
        (first key first), and groups without rows for any metric are dropped.
        """
        if not self._by:
            return (), states
        present = self.present()
        flat = (
            present.astype(np.int64)
            if self._distinct is None
            else self._distinct[present]
        )
        if self._distinct is None and len(present) < self.size:
            states = {
                name: np.take(state, present, axis=0) for name, state in states.items()
            }
        return split_codes(flat, self._sizes), states


def in_halves(size: int, work: Callable[[slice], None], pool: Executor | None) -> None:
    """``work`` on two block-aligned halves of ``range(size)``, on ``pool``.

    Without a pool the halves run one after the other; they do not overlap,
    so the result is the same either way.
    """
    middle = (size // 2 // BLOCK) * BLOCK
    halves = [slice(0, middle), slice(middle, size)]
    for _ in map(work, halves) if pool is None else pool.map(work, halves):
        pass


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
    labels: list[Any], coded: dict[Spec, Coded]
) -> tuple[list[Any], dict[Spec, Coded]]:
    """Labels sorted by :func:`order_key`, their code mappings renumbered to match."""
    order = sorted(range(len(labels)), key=lambda i: order_key(labels[i]))
    if order == list(range(len(labels))):
        return labels, coded
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return [labels[i] for i in order], {
        s: (raw, rank[mapping]) for s, (raw, mapping) in coded.items()
    }


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

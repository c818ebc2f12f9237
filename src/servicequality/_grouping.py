"""The grouping engine: group keys of rows to dense group numbers.

Every dimension has one label space shared by all metrics (agents index the
agent vocabulary, periods are assigned over all timestamps at once), so the
group numbers of conversation metrics, bot metrics and knowledge-test
metrics line up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servicequality._errors import ValidationError
from servicequality._model import Channel, Difficulty, Role
from servicequality._periods import HourOfDay, TimeGrouping
from servicequality.metrics._base import Groups

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servicequality._table import ConversationTable
    from servicequality.metrics._base import Metric
    from servicequality.metrics._rows import Rows

__all__ = ["DIMENSIONS", "GroupIndex", "key_names", "resolve_by"]

DIMENSIONS = ("agent", "team", "role", "channel", "topic", "difficulty")
"""Names accepted in ``by=`` besides calendars."""
_CONVERSATION_ONLY = ("channel", "topic", "difficulty")

Dimension = str | TimeGrouping
Spec = tuple[Literal["conversations", "knowledge_tests"], Literal["handler", "agent"]]


def resolve_by(by: Sequence[Dimension] | Dimension) -> tuple[Dimension, ...]:
    """Check ``by``: known names and calendars, each key at most once."""
    items: tuple[Any, ...] = (
        (by,) if isinstance(by, str) or hasattr(by, "assign") else tuple(by)
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
            raise ValidationError(
                "measure", "by", item, "must be a dimension name or a calendar"
            )
    names = key_names(items)
    if len(set(names)) != len(names):
        raise ValidationError("measure", "by", items, "names the same key twice")
    return items


def key_names(by: Sequence[Dimension]) -> tuple[str, ...]:
    """The key of each ``by`` item: the dimension name, ``period`` or ``hour``."""
    return tuple(item if isinstance(item, str) else str(item.key) for item in by)


def _spec(metric: Metric) -> Spec:
    subject: Literal["handler", "agent"] = (
        "agent" if metric.population == "bots" else "handler"
    )
    return metric.rows, subject


Selection = tuple[Spec, str]


def _selection(metric: Metric) -> Selection:
    population = "all" if metric.rows == "knowledge_tests" else metric.population
    return _spec(metric), population


def _population_mask(selection: Selection, rows: Rows) -> NDArray[np.bool_] | None:
    population = selection[1]
    if population == "all":
        return None
    if population == "bots":
        return rows.by_bot
    return ~rows.handled_by_bot


class GroupIndex:
    """Dense group numbers for each metric's rows, and each group's key.

    Attributes:
        keys: One tuple of labels per group, in ``by`` order, sorted.
    """

    def __init__(
        self,
        table: ConversationTable,
        rows: Rows,
        by: Sequence[Dimension],
        metrics: Sequence[Metric],
    ) -> None:
        self._table, self._rows, self._by = table, rows, tuple(by)
        specs = sorted({_spec(m) for m in metrics})
        self._labels: list[list[Any]] = []
        self._codes: dict[Spec, list[NDArray[np.int64]]] = {spec: [] for spec in specs}
        for item in self._by:
            labels, per_spec = self._dimension(item, specs)
            self._labels.append(labels)
            for spec in specs:
                self._codes[spec].append(per_spec[spec])
        sizes = [max(len(labels), 1) for labels in self._labels]
        self._combined = {
            spec: self._combine(self._codes[spec], sizes) for spec in specs
        }
        selections = sorted({_selection(m) for m in metrics})
        self._masks = {s: _population_mask(s, rows) for s in selections}
        self.keys = self._dense(selections, sizes)
        self._groups: dict[Selection, Groups] = {}

    def _subject(self, spec: Spec) -> NDArray[np.int64]:
        if spec[0] == "knowledge_tests":
            return self._table.knowledge_tests["agent_id"].astype(np.int64)
        if spec[1] == "agent":
            return self._table["agent_id"].astype(np.int64)
        return self._rows.handler.astype(np.int64)

    def _dimension(
        self, item: Dimension, specs: Sequence[Spec]
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
            np.concatenate(pieces) if pieces else np.array([], "datetime64[us]")
        )
        bounds = np.cumsum([len(p) for p in pieces])[:-1]
        split = np.split(codes.astype(np.int64), bounds)
        if isinstance(calendar, HourOfDay):
            hours = np.array(labels, dtype=np.int64)
            return list(range(24)), {
                s: hours[c] if len(hours) else c
                for s, c in zip(specs, split, strict=True)
            }
        return list(labels), dict(zip(specs, split, strict=True))

    @staticmethod
    def _combine(
        codes: Sequence[NDArray[np.int64]], sizes: Sequence[int]
    ) -> NDArray[np.int64] | None:
        if not codes:
            return None
        combined = codes[0].copy()
        for column, size in zip(codes[1:], sizes[1:], strict=True):
            combined *= size
            combined += column
        return combined

    def _dense(
        self, selections: Sequence[Selection], sizes: Sequence[int]
    ) -> tuple[tuple[Any, ...], ...]:
        self._lookup: NDArray[np.int64] | None = None
        self._distinct = np.array([], dtype=np.int64)
        if not self._by:
            return ((),)
        capacity = int(np.prod(sizes, dtype=object))
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
            self._distinct = np.flatnonzero(present)
            self._lookup = np.cumsum(present) - 1
        else:
            self._distinct = np.unique(np.concatenate(used))
        remainders = self._distinct.copy()
        columns = []
        for size in reversed(sizes):
            columns.append(remainders % size)
            remainders //= size
        columns.reverse()
        return tuple(
            tuple(labels[code] for labels, code in zip(self._labels, row, strict=True))
            for row in zip(*(c.tolist() for c in columns), strict=True)
        )

    def groups(self, metric: Metric) -> Groups:
        """The group of each of ``metric``'s rows (shared by alike metrics)."""
        selection = _selection(metric)
        if selection not in self._groups:
            self._groups[selection] = Groups(self._index(selection), len(self.keys))
        return self._groups[selection]

    def _index(self, selection: Selection) -> NDArray[np.intp]:
        spec = selection[0]
        combined = self._combined[spec]
        mask = self._masks[selection]
        if combined is None:
            size = (
                len(self._table.knowledge_tests["agent_id"])
                if spec[0] == "knowledge_tests"
                else len(self._table)
            )
            index = np.zeros(size, dtype=np.intp)
        elif self._lookup is not None:
            index = self._lookup[combined].astype(np.intp)
        else:
            index = np.searchsorted(self._distinct, combined).astype(np.intp)
        if mask is not None:
            index[~mask] = -1
        return index

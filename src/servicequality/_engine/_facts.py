"""Derived per-row facts that metrics share, computed once per table."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality._engine._cases import Cases, derive_cases
from servicequality._engine._grouping import BLOCK
from servicequality._errors import UnknownKeyError
from servicequality._model import Role
from servicequality._schema import absent_hint

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from datetime import timedelta

    from numpy.typing import NDArray

    from servicequality._hours import ServiceHours
    from servicequality._table import ConversationTable

__all__ = ["Rows"]


def _seconds(later: NDArray[Any], earlier: NDArray[Any]) -> NDArray[np.float64]:
    """Elapsed seconds between ``datetime64[us]`` columns, NaN where either is NaT."""
    seconds = np.empty(len(later))
    for start in range(0, len(later), BLOCK):
        part = slice(start, start + BLOCK)
        np.divide(
            np.subtract(later[part], earlier[part]),
            np.timedelta64(1, "s"),
            out=seconds[part],
        )
    return seconds


class Rows:
    """A table's columns plus the derived facts metrics are written in.

    ``rows["resolved"]`` is the table column; attributes such as
    :attr:`satisfied` or :attr:`first_response_seconds` are derived once and
    cached. Obtain one with :meth:`of`.
    """

    def __init__(self, table: ConversationTable) -> None:
        self.table = table

    @classmethod
    def of(cls, table: ConversationTable) -> Rows:
        """The derived view of ``table``, kept with the table."""
        rows: Rows = table.derived("rows", lambda: cls(table))
        return rows

    def derived(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A fact computed once per table and ``key`` (see the table's ``derived``)."""
        return self.table.derived(key, compute)

    def __getitem__(self, name: str) -> NDArray[Any]:
        """The table column ``name`` (see :meth:`require`)."""
        self.require(name)
        return self.table[name]

    def require(self, name: str) -> None:
        """Refuse to go on when the table's input lacked the column ``name``.

        Raises:
            UnknownKeyError: for a column in
                :attr:`ConversationTable.absent_columns`: a metric that reads
                it would otherwise count the stored "none" as data.
        """
        if name in self.table.absent_columns:
            raise UnknownKeyError(
                "Rows",
                "column",
                name,
                "is absent from the table, so no metric may read it; "
                + absent_hint(name),
            )

    def __len__(self) -> int:
        return len(self.table)

    @functools.cached_property
    def handler(self) -> NDArray[np.integer[Any]]:
        """Agent code each row counts for: ``transferred_to``, else ``agent_id``."""
        handed = self.table["transferred_to"]
        return np.where(handed >= 0, handed, self.table["agent_id"])

    @functools.cached_property
    def handler_role(self) -> NDArray[np.int8]:
        """:class:`Role` code of :attr:`handler`."""
        return np.asarray(self.table.agent_roles[self.handler], dtype=np.int8)

    @functools.cached_property
    def agent_role(self) -> NDArray[np.int8]:
        """:class:`Role` code of ``agent_id`` (who took the conversation first)."""
        return np.asarray(self.table.agent_roles[self.table["agent_id"]], dtype=np.int8)

    @functools.cached_property
    def by_bot(self) -> NDArray[np.bool_]:
        """Conversations a bot took first."""
        return np.asarray(self.agent_role == Role.BOT.code, dtype=bool)

    @functools.cached_property
    def handled_by_bot(self) -> NDArray[np.bool_]:
        """Conversations that count for a bot (taken by it and not handed over)."""
        return np.asarray(self.handler_role == Role.BOT.code, dtype=bool)

    @functools.cached_property
    def every(self) -> NDArray[np.bool_]:
        """All rows (one shared array, so it is counted once per grouping)."""
        return np.ones(len(self.table), dtype=bool)

    @functools.cached_property
    def rated(self) -> NDArray[np.bool_]:
        """Conversations with a customer rating."""
        return self.table["rating_scale"] >= 0

    def _scale_bound(self, name: str) -> NDArray[np.int64] | int:
        scales = self.table.rating_scales
        if len(scales) <= 1:
            return int(getattr(scales[0], name)) if scales else 0
        bounds = np.array([getattr(s, name) for s in scales])
        return np.asarray(
            bounds[np.maximum(self.table["rating_scale"], 0)], dtype=np.int64
        )

    @functools.cached_property
    def satisfied(self) -> NDArray[np.bool_]:
        """Rated conversations whose score counts as satisfied on its scale."""
        return self.rated & (
            self.table["rating_score"] >= self._scale_bound("satisfied_from")
        )

    @functools.cached_property
    def dissatisfied(self) -> NDArray[np.bool_]:
        """Rated conversations whose score counts as dissatisfied on its scale."""
        return self.rated & (
            self.table["rating_score"] <= self._scale_bound("dissatisfied_to")
        )

    @functools.cached_property
    def neutral(self) -> NDArray[np.bool_]:
        """Rated conversations neither satisfied nor dissatisfied."""
        return self.rated & ~self.satisfied & ~self.dissatisfied

    @functools.cached_property
    def reviewed(self) -> NDArray[np.bool_]:
        """Conversations with a quality review."""
        return self.table["reviewer_id"] >= 0

    @functools.cached_property
    def first_response_seconds(self) -> NDArray[np.float64]:
        """Seconds from opening to the first reply; NaN without a reply."""
        return self.elapsed("first_response_at", None)

    @functools.cached_property
    def resolution_seconds(self) -> NDArray[np.float64]:
        """Seconds from opening to closing; NaN while open."""
        return self.elapsed("closed_at", None)

    def elapsed(self, column: str, clock: ServiceHours | None) -> NDArray[np.float64]:
        """Seconds from opening to ``column`` on ``clock`` (calendar time if None).

        NaN where ``column`` is NaT. Cached per column and clock.
        """
        opened, later = self.table["opened_at"], self.table[column]
        seconds: NDArray[np.float64] = self.derived(
            ("elapsed", column, clock),
            lambda: (
                _seconds(later, opened)
                if clock is None
                else clock.business_seconds(opened, later)
            ),
        )
        return seconds

    def opened_inside(self, window: ServiceHours) -> NDArray[np.bool_]:
        """Conversations opened inside ``window`` (cached per window)."""
        inside: NDArray[np.bool_] = self.derived(
            ("opened_inside", window),
            lambda: window.contains(self.table["opened_at"]),
        )
        return inside

    def cases(self, window: timedelta) -> Cases:
        """Case facts for chains within ``window`` (cached per window).

        Raises:
            UnknownKeyError: for a table without ``customer_id``.
        """
        self.require("customer_id")
        cases: Cases = self.derived(
            ("cases", window), lambda: derive_cases(self.table, window)
        )
        return cases

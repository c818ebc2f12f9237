"""Pieces the catalogue modules share: populations, common masks, option checks."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np

from servicequality._errors import ValidationError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows

__all__ = [
    "DEFAULT_WINDOW",
    "Statistic",
    "case_window",
    "closed",
    "every",
    "population_of",
    "positive_timedelta",
    "rated",
    "resolved",
    "reviewed",
]


Statistic = Literal["mean", "median", "p90"]

DEFAULT_WINDOW = timedelta(days=7)


def population_of(include_bots: bool) -> Literal["humans", "all"]:  # noqa: FBT001
    return "all" if include_bots else "humans"


def every(rows: Rows) -> NDArray[np.bool_]:
    return rows.every


def rated(rows: Rows) -> NDArray[np.bool_]:
    return rows.rated


def resolved(rows: Rows) -> NDArray[np.bool_]:
    return rows["resolved"]


def reviewed(rows: Rows) -> NDArray[np.bool_]:
    return rows.reviewed


def closed(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(~np.isnat(rows["closed_at"]), dtype=bool)


def positive_timedelta(limit: object, owner: str, field: str) -> timedelta:
    if not isinstance(limit, timedelta) or limit <= timedelta(0):
        raise ValidationError(owner, field, limit, "must be a positive timedelta")
    return limit


def case_window(window: timedelta, name: str) -> timedelta:
    return positive_timedelta(window, name, "window")

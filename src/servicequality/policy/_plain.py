"""Plain-data checks shared by the policy objects: every error is a PolicyError."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from servicequality._errors import PolicyError

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

__all__ = ["expect_keys", "number", "optional_number", "text", "when"]


def expect_keys(
    owner: str, data: object, required: Collection[str], optional: Collection[str] = ()
) -> Mapping[str, Any]:
    """``data`` as a mapping with exactly the known keys."""
    if not isinstance(data, dict):
        msg = f"{owner}: expected a mapping, got {data!r}"
        raise PolicyError(msg)
    for key in data:
        if key not in required and key not in optional:
            known = ", ".join([*required, *optional])
            msg = f"{owner}: unknown key {key!r}; known keys: {known}"
            raise PolicyError(msg)
    for key in required:
        if key not in data:
            msg = f"{owner}: missing key {key!r}"
            raise PolicyError(msg)
    return data


def number(owner: str, key: str, value: object) -> float:
    """A finite real number (not a bool)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
    ):
        msg = f"{owner}.{key} = {value!r}: must be a finite number"
        raise PolicyError(msg)
    return float(value)


def optional_number(owner: str, key: str, value: object) -> float | None:
    """``None`` or a finite number."""
    return None if value is None else number(owner, key, value)


def text(owner: str, key: str, value: object) -> str:
    """A non-blank string."""
    if not isinstance(value, str) or not value.strip():
        msg = f"{owner}.{key} = {value!r}: must be a non-empty string"
        raise PolicyError(msg)
    return value


def when(owner: str, key: str, value: object) -> datetime:
    """A timezone-aware datetime, or an ISO 8601 string with an offset."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            msg = f"{owner}.{key} = {value!r}: must be an ISO 8601 datetime"
            raise PolicyError(msg) from None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        msg = f"{owner}.{key} = {value!r}: must be a timezone-aware datetime"
        raise PolicyError(msg)
    return value

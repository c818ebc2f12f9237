"""HTML tables for notebooks: escaped, right-aligned numbers, truncated rows."""

from __future__ import annotations

import html
import math
from datetime import time, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from servicequality._periods import Period

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_ROWS = 50
"""Rows shown before a table is cut, with a count of the rest."""

BEST = "#d8f0dc"
MIDDLE = "#fdf1c7"
WORST = "#f8d7da"
GREY = "#e9ecef"

Cell = str | tuple[str, str] | tuple[str, str, str]
"""Text, or (text, background colour), or (text, background, tooltip)."""

_STYLE = (
    "border-collapse:collapse;font-size:0.9em;"
    "font-variant-numeric:tabular-nums;margin:0.3em 0"
)
_CELL = "padding:0.2em 0.6em;border-bottom:1px solid #ddd;"


def label(value: Any) -> str:
    """A short, readable label for a group key or value."""
    if value is None:
        return "—"
    if isinstance(value, Period):
        return period_label(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def period_label(period: Period) -> str:
    """``2025-11-17 – 2025-11-23`` for whole days, else both instants."""
    start, end = period.start, period.end
    whole_days = start.timetz().replace(tzinfo=None) == time() and (
        end.timetz().replace(tzinfo=None) == time()
    )
    if whole_days:
        last = (end - timedelta(days=1)).date()
        if last == start.date():
            return start.date().isoformat()
        return f"{start.date().isoformat()} – {last.isoformat()}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {start:%z}"


def number(value: float, unit: str = "") -> str:
    """A value in its unit: shares as percentages, seconds with ``s``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "seconds":
        return f"{value:,.0f} s"
    if unit in {"count", "points"}:
        return f"{value:,.6g}"
    return f"{value:.3g}"


def interval(low: float, high: float, unit: str = "") -> str:
    """``[low – high]``, or empty when undefined or exact."""
    if math.isnan(low) or math.isnan(high) or low == high:
        return ""
    return f"[{number(low, unit)} – {number(high, unit)}]"


def tier_colour(position: int, count: int) -> str:
    """Background of the tier at ``position`` (0 = best) among ``count``."""
    if position < 0:
        return GREY
    if position == 0:
        return BEST
    if position >= count - 1:
        return WORST
    return MIDDLE


def _cell(value: Cell, *, tag: str, right: bool) -> str:
    text, background, tooltip = (
        (value, "", "") if isinstance(value, str) else (*value, "")[:3]
    )
    style = _CELL + ("text-align:right;" if right else "text-align:left;")
    if background:
        style += f"background:{background};"
    title = f' title="{html.escape(tooltip)}"' if tooltip else ""
    return f'<{tag} style="{style}"{title}>{html.escape(text)}</{tag}>'


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    caption: str = "",
    right: Sequence[int] = (),
    limit: int = MAX_ROWS,
    total: int | None = None,
) -> str:
    """An HTML table; columns in ``right`` are right-aligned; cut at ``limit``.

    ``total`` is the number of rows in all when ``rows`` holds only the
    first ones.
    """
    aligned = set(right)
    head = "".join(
        _cell(h, tag="th", right=i in aligned) for i, h in enumerate(headers)
    )
    body = [
        "<tr>"
        + "".join(_cell(c, tag="td", right=i in aligned) for i, c in enumerate(row))
        + "</tr>"
        for row in rows[:limit]
    ]
    count = len(rows) if total is None else total
    more = count - min(len(rows), limit)
    if more > 0:
        body.append(
            f'<tr><td colspan="{len(headers)}" style="{_CELL}font-style:italic">'
            f"… {more} more row{'s' * (more != 1)} ({count} in all)</td></tr>"
        )
    title = (
        f'<caption style="text-align:left;font-weight:bold">'
        f"{html.escape(caption)}</caption>"
        if caption
        else ""
    )
    return (
        f'<table style="{_STYLE}">{title}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def paragraph(text: str) -> str:
    """An escaped paragraph."""
    return f'<p style="margin:0.2em 0">{html.escape(text)}</p>'

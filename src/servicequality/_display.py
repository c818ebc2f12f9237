"""HTML tables for notebooks: escaped, right-aligned numbers, truncated rows."""

from __future__ import annotations

import html
import math
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality._model import Channel, Difficulty, Role
from servicequality._periods import Period

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servicequality._table import ConversationTable

MAX_ROWS = 50
"""Rows shown before a table is cut, with a count of the rest."""
PREVIEW_ROWS = 5
"""Conversations and rejects a table's notebook view shows."""

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
        return value.label
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


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


def _minute(instant: np.datetime64) -> str:
    return (
        "—"
        if np.isnat(instant)
        else str(instant.astype("datetime64[m]")).replace("T", " ")
    )


def _share(part: int, whole: int) -> str:
    return f"{part:,}" if not whole else f"{part:,} ({part / whole:.1%})"


def _overview(shop: ConversationTable) -> list[list[Cell]]:
    n = len(shop)
    opened = shop["opened_at"]
    roles = shop.agent_roles.tolist()
    counts = {r: roles.count(r.code) for r in Role}
    workers = ", ".join(
        f"{c} {r.value}{'s' * (c != 1)}" for r, c in counts.items() if c
    )
    customers = shop["customer_id"]
    scales = ", ".join(s.name for s in shop.rating_scales) or "none"
    span = f"{_minute(opened.min())} – {_minute(opened.max())}" if n else "—"
    return [
        ["conversations", f"{n:,}"],
        ["opened (UTC)", span],
        ["workers", workers or "—"],
        ["customers", f"{np.count_nonzero(np.bincount(customers[customers >= 0])):,}"],
        ["rated", f"{_share(int((shop['rating_scale'] >= 0).sum()), n)} · {scales}"],
        ["quality-reviewed", _share(int((shop["reviewer_id"] >= 0).sum()), n)],
        ["rejected records", f"{len(shop.rejects):,}"],
    ]


_ROW_HEADERS = (
    "conversation",
    "agent",
    "opened (UTC)",
    "channel",
    "topic",
    "difficulty",
    "resolved",
    "rating",
)


def _row(shop: ConversationTable, i: int) -> list[Cell]:
    """Row ``i`` of the table in words, in the order of ``_ROW_HEADERS``."""
    topic, scale = int(shop["topic"][i]), int(shop["rating_scale"][i])
    channel, difficulty = int(shop["channel"][i]), int(shop["difficulty"][i])
    return [
        str(shop.vocabulary("conversation_id")[shop["conversation_id"][i]]),
        str(shop.vocabulary("agent_id")[shop["agent_id"][i]]),
        _minute(shop["opened_at"][i]),
        "—" if channel < 0 else Channel.from_code(channel).value,
        "—" if topic < 0 else str(shop.vocabulary("topic")[topic]),
        "—" if difficulty < 0 else Difficulty.from_code(difficulty).value,
        "yes" if shop["resolved"][i] else "no",
        "—"
        if scale < 0
        else f"{shop['rating_score'][i]} of {shop.rating_scales[scale].name}",
    ]


def conversation_table(shop: ConversationTable) -> str:
    """A table's notebook view: what it holds, its first rows, its first rejects."""
    parts = [
        table(
            ["", ""],
            _overview(shop),
            caption=f"ConversationTable: {len(shop):,} conversations",
            right=[1],
        )
    ]
    if len(shop):
        parts.append(
            table(
                _ROW_HEADERS,
                [_row(shop, i) for i in range(min(len(shop), PREVIEW_ROWS))],
                caption="First conversations",
                limit=PREVIEW_ROWS,
                total=len(shop),
            )
        )
    if shop.rejects:
        parts.append(
            table(
                ["kind", "index", "id", "field", "reason"],
                [
                    [r.kind, str(r.index), r.id or "—", r.field, r.reason]
                    for r in shop.rejects[:PREVIEW_ROWS]
                ],
                caption="Rejected records",
                right=[1],
                limit=PREVIEW_ROWS,
                total=len(shop.rejects),
            )
        )
    return "".join(parts)

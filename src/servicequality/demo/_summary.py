"""A plain-text summary of a conversation table, for the command line."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from servicequality._engine._measure import measure
from servicequality._model import Role
from servicequality.metrics._catalogue import (
    conversation_count,
    first_contact_resolution,
    first_response_time,
    standard_catalogue,
)

if TYPE_CHECKING:
    from servicequality._engine._measure import Measurement
    from servicequality._table import ConversationTable

__all__ = ["format_value", "summary"]


def format_value(unit: str, value: float) -> str:
    """A value for people: shares as percents, seconds, scores, counts; NaN as n/a."""
    if math.isnan(value):
        return "n/a"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "seconds":
        return f"{value:,.0f} s"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "points":
        return f"{value:,.1f}"
    return f"{value:.2f}"


def _line(m: Measurement) -> str:
    value = format_value(m.unit, m.value)
    if m.unit in ("count", "points") or math.isnan(m.low):
        return f"  {m.metric:<26} {value:>10}   (n = {m.n:,})"
    interval = f"{format_value(m.unit, m.low)} – {format_value(m.unit, m.high)}"
    return f"  {m.metric:<26} {value:>10}   (n = {m.n:,}, 95 % CI {interval})"


def summary(table: ConversationTable) -> str:
    """Every built-in metric for the whole table, then a line per human agent.

    The header splits the conversations into those people handled (what
    ``conversation_count`` counts) and those the bot finished alone. Values
    rest on the numbers shown (n); an empty table reads ``n/a``.
    """
    roles = table.agent_roles.tolist()
    teams = {a.team for a in table.agents if a.team is not None}
    whole = measure(table, standard_catalogue())
    by_people = whole.get("conversation_count").n
    lines = [
        f"{len(table):,} conversations: {by_people:,} handled by people, "
        f"{len(table) - by_people:,} by the bot alone",
        f"{roles.count(Role.AGENT.code)} agents in {len(teams)} teams · "
        f"{roles.count(Role.SUPERVISOR.code)} supervisor(s) · "
        f"{roles.count(Role.BOT.code)} bot(s)",
        "",
        "Whole shop (human agents; bot metrics for the bot's own conversations)",
    ]
    lines += [_line(whole.get(name)) for name in whole.metric_names]
    per_agent = measure(
        table,
        [
            conversation_count(),
            "satisfaction_rate",
            first_contact_resolution(),
            first_response_time(statistic="median"),
        ],
        by="agent",
    )
    lines += [
        "",
        "By agent: conversations · satisfaction · first-contact resolution"
        " · median first reply",
    ]
    for (agent,) in per_agent.keys:
        cells = [per_agent.get(name, agent=agent) for name in per_agent.metric_names]
        shown = " · ".join(format_value(c.unit, c.value) for c in cells)
        lines.append(f"  {agent:<6} {shown}")
    return "\n".join(lines)

"""A plain-text summary of a conversation table, for the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality._model import Channel, Difficulty, Role

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._table import ConversationTable

__all__ = ["summary"]


def _share(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{100 * part / whole:.1f} %"


def _counts(codes: NDArray[Any], names: list[str]) -> str:
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    return " · ".join(
        f"{name} {count:,}" for name, count in zip(names, counts, strict=True)
    )


def summary(table: ConversationTable) -> str:
    """What the table holds, in a few readable lines (counts and shares).

    Shares are of all conversations unless stated; an empty table says
    ``n/a`` rather than 0 %.
    """
    n = len(table)
    roles = table.agent_roles
    humans = int((roles == Role.AGENT.code).sum())
    teams = {a.team for a in table.agents if a.team is not None}
    bot_codes = np.flatnonzero(roles == Role.BOT.code)
    by_bot = np.isin(table["agent_id"], bot_codes)
    handed = by_bot & (table["transferred_to"] >= 0)
    rated = table["rating_scale"] >= 0
    satisfied = dissatisfied = 0
    for code, scale in enumerate(table.rating_scales):
        scores = table["rating_score"][table["rating_scale"] == code]
        satisfied += int((scores >= scale.satisfied_from).sum())
        dissatisfied += int((scores <= scale.dissatisfied_to).sum())
    n_rated = int(rated.sum())
    lines = [
        f"{n:,} conversations · {humans} agents in {len(teams)} teams · "
        f"{int((roles == Role.SUPERVISOR.code).sum())} supervisor(s) · "
        f"{len(bot_codes)} bot(s)",
        "Channels: " + _counts(table["channel"], [c.value for c in Channel]),
        "Difficulty: " + _counts(table["difficulty"], [d.value for d in Difficulty]),
        f"Bot: answered {int(by_bot.sum()):,}, handed over {int(handed.sum()):,} "
        f"({_share(int(handed.sum()), int(by_bot.sum()))} of its conversations)",
        f"Ratings: {n_rated:,} conversations rated ({_share(n_rated, n)}); "
        f"satisfied {satisfied:,} · neutral {n_rated - satisfied - dissatisfied:,} "
        f"· dissatisfied {dissatisfied:,}",
        f"Satisfaction rate: {_share(satisfied, n_rated)} of ratings",
        f"Resolved: {_share(int(table['resolved'].sum()), n)} · "
        f"escalated: {_share(int(table['escalated'].sum()), n)}",
    ]
    return "\n".join(lines)

"""Data quality: who rates, who is missing, and what that does to satisfaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._engine._grouping import resolve_by
from servicequality._engine._measure import measure
from servicequality._errors import ValidationError
from servicequality._history import RatingExclusion
from servicequality._model import Role
from servicequality._table import ConversationTable
from servicequality.metrics._catalogue import (
    difficulty_mix,
    rating_rate,
    response_rate,
    satisfaction_rate,
)
from servicequality.stats import (
    benjamini_hochberg,
    fisher_exact_test,
    nonresponse_bounds,
    poststratified_rate,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import NDArray

    from servicequality._engine._grouping import By
    from servicequality.stats._adjust import Alternative

__all__ = ["DataQualityReport", "QualityFinding", "QualityRow", "data_quality"]

_Kind = Literal["rating_rate", "difficulty_mix", "exclusion_rate"]

_STRATA: tuple[By, ...] = ("channel", "difficulty")
_OPTIONAL = {
    "closed_at": "no closing time",
    "first_response_at": "no first response",
    "topic": "no topic",
    "sentiment_start": "no opening sentiment",
    "sentiment_end": "no closing sentiment",
}


@attrs.frozen(kw_only=True)
class QualityRow:
    """Rating coverage and satisfaction three ways, for one group (or all).

    Attributes:
        key: The group (empty for the whole table).
        conversations: Conversations handled by humans.
        invited: Of those, invited to rate.
        rated: Of those, rated.
        rating_rate: ``rated / conversations`` (NaN without conversations).
        response_rate: ``rated / invited`` (NaN without invitations).
        satisfaction: Raw ``satisfied / rated``.
        satisfaction_low: Had every non-rater been unhappy.
        satisfaction_high: Had every non-rater been happy.
        satisfaction_poststratified: Each channel × difficulty stratum
            weighted by its share of conversations, not of ratings.
    """

    key: Mapping[str, Any]
    conversations: int
    invited: int
    rated: int
    rating_rate: float
    response_rate: float
    satisfaction: float
    satisfaction_low: float
    satisfaction_high: float
    satisfaction_poststratified: float


@attrs.frozen(kw_only=True)
class QualityFinding:
    """An agent whose numbers differ significantly from their team's.

    Attributes:
        kind: ``"rating_rate"`` (a sign of inviting only happy customers),
            ``"difficulty_mix"`` (an easier mix: a sign of cherry-picking) or
            ``"exclusion_rate"`` (more of their ratings excluded: a sign of
            appealing only one agent's bad ratings).
        agent_id: The agent.
        team: Their team (``None``: the whole shop).
        value: The agent's rate.
        n: The agent's conversations.
        team_value: The rate of the rest of the team.
        team_n: The rest of the team's conversations.
        p_value: Fisher exact test of the two proportions (two-sided for
            the rating rate, one-sided "easier" for the difficulty mix).
        q_value: Benjamini–Hochberg adjusted over the agents tested.
        test: The test, in words.
        sentence: The finding for people.
    """

    kind: _Kind
    agent_id: str
    team: str | None
    value: float
    n: int
    team_value: float
    team_n: int
    p_value: float
    q_value: float
    test: str
    sentence: str


@attrs.frozen(kw_only=True, repr=False)
class DataQualityReport:
    """Coverage, adjusted satisfaction, suspicious agents and missing data.

    Attributes:
        key_names: The keys of ``rows``.
        overall: The whole table.
        rows: One per group.
        findings: Agents that differ significantly from their team.
        missing: Conversations missing each optional fact.
        alpha: The false-discovery rate the findings were held to.
        exclusions: Excluded ratings per handling agent (every exclusion
            given that names a conversation of the table), by agent id.
    """

    key_names: tuple[str, ...]
    overall: QualityRow
    rows: tuple[QualityRow, ...]
    findings: tuple[QualityFinding, ...]
    missing: Mapping[str, int]
    alpha: float
    exclusions: Mapping[str, int] = attrs.field(factory=dict)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per group row (the overall row first), keys flattened."""
        return [
            {
                **row.key,
                **{
                    k: v
                    for k, v in attrs.asdict(row, recurse=False).items()
                    if k != "key"
                },
            }
            for row in (self.overall, *self.rows)
        ]

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra).

        Counts are integers; with ``period_labels`` a ``period`` key holds
        short labels instead of :class:`Period` values.
        """
        columns = [
            *self.key_names,
            *(f.name for f in attrs.fields(QualityRow) if f.name != "key"),
        ]
        return _results.frame(self.to_records(), columns, period_labels=period_labels)

    def __repr__(self) -> str:
        by = ", ".join(self.key_names) or "nothing"
        return (
            f"<DataQualityReport: {self.overall.conversations} conversations by "
            f"({by}): {len(self.rows)} row(s), {len(self.findings)} finding(s)>"
        )

    def _repr_html_(self) -> str:
        """Coverage and satisfaction three ways per group, then findings."""
        flagged = {f.agent_id for f in self.findings}
        width = max(len(self.key_names), 1)
        rows: list[list[_display.Cell]] = []
        for row in (self.overall, *self.rows[: _display.MAX_ROWS]):
            names = (
                [_display.label(row.key.get(k)) for k in self.key_names]
                if row is not self.overall
                else ["all", *[""] * (width - 1)]
            )
            background = _display.MIDDLE if row.key.get("agent") in flagged else ""
            rows.append(
                [
                    *((n, background) for n in names),
                    str(row.conversations),
                    str(row.rated),
                    _display.number(row.rating_rate, "share"),
                    _display.number(row.response_rate, "share"),
                    _display.number(row.satisfaction, "share"),
                    f"{_display.number(row.satisfaction_low, 'share')} – "
                    f"{_display.number(row.satisfaction_high, 'share')}",
                    _display.number(row.satisfaction_poststratified, "share"),
                ]
            )
        headers = [
            *(self.key_names or ("group",)),
            "conversations",
            "rated",
            "rating rate",
            "response rate",
            "satisfaction",
            "if non-raters all unhappy – happy",
            "post-stratified",
        ]
        notes = [f.sentence for f in self.findings]
        notes.extend(
            f"excluded ratings of {agent}: {count}"
            for agent, count in self.exclusions.items()
        )
        notes.extend(
            f"missing: {count} with {what}"
            for what, count in self.missing.items()
            if count
        )
        return _display.table(
            headers,
            rows,
            caption="Data quality (amber: an agent with a finding below)",
            right=range(width, len(headers)),
            total=len(self.rows) + 1,
        ) + "".join(_display.paragraph(n) for n in notes)

    def __str__(self) -> str:
        o = self.overall
        lines = [
            f"{o.conversations} conversations, {o.rated} rated: rating rate "
            f"{o.rating_rate:.1%}, response rate {o.response_rate:.1%}",
            f"satisfaction {o.satisfaction:.1%} of raters; between "
            f"{o.satisfaction_low:.1%} and {o.satisfaction_high:.1%} of everyone; "
            f"{o.satisfaction_poststratified:.1%} re-weighted by channel × difficulty "
            "(post-stratified)",
        ]
        lines.extend(f"- {f.sentence}" for f in self.findings)
        lines.extend(
            f"excluded ratings of {agent}: {count}"
            for agent, count in self.exclusions.items()
        )
        lines.extend(
            f"missing: {count} with {what}"
            for what, count in self.missing.items()
            if count
        )
        return "\n".join(lines)


def _row(
    key: Mapping[str, Any], counts: Mapping[str, NDArray[np.float64]]
) -> QualityRow:
    """Aggregate one group from its per-stratum counts."""
    conversations, rated = counts["conversations"], counts["rated"]
    satisfied, invited, invited_rated = (
        counts["satisfied"],
        counts["invited"],
        counts["invited_rated"],
    )
    total, total_rated = conversations.sum(), rated.sum()
    low, high = nonresponse_bounds(satisfied.sum(), total_rated, total)
    return QualityRow(
        key=dict(key),
        conversations=int(total),
        invited=int(invited.sum()),
        rated=int(total_rated),
        rating_rate=float(total_rated / total) if total else float("nan"),
        response_rate=(
            float(invited_rated.sum() / invited.sum())
            if invited.sum()
            else float("nan")
        ),
        satisfaction=float(satisfied.sum() / total_rated)
        if total_rated
        else float("nan"),
        satisfaction_low=float(low),
        satisfaction_high=float(high),
        satisfaction_poststratified=float(
            poststratified_rate(satisfied, rated, conversations)
        ),
    )


def _stratified(
    table: ConversationTable, by: tuple[By, ...]
) -> tuple[tuple[str, ...], dict[tuple[Any, ...], dict[str, NDArray[np.float64]]]]:
    absent = table.absent_columns
    strata = [s for s in _STRATA if s not in by and s not in absent]
    invitations = "rating_invited" not in absent
    measured = measure(
        table,
        [rating_rate(), satisfaction_rate()]
        + ([response_rate()] if invitations else []),
        by=[*by, *strata],
    )
    width = len(by)
    rating = measured.state("rating_rate")
    satisfaction = measured.state("satisfaction_rate")
    response = (
        measured.state("response_rate")
        if invitations
        else np.zeros((len(measured.keys), 2))
    )
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row, key in enumerate(measured.keys):
        groups.setdefault(key[:width], []).append(row)
    return measured.key_names[:width], {
        key: {
            "conversations": rating[rows, 1],
            "rated": rating[rows, 0],
            "invited": response[rows, 1],
            "invited_rated": response[rows, 0],
            "satisfied": satisfaction[rows, 0],
        }
        for key, rows in groups.items()
    }


def _excluded(
    table: ConversationTable, exclusions: Sequence[RatingExclusion]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.intp]]:
    """Rows an exclusion names, rows rated or excluded, and each row's handler."""
    ids = {e.conversation_id for e in exclusions}
    vocabulary = table.vocabulary("conversation_id").tolist()
    named = np.array([x in ids for x in vocabulary], dtype=bool)
    rows = named[table["conversation_id"]] if vocabulary else np.zeros(0, bool)
    handler = np.where(
        table["transferred_to"] >= 0, table["transferred_to"], table["agent_id"]
    )
    return rows, rows | (table["rating_scale"] >= 0), handler


def _exclusion_state(
    table: ConversationTable,
    exclusions: Sequence[RatingExclusion],
    agents: Sequence[str],
) -> NDArray[np.float64]:
    """Per agent in ``agents``: (excluded ratings, ratings given)."""
    named, given, handler = _excluded(table, exclusions)
    vocabulary = table.vocabulary("agent_id").tolist()
    size = len(vocabulary)
    counts = np.stack(
        [
            np.bincount(handler[named], minlength=size),
            np.bincount(handler[given], minlength=size),
        ],
        axis=1,
    ).astype(np.float64)
    position = {agent: i for i, agent in enumerate(vocabulary)}
    return counts[[position[a] for a in agents]] if agents else np.zeros((0, 2))


def _agent_findings(
    table: ConversationTable,
    alpha: float,
    exclusions: Sequence[RatingExclusion] = (),
) -> tuple[QualityFinding, ...]:
    mix = "difficulty" not in table.absent_columns
    measured = measure(
        table, [rating_rate()] + ([difficulty_mix()] if mix else []), by="agent"
    )
    teams = {a.id: a.team for a in table.agents}
    agents = [
        (row, key[0])
        for row, key in enumerate(measured.keys)
        if measured.agent_roles[key[0]] is not Role.BOT
    ]
    candidates = []
    checks: list[tuple[_Kind, Alternative, str]] = [
        ("rating_rate", "two-sided", "two-sided"),
    ]
    if mix:
        checks.append(("difficulty_mix", "less", "one-sided (easier)"))
    states = {kind: measured.state(kind) for kind, _, _ in checks}
    if exclusions:
        checks.append(("exclusion_rate", "greater", "one-sided (more excluded)"))
        states["exclusion_rate"] = _exclusion_state(
            table, exclusions, [key[0] for key in measured.keys]
        )
    for kind, alternative, word in checks:
        state = states[kind]
        team_totals: dict[str | None, NDArray[np.float64]] = {}
        for row, agent in agents:
            team = teams.get(agent)
            team_totals[team] = team_totals.get(team, np.zeros(2)) + state[row]
        for row, agent in agents:
            team = teams.get(agent)
            x, n = state[row]
            rest_x, rest_n = team_totals[team] - state[row]
            p = float(fisher_exact_test(x, n, rest_x, rest_n, alternative=alternative))
            if np.isnan(p):
                continue
            candidates.append((kind, agent, team, x, n, rest_x, rest_n, p, word))
    q = benjamini_hochberg([c[7] for c in candidates])
    findings = []
    for (kind, agent, team, x, n, rest_x, rest_n, p, word), q_value in zip(
        candidates, q.tolist(), strict=True
    ):
        if q_value > alpha:
            continue
        who = "the rest of the shop" if team is None else f"the rest of team {team}"
        what = {
            "rating_rate": "rating rate",
            "difficulty_mix": "share of non-basic conversations",
            "exclusion_rate": "share of ratings excluded",
        }[kind]
        findings.append(
            QualityFinding(
                kind=kind,
                agent_id=agent,
                team=team,
                value=float(x / n),
                n=int(n),
                team_value=float(rest_x / rest_n),
                team_n=int(rest_n),
                p_value=p,
                q_value=q_value,
                test=(
                    f"Fisher exact test, {word}; Benjamini–Hochberg "
                    f"over {len(candidates)} tests"
                ),
                sentence=(
                    f"{agent}: {what} {x / n:.1%} (n = {int(n)}) vs "
                    f"{rest_x / rest_n:.1%} for {who} (n = {int(rest_n)}; "
                    f"p = {p:.2g}, q = {q_value:.2g})"
                ),
            )
        )
    return tuple(findings)


def data_quality(
    table: ConversationTable,
    *,
    by: Sequence[By] | By = "agent",
    alpha: float = 0.05,
    exclusions: Iterable[RatingExclusion] = (),
) -> DataQualityReport:
    """How far to trust the satisfaction numbers of ``table``, and why.

    Reports, overall and per group of ``by``: the rating rate (rated /
    conversations) and response rate (rated / invited); satisfaction raw,
    bounded for non-response (:func:`~servicequality.stats.nonresponse_bounds`)
    and post-stratified by channel × difficulty
    (:func:`~servicequality.stats.poststratified_rate`). Finds the human
    agents whose rating rate differs significantly from the rest of their
    team (two-sided), and those whose share of non-basic conversations is
    significantly lower (one-sided) — each at false-discovery rate
    ``alpha`` across agents (Benjamini–Hochberg). Counts conversations
    missing each optional fact. Bots' conversations are left out throughout.

    A table without ``rating_invited`` reports no response rate (NaN); one
    without ``channel`` or ``difficulty`` post-stratifies over the strata it
    has (none: the raw rate) and, without ``difficulty``, makes no
    difficulty-mix finding.

    With ``exclusions`` (every :class:`~servicequality.RatingExclusion`
    recorded, lifted or not), counts the excluded ratings per handling
    agent and finds agents with a significantly larger share of their
    ratings excluded than the rest of their team (one-sided): a shop that
    appeals only one agent's bad ratings games the satisfaction rate.

    Raises:
        ValidationError: for a bad dimension or ``alpha``.
        WrongTypeError: for a table, ``alpha`` or exclusions of the wrong
            type.
    """
    v.instance_of("data_quality", "table", table, ConversationTable)
    chosen_exclusions = v.sequence(
        "data_quality", "exclusions", exclusions, "RatingExclusion values"
    )
    for exclusion in chosen_exclusions:
        v.instance_of("data_quality", "exclusions", exclusion, RatingExclusion)
    if not 0 < v.number("data_quality", "alpha", alpha) < 1:
        raise ValidationError("data_quality", "alpha", alpha, "must be in (0, 1)")
    chosen = resolve_by(by)
    names, groups = _stratified(table, chosen)
    _, whole = _stratified(table, ())
    empty = np.zeros(0)
    overall = _row(
        {},
        whole.get(
            (),
            dict.fromkeys(
                ("conversations", "rated", "invited", "invited_rated", "satisfied"),
                empty,
            ),
        ),
    )
    missing = {}
    for column, what in _OPTIONAL.items():
        values = table[column]
        gone = np.isnat(values) if values.dtype.kind == "M" else values < 0
        missing[what] = int(gone.sum())
    return DataQualityReport(
        key_names=names,
        overall=overall,
        rows=tuple(
            _row(dict(zip(names, key, strict=True)), counts)
            for key, counts in groups.items()
        ),
        findings=_agent_findings(table, alpha, chosen_exclusions),
        missing=missing,
        alpha=float(alpha),
        exclusions=_exclusions_per_agent(table, chosen_exclusions),
    )


def _exclusions_per_agent(
    table: ConversationTable, exclusions: Sequence[RatingExclusion]
) -> dict[str, int]:
    if not exclusions:
        return {}
    named, _, handler = _excluded(table, exclusions)
    agents = table.vocabulary("agent_id")
    codes, counts = np.unique(handler[named], return_counts=True)
    return {
        str(agents[code]): int(count)
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True)
    }

"""Array intake for ``ConversationTable.from_arrays``: vectorised checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality._columns import STRING, as_vocabulary
from servicequality._errors import ValidationError
from servicequality._intake import Errors, Intake, check_errors
from servicequality._model import Agent, KnowledgeTest, RatingScale
from servicequality._schema import (
    COLUMNS,
    OWNER,
    RATING_PARTS,
    REVIEW_PARTS,
    agent_roles,
    check_defaults,
    coerce_column,
    display,
    lookup,
    require_together,
    row_problems,
    test_columns,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import tzinfo

    from numpy.typing import ArrayLike, NDArray

__all__ = ["from_arrays"]


def _roster(agents: Sequence[Agent]) -> dict[str, Agent]:
    roster: dict[str, Agent] = {}
    for agent in agents:
        if not isinstance(agent, Agent):
            raise ValidationError(OWNER, "agents", agent, "must hold Agent values")
        if agent.id in roster:
            raise ValidationError(OWNER, "agents", agent.id, "repeats an agent id")
        roster[agent.id] = agent
    return roster


def _tests(
    tests: Sequence[KnowledgeTest], roster: Mapping[str, Agent]
) -> list[KnowledgeTest]:
    for index, test in enumerate(tests):
        if not isinstance(test, KnowledgeTest):
            raise ValidationError(
                OWNER, "knowledge_tests", test, "must hold KnowledgeTest values"
            )
        if roster and test.agent_id not in roster:
            raise ValidationError(
                "KnowledgeTest",
                "agent_id",
                test.agent_id,
                "is not in the roster",
                index,
            )
    return list(tests)


def _scales(scales: Sequence[RatingScale]) -> tuple[RatingScale, ...]:
    for scale in scales:
        if not isinstance(scale, RatingScale):
            raise ValidationError(
                OWNER, "rating_scales", scale, "must hold RatingScale values"
            )
    if len(set(scales)) != len(scales):
        raise ValidationError(OWNER, "rating_scales", scales, "must not repeat a scale")
    return tuple(scales)


def from_arrays(
    given: Mapping[str, ArrayLike | None],
    id_lists: Mapping[str, Sequence[str] | NDArray[Any]],
    *,
    rating_scales: Sequence[RatingScale],
    agents: Sequence[Agent],
    knowledge_tests: Sequence[KnowledgeTest],
    errors: Errors,
    distinct_ids: bool = False,
    defaults: Mapping[str, Any] | None = None,
    absent: frozenset[str] | None = None,
    zone: tzinfo | None = None,
    positions: NDArray[np.intp] | None = None,
) -> dict[str, Any]:
    """The parts of a table built from columns (see ``ConversationTable.from_arrays``).

    ``id_lists`` maps each vocabulary name to the caller's code-to-id list;
    ``distinct_ids`` says the lists come from the frame loader (distinct,
    non-blank string ids, already checked);
    ``absent`` names the optional columns the input lacked (default: those
    ``given`` as ``None``); messages show instants in ``zone``; a rejected
    row's index is ``positions[row]`` when given (its place in the caller's
    input).
    """
    check_errors(errors)
    constants = check_defaults(OWNER, defaults)
    require_together(given, "rating_scale", ("rating_score",), RATING_PARTS[1:])
    require_together(given, "reviewer_id", REVIEW_PARTS)
    n = len(np.asarray(given["opened_at"]))
    if absent is None:
        absent = frozenset(name for name in COLUMNS if given.get(name) is None)
    columns = {name: coerce_column(name, given.get(name), n) for name in COLUMNS}
    id_lists = dict(id_lists)
    for name, value in constants.items():
        columns[name] = _with_default(
            columns[name], id_lists, name, value, missing=name in absent
        )
    absent = absent - constants.keys()
    vocabularies = {
        name: np.asarray(id_lists[name]).astype(STRING, copy=False)
        if distinct_ids
        else as_vocabulary(OWNER, parameter, id_lists[name])
        for name, parameter in (
            ("conversation_id", "conversation_ids"),
            ("agent_id", "agent_ids"),
            ("customer_id", "customer_ids"),
            ("topic", "topics"),
            ("case_id", "case_ids"),
            ("reviewer_id", "reviewer_ids"),
            ("rating_comment", "rating_comments"),
            ("invitation_variant", "invitation_variants"),
        )
    }
    roster = _roster(agents)
    tests = _tests(knowledge_tests, roster)
    known = set(vocabularies["agent_id"].tolist())
    extra = [
        x
        for x in dict.fromkeys([*roster, *(t.agent_id for t in tests)])
        if x not in known
    ]
    if extra:
        vocabularies["agent_id"] = np.concatenate(
            [vocabularies["agent_id"], np.array(extra, dtype=STRING)]
        )
    scales = _scales(rating_scales)
    vocabularies["rating_scale"] = np.array([s.name for s in scales], dtype=STRING)
    roles = agent_roles(vocabularies["agent_id"], roster)

    intake = Intake(errors)
    problems = row_problems(
        columns, vocabularies, roles, roster, scales=scales, absent=absent, zone=zone
    )
    for row, field, value, rule in problems:
        error = ValidationError(OWNER, field, value, rule)
        record_id = display(columns, vocabularies, "conversation_id", row)
        intake.reject(
            "conversation",
            row if positions is None else int(positions[row]),
            record_id if isinstance(record_id, str) else None,
            error,
        )
    if problems:
        accepted = np.ones(n, dtype=bool)
        accepted[[row for row, _, _, _ in problems]] = False
        columns = {name: array[accepted] for name, array in columns.items()}
    return {
        "columns": columns,
        "vocabularies": vocabularies,
        "scales": scales,
        "roster": tuple(roster.values()),
        "agent_role": roles,
        "tests": test_columns(
            tests, lookup(vocabularies["agent_id"], [t.agent_id for t in tests])
        ),
        "rejects": intake.sorted_rejects(),
        "absent": absent,
    }


def _with_default(
    column: NDArray[Any],
    id_lists: dict[str, Any],
    name: str,
    value: Any,
    *,
    missing: bool,
) -> NDArray[Any]:
    """``column`` with its empty cells set to ``value`` (all, if ``missing``).

    A new id joins the end of ``id_lists[name]``.
    """
    spec = COLUMNS[name]
    if spec.kind == "bool":
        return np.full(len(column), value) if missing else np.asarray(column)
    if spec.kind == "enum":
        return np.where(column < 0, value.code, column).astype(np.int8)
    ids = [str(x) for x in np.asarray(id_lists.get(name, ())).tolist()]
    if value not in ids:
        ids.append(value)
    id_lists[name] = ids
    return np.where(column < 0, ids.index(value), column).astype(np.int64)

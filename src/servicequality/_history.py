"""What was known when: rating exclusions and tables as of an instant."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._columns import MISSING
from servicequality._errors import ValidationError
from servicequality._periods import check_instant

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import NDArray

    from servicequality._table import ConversationTable

__all__ = ["ExclusionReason", "RatingExclusion", "as_of", "exclude_ratings"]


class ExclusionReason(StrEnum):
    """Why a rating no longer counts."""

    APPEAL_UPHELD = "appeal_upheld"
    """The platform upheld the shop's appeal against the rating."""
    MALICIOUS = "malicious"
    """A malicious rating (a competitor, extortion)."""
    DUPLICATE = "duplicate"
    """The same customer rated the same problem twice."""
    TEST_ACCOUNT = "test_account"
    """A rating from a test or staff account."""
    OTHER = "other"
    """Any other reason; say which in ``note``."""


def _instant(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.aware_datetime(instance, attribute, value)
    check_instant(type(instance).__name__, attribute.name, value)


def _lifted(
    instance: RatingExclusion, attribute: attrs.Attribute[Any], value: Any
) -> None:
    if value is None:
        return
    _instant(instance, attribute, value)
    if value <= instance.effective_at:
        rule = f"must be after effective_at ({instance.effective_at.isoformat()})"
        v.fail(instance, attribute.name, value, rule)


@attrs.frozen(kw_only=True)
class RatingExclusion:
    """A rating removed from judgement from one instant on, and why.

    An excluded rating counts in no metric: the conversation is treated as
    unrated (so it leaves the rating rate too), for every evaluation at or
    after ``effective_at`` and before ``lifted_at``.

    Attributes:
        conversation_id: The conversation whose rating is excluded.
        reason: Why (an upheld appeal, a malicious rating…).
        effective_at: When the exclusion took effect and became known
            (timezone-aware).
        note: Free words: the appeal's number, who decided.
        lifted_at: When the exclusion was lifted (the rating counts again
            from then on); ``None`` while it stands.

    Raises:
        ValidationError: for a blank id, a naive instant, or ``lifted_at``
            not after ``effective_at``.
        WrongTypeError: for a reason that is not an :class:`ExclusionReason`.
    """

    conversation_id: str = attrs.field(validator=v.identifier)
    reason: ExclusionReason = attrs.field(validator=v.member_of(ExclusionReason))
    effective_at: datetime = attrs.field(validator=_instant)
    note: str | None = attrs.field(default=None, validator=v.optional_text)
    lifted_at: datetime | None = attrs.field(default=None, validator=_lifted)

    def in_force(self, at: datetime) -> bool:
        """Whether the exclusion applies at the instant ``at``."""
        moment = v.instant("RatingExclusion", "at", at)
        return self.effective_at <= moment and (
            self.lifted_at is None or moment < self.lifted_at
        )

    def lift(self, at: datetime) -> RatingExclusion:
        """The same exclusion, lifted at ``at`` (the rating counts again)."""
        return attrs.evolve(self, lifted_at=at)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the reason by value, instants as ISO 8601 strings."""
        data: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "reason": self.reason.value,
            "effective_at": self.effective_at.isoformat(),
        }
        if self.note is not None:
            data["note"] = self.note
        if self.lifted_at is not None:
            data["lifted_at"] = self.lifted_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: object) -> RatingExclusion:
        """Read :meth:`to_dict` output (``note`` and ``lifted_at`` optional).

        Raises:
            ValidationError: for unknown or missing keys and bad values.
        """
        owner = "RatingExclusion"
        plain = v.mapping(
            owner,
            data,
            ("conversation_id", "reason", "effective_at"),
            ("note", "lifted_at"),
        )
        reason = plain["reason"]
        if not isinstance(reason, str) or reason not in list(ExclusionReason):
            known = ", ".join(r.value for r in ExclusionReason)
            raise ValidationError(owner, "reason", reason, f"must be one of {known}")
        lifted = plain.get("lifted_at")
        return cls(
            conversation_id=plain["conversation_id"],
            reason=ExclusionReason(reason),
            effective_at=v.instant(owner, "effective_at", plain["effective_at"]),
            note=plain.get("note"),
            lifted_at=None if lifted is None else v.instant(owner, "lifted_at", lifted),
        )


def _exclusions(
    owner: str, value: Iterable[RatingExclusion]
) -> tuple[RatingExclusion, ...]:
    chosen = v.sequence(owner, "exclusions", value, "a sequence of RatingExclusion")
    for exclusion in chosen:
        v.instance_of(owner, "exclusions", exclusion, RatingExclusion)
    return chosen


def _utc(owner: str, at: datetime) -> np.datetime64:
    moment = v.instant(owner, "at", at)
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def excluded_rows(
    table: ConversationTable, exclusions: Sequence[RatingExclusion]
) -> NDArray[np.bool_]:
    """Rated rows whose conversation an exclusion names (of any instant)."""
    ids = {e.conversation_id for e in exclusions}
    vocabulary = table.vocabulary("conversation_id").tolist()
    named = np.array([x in ids for x in vocabulary], dtype=bool)
    codes = table["conversation_id"]
    hit = named[codes] if len(vocabulary) else np.zeros(len(table), dtype=bool)
    return np.asarray(hit & (table["rating_scale"] >= 0))


_NOT_YET = np.datetime64("NaT")
_NO_RATING: dict[str, Any] = {
    "rating_scale": MISSING,
    "rating_score": 0,
    "rated_at": _NOT_YET,
    "rating_comment": MISSING,
}
_NO_REVIEW: dict[str, Any] = {
    "reviewer_id": MISSING,
    "review_accurate": False,
    "review_script_compliant": False,
    "review_empathy": 0,
    "reviewed_at": _NOT_YET,
}
"""The stored "none" of each rating and review column."""


def _blank(
    columns: dict[str, NDArray[Any]],
    rows: NDArray[np.bool_],
    empties: Mapping[str, Any],
) -> None:
    """Write each column's "none" of ``empties`` into ``rows``, in place."""
    if rows.any():
        for name, empty in empties.items():
            columns[name] = np.where(rows, empty, columns[name]).astype(
                columns[name].dtype
            )


def _without_ratings(
    table: ConversationTable, rows: NDArray[np.bool_], keep: NDArray[np.bool_]
) -> ConversationTable:
    """``table``'s ``keep`` rows with the ratings of ``rows`` removed."""
    state = table.__getstate__()
    columns = dict(state["columns"])
    _blank(columns, rows, _NO_RATING)
    cleared = type(table)(**{**state, "columns": columns, "rejects": ()})
    return cleared if keep.all() else cleared.filter(keep)


def exclude_ratings(
    table: ConversationTable,
    exclusions: Iterable[RatingExclusion],
    *,
    at: datetime,
) -> ConversationTable:
    """``table`` without the ratings the exclusions in force at ``at`` remove.

    Only rating columns change: an excluded conversation stays in the table,
    unrated, so every satisfaction metric (and the rating rate) leaves it
    out while every other metric still counts it. Exclusions naming a
    conversation the table does not hold, or holds unrated, remove nothing:
    the caller keeps one list of exclusions for all its tables. Lifting an
    exclusion gives the rating back.

    Raises:
        WrongTypeError: for exclusions that are not :class:`RatingExclusion`.
        ValidationError: for a naive ``at``.
    """
    owner = "exclude_ratings"
    chosen = _exclusions(owner, exclusions)
    v.instant(owner, "at", at)
    standing = [e for e in chosen if e.in_force(at)]
    return _without_ratings(
        table, excluded_rows(table, standing), np.ones(len(table), dtype=bool)
    )


def as_of(
    table: ConversationTable,
    at: datetime,
    *,
    exclusions: Iterable[RatingExclusion] = (),
) -> ConversationTable:
    """``table`` as it was known at the instant ``at``.

    Conversations opened after ``at`` are left out; ratings given after
    ``at`` (``rated_at`` is when the platform recorded the rating, so when
    it became known) are removed; closing, first-reply, hand-over and
    invitation times after ``at`` become "not yet", reviews recorded after
    ``at`` (``reviewed_at``; a review without it counts as known) are
    removed, and messages sent after ``at`` are left out; the exclusions in
    force at ``at`` apply (see
    :func:`exclude_ratings`). Other facts of a conversation are kept as the
    table holds them, so keep the table a statement was paid from if
    conversations can change afterwards. Evaluating a locked period as of
    its lock instant gives back exactly the data it was paid on.

    Raises:
        ValidationError: for a naive ``at``, or a rating without
            ``rated_at`` (it cannot be placed in time), naming its row.
        WrongTypeError: for exclusions that are not :class:`RatingExclusion`.
    """
    owner = "as_of"
    chosen = _exclusions(owner, exclusions)
    moment = _utc(owner, at)
    rated = table["rating_scale"] >= 0
    undated = rated & np.isnat(table["rated_at"])
    if undated.any():
        row = int(np.argmax(undated))
        conversation = table.vocabulary("conversation_id")[
            table["conversation_id"][row]
        ]
        rule = "is needed on every rating to evaluate as of an instant"
        raise ValidationError(owner, "rated_at", str(conversation), rule, row)
    standing = [e for e in chosen if e.in_force(at)]
    late = rated & (table["rated_at"] > moment)
    known = _without_ratings(
        table, late | excluded_rows(table, standing), table["opened_at"] <= moment
    )
    state = known.__getstate__()
    columns = dict(state["columns"])
    _blank(columns, columns["reviewed_at"] > moment, _NO_REVIEW)
    for name in ("closed_at", "first_response_at", "handed_over_at", "invited_at"):
        _blank(columns, columns[name] > moment, {name: _NOT_YET})
    messages = state["messages"]
    if messages is not None:
        messages = messages.filter(messages["sent_at"] <= moment)
    return type(table)(**{**state, "columns": columns, "messages": messages})

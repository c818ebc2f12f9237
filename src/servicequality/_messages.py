"""Message events: who wrote in which conversation when, as validated columns."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003  # from_dict reads the type hints
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._columns import (
    MISSING,
    STRING,
    ReadOnly,
    as_vocabulary,
    code_dtype,
    encode_strings,
    fill_slots,
    read_only,
    to_instants,
    unique_strings,
)
from servicequality._errors import UnknownKeyError, ValidationError, WrongTypeError
from servicequality._frames import pandas
from servicequality._model import CodedEnum, PlainRecord
from servicequality._periods import check_instant

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

    from servicequality._table import ConversationTable

__all__ = ["Message", "MessageTable", "Sender", "message_rows"]

OWNER = "MessageTable"
_COLUMNS = ("conversation_id", "sender", "sender_id", "sent_at")


class Sender(CodedEnum):
    """Who wrote a message."""

    CUSTOMER = "customer"
    """The customer; a customer message starts or extends a wait."""
    AGENT = "agent"
    """A human (agent or supervisor); its message answers a waiting customer."""
    BOT = "bot"
    """An automated assistant; its message also answers a waiting customer."""


def _instant(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.aware_datetime(instance, attribute, value)
    check_instant(type(instance).__name__, attribute.name, value)


@attrs.frozen(kw_only=True)
class Message(PlainRecord):
    """One message of a conversation.

    Attributes:
        conversation_id: The conversation it belongs to.
        sender: :class:`Sender` role: customer, agent (any human) or bot.
        sent_at: When it was sent (timezone-aware).
        sender_id: Who sent it (an agent or bot id), if known.

    Raises:
        ValidationError: for a blank id, an unknown sender or a naive datetime.
    """

    conversation_id: str = attrs.field(validator=v.identifier)
    sender: Sender = attrs.field(validator=v.member_of(Sender))
    sent_at: datetime = attrs.field(validator=_instant)
    sender_id: str | None = attrs.field(default=None, validator=v.optional_identifier)


def _sender_codes(values: ArrayLike) -> NDArray[np.int8]:
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int8)
    if array.dtype.kind in "UTO" or isinstance(array.dtype, type(STRING)):
        table = {m.value: m.code for m in Sender}
        codes = np.array(
            [table.get(x, len(table)) for x in array.astype(str).tolist()],
            dtype=np.int8,
        )
        return codes.reshape(array.shape)
    raise WrongTypeError(
        OWNER, "sender", str(array.dtype), "must hold Sender codes or values"
    )


def _column(name: str, values: ArrayLike | None, n: int, dtype: Any) -> NDArray[Any]:
    if values is None:
        return np.full(n, MISSING, dtype=dtype)
    array = np.asarray(values)
    if array.shape != (n,):
        raise ValidationError(OWNER, name, array.shape, f"must have shape ({n},)")
    if np.dtype(dtype).kind == "M":
        if array.dtype.kind != "M":
            raise WrongTypeError(
                OWNER, name, str(array.dtype), "must be a datetime64 column (UTC)"
            )
        return array.astype("datetime64[us]")
    if array.dtype.kind not in "iu":
        raise WrongTypeError(OWNER, name, str(array.dtype), "must hold integer codes")
    return array.astype(dtype)


class MessageTable(ReadOnly):
    """Messages as read-only numpy columns, sorted by conversation and time.

    Columns: ``conversation_id`` and ``sender_id`` (codes into
    :meth:`vocabulary`; ``sender_id`` -1 where unknown), ``sender``
    (:class:`Sender` code) and ``sent_at`` (``datetime64[us]`` UTC). Rows are
    ordered by conversation id, then ``sent_at``, then sender (at the same
    instant a customer's message comes before the answer) and sender id, so
    the table depends on the set of messages, not on their order.

    Attach it to its conversations with
    :meth:`ConversationTable.with_messages`; reply metrics
    (:func:`~servicequality.metrics.reply_time` and friends) read it there.
    Constructors raise on the first bad message, naming its input position.
    """

    __slots__ = ("_columns", "_vocabularies")
    _columns: Mapping[str, NDArray[Any]]
    _vocabularies: Mapping[str, NDArray[Any]]

    def __init__(
        self,
        *,
        columns: Mapping[str, NDArray[Any]],
        vocabularies: Mapping[str, NDArray[Any]],
    ) -> None:
        """Hold checked columns (any order); use the ``from_*`` constructors."""
        order = np.lexsort(
            (
                columns["sender_id"],
                columns["sender"],
                columns["sent_at"].view(np.int64),
                columns["conversation_id"],
            )
        )
        fill_slots(
            self,
            _columns={name: read_only(columns[name][order]) for name in _COLUMNS},
            _vocabularies={
                name: read_only(vocabularies[name])
                for name in ("conversation_id", "sender_id")
            },
        )

    def __len__(self) -> int:
        return len(self._columns["sent_at"])

    def __getitem__(self, name: str) -> NDArray[Any]:
        """The read-only column ``name``.

        Raises:
            KeyError: naming the known columns.
        """
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(
                f"no column {name!r}; columns: {', '.join(_COLUMNS)}"
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MessageTable):
            return NotImplemented
        return all(
            np.array_equal(self.ids(name), other.ids(name))
            for name in ("conversation_id", "sender_id")
        ) and all(
            np.array_equal(self[name], other[name]) for name in ("sender", "sent_at")
        )

    __hash__ = None  # type: ignore[assignment]  # equal by content, not hashable

    def __getstate__(self) -> dict[str, Any]:
        return {"columns": self._columns, "vocabularies": self._vocabularies}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]  # rebuild the read-only views

    def __repr__(self) -> str:
        return (
            f"<MessageTable: {len(self)} messages in "
            f"{np.count_nonzero(np.bincount(self._columns['conversation_id']))} "
            "conversations>"
        )

    def vocabulary(self, name: str) -> NDArray[Any]:
        """The ids that ``conversation_id`` or ``sender_id`` codes index."""
        if name not in self._vocabularies:
            raise UnknownKeyError(
                OWNER, "vocabulary", name, "must be 'conversation_id' or 'sender_id'"
            )
        return self._vocabularies[name]

    def ids(self, name: str) -> NDArray[Any]:
        """The id of every message in column ``name`` (``None`` where unknown)."""
        vocabulary = np.array([*self.vocabulary(name).tolist(), None], dtype=object)
        return np.asarray(vocabulary[self._columns[name]], dtype=object)

    @classmethod
    def from_records(
        cls, messages: Iterable[Message | Mapping[str, Any]]
    ) -> MessageTable:
        """Build a table from :class:`Message` values or plain mappings.

        Raises:
            ValidationError: for the first bad message, naming its position.
        """
        rows: list[Message] = []
        for index, item in enumerate(messages):
            try:
                rows.append(
                    item if isinstance(item, Message) else Message.from_dict(item)
                )
            except ValidationError as error:
                raise ValidationError(
                    error.owner, error.field, error.value, error.rule, index
                ) from None
        conversation, conversations = encode_strings([m.conversation_id for m in rows])
        sender_id, sender_ids = encode_strings([m.sender_id for m in rows])
        return cls(
            columns={
                "conversation_id": conversation,
                "sender": np.array([m.sender.code for m in rows], dtype=np.int8),
                "sender_id": sender_id,
                "sent_at": to_instants([m.sent_at for m in rows]),
            },
            vocabularies={"conversation_id": conversations, "sender_id": sender_ids},
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        conversation_id: ArrayLike,
        conversation_ids: Sequence[str] | NDArray[Any],
        sender: ArrayLike,
        sent_at: ArrayLike,
        sender_id: ArrayLike | None = None,
        sender_ids: Sequence[str] | NDArray[Any] = (),
    ) -> MessageTable:
        """Build a table from numpy columns, checked without a Python row loop.

        ``conversation_id`` and ``sender_id`` are integer codes into the id
        lists (``sender_id`` -1 for unknown); ``sender`` holds
        :class:`Sender` codes or values (``"agent"``); ``sent_at`` is a
        ``datetime64`` column of UTC instants.

        Raises:
            ValidationError: for a mis-shaped column or id list, a wrong dtype,
                and for the first bad row (a code outside its list, an unknown
                sender, a missing ``sent_at``), naming the row.
        """
        n = len(np.asarray(sent_at))
        columns = {
            "conversation_id": _column("conversation_id", conversation_id, n, np.int64),
            "sender": _sender_codes(sender),
            "sender_id": _column("sender_id", sender_id, n, np.int64),
            "sent_at": _column("sent_at", sent_at, n, "datetime64[us]"),
        }
        if columns["sender"].shape != (n,):
            raise ValidationError(
                OWNER, "sender", columns["sender"].shape, f"must have shape ({n},)"
            )
        vocabularies = {
            "conversation_id": as_vocabulary(
                OWNER, "conversation_ids", conversation_ids
            ),
            "sender_id": as_vocabulary(OWNER, "sender_ids", sender_ids),
        }
        sizes = {name: len(vocabularies[name]) for name in vocabularies}
        checks = [
            (
                (columns["conversation_id"] < 0)
                | (columns["conversation_id"] >= sizes["conversation_id"]),
                "conversation_id",
                "must be a code into conversation_ids "
                f"(0..{sizes['conversation_id'] - 1})",
            ),
            (
                (columns["sender"] < 0) | (columns["sender"] >= len(Sender)),
                "sender",
                f"must be one of {', '.join(m.value for m in Sender)}",
            ),
            (
                (columns["sender_id"] < -1)
                | (columns["sender_id"] >= sizes["sender_id"]),
                "sender_id",
                f"must be a code into sender_ids (0..{sizes['sender_id'] - 1}), or -1",
            ),
            (np.isnat(columns["sent_at"]), "sent_at", "must be set"),
        ]
        for bad, field, rule in checks:
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValidationError(
                    OWNER, field, _shown(columns[field][row]), rule, row
                )
        for name in ("conversation_id", "sender_id"):
            columns[name] = columns[name].astype(code_dtype(sizes[name]))
        return cls(columns=columns, vocabularies=vocabularies)

    @classmethod
    def from_pandas(
        cls, frame: Any, *, columns: Mapping[str, str] | None = None
    ) -> MessageTable:
        """Build a table from a DataFrame, one message per row (``pandas`` extra).

        Columns ``conversation_id``, ``sender`` (values such as ``"agent"``),
        ``sent_at`` (timezone-aware) and optionally ``sender_id``;
        ``columns`` maps library names to other frame column names.

        Raises:
            ValidationError: for a missing column, naive timestamps, a missing
                id, then as :meth:`from_arrays`.
        """
        pd = pandas()

        names = {name: name for name in _COLUMNS} | dict(columns or {})
        for name in ("conversation_id", "sender", "sent_at"):
            if names[name] not in frame.columns:
                raise ValidationError(OWNER, name, names[name], "is not a frame column")
        times = frame[names["sent_at"]]
        if not isinstance(times.dtype, pd.DatetimeTZDtype):
            raise ValidationError(
                OWNER,
                "sent_at",
                str(times.dtype),
                "must be a timezone-aware datetime column",
            )
        conversations = frame[names["conversation_id"]]
        if conversations.isna().any():
            row = int(np.flatnonzero(conversations.isna().to_numpy())[0])
            raise ValidationError(OWNER, "conversation_id", None, "must be set", row)
        conversation, conversation_ids = pd.factorize(conversations.astype(str))
        given = names["sender_id"] in frame.columns
        sender_id, sender_ids = (
            pd.factorize(
                frame[names["sender_id"]].astype("string"), use_na_sentinel=True
            )
            if given
            else (None, ())
        )
        sender = frame[names["sender"]]
        return cls.from_arrays(
            conversation_id=np.asarray(conversation),
            conversation_ids=_distinct(conversation_ids),
            sender=sender.astype(str).to_numpy()
            if not pd.api.types.is_integer_dtype(sender.dtype)
            else sender.to_numpy(),
            sent_at=times.dt.tz_convert("UTC")
            .dt.tz_localize(None)
            .to_numpy("datetime64[us]"),
            sender_id=None if sender_id is None else np.asarray(sender_id),
            sender_ids=_distinct(sender_ids),
        )

    def to_pandas(self) -> Any:
        """One DataFrame row per message: string ids, sender values, UTC times."""
        pd = pandas()

        return pd.DataFrame(
            {
                "conversation_id": pd.array(
                    self.ids("conversation_id"), dtype="string"
                ),
                "sender": [
                    Sender.from_code(int(x)).value for x in self["sender"].tolist()
                ],
                "sender_id": pd.array(self.ids("sender_id"), dtype="string"),
                "sent_at": pd.to_datetime(self["sent_at"]).tz_localize("UTC"),
            }
        )

    def filter(self, mask: ArrayLike) -> MessageTable:
        """The messages where the boolean ``mask`` holds (vocabularies kept)."""
        keep = np.asarray(mask)
        if keep.dtype != np.bool_ or keep.shape != (len(self),):
            raise ValidationError(
                OWNER,
                "mask",
                f"{keep.dtype}{keep.shape}",
                f"must be a boolean array of shape ({len(self)},)",
            )
        return MessageTable(
            columns={name: array[keep] for name, array in self._columns.items()},
            vocabularies=self._vocabularies,
        )

    @classmethod
    def concat(cls, tables: Sequence[MessageTable]) -> MessageTable:
        """One table with the messages of ``tables`` (vocabularies united)."""
        columns: dict[str, NDArray[Any]] = {
            name: np.concatenate([t[name] for t in tables])
            for name in ("sender", "sent_at")
        }
        vocabularies: dict[str, NDArray[Any]] = {}
        for name in ("conversation_id", "sender_id"):
            union, inverse = unique_strings(
                np.concatenate([t.vocabulary(name) for t in tables]).astype(STRING)
            )
            ends = np.cumsum([len(t.vocabulary(name)) for t in tables])[:-1]
            pieces = []
            for table, remap in zip(tables, np.split(inverse, ends), strict=True):
                codes = table[name]
                pieces.append(
                    np.where(codes >= 0, remap[np.maximum(codes, 0)], MISSING)
                )
            columns[name] = np.concatenate(pieces).astype(code_dtype(len(union)))
            vocabularies[name] = union
        return cls(columns=columns, vocabularies=vocabularies)


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, np.datetime64) else value.item()


def _distinct(ids: Any) -> NDArray[Any]:
    return np.asarray([str(x) for x in ids], dtype=STRING)


def message_rows(table: ConversationTable) -> NDArray[np.intp]:
    """The table row of each attached message's conversation (-1: not in the table).

    Cached with the table; an empty array when no messages are attached.
    """
    messages = table.messages
    if messages is None:
        return np.zeros(0, dtype=np.intp)

    def compute() -> NDArray[np.intp]:
        ours = table.vocabulary("conversation_id")
        theirs = messages.vocabulary("conversation_id")
        if len(ours) == len(theirs) and bool((ours == theirs).all()):
            row_of_code = np.full(len(ours), -1, dtype=np.intp)
            row_of_code[table["conversation_id"]] = np.arange(len(table))
            return np.asarray(row_of_code[messages["conversation_id"]], dtype=np.intp)
        union, inverse = unique_strings(np.concatenate([ours, theirs]).astype(STRING))
        row_of_union = np.full(len(union), -1, dtype=np.intp)
        row_of_union[inverse[: len(ours)][table["conversation_id"]]] = np.arange(
            len(table)
        )
        return np.asarray(
            row_of_union[inverse[len(ours) :]][messages["conversation_id"]],
            dtype=np.intp,
        )

    rows: NDArray[np.intp] = table.derived(("messages", "rows"), compute)
    return rows


def attach(table: ConversationTable, messages: MessageTable) -> None:
    """Check that ``messages`` fit ``table``'s conversations (raise otherwise).

    Every message belongs to a conversation of the table and lies within
    ``[opened_at, closed_at]`` of it.
    """
    if not isinstance(messages, MessageTable):
        raise WrongTypeError(
            "ConversationTable", "messages", messages, "must be a MessageTable"
        )
    rows = message_rows(table)
    unknown = rows < 0
    if unknown.any():
        at = int(np.flatnonzero(unknown)[0])
        raise UnknownKeyError(
            OWNER,
            "conversation_id",
            str(messages.ids("conversation_id")[at]),
            "is not a conversation of the table",
            at,
        )
    sent = messages["sent_at"]
    opened = table["opened_at"][rows]
    closed = table["closed_at"][rows]
    for bad, rule in (
        (sent < opened, "must not be before its conversation's opened_at"),
        (sent > closed, "must not be after its conversation's closed_at"),
    ):
        if bad.any():
            at = int(np.flatnonzero(bad)[0])
            raise ValidationError(OWNER, "sent_at", str(sent[at]), rule, at)

"""Arrow text read into numpy: string arrays as ``StringDType``, from their buffers.

pyarrow is imported only when Arrow data comes in (the ``arrow`` extra).
Going through one Python string per value costs about 120 ms per million
labels; reading the UTF-8 bytes as a fixed-width ``bytes_`` array and casting
that (numpy decodes UTF-8) costs a quarter of it or less.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality._columns import STRING

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "arrow_factorized",
    "arrow_strings",
    "held_by_arrow",
    "is_arrow_array",
    "is_text",
    "is_text_dictionary",
    "pyarrow",
    "without_views",
]

_SPREAD = 8
"""Largest padding, as a multiple of the text itself, worth a fixed-width copy."""


def pyarrow() -> Any:
    """The pyarrow module (imported by whoever made the Arrow data at hand)."""
    return importlib.import_module("pyarrow")


def is_text(type_: Any) -> bool:
    """Whether Arrow type ``type_`` holds strings (plain, large or views)."""
    types = pyarrow().types
    return bool(
        types.is_string(type_)
        or types.is_large_string(type_)
        or types.is_string_view(type_)
    )


def is_text_dictionary(type_: Any) -> bool:
    """Whether Arrow type ``type_`` is a dictionary of strings."""
    return bool(pyarrow().types.is_dictionary(type_)) and is_text(type_.value_type)


def is_arrow_array(values: object) -> bool:
    """Whether ``values`` is a pyarrow array (without importing pyarrow)."""
    return type(values).__module__.startswith("pyarrow")


def held_by_arrow(values: Any) -> Any:
    """The Arrow text of an Arrow array or behind a pandas series, else ``None``.

    Strings (pandas' Arrow-backed ``str`` and ``ArrowDtype`` strings) and
    dictionaries of strings qualify; a single chunk is not copied.
    """
    if not is_arrow_array(values):
        dtype = values.dtype
        arrow_type = getattr(dtype, "pyarrow_dtype", None)
        if arrow_type is None and getattr(dtype, "storage", None) != "pyarrow":
            return None
        values = pyarrow().array(getattr(values, "array", values))
    text = is_text(values.type) or is_text_dictionary(values.type)
    return values if text else None


def arrow_factorized(held: Any) -> tuple[NDArray[np.int64], Any]:
    """Codes (-1 where missing) and the distinct strings they index, as Arrow.

    ``held`` is an Arrow string or dictionary array, chunked or not. A
    dictionary is used as it is, after merging repeated entries (Arrow
    allows them) and turning null entries into missing codes; unused
    entries stay. The strings come in first-seen order (dictionary order).
    """
    pa = pyarrow()
    if isinstance(held, pa.ChunkedArray):
        held = held.combine_chunks()
    if pa.types.is_dictionary(held.type):
        merged = held.dictionary.dictionary_encode()
        remap = np.append(_codes(merged.indices), -1)
        codes, labels = remap[_codes(held.indices)], merged.dictionary
    else:
        encoded = held.dictionary_encode()
        codes, labels = _codes(encoded.indices), encoded.dictionary
    return codes, without_views(labels)


def without_views(values: Any) -> Any:
    """String views as large strings (which pandas and the buffer reader take)."""
    pa = pyarrow()
    if pa.types.is_string_view(values.type):
        return values.cast(pa.large_string())
    return values


def _codes(indices: Any) -> NDArray[np.int64]:
    """Dictionary indices as int64, -1 where null."""
    wide = indices.cast(pyarrow().int64())
    if wide.null_count:
        wide = wide.fill_null(-1)
    return np.asarray(wide.to_numpy(zero_copy_only=False), dtype=np.int64)


def arrow_strings(array: Any) -> NDArray[Any]:
    """The values of an Arrow ``string`` or ``large_string`` array without nulls.

    The bytes are read in place when every value has the same length, and
    copied into one fixed-width block otherwise. Text with NUL characters
    and lengths too uneven for a block go through Python strings instead
    (the same values, more slowly). An empty array gives an empty array.

    Raises:
        UnicodeDecodeError: for bytes that are not UTF-8 (which Arrow's own
            string arrays never hold).
    """
    pa = pyarrow()
    n = len(array)
    wide = np.dtype(np.int64 if pa.types.is_large_string(array.type) else np.int32)
    offsets_buffer, text_buffer = array.buffers()[1:3]
    offsets = np.frombuffer(
        offsets_buffer, dtype=wide, count=n + 1, offset=array.offset * wide.itemsize
    )
    if n == 0 or offsets[-1] == offsets[0]:
        return np.full(n, "", dtype=STRING)
    text = np.frombuffer(text_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    lengths = np.diff(offsets)
    block = None if (text == 0).any() else _block(text, offsets - offsets[0], lengths)
    if block is not None:
        return block.astype(STRING)
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=object).astype(STRING)


def _block(
    text: NDArray[np.uint8],
    offsets: NDArray[Any],
    lengths: NDArray[Any],
) -> NDArray[Any] | None:
    """The values as one ``bytes_`` array as wide as the longest, or ``None``.

    Each byte is scattered to its value's slot, the rest of a slot left zero.
    """
    n, width = len(lengths), int(lengths.max())
    if (lengths == width).all():
        return text.view(f"S{width}")
    if n * width > _SPREAD * len(text) + (1 << 20):
        return None
    block = np.zeros(n * width, dtype=np.uint8)
    shift = np.arange(0, n * width, width, dtype=np.int64) - offsets[:-1]
    block[np.repeat(shift, lengths) + np.arange(len(text))] = text
    return block.view(f"S{width}")

"""A pytest.raises that also checks which field the library error names."""

import contextlib

import pytest


@contextlib.contextmanager
def fails(kind, field, match=None):
    """Expect a ``kind`` error naming ``field`` (and matching ``match``)."""
    with pytest.raises(kind, match=match) as caught:
        yield caught
    assert caught.value.field == field

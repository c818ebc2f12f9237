"""Measure a Dask DataFrame on a cluster (the ``dask`` extra).

Each partition becomes a :class:`~servicequality.ConversationTable` and
accumulates the additive states of every metric per group; Dask adds the
states of equal groups in a tree; the result is finalized once. The result
equals :func:`servicequality.measure` on the whole data.
"""

try:
    import dask
    import dask.dataframe  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on the environment
    message = "servicequality.dask needs dask: pip install 'servicequality[dask]'"
    raise ImportError(message) from missing

from servicequality.dask._measure import measure

__all__ = ["measure"]

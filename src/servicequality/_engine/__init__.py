"""The engine: per-row facts, cases, grouping and ``measure``.

The catalogue and the metric shapes sit on top of the facts; ``measure``
resolves metric names through the catalogue registry.
"""

"""The hypothesis plug-in entry point; imports nothing of hypothesis itself.

Hypothesis calls the hook while it is still starting up, possibly while
:mod:`servicequality.strategies` is half imported: the hook only has to
make sure the strategies module has run, which registers the strategies.
"""


def _hypothesis_setup_hook() -> None:
    """Register the strategies with ``st.from_type`` (called by hypothesis)."""
    import servicequality.strategies._strategies  # noqa: F401, PLC0415  # registers

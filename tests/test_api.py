"""The public surface: exported once, documented, shown in the reference."""

import importlib
import inspect
import pathlib

import pytest

import servicequality

ROOT = pathlib.Path(__file__).parent.parent
PUBLIC_MODULES = [
    "servicequality",
    "servicequality.metrics",
    "servicequality.stats",
    "servicequality.policy",
    "servicequality.incentives",
    "servicequality.review",
    "servicequality.plot",
    "servicequality.dask",
    "servicequality.strategies",
    "servicequality.demo",
]


def reference_text():
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "docs" / "reference").glob("*.md")
    )


def public_names():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if not name.startswith("_"):
                yield module_name, name


class TestPublicSurface:
    @pytest.mark.parametrize("module_name", PUBLIC_MODULES)
    def test_all_is_sorted_and_unique(self, module_name):
        """__all__ lists each name once, constants, classes, then functions."""
        names = list(importlib.import_module(module_name).__all__)
        assert len(set(names)) == len(names)
        kind = {True: 0, False: 1}
        assert (
            sorted(names, key=lambda n: (kind[n.isupper()], not n[:1].isupper(), n))
            == names
        )

    @pytest.mark.parametrize(("module_name", "name"), list(public_names()))
    def test_every_public_name_exists_and_is_documented(self, module_name, name):
        """Each exported object has a docstring (constants: a reference entry)."""
        value = getattr(importlib.import_module(module_name), name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module_name}.{name} has no docstring"

    @pytest.mark.parametrize(("module_name", "name"), list(public_names()))
    def test_every_public_name_is_in_the_reference(self, module_name, name):
        """The docs reference shows every public name."""
        text = reference_text()
        assert f"::: {module_name}.{name}\n" in text or (
            f"::: {module_name}\n" in text and module_name != "servicequality"
        ), f"{module_name}.{name} is missing from docs/reference"

    def test_version_comes_from_one_place(self):
        """The package version is the one in _version.py."""
        from servicequality._version import __version__

        assert servicequality.__version__ == __version__

"""The layout: private modules import each other without circles."""

import ast
import pathlib

import pytest

SOURCE = pathlib.Path(__file__).parent.parent / "src" / "servicequality"


def module_name(path):
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path):
    """Library modules ``path`` imports at run time (type-checking imports aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("servicequality"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    found.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(
                a.name for a in node.names if a.name.startswith("servicequality")
            )
    return {name for name in found if name in MODULES}


MODULES = {module_name(p): p for p in SOURCE.rglob("*.py")}
PRIVATE = {name for name in MODULES if name.rsplit(".", 1)[-1].startswith("_")}


GRAPH = {m: imported(p) & PRIVATE for m, p in MODULES.items() if m in PRIVATE}


def cycle_through(start, graph):
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for following in graph.get(node, ()):
            if following == start:
                return [*path, start]
            if following not in seen:
                seen.add(following)
                stack.append((following, [*path, following]))
    return None


@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_no_private_module_imports_itself_back(name):
    """No chain of imports between private modules leads back to where it began.

    Public package ``__init__`` modules only re-export, so they are left out;
    imports inside functions count (a lazy import hides a circle, it does not
    remove it).
    """
    assert cycle_through(name, GRAPH) is None


def private_names_taken(path):
    """``(module, name)`` of underscore names imported from other library modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("servicequality")
        for alias in node.names
        if alias.name.startswith("_")
        and not alias.name.endswith("__")
        and f"{node.module}.{alias.name}" not in MODULES
        and alias.name != HYPOTHESIS_HOOK
    )


HYPOTHESIS_HOOK = "_hypothesis_setup_hook"
"""The name Hypothesis looks for behind its entry point: private by its rule."""


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_reaches_into_another_modules_private_names(name):
    """Modules share what they name publicly; private modules are imported whole."""
    assert private_names_taken(MODULES[name]) == []

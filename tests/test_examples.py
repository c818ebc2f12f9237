"""Every script and notebook in examples/ runs to the end."""

import ast
import json
import pathlib
import runpy
import sys

import pytest
from matplotlib.figure import Figure

ROOT = pathlib.Path(__file__).parent.parent / "examples"
SCRIPTS = sorted(ROOT.glob("*.py"))
NOTEBOOKS = sorted(ROOT.glob("*.ipynb"))


def run(script, monkeypatch, *arguments):
    monkeypatch.setattr(sys, "argv", [str(script), *arguments])
    runpy.run_path(str(script), run_name="__main__")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script, capsys, monkeypatch):
    """The script finishes and prints something."""
    run(script, monkeypatch)
    assert capsys.readouterr().out.strip()


def test_load_and_check_reports_both_planted_faults(capsys, monkeypatch):
    """The loading example shows the two bad rows it planted."""
    run(ROOT / "load_and_check.py", monkeypatch)
    out = capsys.readouterr().out
    assert "conversation #5" in out
    assert "conversation #200" in out


@pytest.mark.parametrize(
    ("script", "names"),
    [
        ("monthly_review.py", ["monthly-heatmap", "monthly-tiers", "monthly-trend"]),
        ("fair_bonus.py", ["bonus-breakdown"]),
    ],
)
def test_examples_draw_the_documentation_figures(
    script, names, tmp_path, monkeypatch, capsys
):
    """With --figures the scripts write the PNGs the docs show."""
    run(ROOT / script, monkeypatch, "--figures", str(tmp_path))
    capsys.readouterr()
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == names
    docs = ROOT.parent / "docs" / "figures"
    assert all((docs / f"{name}.png").exists() for name in names)
    assert all((tmp_path / f"{n}.png").read_bytes()[:4] == b"\x89PNG" for n in names)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook):
    """The code cells run in order in one namespace, as a kernel would run them.

    A cell's last expression is what Jupyter displays: it must display as a
    table (``_repr_html_``) or a figure.
    """
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace = {"__name__": "__notebook__"}
    shown = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, notebook.name, "exec"), namespace)
        if last is not None:
            value = eval(
                compile(ast.Expression(last.value), notebook.name, "eval"), namespace
            )
            if value is not None:
                shown.append(value)
    assert shown
    for value in shown:
        assert isinstance(value, Figure) or value._repr_html_().startswith("<")

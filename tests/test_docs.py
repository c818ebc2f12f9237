"""Every Python example in the README and the docs runs as written."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples():
    for page in PAGES:
        blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
        if blocks:
            yield pytest.param(blocks, id=str(page.relative_to(ROOT)))


@pytest.mark.parametrize("blocks", list(examples()))
def test_page_examples_run(blocks, capsys):
    """The blocks of one page run in order, in one namespace, without error."""
    namespace = {"__name__": "__docs__"}
    for block in blocks:
        exec(compile(block, "<docs>", "exec"), namespace)
    capsys.readouterr()


def test_readme_example_prints_what_the_readme_says(capsys):
    """The README's first example prints the line the README quotes."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = BLOCK.findall(text)[0]
    exec(compile(first, "README.md", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out.strip()
    assert f"prints `{printed}`" in text

"""Every Python example in the README and the docs runs and prints what is shown.

A page's ```python blocks run in order in one namespace. A block that prints
is followed (blank lines aside) by a ```text block holding exactly what it
prints; a block without one prints nothing.

After a deliberate change of output, rewrite the shown outputs with
``PYTHONPATH=src python tests/test_docs.py`` and read the diff before
committing it: the prose around a block must still agree with its numbers.
"""

import contextlib
import io
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(
    r"^```python\n(?P<code>.*?)^```\n(?:\s*?^```text\n(?P<shown>.*?)^```\n)?",
    re.MULTILINE | re.DOTALL,
)


def tidy(text):
    """Text without trailing spaces on any line or blank lines at the end."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def run_page(page):
    """(code, shown or None, printed) for each block of ``page``, in order."""
    namespace = {"__name__": "__docs__"}
    results = []
    for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(match["code"], str(page.name), "exec"), namespace)
        results.append((match["code"], match["shown"], out.getvalue()))
    return results


def pages_with_examples():
    for page in PAGES:
        if BLOCK.search(page.read_text(encoding="utf-8")):
            yield pytest.param(page, id=str(page.relative_to(ROOT)))


@pytest.mark.parametrize("page", list(pages_with_examples()))
def test_page_shows_what_its_examples_print(page):
    """Each block runs; what it prints equals the text block after it."""
    for code, shown, printed in run_page(page):
        if shown is None:
            assert printed == "", f"a block prints but shows no output:\n{code}"
        else:
            assert tidy(shown) == tidy(printed), f"shown output is stale:\n{code}"


def test_every_printing_page_is_checked():
    """The pages the pattern finds include the README and the tutorials."""
    checked = {p.values[0].name for p in pages_with_examples()}
    assert {"README.md", "getting-started.md", "pay-a-fair-bonus.md"} <= checked


def rewrite(page):
    """Replace or insert each block's shown output with what it prints now."""
    text = page.read_text(encoding="utf-8")
    results = iter(run_page(page))

    def shown(match):
        _, _, printed = next(results)
        block = f"```python\n{match['code']}```\n"
        return block + (f"\n```text\n{tidy(printed)}\n```\n" if printed else "")

    page.write_text(BLOCK.sub(shown, text), encoding="utf-8")


if __name__ == "__main__":
    for page in [pathlib.Path(a) for a in sys.argv[1:]] or PAGES:
        rewrite(page)

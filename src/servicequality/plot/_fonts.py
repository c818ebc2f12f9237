"""Fonts that read Chinese, chosen per figure without touching rcParams."""

from __future__ import annotations

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from servicequality._errors import WrongTypeError

__all__ = ["CJK_FONTS", "font_families", "use_cjk_fonts"]

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
)
"""Fonts with Simplified Chinese glyphs, in order of preference.

Each figure's text falls back to the first of these that matplotlib finds
(Noto Sans CJK / Source Han Sans on Linux, Microsoft YaHei or SimHei on
Windows, PingFang SC on macOS, WenQuanYi on older Linux) for any character
its usual font lacks, so agent names such as 小美 or a title such as
客服满意度 do not render as empty boxes. Install one of them if none is
(Debian and Ubuntu: ``apt-get install fonts-noto-cjk``).
"""


def font_families() -> list[str]:
    """The configured ``font.family`` followed by the installed CJK fonts."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    configured = mpl.rcParams["font.family"]
    return [*configured, *(name for name in CJK_FONTS if name in installed)]


def use_cjk_fonts(figure: Figure) -> Figure:
    """Give every text of ``figure`` the fallback chain of :func:`font_families`.

    Ticks added when the figure is drawn copy the existing tick labels' font,
    so they fall back too. Global matplotlib state is left as it was.

    Returns:
        The same figure.

    Raises:
        WrongTypeError: for anything but a matplotlib ``Figure``.
    """
    if not isinstance(figure, Figure):
        raise WrongTypeError(
            "use_cjk_fonts", "figure", figure, "must be a matplotlib Figure"
        )
    families = font_families()
    for text in figure.findobj(Text):
        text.set_fontfamily(families)
    return figure

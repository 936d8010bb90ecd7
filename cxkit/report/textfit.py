"""Measuring text so that it fits its box before the deck is opened.

python-pptx's auto-fit only takes effect when PowerPoint re-renders a slide,
so text is measured here with a real font and wrapped word by word. A
template's font is measured with a metric-compatible twin where installed
(Liberation Sans for Arial, Carlito for Calibri), else with DejaVu Sans
(shipped with matplotlib), which is wider than either: text that fits when
measured with it fits when shown.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from PIL import ImageFont

LINE_SPACING = 1.2       # line height as a multiple of the font size
EMU_PER_PT = 12700


FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/truetype/crosextra"))
# a template font -> a metric-compatible font that may be installed (Debian: fonts-liberation, fonts-crosextra-carlito)
METRIC_TWINS = {
    "arial": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "liberation sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "helvetica": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "calibri": ("Carlito-Regular.ttf", "Carlito-Bold.ttf"),
    "carlito": ("Carlito-Regular.ttf", "Carlito-Bold.ttf"),
}


def font_file(bold: bool, family: str = "Arial") -> Path:
    """The file measured for ``family``: its metric-compatible twin if installed, else DejaVu Sans (wide, so safe)."""
    twin = METRIC_TWINS.get(family.lower())
    if twin:
        for folder in FONT_DIRS:
            path = folder / twin[bool(bold)]
            if path.exists():
                return path
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")


@lru_cache(maxsize=128)
def _font(size: float, bold: bool, family: str):
    # measure at 10x so rounding does not hide widths
    return ImageFont.truetype(str(font_file(bold, family)), size=int(round(size * 10)))


def text_width(text: str, size: float, bold: bool = False, family: str = "Arial") -> float:
    """Width of ``text`` in points at ``size`` points."""
    return _font(size, bold, family).getlength(text) / 10


def wrap(text: str, width_pt: float, size: float, bold: bool = False, family: str = "Arial") -> list[str]:
    """Greedy word wrap of one paragraph into lines no wider than ``width_pt``."""
    words = text.split()
    if not words:
        return [""]
    lines, current = [], words[0]
    for word in words[1:]:
        candidate = f"{current} {word}"
        if text_width(candidate, size, bold, family) <= width_pt:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def text_height(paragraphs: list[str], width_pt: float, size: float, bold: bool = False,
                space_after: float = 0.0, family: str = "Arial") -> float:
    """Height in points of paragraphs wrapped to ``width_pt``."""
    lines = sum(len(wrap(p, width_pt, size, bold, family)) for p in paragraphs)
    return lines * size * LINE_SPACING + space_after * max(len(paragraphs) - 1, 0)


def fits(paragraphs: list[str], width_emu: int, height_emu: int, size: float, bold: bool = False,
         space_after: float = 0.0, inset_pt: tuple[float, float] = (7.2, 3.6), family: str = "Arial") -> bool:
    """Whether the paragraphs fit a box (python-pptx's default insets: 0.1 in sides, 0.05 in top/bottom)."""
    width = width_emu / EMU_PER_PT - 2 * inset_pt[0]
    height = height_emu / EMU_PER_PT - 2 * inset_pt[1]
    if any(text_width(word, size, bold, family) > width for p in paragraphs for word in p.split()):
        return False
    return text_height(paragraphs, width, size, bold, space_after, family) <= height


def fit_size(paragraphs: list[str], width_emu: int, height_emu: int, max_size: float, min_size: float,
             bold: bool = False, space_after_ratio: float = 0.0, family: str = "Arial") -> float | None:
    """The largest font size (half-point steps) at which the paragraphs fit, or None if none down to ``min_size`` does."""
    size = max_size
    while size >= min_size:
        if fits(paragraphs, width_emu, height_emu, size, bold, space_after=size * space_after_ratio, family=family):
            return size
        size -= 0.5
    return None

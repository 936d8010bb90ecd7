"""Measuring text so that it fits its box before the deck is opened.

python-pptx's auto-fit only takes effect when PowerPoint re-renders a slide,
so text is measured here with a real font and wrapped word by word. A
template's font is measured with a metric-compatible twin where installed
(Liberation Sans for Arial, Carlito for Calibri), else with DejaVu Sans
(shipped with matplotlib), which is wider than either: text that fits when
measured with it fits when shown.

Client text may be in any script. A character the measuring font lacks is
measured with DejaVu Sans where it has it (Arabic, Hebrew, Greek, Cyrillic,
many symbols); one neither has is counted a full em wide for Chinese,
Japanese and Korean (as their fonts draw them) and 1.3 em for anything else
(emoji are drawn about 1.3 em wide), so it is never measured narrower than
shown. Chinese, Japanese and Korean break between any two characters, as
PowerPoint breaks them; other text breaks at spaces.
"""

from __future__ import annotations

import re
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


DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
# scripts written without spaces, broken between any two characters: CJK symbols and punctuation, kana, CJK
# ideographs, Hangul, compatibility ideographs and full-width forms
_CJK = "\u2e80-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef" \
       "\U00020000-\U0003ffff"
_PIECE = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")
_IS_CJK = re.compile(f"[{_CJK}]")
UNKNOWN_EM = 1.3   # the width counted for a character no installed font has (other than CJK: 1 em)


def pieces(text: str) -> list[tuple[str, bool]]:
    """The units a line may break between: words, and each Chinese, Japanese or Korean character; each with
    whether a space comes before it."""
    out = []
    for match in _PIECE.finditer(text):
        out.append((match.group(), bool(out) and (match.start() == 0 or text[match.start() - 1].isspace())))
    return out


def joined(units: list[tuple[str, bool]]) -> str:
    """Text from :func:`pieces` (or a leading part of them) again."""
    return "".join((" " if spaced and i else "") + piece for i, (piece, spaced) in enumerate(units))


@lru_cache(maxsize=32)
def font_file(bold: bool, family: str = "Arial") -> Path:
    """The file measured for ``family``: its metric-compatible twin if installed, else DejaVu Sans (wide, so safe)."""
    twin = METRIC_TWINS.get(family.lower())
    if twin:
        for folder in FONT_DIRS:
            path = folder / twin[bool(bold)]
            if path.exists():
                return path
    return DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")


@lru_cache(maxsize=128)
def _font(size: float, bold: bool, path: Path):
    # measure at 10x so rounding does not hide widths
    return ImageFont.truetype(str(path), size=int(round(size * 10)))


@lru_cache(maxsize=8)
def _covers(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=8)
def _ascii(path: Path) -> bool:
    """Whether a font has every printable ASCII character (then ASCII text needs no look-up, character by character)."""
    return set(range(32, 127)) <= _covers(path)


def text_width(text: str, size: float, bold: bool = False, family: str = "Arial") -> float:
    """Width of ``text`` in points at ``size`` points (characters the font lacks measured as the module says)."""
    main = font_file(bold, family)
    covered = _covers(main)
    if (text.isascii() and _ascii(main)) or all(ord(c) in covered for c in text):
        return _font(size, bold, main).getlength(text) / 10
    fallback = DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    width, run, run_font = 0.0, "", main
    for char in text:
        code = ord(char)
        font = main if code in covered else fallback if code in _covers(fallback) else None
        if font is not run_font and run:
            width += _font(size, bold, run_font).getlength(run) / 10
            run = ""
        if font is None:
            width += size * (1.0 if _IS_CJK.match(char) else UNKNOWN_EM)
        else:
            run, run_font = run + char, font
    return width + (_font(size, bold, run_font).getlength(run) / 10 if run else 0.0)


def wrap(text: str, width_pt: float, size: float, bold: bool = False, family: str = "Arial") -> list[str]:
    """Greedy wrap of one paragraph into lines no wider than ``width_pt``, between the units of :func:`pieces`
    (a unit wider than the line has a line of its own)."""
    units = pieces(text)
    if not units:
        return [""]
    lines, start = [], 0
    while start < len(units):
        # the most units from ``start`` that fit, at least one: a line only widens as units are added, so a binary
        # search finds where adding them one by one would stop, measuring a few lines rather than every prefix
        low, high = start + 1, len(units)
        if text_width(joined(units[start:high]), size, bold, family) <= width_pt:
            low = high
        while low < high:
            middle = (low + high + 1) // 2
            if text_width(joined(units[start:middle]), size, bold, family) <= width_pt:
                low = middle
            else:
                high = middle - 1
        lines.append(joined(units[start:low]))
        start = low
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
    if any(text_width(piece, size, bold, family) > width for p in paragraphs for piece, _ in pieces(p)):
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

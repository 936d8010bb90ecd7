"""Builds the kit's default 16:9 deck template (``templates/deck.pptx``).

The template owns the design: slide size, theme fonts and colours, and named
layouts whose placeholders the deck fills by name. A firm's own template works
if it has layouts with the same names and placeholders (see :data:`LAYOUT_NAMES`; ``cxkit validate`` checks
them against :data:`cxkit.inputs.config.DECK_LAYOUTS`). Run
``python -m cxkit.report.template templates/deck.pptx`` to rebuild it.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu, Inches

WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 in, 16:9
MARGIN = Inches(0.55)
FONT = "Arial"  # metric-compatible with Liberation Sans, present wherever LibreOffice is
PRIMARY, ACCENT, GREY = "1F4E79", "C55A11", "595959"
BODY_TOP = Inches(1.8)
BODY_HEIGHT = Inches(5.0)



def layouts(margin: int) -> dict:
    """Layout name -> (source layout in python-pptx's default template, placeholders by idx: (name, left, top, width, height))."""
    inner = WIDTH - 2 * margin
    title = (margin, Inches(0.3), inner, Inches(0.95))
    caption = (margin, Inches(1.36), inner, Inches(0.4))
    half = (inner - Inches(0.3)) // 2
    return {
        "Title": (0, {0: ("Title", margin, Inches(2.3), inner, Inches(1.5)),
                      1: ("Subtitle", margin, Inches(4.0), inner, Inches(1.2))}),
        "Section": (2, {0: ("Title", margin, Inches(3.0), inner, Inches(1.2)),
                        1: ("Section number", margin, Inches(2.2), inner, Inches(0.7))}),
        "Finding + chart": (1, {0: ("Title",) + title, 13: ("Caption",) + caption,
                                1: ("Chart", margin, BODY_TOP, inner, BODY_HEIGHT)}),
        "Two charts": (3, {0: ("Title",) + title, 13: ("Caption",) + caption,
                           1: ("Left chart", margin, BODY_TOP, half, BODY_HEIGHT),
                           2: ("Right chart", margin + half + Inches(0.3), BODY_TOP, half, BODY_HEIGHT)}),
        "Table": (1, {0: ("Title",) + title, 13: ("Caption",) + caption,
                      1: ("Table", margin, BODY_TOP, inner, BODY_HEIGHT)}),
        "Bullets": (1, {0: ("Title",) + title, 1: ("Text", margin, Inches(1.5), inner, Inches(5.3))}),
    }


LAYOUT_NAMES = tuple(layouts(MARGIN))
NS = {"p": "http://schemas.openxmlformats.org/presentationml/2006/main",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}


def _set_box(shape, left, top, width, height):
    shape.left, shape.top, shape.width, shape.height = Emu(left), Emu(top), Emu(width), Emu(height)


def _theme(prs, primary: str, accent: str, font: str):
    theme_part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme_part.blob)
    for tag in ("majorFont", "minorFont"):
        latin = root.find(f".//a:{tag}/a:latin", NS)
        latin.set("typeface", font)
    scheme = root.find(".//a:clrScheme", NS)
    colours = {"accent1": primary, "accent2": accent, "accent3": "8FAADC", "accent4": "A6A6A6", "accent5": "548235",
               "accent6": "C00000", "dk2": primary}
    for name, value in colours.items():
        node = scheme.find(f"a:{name}", NS)
        for child in list(node):
            node.remove(child)
        etree.SubElement(node, f"{{{NS['a']}}}srgbClr", val=value)
    theme_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _list_style(placeholder, size: int, colour: str, font: str, bold: bool = False, bullets: bool = False,
                anchor=MSO_ANCHOR.TOP):
    """Set a layout placeholder's inherited text style (its lstStyle): what slides built on it get."""
    body = placeholder._element.find("p:txBody", NS)
    body_pr = body.find("a:bodyPr", NS)
    body_pr.set("anchor", {MSO_ANCHOR.TOP: "t", MSO_ANCHOR.BOTTOM: "b", MSO_ANCHOR.MIDDLE: "ctr"}[anchor])
    body_pr.set("wrap", "square")
    old = body.find("a:lstStyle", NS)
    style = etree.Element(f"{{{NS['a']}}}lstStyle")
    level = etree.SubElement(style, f"{{{NS['a']}}}lvl1pPr", algn="l")
    if not bullets:
        level.set("marL", "0")
        level.set("indent", "0")
        etree.SubElement(level, f"{{{NS['a']}}}buNone")
    run = etree.SubElement(level, f"{{{NS['a']}}}defRPr", sz=str(size * 100), b="1" if bold else "0", cap="none")
    fill = etree.SubElement(run, f"{{{NS['a']}}}solidFill")
    etree.SubElement(fill, f"{{{NS['a']}}}srgbClr", val=colour)
    etree.SubElement(run, f"{{{NS['a']}}}latin", typeface=font)
    old.addprevious(style)
    body.remove(old)


def _add_caption(layout, idx: int, box, font: str):
    """A small text placeholder under the title, copied from the layout's body placeholder."""
    body = next(ph for ph in layout.placeholders if ph.placeholder_format.idx == 1)
    element = copy.deepcopy(body._element)
    element.find(".//p:cNvPr", NS).set("name", box[0])
    element.find(".//p:cNvPr", NS).set("id", str(100 + idx))
    ph = element.find(".//p:nvPr/p:ph", NS)
    ph.set("idx", str(idx))
    ph.set("type", "body")
    layout.shapes._spTree.append(element)
    caption = next(p for p in layout.placeholders if p.placeholder_format.idx == idx)
    _set_box(caption, *box[1:])
    caption.text_frame.text = "Caption: what the chart shows, its base and method"
    _list_style(caption, 13, GREY, font)


def _ph(layout, idx: int):
    return next(p for p in layout.placeholders if p.placeholder_format.idx == idx)


def _drop_other_layouts(prs, keep: set[str]):
    layouts = prs.slide_master.slide_layouts
    for layout in list(layouts):
        if layout.name not in keep:
            layouts.remove(layout)


def build_default_template(path: str | Path, primary: str = PRIMARY, accent: str = ACCENT, font: str = FONT,
                           margin: int = MARGIN) -> Path:
    """Write a template with the kit's layouts to ``path``: the default, or a variant (colours, font, margins)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    _theme(prs, primary, accent, font)
    master = prs.slide_master
    spec = layouts(margin)
    boxes = {
        PP_PLACEHOLDER.TITLE: spec["Table"][1][0][1:],
        PP_PLACEHOLDER.BODY: (margin, BODY_TOP, WIDTH - 2 * margin, BODY_HEIGHT),
        PP_PLACEHOLDER.DATE: (margin, HEIGHT - Inches(0.5), Inches(2.5), Inches(0.35)),
        PP_PLACEHOLDER.FOOTER: (margin + Inches(2.7), HEIGHT - Inches(0.5), WIDTH - 2 * margin - Inches(4.4), Inches(0.35)),
        PP_PLACEHOLDER.SLIDE_NUMBER: (WIDTH - margin - Inches(1.5), HEIGHT - Inches(0.5), Inches(1.5), Inches(0.35)),
    }
    for ph in master.placeholders:
        _set_box(ph, *boxes[ph.placeholder_format.type])
        if ph.placeholder_format.type == PP_PLACEHOLDER.TITLE:
            _list_style(ph, 24, primary, font, bold=True)

    sources = list(prs.slide_layouts)
    targets, used = {}, set()
    for name, (source, _boxes) in spec.items():  # clone before anything is changed
        targets[name] = _clone_layout(prs, sources[source]) if source in used else sources[source]
        used.add(source)
    for name, (_source, boxes) in spec.items():
        layout = targets[name]
        layout.name = name
        for ph in list(layout.placeholders):
            idx = ph.placeholder_format.idx
            if idx in boxes:
                _set_box(ph, *boxes[idx][1:])
                ph._element.find(".//p:cNvPr", NS).set("name", boxes[idx][0])
            elif idx not in (10, 11, 12):
                ph._element.getparent().remove(ph._element)
        for idx, box in boxes.items():
            if idx == 13:
                _add_caption(layout, idx, box, font)
        title = next((p for p in layout.placeholders if p.placeholder_format.idx == 0), None)
        if name == "Title":
            _list_style(title, 36, primary, font, bold=True, anchor=MSO_ANCHOR.BOTTOM)
            _list_style(_ph(layout, 1), 18, GREY, font)
        elif name == "Section":
            _list_style(title, 32, primary, font, bold=True)
            _list_style(_ph(layout, 1), 28, accent, font, bold=True, anchor=MSO_ANCHOR.BOTTOM)
        else:
            _list_style(title, 24, primary, font, bold=True)
        if name == "Bullets":
            _list_style(_ph(layout, 1), 18, "262626", font, bullets=True)
        _accent_bar(prs, layout, name, primary, accent, margin)
    _drop_other_layouts(prs, set(spec))
    path = Path(path)
    prs.save(path)
    return path


def _clone_layout(prs, source):
    """A copy of a layout under the same master (python-pptx has no public API for this)."""
    from pptx.opc.constants import CONTENT_TYPE as CT
    from pptx.opc.packuri import PackURI
    from pptx.parts.slide import SlideLayoutPart

    master_part = prs.slide_master.part
    existing = {p.partname for p in prs.part.package.iter_parts()}
    n = 1
    while PackURI(f"/ppt/slideLayouts/slideLayout{n}.xml") in existing:
        n += 1
    partname = PackURI(f"/ppt/slideLayouts/slideLayout{n}.xml")
    element = copy.deepcopy(source._element)
    part = SlideLayoutPart(partname, CT.PML_SLIDE_LAYOUT, prs.part.package, element)
    part.relate_to(master_part, RT.SLIDE_MASTER)
    rid = master_part.relate_to(part, RT.SLIDE_LAYOUT)
    id_list = prs.slide_master._element.get_or_add_sldLayoutIdLst()
    new_id = max(int(e.get("id")) for e in id_list) + 1
    entry = etree.SubElement(id_list, f"{{{NS['p']}}}sldLayoutId")
    entry.set("id", str(new_id))
    entry.set("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id", rid)
    return part.slide_layout


def _accent_bar(prs, layout, name, primary, accent, margin):
    """A thin brand bar: down the left of title and section slides, under the title elsewhere."""
    tree = layout.shapes._spTree
    scratch = prs.slides.add_slide(layout)
    if name in ("Title", "Section"):
        shape = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(0.25), HEIGHT)
        colour = primary
    else:
        shape = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, margin, Inches(1.29), Inches(1.2), Inches(0.05))
        colour = accent
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor.from_string(colour)
    shape.line.fill.background()
    shape.name = "Brand bar"
    tree.append(copy.deepcopy(shape._element))
    # remove the scratch slide
    slides = prs.slides._sldIdLst
    rid = slides[-1].rId
    prs.part.drop_rel(rid)
    slides.remove(slides[-1])


if __name__ == "__main__":
    # python -m cxkit.report.template PATH [PRIMARY ACCENT FONT MARGIN_INCHES]
    args = sys.argv[1:]
    target = args[0] if args else "templates/deck.pptx"
    options = {}
    if len(args) >= 5:
        options = dict(primary=args[1], accent=args[2], font=args[3], margin=Inches(float(args[4])))
    print(build_default_template(target, **options))

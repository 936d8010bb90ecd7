"""The roll-up deck of a batch run by units: the units side by side, built only from the roll-up's saved tables
and claims (``OUT/<engagement-id>-units/results/``), like every deck of the kit."""

from __future__ import annotations

import datetime as _dt
import importlib

from pptx import Presentation

from .. import __version__
from ..inputs.config import Engagement
from ..paths import RunPaths
from ..results.store import RunResults
from .deck import SLIDES, Deck, DeckContext, deck_labels
from .kit import Canvas, Palette, notes, theme_font, title_labels
from .workbook import build_workbook

STORYLINE = ("unit_league", "unit_chart", "unit_moments", "unit_pilots", "unit_plan")


def build_rollup_deck(eng: Engagement, paths: RunPaths, rollup_id: str) -> Deck:
    """Write ``<rollup-id>-deck.pptx`` and its Excel appendix in the roll-up folder ``paths``."""
    importlib.import_module(f"{__package__}.slides.units")
    prs = Presentation(str(eng.template))
    canvas = Canvas(prs, Palette.of(eng.deck.brand.model_dump(), prs), theme_font(prs),
                    short_labels=title_labels(deck_labels(eng)))
    for _ in range(len(prs.slides)):   # a firm template may carry example slides
        canvas.drop_last_slide()
    ctx = DeckContext(eng, RunResults(paths), canvas)
    plan = ctx.table("unit_plan")
    name = eng.units.name
    slide = prs.slides.add_slide(canvas.layout("Title"))
    canvas.set_text(slide.shapes.title, [f"{eng.client}: the {name}s side by side"], 36, 20, bold=True)
    own = int((plan["status"] == "own_deck").sum()) if plan is not None else 0
    pooled = plan is not None and bool((plan["status"] == "pooled").any())
    canvas.set_text(canvas.placeholder(slide, 1), [
        f"Engagement {eng.engagement_id} | {_dt.date.today().strftime('%d %B %Y')}",
        f"{own} {name}{'' if own == 1 else 's'} with a deck of their own"
        + (f" and one for the smaller {name}s pooled" if pooled else "")
        + ", compared with the rest on the headline metrics and the moments of truth"], 18, 11)
    ctx.logo(slide, 0.9)
    slide.notes_slide.notes_text_frame.text = notes(
        f"Built by cxkit {__version__} from the roll-up's results folder (cxkit batch --units); each {name}'s own "
        "deck is in its own folder beside this one.")
    canvas.titles.append(slide.shapes.title.text_frame.text)
    for slide_name in STORYLINE:
        SLIDES[slide_name](ctx)
    target = paths.deck(rollup_id)
    tmp = target.with_name(f".{target.name}.tmp")
    prs.save(str(tmp))
    tmp.replace(target)
    workbook = build_workbook(eng.model_copy(update={"engagement_id": rollup_id}), paths, ctx.results)
    return Deck(target, len(prs.slides), tuple(canvas.titles), workbook)

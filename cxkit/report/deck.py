"""The executive deck, built only from a run's saved results and claims (nothing is computed or written here
but the deck and its Excel appendix).

Slides come from a registry of small builders (:data:`SLIDES`), one module per
stage under :mod:`cxkit.report.slides`, named in ``deck.storyline``. Every
finding slide's title is the text of a claim the stages saved, and its speaker
notes give the claim's evidence (comparison, effect, interval, test, base,
verdict) and the results files behind it. The deck is written to a temporary
file and moved into place, so a failed build leaves no half-written deck.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pptx import Presentation

from .. import __version__
from ..errors import ConfigError, CxkitError
from ..inputs.config import Engagement, deck_file_problems
from ..paths import RunPaths
from ..results.catalogue import ANALYSIS_STAGES, CLAIMS, STAGES, TABLES
from ..results.claim import Claim
from ..results.store import RunResults
from .kit import BODY_MAX, BODY_MIN, Canvas, Palette, notes, theme_font, title_labels
from .background import beside
from .workbook import build_workbook

SLIDES: dict[str, Callable[["DeckContext"], None]] = {}
TITLED_BY: dict[str, str] = {}    # a finding slide's name -> the kind of claim whose lead titles it
SLIDE_MODULES = ("reality", "customers", "comments", "drivers", "metrics", "closing", "units")


def slide_builder(name: str, claim: str | None = None):
    """Register a slide builder under the name the storyline uses (``deck.storyline`` in the engagement);
    ``claim`` names the kind of claim whose lead claim titles the slide (a finding slide)."""
    def register(builder):
        SLIDES[name] = builder
        if claim is not None:
            TITLED_BY[name] = claim
        return builder
    return register


@dataclass(frozen=True)
class Deck:
    """A built deck: where it is and what is in it, and its Excel appendix."""

    path: Path
    slides: int
    titles: tuple[str, ...]
    workbook: Path


def labelled_columns(eng: Engagement) -> dict[str, str]:
    """The feedback columns the engagement names, by their labels: the touchpoints, then the outcomes."""
    if eng.feedback is None:
        return {}
    fb = eng.feedback
    outcomes = (fb.outcomes.satisfaction, fb.outcomes.recommend, fb.outcomes.yes_no)
    return {item.column: item.label for item in (*fb.attributes, *outcomes) if item is not None}


def deck_labels(eng: Engagement) -> list[str]:
    """The client's labels a slide title may name: the touchpoints and the outcomes."""
    return list(labelled_columns(eng).values())


@dataclass
class DeckContext:
    """What a slide builder reads (the engagement, the run's results and claims) and draws on (the canvas)."""

    eng: Engagement
    results: RunResults
    canvas: Canvas
    sections: int = 0
    left_out: list[str] = field(default_factory=list)   # slides left out for want of data, with the reason
    pending: tuple[str, str | None] | None = None   # a section (title, stage) drawn only when a slide of it is
    drawn: list[str] = field(default_factory=list)   # the stages whose sections were drawn
    cover: object = None   # the title slide's subtitle, rewritten when every slide is drawn (:meth:`finish_cover`)

    def __post_init__(self):
        self.canvas.before_slide = self._open_section

    @property
    def palette(self) -> Palette:
        return self.canvas.palette

    def table(self, name: str):
        return self.results.table(name)

    def available(self, name: str):
        """A table to draw: None when the stage that writes it did not finish, or it has no rows."""
        table = self.results.table(name)
        if not self.done(TABLES[name].stage) or table is None or table.empty:
            return None
        return table

    def done(self, stage: str) -> bool:
        return self.results.done(stage)

    def claim(self, kind: str) -> Claim | None:
        return self.results.claim(kind)

    def stands(self, kind: str) -> bool:
        """Whether a finding slide is drawn: its lead claim exists and its evidence supports it. A claim that is
        not supported is stated on the slide of what the data does not show, never as a title."""
        claim = self.claim(kind)
        return claim is not None and claim.supported

    def leave_out(self, what: str, reason: str) -> None:
        """Leave a slide out for want of data, saying why in the method appendix."""
        self.left_out.append(f"{what}: {reason}")

    def title(self, kind: str) -> str:
        """A finding slide's title: the text of its lead claim (the kind's description when the stage made none)."""
        claim = self.claim(kind)
        return claim.text if claim is not None else CLAIMS[kind].description

    def notes(self, kind: str | None, *lines: str, tables: tuple[str, ...] = ()) -> str:
        """Speaker notes: the claim in full with its evidence, the slide's own lines, and the files behind them."""
        head = []
        claim = self.claim(kind) if kind else None
        if claim is not None:
            head = [f"Claim: {claim.text}.", f"Evidence: {claim.evidence()}."]
        # only the files this run wrote (Star Wars' notes cited a value_at_stake.csv it never made)
        return notes(*head, *lines, source(*(t for t in tables if self.results.has(t))))

    def finding(self, layout: str, kind: str, caption: str, *lines: str, tables: tuple[str, ...] = ()):
        """A new slide titled by a claim, with its evidence in the notes."""
        return self.canvas.new_slide(layout, self.title(kind), caption, self.notes(kind, *lines, tables=tables))

    def section(self, title: str, stage: str | None = None):
        """Open a section: its divider slide is drawn with the section's first slide, so a section whose findings
        the data does not support leaves no empty divider behind."""
        self.pending = None if stage is not None and not self.done(stage) else (title, stage)

    def close_section(self) -> None:
        """Drop a section that drew nothing."""
        self.pending = None

    def _open_section(self) -> None:
        if self.pending is None:
            return
        (title, stage), self.pending = self.pending, None
        self.sections += 1
        if stage is not None:
            self.drawn.append(stage)
        slide = self.canvas.prs.slides.add_slide(self.canvas.layout("Section"))
        self.canvas.set_text(slide.shapes.title, [title], 32, 18, bold=True)
        self.canvas.set_text(self.canvas.placeholder(slide, 1), [f"{self.sections:02d}"], 28, 14)
        self.logo(slide, 0.6)
        self.canvas.titles.append(title)

    def finish_cover(self, stages: list[str] | None = None) -> None:
        """The title slide's subtitle: the engagement, the date, and what the deck covers, named from the stages
        whose sections were drawn (a stage that ran but whose findings the data did not support is not promised);
        "customers and segments" only where the deck shows real segments."""
        if self.cover is None:
            return
        shown = self.drawn if stages is None else stages
        covered = [STAGES[s].title.lower() for s in ANALYSIS_STAGES if s in shown]
        if not self.stands("segments"):
            covered = ["customers" if c == STAGES["customers"].title.lower() else c for c in covered]
        today = _dt.date.today().strftime("%d %B %Y")
        self.canvas.set_text(self.cover, [f"Engagement {self.eng.engagement_id} | {today}",
                                          _sentence_list(covered + ["recommendations"])], 18, 11)

    def logo(self, slide, height_in: float):
        logo = self.eng.logo_path
        if logo is not None:
            from pptx.util import Emu

            picture = slide.shapes.add_picture(str(logo), 0, Emu(int(0.3 * 914400)), height=Emu(int(height_in * 914400)))
            picture.left = self.canvas.prs.slide_width - picture.width - Emu(int(0.4 * 914400))
            picture.name = "Logo"


def source(*tables: str) -> str:
    """Where a slide's numbers come from, from the results catalogue: the files and the notebooks that wrote them."""
    if not tables:
        return ""
    return "Source: " + "; ".join(TABLES[t].source for t in tables) + "."


# ---------------------------------------------------------------- the slides every deck has

@slide_builder("title")
def title_slide(ctx: DeckContext):
    canvas = ctx.canvas
    slide = canvas.prs.slides.add_slide(canvas.layout("Title"))
    canvas.set_text(slide.shapes.title, [f"{ctx.eng.client}: customer experience, where you stand and what to do next"],
                    36, 20, bold=True)
    ctx.cover = canvas.placeholder(slide, 1)   # its subtitle is written once every slide is (finish_cover)
    ctx.logo(slide, 0.9)
    slide.notes_slide.notes_text_frame.text = notes(
        f"Built by cxkit {__version__} from the run's results folder; configuration hash {ctx.eng.config_hash}.",
        "Every finding in this deck is a claim saved in results/claims.json; each slide's notes give its evidence "
        "and the results files and notebooks behind it.")
    canvas.titles.append(slide.shapes.title.text_frame.text)


def _sentence_list(words: list[str]) -> str:
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return text[:1].upper() + text[1:]


@slide_builder("executive_summary")
def summary_slide(ctx: DeckContext):
    chosen = ctx.results.executive_summary()
    lines = [c.text + "." for c in chosen] or ["No stage produced results; see the appendix for what the data allowed."]
    slide = ctx.canvas.new_slide("Bullets", "Executive summary: what matters most", notes_text=notes(
        "Ranking rule: for each analysis stage, its most material finding that the evidence supports (a stage "
        "with none states plainly that the evidence is not there), then the next most material, up to five; "
        "then any stage the data did not allow. Materiality is the share of the scale, of customers, of "
        "explained variance or of value the finding is about.",
        *[f"- {c.text} [evidence: {c.evidence()}; source: {c.sources}; materiality {c.materiality:.2f}]"
          for c in chosen]))
    ctx.canvas.set_text(ctx.canvas.placeholder(slide, 1), lines, BODY_MAX, BODY_MIN, space_after_ratio=0.5)


def build_deck(eng: Engagement, paths: RunPaths) -> Deck:
    """Build the executive deck and the Excel appendix from a run's saved results and claims.

    Parameters
    ----------
    eng : Engagement
    paths : RunPaths
        The run folder holding ``results/``, after the recommendations stage wrote its conclusions.

    Returns
    -------
    Deck
        The path of the written .pptx, its slide count and titles, and the appendix.

    Notes
    -----
    Slides follow ``deck.storyline`` (names of builders in :data:`SLIDES`); a
    builder whose results are absent adds nothing. Writes only the deck and the
    appendix, each through a temporary file moved into place when complete.
    """
    for module in SLIDE_MODULES:
        importlib.import_module(f"{__package__}.slides.{module}")
    unknown = [name for name in eng.deck.storyline if name not in SLIDES]
    if unknown:
        raise CxkitError(f"{eng.source}: deck.storyline names unknown slides {unknown}. Fix: use names from "
                         + ", ".join(SLIDES))
    problems = deck_file_problems(eng)   # as validate checked them: the files may have changed since
    if problems:
        raise ConfigError(problems)
    prs = Presentation(str(eng.template))
    canvas = Canvas(prs, Palette.of(eng.deck.brand.model_dump(), prs), theme_font(prs),
                    short_labels=title_labels(deck_labels(eng)))
    for _ in range(len(prs.slides)):  # a firm template may carry example slides
        canvas.drop_last_slide()
    ctx = DeckContext(eng, RunResults(paths), canvas)
    # the appendix is read and written on another core while the slides are built (the slides read only the
    # tables they show: the appendix's others and their readable forms cost the slides nothing)
    appendix = beside(build_workbook, eng, paths, ctx.results)
    try:
        for name in eng.deck.storyline:
            SLIDES[name](ctx)
        # sections say what was drawn; a storyline without them names the stages that ran
        ctx.finish_cover(None if any(name.startswith("section_") for name in eng.deck.storyline) else
                         [r.stage for r in ctx.results.records() if r.status == "done"])
        target = paths.deck(eng.engagement_id)
        tmp = target.with_name(f".{target.name}.tmp")
        prs.save(str(tmp))
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(Exception):   # the slides' error is the one to report
            appendix()
        raise
    return Deck(target, len(prs.slides), tuple(canvas.titles), appendix())

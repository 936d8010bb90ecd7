"""The one place that resolves paths: inputs next to the engagement YAML, kit
templates and notebooks, and everything a run writes under its output folder.

Analysis code never builds paths; it asks a :class:`RunPaths`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CxkitError



def _kit_root() -> Path:
    """Where the kit's templates/, notebooks/ and data_samples/ are: inside the installed package
    (a wheel ships them there), else the clone the package runs from (an editable install)."""
    package = Path(__file__).resolve().parent
    return package if (package / "templates" / "defaults.yaml").exists() else package.parent


KIT_ROOT = _kit_root()
TEMPLATES = KIT_ROOT / "templates"
NOTEBOOKS = KIT_ROOT / "notebooks"
SAMPLE = KIT_ROOT / "data_samples" / "northwind" / "engagement.yaml"

# An engagement id becomes a folder name: letters, digits, dot, dash, underscore only.
ENGAGEMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def template_path(name: str | Path, engagement_dir: Path | None = None) -> Path:
    """Resolve a template reference: absolute, next to the engagement, or in the kit's templates/."""
    path = Path(name)
    if path.is_absolute():
        return path
    if engagement_dir is not None and (engagement_dir / path).exists():
        return (engagement_dir / path).resolve()
    return TEMPLATES / path


def input_path(engagement_dir: Path, name: str | Path) -> Path:
    """Resolve a data file named in an engagement YAML (relative paths are relative to the YAML)."""
    path = Path(name)
    return path if path.is_absolute() else (engagement_dir / path).resolve()


def check_engagement_id(engagement_id: str) -> str:
    """Return the id if it is safe as a folder name, else raise with the fix."""
    if not ENGAGEMENT_ID.match(engagement_id or "") or ".." in engagement_id:
        raise CxkitError(
            f"engagement_id {engagement_id!r} cannot be used as a folder name. Fix: use letters, digits, "
            "'.', '-' and '_' only (at most 80, no '..'), e.g. 'northwind-2026-q3'."
        )
    return engagement_id


def engagement_folder(out_root: Path, engagement_id: str) -> Path:
    """The folder a run of this engagement writes to, guaranteed inside ``out_root``."""
    root = Path(out_root).resolve()
    folder = (root / check_engagement_id(engagement_id)).resolve()
    if folder.parent != root:
        raise CxkitError(f"engagement_id {engagement_id!r} would write outside {root}")
    return folder


@dataclass(frozen=True)
class RunPaths:
    """Where one run's files go. ``root`` is the run folder (or its temporary build folder)."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).resolve())

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def run_record(self) -> Path:
        return self.root / "run.json"

    @property
    def summary(self) -> Path:
        return self.results / "summary.json"

    @property
    def claims(self) -> Path:
        """Every claim of the run, with its evidence and verdict."""
        return self.results / "claims.json"

    @property
    def inputs(self) -> Path:
        """The validated inputs the run hands its stages (removed when the run ends: they are client data)."""
        return self.root / "inputs"

    def input_frame(self, part: str) -> Path:
        return self.inputs / f"{_safe_name(part)}.parquet"

    @property
    def settings(self) -> Path:
        """The engagement's resolved settings, as the run loaded and validated them."""
        return self.inputs / "engagement.json"

    def table(self, name: str) -> Path:
        return self.results / f"{_safe_name(name)}.csv"

    @property
    def metric_definitions(self) -> Path:
        """The scorecard's metric definitions as YAML, for a client's BI team."""
        return self.results / "metric_definitions.yaml"

    def record(self, stage: str) -> Path:
        """A stage's record: status, headlines and claims."""
        return self.results / f"stage_{_safe_name(stage)}.json"

    def figure(self, name: str) -> Path:
        return self.figures / f"{_safe_name(name)}.png"

    def deck(self, engagement_id: str) -> Path:
        return self.root / f"{check_engagement_id(engagement_id)}-deck.pptx"

    def appendix(self, engagement_id: str) -> Path:
        return self.root / f"{check_engagement_id(engagement_id)}-appendix.xlsx"

    def make(self) -> "RunPaths":
        for folder in (self.results, self.figures, self.notebooks):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def _safe_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or ".." in name:
        raise ValueError(f"not a safe result name: {name!r}")
    return name

"""The inputs a run validates once and hands to every stage: the clean data as parquet, the settings as JSON.

``cxkit run`` reads and validates the engagement's YAML and data files once,
then writes what the stages need into the run's ``inputs/`` folder. Each stage
notebook reads them from there (fast, columnar, already clean) instead of
reading the YAML and the raw files again; a notebook opened on its own, with
no run behind it, validates from the raw files as before. The folder holds
client data, so the run removes it when it ends.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..paths import RunPaths
from .config import Engagement
from .data import ValidationReport

PARTS = ("feedback", "diagnostic")


def settings_of(eng: Engagement) -> dict:
    """An engagement's resolved settings as plain data (:func:`engagement_from` rebuilds it)."""
    data = eng.model_dump(mode="json", by_alias=True)
    data["source"], data["config_hash"] = str(eng.source), eng.config_hash
    return data


def engagement_from(settings: dict) -> Engagement:
    """The engagement a run validated, from its saved settings (the settings are validated again, not re-read)."""
    return Engagement(**settings)


def save_inputs(paths: RunPaths, eng: Engagement, report: ValidationReport) -> None:
    """Write the validated data of each part and the resolved settings into the run's ``inputs/`` folder."""
    paths.inputs.mkdir(parents=True, exist_ok=True)
    for part, frame in report.frames.items():
        frame.to_parquet(paths.input_frame(part), index=False)
    tmp = paths.settings.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings_of(eng)), encoding="utf-8")
    tmp.replace(paths.settings)


def load_inputs(engagement: str | Path, paths: RunPaths) -> tuple[Engagement, dict[str, Path]] | None:
    """The engagement and its validated data files, if a run prepared them for this engagement; else None."""
    if not paths.settings.exists():
        return None
    settings = json.loads(paths.settings.read_text(encoding="utf-8"))
    if Path(settings["source"]) != Path(engagement).resolve():
        return None   # prepared for another engagement: never use it
    eng = engagement_from(settings)
    return eng, {part: paths.input_frame(part) for part in PARTS if eng.has(part)}


def read_input(path: Path) -> pd.DataFrame:
    """A validated part as the run saved it (the buffers the conversion to pandas freed are handed back at once:
    some 0.3 GB for a million customers, in every stage's kernel)."""
    frame = pd.read_parquet(path)
    release_memory()
    return frame


def release_memory() -> None:
    """Hand freed memory back to the system: Arrow's allocator, and the C library's on Linux (``malloc_trim``), keep
    what was freed for reuse otherwise. (No garbage collection: the frames are freed as their last reference goes,
    and a full collection costs a tenth of a second in a kernel holding the analysis libraries.)"""
    import ctypes
    import sys

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):   # another C library (musl): nothing to trim
            pass

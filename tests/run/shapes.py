"""Engagements of the shapes consultants meet, made from a generated one: sizes from 30 up, 0 to 30
touchpoints, any set of outcomes, two-point and eleven-point scales, long labels, and parts absent (id,
descriptors, value, waves, comments, expectations, owners, departments, levels, the driving force, a whole
survey). Used by the property test that whatever validates runs to a deck, and by ``soak.py`` for longer runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cxkit.inputs.sample import write_sample

LONG = ("How satisfied or dissatisfied were you overall with the way the person you spoke to handled your request "
        "on the day, including how long it took to reach them and whether they understood what you needed")


@dataclass(frozen=True)
class Shape:
    """One engagement's shape; every field is a choice a property test draws."""

    seed: int = 7
    customers: int = 300            # 0: no feedback survey
    employees: int = 60             # 0: no diagnostic
    touchpoints: int = 10           # 0 to 30
    outcomes: tuple[str, ...] = ("satisfaction", "recommend", "yes_no")
    scale: str = "rating5"          # rating5, two (1-2) or eleven (0-10)
    drop: tuple[str, ...] = ()      # id, descriptors, value, wave, comment, expectations, owners
    diagnostic_drop: tuple[str, ...] = ()   # department, level, driving_force, id
    numeric_levels: bool = False    # level codes 1, 2, 3 in the file and the YAML
    long_labels: bool = False
    blanks: float = 0.0             # share of touchpoint answers blanked at random
    bootstrap: int = 0


def write_shape(folder: Path, shape: Shape) -> Path:
    """Write an engagement of ``shape`` into ``folder``; return its YAML."""
    written = write_sample(folder, seed=shape.seed, customers=max(shape.customers, 30),
                           employees=max(shape.employees, 30), attributes=max(shape.touchpoints, 10),
                           feedback=shape.customers > 0, diagnostic=shape.employees > 0, engagement_id="shape")
    raw = yaml.safe_load(written.config.read_text(encoding="utf-8"))
    rng = np.random.default_rng(shape.seed)
    raw["drivers"] = {"bootstrap": shape.bootstrap, "nonlinear_check": False}
    if scales_for(shape):
        raw["scales"] = scales_for(shape)
    if shape.customers:
        _feedback(written.feedback, raw["feedback"], shape, rng)
    if shape.employees:
        _diagnostic(written.diagnostic, raw["diagnostic"], shape)
    written.config.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return written.config


def _feedback(path: Path, spec: dict, shape: Shape, rng: np.random.Generator) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if shape.customers < 30:
        frame = frame.head(shape.customers)
    spec["attributes"] = spec["attributes"][:shape.touchpoints]
    columns = [a["column"] for a in spec["attributes"]]
    ratings = frame[columns].apply(pd.to_numeric, errors="coerce")
    if not columns:
        pass
    elif shape.scale == "two":        # good or not: 4-5 become 2, 1-3 become 1 (codes 0 and 99 stay missing codes)
        frame[columns] = ratings.apply(lambda c: np.where(c.isin([0, 99]), c, np.where(c >= 4, 2, 1)))\
            .where(ratings.notna()).astype("Int64").astype(str).replace("<NA>", "")
        spec["scale"] = "two"
    elif shape.scale == "eleven":   # 1-5 spread over 0-10
        frame[columns] = ratings.apply(lambda c: np.where(c.isin([0, 99]), 99, (c - 1) * 2.5).round())\
            .where(ratings.notna()).astype("Int64").astype(str).replace("<NA>", "")
        spec["scale"] = "recommend11"
    if shape.blanks:
        for column in columns:
            frame.loc[rng.random(len(frame)) < shape.blanks, column] = ""
    spec["outcomes"] = {k: v for k, v in spec["outcomes"].items() if k in shape.outcomes}
    for attribute in spec["attributes"]:
        if "expectations" in shape.drop or shape.scale != "rating5":
            attribute.pop("expectation", None)
        if "owners" in shape.drop:
            attribute.pop("owner", None)
        if shape.long_labels:
            attribute["label"] = f"{attribute['label']}: {LONG}"
    for key in ("id", "descriptors", "value", "wave", "comment"):
        if key in shape.drop:
            spec.pop(key, None)
    if shape.long_labels:
        for outcome in spec["outcomes"].values():
            outcome["label"] = f"{outcome['label']} ({LONG})"
    frame.to_csv(path, index=False)


def _diagnostic(path: Path, spec: dict, shape: Shape) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if shape.employees < 30:
        frame = frame.head(shape.employees)
    for key in ("department", "level", "id"):
        if key in shape.diagnostic_drop:
            spec.pop(key, None)
    if "level" in shape.diagnostic_drop:
        spec.pop("levels", None)
    elif shape.numeric_levels:
        codes = {name: str(k) for k, name in enumerate(spec["levels"], start=1)}
        frame["level"] = frame["level"].map(codes)
        spec["levels"] = {int(codes[name]): role for name, role in spec["levels"].items()}
    if "driving_force" in shape.diagnostic_drop:
        spec.pop("driving_force", None)
    frame.to_csv(path, index=False)


def scales_for(shape: Shape) -> dict:
    """The engagement-level scales a shape needs beyond the firm's."""
    return {"two": {"min": 1, "max": 2, "missing_codes": [0, 99], "label": "1 = not good, 2 = good"}} \
        if shape.scale == "two" else {}

"""A fictional client, generated with planted truth, for demos, tests and benchmarks.

Ratings come from latent scores cut into Likert categories, as real survey
answers do: a halo shared by a respondent's ratings, skew towards the top,
"not applicable" and "don't know" codes, missing answers and a few
straight-liners. What was planted (driver weights, which attributes only
punish or only reward, each customer's segment, department and level gaps,
the driving-force profile) is written beside the data in ``truth.json`` so
tests can check that the analyses find it.

With ``signal=False`` nothing is planted: outcomes are independent of the
touchpoints, touchpoints of each other (no halo, no segments), expectations
are drawn like perceptions, waves alike, and every department and level
answers alike, with target ratings drawn like the current ones. A deck made
from it must state no driver, segment, gap or silo finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..paths import TEMPLATES
from .sample_comments import planted_comments, planted_staff_comments

# column, label, owner department, planted weight, shape, performance offset, has expectation
ATTRIBUTES = [
    ("first_time_resolution", "Resolved first time", "Operations", 0.45, "linear", -0.35, True),
    ("staff_knowledge", "Staff knowledge", "Customer Service", 0.22, "linear", 0.25, False),
    ("billing_clarity", "Billing clarity", "Finance", 0.20, "dissatisfier", -0.45, True),
    ("wait_time", "Waiting time", "Operations", 0.16, "dissatisfier", -0.15, True),
    ("proactive_updates", "Proactive updates", "Marketing", 0.14, "delighter", -0.10, False),
    ("staff_courtesy", "Staff courtesy", "Customer Service", 0.12, "delighter", 0.55, True),
    ("value_for_money", "Value for money", "Sales", 0.10, "linear", -0.05, False),
    ("app_ease", "App and website ease", "Digital", 0.08, "linear", 0.10, False),
    ("ease_of_contact", "Ease of reaching us", "Customer Service", 0.05, "linear", 0.20, False),
    ("installation", "Installation and set-up", None, 0.03, "linear", 0.15, False),
]

SEGMENTS = {
    # name: (share, latent shift per attribute column, revenue multiplier)
    "Digital self-servers": (0.35, {"app_ease": 1.5, "ease_of_contact": 1.0, "staff_courtesy": -1.1, "staff_knowledge": -0.8,
                                     "proactive_updates": -1.0}, 1.0),
    "Service seekers": (0.40, {"staff_courtesy": 1.1, "staff_knowledge": 1.0, "app_ease": -1.4, "wait_time": -1.0,
                                "ease_of_contact": -0.6}, 1.2),
    "Price watchers": (0.25, {"value_for_money": -1.6, "billing_clarity": -1.3, "installation": 0.8, "proactive_updates": 1.0,
                               "wait_time": 0.7}, 0.7),
}

# planted latent mean per dimension; the statements come from the framework's item bank
DIMENSIONS = {"clear_definition": 0.35, "engagement_strategy": 0.05, "skills_behaviours": -0.05,
              "leadership_coaching": 0.15, "organisational_support": -0.65}
# dimensions whose statements also carry a target rating ("where we should be"), as some kits ask
TARGET_DIMENSIONS = ("leadership_coaching", "organisational_support")


def _bank() -> dict:
    return yaml.safe_load((TEMPLATES / "framework.yaml").read_text(encoding="utf-8"))["items"]


def _column(item_id: str) -> str:
    return f"{item_id[:-1]}_{item_id[-1]}"  # cd1 -> cd_1, as survey exports name them


DEPARTMENTS = {
    # name: (share of staff, planted latent effect)
    "Customer Service": (0.30, 0.20),
    "Operations": (0.22, 0.0),
    "Sales": (0.15, 0.05),
    "Digital": (0.11, 0.10),
    "Finance": (0.10, -0.55),
    "Field Services": (0.09, 0.0),
    "Marketing": (0.03, 0.0),
}
SMALL_DEPARTMENT = ("Legal", 3)  # always below the minimum group size: must never be shown
LEVELS = {"Executive": ("executive", 0.06, 0.75), "Manager": ("manager", 0.22, 0.30), "Frontline": ("frontline", 0.72, 0.0)}
DRIVING_FORCE = {"sales": 30.0, "product": 15.0, "operations": 25.0, "finance": 20.0, "customer": 10.0}
DRIVING_FORCE_EXECUTIVE = {"sales": 25.0, "product": 15.0, "operations": 20.0, "finance": 20.0, "customer": 20.0}

REGIONS = ["North", "South", "East", "West"]
CHANNELS = ["Phone", "Online", "Branch"]


@dataclass(frozen=True)
class SampleEngagement:
    """Where a generated engagement was written."""

    folder: Path
    config: Path
    feedback: Path | None
    diagnostic: Path | None
    truth: Path


def _likert(latent: np.ndarray, cuts: np.ndarray, low: int) -> np.ndarray:
    return (np.searchsorted(cuts, latent) + low).astype(float)


def _attributes(count: int) -> list[tuple]:
    """The planted touchpoints; past the ten named ones, generic touchpoints with a small weight."""
    extra = [(f"touchpoint_{k}", f"Touchpoint {k}", None, 0.02, "linear", 0.0, False) for k in range(11, count + 1)]
    return ATTRIBUTES + extra


def generate_feedback(n: int, rng: np.random.Generator, attributes: int = 10,
                      signal: bool = True) -> tuple[pd.DataFrame, dict]:
    """Customer feedback with planted drivers, asymmetry and segments (none of them without ``signal``)."""
    touchpoints = _attributes(attributes)
    names = list(SEGMENTS)
    shares = np.array([SEGMENTS[s][0] for s in names])
    segment = rng.choice(len(names), size=n, p=shares)
    halo = rng.normal(0, 0.3, n) * signal
    cols = [a[0] for a in touchpoints]
    latent = np.empty((n, len(cols)))
    for j, (col, _, _, _, _, offset, _) in enumerate(touchpoints):
        shift = np.array([SEGMENTS[s][1].get(col, 0.0) for s in names])[segment] * signal
        latent[:, j] = offset + shift + halo + rng.normal(0, 0.7, n)

    wave = np.where(rng.random(n) < 0.5, "2026-Q1", "2026-Q2")
    # planted improvement in the second wave on the top driver
    latent[:, 0] += np.where(wave == "2026-Q2", 0.15, 0.0) * signal

    y = np.zeros(n)
    centred = latent - latent.mean(axis=0)
    for j, (_, _, _, weight, shape, _, _) in enumerate(touchpoints):
        z = centred[:, j]
        if shape == "dissatisfier":
            y += weight * (1.7 * np.minimum(z, 0) + 0.3 * np.maximum(z, 0))
        elif shape == "delighter":
            y += weight * (0.3 * np.minimum(z, 0) + 1.7 * np.maximum(z, 0))
        else:
            y += weight * z
    y = y * signal + rng.normal(0, 0.35, n)
    y = (y - y.mean()) / y.std()

    rating_cuts = np.array([-1.9, -1.05, -0.25, 0.85])
    data = {"respondent_id": np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7))}
    for j, col in enumerate(cols):
        data[col] = _likert(latent[:, j], rating_cuts, 1)
    ratings = np.column_stack([data[c] for c in cols])

    # a few straight-liners: the same answer everywhere
    straight = rng.random(n) < 0.015
    ratings[straight] = rng.integers(3, 6, straight.sum())[:, None]
    # missing answers, and the codes for "not applicable" (0) and "don't know" (99)
    ratings[rng.random(ratings.shape) < 0.03] = np.nan
    install = cols.index("installation")
    ratings[rng.random(n) < 0.22, install] = 0
    ratings[rng.random(n) < 0.01, cols.index("wait_time")] = 99
    for j, col in enumerate(cols):
        data[col] = ratings[:, j]

    expectation_cuts = np.array([-1.6, -0.9, -0.1, 0.9])
    for j, (col, _label, _owner, _weight, _shape, offset, has_expectation) in enumerate(touchpoints):
        if has_expectation:
            exp_latent = 0.35 + 0.5 * halo + rng.normal(0, 0.8, n) if signal else offset + rng.normal(0, 0.7, n)
            values = _likert(exp_latent, expectation_cuts if signal else rating_cuts, 1)
            values[rng.random(n) < 0.03] = np.nan
            data[f"{col}_expected"] = values

    data["overall_satisfaction"] = _likert(y, np.array([-2.3, -1.9, -1.5, -1.0, -0.5, 0.0, 0.55, 1.05, 1.45]), 1)
    ltr_latent = 0.85 * y + rng.normal(0, 0.5, n)
    ltr_latent = (ltr_latent - ltr_latent.mean()) / ltr_latent.std()
    data["likelihood_to_recommend"] = _likert(ltr_latent, np.array([-2.4, -2.0, -1.6, -1.25, -0.9, -0.6, -0.1, 0.45, 0.8, 1.35]), 0)
    renew_p = 1 / (1 + np.exp(-(1.0 + 1.3 * y)))
    data["renewed"] = np.where(rng.random(n) < renew_p, "Yes", "No")

    data["region"] = rng.choice(REGIONS, n, p=[0.3, 0.3, 0.2, 0.2])
    data["channel"] = rng.choice(CHANNELS, n, p=[0.45, 0.4, 0.15])
    business = rng.random(n) < 0.2
    data["customer_type"] = np.where(business, "Business", "Residential")
    revenue_multiplier = np.array([SEGMENTS[s][2] for s in names])[segment]
    data["annual_revenue"] = np.round(rng.lognormal(6.6, 0.5, n) * np.where(business, 3.0, 1.0) * revenue_multiplier, 2)
    data["wave"] = wave
    # who comments comes from the same draws as before comments carried planted themes, so the diagnostic's
    # stream (it follows) is unchanged; what they write comes from a stream of its own
    rng.integers(0, 10, n)
    writes = rng.random(n) < 0.25
    rated = {col: np.where((data[col] == 0) | (data[col] == 99), np.nan, data[col]) for col in cols}
    data["comment"], comment_truth = planted_comments(rated, writes, rng.spawn(1)[0], signal=signal)

    frame = pd.DataFrame(data)
    if not signal:
        return frame, {"signal": False, "_segment": np.zeros(n, dtype=int), "_comments": comment_truth}
    truth = {
        "signal": True,
        "driver_weights": {a[0]: a[3] for a in touchpoints},
        "top_driver": touchpoints[0][0],
        "dissatisfiers": [a[0] for a in touchpoints if a[4] == "dissatisfier"],
        "delighters": [a[0] for a in touchpoints if a[4] == "delighter"],
        "segment_names": names,
        "segment_shifts": {s: SEGMENTS[s][1] for s in names},
        "wave_change": {"attribute": ATTRIBUTES[0][0], "from": "2026-Q1", "to": "2026-Q2", "latent_shift": 0.15},
    }
    return frame, truth | {"_segment": segment, "_comments": comment_truth}


def generate_diagnostic(n: int, rng: np.random.Generator, signal: bool = True) -> tuple[pd.DataFrame, dict]:
    """An internal diagnostic with a planted weakest dimension, level gaps and a lagging department (without
    ``signal``: every dimension, department and level alike, and target ratings drawn like the current ones)."""
    n_small = SMALL_DEPARTMENT[1]
    n_main = max(n - n_small, 10)
    dept_names = list(DEPARTMENTS)
    dept_shares = np.array([DEPARTMENTS[d][0] for d in dept_names])
    departments = np.concatenate([rng.choice(dept_names, n_main, p=dept_shares / dept_shares.sum()),
                                  np.repeat(SMALL_DEPARTMENT[0], n_small)])
    level_names = list(LEVELS)
    level_shares = np.array([LEVELS[lv][1] for lv in level_names])
    levels = rng.choice(level_names, len(departments), p=level_shares)
    n_total = len(departments)

    dept_effect = np.array([DEPARTMENTS.get(d, (0, 0.0))[1] for d in departments]) * signal
    level_effect = np.array([LEVELS[lv][2] for lv in levels]) * signal
    person = rng.normal(0, 0.45, n_total)
    cuts = np.array([-1.5, -0.6, 0.15, 1.15])
    data = {"employee_id": np.char.add("E", np.char.zfill(np.arange(1, n_total + 1).astype(str), 5)),
            "department": departments, "level": levels}
    for item_id, item in _bank().items():
        latent = DIMENSIONS[item["dimension"]] * signal + dept_effect + level_effect + person + rng.normal(0, 0.7, n_total)
        values = _likert(latent, cuts, 1)
        if item.get("reverse"):
            values = 6 - values  # agreeing with a reversed statement is bad news
        values[rng.random(n_total) < 0.02] = 99  # "don't know"
        data[_column(item_id)] = values
        if item["dimension"] in TARGET_DIMENSIONS or not signal:
            target = _likert(1.2 + 0.3 * person + rng.normal(0, 0.6, n_total) if signal else
                             person + rng.normal(0, 0.7, n_total), cuts, 1)
            target[rng.random(n_total) < 0.03] = np.nan
            data[f"{_column(item_id)}_target"] = target

    forces = list(DRIVING_FORCE)
    executive = levels == "Executive"
    alpha = np.where(executive[:, None] & signal, np.array([DRIVING_FORCE_EXECUTIVE[f] for f in forces]),
                     np.array([DRIVING_FORCE[f] for f in forces])) * 0.5
    shares = np.vstack([rng.dirichlet(a) for a in alpha]) * 100
    points = np.floor(shares)
    remainder = (100 - points.sum(axis=1)).astype(int)
    order = np.argsort(-(shares - points), axis=1)
    for i in range(n_total):
        points[i, order[i, : remainder[i]]] += 1
    # respondents do not always add up: a few are a little off, one is far off
    off = rng.choice(n_total, size=max(1, n_total // 100), replace=False)
    points[off, 0] += 5
    points[off[0], 0] += 45
    for j, force in enumerate(forces):
        data[f"df_{force}"] = points[:, j]

    # what stops them serving customers, from a stream of its own (the diagnostic's draws above are unchanged)
    lagging = min(DEPARTMENTS, key=lambda d: DEPARTMENTS[d][1])
    data["comment"], staff_truth = planted_staff_comments(departments, lagging if signal else "", rng.spawn(1)[0])
    frame = pd.DataFrame(data)
    if not signal:
        return frame, {"signal": False, "small_department": SMALL_DEPARTMENT[0], "_comments": staff_truth}
    truth = {
        "signal": True,
        "dimension_means_latent": dict(DIMENSIONS),
        "weakest_dimension": min(DIMENSIONS, key=DIMENSIONS.get),
        "target_dimensions": list(TARGET_DIMENSIONS),
        "level_effects": {LEVELS[lv][0]: LEVELS[lv][2] for lv in LEVELS},
        "lagging_department": min(DEPARTMENTS, key=lambda d: DEPARTMENTS[d][1]),
        "small_department": SMALL_DEPARTMENT[0],
        "driving_force_profile": DRIVING_FORCE,
        "driving_force_profile_executive": DRIVING_FORCE_EXECUTIVE,
        "driving_force_rows_off": sorted(int(i) + 2 for i in off),
        "_comments": staff_truth,
    }
    return frame, truth


def engagement_config(client: str, engagement_id: str, seed: int, feedback: bool, diagnostic: bool,
                      attributes: int = 10, signal: bool = True) -> dict:
    """The engagement YAML (as a dict) that maps the generated files."""
    config: dict = {"client": client, "engagement_id": engagement_id, "seed": seed}
    if feedback:
        config["feedback"] = {
            "file": "feedback.csv",
            "id": "respondent_id",
            "scale": "rating5",
            "attributes": [
                {"column": col, "label": label, **({"owner": owner} if owner else {}),
                 **({"expectation": f"{col}_expected"} if has_exp else {})}
                for col, label, owner, _w, _s, _o, has_exp in _attributes(attributes)
            ],
            "outcomes": {
                "satisfaction": {"column": "overall_satisfaction", "label": "Overall satisfaction", "scale": "sat10"},
                "recommend": {"column": "likelihood_to_recommend", "label": "Likelihood to recommend", "scale": "recommend11"},
                "yes_no": {"column": "renewed", "label": "Renewed contract"},
            },
            "descriptors": ["region", "channel", "customer_type"],
            "value": "annual_revenue",
            "wave": "wave",
            "comment": "comment",
        }
        config["drivers"] = {"nonlinear_check": True}  # the demo shows the gradient boosting check too
    if diagnostic:
        config["diagnostic"] = {
            "file": "diagnostic.csv",
            "id": "employee_id",
            "comment": "comment",
            "department": "department",
            "level": "level",
            "levels": {name: role for name, (role, _s, _e) in LEVELS.items()},
            "scale": "agree5",
            "items": [
                {"column": _column(item_id), "item": item_id,
                 **({"target": f"{_column(item_id)}_target"}
                    if item["dimension"] in TARGET_DIMENSIONS or not signal else {})}
                for item_id, item in _bank().items()
            ],
            "driving_force": {force: f"df_{force}" for force in DRIVING_FORCE},
        }
    return config


def _write_comment_truth(path: Path, comments: list[dict], ids: pd.Series) -> None:
    """The planted truth of each comment: its row, respondent, themes and personal items."""
    pd.DataFrame({"row": [c["row"] for c in comments], "respondent_id": [ids.iloc[c["row"]] for c in comments],
                  "themes": [";".join(c["themes"]) for c in comments],
                  "personal": [" | ".join(f"{k}:{v}" for k, v in c["personal"]) for c in comments]},
                 columns=["row", "respondent_id", "themes", "personal"]).to_csv(path, index=False)


STORE_SHIFT = {"first_time_resolution": 1, "overall_satisfaction": 1, "likelihood_to_recommend": 1}
TINY_STORE = 10   # customers of the one store planted under the minimum for a deck of its own


def plant_stores(frame: pd.DataFrame, stores: int, rng: np.random.Generator,
                 signal: bool = True) -> tuple[pd.DataFrame, dict]:
    """A ``store`` column for a units batch (``cxkit batch --units``): ``stores`` stores of unequal size, the last
    with :data:`TINY_STORE` customers; with ``signal``, stores 1 and 2 lag (ratings of first-time resolution and
    both outcomes lowered by :data:`STORE_SHIFT`, within each scale) and store 3 leads (raised the same).
    Returns the frame and the truth."""
    names = [f"Store {i:03d}" for i in range(1, stores + 1)]
    n = len(frame)
    tiny = min(TINY_STORE, max(n // (4 * stores), 1))
    shares = rng.dirichlet(np.full(stores - 1, 8.0))
    rest = rng.choice(stores - 1, size=n - tiny, p=shares)
    store = np.concatenate([rest, np.full(tiny, stores - 1)])
    rng.shuffle(store)
    frame = frame.copy()
    frame.insert(1, "store", np.asarray(names, dtype=object)[store])
    truth = {"column": "store", "tiny": names[-1], "lagging": [], "leading": [], "shift": STORE_SHIFT}
    if signal and stores >= 4:
        truth["lagging"], truth["leading"] = names[:2], [names[2]]
        bounds = {"first_time_resolution": (1, 5), "overall_satisfaction": (0, 10), "likelihood_to_recommend": (0, 10)}
        for sign, chosen in ((-1, [0, 1]), (1, [2])):
            rows = np.isin(store, chosen)
            for column, shift in STORE_SHIFT.items():
                if column in frame:
                    low, high = bounds[column]
                    frame.loc[rows, column] = (frame.loc[rows, column] + sign * shift).clip(low, high)
    return frame, truth


def write_sample(folder: str | Path, seed: int = 7, customers: int = 3000, employees: int = 320,
                 client: str = "Northwind Energy", engagement_id: str | None = None,
                 feedback: bool = True, diagnostic: bool = True, attributes: int = 10,
                 signal: bool = True, stores: int = 0) -> SampleEngagement:
    """Write a fictional engagement (YAML, data files, ``truth.json``) into ``folder``.

    The same seed and sizes give byte-identical files. ``signal=False`` plants nothing (see the module's notes).
    ``stores`` adds a ``store`` column with planted leading and lagging stores (:func:`plant_stores`, from its own
    random stream: everything else is as without it) and names it as the engagement's units.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    truth: dict = {"seed": seed, "customers": customers, "employees": employees}
    feedback_path = diagnostic_path = None
    if feedback:
        frame, fb_truth = generate_feedback(customers, rng, attributes, signal)
        if stores:
            frame, truth["stores"] = plant_stores(frame, stores, np.random.default_rng([seed, 5_150]), signal)
        segment = fb_truth.pop("_segment")
        _write_comment_truth(folder / "truth_comments.csv", fb_truth.pop("_comments"), frame["respondent_id"])
        truth["feedback"] = fb_truth | {"segment_of_customer": dict(zip(frame["respondent_id"], segment.tolist()))
                                        if customers <= 50_000 else None}
        feedback_path = folder / "feedback.csv"
        frame.to_csv(feedback_path, index=False, float_format="%g")
        if customers > 50_000:
            pd.DataFrame({"respondent_id": frame["respondent_id"], "segment": segment}).to_csv(folder / "truth_segments.csv", index=False)
    if diagnostic:
        frame, dg_truth = generate_diagnostic(employees, rng, signal)
        _write_comment_truth(folder / "truth_staff_comments.csv", dg_truth.pop("_comments"), frame["employee_id"])
        truth["diagnostic"] = dg_truth
        diagnostic_path = folder / "diagnostic.csv"
        frame.to_csv(diagnostic_path, index=False, float_format="%g")
    engagement_id = engagement_id or f"northwind-{seed}"
    config_path = folder / "engagement.yaml"
    header = ("# A fictional engagement written by `cxkit sample`. Data file paths are relative to this file.\n"
              "# Firm defaults (scales, thresholds, framework, deck) come from cxkit's templates/ folder.\n")
    config = engagement_config(client, engagement_id, seed, feedback, diagnostic, attributes, signal)
    if stores and feedback:
        config["units"] = {"column": "store", "name": "store"}
    config_path.write_text(header + yaml.safe_dump(config,
                                                  sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    truth_path = folder / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return SampleEngagement(folder, config_path, feedback_path, diagnostic_path, truth_path)

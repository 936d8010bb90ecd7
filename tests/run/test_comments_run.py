"""An engagement with only an NPS score, a journey stage, a date and comments runs to a deck whose drivers come
from what customers wrote."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import run_in_process

pytestmark = pytest.mark.slow

COMPLAINTS = {"billing": ["I was charged twice and the bill is still wrong.", "Unexpected fees on every invoice."],
              "waiting": ["I waited an hour on hold.", "It took weeks to get a reply."],
              "staff": ["The agent was rude.", "Staff were unhelpful and impatient."]}
PRAISE = {"staff": ["The agent was friendly and helpful.", "Lovely staff, very professional."],
          "digital": ["The app is great.", "The website is easy to use."]}


def _nps_only(folder, n=1500, seed=4):
    """Planted: complaints about billing cost 4 points of the 0-10 score, about waiting 2, about staff 1;
    praise of staff adds 1.5; everyone else scores around 8."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        said, score = [], 8.0 + rng.normal(0, 1.2)
        for theme, effect in (("billing", -4.0), ("waiting", -2.0), ("staff", -1.0)):
            if rng.random() < 0.25:
                said.append(str(rng.choice(COMPLAINTS[theme])))
                score += effect
        if rng.random() < 0.2:
            said.append(str(rng.choice(PRAISE["staff"])))
            score += 1.5
        if rng.random() < 0.15:
            said.append(str(rng.choice(PRAISE["digital"])))
        if rng.random() < 0.05:
            said.append("Call me on 07700 900123, my name is Zainab Okafor.")
        rows.append({"nps": int(np.clip(np.rint(score), 0, 10)), "stage": rng.choice(["Onboarding", "Billing", "Support"]),
                     "date": f"2026-{rng.integers(1, 7):02d}-{rng.integers(1, 28):02d}", "comment": " ".join(said)})
    pd.DataFrame(rows).to_csv(folder / "feedback.csv", index=False)
    config = {"client": "Planted Telco", "engagement_id": "nps-only", "seed": seed,
              "feedback": {"file": "feedback.csv", "descriptors": ["stage"], "wave": "date", "wave_period": "quarter",
                           "comment": "comment",
                           "outcomes": {"recommend": {"column": "nps", "label": "Likelihood to recommend",
                                                      "scale": "recommend11"}}}}
    (folder / "engagement.yaml").write_text(yaml.safe_dump(config))
    return folder / "engagement.yaml"


def test_an_nps_only_survey_gets_its_drivers_from_its_comments(tmp_path):
    config = _nps_only(tmp_path)
    folder = run_in_process(config, tmp_path / "out")
    record = json.loads((folder / "run.json").read_text())
    status = {s["stage"]: s["status"] for s in record["stages"]}
    assert status["comments"] == "done" and status["drivers"] == "skipped" and status["deck"] == "done"
    drivers = pd.read_csv(folder / "results" / "comment_theme_drivers.csv")
    assert drivers["theme"].iloc[0] == "billing" and drivers.set_index("theme").loc["billing", "direction"] == -1
    assert drivers["r2"].iloc[0] >= 0.2
    claims = {c["kind"]: c for c in json.loads((folder / "results" / "claims.json").read_text()) if c["lead"]}
    lead = claims["comment_drivers"]
    assert lead["verdict"] == "supported" and lead["text"].startswith("Comments about billing and charges go with lower")
    from pptx import Presentation

    titles = [s.shapes.title.text_frame.text for s in Presentation(str(next(folder.glob("*-deck.pptx")))).slides
              if s.shapes.title is not None]
    assert lead["text"] in titles
    text = " ".join(pd.read_csv(folder / "results" / "comment_quotes.csv")["quote"])
    assert "Zainab" not in text and "07700" not in text

"""Reality check: planted truth found, independent recomputation, and no small group shown."""

import json

import numpy as np
import pandas as pd
import pytest

from cxkit import load_engagement

from cxkit.analysis import reality
from cxkit.inputs.data import load_diagnostic
from cxkit.analysis.privacy import POOLED


def test_maturity_matches_an_independent_computation(eng, diagnostic):
    table = reality.maturity(diagnostic, eng).set_index("dimension")
    columns = [i.column for i in eng.diagnostic.items if i.dimension == "clear_definition"]
    answers = diagnostic[columns]
    scores = answers.mean(axis=1)[answers.notna().sum(axis=1) >= 2]
    row = table.loc["clear_definition"]
    assert row["mean"] == pytest.approx(scores.mean())
    assert row["n"] == len(scores)
    flat = answers.to_numpy().ravel()
    flat = flat[~np.isnan(flat)]
    assert row["favourable"] == pytest.approx((flat >= 4).mean())
    assert row["gap"] == pytest.approx(4.0 - scores.mean())


def test_a_statement_is_below_target_only_beyond_chance_across_the_statements(eng, diagnostic):
    """No-signal data said "1 of 22 statements is below target": one 95% interval in twenty-two missed its target,
    as chance alone would. The table's one-sided tests are Holm-adjusted across the statements (statsmodels)."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    from cxkit.claims.reality import what_remains_claim

    items = reality.maturity_items(diagnostic, eng)
    first = items.iloc[0]
    answers = diagnostic[first["item"]].dropna()
    assert first["p_below"] == pytest.approx(stats.ttest_1samp(answers, first["target"], alternative="less").pvalue)
    assert items["p_below_holm"].to_numpy() == pytest.approx(multipletests(items["p_below"], method="holm")[1])
    assert what_remains_claim(items, eng)[0].supported   # the planted gaps stand
    chance = items.assign(p_below=0.5, p_below_holm=1.0, gap=0.05, ci_high=items["target"] - 0.01)
    chance.loc[0, ["p_below", "p_below_holm", "gap"]] = [0.02, 0.44, 0.4]   # one of 22 under 5%, not after Holm
    (claim,) = what_remains_claim(chance, eng)
    assert claim.verdict == "within_noise" and claim.text.startswith("No statement is clearly below target")


def test_planted_weakest_dimension_has_the_largest_gap(eng, diagnostic, truth):
    table = reality.maturity(diagnostic, eng)
    assert table.iloc[0]["dimension"] == truth["diagnostic"]["weakest_dimension"]
    assert list(table["rank"]) == list(range(1, len(table) + 1))


def test_planted_truth_on_another_seed(generated):
    eng, truth = generated
    diag = load_diagnostic(eng)
    assert reality.maturity(diag, eng).iloc[0]["dimension"] == truth["diagnostic"]["weakest_dimension"]
    lagging = reality.lagging_departments(reality.maturity_by_group(diag, eng, "department"))
    assert lagging.iloc[0]["group"] == truth["diagnostic"]["lagging_department"]


def test_leaders_see_it_rosier_as_planted(eng, diagnostic):
    gaps = reality.perception_gaps(diagnostic, eng)
    assert (gaps["gap"] > 0.3).all()  # executives planted 0.75 latent points above frontline
    assert gaps["significant"].all() and (gaps["rank_biserial"] > 0).all()


@pytest.mark.parametrize("seed", [3, 5, 9])
def test_planted_truth_across_seeds(tmp_path, seed):
    from cxkit.inputs.sample import write_sample

    written = write_sample(tmp_path, seed=seed, customers=200, employees=400, engagement_id=f"seed-{seed}")
    eng = load_engagement(written.config)
    truth = json.loads(written.truth.read_text())["diagnostic"]
    diag = load_diagnostic(eng)
    assert reality.maturity(diag, eng).iloc[0]["dimension"] == truth["weakest_dimension"]
    gaps = reality.perception_gaps(diag, eng)
    assert gaps["flagged"].sum() >= 3 and (gaps["gap"] > 0).all()
    by_department = reality.maturity_by_group(diag, eng, "department")
    assert reality.lagging_departments(by_department).iloc[0]["group"] == truth["lagging_department"]
    forces = reality.driving_force(diag, eng)
    overall = forces[forces["group"] == "all"].set_index("force")["mean"]
    planted = pd.Series(truth["driving_force_profile"])
    assert overall.idxmin() == planted.idxmin() and overall.idxmax() == planted.idxmax()
    assert (overall - planted).abs().max() < 3
    execs = forces[forces["group"] == "executive"].set_index("force")["mean"]
    assert execs["customer"] > overall["customer"] + 5


def test_lagging_department_is_found(eng, diagnostic, truth):
    lagging = reality.lagging_departments(reality.maturity_by_group(diagnostic, eng, "department"))
    assert lagging.iloc[0]["group"] == truth["diagnostic"]["lagging_department"]


def test_no_group_under_the_minimum_appears(eng, diagnostic, truth):
    for by in ("department", "level"):
        table = reality.maturity_by_group(diagnostic, eng, by)
        assert (table["n"] >= eng.thresholds.min_group_size).all()
    departments = reality.maturity_by_group(diagnostic, eng, "department")
    assert truth["diagnostic"]["small_department"] not in set(departments["group"])
    assert POOLED in set(departments["group"])
    assert truth["diagnostic"]["small_department"] in reality.pooled_groups(diagnostic, eng, "department")


def test_readiness_and_driving_force(eng, diagnostic, truth):
    kcc = reality.readiness(diagnostic, eng)
    assert set(kcc["readiness"]) == {"know", "care", "can"}
    forces = reality.driving_force(diagnostic, eng)
    overall = forces[forces["group"] == "all"].set_index("force")["mean"]
    assert overall.sum() == pytest.approx(100)
    planted = pd.Series(truth["diagnostic"]["driving_force_profile"])
    assert overall.idxmin() == planted.idxmin()
    execs = forces[forces["group"] == "executive"].set_index("force")["mean"]
    assert execs["customer"] > overall["customer"]

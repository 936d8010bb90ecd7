"""Units: who gets a deck, the unit-against-the-rest tests (against statsmodels and the kit's own estimators),
planted leading and lagging stores recovered, and no unit under the minimum shown."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkit import load_engagement
from cxkit.analysis import units
from cxkit.analysis.stats import net_promoter_score, weighted_mean_ci
from cxkit.inputs.config import UnitSettings
from cxkit.inputs.data import load_feedback
from cxkit.inputs.sample import write_sample
from cxkit.run.units import with_units


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A generated engagement with 8 stores: 1 and 2 lag, 3 leads, 8 is tiny (truth.json)."""
    import json

    written = write_sample(tmp_path_factory.mktemp("stores"), seed=21, customers=3000, employees=200,
                           engagement_id="stores-21", stores=8)
    eng = with_units(load_engagement(written.config), None)
    fb = load_feedback(eng)
    plan = units.unit_plan(fb, eng)
    return eng, fb, plan, units.compare_units(fb, eng, plan), json.loads(written.truth.read_text())["stores"]


def test_planted_stores_are_found_leading_and_lagging_and_the_tiny_one_is_never_shown(stores):
    eng, fb, plan, comparison, truth = stores
    tiny = plan.set_index("unit").loc[truth["tiny"]]
    assert tiny["customers"] < units.unit_minimum(eng) and tiny["status"] in ("pooled", "too_small")
    assert truth["tiny"] not in set(comparison["unit"])
    for metric in ("nps", "outcome", "first_time_resolution"):
        on = comparison[comparison["metric"] == metric].set_index("unit")
        assert (on.loc[truth["lagging"], "verdict"] == "below").all(), metric
        assert (on.loc[truth["leading"], "verdict"] == "above").all(), metric
    moments = pd.DataFrame({"attribute": ["first_time_resolution"], "label": ["Resolved first time"], "share": [0.4]})
    pilots = units.pilot_candidates(comparison, moments)
    assert set(pilots["unit"]) == set(truth["lagging"])
    leaders = units.moment_leaders(comparison, moments)
    assert set(leaders["laggards"].iloc[0].split(", ")) == set(truth["lagging"])


def test_a_unit_too_small_to_show_changes_no_number_of_the_comparison(stores):
    """Nothing in the comparison depends on a unit too small to show (its figures cannot be had by subtracting the
    units shown from the rest or the whole): rewriting all its ratings changes no value."""
    eng, fb, plan, comparison, truth = stores
    tiny = fb["store"].astype(str) == truth["tiny"]
    changed = fb.copy()
    for column in [a.column for a in eng.feedback.attributes] + [eng.feedback.main_outcome.column, eng.nps_column]:
        changed.loc[tiny, column] = changed[column].min()
    again = units.compare_units(changed, eng, plan)
    pd.testing.assert_frame_equal(again, comparison)


def test_the_unit_against_the_rest_matches_statsmodels_wald_tests(stores):
    """Unweighted, the mean test is statsmodels' two-sample z test with separate variances, and the share test
    its Wald test of two independent proportions (unadjusted p before Holm)."""
    from statsmodels.stats.proportion import test_proportions_2indep
    from statsmodels.stats.weightstats import ztest

    eng, fb, plan, comparison, _ = stores
    store = fb["store"].astype(str)
    has = store.isin(set(plan.loc[plan["deck_unit"] != "", "unit"]))   # the rest: the other units shown
    for unit in ("Store 001", "Store 004"):
        row = comparison[(comparison["unit"] == unit) & (comparison["metric"] == "first_time_resolution")].iloc[0]
        x = fb["first_time_resolution"][store == unit].dropna()
        y = fb["first_time_resolution"][has & (store != unit)].dropna()
        assert row["value"] == pytest.approx(x.mean()) and row["rest"] == pytest.approx(y.mean())
        assert row["p"] == pytest.approx(ztest(x, y, usevar="unequal")[1], rel=1e-9)
        share = comparison[(comparison["unit"] == unit) & (comparison["metric"] == "yes_no")].iloc[0]
        a = fb["renewed"][store == unit].dropna()
        b = fb["renewed"][has & (store != unit)].dropna()
        expected = test_proportions_2indep(a.sum(), len(a), b.sum(), len(b), method="wald").pvalue
        assert share["p"] == pytest.approx(expected, rel=1e-6)
        nps = comparison[(comparison["unit"] == unit) & (comparison["metric"] == "nps")].iloc[0]
        assert nps["value"] == pytest.approx(net_promoter_score(fb[eng.nps_column][store == unit]).nps)


def test_weighted_rest_figures_equal_the_estimators_on_the_rest_itself(stores):
    """The rest's figures come from totals less the unit's; with weights they equal the kit's weighted estimators
    run on the rest's own rows."""
    eng, fb, plan, _, _ = stores
    weighted = fb.copy()
    weighted["w"] = np.random.default_rng(3).uniform(0.2, 3.0, len(fb))
    eng_w = eng.model_copy(update={"feedback": eng.feedback.model_copy(update={"weight": "w"})})
    comparison = units.compare_units(weighted, eng_w, plan)
    store = weighted["store"].astype(str)
    rest = store.isin(set(plan.loc[plan["deck_unit"] != "", "unit"])) & (store != "Store 002")
    row = comparison[(comparison["unit"] == "Store 002") & (comparison["metric"] == "outcome")].iloc[0]
    column = eng.feedback.main_outcome.column
    assert row["rest"] == pytest.approx(weighted_mean_ci(weighted[column][rest], weighted["w"][rest]).value)
    nps = comparison[(comparison["unit"] == "Store 002") & (comparison["metric"] == "nps")].iloc[0]
    assert nps["rest"] == pytest.approx(net_promoter_score(weighted[eng.nps_column][rest],
                                                           weights=weighted["w"][rest]).nps)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 80), min_size=2, max_size=12), st.integers(5, 40))
def test_no_unit_under_the_minimum_is_shown_on_its_own(eng, sizes, minimum):
    """Whatever the sizes: every unit compared or given a deck has at least the minimum, pooled units hold only
    units under it, and every customer with a unit is in exactly one deck or in none (too small)."""
    fb = pd.DataFrame({"store": np.repeat([f"S{i}" for i in range(len(sizes))], sizes)})
    fb["overall_satisfaction"] = np.arange(len(fb)) % 11
    eng_u = eng.model_copy(update={"units": UnitSettings(column="store", minimum=minimum)})
    plan = units.unit_plan(fb, eng_u)
    decks = units.deck_units(plan)
    least = units.unit_minimum(eng_u)   # units.minimum, never under thresholds.min_respondents
    assert least == max(minimum, eng.thresholds.min_respondents)
    assert (decks["customers"] >= least).all()
    assert (plan.loc[plan["status"] != "own_deck", "customers"] < least).all()
    masks = units.unit_rows(fb, eng_u, plan)
    held = sum(m.astype(int) for m in masks.values()) if masks else np.zeros(len(fb), dtype=int)
    assert held.max() <= 1
    assert held.sum() == plan.loc[plan["deck_unit"] != "", "customers"].sum()


def test_unit_ids_are_safe_folder_names_and_distinct(eng):
    taken = set()
    names = ["North", "north", "../../etc", "Store #1", "東京", "", "a" * 200]
    ids = [units.unit_id(eng, n, taken) for n in names]
    assert len(set(ids)) == len(ids)
    from cxkit.paths import ENGAGEMENT_ID
    assert all(ENGAGEMENT_ID.match(i) and ".." not in i and len(i) <= 80 for i in ids)


def test_claims_are_worded_by_the_direction_found(stores):
    from cxkit.claims.units import league_claim, pilot_claim, unit_claim

    eng, fb, plan, comparison, truth = stores
    lagging = unit_claim(comparison[comparison["unit"] == truth["lagging"][0]], eng)[0]
    assert lagging.supported and " is below the rest of " in lagging.text
    leading = unit_claim(comparison[comparison["unit"] == truth["leading"][0]], eng)[0]
    assert leading.supported and " is above the rest of " in leading.text
    league = league_claim(units.league_table(comparison, eng), eng)[0]
    assert truth["leading"][0] in league.facts["leaders"] and truth["lagging"][0] in league.facts["laggards"]
    flat = comparison.assign(verdict="no_clear_difference")
    assert not unit_claim(flat[flat["unit"] == "Store 004"], eng)[0].supported
    assert not league_claim(units.league_table(flat, eng), eng)[0].supported
    moments = pd.DataFrame({"attribute": ["billing_clarity"], "label": ["Billing clarity"], "share": [0.2]})
    assert not pilot_claim(units.pilot_candidates(flat, moments), moments, eng)[0].supported

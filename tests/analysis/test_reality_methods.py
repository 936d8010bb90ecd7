"""Reality check methods on tiny frames by hand, against independent computations, and under bad input."""

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkit import load_engagement
from cxkit.analysis import reality
from cxkit.inputs.data import load_diagnostic, validate
from cxkit.claims.reality import reality_claims
from cxkit.analysis.privacy import POOLED, suppress_cells
from cxkit.analysis.stats import between_groups, cronbach_alpha, holm, kruskal_epsilon, rank_biserial, reliability


def test_cronbach_alpha_equals_hoyts_anova_estimate():
    # Hoyt (1941): alpha = 1 - MS_residual / MS_persons from a persons x items two-way ANOVA
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, size=(40, 5)).astype(float) + rng.normal(0, 1, (40, 1)).round()
    n, k = x.shape
    grand = x.mean()
    ss_persons = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_items = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_resid = ((x - grand) ** 2).sum() - ss_persons - ss_items
    hoyt = 1 - (ss_resid / ((n - 1) * (k - 1))) / (ss_persons / (n - 1))
    assert cronbach_alpha(x) == pytest.approx(hoyt)


def test_item_rest_and_alpha_if_deleted_by_hand():
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1], "c": [1, 3, 3, 4, 5, 3],
                          "d": [5, 1, 4, 2, 3, 2]})
    rel = reliability(frame)
    assert rel.item_rest["a"] == pytest.approx(np.corrcoef(frame["a"], frame[["b", "c", "d"]].sum(axis=1))[0, 1])
    assert rel.alpha_if_deleted["d"] == pytest.approx(cronbach_alpha(frame[["a", "b", "c"]].to_numpy()))
    assert rel.alpha_if_deleted["d"] > rel.alpha  # d runs against the others


def test_between_groups_by_hand():
    b = between_groups([1, 2, 3, 4, 5, 6, 7, 8, 9], np.array(list("aaabbbccc"), dtype=object))
    # SSB 54, SSW 6: MSB 27, MSW 1, k0 3 -> ICC(1) = 26 / 29; eta^2 = 54 / 60
    assert b.icc1 == pytest.approx(26 / 29) and b.eta_squared == pytest.approx(0.9) and b.f == pytest.approx(27)


def test_rank_biserial_and_kruskal_by_hand():
    r, p = rank_biserial([3, 4, 5], [1, 2, 3])
    assert r == pytest.approx(2 * 8.5 / 9 - 1)  # 8 wins and one tie of 9 pairs
    eps, _ = kruskal_epsilon([[1, 2, 3], [4, 5, 6]])
    h = 12 / (6 * 7) * (6 ** 2 / 3 + 15 ** 2 / 3) - 3 * 7
    assert eps == pytest.approx(h / 5)


def test_holm_by_hand():
    assert holm([0.01, 0.04, 0.03, np.nan, 0.005]) == pytest.approx([0.03, 0.06, 0.06, np.nan, 0.02], nan_ok=True)


def test_maturity_levels_follow_the_framework(eng):
    level = eng.framework.maturity_level
    assert [level(x).level for x in (0.0, 0.39, 0.4, 0.69, 0.7, 0.85, 1.0)] == [1, 1, 2, 3, 4, 5, 5]


def test_targets_come_from_the_data_where_it_has_them(eng, diagnostic):
    table = reality.maturity(diagnostic, eng).set_index("dimension")
    columns = [i.target for i in eng.diagnostic.items if i.dimension == "organisational_support"]
    assert table.loc["organisational_support", "target_source"] == "data"
    assert table.loc["clear_definition", "target_source"] == "configured"
    assert table.loc["organisational_support", "target"] == pytest.approx(np.nanmean(diagnostic[columns].to_numpy()))
    assert table.loc["clear_definition", "target"] == eng.targets.maturity_default
    row = table.loc["organisational_support"]
    assert row["accomplished"] == pytest.approx((row["mean"] - 1) / (row["target"] - 1))


def test_suppress_cells_with_complementary_suppression():
    table = pd.DataFrame({"group": list("ABC"), "dimension": "d", "n": [10, 3, 8], "mean": [3.0, 4.0, 2.0]})
    out = suppress_cells(table, 5, "dimension", ["mean"])
    assert out["suppressed"].tolist() == [False, True, True]  # C hides B: 3 + 8 >= 5
    assert out["mean"].isna().tolist() == [False, True, True] and out["n"].isna().tolist() == [False, True, True]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), minimum=st.integers(3, 12), departments=st.integers(1, 9),
       missing=st.floats(0, 0.6))
def test_no_output_cell_under_the_minimum(eng, diagnostic, seed, minimum, departments, missing):
    rng = np.random.default_rng(seed)
    diag = diagnostic.sample(n=int(rng.integers(10, 120)), random_state=seed).reset_index(drop=True)
    diag["department"] = rng.choice([f"D{i}" for i in range(departments)], len(diag), p=rng.dirichlet(np.ones(departments)))
    items = [i.column for i in eng.diagnostic.items]
    diag[items] = diag[items].mask(rng.random((len(diag), len(items))) < missing)
    strict = eng.model_copy(update={"thresholds": eng.thresholds.model_copy(update={"min_group_size": minimum})})
    tables = [reality.maturity_by_group(diag, strict, "department"), reality.maturity_by_group(diag, strict, "level"),
              reality.readiness_by_group(diag, strict, "department"), reality.readiness_by_group(diag, strict, "level"),
              reality.driving_force(diag, strict)]
    for table in tables:
        shown = table[~table["suppressed"]]
        assert (shown["n"] >= minimum).all()
        assert table.loc[table["suppressed"], "n"].isna().all()
        key = table.columns[1]
        for _, part in table[table["group"] != "all"].groupby(key):
            hidden = part["suppressed"]
            if hidden.any() and not hidden.all():
                # what is hidden cannot be recovered from the total: at least `minimum` respondents behind it
                group_sizes = reality.group_labels(diag, strict, "level" if set(part["group"]) <= {
                    "executive", "manager", "frontline", POOLED} else "department").value_counts()
                assert group_sizes[part.loc[hidden, "group"]].sum() >= minimum


def _copy_with(engagement_copy, edit_frame=None, edit_config=None):
    if edit_frame:
        path = engagement_copy.parent / "diagnostic.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        edit_frame(frame).to_csv(path, index=False)
    if edit_config:
        raw = yaml.safe_load(engagement_copy.read_text())
        edit_config(raw)
        engagement_copy.write_text(yaml.safe_dump(raw))
    return load_engagement(engagement_copy)


def test_dimension_with_no_answers_is_reported_not_a_crash(engagement_copy):
    columns = ["es_1", "es_2", "es_3", "es_4"]

    def blank(frame):
        frame[columns] = ""
        return frame
    eng = _copy_with(engagement_copy, blank)
    assert any("no answers at all" in p.message for p in validate(eng).warnings)
    diag = load_diagnostic(eng)
    table = reality.maturity(diag, eng)
    assert table.iloc[-1]["dimension"] == "engagement_strategy" and np.isnan(table.iloc[-1]["mean"])
    rel = reality.reliability_table(diag, eng)
    assert any("Engagement strategy" in w for w in reality.reliability_warnings(rel, eng))
    gaps = reality.perception_gaps(diag, eng)
    by_department = reality.maturity_by_group(diag, eng, "department")
    claims = reality_claims(eng, table, reality.maturity_index(diag, eng), reality.maturity_items(diag, eng), gaps,
                            reality.lagging_departments(by_department), by_department,
                            reality.department_variance(diag, eng), reality.readiness(diag, eng),
                            reality.driving_force(diag, eng))
    assert {c.kind for c in claims if c.lead} >= {"maturity_gap", "maturity_index", "perception_gap"}


def test_department_of_one_and_everyone_in_one_level(engagement_copy):
    def edit(frame):
        frame.loc[0, "department"] = "Board office"
        frame["level"] = "Frontline"
        return frame
    eng = _copy_with(engagement_copy, edit)
    diag = load_diagnostic(eng)
    departments = reality.maturity_by_group(diag, eng, "department")
    assert "Board office" not in set(departments["group"])
    assert reality.perception_gaps(diag, eng).empty  # nothing to compare: said, not crashed
    levels = reality.readiness_by_group(diag, eng, "level")
    assert set(levels["group"]) == {"frontline"}


def test_allocations_with_text_or_negative_points_are_left_out_with_their_rows(engagement_copy):
    def edit(frame):
        frame.loc[0, "df_sales"] = "lots"
        frame.loc[1, "df_product"] = "-10"
        return frame
    eng = _copy_with(engagement_copy, edit)
    warnings = [p for p in validate(eng).warnings if "driving-force" in p.message]
    assert any("text" in p.message and p.rows == (2,) for p in warnings)
    assert any("negative" in p.message and p.rows == (3,) for p in warnings)
    diag = load_diagnostic(eng)
    assert diag.loc[[0, 1], "df_sales"].isna().all()


def test_unknown_bank_item_is_named_with_a_suggestion(engagement_copy):
    from cxkit import ConfigError

    with pytest.raises(ConfigError) as caught:
        _copy_with(engagement_copy, edit_config=lambda raw: raw["diagnostic"]["items"][0].update(item="cd9"))
    problem = caught.value.problems[0]
    assert problem.key == "diagnostic.items[0].item" and "cd" in problem.fix


def test_own_statements_stand_beside_the_bank(engagement_copy):
    def own(raw):
        raw["diagnostic"]["items"][0] = {"column": "cd_1", "dimension": "clear_definition", "readiness": "care",
                                         "text": "A statement of the firm's own."}
    eng = _copy_with(engagement_copy, edit_config=own)
    first = eng.diagnostic.items[0]
    assert first.item is None and first.text == "A statement of the firm's own." and first.readiness == "care"
    assert eng.diagnostic.items[1].item == "cd2" and eng.diagnostic.items[1].text.startswith("I understand")


def test_a_column_mapped_twice_is_refused(engagement_copy):
    from cxkit import ConfigError

    with pytest.raises(ConfigError, match="listed twice"):
        _copy_with(engagement_copy, edit_config=lambda raw: raw["diagnostic"]["items"][1].update(column="cd_1"))

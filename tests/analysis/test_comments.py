"""Comments: the codeframe's rules, sentiment, themes against the planted truth, their ties to the outcome, quotes."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression

from cxkit import load_engagement
from cxkit.analysis import comments as c
from cxkit.errors import ConfigError, NotEnoughData
from cxkit.inputs.data import load_feedback
from cxkit.inputs.sample import write_sample


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("comments")
    written = write_sample(folder, seed=11, customers=4000, employees=0)
    eng = load_engagement(written.config)
    truth = pd.read_csv(folder / "truth_comments.csv", keep_default_na=False)
    return eng, load_feedback(eng), truth


def _with(eng, **comments):
    return eng.model_copy(update={"comments": eng.comments.model_copy(update=comments)})


def test_terms_match_whole_words_with_wildcards_phrases_and_exclusions(eng):
    frame = c.Codeframe((c.Theme("billing", "Billing", "", ("refund*", "direct debit", "bill"), ("in charge",)),
                         c.Theme("staff", "Staff", "", ("[name]", "charge"), ("in charge",))), "test")
    coded = frame.code(["Refunded at last", "the direct-debit failed", "billing", "Sarah [name] helped",
                        "the person in charge", "call me on [phone]", None])
    assert coded["billing"].tolist() == [True, True, False, False, False, False, False]   # "billing" is not "bill"
    assert coded["staff"].tolist() == [False, False, False, True, False, False, False]


def test_a_term_is_words_never_a_pattern():
    frame = c.Codeframe((c.Theme("odd", "Odd", "", ("a.b", "(x|y)")),), "test")
    assert frame.code(["axb", "x", "a.b here", "(x|y)"])["odd"].tolist() == [False, False, True, True]


def test_the_codeframe_is_extended_or_replaced_by_the_engagement(eng):
    firm = c.load_codeframe(eng)
    assert {"billing", "waiting", "staff", "digital"} <= set(firm.ids)
    more = c.load_codeframe(_with(eng, themes={"parking": {"label": "Parking", "terms": ["parking", "car park"]},
                                               "billing": {"terms": ["tariff statement"]}}))
    assert "parking" in more.ids and "tariff statement" in more.theme("billing").terms
    alone = c.load_codeframe(_with(eng, replace=True, themes={"parking": {"label": "Parking", "terms": ["car park"]}}))
    assert alone.ids == ("parking",)
    with pytest.raises(ConfigError, match="label and a list of terms"):
        c.load_codeframe(_with(eng, themes={"bad": {"label": "Bad"}}))
    with pytest.raises(ConfigError, match="not a theme id"):
        c.load_codeframe(_with(eng, themes={"Bad Id": {"label": "X", "terms": ["x"]}}))


def test_sentiment_is_vaders_compound_score_with_its_cut_offs():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = ["The agent was brilliant!", "Awful, never again.", "I called on Tuesday.", ""]
    scores = c.sentiment_scores(texts)
    analyser = SentimentIntensityAnalyzer()
    assert scores[:3] == pytest.approx([analyser.polarity_scores(t)["compound"] for t in texts[:3]])
    assert np.isnan(scores[3])
    assert c.sentiment_label(scores).tolist() == ["positive", "negative", "neutral", None]
    assert c.sentiment_label([0.05, -0.05, 0.049]).tolist() == ["positive", "negative", "neutral"]


def test_planted_themes_are_recovered(planted):
    """Every theme of the generated comments found with F1 of at least 0.8 against the planted labels."""
    eng, fb, truth = planted
    coded = c.code_comments(fb, eng)
    table = coded.table.set_index("row")
    assert set(table.index) == set(truth["row"])
    for theme in coded.codeframe.ids:
        want = truth.set_index("row")["themes"].str.split(";").map(lambda labels: theme in labels)
        got = table[theme].reindex(want.index)
        tp, fp, fn = (want & got).sum(), (~want & got).sum(), (want & ~got).sum()
        assert tp > 0 and 2 * tp / (2 * tp + fp + fn) >= 0.8, theme


def test_theme_summary_shares_and_test_by_hand(planted):
    eng, fb, _ = planted
    coded = c.code_comments(fb, eng)
    summary = c.theme_summary(coded, eng).set_index("theme")
    t = coded.table
    billing = summary.loc["billing"]
    assert billing["mentions"] == t["billing"].sum() and billing["share"] == pytest.approx(t["billing"].mean())
    assert coded.grouping == "nps" and billing["worst_group"] == "detractor"
    detractors = t[t["group"] == "detractor"]
    assert billing["share_worst"] == pytest.approx(detractors["billing"].mean())
    others = t[t["group"].isin(["passive", "promoter"])]
    assert billing["lift"] == pytest.approx(detractors["billing"].mean() / others["billing"].mean())
    raw = [stats.chi2_contingency(pd.crosstab(t["group"], t[theme]).to_numpy())[1] for theme in summary.index]
    assert summary["chi2_p"].min() == pytest.approx(min(p * len(raw) for p in raw) if min(raw) * len(raw) < 1 else 1)
    # planted: billing is a dissatisfier, complained about by those who rate it poorly
    assert billing["lift"] > 1.3 and billing["chi2_p"] < 0.001 and billing["negative"] > 0.5


def test_theme_drivers_are_the_shapley_decomposition_of_r2_on_theme_indicators(planted):
    """Against a brute-force LMG: every ordering's R² increments from least-squares fits, averaged."""
    eng, fb, _ = planted
    coded = c.code_comments(fb, eng)
    three = c.CodedComments(coded.table, c.Codeframe(tuple(coded.codeframe.theme(k) for k in
                                                           ("billing", "resolution", "staff")), "test"),
                            coded.groups, coded.grouping)
    model = c.theme_drivers(three, eng)
    t = coded.table.dropna(subset=["outcome"])
    x, y = t[["billing", "resolution", "staff"]].to_numpy(float), t["outcome"].to_numpy(float)
    r2 = lambda cols: LinearRegression().fit(x[:, cols], y).score(x[:, cols], y) if cols else 0.0  # noqa: E731
    shapley = np.zeros(3)
    for order in itertools.permutations(range(3)):
        for k, j in enumerate(order):
            shapley[j] += r2(list(order[:k + 1])) - r2(list(order[:k]))
    shapley /= 6
    got = model.table.set_index("theme").loc[["billing", "resolution", "staff"], "importance"].to_numpy()
    assert got == pytest.approx(shapley, abs=1e-9) and model.r2 == pytest.approx(r2([0, 1, 2]), abs=1e-9)
    assert model.table.set_index("theme").loc["billing", "direction"] == -1   # complaints go with lower scores


def test_theme_drivers_need_themes_and_an_outcome(planted):
    eng, fb, _ = planted
    coded = c.code_comments(fb.head(200), eng)
    strict = eng.model_copy(update={"thresholds": eng.thresholds.model_copy(update={"min_respondents": 150})})
    with pytest.raises(NotEnoughData, match="fewer than two themes"):
        c.theme_drivers(coded, strict)
    with pytest.raises(NotEnoughData, match="no comment column"):
        c.code_comments(fb.drop(columns="comment"), eng)


def test_quotes_are_short_balanced_and_never_from_a_group_under_the_minimum(planted):
    eng, fb, _ = planted
    coded = c.code_comments(fb, eng)
    table = c.quotes(coded, eng, ["billing", "staff"])
    assert (table.groupby("theme").size() <= eng.comments.quotes).all()
    assert (table["quote"].str.len() <= eng.comments.quote_length).all()
    assert table["quote"].is_unique and not table["quote"].str.contains(r"\[(?:phone|email|card)").any()
    billing = table[table["theme"] == "billing"]
    assert {"negative", "positive"} <= set(billing["sentiment_label"])
    mentions = coded.table["staff"].sum()
    high = _with(eng, min_quote_group=int(mentions) + 1)
    assert "staff" not in set(c.quotes(coded, high, ["billing", "staff"])["theme"])
    assert c.quotes(coded, _with(eng, min_quote_group=len(coded.table) + 1), ["billing"]).empty


def test_a_theme_the_codeframe_misses_is_discovered(planted):
    eng, fb, _ = planted
    fb = fb.copy()
    rng = np.random.default_rng(0)
    extra = ["Parking at the store is impossible", "No parking spaces near the shop", "The car park was full again",
             "Parking charges at the car park are silly"]
    blank = fb.index[fb["comment"].fillna("").eq("")][:300]
    fb.loc[blank, "comment"] = rng.choice(extra, len(blank))
    coded = c.code_comments(fb, eng)
    found = c.discover_themes(coded, eng)
    parking = found[found["terms"].str.contains("parking|park")]
    assert "park" in found["terms"].iloc[0] and parking["comments"].sum() >= 150   # of the ~225 left uncoded
    assert found["suggestion"].str.startswith("topic_").all() and found["example"].str.len().max() <= 200


def test_cut_quote_keeps_whole_sentences_or_cuts_at_a_word():
    assert c.cut_quote("One. Two two. Three three three.", 15) == "One. Two two."
    assert c.cut_quote("a" * 10 + " " + "b" * 50, 30).endswith("…")
    assert len(c.cut_quote("word " * 100, 40)) <= 40


@pytest.fixture(scope="module")
def staff(tmp_path_factory):
    from cxkit.inputs.data import load_diagnostic

    folder = tmp_path_factory.mktemp("staff")
    written = write_sample(folder, seed=12, customers=0, employees=900, feedback=False)
    eng = load_engagement(written.config)
    return eng, load_diagnostic(eng), pd.read_csv(folder / "truth_staff_comments.csv", keep_default_na=False)


def test_planted_staff_themes_are_recovered(staff):
    eng, diag, truth = staff
    coded = c.code_staff_comments(diag, eng)
    table = coded.table.set_index("row")
    for theme in coded.codeframe.ids:
        want = truth.set_index("row")["themes"].str.split(";").map(lambda labels: theme in labels)
        got = table[theme].reindex(want.index)
        tp, fp, fn = (want & got).sum(), (~want & got).sum(), (want & ~got).sum()
        assert tp > 0 and 2 * tp / (2 * tp + fp + fn) >= 0.8, theme


def test_staff_themes_by_department_show_no_group_under_the_minimum(staff):
    eng, diag, _ = staff
    strict = eng.model_copy(update={"thresholds": eng.thresholds.model_copy(update={"min_group_size": 40})})
    table = c.staff_themes(c.code_staff_comments(diag, strict), strict)
    departments = table[table["group"] != "All"]
    assert (departments["commenters"] >= 40).all() and "Other (pooled for privacy)" in set(departments["group"])
    counts = c.code_staff_comments(diag, strict).table["group"].value_counts()
    assert counts.min() >= 40
    overall = table[table["group"] == "All"]
    assert overall["commenters"].nunique() == 1 and overall["mentions"].is_monotonic_decreasing


def test_the_staff_claim_names_a_theme_only_when_it_leads_beyond_noise(staff):
    from cxkit.claims.comments import staff_claims

    eng, diag, _ = staff
    diag = diag.copy()
    comments = diag["comment"].fillna("")
    diag["comment"] = np.where(comments.ne("") & (np.arange(len(diag)) % 2 == 0),
                               comments + " The CRM system crashes again.", comments)
    lead = staff_claims(c.staff_themes(c.code_staff_comments(diag, eng), eng), eng)[0]
    assert lead.supported and lead.text.startswith("Our people name systems and tools most often") and lead.p < 0.05
    even = pd.DataFrame({"comment": ["The CRM system is slow.", "We need more training."] * 40})
    lead = staff_claims(c.staff_themes(c.code_staff_comments(even, eng), eng), eng)[0]
    assert not lead.supported and lead.text.endswith("about equally often as what stops them serving customers")
    assert "(50% of their 80 comments) and " in lead.text   # each share beside its theme, one sentence that parses


def test_themes_by_descriptor_and_wave_by_hand(planted):
    eng, fb, _ = planted
    coded = c.code_comments(fb, eng)
    table = c.themes_by_descriptor(coded, fb, eng)
    assert {"region", "channel", "customer_type", "wave"} <= set(table["descriptor"])
    t = coded.table.assign(region=fb["region"].iloc[coded.table["row"]].to_numpy())
    row = table[(table["descriptor"] == "region") & (table["value"] == "North") & (table["theme"] == "billing")].iloc[0]
    north = t[t["region"] == "North"]
    assert row["comments"] == len(north) and row["share"] == pytest.approx(north["billing"].mean())
    raw = stats.chi2_contingency(pd.crosstab(t["region"], t["billing"]).to_numpy())[1]
    assert row["chi2_p"] >= raw - 1e-12     # Holm never lowers a p-value
    strict = eng.model_copy(update={"thresholds": eng.thresholds.model_copy(update={"min_respondents": 10_000})})
    assert c.themes_by_descriptor(coded, fb, strict)["share"].isna().all()


def test_beyond_the_sample_size_a_seeded_random_sample_is_coded(planted, monkeypatch):
    eng, fb, _ = planted
    full = c.code_comments(fb, eng)
    monkeypatch.setattr(c, "COMMENT_SAMPLE", 600)
    part = c.code_comments(fb, eng)
    assert len(part.table) == 600 and part.written == len(full.table) and part.sampled and not full.sampled
    assert part.table["row"].is_monotonic_increasing and set(part.table["row"]) <= set(full.table["row"])
    assert c.code_comments(fb, eng).table["row"].equals(part.table["row"])   # seeded
    both = full.table.set_index("row").loc[part.table["row"], "billing"].to_numpy()
    assert (both == part.table["billing"].to_numpy()).all()
    from cxkit.claims.comments import read_claim

    assert read_claim(600, 500, 10, 0, written=part.written)[0].text.startswith(f"{part.written:,} comments read; in a random 600")

"""Slides about what customers say: themes by loyalty, the themes that go with the outcome, quotes, and the topics
the codeframe misses (appendix)."""

from __future__ import annotations

from ...claims.comments import group_words
from ..deck import DeckContext, slide_builder
from ..kit import pct


@slide_builder("section_comments")
def section_comments(ctx: DeckContext):
    ctx.section("What customers say: their own words", "comments")


@slide_builder("comment_themes", claim="comment_theme")
def comment_themes_slide(ctx: DeckContext):
    themes, by_group = ctx.available("comment_themes"), ctx.available("comment_themes_by_group")
    if themes is None or by_group is None or not ctx.stands("comment_theme"):
        return
    worst, best = themes["worst_group"].iloc[0], themes["best_group"].iloc[0]
    order = themes.sort_values("mentions", ascending=False, kind="stable")
    order = order[order["mentions"] > 0]
    shares = by_group.set_index(["theme", "group"])["share"]
    comments = by_group.drop_duplicates("group").set_index("group")["comments"]
    series = {f"{group_words(g).capitalize()} (n = {int(comments.get(g, 0)):,})":
              [float(shares.get((t, g), 0.0)) for t in order["theme"]] for g in (worst, best)}
    slide = ctx.finding(
        "Finding + chart", "comment_theme",
        f"Share of each group's comments that mention the theme ({int(themes['mentions'].sum()):,} mentions in "
        "comments coded by the codeframe's rules; personal data removed)",
        "Method: each comment coded to every theme whose terms it uses (templates/codeframe.yaml and the "
        "engagement's comments.themes); chi-square test of each theme against the loyalty groups, Holm-adjusted.",
        *[f"{r.label}: {r.mentions} comments; {group_words(worst)} {r.share_worst:.0%}, {group_words(best)} "
          f"{r.share_best:.0%}; p (Holm) {r.chi2_p:.3g}; sentiment {r.sentiment:+.2f}"
          for r in order.itertuples()], tables=("comment_themes", "comment_themes_by_group"))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), order["label"], series,
                         [ctx.palette.negative, ctx.palette.positive], "0%", legend=True)


@slide_builder("comment_drivers", claim="comment_drivers")
def comment_drivers_slide(ctx: DeckContext):
    drivers = ctx.available("comment_theme_drivers")
    if drivers is None or not ctx.stands("comment_drivers"):
        return
    first = drivers.iloc[0]
    slide = ctx.finding(
        "Finding + chart", "comment_drivers",
        f"Each theme's share of what the themes explain together (R² = {first['r2']:.2f}, n = {int(first['n']):,} "
        "commenters); shaded bars go with a lower outcome",
        f"Method: {first['method']}; a theme is 1 for a comment that mentions it. Direction: the sign of the theme's "
        "coefficient in the full model.",
        *[f"{r.rank}. {r.label}: {r.share:.1%}, {'lower' if r.direction < 0 else 'higher'} outcome, {r.mentions} "
          "mentions" for r in drivers.itertuples()], tables=("comment_theme_drivers",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), drivers["label"],
                         {"Share of what the themes explain": drivers["share"]}, [ctx.palette.primary], "0%",
                         legend=False)


@slide_builder("comment_quotes")
def comment_quotes_slide(ctx: DeckContext):
    said = ctx.available("comment_quotes")
    if said is None:
        return
    rows = [[r.label, r.sentiment_label, f"\u201c{r.quote}\u201d"] for r in said.itertuples()]
    fills = [[None, ctx.palette.bad if r.sentiment_label == "negative" else None, None] for r in said.itertuples()]
    minimum = ctx.eng.comments.min_quote_group
    ctx.canvas.paged_table(
        "In their own words: quotes for the leading themes",
        f"Short quotes, balanced across sentiment, from themes with at least {minimum} commenters; personal data "
        "removed",
        ctx.notes(None, "Chosen by rule, not by hand: per theme the most negative, most positive and most neutral "
                  "comment of typical length (VADER compound score), each quoted once, none that held personal data "
                  "other than a name (names replaced by [name]). Quotes are traced to the results table, not to a "
                  "person.", *_drawn_from(said), tables=("comment_quotes",)),
        ["Theme", "Sentiment", "Quote"], rows, [2.2, 1.2, 7.0], fills)


@slide_builder("comment_topics")
def comment_topics_slide(ctx: DeckContext):
    topics = ctx.available("comment_topics")
    if topics is None:
        return
    rows = [[r.topic, r.terms, f"{r.comments:,} ({pct(r.share)})", f"\u201c{r.example}\u201d"]
            for r in topics.itertuples()]
    ctx.canvas.paged_table(
        "Topics the codeframe misses, offered as codeframe entries",
        "Found by TF-IDF and non-negative matrix factorisation among the comments no theme matched; nothing is "
        "coded to them until the consultant adds them to comments.themes",
        ctx.notes(None, "Suggested entries:", *topics["suggestion"].tolist(), tables=("comment_topics",)),
        ["Topic", "Top words", "Comments", "Typical comment"], rows, [1.2, 3.4, 1.4, 4.4])


@slide_builder("staff_obstacles", claim="staff_obstacle")
def staff_obstacles_slide(ctx: DeckContext):
    themes = ctx.available("staff_comment_themes")
    if themes is None or not ctx.stands("staff_obstacle"):
        return
    overall = themes[(themes["group"] == "All") & (themes["mentions"] > 0)]
    slide = ctx.finding(
        "Finding + chart", "staff_obstacle",
        f"Share of the staff's {int(overall['commenters'].iloc[0]):,} comments that name each theme (what stops them "
        "serving customers better; personal data removed)",
        "Method: each comment coded to every theme of templates/staff_codeframe.yaml whose terms it uses; by "
        "department in results/staff_comment_themes.csv, departments under the privacy minimum pooled.",
        *[f"{r.label}: {r.mentions} comments ({r.share:.0%})" for r in overall.itertuples()],
        tables=("staff_comment_themes",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), overall["label"],
                         {"Share of staff comments": overall["share"]}, [ctx.palette.primary], "0%", legend=False)


@slide_builder("staff_quotes")
def staff_quotes_slide(ctx: DeckContext):
    said = ctx.available("staff_comment_quotes")
    if said is None:
        return
    rows = [[r.label, f"\u201c{r.quote}\u201d"] for r in said.itertuples()]
    ctx.canvas.paged_table(
        "In their own words: what our people say stops them",
        f"Short quotes for the themes staff name most, from themes with at least {ctx.eng.comments.min_quote_group} "
        "commenters; no department named; personal data removed",
        ctx.notes(None, "Chosen by rule, not by hand (the sentences about the theme, the most negative, positive and "
                  "neutral of typical length); no department is given, so no small group can be recognised.",
                  *_drawn_from(said), tables=("staff_comment_quotes",)),
        ["Theme", "Quote"], rows, [2.4, 8.0])


def _drawn_from(said) -> list[str]:
    """How many commented on each quoted theme: the base each quote is drawn from."""
    sizes = said.drop_duplicates("theme")
    return [f"{r.label}: quoted from {r.group_size:,} comments on the theme" for r in sizes.itertuples()]

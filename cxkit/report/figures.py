"""Charts for the notebooks (seaborn / matplotlib): shown in the notebook and saved at print resolution.

The deck draws its own native, editable charts from the results tables; these
figures make an executed notebook read as the engagement's narrative, and fill
the run's ``figures/`` folder. No backend is forced: in a notebook kernel the
figures show inline, elsewhere matplotlib draws off screen.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import PercentFormatter

from ..results.catalogue import ASYMMETRY, QUADRANT

sns.set_theme(style="whitegrid", context="notebook")
DPI = 200          # the saved figure, for print
SCREEN_DPI = 100   # the size it is shown at in the notebook


def show(fig, path: Path) -> Path:
    """Save a figure to the run's ``figures/`` folder, show it in the notebook (when run in one), and close it.

    The figure is drawn once: the notebook shows the saved print-resolution image at screen size (sharp on
    high-density screens), rather than drawing it a second time at screen resolution.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # zlib's fastest level: the file is a third larger and written in a quarter of the time (nine figures a run)
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pil_kwargs={"compress_level": 1})
    plt.close(fig)
    image = buffer.getvalue()
    path.write_bytes(image)
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython comes with the kit's Jupyter
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        width = int.from_bytes(image[16:20], "big")   # the PNG header's width, in pixels
        display(Image(data=image, format="png", width=round(width * SCREEN_DPI / DPI)))
    return path


def maturity_chart(maturity: pd.DataFrame, scale_max: float):
    """Mean per dimension with 95% interval, against its target."""
    table = maturity.sort_values("mean")
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.barh(table["label"], table["mean"], xerr=[table["mean"] - table["ci_low"], table["ci_high"] - table["mean"]],
            color=sns.color_palette()[0], capsize=3)
    ax.scatter(table["target"], table["label"], marker="|", s=400, color="black", label="target", zorder=3)
    ax.set_xlim(1, scale_max)
    ax.set_xlabel("mean agreement (95% interval)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def group_heatmap(by_group: pd.DataFrame, title: str):
    """Group x dimension means (groups under the minimum size are already pooled)."""
    wide = by_group.pivot(index="group", columns="label", values="mean")
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(wide) + 1.8))
    sns.heatmap(wide, annot=True, fmt=".1f", cmap="RdYlGn", center=by_group["mean"].mean(), ax=ax, cbar=False)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.tight_layout()
    return fig


def loyalty_chart(mix: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(8, 1.8))
    left = 0.0
    colours = ["#548235", "#A9D18E", "#BFBFBF", "#C00000"]
    for row, colour in zip(mix.itertuples(), colours):
        ax.barh([0], [row.share], left=left, color=colour, label=f"{row.label} {row.share:.0%}")
        left += row.share
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
    fig.tight_layout()
    return fig


def segment_choice_chart(choice: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(5, 3))
    sns.lineplot(data=choice, x="k", y="silhouette", marker="o", ax=ax)
    best = choice[choice["chosen"]].iloc[0]
    ax.annotate("chosen", (best["k"], best["silhouette"]), textcoords="offset points", xytext=(5, 8))
    ax.set_xlabel("number of segments (k)")
    fig.tight_layout()
    return fig


def importance_performance_chart(quadrants: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(8, 5.5))
    sns.scatterplot(data=quadrants.assign(quadrant=quadrants["quadrant"].map(QUADRANT.label)), x="performance",
                    y="share", hue="quadrant", s=80, ax=ax)
    for row in quadrants.itertuples():
        ax.annotate(row.label, (row.performance, row.share), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.axhline(quadrants["share_threshold"].iloc[0], color="grey", linestyle="--", linewidth=1)
    ax.axvline(quadrants["performance_threshold"].iloc[0], color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("performance (mean rating)")
    ax.set_ylabel("importance (share of explained variance)")
    ax.legend(title="", fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def driver_importance_chart(drivers: pd.DataFrame):
    """Each attribute's share of the explained outcome with its bootstrap 95% interval."""
    table = drivers.sort_values("share")
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(table) + 1.2))
    errors = None
    if table["share_low"].notna().all():
        # a percentile interval of a share near zero can miss its estimate: no bar reaches past it
        errors = [(table["share"] - table["share_low"]).clip(lower=0), (table["share_high"] - table["share"]).clip(lower=0)]
    ax.barh(table["label"], table["share"], xerr=errors, color=sns.color_palette()[0], capsize=3)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"share of explained variance ({drivers['fit'].iloc[0]} = {drivers['r2'].iloc[0]:.2f}; 95% interval)")
    fig.tight_layout()
    return fig


def penalty_reward_chart(asymmetry: pd.DataFrame):
    """Outcome points against a middle rating when an attribute is rated low (red) or top (green): left of zero
    lower, right of zero higher."""
    table = asymmetry.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(table) + 1.2))
    # named by the ratings, not as penalty and reward: either may come out the other way round
    ax.barh(table["label"], -table["penalty"], color="#C00000", label=f"when {table['low_rule'].iloc[0]}")
    ax.barh(table["label"], table["reward"], color="#548235", label=f"when {table['high_rule'].iloc[0]}")
    for y, row in enumerate(table.itertuples()):
        ax.annotate(ASYMMETRY.label(row.kind), (max(row.reward, 0) if pd.notna(row.reward) else 0, y),
                    textcoords="offset points", xytext=(4, -3), fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("outcome points against a middle rating (left of zero: lower)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def wave_chart(trend: pd.DataFrame):
    """Each share metric per survey wave with its 95% interval."""
    shares = trend[trend["unit"] == "share"].assign(wave=lambda t: t["wave"].astype(str))
    fig, ax = plt.subplots(figsize=(8, 4))
    for metric, part in shares.groupby("metric", sort=False):
        ax.errorbar(part["wave"], part["value"], yerr=[part["value"] - part["ci_low"], part["ci_high"] - part["value"]],
                    marker="o", capsize=3, label=metric)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("survey wave")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def themes_by_group_chart(by_group: pd.DataFrame):
    """Each theme's share of each loyalty group's comments, grouped bars (themes in order of mentions)."""
    order = by_group.groupby("label")["mentions"].sum().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) + 1.4))
    sns.barplot(data=by_group, y="label", x="share", hue="group_label", order=order[::-1], ax=ax, orient="h")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of the group's comments that mention the theme")
    ax.set_ylabel("")
    ax.legend(title="", loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig

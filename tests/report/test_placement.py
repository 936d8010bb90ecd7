"""Labels of a scatter's points: beside their point, clear of each other, inside the plot."""

import itertools

import pandas as pd
from hypothesis import given, settings, strategies as st

from cxkit.report.placement import POSITIONS, label_box, label_positions

PLOT, MARKER, SIZE = (600.0, 300.0), 10.0, (60.0, 13.2)


def boxes(points, sizes, positions):
    return [label_box(p, s, where, MARKER) for p, s, where in zip(points, sizes, positions)]


def test_a_lone_point_is_labelled_on_its_right_and_one_at_the_right_edge_on_its_left():
    assert label_positions([(100.0, 100.0)], [SIZE], PLOT, MARKER) == ["right"]
    assert label_positions([(595.0, 100.0)], [SIZE], PLOT, MARKER) == ["left"]


def test_two_points_at_one_place_have_their_labels_on_either_side():
    points = [(300.0, 150.0), (301.0, 150.5)]
    positions = label_positions(points, [SIZE, SIZE], PLOT, MARKER)
    assert positions == ["right", "left"]
    first, second = boxes(points, [SIZE, SIZE], positions)
    assert first.overlap(second) == 0


def test_the_first_in_order_keeps_the_preferred_place():
    points = [(300.0, 150.0), (301.0, 150.0)]
    assert label_positions(points, [SIZE, SIZE], PLOT, MARKER, order=[1, 0]) == ["left", "right"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 600), st.floats(0, 300)), min_size=1, max_size=25),
       st.lists(st.floats(10, 150), min_size=25, max_size=25))
def test_points_whose_labels_all_fit_on_their_right_keep_them_there(points, widths):
    """Right is preferred: where labels on the right overlap nothing and stay inside, nothing moves."""
    sizes = [(w, 13.2) for w in widths[:len(points)]]
    on_right = boxes(points, sizes, ["right"] * len(points))
    half = MARKER / 2
    markers = [(x - half, y - half, x + half, y + half) for x, y in points]
    clear = (all(a.overlap(b) == 0 for a, b in itertools.combinations(on_right, 2))
             and all(b.left >= 0 and b.top >= 0 and b.right <= PLOT[0] and b.bottom <= PLOT[1] for b in on_right)
             and all(b.overlap(type(b)(*m)) == 0 for i, b in enumerate(on_right)
                     for j, m in enumerate(markers) if i != j))
    positions = label_positions(points, sizes, PLOT, MARKER)
    assert set(positions) <= set(POSITIONS)
    if clear:
        assert positions == ["right"] * len(points)


def test_a_bank_surveys_crowded_moments_of_truth_chart_has_no_label_over_another():
    """The public bank survey's 21 touchpoints (importance against performance): all labels on the right, four
    pairs overlapped; placed, none does, on the chart as the deck draws it."""
    from pptx.enum.chart import XL_LABEL_POSITION
    from test_kit import _canvas

    from cxkit.report.kit import LABEL_POSITIONS, SCATTER_LABEL_PT, SCATTER_MARGINS, SCATTER_MARKER
    from cxkit.report.textfit import text_width

    points = {"Val1": (7.05, .161), "Val4": (6.47, .123), "Val2": (7.69, .114), "Imag3": (7.91, .085),
              "Qual2 (−)": (7.10, .051), "Val3": (7.11, .052), "Qual1": (6.81, .049), "Imag2": (7.80, .049),
              "Imag5": (6.35, .040), "Expe2": (7.59, .038), "Expe1": (7.36, .036), "Qual4 (−)": (7.50, .035),
              "Qual3": (6.36, .034), "Qual5 (−)": (7.01, .030), "Expe4 (−)": (8.05, .025), "Expe5 (−)": (7.33, .023),
              "Expe3 (−)": (7.13, .020), "Imag1 (−)": (7.80, .019), "Imag4": (7.87, .017)}
    frame = pd.DataFrame([(k, x, y) for k, (x, y) in points.items()], columns=["label", "performance", "share"])
    canvas = _canvas()
    slide = canvas.prs.slides.add_slide(canvas.layout("Finding + chart"))
    box = (0, 0, int(11.5 * 914400), int(5.0 * 914400))
    chart = canvas.labelled_scatter(slide, box, [("Touchpoints", frame, "1F4E79")], "performance", "share",
                                    (7.28, .052), ("Performance", "Importance"), ("0.0", "0%"))
    by_enum = {v: k for k, v in LABEL_POSITIONS.items()}
    drawn = [by_enum[p.data_label.position] for p in chart.series[0].points]
    assert XL_LABEL_POSITION.LEFT in {p.data_label.position for p in chart.series[0].points}
    # the geometry of the chart as drawn (its axes run 0.15 past the points, and 10% above the highest)

    left, top, right, bottom = SCATTER_MARGINS
    plot = (box[2] / 12700 - left - right, box[3] / 12700 - top - bottom)
    x_low, x_high = frame["performance"].min() - .15, frame["performance"].max() + .15
    y_high = frame["share"].max() * 1.1
    xy = [((x - x_low) / (x_high - x_low) * plot[0], (1 - y / y_high) * plot[1])
          for _, x, y in frame.itertuples(index=False)]
    lines = [p.data_label.text_frame.text.split("\n") for p in chart.series[0].points]
    sizes = [(max(text_width(t, SCATTER_LABEL_PT, family=canvas.font) for t in label) + 4,
              SCATTER_LABEL_PT * 1.2 * len(label)) for label in lines]
    placed = [label_box(p, s, where, SCATTER_MARKER) for p, s, where in zip(xy, sizes, drawn)]
    assert all(a.overlap(b) == 0 for a, b in itertools.combinations(placed, 2))
    all_right = [label_box(p, s, "right", SCATTER_MARKER) for p, s in zip(xy, sizes)]
    assert sum(a.overlap(b) > 0 for a, b in itertools.combinations(all_right, 2)) >= 3


def test_a_long_point_label_is_wrapped_to_lines_no_renderer_wraps_again():
    """Left to the renderer, a 40-character question took three lines where the placement counted one."""
    from test_kit import _canvas

    from cxkit.report.kit import POINT_LABEL_MAX, SCATTER_LABEL_PT, SCATTER_LABEL_SLACK, chart_labels
    from cxkit.report.textfit import text_width

    labels = ["How easy was it to find what you needed on our website today?", "Staff courtesy"]
    frame = pd.DataFrame({"label": labels, "performance": [3.2, 3.9], "share": [0.3, 0.1]})
    canvas = _canvas()
    slide = canvas.prs.slides.add_slide(canvas.layout("Finding + chart"))
    box = (0, 0, int(11 * 914400), int(5 * 914400))
    chart = canvas.labelled_scatter(slide, box, [("Touchpoints", frame, "1F4E79")], "performance", "share",
                                    (3.5, .2), ("Performance", "Importance"), ("0.0", "0%"))
    drawn = [p.data_label.text_frame.text.split("\n") for p in chart.series[0].points]
    width = 5 * 72 / 3 - SCATTER_LABEL_SLACK    # a third of the chart's smaller side, less the slack
    assert len(drawn[0]) > 1 and drawn[1] == ["Staff courtesy"]
    assert all(text_width(line, SCATTER_LABEL_PT, family=canvas.font) <= width for label in drawn for line in label)
    assert [" ".join(label) for label in drawn] == chart_labels(labels, POINT_LABEL_MAX)


def overlap_in_total(points, sizes, positions, plot=PLOT):
    """What the placement minimises, recomputed: labels over labels and over other points, and outside the plot."""
    from cxkit.report.placement import OUTSIDE_WEIGHT, Box

    area, half = Box(0.0, 0.0, *plot), MARKER / 2
    placed = boxes(points, sizes, positions)
    markers = [Box(x - half, y - half, x + half, y + half) for x, y in points]
    return (sum(a.overlap(b) for a, b in itertools.combinations(placed, 2))
            + sum(b.overlap(m) for i, b in enumerate(placed) for j, m in enumerate(markers) if i != j)
            + sum(OUTSIDE_WEIGHT * (b.area - b.overlap(area)) for b in placed))


def test_labels_move_over_for_a_neighbour_placed_after_them(monkeypatch):
    """Greedy alone, the second point took the free left side that the third needed; moving it clears every label."""
    import cxkit.report.placement as placement

    points, sizes = [(101.0, 248.0), (71.0, 235.0), (108.0, 262.0), (122.0, 246.0)], [SIZE] * 4
    order = [1, 3, 0, 2]   # the highest first
    monkeypatch.setattr(placement, "LOCAL_ROUNDS", 0)
    greedy = label_positions(points, sizes, PLOT, MARKER, order)
    monkeypatch.undo()
    moved = label_positions(points, sizes, PLOT, MARKER, order)
    assert overlap_in_total(points, sizes, greedy) > 0 and overlap_in_total(points, sizes, moved) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 600), st.floats(0, 300)), min_size=2, max_size=20))
def test_moving_labels_never_adds_overlap(points):
    import cxkit.report.placement as placement

    sizes = [SIZE] * len(points)
    rounds = placement.LOCAL_ROUNDS
    try:
        placement.LOCAL_ROUNDS = 0
        greedy = label_positions(points, sizes, PLOT, MARKER)
    finally:
        placement.LOCAL_ROUNDS = rounds
    moved = label_positions(points, sizes, PLOT, MARKER)
    assert overlap_in_total(points, sizes, moved) <= overlap_in_total(points, sizes, greedy) + 1e-6

"""Where each point's label goes on a labelled scatter: beside its point, clear of the other points and labels.

A native chart's renderer draws each data label where the chart tells it to (right of, left of, above or below
its point). With every label to the right, the labels of close points ran into each other: on a bank survey's
21 touchpoints, four pairs of labels overlapped, and two were unreadable. The positions are chosen here, one
point at a time, the most important first: the first of right, left, above and below whose label overlaps no
label already placed and no other point and stays inside the plot, else the position that overlaps least; then
labels move where that lowers the overlap in total (the candidate-position method of map labelling, greedy
start and local search; Christensen, Marks & Shieber 1995, ACM Trans. Graph. 14). A pair of points at the same
place gets its labels on either side.

Geometry is in points, in the plot area's frame (x to the right, y downwards), as the chart will be drawn
at the size the slide gives it; the renderer's own margins are estimated, so the check is approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

POSITIONS = ("right", "left", "above", "below")   # in order of preference
OUTSIDE_WEIGHT = 4.0   # a label's area outside the plot is cut off or runs into the axis: worse than an overlap
LOCAL_ROUNDS = 10      # rounds of moving labels after the greedy placement (each lowers the total overlap)


@dataclass(frozen=True)
class Box:
    """A rectangle in points: left, top, right, bottom (y downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def area(self) -> float:
        return max(self.right - self.left, 0.0) * max(self.bottom - self.top, 0.0)

    def overlap(self, other: "Box") -> float:
        """The area the two rectangles share."""
        return (max(min(self.right, other.right) - max(self.left, other.left), 0.0)
                * max(min(self.bottom, other.bottom) - max(self.top, other.top), 0.0))


def label_box(point: tuple[float, float], size: tuple[float, float], position: str, marker: float) -> Box:
    """The box a label of ``size`` (width, height) takes at ``position`` beside a marker of diameter ``marker``."""
    (x, y), (w, h), gap = point, size, marker / 2 + 2.0
    if position == "right":
        return Box(x + gap, y - h / 2, x + gap + w, y + h / 2)
    if position == "left":
        return Box(x - gap - w, y - h / 2, x - gap, y + h / 2)
    if position == "above":
        return Box(x - w / 2, y - gap - h, x + w / 2, y - gap)
    if position == "below":
        return Box(x - w / 2, y + gap, x + w / 2, y + gap + h)
    raise ValueError(f"unknown label position {position!r}")


def label_positions(points: list[tuple[float, float]], sizes: list[tuple[float, float]], plot: tuple[float, float],
                    marker: float, order: list[int] | None = None) -> list[str]:
    """A position (one of ``POSITIONS``) for each point's label.

    Parameters
    ----------
    points : list of (x, y)
        The points in the plot area, in points from its top left corner.
    sizes : list of (width, height)
        Each point's label, in points.
    plot : (width, height)
        The plot area.
    marker : float
        The markers' diameter, in points.
    order : list of int, optional
        The order in which points choose (the first gets its preferred place); by default as given.

    Returns
    -------
    list of str
        Each point's position, in the order of ``points``.

    Notes
    -----
    Greedy first: each point in ``order`` takes the position that overlaps least with the labels placed before it,
    the other points' markers and the outside of the plot (outside weighs ``OUTSIDE_WEIGHT`` times). Then a few
    rounds of local search, each point in turn moving to the position that lowers the total overlap given all the
    others, until none does: a point that took the free side early can move over for a neighbour placed later.
    """
    n = len(points)
    order = list(order) if order is not None else list(range(n))
    area = Box(0.0, 0.0, *plot)
    half = marker / 2
    markers = [Box(x - half, y - half, x + half, y + half) for x, y in points]
    candidates = [{position: label_box(points[i], sizes[i], position, marker) for position in POSITIONS}
                  for i in range(n)]
    # what a label costs on its own: the other points' markers under it and its area outside the plot
    alone = [{position: sum(box.overlap(m) for j, m in enumerate(markers) if j != i)
              + OUTSIDE_WEIGHT * (box.area - box.overlap(area)) for position, box in candidates[i].items()}
             for i in range(n)]
    chosen: dict[int, str] = {}

    def cost(i: int, position: str) -> float:
        box = candidates[i][position]
        return alone[i][position] + sum(box.overlap(candidates[j][where]) for j, where in chosen.items() if j != i)

    for i in order:
        chosen[i] = min(POSITIONS, key=lambda position: cost(i, position))   # ties: the earlier, preferred one
    for _ in range(LOCAL_ROUNDS):
        moved = False
        for i in order:
            costs = {position: cost(i, position) for position in POSITIONS}
            best = min(POSITIONS, key=costs.get)
            if costs[best] < costs[chosen[i]] - 1e-9:
                chosen[i], moved = best, True
        if not moved:
            break
    return [chosen[i] for i in range(n)]

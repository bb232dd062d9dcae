"""Geometry for the inline SVG charts of the HTML report, computed server-side.

The functions return plain numbers; the Jinja template turns them into SVG elements (so every
label goes through autoescaping). Colours come from CSS classes, so print styles can change them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Segment:
    key: str  # CSS class suffix, e.g. "ready"
    label: str
    value: int
    share: float  # 0..1 of the total
    offset: float  # 0..1 where the segment starts


@dataclass
class Bar:
    label: str
    value: int
    width: float  # 0..1 of the longest bar
    key: str = ""
    anchor: str = ""


def segments(counts: list[tuple[str, str, int]]) -> list[Segment]:
    """Stacked-bar or donut segments for (key, label, count) in the given order; zeros dropped."""
    total = sum(value for _, _, value in counts)
    result: list[Segment] = []
    offset = 0.0
    for key, label, value in counts:
        if value <= 0:
            continue
        share = value / total
        result.append(Segment(key, label, value, share, offset))
        offset += share
    return result


def bars(items: list[tuple[str, int, str, str]]) -> list[Bar]:
    """Horizontal bars for (label, value, key, anchor), scaled to the largest value."""
    largest = max((value for _, value, _, _ in items), default=0)
    return [Bar(label, value, value / largest if largest else 0.0, key, anchor) for label, value, key, anchor in items]


# Donut geometry: a circle of circumference 100 lets stroke-dasharray use percentages directly.
DONUT_RADIUS = 15.915494309189533

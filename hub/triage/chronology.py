"""The cross-agency chronology as a picture: agencies as lanes along a time axis.

Laid out here in Python and drawn by `templates/triage/_chronology.html` as inline SVG (no
JavaScript). Each concern the viewer may see at SUMMARY or above is a mark placed by date,
coloured by category and sized by level; concerns the viewer may only know exist have no date
to place, so their lane carries a dashed "held, not shared" badge instead. Every mark has a
<title> (hover) and is focusable with an aria-label (keyboard and screen readers); the same
data is in the table below the picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from concerns.taxonomy import Category
from consent.policy import ConcernView

# Colours from the GOV.UK palette, chosen to stay distinct; the legend names them.
CATEGORY_COLOURS = {
    Category.PHYSICAL_ABUSE: "#d4351c",
    Category.INJURY: "#942514",
    Category.EMOTIONAL_ABUSE: "#912b88",
    Category.SEXUAL_ABUSE: "#5694ca",
    Category.CHILD_SEXUAL_EXPLOITATION: "#2e358b",
    Category.NEGLECT: "#f47738",
    Category.FALTERING_GROWTH: "#b58840",
    Category.WAS_NOT_BROUGHT: "#ffdd00",
    Category.DOMESTIC_ABUSE: "#1d70b8",
    Category.PARENTAL_SUBSTANCE_MISUSE: "#85994b",
    Category.PARENTAL_MENTAL_HEALTH: "#28a197",
    Category.CHILD_CRIMINAL_EXPLOITATION: "#003078",
    Category.MISSING_FROM_HOME: "#6f72af",
    Category.MISSING_FROM_EDUCATION: "#4c2c92",
    Category.RADICALISATION: "#0b0c0c",
    Category.SELF_HARM: "#d53880",
    Category.OTHER: "#505a5f",
}
DEFAULT_COLOUR = "#505a5f"

WIDTH = 960
LABEL_WIDTH = 190
RIGHT_PAD = 30
LANE_HEIGHT = 56
TOP = 16
AXIS_HEIGHT = 34


@dataclass
class Mark:
    x: float
    y: float
    r: float
    colour: str
    label: str  # the hover/focus summary
    concern_id: int


@dataclass
class Lane:
    agency_name: str
    y: float
    marks: list[Mark] = field(default_factory=list)
    hidden_count: int = 0
    hidden_label: str = ""


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Chronology:
    width: int
    height: int
    lanes: list[Lane]
    ticks: list[Tick]
    axis_y: float
    plot_left: int
    plot_right: int
    legend: list[tuple[str, str]]
    empty: bool
    today_x: float = 0.0


def _summary(view: ConcernView, about: str) -> str:
    when = timezone.localtime(view.occurred_at).strftime("%-d %b %Y") if view.occurred_at else ""
    parts = [when, view.agency_name, view.category_label or "", f"level {view.level}"]
    if about:
        parts.append(f"about {about}")
    if view.status == "withdrawn":
        parts.append("withdrawn")
    return ", ".join(p for p in parts if p)


def build(
    views: list[ConcernView], about: dict[int, str], *, now: datetime | None = None
) -> Chronology:
    now = now or timezone.now()
    agencies = sorted({v.agency_name for v in views})
    dated = [v for v in views if v.occurred_at is not None]
    start = min((v.occurred_at for v in dated), default=now - timedelta(days=90))
    end = max(max((v.occurred_at for v in dated), default=now), now)
    span = max((end - start).total_seconds(), 86_400.0)
    pad = span * 0.04
    start, end = start - timedelta(seconds=pad), end + timedelta(seconds=pad)
    span = (end - start).total_seconds()
    left, right = LABEL_WIDTH, WIDTH - RIGHT_PAD

    def x_of(when: datetime) -> float:
        return round(left + (when - start).total_seconds() / span * (right - left), 1)

    lanes: dict[str, Lane] = {}
    for index, name in enumerate(agencies):
        lanes[name] = Lane(agency_name=name, y=TOP + index * LANE_HEIGHT + LANE_HEIGHT / 2)
    for view in views:
        lane = lanes[view.agency_name]
        if view.occurred_at is None or view.level is None:
            lane.hidden_count += 1
            lane.hidden_label = (
                f"{view.agency_name} holds {lane.hidden_count} record"
                f"{'s' if lane.hidden_count != 1 else ''} not shared with you"
                + (f"; ask {view.contact}" if view.contact else "")
            )
            continue
        lane.marks.append(
            Mark(
                x=x_of(view.occurred_at),
                y=lane.y,
                r=4 + 3 * view.level,
                colour=CATEGORY_COLOURS.get(view.category, DEFAULT_COLOUR),
                label=_summary(view, about.get(view.id, "")),
                concern_id=view.id,
            )
        )
    axis_y = TOP + max(len(agencies), 1) * LANE_HEIGHT + 4
    ticks = []
    # Month ticks when the span is long, else weekly.
    cursor = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    step_months = max(1, round(span / 86_400 / 30 / 8))
    if span / 86_400 < 70:
        cursor = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while cursor < end:
            if cursor >= start:
                ticks.append(Tick(x_of(cursor), cursor.strftime("%-d %b")))
            cursor += timedelta(days=7)
    else:
        while cursor < end:
            if cursor >= start:
                ticks.append(Tick(x_of(cursor), cursor.strftime("%b %Y")))
            month = cursor.month - 1 + step_months
            cursor = cursor.replace(year=cursor.year + month // 12, month=month % 12 + 1)
    used = {v.category for v in dated if v.category}
    legend = [
        (CATEGORY_COLOURS.get(c, DEFAULT_COLOUR), Category(c).label)
        for c in Category.values
        if c in used
    ]
    return Chronology(
        width=WIDTH,
        height=int(axis_y + AXIS_HEIGHT),
        lanes=list(lanes.values()),
        ticks=ticks,
        axis_y=axis_y,
        plot_left=left,
        plot_right=right,
        legend=legend,
        empty=not views,
        today_x=x_of(now),
    )

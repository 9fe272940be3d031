"""Geometry of an activity's timeline (第十条、第十四条), drawn as inline SVG by the template
activity_timeline.html: no script, no external asset (the intranet is offline). The axis is the
activity's span from arrival to the end of the on-site work, in Beijing time; each officer of
the activity has a row with their recordings as bars; the interruptions are red (grey when
explained, green when the device administrator has confirmed); past a break in the axis, the
upload deadline (the end + 24 h) with each recording's docking on one side of it or the other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lawcam.activities.models import Activity, ActivityLink, Interruption
from lawcam.activities.queries import Facts
from lawcam.timeutil import SHANGHAI

LABEL = 170  # officers' names, left of the plot
PLOT = 820
BREAK = 24  # the axis is broken between the end of the activity and the deadline
DUE_ZONE = 150
WIDTH = LABEL + PLOT + BREAK + DUE_ZONE
TOP = 44  # arrival and end labels above the rows
ROW = 34
BAR = 16
TICK_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
MOST_TICKS = 8
OTHERS = 0  # the row of recordings attached by hand that count for no officer of the activity


@dataclass(frozen=True)
class Row:
    person_id: int
    label: str
    y: int


@dataclass(frozen=True)
class Bar:
    recording_id: int
    x: float
    y: int
    width: float
    photo: bool  # photos and empty files are linked but cover nothing
    late: bool
    title: str
    docked_x: float  # the docking, left (on time) or right (late) of the deadline line


@dataclass(frozen=True)
class Gap:
    seq: int
    x: float
    y: int
    width: float
    height: int
    state: str  # open | explained | confirmed
    label: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    label_width: int
    plot_end: int
    rows: list[Row]
    bars: list[Bar]
    gaps: list[Gap]
    ticks: list[Tick]
    arrival_x: float
    end_x: float
    rows_top: int
    rows_bottom: int
    due_x: float
    arrival: str
    end: str
    due: str


STATE_LABELS = {"open": "未说明", "explained": "已说明，待确认", "confirmed": "已确认"}


def clock(moment: datetime, seconds: bool = True) -> str:
    return moment.astimezone(SHANGHAI).strftime("%H:%M:%S" if seconds else "%H:%M")


def day_clock(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


@dataclass(frozen=True)
class Scale:
    """Seconds of the view onto the plot's x, clipped to it."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 1.0)

    def x(self, moment: datetime) -> float:
        offset = (moment - self.start).total_seconds() / self.seconds
        return round(LABEL + PLOT * min(max(offset, 0.0), 1.0), 1)

    def width(self, start: datetime, end: datetime, least: float) -> float:
        return max(round(self.x(end) - self.x(start), 1), least)


def view_of(activity: Activity) -> Scale:
    """The activity's span and a margin each side (5 %, at least a minute), so that a late
    start or an early stop is seen against the recordings that were made."""
    pad = max((activity.ended_at - activity.arrived_at) * 0.05, timedelta(minutes=1))
    return Scale(activity.arrived_at - pad, activity.ended_at + pad)


def ticks_of(scale: Scale) -> list[Tick]:
    """Ticks on the Beijing clock's round minutes (or seconds), at most ``MOST_TICKS``."""
    step = next((s for s in TICK_STEPS if scale.seconds / s <= MOST_TICKS), TICK_STEPS[-1])
    local = scale.start.astimezone(SHANGHAI)
    into = (local - local.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    moment = scale.start + timedelta(seconds=-into % step)
    ticks = []
    while moment <= scale.end:
        ticks.append(Tick(scale.x(moment), clock(moment, seconds=step < 60)))
        moment += timedelta(seconds=step)
    return ticks


def build(
    activity: Activity,
    links: Sequence[ActivityLink],
    facts: dict[int, Facts],
    interruptions: Sequence[Interruption],
    whose: Callable[[Facts], int],
) -> Timeline:
    """``whose`` names the activity officer a recording counts for (``OTHERS`` for none)."""
    scale = view_of(activity)
    rows = _rows(activity, [whose(f) for f in facts.values()])
    y_of = {row.person_id: row.y for row in rows}
    due_x = LABEL + PLOT + BREAK + DUE_ZONE / 2
    bars = [
        _bar(scale, facts[link.recording_id], link, y_of[whose(facts[link.recording_id])], due_x)
        for link in links
        if link.recording_id in facts
    ]
    bottom = TOP + ROW * len(rows)
    gaps = [_gap(scale, row, y_of, bottom) for row in interruptions]
    return Timeline(
        width=WIDTH,
        height=bottom + 58,
        label_width=LABEL,
        plot_end=LABEL + PLOT,
        rows=rows,
        bars=bars,
        gaps=gaps,
        ticks=ticks_of(scale),
        arrival_x=scale.x(activity.arrived_at),
        end_x=scale.x(activity.ended_at),
        rows_top=TOP,
        rows_bottom=bottom,
        due_x=due_x,
        arrival=clock(activity.arrived_at),
        end=clock(activity.ended_at),
        due=day_clock(activity.upload_deadline),
    )


def _rows(activity: Activity, owners: list[int]) -> list[Row]:
    people = [
        (o.person.id, f"{o.person.name} {o.person.badge or ''}".strip()) for o in activity.officers
    ]
    if OTHERS in owners:
        people.append((OTHERS, "其他（手动关联）"))
    return [Row(pid, label, TOP + i * ROW) for i, (pid, label) in enumerate(people)]


def _bar(scale: Scale, fact: Facts, link: ActivityLink, y: int, due_x: float) -> Bar:
    start, end = fact.span.start, fact.span.end
    late = "迟交" if link.late else "按时"
    title = (
        f"资料 #{fact.id}：{clock(start)}–{clock(end)}，{day_clock(fact.docked_at)} 导入（{late}）"
    )
    return Bar(
        recording_id=fact.id,
        x=scale.x(start),
        y=y + (ROW - BAR) // 2,
        width=scale.width(start, end, 2.0),
        photo=not fact.counts,
        late=link.late,
        title=title,
        docked_x=due_x + (40 if link.late else -40),
    )


def _gap(scale: Scale, row: Interruption, y_of: dict[int, int], bottom: int) -> Gap:
    state = _state(row)
    own = row.officer_id is not None and row.officer_id in y_of
    y = y_of[row.officer_id] if own and row.officer_id is not None else TOP
    height = ROW if own else bottom - TOP
    start, end = row.start_at.astimezone(UTC), row.end_at.astimezone(UTC)
    seconds = int(row.seconds)
    label = f"中断 {row.seq}：{STATE_LABELS[state]}"
    title = f"{label}（{clock(start)}–{clock(end)}，{seconds} 秒）"
    return Gap(
        row.seq, scale.x(start), y, scale.width(start, end, 3.0), height, state, label, title
    )


def _state(row: Interruption) -> str:
    if row.confirmed_at is not None:
        return "confirmed"
    return "open" if row.explanation is None else "explained"

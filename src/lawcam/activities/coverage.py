"""Whole-process coverage (第十条): which stretches of an activity its recordings cover, and
the interruptions between them. Pure functions of spans, so that the service stores what they
give and a test can check them against a brute-force count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from lawcam.activities.types import CoveragePolicy, InterruptionKind, Span


@dataclass(frozen=True)
class Gap:
    """An interruption: a stretch of the activity no recording covers, longer than the
    tolerance. ``officer_id`` is whose recording it interrupts under the each-officer policy."""

    kind: InterruptionKind
    span: Span
    officer_id: int | None = None


@dataclass(frozen=True)
class Coverage:
    fraction: float  # 0..1 of the activity's span
    no_recording: bool  # not one recording covers any part of it
    gaps: tuple[Gap, ...]


def joined(spans: Iterable[Span], tolerance: timedelta) -> list[Span]:
    """Spans merged where they overlap or where the pause between them is within the tolerance
    (a device cuts a long recording into files a second or two apart: one recording)."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start - merged[-1].end <= tolerance:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def clipped(spans: Iterable[Span], within: Span) -> list[Span]:
    """The parts of (sorted, disjoint) spans inside ``within``."""
    inside = (Span(max(s.start, within.start), min(s.end, within.end)) for s in spans)
    return [s for s in inside if s.start < s.end]


def covered(activity: Span, spans: Iterable[Span], tolerance: timedelta) -> list[Span]:
    """The covered stretches; a start or stop within the tolerance of arrival or of the end
    counts as on time (so an activity without interruptions is covered 100 %)."""
    parts = clipped(joined(spans, tolerance), activity)
    if parts and parts[0].start - activity.start <= tolerance:
        parts[0] = Span(activity.start, parts[0].end)
    if parts and activity.end - parts[-1].end <= tolerance:
        parts[-1] = Span(parts[-1].start, activity.end)
    return parts


def gaps(
    activity: Span, spans: Iterable[Span], tolerance: timedelta, officer_id: int | None = None
) -> list[Gap]:
    """A late start, the gaps between recordings, and an early stop, each longer than the
    tolerance; the whole activity when nothing covers it."""
    parts = covered(activity, spans, tolerance)
    if not parts:
        return [Gap(InterruptionKind.NOT_RECORDED, activity, officer_id)]
    found = []
    if parts[0].start - activity.start > tolerance:
        found.append(Gap(InterruptionKind.LATE_START, Span(activity.start, parts[0].start)))
    found += [Gap(InterruptionKind.GAP, Span(a.end, b.start)) for a, b in pairwise(parts)]
    if activity.end - parts[-1].end > tolerance:
        found.append(Gap(InterruptionKind.EARLY_STOP, Span(parts[-1].end, activity.end)))
    return [Gap(g.kind, g.span, officer_id) for g in found]


def fraction(activity: Span, spans: Iterable[Span], tolerance: timedelta) -> float:
    """Covered share of the activity; pauses within the tolerance count as covered."""
    total = sum(s.seconds for s in covered(activity, spans, tolerance))
    return min(1.0, total / activity.seconds) if activity.seconds > 0 else 0.0


def coverage(
    activity: Span,
    by_officer: Mapping[int, Sequence[Span]],
    officers: Sequence[int],
    policy: CoveragePolicy,
    tolerance: timedelta,
) -> Coverage:
    """The activity's coverage by its officers' recordings under the office's policy: any
    officer's recordings together, or each officer's own (the lowest share counts)."""
    everyone = [s for spans in by_officer.values() for s in spans]
    if not covered(activity, everyone, tolerance):
        return Coverage(0.0, True, ())
    if policy is CoveragePolicy.ANY:
        return Coverage(
            fraction(activity, everyone, tolerance),
            False,
            tuple(gaps(activity, everyone, tolerance)),
        )
    own = {o: by_officer.get(o, ()) for o in officers}
    share = min(fraction(activity, spans, tolerance) for spans in own.values())
    found = [g for o, spans in own.items() for g in gaps(activity, spans, tolerance, o)]
    return Coverage(share, False, tuple(sorted(found, key=lambda g: (g.span, g.officer_id or 0))))

"""Whole-process coverage (第十条) against a brute-force count, second by second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawcam.activities.coverage import coverage, fraction, gaps, joined
from lawcam.activities.types import CoveragePolicy, InterruptionKind, Span

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TOL = timedelta(seconds=30)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def span(a: int, b: int) -> Span:
    return Span(at(a), at(b))


spans_st = st.lists(
    st.tuples(st.integers(-300, 1300), st.integers(1, 400)).map(lambda t: span(t[0], t[0] + t[1])),
    max_size=8,
)


def brute_covered(activity: Span, spans: list[Span], tol: int) -> list[bool]:
    """Each second of the activity: inside a recording, in a pause of at most ``tol`` seconds
    between two recordings, or within ``tol`` of arrival or the end before or after one."""

    def sec(t: datetime) -> int:
        return int((t - T0).total_seconds())

    on: set[int] = set()
    for s in spans:
        on |= set(range(sec(s.start), sec(s.end)))
    filled = set(on)
    for x, y in pairwise(sorted(on)):
        if y - x - 1 <= tol:
            filled |= set(range(x + 1, y))
    seconds = [t in filled for t in range(sec(activity.start), sec(activity.end))]
    if any(seconds):
        lead = seconds.index(True)
        trail = seconds[::-1].index(True)
        if lead <= tol:
            seconds[:lead] = [True] * lead
        if trail <= tol:
            seconds[len(seconds) - trail :] = [True] * trail
    return seconds


@pytest.mark.req("R10.1")
@settings(max_examples=300, deadline=None)
@given(spans_st, st.integers(0, 600), st.integers(60, 900))
def test_fraction_matches_a_second_by_second_count(spans: list[Span], a: int, length: int) -> None:
    activity = span(a, a + length)
    seconds = brute_covered(activity, spans, 30)
    assert fraction(activity, spans, TOL) == pytest.approx(sum(seconds) / len(seconds))


@pytest.mark.req("R10.1")
@settings(max_examples=300, deadline=None)
@given(spans_st, st.integers(0, 600), st.integers(60, 900))
def test_gaps_are_exactly_the_uncovered_stretches_longer_than_the_tolerance(
    spans: list[Span], a: int, length: int
) -> None:
    activity = span(a, a + length)
    seconds = brute_covered(activity, spans, 30)
    runs, start = [], None
    for i, on in enumerate([*seconds, True]):
        if not on and start is None:
            start = i
        if on and start is not None:
            runs.append((a + start, a + i))
            start = None
    expected = runs if any(seconds) else [(a, a + length)]
    found = [
        (int((g.span.start - T0).total_seconds()), int((g.span.end - T0).total_seconds()))
        for g in gaps(activity, spans, TOL)
    ]
    assert found == expected


@pytest.mark.req("R10.1")
def test_a_devices_segmented_files_join_up() -> None:
    files = [span(0, 300), span(302, 600), span(601, 900)]  # cut every 5 minutes, 1–2 s apart
    assert joined(files, TOL) == [span(0, 900)]
    result = coverage(span(10, 890), {7: files}, [7], CoveragePolicy.ANY, TOL)
    assert (result.fraction, result.no_recording, result.gaps) == (1.0, False, ())


@pytest.mark.req("R10.1")
def test_late_start_gap_and_early_stop_are_each_an_interruption() -> None:
    result = coverage(
        span(0, 3600), {7: [span(120, 1000), span(1100, 3000)]}, [7], CoveragePolicy.ANY, TOL
    )
    assert [(g.kind, g.span) for g in result.gaps] == [
        (InterruptionKind.LATE_START, span(0, 120)),
        (InterruptionKind.GAP, span(1000, 1100)),
        (InterruptionKind.EARLY_STOP, span(3000, 3600)),
    ]
    assert result.fraction == pytest.approx((880 + 1900) / 3600)


@pytest.mark.req("R10.1")
def test_pauses_within_the_tolerance_are_not_interruptions() -> None:
    result = coverage(
        span(0, 600), {7: [span(25, 300), span(330, 580)]}, [7], CoveragePolicy.ANY, TOL
    )
    assert result.gaps == () and result.fraction == 1.0


@pytest.mark.req("R10.1")
def test_no_recording_at_all() -> None:
    result = coverage(span(0, 600), {7: [span(700, 900)]}, [7, 8], CoveragePolicy.ANY, TOL)
    assert (result.fraction, result.no_recording, result.gaps) == (0.0, True, ())


@pytest.mark.req("R10.1")
def test_any_officer_covers_versus_each_officer() -> None:
    by_officer = {7: [span(0, 300)], 8: [span(300, 600)]}
    anyone = coverage(span(0, 600), by_officer, [7, 8], CoveragePolicy.ANY, TOL)
    assert (anyone.fraction, anyone.gaps) == (1.0, ())
    each = coverage(span(0, 600), by_officer, [7, 8], CoveragePolicy.EACH, TOL)
    assert each.fraction == pytest.approx(0.5)
    assert [(g.kind, g.span, g.officer_id) for g in each.gaps] == [
        (InterruptionKind.LATE_START, span(0, 300), 8),
        (InterruptionKind.EARLY_STOP, span(300, 600), 7),
    ]


@pytest.mark.req("R10.1")
def test_each_officer_who_recorded_nothing_has_the_whole_span_unrecorded() -> None:
    each = coverage(span(0, 600), {7: [span(0, 600)]}, [7, 8], CoveragePolicy.EACH, TOL)
    assert each.fraction == 0.0 and not each.no_recording
    assert [(g.kind, g.officer_id) for g in each.gaps] == [(InterruptionKind.NOT_RECORDED, 8)]


@pytest.mark.req("R10.1")
@settings(max_examples=200, deadline=None)
@given(spans_st, st.integers(0, 600), st.integers(60, 900))
def test_fully_covered_exactly_when_nothing_is_interrupted(
    spans: list[Span], a: int, length: int
) -> None:
    result = coverage(span(a, a + length), {7: spans}, [7], CoveragePolicy.ANY, TOL)
    if not result.no_recording:
        assert (result.fraction == 1.0) == (result.gaps == ())

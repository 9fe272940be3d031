"""Retention only ever grows (R14.2, R15.1; issue 13 seen 9): never earlier than the ingest day
plus two calendar years, whatever the device clock said; a corrected start time counts the
retention again and extends it (a write-once ``retain_until`` row, its own audit entry), and an
earlier corrected start shortens nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from lawcam.audit.models import AuditEvent
from lawcam.errors import InvalidInput
from lawcam.evidence import retention, service
from lawcam.evidence.models import Correction, Recording
from lawcam.evidence.retention import RETAIN_UNTIL_FIELD, effective_retention
from lawcam.evidence.timing import add_years, retention_date
from lawcam.evidence.types import CorrectableField, EvidenceEvent
from lawcam.timeutil import SHANGHAI, utcnow
from tests import media
from tests.unit.evidence.test_ingest import OFFICER, Dock, dock

__all__ = ["dock"]

pytestmark = pytest.mark.req("R14.2")


def today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def clip(dock: Dock, tmp_path: Path, start: datetime, name: str = "clip.mp4") -> Recording:
    folder = tmp_path / f"card-{name}"
    folder.mkdir()
    media.make_mp4(folder / name, creation_time=start)
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    return dock.recording(result.recording_id)


@contextmanager
def ingest_day(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> Iterator[None]:
    """The workstation ingests at ``moment`` (a recording ingested some time ago)."""
    with monkeypatch.context() as patch:
        patch.setattr(service, "utcnow", lambda: moment)
        yield


def correct_start(dock: Dock, recording_id: int, start: datetime, **settings: Any) -> None:
    with dock.database.unit_of_work() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        service.correct(
            session=session,
            actor=dock.actor,
            recording=recording,
            field=CorrectableField.START_AT,
            value=start.isoformat(),
            reason="设备时钟错误，按执法记录仪管理员核对的时间更正",
            settings=dock.settings.model_copy(update=settings),
            store=dock.store,
        )


def effective(dock: Dock, recording_id: int) -> date:
    with dock.database.read() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        return effective_retention(session, recording)


def extensions(dock: Dock, recording_id: int) -> list[Correction]:
    with dock.database.read() as session:
        stmt = select(Correction).where(
            Correction.recording_id == recording_id, Correction.field == RETAIN_UNTIL_FIELD
        )
        return list(session.scalars(stmt.order_by(Correction.id)))


def audited(dock: Dock, recording_id: int, tag: str) -> list[dict[str, Any]]:
    with dock.database.read() as session:
        rows = session.scalars(
            select(AuditEvent.after)
            .where(AuditEvent.tag == tag, AuditEvent.subject_id == str(recording_id))
            .order_by(AuditEvent.seq)
        )
        return [json.loads(row or "{}") for row in rows]


# Ingest: never earlier than the ingest day + 2 years ------------------------------------------


def test_a_device_clock_years_behind_keeps_two_years_from_the_ingest_day(
    dock: Dock, tmp_path: Path
) -> None:
    """Seen 9: a start five years back gave a retention date three years past."""
    recording = clip(dock, tmp_path, utcnow().replace(microsecond=0) - timedelta(days=5 * 366))
    assert recording.retain_until == add_years(recording.ingested_at.astimezone(SHANGHAI).date(), 2)
    assert recording.retain_until >= add_years(today(), 2) - timedelta(days=1)


def test_retention_years_from_the_settings_count_from_the_ingest_day(
    dock: Dock, tmp_path: Path
) -> None:
    dock.settings = dock.settings.model_copy(update={"retention_years": 5})
    recording = clip(dock, tmp_path, datetime(2019, 6, 1, tzinfo=UTC))
    assert recording.retain_until == retention_date(recording.ingested_at, 5)


# Corrections: a later start extends, an earlier one shortens nothing -------------------------


def test_a_correction_to_a_later_start_extends_the_retention(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingested = utcnow() - timedelta(days=400)
    with ingest_day(monkeypatch, ingested):
        recording = clip(dock, tmp_path, ingested - timedelta(days=3 * 365))
    promised = recording.retain_until
    assert promised == retention_date(ingested, 2)
    audit_before = len(audited(dock, recording.id, EvidenceEvent.RETENTION_EXTENDED))
    later = utcnow().replace(microsecond=0) - timedelta(days=30)
    correct_start(dock, recording.id, later)

    assert effective(dock, recording.id) == retention_date(later, 2) > promised
    [row] = extensions(dock, recording.id)
    assert row.value == retention_date(later, 2).isoformat()
    assert "开始时间更正" in row.reason and "第十四条" in row.reason
    [entry] = audited(dock, recording.id, EvidenceEvent.RETENTION_EXTENDED)[audit_before:]
    assert entry["field"] == RETAIN_UNTIL_FIELD and entry["value"] == row.value
    assert entry["correction"]["id"] == row.id
    assert dock.recording(recording.id).retain_until == promised  # the row never changes


def test_a_correction_to_an_earlier_start_never_shortens_it(dock: Dock, tmp_path: Path) -> None:
    """A clock a year ahead kept the clip three years; its true start shortens nothing."""
    ahead = utcnow().replace(microsecond=0) + timedelta(days=365)
    recording = clip(dock, tmp_path, ahead)
    promised = recording.retain_until
    assert promised == retention_date(ahead, 2)
    correct_start(dock, recording.id, utcnow().replace(microsecond=0) - timedelta(hours=2))
    assert effective(dock, recording.id) == promised
    assert extensions(dock, recording.id) == []
    assert audited(dock, recording.id, EvidenceEvent.RETENTION_EXTENDED) == []


def test_a_correction_counts_with_the_current_retention_years(dock: Dock, tmp_path: Path) -> None:
    recording = clip(dock, tmp_path, utcnow().replace(microsecond=0) - timedelta(hours=1))
    correct_start(dock, recording.id, recording.start_at, retention_years=3)
    assert effective(dock, recording.id) == retention_date(recording.ingested_at, 3)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (datetime.now(UTC) + timedelta(days=2), "不能晚于现在"),
        (datetime(1999, 12, 31, tzinfo=UTC), "不能早于 2000 年"),
        (datetime(9999, 1, 1, tzinfo=UTC), "不能晚于现在"),
    ],
)
def test_an_implausible_start_is_refused_before_it_can_keep_an_original_for_ever(
    dock: Dock, tmp_path: Path, start: datetime, message: str
) -> None:
    recording = clip(dock, tmp_path, utcnow().replace(microsecond=0) - timedelta(hours=1))
    audit = dock.audit_count()
    with pytest.raises(InvalidInput, match=message):
        correct_start(dock, recording.id, start)
    assert dock.audit_count() == audit and extensions(dock, recording.id) == []


def test_no_path_shortens_the_retention(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every path that touches retention, in turn: ingest, a re-ingest of the same bytes, a
    later start, an earlier one, the same one again, other corrections, more years; the
    effective retention after each is never less than before, and the row never changes."""
    ingested = utcnow() - timedelta(days=700)
    start = ingested - timedelta(days=4 * 365)
    with ingest_day(monkeypatch, ingested):
        recording = clip(dock, tmp_path, start)
    promised, seen = recording.retain_until, [recording.retain_until]
    now = utcnow().replace(microsecond=0)

    def step(action: Any) -> None:
        action()
        seen.append(effective(dock, recording.id))
        assert seen[-1] >= seen[-2], seen

    step(lambda: dock.ingest(tmp_path / "card-clip.mp4", officer_badge=OFFICER))  # again
    step(lambda: correct_start(dock, recording.id, now - timedelta(days=300)))  # later
    step(lambda: correct_start(dock, recording.id, now - timedelta(days=600)))  # earlier
    step(lambda: correct_start(dock, recording.id, now - timedelta(days=300)))  # same again
    step(lambda: correct_start(dock, recording.id, now - timedelta(days=100)))  # later still
    step(lambda: correct_start(dock, recording.id, start))  # back to the device's time
    step(lambda: correct_start(dock, recording.id, now, retention_years=3))  # more years
    for field, value in ((CorrectableField.NOTE, "补记"), (CorrectableField.OFFICER, OFFICER)):
        with dock.database.unit_of_work() as session:
            row = session.get(Recording, recording.id)
            assert row is not None
            service.correct(
                session=session, actor=dock.actor, recording=row, field=field, value=value,
                reason="补充", settings=dock.settings, store=dock.store,
            )  # fmt: skip
        step(lambda: None)

    assert seen[-1] == retention_date(now, 3) > seen[0] == promised
    assert dock.recording(recording.id).retain_until == promised
    values = [date.fromisoformat(row.value) for row in extensions(dock, recording.id)]
    assert values == sorted(values) and len(values) == len(set(values)) == 3


# Lists: the effective retention of a page in one query -------------------------------------


def test_effective_retentions_of_a_page_take_one_query(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingested = utcnow() - timedelta(days=400)
    with ingest_day(monkeypatch, ingested):
        ids = [
            clip(dock, tmp_path, ingested - timedelta(days=n), f"c{n}.mp4").id for n in (1, 2, 3)
        ]
    correct_start(dock, ids[1], utcnow().replace(microsecond=0) - timedelta(days=1))
    statements: list[str] = []

    def counted(*args: Any) -> None:
        statements.append(str(args[2]))

    with dock.database.read() as session:
        rows = list(session.scalars(select(Recording).where(Recording.id.in_(ids))))
        event.listen(dock.database.engine, "before_cursor_execute", counted)
        try:
            kept = retention.effective_retentions(session, rows)
        finally:
            event.remove(dock.database.engine, "before_cursor_execute", counted)
        one_by_one = {row.id: effective_retention(session, row) for row in rows}
    assert len(statements) == 1
    assert kept == one_by_one
    assert kept[ids[1]] > kept[ids[0]] == kept[ids[2]]
    with dock.database.read() as session:
        assert retention.effective_retentions(session, []) == {}

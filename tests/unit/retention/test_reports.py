"""The retention report (R14.2, R14.3): what expires in the next 30 / 90 / 365 days by unit, from
the effective retention (a case or a hold moves a recording out; a disposed one is gone), and the
storage used now and projected from the last six months' intake, within the reader's scope."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.documents.service import file_document
from lawcam.documents.types import Purpose
from lawcam.errors import Forbidden, NotFound
from lawcam.retention import reports
from lawcam.retention.reports import AHEAD_MONTHS, HISTORY_MONTHS, Amount
from lawcam.storage.local import LocalStore
from lawcam.timeutil import today_shanghai
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]

LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)  # docked then: kept until 2025-03-01
DAYS = (30, 90, 365)


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def due_in(days: int) -> datetime:
    """A docking whose two years end ``days`` from today."""
    return datetime.now(UTC) - timedelta(days=731) + timedelta(days=days)


def sizes(scene: Scene, ids: list[int]) -> int:
    return sum(scene.recording(rid).size for rid in ids)


def report(scene: Scene, who: str, **kw: object) -> reports.Expiring:
    with scene.database.read() as session:
        return reports.expiring(session=session, actor=scene.actor(who), days=DAYS, **kw)  # type: ignore[arg-type]


def test_what_expires_is_counted_by_window_from_the_effective_retention(
    scene: Scene, tmp_path: Path
) -> None:
    overdue = scene.dock(tmp_path, count=3, at=LONG_AGO)
    soon = scene.dock(tmp_path, count=1, at=due_in(10))
    later = scene.dock(tmp_path, count=2, at=due_in(60))
    year = scene.dock(tmp_path, count=1, at=due_in(200))
    scene.dock(tmp_path, count=1)  # two years ahead: in no window
    held = scene.dock(tmp_path, count=1, at=due_in(20))
    scene.hold(held)  # kept without end, out of every window
    archived = scene.case(number="R-1", term="10y", opened_on=LONG_AGO.date())
    scene.link(archived, overdue[2])
    scene.archive(archived, LONG_AGO.date() + timedelta(days=5))  # kept to 2033: out
    batch = scene.propose([overdue[1]])
    scene.approve(batch, "head")
    scene.approve(batch, "engineering")
    scene.run(batch)  # disposed of: gone from the report

    found = report(scene, "admin")
    [row] = found.rows
    assert (row.unit, found.days) == ("执法二处", DAYS)
    assert row.overdue == Amount(1, sizes(scene, overdue[:1]))
    assert row.within[30] == Amount(1, sizes(scene, soon))
    assert row.within[90] == Amount(3, sizes(scene, soon + later))
    assert row.within[365] == Amount(4, sizes(scene, soon + later + year))
    assert row.indefinite == Amount(1, sizes(scene, held))
    assert found.total.within == row.within and found.total.overdue == row.overdue
    assert report(scene, "engineering").rows == found.rows  # the whole office
    assert report(scene, "ict").rows == found.rows  # ICT plans the storage
    assert report(scene, "unit_head").rows == []  # 执法一处's head: not theirs
    with pytest.raises(NotFound):
        report(scene, "unit_head", unit_id=scene.unit_id)
    with pytest.raises(Forbidden):
        report(scene, "officer2")


def test_storage_used_now_and_projected_from_the_last_six_months(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)  # due, and not in the intake
    recent = scene.dock(tmp_path, count=2, at=datetime.now(UTC) - timedelta(days=40))
    expiring = scene.dock(tmp_path, count=1, at=due_in(100))  # gone within the year
    with scene.database.unit_of_work() as session:
        document = file_document(
            session=session, actor=scene.actor("admin"), store=scene.store,
            settings=scene.settings, stream=io.BytesIO(b"%PDF-1.4 report " * 100), name="说明.pdf",
            purpose=Purpose.INTERRUPTION_REPORT, unit_id=scene.unit_id,
        )  # fmt: skip
        document_size = document.size
    batch = scene.propose([old[0]])
    scene.approve(batch, "head")
    scene.approve(batch, "engineering")
    scene.run(batch)

    with scene.database.read() as session:
        found = reports.storage(session=session, actor=scene.actor("head"))
    [row] = found.rows
    assert row.recordings == sizes(scene, [old[1], *recent, *expiring])
    assert (row.copies, row.documents) == (0, document_size)
    assert row.used == row.recordings + document_size
    intake = sizes(scene, recent) + document_size
    assert row.monthly == pytest.approx(intake / HISTORY_MONTHS)
    assert row.expiring == sizes(scene, [old[1], *expiring])
    assert row.projected == round(row.used + intake * AHEAD_MONTHS / HISTORY_MONTHS - row.expiring)
    assert [m.day for m in found.months][:2] == [today_shanghai(), found.months[1].day]
    assert len(found.months) == AHEAD_MONTHS + 1
    assert found.months[0].projected == row.used
    assert found.months[-1].projected == row.projected
    assert found.months[-1].without_disposal == round(row.used + intake * 2)
    # Already overdue counts as gone from the first month; the rest by their month.
    assert found.months[1].projected == round(row.used + row.monthly - sizes(scene, [old[1]]))
    with scene.database.read() as session:
        assert reports.storage(session=session, actor=scene.actor("unit_head")).rows == []

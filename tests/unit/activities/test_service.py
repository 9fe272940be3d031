"""Activities through the services with real media through the real ingest (第十条、第十二条、
第十四条): links by time and officer, stored coverage and interruptions, explanations, the
deadline counted from the activity's end, and the bad input each refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.activities import queries, service
from lawcam.activities.models import Activity
from lawcam.activities.service import ActivityData
from lawcam.activities.types import ActivityKind, Cause, Explanation, InterruptionKind
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.evidence import service as evidence_service
from lawcam.evidence.models import Recording
from lawcam.evidence.types import CorrectableField
from lawcam.storage import open_store
from tests.evidence_helpers import ingest, workstation_actor
from tests.factories import Office, build_office
from tests.media import make_mp4

# A morning three hours ago, to the second (the device writes whole seconds).
BASE = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)


@pytest.fixture
def tight(settings: Settings) -> Settings:
    """Short spans keep the media small: a 5 s tolerance instead of 30 s."""
    return settings.model_copy(update={"activity_tolerance_s": 5})


@pytest.fixture
def office(database: Database, settings: Settings, console: Actor) -> Office:
    return build_office(database, settings, console)


def admin(office: Office) -> Actor:
    """The device administrator of 执法二处, where the test devices and officers are."""
    return workstation_actor(office, database=None)  # type: ignore[arg-type]


def officer(office: Office, key: str = "other_unit_officer") -> Actor:
    return Actor(
        label=key,
        source="web",
        person_id=office.people[key],
        unit_id=office.units["执法二处"],
        roles=frozenset({Role.OFFICER}),
    )


def card(tmp_path: Path, name: str, clips: list[tuple[int, int]]) -> Path:
    """A docked card holding clips (start second after BASE, length in seconds)."""
    folder = tmp_path / name / "DCIM"
    folder.mkdir(parents=True)
    for index, (start, seconds) in enumerate(clips):
        make_mp4(
            folder / f"V{index:03d}.mp4",
            seconds=seconds,
            width=64,
            height=48,
            fps=2,
            audio=False,
            creation_time=BASE + timedelta(seconds=start),
        )
    return folder.parent


def docked(database: Database, settings: Settings, office: Office, folder: Path) -> list[int]:
    report = ingest(database, settings, admin(office), folder, officer_badge="T9001")
    return sorted(r.recording_id for r in report.files if r.recording_id is not None)


def data(office: Office, start: int, end: int, **changes: object) -> ActivityData:
    fields: dict[str, object] = {
        "unit_id": office.units["执法二处"],
        "kind": ActivityKind.INSPECTION,
        "place": "中山路 18 号",
        "arrived_at": BASE + timedelta(seconds=start),
        "ended_at": BASE + timedelta(seconds=end),
        "officer_ids": [office.people["other_unit_officer"], office.people["spare"]],
        "announced": True,
    }
    fields.update(changes)
    return ActivityData(**fields)  # type: ignore[arg-type]


def add(database: Database, settings: Settings, actor: Actor, value: ActivityData) -> int:
    with database.unit_of_work() as session:
        activity, _ = service.add_activity(
            session=session, actor=actor, settings=settings, data=value
        )
        return activity.id


def show(database: Database, activity_id: int) -> tuple[Activity, list[tuple]]:
    with database.read() as session:
        activity = session.get(Activity, activity_id)
        assert activity is not None
        rows = [
            (i.seq, i.kind, i.start_at - BASE, i.end_at - BASE, i.explanation, i.confirmed_at)
            for i in queries.interruptions_of(session, activity_id)
        ]
        session.expunge(activity)
        return activity, rows


def linked(database: Database, activity_id: int) -> list[int]:
    with database.read() as session:
        return [link.recording_id for link in queries.links_of(session, activity_id)]


S = timedelta(seconds=1)


@pytest.mark.req("R10.1")
@pytest.mark.req("R10.2")
def test_a_gap_between_segments_is_an_interruption_explained_by_voice(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    # Segments 0–50 and 52–82 join (2 s apart); 82–100 is a gap; 100–120 resumes.
    ids = docked(database, tight, office, card(tmp_path, "a", [(0, 50), (52, 30), (100, 20)]))
    activity_id = add(database, tight, admin(office), data(office, 0, 120))
    assert linked(database, activity_id) == ids
    activity, rows = show(database, activity_id)
    assert activity.coverage == pytest.approx((82 + 20) / 120)
    assert (activity.no_recording, activity.unexplained, activity.late_uploads) == (False, 1, 0)
    assert rows == [(1, "gap", 82 * S, 100 * S, None, None)]
    # r1 is not the recording that resumed after the gap.
    with database.unit_of_work() as session, pytest.raises(InvalidInput, match="中断结束时开始"):
        service.explain_voice(
            session=session,
            actor=officer(office),
            settings=tight,
            activity_id=activity_id,
            seq=1,
            recording_id=ids[0],
        )
    with database.unit_of_work() as session:
        service.explain_voice(
            session=session,
            actor=officer(office),
            settings=tight,
            activity_id=activity_id,
            seq=1,
            recording_id=ids[2],
        )
    with database.unit_of_work() as session:
        service.confirm(session=session, actor=admin(office), activity_id=activity_id, seq=1)
    activity, rows = show(database, activity_id)
    assert activity.unexplained == 0
    assert rows[0][4] == "voice" and rows[0][5] is not None


@pytest.mark.req("R10.1")
@pytest.mark.req("R14.1")
def test_recordings_docked_after_the_activity_link_when_they_arrive(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    activity_id = add(database, tight, admin(office), data(office, 0, 60))
    _, rows = show(database, activity_id)
    assert show(database, activity_id)[0].no_recording and rows == []
    ids = docked(database, tight, office, card(tmp_path, "b", [(10, 50)]))
    with database.unit_of_work() as session:
        looked = service.relink_recordings(
            session=session, actor=admin(office), settings=tight, recording_ids=ids
        )
    assert looked == 1 and linked(database, activity_id) == ids
    activity, rows = show(database, activity_id)
    assert rows == [(1, "late_start", 0 * S, 10 * S, None, None)]
    assert activity.coverage == pytest.approx(50 / 60)
    # The deadline runs from the activity's end (第十四条), and it was docked in time.
    assert activity.upload_deadline == BASE + timedelta(seconds=60, hours=24)
    assert activity.late_uploads == 0


@pytest.mark.req("R14.1")
def test_an_upload_docked_more_than_24_hours_after_the_activity_is_late(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    old = BASE - timedelta(days=3)
    folder = tmp_path / "late" / "DCIM"
    folder.mkdir(parents=True)
    make_mp4(
        folder / "V.mp4", seconds=30, width=64, height=48, fps=2, audio=False, creation_time=old
    )
    ids = docked(database, tight, office, folder.parent)
    activity_id = add(
        database,
        tight,
        admin(office),
        data(office, 0, 30, arrived_at=old, ended_at=old + timedelta(seconds=30)),
    )
    activity, _ = show(database, activity_id)
    assert (activity.coverage, activity.late_uploads) == (1.0, 1)
    with database.read() as session:
        assert [link.late for link in queries.links_of(session, activity_id)] == [True]
    assert ids == linked(database, activity_id)


@pytest.mark.req("R10.2")
def test_a_written_report_and_the_rules_of_who_explains_what(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    docked(database, tight, office, card(tmp_path, "c", [(0, 20), (40, 20)]))
    activity_id = add(database, tight, admin(office), data(office, 0, 60))
    spare = officer(office, "spare")
    with database.unit_of_work() as session, pytest.raises(Conflict, match="尚未说明"):
        service.confirm(session=session, actor=admin(office), activity_id=activity_id, seq=1)
    with database.unit_of_work() as session, pytest.raises(InvalidInput, match="不能为空"):
        service.explain_written(
            session=session,
            actor=spare,
            activity_id=activity_id,
            seq=1,
            cause=Cause.BATTERY,
            text="  ",
        )
    with database.unit_of_work() as session:
        service.explain_written(
            session=session,
            actor=spare,
            activity_id=activity_id,
            seq=1,
            cause=Cause.BATTERY,
            text="电池耗尽，更换备用电池后继续记录。",
        )
    with database.unit_of_work() as session, pytest.raises(Conflict, match="已经说明过"):
        service.explain_written(
            session=session,
            actor=spare,
            activity_id=activity_id,
            seq=1,
            cause=Cause.OTHER,
            text="再说一次",
        )
    with database.unit_of_work() as session, pytest.raises(NotFound, match="没有编号为 9"):
        service.explain_written(
            session=session,
            actor=spare,
            activity_id=activity_id,
            seq=9,
            cause=Cause.OTHER,
            text="x",
        )
    # The officer of 执法一处 took no part: the activity is not even visible to them.
    outsider = Actor(
        label="x",
        source="web",
        person_id=office.people["officer"],
        unit_id=office.units["执法一处"],
        roles=frozenset({Role.OFFICER}),
    )
    with database.unit_of_work() as session, pytest.raises(NotFound):
        service.explain_written(
            session=session,
            actor=outsider,
            activity_id=activity_id,
            seq=1,
            cause=Cause.OTHER,
            text="x",
        )
    with database.unit_of_work() as session:
        with pytest.raises(Forbidden):  # officers explain, administrators confirm
            service.confirm(session=session, actor=spare, activity_id=activity_id, seq=1)
        service.confirm(session=session, actor=admin(office), activity_id=activity_id, seq=1)
    activity, rows = show(database, activity_id)
    assert activity.unexplained == 0 and rows[0][4] == str(Explanation.WRITTEN)


@pytest.mark.req("R10.1")
def test_each_officer_policy_names_whose_recording_is_interrupted(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    each = tight.model_copy(update={"activity_policy": "each"})
    docked(database, each, office, card(tmp_path, "d", [(0, 60)]))  # all T9001's
    activity_id = add(database, each, admin(office), data(office, 0, 60))
    activity, rows = show(database, activity_id)
    assert activity.coverage == 0.0 and not activity.no_recording
    assert [(r[1]) for r in rows] == [str(InterruptionKind.NOT_RECORDED)]
    with database.unit_of_work() as session, pytest.raises(Forbidden, match="本人"):
        service.explain_written(
            session=session,
            actor=officer(office),
            activity_id=activity_id,
            seq=1,
            cause=Cause.OTHER,
            text="不是我的",
        )


@pytest.mark.req("R10.1")
def test_manual_detach_stays_and_a_corrected_start_relinks(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    ids = docked(database, tight, office, card(tmp_path, "e", [(0, 30), (30, 30)]))
    activity_id = add(database, tight, admin(office), data(office, 0, 60))
    assert show(database, activity_id)[0].coverage == 1.0
    with database.unit_of_work() as session:
        service.detach(
            session=session,
            actor=admin(office),
            settings=tight,
            activity_id=activity_id,
            recording_id=ids[1],
            reason="另一起检查的录像",
        )
    with database.unit_of_work() as session:
        activity = queries.get_activity(
            session=session, actor=admin(office), activity_id=activity_id
        )
        service.relink(session=session, actor=admin(office), settings=tight, activity=activity)
    assert linked(database, activity_id) == ids[:1]  # relinking does not bring it back
    _, rows = show(database, activity_id)
    assert rows == [(1, "early_stop", 30 * S, 60 * S, None, None)]
    with database.unit_of_work() as session:
        with pytest.raises(InvalidInput, match="理由"):
            service.attach(
                session=session,
                actor=admin(office),
                settings=tight,
                activity_id=activity_id,
                recording_id=ids[1],
                reason=" ",
            )
        service.attach(
            session=session,
            actor=admin(office),
            settings=tight,
            activity_id=activity_id,
            recording_id=ids[1],
            reason="确属本次检查",
        )
    activity, rows = show(database, activity_id)
    assert activity.coverage == 1.0 and rows == []
    # A corrected start moves the first recording an hour later: it leaves the activity.
    with database.unit_of_work() as session:
        recording = session.get(Recording, ids[0])
        evidence_service.correct(
            session=session,
            actor=admin(office),
            recording=recording,
            field=CorrectableField.START_AT,
            value=(BASE + timedelta(hours=1)).isoformat(),
            reason="设备时钟慢了一小时",
            settings=tight,
            store=open_store(tight.resolved_storage_url),
        )
        service.relink_recordings(
            session=session, actor=admin(office), settings=tight, recording_ids=[ids[0]]
        )
    assert linked(database, activity_id) == ids[1:]
    _, rows = show(database, activity_id)
    assert [r[1] for r in rows] == ["late_start"]


@pytest.mark.req("R10.1")
@pytest.mark.req("R12.1")
@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"ended_at": BASE}, InvalidInput, "晚于到场"),
        (
            {"arrived_at": BASE + timedelta(days=2), "ended_at": BASE + timedelta(days=2, hours=1)},
            InvalidInput,
            "不能晚于现在",
        ),
        ({"arrived_at": BASE - timedelta(hours=30)}, InvalidInput, "最长 24 小时"),
        ({"officer_ids": []}, InvalidInput, "至少登记一名"),
        ({"officer_ids": ["officer"]}, InvalidInput, "不是该单位"),
        ({"officer_ids": ["unit_head"]}, InvalidInput, "执法人员"),
        ({"place": "  "}, InvalidInput, "地点不能为空"),
    ],
)
def test_bad_activities_are_refused_with_nothing_written(
    database: Database, tight: Settings, office: Office, changes: dict, error: type, message: str
) -> None:
    if "officer_ids" in changes:
        changes = {"officer_ids": [office.people[k] for k in changes["officer_ids"]]}
    with database.unit_of_work() as session, pytest.raises(error, match=message):
        service.add_activity(
            session=session,
            actor=admin(office),
            settings=tight,
            data=data(office, 0, 60, **changes),
        )
    with database.read() as session:
        assert session.query(Activity).count() == 0


@pytest.mark.req("R10.1")
def test_the_same_activity_twice_is_refused_and_two_officer_kinds_warn(
    database: Database, tight: Settings, office: Office
) -> None:
    alone = [office.people["spare"]]
    with database.unit_of_work() as session:
        _, warnings = service.add_activity(
            session=session,
            actor=admin(office),
            settings=tight,
            data=data(office, 0, 60, kind=ActivityKind.SEIZURE, officer_ids=alone),
        )
    assert warnings and "两名以上" in warnings[0]
    with database.unit_of_work() as session, pytest.raises(Conflict, match="已经登记"):
        service.add_activity(
            session=session,
            actor=admin(office),
            settings=tight,
            data=data(office, 0, 60, kind=ActivityKind.SEIZURE, officer_ids=alone),
        )
    # An officer may enter only activities they took part in, of their own unit.
    with database.unit_of_work() as session, pytest.raises(Forbidden, match="本人参加"):
        service.add_activity(
            session=session,
            actor=officer(office),
            settings=tight,
            data=data(office, 100, 160, officer_ids=alone),
        )

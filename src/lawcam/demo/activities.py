"""The demo's enforcement activities (第十条、第十二条、第十四条): a fortnight of evening
inspections by the centre's officers, each showing one state of the rules — fully covered
by segmented files, a gap explained by voice and confirmed, a gap explained in writing and
acknowledged, a gap nobody has explained, an activity with no recording, an upload docked two
days late, a recording outside every activity, and a seizure entered with one officer (a
warning). Real clips through the real ingest, at the times they happened (``clock_at``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A5
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.activities import queries, service
from lawcam.activities.models import Activity
from lawcam.activities.types import ActivityKind, Cause
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod
from lawcam.custody.queries import desk_actor
from lawcam.db import Database
from lawcam.demo.custody import working_days
from lawcam.demo.media import make_mp4
from lawcam.demo.seed import CENTER
from lawcam.equipment.models import Device
from lawcam.evidence.ingest import IngestRequest, ingest_folder
from lawcam.org.models import Person, Unit
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI, clock_at, utcnow


@dataclass(frozen=True)
class Scene:
    """One evening: which day back, the kind and place, the clips (seconds after arrival,
    length), the activity's length, how the gap is explained, and when the card is docked."""

    days_back: int
    kind: ActivityKind
    place: str
    clips: tuple[tuple[int, int], ...]
    length: int
    explain: str = ""  # "voice" | "written" | "" (left unexplained)
    docked_after_h: float = 1.0
    officers: int = 2
    entered: bool = True  # False: a recording outside every activity
    case: str = ""  # the penalty case it belongs to (asked for by number: demo.access)


SCENES = (
    Scene(9, ActivityKind.INSPECTION, "解放路 66 号 地下人防工程", ((0, 300), (302, 298)), 590),
    Scene(
        8, ActivityKind.INVESTIGATION, "建设路人防工程出入口", ((0, 240), (330, 270)), 600, "voice"
    ),
    Scene(7, ActivityKind.INSPECTION, "滨江花园地下车库", ((0, 200), (400, 200)), 600, "written"),
    Scene(
        6,
        ActivityKind.ON_SITE_PENALTY,
        "人民路 12 号 地下商场",
        ((0, 300), (420, 180)),
        600,
        case="人防罚〔2026〕12 号",
    ),
    Scene(5, ActivityKind.SERVICE_OF_DOCUMENTS, "和平小区 3 栋", (), 420),
    Scene(4, ActivityKind.INSPECTION, "东风路人防疏散基地", ((0, 480),), 480, docked_after_h=50),
    Scene(3, ActivityKind.OTHER, "（巡查途中）", ((0, 90),), 0, entered=False),
    Scene(
        2,
        ActivityKind.SEIZURE,
        "城南物流园仓库",
        ((0, 360),),
        360,
        officers=1,
        case="人防强〔2026〕3 号",
    ),
)
EVENING = time(20, 30)


Step = tuple[datetime, Callable[[], object]]


def seed_activities(*, database: Database, store: BlobStore, settings: Settings) -> dict[str, Any]:
    """Play the scenes on their own (the demo plays them inside the custody story, so that the
    audit log stays in time order: ``steps``); returns what a summary line says."""
    made: list[int] = []
    for moment, run in sorted(steps(database, store, settings, made), key=lambda s: s[0]):
        with clock_at(moment):
            run()
    return summary(database, made)


def steps(database: Database, store: BlobStore, settings: Settings, made: list[int]) -> list[Step]:
    """Every scene's changes at their moments: entered the next morning, the card docked (that
    evening, or late), the gap explained and confirmed the day after. ``made`` collects the
    activities' ids as they are entered."""
    with database.read() as session:
        cast = demo_cast(session)
    days = working_days(utcnow().astimezone(SHANGHAI).date(), 10)
    world = World(database, store, settings, cast, made)
    return [step for scene in SCENES for step in world.scene(scene, days)]


def summary(database: Database, made: list[int]) -> dict[str, Any]:
    with database.read() as session:
        return _summary(session, made)


@dataclass(frozen=True)
class Cast:
    unit: str
    officers: tuple[Person, Person]
    admin: Person
    device: str


def demo_cast(session: Session) -> Cast:
    unit = session.scalars(select(Unit).where(Unit.name == CENTER)).one()
    people = list(
        session.scalars(
            select(Person)
            .where(Person.unit_id == unit.id, Person.is_officer.is_(True))
            .order_by(Person.id)
        )
    )
    admin = next(p for p in people if "device_admin" in p.active_roles)
    officers = [p for p in people if not p.active_roles]
    return Cast(CENTER, (officers[0], officers[5]), admin, _quiet_device(session, unit.id))


def _quiet_device(session: Session, unit_id: int) -> str:
    """A recorder of the unit nobody held during the fortnight (evening work, own card)."""
    held = select(CustodyPeriod.device_id)
    stmt = select(Device.serial).where(Device.unit_id == unit_id, Device.id.not_in(held))
    return (
        session.scalars(stmt.order_by(Device.id)).first()
        or session.scalars(
            select(Device.serial).where(Device.unit_id == unit_id).order_by(Device.id)
        ).one()
    )


@dataclass
class World:
    database: Database
    store: BlobStore
    settings: Settings
    cast: Cast
    made: list[int]

    def scene(self, scene: Scene, days: list[date]) -> list[Step]:
        arrived = datetime.combine(days[-scene.days_back], EVENING, SHANGHAI)
        ended = arrived + timedelta(seconds=scene.length)
        found: list[Step] = []
        entered: list[int] = []
        if scene.entered:  # the device administrator enters it the next morning
            found.append(
                (arrived + timedelta(hours=13), lambda: self._enter(scene, arrived, ended, entered))
            )
        if scene.clips:
            last = arrived + timedelta(seconds=max(a + b for a, b in scene.clips))
            found.append(
                (last + timedelta(hours=scene.docked_after_h), lambda: self._dock(scene, arrived))
            )
        if scene.entered and scene.explain:
            found.append(
                (arrived + timedelta(days=1, hours=15), lambda: self._explain(scene, entered[0]))
            )
        return found

    def _enter(self, scene: Scene, arrived: datetime, ended: datetime, entered: list[int]) -> None:
        with self.database.unit_of_work() as session:
            activity_id = _enter(session, scene, self.cast, arrived, ended, self.settings)
        entered.append(activity_id)
        self.made.append(activity_id)

    def _dock(self, scene: Scene, arrived: datetime) -> None:
        _dock(scene, self.cast, arrived, self.database, self.store, self.settings)

    def _explain(self, scene: Scene, activity_id: int) -> None:
        _explain(scene, self.cast, activity_id, self.database, self.settings, self.store)


def _enter(
    session: Session,
    scene: Scene,
    cast: Cast,
    arrived: datetime,
    ended: datetime,
    settings: Settings,
) -> int:
    officers = [p.badge or "" for p in cast.officers[: scene.officers]]
    data = service.data_named(
        session,
        unit=cast.unit,
        officers=officers,
        kind=scene.kind,
        place=scene.place,
        arrived_at=arrived,
        ended_at=ended,
        announced=True,
        case_number=scene.case,
    )
    activity, _ = service.add_activity(
        session=session, actor=desk_actor(cast.admin), settings=settings, data=data
    )
    return activity.id


def _dock(
    scene: Scene,
    cast: Cast,
    arrived: datetime,
    database: Database,
    store: BlobStore,
    settings: Settings,
) -> None:
    folder = settings.home / "demo-cards" / cast.device / arrived.strftime("%Y%m%d-evening")
    _write(folder, scene, cast.device, arrived)
    admin = desk_actor(cast.admin)
    request = IngestRequest(
        path=folder,
        device_serial=cast.device,
        workstation="中心采集工作站-01",
        officer_badge=cast.officers[0].badge,
    )
    report = ingest_folder(
        database=database, store=store, settings=settings, actor=admin, request=request
    )
    ids = [f.recording_id for f in report.files if f.recording_id is not None]
    with database.unit_of_work() as session:
        service.relink_recordings(
            session=session, actor=admin, settings=settings, recording_ids=ids
        )


def _write(folder: Path, scene: Scene, serial: str, arrived: datetime) -> None:
    dcim = folder / "DCIM"
    dcim.mkdir(parents=True, exist_ok=True)
    for n, (start, seconds) in enumerate(scene.clips, start=1):
        at = arrived + timedelta(seconds=start)
        name = f"DSJ_{serial}_{at.astimezone(SHANGHAI):%Y%m%d%H%M%S}_{n:04d}.MP4"
        make_mp4(
            dcim / name,
            seconds=seconds,
            width=160,
            height=120,
            fps=1,
            audio=False,
            creation_time=at,
        )


def _explain(
    scene: Scene,
    cast: Cast,
    activity_id: int,
    database: Database,
    settings: Settings,
    store: BlobStore,
) -> None:
    officer, admin = desk_actor(cast.officers[0]), desk_actor(cast.admin)
    with database.unit_of_work() as session:
        if scene.explain == "voice":
            resumed = _resumed(session, officer, activity_id)
            service.explain_voice(
                session=session,
                actor=officer,
                settings=settings,
                activity_id=activity_id,
                seq=1,
                recording_id=resumed,
            )
        else:
            text = "检查途中记录仪电量耗尽，更换备用电池后继续记录。"
            scan = _report_scan(text, cast.officers[0])
            service.explain_written(
                session=session,
                actor=officer,
                activity_id=activity_id,
                seq=1,
                cause=Cause.BATTERY,
                text=text,
                attachment=service.Attachment(scan, "中断书面说明.pdf", store, settings),
            )
        service.confirm(session=session, actor=admin, activity_id=activity_id, seq=1)


def _report_scan(text: str, officer: Person) -> io.BytesIO:
    """The signed paper report as the officer's unit scans it: one A5 page."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A5)
    # reportlab's built-in CID font: nothing to install for the demo (a viewer draws it with
    # its own CJK font); the labels embed a TrueType one instead.
    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    canvas.setFont(font, 16)
    canvas.drawCentredString(A5[0] / 2, A5[1] - 60, "执法音像记录中断书面说明")
    canvas.setFont(font, 11)
    lines = [
        f"说明人：{officer.name}（执法证号 {officer.badge}）",
        "中断原因：电量耗尽",
        f"经过：{text}",
        "",
        "签名：________",
    ]
    for n, line in enumerate(lines):
        canvas.drawString(40, A5[1] - 110 - n * 24, line)
    canvas.showPage()
    canvas.save()
    out.seek(0)
    return out


def _resumed(session: Session, actor: Actor, activity_id: int) -> int:
    """The recording that started where the gap ended: it carries the spoken explanation."""
    [gap] = queries.interruptions_of(session, activity_id)
    links = queries.links_of(session, activity_id)
    facts = queries.facts_of(session, [link.recording_id for link in links])
    return min(facts.values(), key=lambda f: abs(f.span.start - gap.end_at)).id


def _summary(session: Session, ids: list[int]) -> dict[str, Any]:
    rows = list(session.scalars(select(Activity).where(Activity.id.in_(ids))))
    return {
        "activities": len(rows),
        "fully_covered": sum(1 for a in rows if a.coverage >= 1.0),
        "unexplained": sum(1 for a in rows if a.unexplained),
        "no_recording": sum(1 for a in rows if a.no_recording),
        "late": sum(1 for a in rows if a.late_uploads),
    }

"""A unit with recordings and the people of retention (R14.2, R14.3): 执法二处's device
administrator, its head and a second officer, engineering supervision and the office leader of
the test office; recordings docked now or years ago (``clock_at``), in a local store or S3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lawcam.activities import service as activities
from lawcam.activities.types import ActivityKind
from lawcam.audit.signing import Signer, load_signer
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody.queries import desk_actor
from lawcam.db import Database
from lawcam.evidence.ingest import IngestRequest, ingest_folder
from lawcam.evidence.models import Recording
from lawcam.org import service as org_service
from lawcam.org.models import Person
from lawcam.org.types import PersonIn
from lawcam.retention import disposal, holds, service
from lawcam.retention.models import PenaltyCase
from lawcam.retention.service import NewCase
from lawcam.storage import BlobStore
from lawcam.timeutil import clock_at, today_shanghai
from tests import media
from tests.factories import Office, build_office

UNIT = "执法二处"
SERIAL = "T2-0001"


@dataclass
class Scene:
    database: Database
    settings: Settings
    console: Actor
    store: BlobStore
    office: Office
    home: Path
    people: dict[str, int] = field(default_factory=dict)

    @property
    def unit_id(self) -> int:
        return self.office.units[UNIT]

    def actor(self, who: str) -> Actor:
        with self.database.read() as session:
            person = session.get(Person, self.people.get(who) or self.office.people[who])
            assert person is not None
            return desk_actor(person, source="web")

    @property
    def signer(self) -> Signer:
        return load_signer(self.home)

    def dock(self, tmp: Path, count: int = 1, at: datetime | None = None) -> list[int]:
        """``count`` recordings of 执法二处, docked at ``at`` (default now)."""
        card = f"card-{len(list(tmp.glob('card-*')))}"
        folder = tmp / card
        folder.mkdir()
        start = (at or datetime.now(UTC)) - timedelta(hours=2)
        for n in range(count):
            media.make_mp4(
                folder / f"c{n}.mp4",
                creation_time=start + timedelta(minutes=n),
                seconds=1,
                comment=card,  # two cards docked within one second are two recordings
            )
        request = IngestRequest(
            path=folder, device_serial=SERIAL, workstation="二处工作站", officer_badge="T9001"
        )
        with clock_at(at or datetime.now(UTC)):
            report = ingest_folder(
                database=self.database, store=self.store, settings=self.settings,
                actor=self.console, request=request,
            )  # fmt: skip
        ids = [f.recording_id for f in report.files]
        assert all(ids), report.files
        return [i for i in ids if i is not None]

    def case(self, number: str = "京执罚〔2026〕1号", term: str = "30y", **kw: Any) -> int:
        new = NewCase(
            number=number, unit_id=self.unit_id, title=kw.get("title", "无照经营案"),
            opened_on=kw.get("opened_on", today_shanghai() - timedelta(days=30)), term=term,
            parties=kw.get("parties", "张某"),
        )  # fmt: skip
        with self.database.unit_of_work() as session:
            made = service.create_case(
                session=session, actor=self.actor("admin"), terms=self.settings.case_terms, new=new
            )
            return made.id

    def get_case(self, session: Any, case_id: int) -> PenaltyCase:
        found = session.get(PenaltyCase, case_id)
        assert found is not None
        return found

    def link(self, case_id: int, recording_id: int, who: str = "admin") -> int:
        with self.database.unit_of_work() as session:
            made = service.link(
                session=session, actor=self.actor(who), store=self.store,
                case=self.get_case(session, case_id), recording_id=recording_id, reason="作为证据",
            )  # fmt: skip
            return made.id

    def archive(self, case_id: int, day: Any) -> None:
        with self.database.unit_of_work() as session:
            service.archive_case(
                session=session, actor=self.actor("admin"), store=self.store,
                case=self.get_case(session, case_id), archived_on=day,
            )  # fmt: skip

    def hold(self, ids: Sequence[int], who: str = "head") -> list[int]:
        with self.database.unit_of_work() as session:
            placed = holds.place(
                session=session, actor=self.actor(who), store=self.store, recording_ids=ids,
                reason="当事人提起行政诉讼",
            )  # fmt: skip
            return [h.id for h in placed]

    def propose(self, ids: Sequence[int] | None = None) -> int:
        with self.database.unit_of_work() as session:
            batch = disposal.propose(
                session=session, actor=self.actor("admin"), unit_id=self.unit_id,
                reason="保存期限届满", recording_ids=ids,
            )  # fmt: skip
            return batch.id

    def approve(self, batch_id: int, who: str) -> None:
        from lawcam.retention import queries

        actor = self.actor(who)
        with self.database.unit_of_work() as session:
            batch = queries.get_batch(session=session, actor=actor, batch_id=batch_id)
            disposal.approve(session=session, actor=actor, batch=batch)

    def run(self, batch_id: int) -> disposal.RunReport:
        return disposal.run(
            database=self.database, actor=self.actor("admin"), store=self.store,
            signer=self.signer, batch_id=batch_id,
        )  # fmt: skip

    def activity(self) -> int:
        """An inspection by 执法二处's officer T9001, from three hours ago to one hour ago."""
        now = datetime.now(UTC)
        with self.database.unit_of_work() as session:
            data = activities.data_named(
                session, unit=UNIT, officers=["T9001"], kind=ActivityKind.INSPECTION,
                place="某市场", arrived_at=now - timedelta(hours=3),
                ended_at=now - timedelta(hours=1), announced=True,
            )  # fmt: skip
            made, _ = activities.add_activity(
                session=session, actor=self.console, settings=self.settings, data=data
            )
            return made.id

    def link_activity(self, case_id: int, activity_id: int) -> None:
        with self.database.unit_of_work() as session:
            service.link(
                session=session, actor=self.actor("admin"), store=self.store,
                case=self.get_case(session, case_id), activity_id=activity_id, reason="现场检查",
            )  # fmt: skip

    def attach(
        self, activity_id: int, recording_id: int, reason: str = "设备时钟有误，人工关联"
    ) -> None:
        with self.database.unit_of_work() as session:
            activities.attach(
                session=session, actor=self.console, settings=self.settings,
                activity_id=activity_id, recording_id=recording_id, reason=reason,
            )  # fmt: skip

    def detach(self, activity_id: int, recording_id: int, reason: str) -> None:
        with self.database.unit_of_work() as session:
            activities.detach(
                session=session, actor=self.console, settings=self.settings,
                activity_id=activity_id, recording_id=recording_id, reason=reason,
            )  # fmt: skip

    def recording(self, rid: int) -> Recording:
        with self.database.read() as session:
            found = session.scalars(select(Recording).where(Recording.id == rid)).one()
            return found


def build_scene(
    database: Database, settings: Settings, console: Actor, store: BlobStore, home: Path
) -> Scene:
    office = build_office(database, settings, console)
    scene = Scene(database, settings, console, store, office, home)
    with database.unit_of_work() as session:
        for key, name, badge, roles in [
            ("admin", "二处管理员", "T8001", (Role.DEVICE_ADMIN,)),
            ("head", "二处负责人", "T8002", (Role.UNIT_HEAD,)),
            ("officer2", "二处办案员", "T8003", ()),
        ]:
            person = org_service.create_person(
                session=session, actor=console,
                data=PersonIn(name=name, unit=UNIT, badge=badge, is_officer=not roles, roles=roles),
            )  # fmt: skip
            scene.people[key] = person.id
    return scene

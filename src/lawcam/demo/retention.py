"""Penalty cases, legal holds and disposal in the demo (第十四条第（二）项、第（三）项, 第十五条), played
through ``lawcam.retention``'s services at their moments, like the other stories:

- cards of the centre's older recorder docked years ago (``clock_at`` in 2024 and 2025: their
  two years have run) — real clips through the real ingest;
- two old cases registered when the office took the system up: one archived for 30 years, one
  永久, each with a recording it keeps;
- the evening inspection on 解放路 66 号 became a case still under investigation (its activity
  and two recordings linked; a third linked by mistake, its unlink waiting on the unit head);
  the on-site penalty 人防罚〔2026〕12 号 registered with its activity;
- a hold on the seizure's recording (复议 pending), and an old hold whose release was asked;
- disposal: an older batch run (its tombstones and signed dispositions), one approved by both
  and left for the device administrator to run, one waiting on engineering supervision, and two
  expired recordings in no batch yet (the dry run shows them).

Every actor is a demo login; each change is its own transaction. The old dockings are played
after the office was set up (their audit entries carry the dates they happened)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from lawcam.activities.models import Activity, ActivityLink
from lawcam.audit.signing import load_signer
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.demo.activities import SCENES
from lawcam.demo.evidence import CENTER_WORKSTATION, Card, Clip, write_card
from lawcam.demo.seed import CENTER
from lawcam.evidence.ingest import IngestRequest, ingest_folder
from lawcam.evidence.models import Recording
from lawcam.org import accounts
from lawcam.org.models import Account, Unit
from lawcam.retention import disposal, holds, queries, service
from lawcam.retention.models import DisposalBatch, LegalHold, PenaltyCase
from lawcam.retention.service import CaseDates, NewCase
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI, today_shanghai

Step = tuple[datetime, Callable[[], object]]
OLD_RECORDER = "HDA3210517"  # the centre's older recorder (in service since 2021)
SEIZURE_CASE = "人防强〔2026〕3 号"  # the seizure scene (demo.activities)
ON_SITE_CASE = "人防罚〔2026〕12 号"  # the on-site penalty scene
OPEN_CASE = "人防罚〔2026〕15 号"  # the 解放路 66 号 inspection, now under investigation
ARCHIVED_CASE = "人防罚〔2024〕27 号"  # archived, 30 years
PERMANENT_CASE = "人防罚〔2025〕9 号"  # archived, 永久
EXPIRED = "保存期限（自拍摄之日起两年）已届满，未关联任何案件、未被保全，经逐条核对后申请销毁"


@dataclass(frozen=True)
class OldCard:
    """A card of the older recorder docked at ``docked`` (local time): ``clips`` recordings
    made that day from 14:00, ``officer`` (0 or 1) the cast officer who carried it."""

    key: str
    docked: datetime
    clips: int
    officer: int = 0


def _local(year: int, month: int, day: int, hour: int = 18, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


OLD_CARDS = (
    OldCard("disposed", _local(2024, 1, 16), 3),  # batch 1: run, tombstones
    OldCard("approved", _local(2024, 3, 12), 3, 1),  # batch 2: approved, to run
    OldCard("case_30y", _local(2024, 4, 9), 2),  # 1: the 30-year case; 2: hold, release asked
    OldCard("supervision", _local(2024, 5, 21), 2, 1),  # batch 3: waits for engineering
    OldCard("unproposed", _local(2024, 6, 4), 2),  # expired, in no batch yet
    OldCard("permanent", _local(2025, 6, 18), 1, 1),  # the 永久 case
)


@dataclass
class Plot:
    """The demo's retention story: who acts, the old cards' recordings once docked."""

    database: Database
    store: BlobStore
    settings: Settings
    docked: dict[str, list[int]]
    batches: dict[str, int]

    def steps(self, days: list[date]) -> list[Step]:
        """``days``: the fortnight's working days, oldest first."""
        d = days[::-1]  # d[0]: the last working day before today
        found: list[Step] = [(card.docked, self._docker(card)) for card in OLD_CARDS]
        found += [
            # When the office took the system up: its archived cases and a standing hold.
            (_at(d[9], 10), self._old_case_30y),
            (_at(d[9], 10, 30), self._old_case_permanent),
            (_at(d[9], 11), self._old_hold),
            # The first disposal: proposed, approved by the head and by supervision, run.
            (_at(d[8], 15), lambda: self._propose("first", "disposed")),
            (_at(d[7], 10), lambda: self._approve("first", "center_head")),
            (_at(d[7], 15), lambda: self._approve("first", "engineering")),
            (_at(d[6], 16), self._run_first),
            # The inspection on 解放路 66 号 (entered d[7] 09:30) becomes a case.
            (_at(d[7], 15, 30), self._open_case),
            (_at(d[4], 14), self._on_site_case),
            (_at(d[3], 10), self._link_recordings),
            (_at(d[3], 15), lambda: self._propose("second", "approved")),
            (_at(d[2], 9, 30), lambda: self._approve("second", "center_head")),
            (_at(d[1], 9), self._ask_unlink),
            (_at(d[1], 10, 30), lambda: self._approve("second", "engineering")),
            (_at(d[1], 15), self._ask_release),
            (_at(d[1], 16), lambda: self._propose("third", "supervision")),
            (_at(d[0], 11), self._seizure_hold),
            (_at(d[0], 14), lambda: self._approve("third", "center_head")),
        ]
        return found

    # the old cards ------------------------------------------------------------------------

    def _docker(self, card: OldCard) -> Callable[[], object]:
        return lambda: self._dock(card)

    def _dock(self, card: OldCard) -> None:
        """The card written as the recorder names its files, docked at the centre's
        workstation by the device administrator, naming the officer who carried it."""
        start = card.docked.replace(hour=14)
        clips = [Clip(start + timedelta(minutes=50 * n), 60 + 45 * n) for n in range(card.clips)]
        folder = self.settings.home / "demo-cards" / OLD_RECORDER / f"{card.docked:%Y%m%d-%H%M}"
        write_card(Card(OLD_RECORDER, clips), folder, truncated=False, duplicate_of=None)
        with self.database.read() as session:
            admin = _actor(session, "center_admin", source="cli")  # at the workstation
            badge = _cast_badges(session)[card.officer]
        request = IngestRequest(
            path=folder,
            device_serial=OLD_RECORDER,
            workstation=CENTER_WORKSTATION,
            officer_badge=badge,
        )
        report = ingest_folder(
            database=self.database,
            store=self.store,
            settings=self.settings,
            actor=admin,
            request=request,
        )
        self.docked[card.key] = [f.recording_id for f in report.files if f.recording_id]

    # cases --------------------------------------------------------------------------------

    def _old_case_30y(self) -> None:
        self._old_case(
            NewCase(
                number=ARCHIVED_CASE,
                unit_id=0,
                title="滨河路 8 号地下车库擅自改变人防工程用途案",
                opened_on=date(2024, 4, 10),
                term="30y",
                parties="滨河物业服务有限公司（法定代表人：刘某）",
            ),
            CaseDates(decided_on=date(2024, 6, 20), closed_on=date(2024, 8, 15)),
            date(2024, 9, 30),
            self.docked["case_30y"][0],
        )

    def _old_case_permanent(self) -> None:
        self._old_case(
            NewCase(
                number=PERMANENT_CASE,
                unit_id=0,
                title="城南置业有限公司擅自拆除人防工程案（重大行政处罚）",
                opened_on=date(2025, 6, 16),
                term="permanent",
                parties="城南置业有限公司（法定代表人：陈某某）",
            ),
            CaseDates(decided_on=date(2025, 9, 10), closed_on=date(2025, 11, 20)),
            date(2026, 1, 15),
            self.docked["permanent"][0],
        )

    def _old_case(self, new: NewCase, dates: CaseDates, archived: date, recording: int) -> None:
        """A closed case file registered when the office took the system up: its dates, the
        recording that is in its file, then archived on the day the file was."""
        with self.database.unit_of_work() as session:
            actor = _actor(session, "center_admin")
            case = service.create_case(
                session=session,
                actor=actor,
                terms=self.settings.case_terms,
                new=replace(new, unit_id=_center(session)),
            )
            service.record_dates(session=session, actor=actor, case=case, dates=dates)
            service.link(
                session=session,
                actor=actor,
                store=self.store,
                case=case,
                recording_id=recording,
                reason="现场检查时拍摄，记录违法事实，已作为证据编入案卷（补录）",
            )
            service.archive_case(
                session=session, actor=actor, store=self.store, case=case, archived_on=archived
            )

    def _open_case(self) -> None:
        """Officer 1 registers the case the 解放路 66 号 inspection found and links the
        inspection (every recording of it)."""
        inspection = SCENES[0]
        with self.database.unit_of_work() as session:
            actor = _actor(session, "officer1")
            activity = _activity(session, Activity.place == inspection.place)
            new = NewCase(
                number=OPEN_CASE,
                unit_id=_center(session),
                title="解放路 66 号地下人防工程擅自改作餐饮库房案",
                opened_on=today_shanghai(),
                term="30y",
                parties="解放路 66 号 鑫源餐饮管理有限公司（法定代表人：孙某）",
            )
            case = service.create_case(
                session=session, actor=actor, terms=self.settings.case_terms, new=new
            )
            service.link(
                session=session,
                actor=actor,
                store=self.store,
                case=case,
                activity_id=activity.id,
                reason="立案前现场检查的执法全过程记录，证明当事人占用人防工程堆放餐饮物资",
            )

    def _on_site_case(self) -> None:
        """The on-site penalty, decided on the spot, registered the next afternoon."""
        with self.database.unit_of_work() as session:
            actor = _actor(session, "officer1")
            activity = _activity(session, Activity.case_number == ON_SITE_CASE)
            day = activity.arrived_at.astimezone(SHANGHAI).date()
            new = NewCase(
                number=ON_SITE_CASE,
                unit_id=_center(session),
                title="人民路 12 号地下商场违法使用人防工程案",
                opened_on=day,
                term="10y",
                parties="人民路 12 号地下商场经营者 周某",
            )
            case = service.create_case(
                session=session, actor=actor, terms=self.settings.case_terms, new=new
            )
            service.record_dates(
                session=session, actor=actor, case=case, dates=CaseDates(decided_on=day)
            )
            service.link(
                session=session,
                actor=actor,
                store=self.store,
                case=case,
                activity_id=activity.id,
                reason="当场处罚的执法全过程记录",
            )

    def _link_recordings(self) -> None:
        """Two recordings of the follow-up inspection linked at the officer's request, and a
        third linked by mistake (a patrol on another day)."""
        with self.database.unit_of_work() as session:
            actor = _actor(session, "center_admin")
            case = queries.get_case(session=session, actor=actor, number=OPEN_CASE)
            follow_up, mistaken = _follow_up(session, _center(session))
            for recording_id in follow_up:
                service.link(
                    session=session,
                    actor=actor,
                    store=self.store,
                    case=case,
                    recording_id=recording_id,
                    reason="复查时拍摄：当事人逾期仍未清理人防工程内的餐饮物资（调查取证）",
                )
            service.link(
                session=session,
                actor=actor,
                store=self.store,
                case=case,
                recording_id=mistaken,
                reason="复查时拍摄的现场情况",
            )

    def _ask_unlink(self) -> None:
        with self.database.unit_of_work() as session:
            actor = _actor(session, "center_admin")
            case = queries.get_case(session=session, actor=actor, number=OPEN_CASE)
            link = queries.live_links(case)[-1]  # the one linked by mistake
            service.ask_unlink(
                session=session,
                actor=actor,
                case=case,
                link=link,
                reason="误关联：该段录像是另一天在其他地点的日常巡查，与本案无关",
            )

    # holds --------------------------------------------------------------------------------

    def _old_hold(self) -> None:
        with self.database.unit_of_work() as session:
            holds.place(
                session=session,
                actor=_actor(session, "center_head"),
                store=self.store,
                recording_ids=[self.docked["case_30y"][1]],
                reason="该段录像涉及群众对执法人员检查行为的投诉（信访件 XF-2026-031），"
                "调查办结前予以保全",
            )

    def _ask_release(self) -> None:
        with self.database.unit_of_work() as session:
            hold = _hold_of(session, self.docked["case_30y"][1])
            holds.ask_release(
                session=session,
                actor=_actor(session, "center_admin"),
                hold=hold,
                reason="投诉已调查办结，经核实执法行为规范，答复意见已送达投诉人，申请解除保全",
            )

    def _seizure_hold(self) -> None:
        with self.database.unit_of_work() as session:
            activity = _activity(session, Activity.case_number == SEIZURE_CASE)
            stmt = select(ActivityLink.recording_id).where(
                ActivityLink.activity_id == activity.id, ActivityLink.detached_at.is_(None)
            )
            holds.place(
                session=session,
                actor=_actor(session, "center_head"),
                store=self.store,
                recording_ids=list(session.scalars(stmt)),
                reason=f"当事人对{SEIZURE_CASE}查封决定申请行政复议，复议期间保全现场录像",
            )

    # disposal -----------------------------------------------------------------------------

    def _propose(self, batch: str, card: str) -> None:
        with self.database.unit_of_work() as session:
            made = disposal.propose(
                session=session,
                actor=_actor(session, "center_admin"),
                unit_id=_center(session),
                reason=EXPIRED,
                recording_ids=self.docked[card],
            )
            self.batches[batch] = made.id

    def _approve(self, batch: str, who: str) -> None:
        with self.database.unit_of_work() as session:
            actor = _actor(session, who)
            found = queries.get_batch(session=session, actor=actor, batch_id=self.batches[batch])
            disposal.approve(session=session, actor=actor, batch=found)

    def _run_first(self) -> None:
        with self.database.read() as session:
            actor = _actor(session, "center_admin")
        disposal.run(
            database=self.database,
            actor=actor,
            store=self.store,
            signer=load_signer(self.settings.home),
            batch_id=self.batches["first"],
        )


def steps(database: Database, store: BlobStore, settings: Settings, days: list[date]) -> list[Step]:
    """The story's steps, each (moment, run), played in time order with the others."""
    return Plot(database, store, settings, {}, {}).steps(days)


def summary(database: Database) -> dict[str, int]:
    """Cases, holds and disposal batches by state (what ``lawcam demo`` may print)."""
    with database.read() as session:
        cases = list(session.scalars(select(PenaltyCase)))
        held = list(session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None))))
        batches = list(session.scalars(select(DisposalBatch)))
    return {
        "cases": len(cases),
        "archived": sum(1 for c in cases if c.archived_on is not None),
        "holds": len(held),
        "release_asked": sum(1 for h in held if h.release_requested_at is not None),
        "batches": len(batches),
        **{f"batches_{s}": sum(1 for b in batches if b.status == s) for s in _STATES},
    }


_STATES = ("proposed", "head_approved", "approved", "done")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _actor(session: Session, username: str, source: str = "web") -> Actor:
    """The demo login as it acts (the audit names the account)."""
    account = session.scalars(select(Account).where(Account.username == username)).one()
    return accounts.actor_for(account, source)


def _center(session: Session) -> int:
    return session.scalars(select(Unit.id).where(Unit.name == CENTER)).one()


def _cast_badges(session: Session) -> tuple[str, str]:
    """The evening inspections' two officers (demo.activities): officer1 and a colleague."""
    from lawcam.demo.activities import demo_cast

    cast = demo_cast(session)
    return cast.officers[0].badge or "", cast.officers[1].badge or ""


def _activity(session: Session, where: ColumnElement[bool]) -> Activity:
    return session.scalars(select(Activity).where(where).order_by(Activity.id)).one()


def _hold_of(session: Session, recording_id: int) -> LegalHold:
    stmt = select(LegalHold).where(
        LegalHold.recording_id == recording_id, LegalHold.released_at.is_(None)
    )
    return session.scalars(stmt).one()


def _follow_up(session: Session, unit_id: int) -> tuple[list[int], int]:
    """Two recordings on one card of a recent day (the follow-up), and one from another day.
    Recordings are picked from those docked during the fortnight, by start time."""
    stmt = (
        select(Recording.id, Recording.device_id, Recording.start_at)
        .where(Recording.unit_id == unit_id, Recording.officer_source == "custody")
        .order_by(Recording.start_at.desc(), Recording.id)
    )
    rows = list(session.execute(stmt))
    by_card: dict[tuple[int, date], list[int]] = {}
    for rid, device_id, start in rows:
        by_card.setdefault((device_id, start.astimezone(SHANGHAI).date()), []).append(rid)
    pair = next(ids for ids in by_card.values() if len(ids) >= 2)[:2]
    day = next(day for (_, day), ids in by_card.items() if pair[0] in ids)
    other = next(ids[0] for (_, d), ids in by_card.items() if d != day)
    return sorted(pair), other

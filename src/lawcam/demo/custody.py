"""Two weeks of custody at 市人防办 (第九条, 第十一条, 第十四条, 第十六条, 第十七条), played
through the real services at the times they happened (``timeutil.clock_at``), so every step is
checked and audited in order, and the ledger, the faults, the cases and the recordings agree.

Every working day the device administrators issue recorders between 07:30 and 09:30 and take
them back between 17:00 and 19:30; the cards are docked at the unit's workstation that evening
(some days later: late uploads, 第十四条). Along the way every state of every workflow appears:

- custody: returns in good order, midday handovers, a weak battery issued with its 超限理由, a
  recorder lent across units with its 例外理由, recorders out now, one overdue (a multi-day
  inspection);
- faults (第十六条): one only reported, one registered, one in central repair, one repaired;
- loss and damage (第十七条): a damage at the user's fault (compensation at the purchase price),
  a damage with no fault, a loss not yet decided;
- recordings: on time, late, a clock 40 s slow (flagged, corrected), a clip cut short by a flat
  battery (kept and flagged), a copy of a clip already stored (a duplicate, not stored again).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody import faults, queries, service
from lawcam.custody.types import (
    CaseKind,
    CheckLimits,
    CheckoutIn,
    Condition,
    LossCause,
    PreUseCheck,
    RepairOutcome,
)
from lawcam.db import Database
from lawcam.demo.evidence import Card, Clip, dock
from lawcam.demo.seed import CENTER, COMMAND, ENGINEERING
from lawcam.evidence.queries import get_recording
from lawcam.evidence.service import correct
from lawcam.evidence.types import CorrectableField
from lawcam.org import accounts
from lawcam.org.models import Account, Person
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI, clock_at, utcnow

WORKDAYS = 10  # the two weeks before the day the demo is made
RANDOM_SEED = 20261207
CENTER_ROTA = ("HK2A26030001", "HK2A26030002", "HK2A26030003", "HK2A26030004", "ZFTT8250931")
CENTER_OLD = "HDA3210517"  # the older recorder: weak battery, issued with a reason
HK2, HK5, HK6 = "HK2A26030002", "HK2A26030005", "HK2A26030006"
ENGINEERING_ROTA = ("JY9B26040001", "JY9B26040002", "HDA3210522")
ENG_OLD, ENG_AWAY = "HDA3210522", "JY9B26040002"
COMMAND_RECORDER = "JY9B2511031"
OUT_NOW = ("HK2A26030001", "HK2A26030003", "ZFTT8250931", "JY9B26040001")
OVER_LIMIT_REASON = "旧型号电池老化，已随机配发充电宝；执法检查时间较短。"
EXCEPTION_REASON = "联合执法检查，工程监管处设备不足，临时借用中心设备。"
HANDOVER_REASON = "交班时电量略低，接班人员自带备用电池。"


@dataclass(order=True)
class Step:
    """One thing done at one moment; steps run in time order."""

    at: datetime
    order: int
    run: Callable[[], object] = field(compare=False)


@dataclass
class People:
    """Who acts in the story: the desks, the heads, the repairers; the officers by unit."""

    desk: dict[str, Actor]
    head: dict[str, Actor]
    ict: Actor
    officers: dict[str, list[str]]  # badges by unit


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _between(
    rng: random.Random, day: date, start: tuple[int, int], end: tuple[int, int]
) -> datetime:
    """A moment between two local times of ``day``, to the minute."""
    first, last = start[0] * 60 + start[1], end[0] * 60 + end[1]
    minute = rng.randrange(first, last + 1)
    return _at(day, minute // 60, minute % 60)


def working_days(today: date, count: int) -> list[date]:
    days: list[date] = []
    day = today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def _people(session: Session) -> People:
    logins = {a.username: a for a in session.scalars(select(Account))}
    desk, head = {}, {}
    for person in session.scalars(select(Person).where(Person.is_active.is_(True))):
        roles = set(person.active_roles)
        unit = person.unit.name
        if Role.DEVICE_ADMIN.value in roles:
            desk[unit] = person
        if Role.UNIT_HEAD.value in roles:
            head[unit] = person
    by_person = {a.person_id: a for a in logins.values()}

    def acting(person: Person) -> Actor:  # through the web when the person has a login
        account = by_person.get(person.id)
        return accounts.actor_for(account, "web") if account else queries.desk_actor(person)

    officers: dict[str, list[str]] = {}
    stmt = select(Person).where(Person.is_officer.is_(True), Person.is_active.is_(True))
    for person in session.scalars(stmt.order_by(Person.id)):
        if not person.active_roles and person.badge:
            officers.setdefault(person.unit.name, []).append(person.badge)
    return People(
        desk={u: acting(p) for u, p in desk.items()},
        head={u: acting(p) for u, p in head.items()},
        ict=accounts.actor_for(logins["ict"], "web"),
        officers=officers,
    )


class Story:
    """The plan: custody steps and dockings, each at its moment, then played in order."""

    def __init__(
        self, *, database: Database, store: BlobStore, settings: Settings, workstation: Actor
    ) -> None:
        self.database, self.store, self.settings = database, store, settings
        self.workstation = workstation
        self.busy: set[tuple[str, date]] = set()  # device-days already planned
        self.holding: set[tuple[str, date]] = set()  # officer-days already planned
        self.rng = random.Random(RANDOM_SEED)  # noqa: S311 (repeatable demo data)
        self.steps: list[Step] = []
        self.ids: dict[str, int] = {}
        self.cards: dict[tuple[str, date], Card] = {}
        self.reports: list[Any] = []
        self.limits = CheckLimits(
            min_battery_pct=settings.checkout_min_battery_pct,
            min_free_hours=settings.checkout_min_free_hours,
            max_clock_offset_s=settings.checkout_max_clock_offset_s,
        )
        with database.read() as session:
            self.people = _people(session)

    def at(self, moment: datetime, run: Callable[[], object]) -> None:
        self.steps.append(Step(moment, len(self.steps), run))

    def change(self, moment: datetime, work: Callable[[Session], object]) -> None:
        """A change in its own transaction, at ``moment``."""

        def run() -> None:
            with self.database.unit_of_work() as session:
                work(session)

        self.at(moment, run)

    def play(self) -> None:
        for step in sorted(self.steps):
            with clock_at(step.at):
                step.run()

    # custody -------------------------------------------------------------------------------

    def good_check(self) -> PreUseCheck:
        rng = self.rng
        return PreUseCheck(
            rng.randint(85, 100), rng.choice((10.0, 11.5, 12.0)), rng.randint(-8, 8) / 2
        )

    def checkout(
        self,
        moment: datetime,
        unit: str,
        serial: str,
        badge: str,
        check: PreUseCheck | None = None,
        reason: str = "",
    ) -> None:
        day = moment.astimezone(SHANGHAI).date()
        self.busy.add((serial, day))
        self.holding.add((badge, day))
        data = CheckoutIn(serial, badge, check or self.good_check(), override_reason=reason)
        desk = self.people.desk[unit]
        self.change(
            moment, lambda s: service.checkout(session=s, actor=desk, data=data, limits=self.limits)
        )

    def give_back(
        self,
        moment: datetime,
        unit: str,
        serial: str,
        condition: Condition = Condition.OK,
        note: str = "",
    ) -> None:
        desk = self.people.desk[unit]
        self.change(
            moment,
            lambda s: service.return_device(
                session=s, actor=desk, serial=serial, condition=condition, note=note
            ),
        )

    def hand_over(
        self,
        moment: datetime,
        unit: str,
        serial: str,
        badge: str,
        check: PreUseCheck,
        reason: str = "",
    ) -> None:
        self.holding.add((badge, moment.astimezone(SHANGHAI).date()))
        desk = self.people.desk[unit]
        self.change(
            moment,
            lambda s: service.handover(
                session=s,
                actor=desk,
                serial=serial,
                to_badge=badge,
                check=check,
                limits=self.limits,
                override_reason=reason,
            ),
        )

    def clips(self, serial: str, day: date, start: datetime, end: datetime) -> None:
        """What the recorder recorded between ``start`` and ``end``: one to three clips."""
        card = self.cards.setdefault((serial, day), Card(serial))
        span = (end - start).total_seconds() - 3600
        for n in range(self.rng.randint(1, 3)):
            offset = 1800 + span * (n + self.rng.random() * 0.6) / 3
            card.clips.append(Clip(start + timedelta(seconds=offset), self.rng.randint(45, 300)))

    def period(
        self, day: date, unit: str, serial: str, badge: str, *, late: date | None = None
    ) -> None:
        """A day out: issued in the morning, back in the evening, its card docked that evening
        (or on the day ``late``: a late upload, 第十四条)."""
        issued = _between(self.rng, day, (7, 30), (9, 30))
        back = _between(self.rng, day, (17, 0), (19, 10))
        self.checkout(issued, unit, serial, badge)
        self.clips(serial, day, issued, back)
        self.give_back(back, unit, serial)
        docked = back + timedelta(minutes=self.rng.randint(8, 20))
        if late is not None:
            docked = _between(self.rng, late, (17, 20), (18, 30))
        self.docking(serial, day, docked)

    def docking(self, serial: str, day: date, when: datetime, **options: Any) -> None:
        card = self.cards.setdefault((serial, day), Card(serial))

        def run() -> None:
            card.report = dock(
                card,
                when=when,
                database=self.database,
                store=self.store,
                settings=self.settings,
                actor=self.workstation,
                **options,
            )
            self.reports.append(card.report)

        self.at(when, run)

    def note(self, moment: datetime, card: Card, text: str, reason: str) -> None:
        """The administrator adds a note beside the card's first recording (a correction row;
        the original never changes)."""
        desk = self.people.desk[CENTER]

        def work(session: Session) -> None:
            assert card.report is not None
            recording_id = card.report.files[0].recording_id
            assert recording_id is not None
            recording = get_recording(session=session, actor=desk, recording_id=recording_id)
            correct(
                session=session,
                actor=desk,
                recording=recording,
                field=CorrectableField.NOTE,
                value=text,
                reason=reason,
                settings=self.settings,
                store=self.store,
            )

        self.change(moment, work)


def _rota(story: Story, days: list[date]) -> None:
    """Ordinary days: most recorders out, each with a different officer, back in good order;
    a few cards docked two days late (第十四条)."""
    rng = story.rng
    away = {HK2: set(days[2:5]), HK5: set(days[5:]), HK6: set(days[4:]), ENG_AWAY: set(days[-3:])}
    late = {
        ("HK2A26030003", days[2]): days[4],
        ("HK2A26030001", days[6]): days[8],
        ("JY9B26040001", days[3]): days[5],
    }
    rota = {CENTER: (*CENTER_ROTA, HK5, HK6), ENGINEERING: ENGINEERING_ROTA}
    chance = {CENTER: 0.75, ENGINEERING: 0.6}
    for day in days:
        for unit, serials in rota.items():
            free = [b for b in story.people.officers[unit] if (b, day) not in story.holding]
            officers = rng.sample(free, k=min(len(free), len(serials)))
            for serial, badge in zip(serials, officers, strict=False):
                taken = day in away.get(serial, ()) or (serial, day) in story.busy
                if (serial, day) in late or (not taken and rng.random() < chance[unit]):
                    story.period(day, unit, serial, badge, late=late.get((serial, day)))


def _special_days(story: Story, days: list[date]) -> None:
    """The days something else happened, each on a device the rota leaves alone that day."""
    rng, center = story.rng, story.people.officers[CENTER]
    # The older recorder: weak battery, issued with the administrator's 超限理由; its card is
    # docked with the device clock 40 s slow (第十一条: flagged, times corrected).
    for day in (days[1], days[4], days[8]):
        issued, back = _between(rng, day, (7, 40), (8, 50)), _between(rng, day, (16, 50), (18, 0))
        weak = PreUseCheck(rng.randint(62, 74), 9.0, 2.0)
        story.checkout(issued, CENTER, CENTER_OLD, rng.choice(center[6:]), weak, OVER_LIMIT_REASON)
        story.clips(CENTER_OLD, day, issued, back)
        story.give_back(back, CENTER, CENTER_OLD)
        dock_at = back + timedelta(minutes=12)
        story.docking(CENTER_OLD, day, dock_at, device_time=dock_at - timedelta(seconds=40))
    # Lent across units for a joint inspection: 例外理由.
    day = days[6]
    issued, back = _at(day, 8, 5), _at(day, 17, 35)
    story.checkout(
        issued,
        CENTER,
        CENTER_OLD,
        story.people.officers[ENGINEERING][0],
        PreUseCheck(90, 10.0, 1.0),
        EXCEPTION_REASON,
    )
    story.clips(CENTER_OLD, day, issued, back)
    story.give_back(back, CENTER, CENTER_OLD)
    story.docking(CENTER_OLD, day, back + timedelta(minutes=15))
    _handovers(story, days)
    _faults_and_cases(story, days)
    _out_now(story)


def _handovers(story: Story, days: list[date]) -> None:
    """A midday shift change on HK2A26030004 (the rota leaves it out those days)."""
    rng, center = story.rng, story.people.officers[CENTER]
    for day in (days[3], days[7]):
        first, second = rng.sample(center[6:], 2)
        issued, noon, back = (
            _at(day, 7, 50),
            _between(rng, day, (12, 0), (13, 20)),
            _at(day, 18, 25),
        )
        story.checkout(issued, CENTER, "HK2A26030004", first)
        story.clips("HK2A26030004", day, issued, noon)
        story.hand_over(
            noon, CENTER, "HK2A26030004", second, PreUseCheck(76, 8.5, -1.5), HANDOVER_REASON
        )
        story.clips("HK2A26030004", day, noon + timedelta(hours=1), back)
        story.give_back(back, CENTER, "HK2A26030004")
        last = day == days[7]  # a flat battery cut the last clip; a copy of an old clip
        story.docking(
            "HK2A26030004",
            day,
            back + timedelta(minutes=10),
            truncated=last,
            duplicate_of=story.cards[("HK2A26030004", days[3])] if last else None,
        )
    story.note(
        _at(days[4], 9, 20),
        story.cards[("HK2A26030004", days[3])],
        "上午检查段：当事人拒绝在检查记录上签字，执法人员已当场告知并录音录像。",
        "补记现场情况，便于案件审核查阅。",
    )


def _faults_and_cases(story: Story, days: list[date]) -> None:
    people, center = story.people, story.people.officers[CENTER]
    desk, head = people.desk[CENTER], people.head[CENTER]
    ids = story.ids

    def returned(
        day: date, unit: str, serial: str, badge: str, condition: Condition, note: str
    ) -> datetime:
        issued, back = _at(day, 8, 10), _at(day, 17, 50)
        story.checkout(issued, unit, serial, badge)
        story.clips(serial, day, issued, back)
        story.give_back(back, unit, serial, condition, note)
        story.docking(serial, day, back + timedelta(minutes=25))
        return back

    def report(moment: datetime, actor: Actor, serial: str, text: str, key: str) -> None:
        story.change(
            moment,
            lambda s: ids.__setitem__(
                key, faults.report_fault(session=s, actor=actor, serial=serial, description=text).id
            ),
        )

    def register(moment: datetime, actor: Actor, key: str) -> None:
        story.change(
            moment, lambda s: faults.register_fault(session=s, actor=actor, fault_id=ids[key])
        )

    def repair(moment: datetime, actor: Actor, key: str) -> None:
        story.change(
            moment,
            lambda s: ids.__setitem__(
                key + ":order", faults.order_repair(session=s, actor=actor, fault_id=ids[key]).id
            ),
        )

    def case(moment: datetime, serial: str, kind: CaseKind, text: str, key: str) -> None:
        story.change(
            moment,
            lambda s: ids.__setitem__(
                key,
                faults.open_loss_case(
                    session=s, actor=desk, serial=serial, kind=kind, description=text
                ).id,
            ),
        )

    def decide(moment: datetime, key: str, cause: LossCause, text: str) -> None:
        story.change(
            moment,
            lambda s: faults.decide_loss_case(
                session=s, actor=head, case_id=ids[key], cause=cause, decision=text
            ),
        )

    # Damaged by misuse, repaired centrally, compensated at the purchase price: all closed.
    back = returned(days[1], CENTER, HK2, center[1], Condition.DAMAGED, "检查途中跌落，外壳开裂")
    report(back + timedelta(minutes=5), desk, HK2, "跌落后外壳开裂，录像时画面闪烁", "hk2")
    case(
        back + timedelta(minutes=20),
        HK2,
        CaseKind.DAMAGE,
        "执法检查途中未按规定佩戴固定，设备跌落损坏",
        "hk2case",
    )
    register(_at(days[2], 9, 5), desk, "hk2")
    repair(_at(days[2], 9, 40), desk, "hk2")
    decide(
        _at(days[2], 10, 30), "hk2case", LossCause.MISUSE, "使用不当致设备损坏，按原购置价赔偿。"
    )
    story.change(
        _at(days[4], 15, 20),
        lambda s: faults.complete_repair(
            session=s,
            actor=people.ict,
            order_id=ids["hk2:order"],
            diagnosis="外壳及排线损坏，已更换外壳和主板排线，检测合格",
            outcome=RepairOutcome.REPAIRED,
        ),
    )
    # Lost at an inspection site: the case waits for the unit head's decision.
    back = returned(
        days[-7], CENTER, HK6, center[4], Condition.LOST, "执法检查现场遗失，已书面报告"
    )
    case(
        back + timedelta(minutes=30),
        HK6,
        CaseKind.LOSS,
        "人防工程检查现场遗失，当日已书面报告并寻找未果",
        "hk6case",
    )
    # Damaged when a party obstructed the inspection: no fault; in central repair now.
    back = returned(
        days[-6], CENTER, HK5, center[5], Condition.DAMAGED, "当事人阻挠执法时设备摔落，屏幕破裂"
    )
    report(back + timedelta(minutes=5), desk, HK5, "屏幕破裂，触控失灵", "hk5")
    case(
        back + timedelta(minutes=15),
        HK5,
        CaseKind.DAMAGE,
        "当事人阻挠执法，抢夺中设备摔落",
        "hk5case",
    )
    register(_at(days[-5], 9, 10), desk, "hk5")
    repair(_at(days[-5], 10, 0), desk, "hk5")
    decide(
        _at(days[-4], 11, 0),
        "hk5case",
        LossCause.NO_FAULT,
        "执法对象阻挠所致，使用人无过错，不予赔偿。",
    )
    # 指挥通信处's recorder: a key stopped working; registered, not yet sent for repair.
    command_desk = people.desk[COMMAND]
    back = returned(
        days[-2],
        COMMAND,
        COMMAND_RECORDER,
        people.officers[COMMAND][0],
        Condition.FAULTY,
        "录像键失灵",
    )
    report(back + timedelta(minutes=5), command_desk, COMMAND_RECORDER, "录像键按下无反应", "cmd")
    register(_at(days[-1], 9, 0), command_desk, "cmd")
    # Engineering's older recorder: reported yesterday evening, the unit head not yet read it.
    eng = people.desk[ENGINEERING]
    back = returned(
        days[-1],
        ENGINEERING,
        ENG_OLD,
        people.officers[ENGINEERING][1],
        Condition.FAULTY,
        "开机数分钟后自动关机",
    )
    report(back + timedelta(minutes=5), eng, ENG_OLD, "开机数分钟后自动关机，无法连续录像", "eng")


def this_morning(now: datetime) -> tuple[date, tuple[int, int], tuple[int, int]]:
    """When the recorders out now were issued: this morning's 07:30–09:30, or before office
    hours yesterday's, late enough that none is out for more than a day."""
    local = now.astimezone(SHANGHAI)
    minutes = local.hour * 60 + local.minute
    if minutes >= 9 * 60 + 45:
        return local.date(), (7, 30), (9, 30)
    if minutes >= 7 * 60 + 45:
        return local.date(), (7, 30), divmod(minutes - 10, 60)
    return local.date() - timedelta(days=1), divmod(max(450, minutes + 10), 60), (9, 30)


def _out_now(story: Story) -> None:
    """Recorders issued this morning and still out (issued before the rota's days are laid:
    the rota leaves those device-days alone)."""
    rng = story.rng
    day, start, end = this_morning(utcnow())
    officers = story.people.officers
    for serial in OUT_NOW:
        unit = ENGINEERING if serial.startswith("JY9") else CENTER
        issued = _between(rng, day, start, end)
        story.checkout(issued, unit, serial, rng.choice(officers[unit][6:] or officers[unit]))


def _away(story: Story, days: list[date]) -> None:
    """Out on a multi-day inspection since three working days ago: an overdue return."""
    story.checkout(
        _at(days[-3], 7, 55), ENGINEERING, ENG_AWAY, story.people.officers[ENGINEERING][2]
    )


def seed_history(
    *, database: Database, store: BlobStore, settings: Settings, workstation: Actor
) -> dict[str, Any]:
    """Play the two weeks (after the office and its equipment are committed); ``workstation``
    docks the cards. Returns the days played and the ingest counts."""
    story = Story(database=database, store=store, settings=settings, workstation=workstation)
    days = working_days(utcnow().astimezone(SHANGHAI).date(), WORKDAYS)
    _special_days(story, days)  # first: the rota leaves their device-days alone
    _away(story, days)
    _rota(story, days)
    # The evening inspections (第十条) in the same timeline, so the audit log stays in order.
    from lawcam.demo import activities  # it uses this module's calendar

    made: list[int] = []
    for moment, run in activities.steps(database, store, settings, made):
        story.at(moment, run)
    from lawcam.demo import access  # the activities' cases asked for, decided and watched

    for moment, run in access.steps(database, days):
        story.at(moment, run)
    from lawcam.demo import retention  # cases, holds and disposal (第十四条、第十五条)

    for moment, run in retention.steps(database, store, settings, days):
        story.at(moment, run)
    from lawcam.demo import findings  # enforcement faults found and reviewed (第十八条)

    for moment, run in findings.steps(database, store, settings, days):
        story.at(moment, run)
    story.play()
    documents = [r.as_dict() for r in story.reports]
    evidence = {
        key: sum(d[key] for d in documents)
        for key in ("ingested", "duplicates", "flagged", "refused", "bytes")
    }
    return {
        "days": len(days),
        "first_day": days[0].isoformat(),
        "evidence": evidence,
        "activities": activities.summary(database, made),
        "access": access.summary(database),
        "retention": retention.summary(database),
        "findings": findings.summary(database),
    }


def history_start(now: datetime) -> datetime:
    """When the office and its equipment were set up: 09:00 a week before the first day."""
    first = working_days(now.astimezone(SHANGHAI).date(), WORKDAYS)[0]
    return _at(first - timedelta(days=7), 9)

"""Access by approval in the demo (第十五条): every state of a request, played through the real
services at its moment in the fortnight — approved and watched, expired and then refused,
rejected with its reason, provided outside and then revoked, and one waiting on the head's home.
Steps are (moment, run) pairs the custody story plays in time order with the others."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.access import queries, sampling, service
from lawcam.access.models import AccessRequest, Sample
from lawcam.access.sample_types import Reason, Result
from lawcam.access.types import AccessAction, Refusal, RequestStatus
from lawcam.authz import Actor
from lawcam.custody.queries import desk_actor
from lawcam.db import Database
from lawcam.evidence.models import Recording
from lawcam.org.models import Account, Person
from lawcam.timeutil import SHANGHAI, utcnow

Step = tuple[datetime, Callable[[], object]]
PENALTY_CASE = "人防罚〔2026〕12 号"  # the on-site penalty scene (demo.activities)
SEIZURE_CASE = "人防强〔2026〕3 号"  # the seizure scene


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _person(session: Session, username: str) -> Person:
    stmt = select(Person).join(Account, Account.person_id == Person.id)
    return session.scalars(stmt.where(Account.username == username)).one()


class Desk:
    """Each change in its own transaction, as the named demo login."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def ask(
        self,
        who: str,
        *,
        days: int = 7,
        action: AccessAction = AccessAction.VIEW,
        case: str,
        purpose: str,
        recipient: str = "",
        org: str = "",
    ) -> Callable[[], object]:
        data = service.RequestData(
            action=action,
            purpose=purpose,
            days=days,
            case_number=case,
            recipient=recipient,
            recipient_org=org,
        )
        return lambda: self._as(
            who, lambda s, a: service.request_access(session=s, actor=a, data=data)
        )

    def decide(
        self, who: str, number: int, approve: bool, reason: str = ""
    ) -> Callable[[], object]:
        return lambda: self._as(
            who,
            lambda s, a: service.decide(
                session=s, actor=a, request_id=self._nth(s, number), approve=approve, reason=reason
            ),
        )

    def revoke(self, who: str, number: int, reason: str) -> Callable[[], object]:
        return lambda: self._as(
            who,
            lambda s, a: service.revoke(
                session=s, actor=a, request_id=self._nth(s, number), reason=reason
            ),
        )

    def watch(self, who: str, number: int) -> Callable[[], object]:
        """Two stretches of the first recording, as a player's Range requests fetch them."""
        return lambda: self._as(who, lambda s, a: self._watch(s, a, number))

    def try_view(self, who: str, number: int) -> Callable[[], object]:
        """A view after the grant ended: refused, and the refusal recorded."""
        return lambda: self._as(who, lambda s, a: self._refused(s, a, number))

    def _watch(self, session: Session, actor: Actor, number: int) -> None:
        row = queries.get_request(
            session=session, actor=actor, request_id=self._nth(session, number)
        )
        recording = session.get(Recording, row.recording_ids[0])
        assert recording is not None
        for start, end in ((0, recording.size // 2), (recording.size // 3, recording.size)):
            service.served(
                session=session,
                actor=actor,
                grant_id=row.id,
                recording_id=recording.id,
                start=start,
                end=end,
            )

    def _refused(self, session: Session, actor: Actor, number: int) -> None:
        row = queries.get_request(
            session=session, actor=actor, request_id=self._nth(session, number)
        )
        service.refused(
            session=session,
            actor=actor,
            recording_id=row.recording_ids[0],
            action=AccessAction.VIEW,
            why=Refusal.EXPIRED,
        )

    def _as(self, who: str, work: Callable[[Session, Actor], object]) -> None:
        with self.database.unit_of_work() as session:
            work(session, desk_actor(_person(session, who), source="web"))

    @staticmethod
    def _nth(session: Session, number: int) -> int:
        """The demo's n-th request (1-based), in the order the story asked them."""
        ids = list(session.scalars(select(AccessRequest.id).order_by(AccessRequest.id)))
        return ids[number - 1]


def review(database: Database, day: date, seed: int) -> Callable[[], object]:
    """Engineering supervision draws three of the fortnight's recordings of the centre (第十三条)
    and records two results — one 规范, one 不规范 — leaving the third to do."""

    def run() -> None:
        with database.unit_of_work() as session:
            actor = desk_actor(_person(session, "engineering"), source="web")
            unit = _person(session, "center_head").unit_id
            filters = sampling.Filters(
                date_from=day - timedelta(days=14), date_to=day, unit_id=unit
            )
            sample = sampling.draw(
                session=session, actor=actor, data=sampling.Draw(filters=filters, size=3, seed=seed)
            )
            first, second = (item.recording_id for item in sample.items[:2])
            results = (
                sampling.ResultData(first, Result.COMPLIANT),
                sampling.ResultData(
                    second,
                    Result.NONCOMPLIANT,
                    Reason.NOT_ANNOUNCED,
                    "到场后未告知当事人正在录音录像",
                ),
            )
            for data in results:
                sampling.record_result(session=session, actor=actor, sample_id=sample.id, data=data)

    return run


def steps(database: Database, days: list[date]) -> list[Step]:
    """``days``: the fortnight's working days, oldest first (the activity scenes count back
    from the last of them)."""
    desk, d = Desk(database), days[::-1]  # d[0]: the last working day before today
    why = "办理人民路 12 号地下商场违法使用人防工程一案，核对现场检查和处罚经过"
    return [
        # 1. Asked for a day, approved, watched; after it expired, a second look is refused.
        (_at(d[4], 9, 30), desk.ask("officer2", days=1, case=PENALTY_CASE, purpose=why)),
        (_at(d[4], 10, 15), desk.decide("center_head", 1, True, "同意，限本案使用")),
        (_at(d[4], 11, 0), desk.watch("officer2", 1)),
        (_at(d[2], 16, 0), desk.try_view("officer2", 1)),
        # 2. Provision outside the office: the office leader approves, then revokes.
        (
            _at(d[1], 11, 0),
            desk.ask(
                "center_admin",
                action=AccessAction.PROVIDE,
                case=PENALTY_CASE,
                purpose="当事人不服处罚申请行政复议，复议机关调取现场录像",
                recipient="王科员",
                org="市人民政府行政复议办公室",
            ),
        ),
        (_at(d[1], 14, 0), desk.decide("leader", 2, True, "同意提供，按规定登记交接")),
        (_at(d[0], 9, 0), desk.revoke("leader", 2, "复议申请已撤回，不再提供")),
        # 3. Rejected with its reason (the seizure was entered this morning at 08:00).
        (
            _at(d[0], 8, 40),
            desk.ask(
                "eng_admin", case=SEIZURE_CASE, action=AccessAction.DOWNLOAD, purpose="工作需要"
            ),
        ),
        (
            _at(d[0], 8, 50),
            desk.decide("center_head", 3, False, "用途不明确：请写明案件和用途后重新申请"),
        ),
        # 4. Approved this morning and live; 5. waiting on the head's home.
        (_at(d[0], 9, 30), desk.ask("officer2", case=SEIZURE_CASE, purpose="查封扣押物品清点核对")),
        (_at(d[0], 10, 0), desk.decide("center_head", 4, True, "同意")),
        (
            _at(d[0], 10, 30),
            desk.ask("officer1", case=SEIZURE_CASE, purpose="制作案卷，核对扣押清单"),
        ),
        # 6. Conduct review (第十三条): a sample of three, two results recorded.
        (_at(d[0], 15, 0), review(database, d[0], seed=20261207)),
    ]


def summary(database: Database) -> dict[str, int]:
    """Requests by state (a grant past its expiry counted apart from a live one)."""
    now = utcnow()
    with database.read() as session:
        asked = select(AccessRequest).where(AccessRequest.sample_id.is_(None))  # not reviews
        rows = list(session.scalars(asked))
    counts = {str(state): 0 for state in RequestStatus}
    counts["expired"] = 0
    for row in rows:
        lapsed = row.status == RequestStatus.APPROVED and row.expires_at and row.expires_at <= now
        counts["expired" if lapsed else row.status] += 1
    with database.read() as session:
        samples = list(session.scalars(select(Sample)))
        items = [item for sample in samples for item in sample.items]
    reviewed = sum(1 for item in items if item.result is not None)
    return {
        "requests": len(rows),
        **counts,
        "samples": len(samples),
        "sampled": len(items),
        "reviewed": reviewed,
    }

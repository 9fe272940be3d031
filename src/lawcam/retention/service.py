"""Penalty cases and their material (第十四条第（三）项, R14.3): register a case, link recordings and
activities with a reason, record its dates, archive it; unlinking only before archiving, asked
with a reason and approved by the unit head. Every change is audited in the caller's
transaction, and every change that touches retention is enforced on the store before the
transaction ends (``enforce.settle``): retention only grows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.activities import hooks as activity_hooks
from lawcam.activities import queries as activity_queries
from lawcam.activities.models import ActivityLink
from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.errors import Conflict, Forbidden, InvalidInput, required_text
from lawcam.evidence import queries as evidence_queries
from lawcam.retention import queries
from lawcam.retention.enforce import settle
from lawcam.retention.models import CaseLink, PenaltyCase
from lawcam.retention.types import CaseStatus, RetentionEvent, term_label
from lawcam.storage import BlobStore
from lawcam.timeutil import today_shanghai, utcnow

REASON_MAX = 1000


@dataclass(frozen=True)
class NewCase:
    number: str
    unit_id: int
    title: str
    opened_on: date
    term: str
    parties: str = ""


@dataclass(frozen=True)
class CaseDates:
    """The dates a case file gains as it goes; None leaves a date as it is."""

    decided_on: date | None = None
    closed_on: date | None = None


def create_case(
    *, session: Session, actor: Actor, terms: Mapping[str, int], new: NewCase
) -> PenaltyCase:
    actor.require(Action.CASE_MANAGE)
    number, title = (
        required_text(new.number, "案件编号", 100),
        required_text(new.title, "案件名称", 500),
    )
    _check_unit(session, actor, new.unit_id)
    years = _term_years(terms, new.term)
    _not_future(new.opened_on, "立案日期")
    if queries.case_number_taken(session, number):
        raise Conflict(f"案件编号 {number} 已登记，编号不能重复。", code="case_number_taken")
    case = PenaltyCase(
        number=number, unit_id=new.unit_id, title=title, parties=new.parties.strip()[:1000],
        opened_on=new.opened_on, term=new.term, term_years=years, status=str(CaseStatus.OPEN),
        created_by=actor.label, created_at=utcnow(),
    )  # fmt: skip
    session.add(case)
    session.flush()
    record(
        session,
        actor,
        RetentionEvent.CASE_CREATED,
        ("penalty_case", case.id),
        after=case.snapshot(),
    )
    return case


def record_dates(*, session: Session, actor: Actor, case: PenaltyCase, dates: CaseDates) -> None:
    """The decision and closing dates, each on or after the one before it."""
    actor.require(Action.CASE_MANAGE)
    locked(session, case)
    _not_archived(case, "修改日期")
    before = case.snapshot()
    decided = dates.decided_on or case.decided_on
    closed = dates.closed_on or case.closed_on
    _in_order(case.opened_on, decided, "处罚决定日期", "立案日期")
    _in_order(decided or case.opened_on, closed, "结案日期", "决定日期或立案日期")
    for day, what in ((decided, "处罚决定日期"), (closed, "结案日期")):
        if day is not None:
            _not_future(day, what)
    case.decided_on, case.closed_on = decided, closed
    case.status = str(_status_of(case))
    _changed(session, actor, case, before)


def change_term(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    terms: Mapping[str, int],
    case: PenaltyCase,
    term: str,
    reason: str,
) -> None:
    """A case file's term may change while the case is open; once archived it may only grow
    (and the recordings' retention with it): retention never shrinks."""
    actor.require(Action.CASE_MANAGE)
    locked(session, case)
    years, why = _term_years(terms, term), required_text(reason, "变更理由", REASON_MAX)
    if case.archived_on is not None and not _longer(years, case.term_years):
        raise Conflict(
            f"案件 {case.number} 已归档，保存期限只能延长（现为{term_label(case.term_years)}），"
            "不能改为更短。",
            code="term_shorter",
        )
    before = case.snapshot()
    case.term, case.term_years = term, years
    _changed(session, actor, case, before, reason=why)
    _settle_case(session, actor, store, case, f"案件 {case.number} 保存期限改为{term_label(years)}")


def archive_case(
    *, session: Session, actor: Actor, store: BlobStore, case: PenaltyCase, archived_on: date
) -> None:
    """Archiving starts the case file's term: each linked recording is kept until the archive
    date + the term (永久: held for ever), its ledger, state and store lock extended now."""
    actor.require(Action.CASE_MANAGE)
    locked(session, case)
    _not_archived(case, "再次归档")
    latest = max(d for d in (case.opened_on, case.decided_on, case.closed_on) if d is not None)
    if archived_on < latest:
        raise InvalidInput(
            f"归档日期 {archived_on.isoformat()} 早于立案、决定或结案日期 {latest.isoformat()}。",
            field="archived_on",
        )
    _not_future(archived_on, "归档日期")
    before = case.snapshot()
    case.archived_on, case.status = archived_on, str(CaseStatus.ARCHIVED)
    record(
        session, actor, RetentionEvent.CASE_ARCHIVED, ("penalty_case", case.id),
        before=before, after=case.snapshot(),
    )  # fmt: skip
    _settle_case(
        session, actor, store, case, f"案件 {case.number} 归档（{archived_on.isoformat()}）"
    )


def link(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    case: PenaltyCase,
    reason: str,
    recording_id: int | None = None,
    activity_id: int | None = None,
) -> CaseLink:
    """A recording or an activity (all of its recordings) serves the case; held from now on."""
    actor.require(Action.CASE_MANAGE)
    locked(session, case)
    why = required_text(reason, "关联理由", REASON_MAX)
    _not_archived(case, "关联资料")
    if (recording_id is None) == (activity_id is None):
        raise InvalidInput("请指定一条音像资料或一次执法活动（二选一）。", field="recording_id")
    _check_material(session, actor, recording_id, activity_id)
    _not_linked(case, recording_id, activity_id)
    made = CaseLink(
        case_id=case.id, recording_id=recording_id, activity_id=activity_id, reason=why,
        linked_by=actor.label, linked_at=utcnow(),
    )  # fmt: skip
    session.add(made)
    session.flush()
    record(session, actor, RetentionEvent.LINKED, ("case_link", made.id), after=made.snapshot())
    settle(
        session=session, actor=actor, store=store, recording_ids=_recordings_of(session, made),
        reason=f"关联案件 {case.number}",
    )  # fmt: skip
    session.refresh(case)
    return made


@activity_hooks.on_leaving
def keep_in_cases(session: Session, actor: Actor, activity_id: int, recording_id: int) -> None:
    """A recording leaving an activity linked to a case stays in the case by a direct link,
    audited: its retention does not change (the same case keeps it), and only an unlink the
    unit head approves ends it. Archived cases too: their term still runs."""
    stmt = select(CaseLink).where(
        CaseLink.activity_id == activity_id, CaseLink.unlinked_at.is_(None)
    )
    for through in session.scalars(stmt).all():
        case = through.case
        locked(session, case)  # not at once with an archive or another link of the case
        if any(made.recording_id == recording_id for made in queries.live_links(case)):
            continue
        made = CaseLink(
            case_id=case.id, recording_id=recording_id, linked_by=actor.label,
            linked_at=utcnow(), reason=f"移出执法活动 #{activity_id} 时保留（该活动已关联本案件）",
        )  # fmt: skip
        session.add(made)
        session.flush()
        record(session, actor, RetentionEvent.LINKED, ("case_link", made.id), after=made.snapshot())


def ask_unlink(
    *, session: Session, actor: Actor, case: PenaltyCase, link: CaseLink, reason: str
) -> None:
    actor.require(Action.CASE_MANAGE)
    locked(session, case)
    why = required_text(reason, "解除关联的理由", REASON_MAX)
    _not_archived(case, "解除关联")
    _live(link)
    if link.unlink_requested_at is not None:
        raise Conflict("已申请解除该关联，正待单位负责人审批。", code="already_asked")
    before = link.snapshot()
    link.unlink_reason, link.unlink_requested_by = why, actor.label
    link.unlink_requested_by_id, link.unlink_requested_at = actor.person_id, utcnow()
    record(
        session, actor, RetentionEvent.UNLINK_ASKED, ("case_link", link.id),
        before=before, after=link.snapshot(),
    )  # fmt: skip


def approve_unlink(
    *, session: Session, actor: Actor, store: BlobStore, case: PenaltyCase, link: CaseLink
) -> None:
    """The unit head ends a link asked to be ended, never one they asked for themselves."""
    actor.require(Action.CASE_UNLINK_APPROVE)
    locked(session, case)
    _not_archived(case, "解除关联")
    _live(link)
    if link.unlink_requested_at is None:
        raise Conflict("尚无解除关联的申请：须先由经办人说明理由提出。", code="not_asked")
    if actor.person_id is not None and actor.person_id == link.unlink_requested_by_id:
        raise Forbidden("不能审批本人提出的解除关联申请。", action=str(Action.CASE_UNLINK_APPROVE))
    before = link.snapshot()
    link.unlinked_by, link.unlinked_at = actor.label, utcnow()
    record(
        session, actor, RetentionEvent.UNLINKED, ("case_link", link.id),
        before=before, after=link.snapshot(),
    )  # fmt: skip
    session.flush()
    settle(
        session=session, actor=actor, store=store, recording_ids=_recordings_of(session, link),
        reason=f"解除与案件 {case.number} 的关联",
    )  # fmt: skip


def locked(session: Session, row: object) -> None:
    """The row is re-read and held until the transaction ends: two changes of one case (two
    links of one recording, an archive while a link is made) happen one after the other, each
    seeing the other's result (PostgreSQL; SQLite has one writer at a time)."""
    session.refresh(row, with_for_update=True)


def _settle_case(
    session: Session, actor: Actor, store: BlobStore, case: PenaltyCase, reason: str
) -> None:
    session.flush()
    ids: set[int] = set()
    for made in queries.live_links(case):
        ids |= _recordings_of(session, made)
    settle(session=session, actor=actor, store=store, recording_ids=ids, reason=reason)


def _recordings_of(session: Session, made: CaseLink) -> set[int]:
    if made.recording_id is not None:
        return {made.recording_id}
    stmt = select(ActivityLink.recording_id).where(
        ActivityLink.activity_id == made.activity_id, ActivityLink.detached_at.is_(None)
    )
    return set(session.scalars(stmt))


def _check_material(
    session: Session, actor: Actor, recording_id: int | None, activity_id: int | None
) -> None:
    """Only material the actor may see (404 otherwise: nothing hints it exists), and never an
    original already disposed of."""
    if activity_id is not None:
        activity_queries.get_activity(session=session, actor=actor, activity_id=activity_id)
        return
    assert recording_id is not None
    evidence_queries.get_recording(session=session, actor=actor, recording_id=recording_id)
    if queries.disposition_of(session, recording_id) is not None:
        raise Conflict(f"资料 #{recording_id} 已依法销毁，不能再关联案件。", code="disposed")


def _not_linked(case: PenaltyCase, recording_id: int | None, activity_id: int | None) -> None:
    for made in queries.live_links(case):
        if (made.recording_id, made.activity_id) == (recording_id, activity_id):
            what = f"资料 #{recording_id}" if recording_id else f"执法活动 #{activity_id}"
            raise Conflict(f"{what} 已关联案件 {case.number}。", code="already_linked")


def _check_unit(session: Session, actor: Actor, unit_id: int) -> None:
    if not queries.unit_allowed(session, actor, unit_id):
        raise Forbidden("只能为本单位（或下级单位）登记案件。", action=str(Action.CASE_MANAGE))


def _changed(
    session: Session, actor: Actor, case: PenaltyCase, before: dict[str, object], reason: str = ""
) -> None:
    after = {**case.snapshot(), **({"reason": reason} if reason else {})}
    record(
        session,
        actor,
        RetentionEvent.CASE_CHANGED,
        ("penalty_case", case.id),
        before=before,
        after=after,
    )


def _status_of(case: PenaltyCase) -> CaseStatus:
    if case.archived_on is not None:
        return CaseStatus.ARCHIVED
    if case.closed_on is not None:
        return CaseStatus.CLOSED
    return CaseStatus.DECIDED if case.decided_on is not None else CaseStatus.OPEN


def _term_years(terms: Mapping[str, int], term: str) -> int:
    if term not in terms:
        names = "、".join(f"{name}（{term_label(years)}）" for name, years in terms.items())
        raise InvalidInput(f"案卷保存期限“{term}”不在可选范围内：{names}。", field="term")
    return terms[term]


def _longer(years: int, than: int) -> bool:
    """Whether a term of ``years`` keeps at least as long as ``than`` (0: for ever)."""
    if than == 0:
        return years == 0
    return years == 0 or years >= than


def _not_archived(case: PenaltyCase, what: str) -> None:
    if case.archived_on is not None:
        raise Conflict(
            f"案件 {case.number} 已于 {case.archived_on.isoformat()} 归档，不能{what}。",
            code="case_archived",
        )


def _live(made: CaseLink) -> None:
    if made.unlinked_at is not None:
        raise Conflict("该关联已解除。", code="already_unlinked")


def _in_order(first: date, then: date | None, what: str, after: str) -> None:
    if then is not None and then < first:
        raise InvalidInput(f"{what}不能早于{after}（{first.isoformat()}）。", field="dates")


def _not_future(day: date, what: str) -> None:
    if day > today_shanghai():
        raise InvalidInput(f"{what}不能晚于今天。", field="dates")

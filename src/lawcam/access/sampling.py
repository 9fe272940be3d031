"""Conduct-review sampling (第十三条, R13.1): engineering supervision (any unit) or a unit head
(the units in their scope) draws recordings at random for review, and the reviewer records a
result for each. The draw is reproducible: the population is every video and audio recording
that matched the filters as the office stood at the draw (ingested and linked by then), in id
order, and the sample is ``random.Random(seed).sample(population, size)``; the seed and the
population's size and digest are kept. The draw gives the reviewer a view grant of exactly those
recordings until the results are due — an approved access request marked with the sample —
so the review itself goes through access by approval (第十五条) and every viewing is audited.

Each change takes ``*, session, actor``, raises domain errors, never commits, and records its
audit entry in the caller's transaction."""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from lawcam.access.models import AccessItem, AccessRequest, Sample, SampleItem
from lawcam.access.sample_types import (
    DEFAULT_DAYS,
    MAX_SIZE,
    MEDIA,
    SCOPE,
    Reason,
    Result,
    SampleEvent,
)
from lawcam.access.types import MAX_DAYS, AccessAction, Approver, RequestStatus
from lawcam.activities.models import Activity, ActivityLink
from lawcam.activities.types import ActivityKind
from lawcam.audit.service import record
from lawcam.authz import Action, Actor, Role
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.evidence.models import Recording
from lawcam.org.models import Person, Unit
from lawcam.org.queries import unit_scope
from lawcam.timeutil import check_day_range, shanghai_day_start, utcnow

NOT_FOUND = "抽查不存在，或您无权查看。"
SEED_MAX = 2**63 - 1  # a seed is kept as BIGINT


@dataclass(frozen=True)
class Filters:
    """Which recordings may be drawn: a unit (with those below it), a period of Shanghai days
    (by the recording's start, corrected where it was), an activity kind."""

    date_from: date
    date_to: date
    unit_id: int | None = None
    kind: ActivityKind | None = None


@dataclass(frozen=True)
class Draw:
    filters: Filters
    size: int
    seed: int | None = None
    days: int = DEFAULT_DAYS
    reviewer_id: int | None = None  # None: the drawer reviews


# The population and the draw --------------------------------------------------------------------


def population(session: Session, units: Sequence[int] | None, filters: Filters,
               as_of: datetime) -> list[int]:  # fmt: skip
    """The ids of the recordings that matched at ``as_of``, in id order."""
    start = func.coalesce(Recording.corrected_start_at, Recording.start_at)
    stmt = select(Recording.id).where(
        Recording.kind.in_(MEDIA),
        Recording.ingested_at <= as_of,
        start >= shanghai_day_start(filters.date_from),
        start < shanghai_day_start(filters.date_to + timedelta(days=1)),
    )
    if units is not None:
        stmt = stmt.where(Recording.unit_id.in_(units))
    if filters.kind is not None:
        stmt = stmt.where(Recording.id.in_(_linked_to_kind(filters.kind, as_of)))
    return list(session.scalars(stmt.order_by(Recording.id)))


def _linked_to_kind(kind: ActivityKind, as_of: datetime) -> Select[int]:
    """Recordings linked at ``as_of`` to an activity of this kind (a later detach does not
    change a past draw)."""
    return (
        select(ActivityLink.recording_id)
        .join(Activity, Activity.id == ActivityLink.activity_id)
        .where(
            Activity.kind == str(kind),
            ActivityLink.linked_at <= as_of,
            or_(ActivityLink.detached_at.is_(None), ActivityLink.detached_at > as_of),
        )
    )


def digest(ids: Sequence[int]) -> str:
    """The population's fingerprint: SHA-256 of its ids, in order, comma-separated."""
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def choose(ids: Sequence[int], size: int, seed: int) -> list[int]:
    """The draw itself, in the order it came: anyone with the population and the seed gets it."""
    return random.Random(seed).sample(list(ids), size)  # noqa: S311 (reproducible, not secret)


def redraw(session: Session, sample: Sample) -> list[int]:
    """The sample drawn again from its recorded filters and seed; the caller compares it (and
    the population's digest) with what was drawn."""
    filters = _filters_of(sample)
    ids = population(session, sample.units, filters, sample.drawn_at)
    if digest(ids) != sample.population_sha256:
        raise Conflict("按记录的条件重算的资料总体与抽查时不一致。", field="population")
    return choose(ids, sample.size, sample.seed)


def _filters_of(sample: Sample) -> Filters:
    kind = ActivityKind(sample.kind) if sample.kind else None
    return Filters(sample.date_from, sample.date_to, sample.unit_id, kind)


# Drawing -----------------------------------------------------------------------------------------


def draw(*, session: Session, actor: Actor, data: Draw) -> Sample:
    actor.require(Action.SAMPLE_DRAW)
    if actor.person_id is None:
        raise Forbidden("只有具名人员才能抽查。", action=str(Action.SAMPLE_DRAW))
    _check_draw(data)
    units = _units(session, actor, data.filters.unit_id)
    now = utcnow()
    ids = population(session, units, data.filters, now)
    if data.size > len(ids):
        raise InvalidInput(
            f"抽查数量（{data.size} 条）大于符合条件的资料总数（{len(ids)} 条）："
            "请减少抽查数量，或放宽单位、期间或活动类型的条件。",
            field="size",
        )
    seed = data.seed if data.seed is not None else secrets.randbits(63)
    chosen = choose(ids, data.size, seed)
    reviewer = _reviewer(session, actor, data.reviewer_id, chosen)
    sample = _sample(actor, reviewer, data, units, ids, seed, now)
    session.add(sample)
    session.flush()
    session.add_all(SampleItem(sample_id=sample.id, recording_id=rid, position=n, reason="",
                               note="", recorded_by="") for n, rid in enumerate(chosen))  # fmt: skip
    grant = _grant(session, actor, sample, reviewer, chosen, now)
    record(session, actor, SampleEvent.DRAWN, ("access_sample", sample.id),
           after={**facts(sample), "recordings": chosen, "grant": grant.id})  # fmt: skip
    return sample


def _check_draw(data: Draw) -> None:
    if not 1 <= data.size <= MAX_SIZE:
        raise InvalidInput(f"抽查数量须为 1 至 {MAX_SIZE} 条。", field="size")
    if not 1 <= data.days <= MAX_DAYS:
        raise InvalidInput(f"结果登记期限须为 1 至 {MAX_DAYS} 天。", field="days")
    if data.seed is not None and not 0 <= data.seed <= SEED_MAX:
        raise InvalidInput(f"随机种子须为 0 至 {SEED_MAX} 的整数。", field="seed")
    check_day_range(data.filters.date_from, data.filters.date_to, fields=("date_from", "date_to"))


def _units(session: Session, actor: Actor, unit_id: int | None) -> list[int] | None:
    """The units drawn from: engineering supervision any unit (None: all); a unit head only the
    units in their scope — another unit is answered as not found."""
    scope = _scope_of(session, actor)
    if unit_id is None:
        return None if scope is None else sorted(scope)
    if session.get(Unit, unit_id) is None or (scope is not None and unit_id not in scope):
        raise NotFound("单位不存在，或不在您可以抽查的范围内。")
    return sorted(unit_scope(session, unit_id))


def _scope_of(session: Session, actor: Actor) -> set[int] | None:
    if Role.ENGINEERING in actor.roles:
        return None
    if Role.UNIT_HEAD in actor.roles and actor.unit_id is not None:
        return unit_scope(session, actor.unit_id)
    return set()


def _reviewer(session: Session, actor: Actor, reviewer_id: int | None,
              chosen: list[int]) -> Person:  # fmt: skip
    """The drawer, or a named person of engineering supervision or a unit head over every unit
    the chosen recordings come from."""
    person = session.get(Person, reviewer_id or actor.person_id)
    if person is None or not person.is_active:
        raise NotFound("抽查人不存在或已离职。")
    if person.id == actor.person_id:
        return person
    roles = set(person.active_roles)
    if str(Role.ENGINEERING) in roles:
        return person
    units = set(session.scalars(select(Recording.unit_id).where(Recording.id.in_(chosen))))
    if str(Role.UNIT_HEAD) in roles and units <= unit_scope(session, person.unit_id):
        return person
    raise InvalidInput(
        "抽查人须为工程监管处人员，或所抽资料所属单位的负责人。", field="reviewer_id"
    )


def _sample(actor: Actor, reviewer: Person, data: Draw, units: list[int] | None,
            ids: list[int], seed: int, now: datetime) -> Sample:  # fmt: skip
    f = data.filters
    return Sample(
        drawn_by_id=actor.person_id, drawn_by=actor.label, drawn_at=now,
        reviewer_id=reviewer.id, reviewer=label_of(reviewer), unit_id=f.unit_id, units=units,
        date_from=f.date_from, date_to=f.date_to, kind=str(f.kind) if f.kind else None,
        population=len(ids), population_sha256=digest(ids), seed=seed, size=data.size,
        due_at=now + timedelta(days=data.days),
    )  # fmt: skip


def label_of(person: Person) -> str:
    return f"{person.name}({person.badge})" if person.badge else person.name


def _grant(session: Session, actor: Actor, sample: Sample, reviewer: Person,
           chosen: list[int], now: datetime) -> AccessRequest:  # fmt: skip
    """The reviewer's view grant of exactly the sampled recordings until the results are due,
    decided by the drawer. Its oversight is the office leader's (who may revoke it), as for a
    unit head's own request (第十五条)."""
    days = (sample.due_at - now).days
    row = AccessRequest(
        requester_id=reviewer.id, requested_by=sample.reviewer, requested_at=now,
        action=str(AccessAction.VIEW), scope=SCOPE.format(id=sample.id),
        purpose=f"执法规范抽查（第十三条）：随机抽取 {sample.size} 条，种子 {sample.seed}",
        recipient="", recipient_org="", days=days, approver=str(Approver.OFFICE_LEADER),
        approver_unit_id=_grant_unit(session, sample, chosen), status=str(RequestStatus.APPROVED),
        decided_by_id=actor.person_id, decided_by=actor.label, decided_at=now,
        decision_reason="抽查授权：仅限查看所抽资料，至结果登记期限止", expires_at=sample.due_at,
        revoked_by="", revoke_reason="", sample_id=sample.id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add_all(AccessItem(request_id=row.id, recording_id=rid) for rid in sorted(chosen))
    session.flush()
    after = {"sample": sample.id, "recordings": sorted(chosen), "reviewer": sample.reviewer,
             "expires_at": sample.due_at.isoformat()}  # fmt: skip
    record(session, actor, SampleEvent.GRANTED, ("access_request", row.id), after=after)
    return row


def _grant_unit(session: Session, sample: Sample, chosen: list[int]) -> int:
    """The unit the grant is filed under: the sample's unit, else the first recording's."""
    if sample.unit_id is not None:
        return sample.unit_id
    return int(session.scalar(select(Recording.unit_id).where(Recording.id == chosen[0])) or 0)


def facts(sample: Sample) -> dict[str, object]:
    return {
        "unit_id": sample.unit_id,
        "units": sample.units,
        "date_from": sample.date_from.isoformat(),
        "date_to": sample.date_to.isoformat(),
        "kind": sample.kind,
        "population": sample.population,
        "population_sha256": sample.population_sha256,
        "seed": sample.seed,
        "size": sample.size,
        "reviewer": sample.reviewer,
        "due_at": sample.due_at.isoformat(),
    }


# Results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultData:
    recording_id: int
    result: Result
    reason: Reason | None = None
    note: str = ""


def record_result(
    *, session: Session, actor: Actor, sample_id: int, data: ResultData
) -> SampleItem:
    """The reviewer's result for one sampled recording (again: a correction, audited with what
    it replaced), until the results are due."""
    actor.require(Action.SAMPLE_DRAW)
    sample = get_sample(session=session, actor=actor, sample_id=sample_id)
    if sample.reviewer_id != actor.person_id:
        raise Forbidden("只有本次抽查的抽查人可以登记结果。", action=str(Action.SAMPLE_DRAW))
    if sample.due_at <= utcnow():
        raise Conflict("已超过本次抽查的结果登记期限。", field="result")
    _check_result(data)
    item = _item(session, sample.id, data.recording_id)
    before = item_facts(item)
    item.result, item.note = str(data.result), data.note.strip()
    item.reason = str(data.reason) if data.result is Result.NONCOMPLIANT and data.reason else ""
    item.recorded_by_id, item.recorded_by, item.recorded_at = actor.person_id, actor.label, utcnow()
    session.flush()
    record(session, actor, SampleEvent.RESULT, ("access_sample", sample.id),
           before=before, after=item_facts(item))  # fmt: skip
    return item


def _check_result(data: ResultData) -> None:
    if len(data.note) > 1000:
        raise InvalidInput("说明最多 1000 字。", field="note")
    if data.result is Result.COMPLIANT:
        if data.reason is not None:
            raise InvalidInput("结果为“规范”时不填不规范的情形。", field="reason")
        return
    if data.reason is None:
        raise InvalidInput(
            "结果为“不规范”时须选择情形：语言不文明、行为不规范、未告知录像或其他。",
            field="reason",
        )
    if data.reason is Reason.OTHER and not data.note.strip():
        raise InvalidInput("情形为“其他”时须在说明中写明。", field="note")


def _item(session: Session, sample_id: int, recording_id: int) -> SampleItem:
    """Locked: two results at once for one recording are written one after the other."""
    stmt = select(SampleItem).where(
        SampleItem.sample_id == sample_id, SampleItem.recording_id == recording_id
    )
    item = session.scalars(stmt.with_for_update()).first()
    if item is None:
        raise NotFound("该资料不在本次抽查之中。")
    return item


def item_facts(item: SampleItem) -> dict[str, object]:
    return {"recording_id": item.recording_id, "result": item.result, "reason": item.reason,
            "note": item.note, "recorded_by": item.recorded_by}  # fmt: skip


# Reads -------------------------------------------------------------------------------------------


def permitted(stmt: Select[Sample], actor: Actor) -> Select[Sample]:
    """Engineering supervision sees every sample; a unit head those they drew or review."""
    if not actor.can(Action.SAMPLE_DRAW) or actor.person_id is None:
        return stmt.where(false())
    return stmt.where(_visible(actor))


def _visible(actor: Actor) -> ColumnElement[bool]:
    if Role.ENGINEERING in actor.roles:
        return true()
    return or_(Sample.drawn_by_id == actor.person_id, Sample.reviewer_id == actor.person_id)


def get_sample(*, session: Session, actor: Actor, sample_id: int) -> Sample:
    actor.require(Action.SAMPLE_DRAW)
    stmt = select(Sample).where(Sample.id == sample_id).options(selectinload(Sample.items))
    found = session.scalars(permitted(stmt, actor)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def list_samples(*, session: Session, actor: Actor) -> list[Sample]:
    actor.require(Action.SAMPLE_DRAW)
    stmt = select(Sample).options(selectinload(Sample.items))
    return list(session.scalars(permitted(stmt, actor).order_by(Sample.id.desc()).limit(500)))


def to_review(*, session: Session, actor: Actor, now: datetime) -> int:
    """Sampled recordings waiting for this reviewer's result, before their due date."""
    if not actor.can(Action.SAMPLE_DRAW) or actor.person_id is None:
        return 0
    stmt = (
        select(func.count())
        .select_from(SampleItem)
        .join(Sample, Sample.id == SampleItem.sample_id)
        .where(
            Sample.reviewer_id == actor.person_id,
            Sample.due_at > now,
            SampleItem.result.is_(None),
        )
    )
    return int(session.scalar(stmt) or 0)


def grant_of(session: Session, sample_id: int) -> AccessRequest | None:
    """The review grant the draw gave."""
    stmt = select(AccessRequest).where(AccessRequest.sample_id == sample_id)
    return session.scalars(stmt).first()


def noncompliant(session: Session) -> list[tuple[Sample, SampleItem]]:
    """Every 不规范 result, with its sample (the findings' ``conduct`` rule reads these)."""
    stmt = (
        select(Sample, SampleItem)
        .join(SampleItem, SampleItem.sample_id == Sample.id)
        .where(SampleItem.result == str(Result.NONCOMPLIANT))
        .order_by(SampleItem.id)
    )
    return [(sample, item) for sample, item in session.execute(stmt)]

"""Changes to activities (第十条、第十二条、第十四条). Each takes ``*, session, actor``, raises
domain errors, never commits, and records its audit entry in the caller's transaction. Links,
coverage, interruptions and lateness are kept current here whenever either side changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawcam.activities import hooks, queries
from lawcam.activities.models import Activity, ActivityLink, ActivityOfficer, Interruption
from lawcam.activities.recompute import deadline, recompute, tolerance
from lawcam.activities.types import (
    TWO_OFFICER_KINDS,
    ActivityEvent,
    ActivityKind,
    Cause,
    Explanation,
    LinkHow,
)
from lawcam.audit.service import record
from lawcam.authz import Action, Actor, Role
from lawcam.config import Settings
from lawcam.documents.service import file_document
from lawcam.documents.types import Purpose
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.evidence import queries as evidence_queries
from lawcam.org.models import Person, Unit, Zone
from lawcam.org.queries import unit_scope
from lawcam.storage import BlobStore
from lawcam.timeutil import utcnow


@dataclass(frozen=True)
class ActivityData:
    unit_id: int
    kind: ActivityKind
    place: str
    arrived_at: datetime
    ended_at: datetime
    officer_ids: Sequence[int]
    announced: bool | None = None
    obstructed: bool = False
    obstruction_note: str = ""
    case_number: str = ""
    zone_id: int | None = None


def data_named(
    session: Session,
    *,
    unit: str,
    officers: Sequence[str],
    zone: str | None = None,
    **fields: object,
) -> ActivityData:
    """An activity as people write it (the unit's name, the officers' badges, the zone's
    name), with ids looked up; the same for the API, the CLI, the form and the Excel list."""
    unit_id = queries.unit_named(session, unit)
    return ActivityData(
        unit_id=unit_id,
        officer_ids=queries.officers_by_badge(session, officers),
        zone_id=queries.zone_named(session, unit_id, zone),
        **fields,  # type: ignore[arg-type]
    )


def add_activity(
    *, session: Session, actor: Actor, settings: Settings, data: ActivityData
) -> tuple[Activity, list[str]]:
    """A new activity, linked at once to the recordings already received; with the warnings a
    person should see (one officer where two are normally needed)."""
    officers, key = _checked(session, actor, settings, data)
    activity = _new_activity(actor, settings, data, key)
    session.add(activity)
    session.flush()
    for person in officers:
        session.add(ActivityOfficer(activity_id=activity.id, person_id=person.id))
    session.flush()
    session.refresh(activity, ["officers"])
    record(
        session, actor, ActivityEvent.ADDED, ("activity", activity.id), after=activity.snapshot()
    )
    relink(session=session, actor=actor, settings=settings, activity=activity)
    return activity, _warnings(data)


def check_activity(
    *, session: Session, actor: Actor, settings: Settings, data: ActivityData
) -> str:
    """The checks ``add_activity`` makes, writing nothing (an Excel list is checked whole
    before any row is added); the activity's entry key."""
    return _checked(session, actor, settings, data)[1]


def _checked(
    session: Session, actor: Actor, settings: Settings, data: ActivityData
) -> tuple[list[Person], str]:
    actor.require(Action.ACTIVITY_RECORD)
    _check_unit(session, actor, data)
    officers = _check_officers(session, actor, data)
    _check_times(data, settings)
    key = entry_key(data)
    if existing := session.scalars(select(Activity.id).where(Activity.entry_key == key)).first():
        raise Conflict(
            f"该执法活动已经登记（活动编号 {existing}），不能重复登记。", field="arrived_at"
        )
    return officers, key


def entry_key(data: ActivityData) -> str:
    """The same activity entered twice (a list imported again) has the same key: the unit,
    kind, place, times to the minute and the officers."""
    parts = (
        data.unit_id,
        data.kind,
        " ".join(data.place.split()),
        data.arrived_at.replace(second=0, microsecond=0).timestamp(),
        data.ended_at.replace(second=0, microsecond=0).timestamp(),
        sorted(set(data.officer_ids)),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _new_activity(actor: Actor, settings: Settings, data: ActivityData, key: str) -> Activity:
    return Activity(
        unit_id=data.unit_id,
        kind=str(data.kind),
        place=" ".join(data.place.split()),
        zone_id=data.zone_id,
        arrived_at=data.arrived_at,
        ended_at=data.ended_at,
        announced=data.announced,
        obstructed=data.obstructed,
        obstruction_note=data.obstruction_note.strip(),
        case_number=data.case_number.strip(),
        entry_key=key,
        created_at=utcnow(),
        created_by=actor.label,
        coverage=0.0,
        no_recording=True,
        unexplained=0,
        upload_deadline=deadline(data.ended_at, settings),
        late_uploads=0,
    )


def _warnings(data: ActivityData) -> list[str]:
    if data.kind in TWO_OFFICER_KINDS and len(set(data.officer_ids)) < 2:
        return [f"{data.kind.label}一般应由两名以上执法人员进行，本活动只登记了一名。"]
    return []


def _check_unit(session: Session, actor: Actor, data: ActivityData) -> None:
    unit = session.get(Unit, data.unit_id)
    if unit is None or not unit.is_active:
        raise InvalidInput("单位不存在或已停用。", field="unit")
    if not actor.console and (actor.unit_id is None or unit.id not in _own_units(session, actor)):
        raise Forbidden("只能登记本单位的执法活动。", action=str(Action.ACTIVITY_RECORD))
    if data.zone_id is not None:
        zone = session.get(Zone, data.zone_id)
        if zone is None or zone.unit_id != unit.id:
            raise InvalidInput("办案区不属于该单位。", field="zone")
    if not " ".join(data.place.split()):
        raise InvalidInput("执法地点不能为空。", field="place")
    if len(data.place) > 500 or len(data.case_number) > 100:
        raise InvalidInput("执法地点最多 500 字，案件编号最多 100 字。", field="place")


def _own_units(session: Session, actor: Actor) -> set[int]:
    if actor.unit_id is None:
        return set()
    if actor.roles & queries.UNIT_WIDE:
        return unit_scope(session, actor.unit_id)
    return {actor.unit_id}


def _check_officers(session: Session, actor: Actor, data: ActivityData) -> list[Person]:
    ids = list(dict.fromkeys(data.officer_ids))
    if not ids:
        raise InvalidInput("至少登记一名在场的执法人员。", field="officer")
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    for pid in ids:
        person = people.get(pid)
        if person is None or not person.is_officer or not person.is_active:
            raise InvalidInput("在场人员须是本办在职的执法人员。", field="officer")
        if person.unit_id != data.unit_id:
            raise InvalidInput(f"{person.name}不是该单位的执法人员。", field="officer")
    if _officer_only(actor) and actor.person_id not in ids:
        raise Forbidden("执法人员只能登记本人参加的执法活动。", action=str(Action.ACTIVITY_RECORD))
    return [people[pid] for pid in ids]


def _officer_only(actor: Actor) -> bool:
    return not actor.console and not (actor.roles & queries.UNIT_WIDE)


def _check_times(data: ActivityData, settings: Settings) -> None:
    if data.arrived_at.tzinfo is None or data.ended_at.tzinfo is None:
        raise InvalidInput("到场和结束时间须带时区，例如 +08:00。", field="arrived_at")
    if data.ended_at <= data.arrived_at:
        raise InvalidInput("结束时间须晚于到场时间。", field="ended_at")
    if data.ended_at > utcnow() + timedelta(minutes=5):
        raise InvalidInput("执法活动尚未结束：结束时间不能晚于现在。", field="ended_at")
    if data.ended_at - data.arrived_at > timedelta(hours=settings.activity_max_hours):
        raise InvalidInput(
            f"一次执法活动最长 {settings.activity_max_hours} 小时，请分开登记。", field="ended_at"
        )


# ---------------------------------------------------------------------------------------------
# Linking recordings and keeping coverage current


def relink(*, session: Session, actor: Actor, settings: Settings, activity: Activity) -> None:
    """Links the recordings made during the activity by its officers, drops automatic links
    that no longer hold (a corrected time or officer), and recomputes what depends on them."""
    found = {f.id: f for f in queries.candidates(session, activity, tolerance(settings))}
    links = {
        link.recording_id: link for link in queries.links_of(session, activity.id, active=False)
    }
    _link_auto(session, actor, activity, sorted(found.keys() - links.keys()))
    for recording_id, link in links.items():
        if link.how == LinkHow.AUTO and link.detached_at is None and recording_id not in found:
            _unlink_auto(session, actor, link)
    # The candidates' facts are not read again; those of recordings attached by hand are.
    recompute(session=session, actor=actor, settings=settings, activity=activity, known=found)


def relink_recordings(
    *, session: Session, actor: Actor, settings: Settings, recording_ids: Iterable[int]
) -> int:
    """After an ingest or a correction: the activities these recordings may belong to (by
    time; ``relink`` checks the officers) relinked. The number of activities looked at."""
    slack = tolerance(settings)
    ids = list(recording_ids)
    # Where they are now (by time), and where they were linked (a correction moves them away).
    seen = {a.id: a for a in queries.activities_linking(session, ids)}
    found = list(queries.facts_of(session, ids).values())
    # Only the activities of a recording's officer or its device's holder can take it.
    holders = queries.custodians(session, found)
    people = {f.id: {p for p in (f.officer_id, holders[f.id]) if p is not None} for f in found}
    for activity in queries.activities_near(session, found, slack, people):
        seen.setdefault(activity.id, activity)
    for activity in seen.values():
        relink(session=session, actor=actor, settings=settings, activity=activity)
    return len(seen)


def _link(
    session: Session, actor: Actor, activity: Activity, recording_id: int, how: LinkHow, reason: str
) -> ActivityLink:
    link = _new_link(actor, activity, recording_id, how, reason)
    session.add(link)
    session.flush()
    record(session, actor, ActivityEvent.LINKED, ("activity", activity.id), after=link.snapshot())
    return link


def _link_auto(
    session: Session, actor: Actor, activity: Activity, recording_ids: list[int]
) -> None:
    """New automatic links inserted together (one statement for a docking's files), each
    with its audit entry."""
    made = [_new_link(actor, activity, rid, LinkHow.AUTO, "") for rid in recording_ids]
    if not made:
        return
    session.add_all(made)
    session.flush()
    for link in made:
        record(
            session, actor, ActivityEvent.LINKED, ("activity", activity.id), after=link.snapshot()
        )


def _new_link(
    actor: Actor, activity: Activity, recording_id: int, how: LinkHow, reason: str
) -> ActivityLink:
    return ActivityLink(
        activity_id=activity.id,
        recording_id=recording_id,
        how=str(how),
        reason=reason,
        linked_by=actor.label,
        linked_at=utcnow(),
        detached_by="",
        detach_reason="",
        late=False,
    )


def _unlink_auto(session: Session, actor: Actor, link: ActivityLink) -> None:
    """An automatic link whose time or officer no longer matches goes; the audit entry keeps
    what it was."""
    hooks.leaving(session, actor, link.activity_id, link.recording_id)
    before = link.snapshot()
    session.delete(link)
    session.flush()
    after = {"reason": "录像的时间或执法人员已更正，不再属于本次活动"}
    record(session, actor, ActivityEvent.UNLINKED, ("activity", link.activity_id), before, after)


def _unexplained(session: Session, activity_id: int) -> int:
    stmt = select(func.count()).where(
        Interruption.activity_id == activity_id,
        Interruption.current.is_(True),
        Interruption.explanation.is_(None),
    )
    return int(session.scalar(stmt) or 0)


# ---------------------------------------------------------------------------------------------
# Manual links


def attach(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    activity_id: int,
    recording_id: int,
    reason: str,
) -> ActivityLink:
    """A recording the automatic linking missed (a wrong device clock, another officer's
    device), attached by a person with the reason."""
    actor.require(Action.ACTIVITY_LINK)  # seen but not theirs to do: 403, not 404
    activity = queries.get_activity(
        session=session, actor=actor, activity_id=activity_id, action=Action.ACTIVITY_LINK
    )
    reason = _reason(reason)
    evidence_queries.get_recording(session=session, actor=actor, recording_id=recording_id)
    link = _existing_link(session, activity.id, recording_id)
    if link is not None and link.detached_at is None:
        raise Conflict("该录像已在本次执法活动中。", field="recording")
    if link is not None:
        before = link.snapshot()
        link.how, link.reason, link.detached_at = str(LinkHow.MANUAL), reason, None
        link.linked_by, link.linked_at = actor.label, utcnow()
        record(
            session, actor, ActivityEvent.LINKED, ("activity", activity.id), before, link.snapshot()
        )
    else:
        link = _link(session, actor, activity, recording_id, LinkHow.MANUAL, reason)
    recompute(session=session, actor=actor, settings=settings, activity=activity)
    return link


def detach(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    activity_id: int,
    recording_id: int,
    reason: str,
) -> ActivityLink:
    """A recording that does not belong (another job nearby), taken out with the reason; it
    stays out when the links are computed again."""
    actor.require(Action.ACTIVITY_LINK)  # seen but not theirs to do: 403, not 404
    activity = queries.get_activity(
        session=session, actor=actor, activity_id=activity_id, action=Action.ACTIVITY_LINK
    )
    reason = _reason(reason)
    link = _existing_link(session, activity.id, recording_id)
    if link is None or link.detached_at is not None:
        raise NotFound("该录像不在本次执法活动中。")
    hooks.leaving(session, actor, activity.id, recording_id)
    before = link.snapshot()
    link.detached_at, link.detached_by, link.detach_reason = utcnow(), actor.label, reason
    record(
        session, actor, ActivityEvent.UNLINKED, ("activity", activity.id), before, link.snapshot()
    )
    recompute(session=session, actor=actor, settings=settings, activity=activity)
    return link


def _existing_link(session: Session, activity_id: int, recording_id: int) -> ActivityLink | None:
    stmt = select(ActivityLink).where(
        ActivityLink.activity_id == activity_id, ActivityLink.recording_id == recording_id
    )
    return session.scalars(stmt).first()


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("须说明理由。", field="reason")
    return reason[:500]


# ---------------------------------------------------------------------------------------------
# Explaining interruptions (第十条)


def explain_voice(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    activity_id: int,
    seq: int,
    recording_id: int,
) -> Interruption:
    """The officer marks the recording that resumed after the interruption as carrying the
    spoken explanation; the device administrator confirms it later."""
    activity, row = _to_explain(session, actor, activity_id, seq)
    link = _existing_link(session, activity.id, recording_id)
    if link is None or link.detached_at is not None:
        raise InvalidInput("所选录像不属于本次执法活动。", field="recording")
    fact = queries.facts_of(session, [recording_id])[recording_id]
    if abs(fact.span.start - row.end_at) > tolerance(settings):
        raise InvalidInput(
            "语音说明应在中断后恢复记录的那段录像中：所选录像不是在中断结束时开始的。",
            field="recording",
        )
    return _explained(session, actor, activity, row, Explanation.VOICE, voice=recording_id)


@dataclass(frozen=True)
class Attachment:
    """A written report's scanned page as it arrives (a PDF or an image), with where to keep it."""

    stream: BinaryIO
    name: str
    store: BlobStore
    settings: Settings


def explain_written(
    *,
    session: Session,
    actor: Actor,
    activity_id: int,
    seq: int,
    cause: Cause,
    text: str,
    attachment: Attachment | None = None,
) -> Interruption:
    """A written report of the cause, filed to the unit's device administrator, who keeps it
    and acknowledges it; its scan, when there is one, is filed write-once beside it."""
    activity, row = _to_explain(session, actor, activity_id, seq)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("书面说明不能为空。", field="text")
    if len(text) > 2000:
        raise InvalidInput("书面说明最多 2000 字。", field="text")
    document = _filed(session, actor, activity, attachment)
    return _explained(
        session,
        actor,
        activity,
        row,
        Explanation.WRITTEN,
        cause=cause,
        text=text,
        document=document,
    )


def _filed(
    session: Session, actor: Actor, activity: Activity, attachment: Attachment | None
) -> int | None:
    """Filed last, once everything else is checked: a refused report stores no bytes."""
    if attachment is None:
        return None
    document = file_document(
        session=session,
        actor=actor,
        store=attachment.store,
        settings=attachment.settings,
        stream=attachment.stream,
        name=attachment.name,
        purpose=Purpose.INTERRUPTION_REPORT,
        unit_id=activity.unit_id,
    )
    return document.id


def _to_explain(
    session: Session, actor: Actor, activity_id: int, seq: int
) -> tuple[Activity, Interruption]:
    actor.require(Action.INTERRUPTION_EXPLAIN)  # seen but not theirs to do: 403, not 404
    activity = queries.get_activity(
        session=session, actor=actor, activity_id=activity_id, action=Action.INTERRUPTION_EXPLAIN
    )
    row = _interruption(session, activity.id, seq)
    if row.explanation is not None:
        raise Conflict(f"中断 {seq} 已经说明过了。", field="seq")
    if actor.person_id not in activity.officer_ids:
        raise Forbidden("只有在场的执法人员才能说明中断。", action=str(Action.INTERRUPTION_EXPLAIN))
    if row.officer_id is not None and row.officer_id != actor.person_id:
        raise Forbidden("只能说明本人记录的中断。", action=str(Action.INTERRUPTION_EXPLAIN))
    return activity, row


def _interruption(session: Session, activity_id: int, seq: int) -> Interruption:
    """Locked until the transaction ends: two explanations of one interruption at once must
    not both pass the 'not yet explained' check (the second then sees the first and is refused)."""
    stmt = (
        select(Interruption)
        .where(
            Interruption.activity_id == activity_id,
            Interruption.seq == seq,
            Interruption.current.is_(True),
        )
        .with_for_update()
    )
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"本次活动没有编号为 {seq} 的中断（或该段已被录像覆盖）。")
    return row


def _explained(
    session: Session,
    actor: Actor,
    activity: Activity,
    row: Interruption,
    how: Explanation,
    *,
    voice: int | None = None,
    cause: Cause | None = None,
    text: str = "",
    document: int | None = None,
) -> Interruption:
    before = row.snapshot()
    row.explanation, row.voice_recording_id = str(how), voice
    row.cause, row.text, row.document_id = (str(cause) if cause else None), text, document
    row.explained_by, row.explained_at = actor.label, utcnow()
    session.flush()
    activity.unexplained = _unexplained(session, activity.id)
    after = {**row.snapshot(), "activity_unexplained": activity.unexplained}
    record(session, actor, ActivityEvent.EXPLAINED, ("activity", activity.id), before, after)
    return row


def confirm(*, session: Session, actor: Actor, activity_id: int, seq: int) -> Interruption:
    """The unit's device administrator confirms a spoken explanation (having heard it) or
    acknowledges a written report (and keeps it)."""
    actor.require(Action.INTERRUPTION_CONFIRM)  # seen but not theirs to do: 403, not 404
    activity = queries.get_activity(
        session=session, actor=actor, activity_id=activity_id, action=Action.INTERRUPTION_CONFIRM
    )
    if Role.DEVICE_ADMIN not in actor.roles:
        raise Forbidden("由本单位执法记录仪管理员确认。", action=str(Action.INTERRUPTION_CONFIRM))
    row = _interruption(session, activity.id, seq)
    if row.explanation is None:
        raise Conflict(f"中断 {seq} 尚未说明，无从确认。", field="seq")
    if row.confirmed_at is not None:
        raise Conflict(f"中断 {seq} 的说明已经确认过了。", field="seq")
    before = row.snapshot()
    row.confirmed_by, row.confirmed_at = actor.label, utcnow()
    session.flush()
    record(
        session, actor, ActivityEvent.CONFIRMED, ("activity", activity.id), before, row.snapshot()
    )
    return row


# ---------------------------------------------------------------------------------------------
# Amendments


def amend_activity(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    activity_id: int,
    data: ActivityData,
    reason: str,
) -> Activity:
    """A corrected entry (a wrong end time, a forgotten officer): the new facts replace the
    shown ones, the audit entry keeps the old ones with the reason, and the links, coverage and
    deadline follow. The unit stays: an activity of another unit is entered there."""
    actor.require(Action.ACTIVITY_RECORD)
    activity = queries.get_activity(
        session=session, actor=actor, activity_id=activity_id, action=Action.ACTIVITY_RECORD
    )
    reason = _reason(reason)
    if data.unit_id != activity.unit_id:
        raise InvalidInput("不能更改执法活动的单位；请在该单位另行登记。", field="unit")
    officers, key = _checked_amendment(session, actor, settings, data, activity)
    before = activity.snapshot()
    _apply(activity, data, key, settings)
    _set_officers(session, activity, [p.id for p in officers])
    record(
        session,
        actor,
        ActivityEvent.AMENDED,
        ("activity", activity.id),
        before,
        {**activity.snapshot(), "reason": reason},
    )
    relink(session=session, actor=actor, settings=settings, activity=activity)
    return activity


def _checked_amendment(
    session: Session, actor: Actor, settings: Settings, data: ActivityData, activity: Activity
) -> tuple[list[Person], str]:
    _check_unit(session, actor, data)
    officers = _check_officers(session, actor, data)
    _check_times(data, settings)
    key = entry_key(data)
    clash = session.scalars(
        select(Activity.id).where(Activity.entry_key == key, Activity.id != activity.id)
    ).first()
    if clash:
        raise Conflict(f"修改后与已登记的执法活动（编号 {clash}）相同。", field="arrived_at")
    return officers, key


def _apply(activity: Activity, data: ActivityData, key: str, settings: Settings) -> None:
    activity.kind = str(data.kind)
    activity.place = " ".join(data.place.split())
    activity.zone_id = data.zone_id
    activity.arrived_at, activity.ended_at = data.arrived_at, data.ended_at
    activity.announced, activity.obstructed = data.announced, data.obstructed
    activity.obstruction_note = data.obstruction_note.strip()
    activity.case_number = data.case_number.strip()
    activity.entry_key = key
    activity.upload_deadline = deadline(data.ended_at, settings)


def _set_officers(session: Session, activity: Activity, wanted: list[int]) -> None:
    for row in list(activity.officers):
        if row.person_id not in wanted:
            session.delete(row)
    present = set(activity.officer_ids)
    for pid in wanted:
        if pid not in present:
            session.add(ActivityOfficer(activity_id=activity.id, person_id=pid))
    session.flush()
    session.refresh(activity, ["officers"])


def current_data(activity: Activity) -> ActivityData:
    """The activity as entered now, for an amendment that changes some of it."""
    return ActivityData(
        unit_id=activity.unit_id,
        kind=ActivityKind(activity.kind),
        place=activity.place,
        arrived_at=activity.arrived_at,
        ended_at=activity.ended_at,
        officer_ids=activity.officer_ids,
        announced=activity.announced,
        obstructed=activity.obstructed,
        obstruction_note=activity.obstruction_note,
        case_number=activity.case_number,
        zone_id=activity.zone_id,
    )

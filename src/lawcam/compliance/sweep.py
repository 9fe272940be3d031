"""A sweep (``lawcam findings sweep``): the checks run, each candidate whose key is new stored as
a finding to be verified (audited), and each pending finding of a swept rule whose cause is gone
(a late explanation given, a link detached) marked cured, never deleted. Sweeps never duplicate:
the key is unique, and on PostgreSQL one sweep runs at a time (an advisory lock for the length
of the transaction; SQLite has one writer anyway).

Incremental by default: each sweep writes one audit entry (``compliance:sweep:run``) with the
last seq of the log it covered, its moment and limits; the next reads the entries after that seq
(``feed``), runs each check restricted to the subjects they touched and to the activities whose
deadline or explain-by moment fell since, and cures only among the findings about those
subjects. It gives the findings a full sweep gives (``full=True``), which it falls back to with
no previous sweep, other limits, the clock gone back, or a long stretch of the log."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lawcam.audit.models import AuditEvent
from lawcam.audit.service import Entry, record, record_many
from lawcam.authz import Action, Actor
from lawcam.compliance import feed, notices
from lawcam.compliance.checks import CHECKS, Candidate, Check, Limits, chunks, scope
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingEvent, FindingStatus, Rule
from lawcam.timeutil import utcnow

# The rules a sweep finds and cures; verify's (tampering, object_missing) and manual ones are
# recorded as they happen and never cured by a sweep.
SWEPT = frozenset(
    {
        Rule.NO_RECORDING,
        Rule.INTERRUPTION_UNEXPLAINED,
        Rule.LATE_UPLOAD,
        Rule.NOT_ANNOUNCED,
        Rule.ACCESS_DENIED,
        Rule.CONDUCT,
    }
)
SWEEP_LOCK = 0x6C617763616D02  # "lawcam" + 2: the findings sweep's advisory lock
MAX_FEED = 50_000  # entries since the last sweep beyond which a full sweep is cheaper
MAX_SUBJECTS = 20_000  # subjects likewise
PENDING = str(FindingStatus.PENDING)


@dataclass
class SweepReport:
    new: list[Finding] = field(default_factory=list)
    cured: list[Finding] = field(default_factory=list)
    checked: int = 0  # candidates seen
    full: bool = True  # every subject looked at (else: those changed since the last sweep)
    through: int = -1  # the last audit seq it covered


def sweep(
    *,
    session: Session,
    actor: Actor,
    limits: Limits,
    statement_days: int,
    checks: Sequence[Check] = CHECKS,
    progress: Callable[[int, int], None] | None = None,
    full: bool = False,
) -> SweepReport:
    actor.require(Action.FINDING_SWEEP)
    _one_at_a_time(session)
    # Read before the checks: an entry committed while they run is read again next time.
    last = session.scalar(select(func.max(AuditEvent.seq)))
    through = -1 if last is None else int(last)
    run = limits if full or limits.restricted else _incremental(session, limits, checks, through)
    seen = _collect(session, run, checks, progress)
    known = _known(session, run, seen)
    report = SweepReport(checked=len(seen), full=not run.restricted, through=through)
    due = timedelta(days=statement_days)
    report.new = _store_all(session, actor, [c for k, c in seen.items() if k not in known], due)
    gone = [fid for key, (fid, status) in known.items() if status == PENDING and key not in seen]
    report.cured = _cured(session, actor, _findings(session, gone))
    _swept(session, actor, run, report, covers=checks == CHECKS and not limits.restricted)
    return report


def _incremental(session: Session, limits: Limits, checks: Sequence[Check], through: int) -> Limits:
    """``limits`` restricted to what changed since the last sweep; unrestricted (full) when
    that cannot be known or is not worth it."""
    last = _last(session)
    if checks != CHECKS or last is None:
        return limits
    since, covered = last
    if (
        (since.explain_days, since.denied_repeats, since.denied_hours)
        != (limits.explain_days, limits.denied_repeats, limits.denied_hours)
        or since.now > limits.now
        or through - covered > MAX_FEED
    ):
        return limits
    found = feed.touched(session, covered, through)
    run = feed.restricted(session, limits, found, feed.due(session, since, limits))
    size = sum(len(ids or ()) for ids in (run.activity_ids, run.recording_ids, run.person_ids))
    return limits if size > MAX_SUBJECTS else run


def _last(session: Session) -> tuple[Limits, int] | None:
    """The last sweep's limits and the last seq it covered (None: none, or a partial one)."""
    stmt = (
        select(AuditEvent.after)
        .where(AuditEvent.tag == str(FindingEvent.SWEPT))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    after = session.scalar(stmt)
    said = json.loads(after) if after else {}
    if said.get("through") is None:
        return None
    limits = Limits(
        now=datetime.fromisoformat(said["now"]), explain_days=said["explain_days"],
        denied_repeats=said["denied_repeats"], denied_hours=said["denied_hours"],
    )  # fmt: skip
    return limits, int(said["through"])


def _collect(
    session: Session,
    limits: Limits,
    checks: Sequence[Check],
    progress: Callable[[int, int], None] | None,
) -> dict[str, Candidate]:
    seen: dict[str, Candidate] = {}
    for done, check in enumerate(checks, start=1):
        for candidate in check(session, limits):
            seen.setdefault(candidate.key, candidate)
        if progress:
            progress(done, len(checks))
    return seen


def _known(
    session: Session, limits: Limits, seen: dict[str, Candidate]
) -> dict[str, tuple[int, str]]:
    """The stored findings that may be cured (every swept rule's; restricted: those about the
    subjects looked at) and any stored with a candidate's key: key → (id, status)."""
    columns = (Finding.key, Finding.id, Finding.status)
    known: dict[str, tuple[int, str]] = {}
    if not limits.restricted:
        stmt = select(*columns).where(Finding.rule.in_([str(r) for r in SWEPT]))
        known.update({key: (fid, status) for key, fid, status in session.execute(stmt)})
    for condition in scope(session, limits) if limits.restricted else ():
        known.update({k: (i, s) for k, i, s in session.execute(select(*columns).where(condition))})
    # A candidate of a rule not swept (a lost device's missing recordings) is found by its key.
    missing = sorted(key for key in seen if key not in known)
    for start in range(0, len(missing), 500):
        stmt = select(*columns).where(Finding.key.in_(missing[start : start + 500]))
        known.update({k: (i, s) for k, i, s in session.execute(stmt)})
    return known


def _findings(session: Session, ids: list[int]) -> list[Finding]:
    found: list[Finding] = []
    for chunk in chunks(ids):
        found += session.scalars(
            select(Finding).where(Finding.id.in_(chunk or [])).order_by(Finding.id)
        )
    return found


def store(
    session: Session, actor: Actor, candidates: list[Candidate], due: timedelta
) -> list[Finding]:
    """Candidates stored as findings to be verified, audited, their people told (one notice
    each); ``due``: the statement window."""
    return _store_all(session, actor, candidates, due)


def _store_all(
    session: Session, actor: Actor, candidates: list[Candidate], due: timedelta
) -> list[Finding]:
    """Candidates stored as findings in one INSERT (a first sweep stores thousands), and
    audited in one more (``record_many``: an incremental sweep's ten findings are half its
    time when each is recorded on its own)."""
    now = utcnow()
    made = [_finding(actor, c.described(), due, now) for c in candidates]
    session.add_all(made)
    session.flush()
    found = FindingEvent.FOUND
    record_many(session, actor, [Entry(found, ("finding", f.id), after=f.snapshot()) for f in made])
    notices.new_findings(session, actor, made)
    return made


def _finding(actor: Actor, candidate: Candidate, due: timedelta, now: datetime) -> Finding:
    info = candidate.rule.info
    return Finding(
        key=candidate.key, rule=str(candidate.rule), article=info.article, severity=str(info.severity),
        person_id=candidate.person_id, unit_id=candidate.unit_id, subject_type=candidate.subject_type,
        subject_id=candidate.subject_id, summary=candidate.summary[:1000], evidence=candidate.evidence,
        status=PENDING, found_at=now, found_by=actor.label,
        statement_due=now + due if candidate.person_id is not None else None,
    )  # fmt: skip


def _cured(session: Session, actor: Actor, findings: list[Finding]) -> list[Finding]:
    """Marked cured, audited in one go (as the new ones are)."""
    now, entries = utcnow(), []
    for finding in findings:
        before = finding.snapshot()
        finding.status, finding.cured_at = str(FindingStatus.CURED), now
        entries.append(
            Entry(FindingEvent.CURED, ("finding", finding.id), before, finding.snapshot())
        )
    record_many(session, actor, entries)  # its flush writes the new states too
    return findings


def _swept(
    session: Session, actor: Actor, limits: Limits, report: SweepReport, *, covers: bool
) -> None:
    """The sweep's own entry: how far it read (None when it ran only some checks or subjects
    it was given, so that the next sweep does not take it as covering everything), with when,
    the limits and the counts."""
    after: dict[str, object] = {
        "through": report.through if covers else None,
        "now": limits.now.isoformat(),
        "full": report.full,
        "explain_days": limits.explain_days,
        "denied_repeats": limits.denied_repeats,
        "denied_hours": limits.denied_hours,
        "checked": report.checked,
        "new": len(report.new),
        "cured": len(report.cured),
    }
    if limits.restricted:
        after["subjects"] = {
            "activities": len(limits.activity_ids or ()),
            "recordings": len(limits.recording_ids or ()),
            "people": len(limits.person_ids or ()),
            "sample_items": len(limits.item_ids or ()),
        }
    record(session, actor, FindingEvent.SWEPT, ("finding_sweep", report.through), after=after)


def _one_at_a_time(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})

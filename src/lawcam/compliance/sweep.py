"""A sweep (``lawcam findings sweep``): every check run, each candidate whose key is new stored as
a finding to be verified (audited), and each pending finding of a swept rule whose cause is gone
(a late explanation given, a link detached) marked cured, never deleted. Sweeps never duplicate:
the key is unique, and on PostgreSQL one sweep runs at a time (an advisory lock for the length
of the transaction; SQLite has one writer anyway)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.compliance.checks import CHECKS, Candidate, Check, Limits
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


@dataclass
class SweepReport:
    new: list[Finding] = field(default_factory=list)
    cured: list[Finding] = field(default_factory=list)
    checked: int = 0  # candidates seen


def sweep(
    *,
    session: Session,
    actor: Actor,
    limits: Limits,
    statement_days: int,
    checks: Sequence[Check] = CHECKS,
    progress: Callable[[int, int], None] | None = None,
) -> SweepReport:
    actor.require(Action.FINDING_SWEEP)
    _one_at_a_time(session)
    seen = _collect(session, limits, checks, progress)
    known = {f.key: f for f in session.scalars(select(Finding).where(Finding.rule.in_(SWEPT)))}
    report = SweepReport(checked=len(seen))
    due = timedelta(days=statement_days)
    for key, candidate in seen.items():
        if key not in known:
            report.new.append(store(session, actor, candidate, due))
    for key, finding in known.items():
        if key not in seen and finding.status == FindingStatus.PENDING:
            report.cured.append(_cured(session, actor, finding))
    return report


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


def store(session: Session, actor: Actor, candidate: Candidate, due: timedelta) -> Finding:
    """A candidate stored as a finding to be verified, audited; ``due``: the statement window."""
    info, now = candidate.rule.info, utcnow()
    finding = Finding(
        key=candidate.key, rule=str(candidate.rule), article=info.article, severity=str(info.severity),
        person_id=candidate.person_id, unit_id=candidate.unit_id, subject_type=candidate.subject_type,
        subject_id=candidate.subject_id, summary=candidate.summary[:1000], evidence=candidate.evidence,
        status=str(FindingStatus.PENDING), found_at=now, found_by=actor.label,
        statement_due=now + due if candidate.person_id is not None else None,
    )  # fmt: skip
    session.add(finding)
    session.flush()
    record(session, actor, FindingEvent.FOUND, ("finding", finding.id), after=finding.snapshot())
    return finding


def _cured(session: Session, actor: Actor, finding: Finding) -> Finding:
    before = finding.snapshot()
    finding.status, finding.cured_at = str(FindingStatus.CURED), utcnow()
    record(
        session,
        actor,
        FindingEvent.CURED,
        ("finding", finding.id),
        before=before,
        after=finding.snapshot(),
    )
    return finding


def _one_at_a_time(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})

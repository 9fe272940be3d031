"""A recording's effective retention (R14.2): the latest date its original must be kept.

The recording row's ``retain_until`` is what was promised at ingest; later facts (a corrected
start time today; linked penalty cases and holds later) may only ever push it further. Each
extension is a write-once ``retain_until`` correction row beside the recording, so the
effective date is the largest of them and can never shrink. The store's own lock follows each
extension (``BlobStore.extend_retention``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Actor
from lawcam.errors import Conflict
from lawcam.evidence.models import Correction, Recording
from lawcam.evidence.queries import viewing_copy_of
from lawcam.evidence.timing import lock_until
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage import BlobStore, StorageError
from lawcam.timeutil import utcnow

# The correction field that records an extension; never offered to users as a correction.
RETAIN_UNTIL_FIELD = "retain_until"


def latest(promised: date, extensions: Iterable[str]) -> date:
    """The latest of the promised date and the recorded extensions (ISO dates)."""
    return max([promised, *(date.fromisoformat(value) for value in extensions)])


def effective_retention(session: Session, recording: Recording) -> date:
    stmt = select(Correction.value).where(
        Correction.recording_id == recording.id, Correction.field == RETAIN_UNTIL_FIELD
    )
    return latest(recording.retain_until, session.scalars(stmt))


def effective_retentions(session: Session, recordings: Sequence[Recording]) -> dict[int, date]:
    """The effective retention of each recording of a list, in one query (not one per row)."""
    extensions: dict[int, list[str]] = defaultdict(list)
    if recordings:
        stmt = select(Correction.recording_id, Correction.value).where(
            Correction.recording_id.in_([r.id for r in recordings]),
            Correction.field == RETAIN_UNTIL_FIELD,
        )
        for recording_id, value in session.execute(stmt):
            extensions[recording_id].append(value)
    return {r.id: latest(r.retain_until, extensions[r.id]) for r in recordings}


def extend(
    *,
    session: Session,
    actor: Actor,
    recording: Recording,
    until: date,
    reason: str,
    store: BlobStore,
) -> Correction | None:
    """Keep the original at least until ``until``: a write-once ``retain_until`` row with its
    own audit entry, and the store's lock lengthened to match. Nothing when the effective
    retention already reaches that far: retention only ever grows (R14.2, R15.1)."""
    if until <= effective_retention(session, recording):
        return None
    extension = Correction(
        recording_id=recording.id,
        field=RETAIN_UNTIL_FIELD,
        value=until.isoformat(),
        reason=reason[:1000],
        corrected_by=actor.label,
        corrected_at=utcnow(),
    )
    session.add(extension)
    session.flush()
    after = {
        "field": RETAIN_UNTIL_FIELD,
        "value": extension.value,
        "reason": extension.reason,
        "correction": extension.snapshot(),  # every column, checked by verify (R15.1)
    }
    subject = ("recording", recording.id)
    record(session, actor, EvidenceEvent.RETENTION_EXTENDED, subject, after=after)
    _lock_longer(store, recording, recording.sha256, until)
    copy = viewing_copy_of(session, recording.id)
    if copy is not None:  # its viewing copy is locked as long as the original (viewing.py)
        _lock_longer(store, recording, copy.sha256, until)
    return extension


def _lock_longer(store: BlobStore, recording: Recording, sha256: str, until: date) -> None:
    """The database row and the store's lock go together: if the store refuses, the whole
    change (correction included) is rolled back and nothing claims a lock that is not there."""
    try:
        store.extend_retention(sha256, lock_until(until))
    except StorageError as exc:
        raise Conflict(
            f"存储未能将资料 #{recording.id} 的保存期限延长至 {until.isoformat()}，"
            f"本次更正未保存；请检查存储后重试。（{exc}）",
            code="storage_refused",
        ) from exc

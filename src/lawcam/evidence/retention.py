"""A recording's effective retention (R14.2): the latest date its original must be kept.

The recording row's ``retain_until`` is what was promised at ingest; later facts (a corrected
start time today; linked penalty cases and holds later) may only ever push it further. Each
extension is a write-once ``retain_until`` correction row beside the recording, so the
effective date is the largest of them and can never shrink.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.evidence.models import Correction, Recording

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

"""``lawcam verify``: the stored originals re-hashed (SHA-256 and SM3, on every core), rows
and store cross-checked both ways, recording rows checked against the audit entries that
recorded them, and the audit log checked (``audit.integrity``). Whatever is found is listed
and audited; it will become a finding (Art. 18 (4)(5))."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.integrity import Collector
from lawcam.audit.integrity import check_log as check_audit_log
from lawcam.audit.models import AuditEvent
from lawcam.audit.service import record
from lawcam.audit.types import IntegrityEvent
from lawcam.authz import Actor
from lawcam.db import Database
from lawcam.errors import Conflict
from lawcam.evidence.models import Recording
from lawcam.evidence.rehash import Progress, Rehash
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage import BlobStore, StoredObject


@dataclass(frozen=True)
class RowFacts:
    id: int
    sha256: str
    sm3: str
    size: int


def _rows(session: Session) -> dict[str, RowFacts]:
    stmt = select(Recording.id, Recording.sha256, Recording.sm3, Recording.size)
    return {sha: RowFacts(i, sha, sm3, size) for i, sha, sm3, size in session.execute(stmt)}


def _check_presence(
    rows: dict[str, RowFacts], stored: dict[str, StoredObject], found: Collector
) -> None:
    """Both ways: a row whose blob is gone, a blob no row points to, a size that differs."""
    for sha, row in rows.items():
        blob = stored.get(sha)
        if blob is None:
            found.add("object_missing", f"recording:{row.id}", f"no stored object {sha}")
        elif blob.size != row.size:
            found.add(
                "object_size_differs",
                f"recording:{row.id}",
                f"stored {blob.size} bytes, recorded {row.size}",
            )
    for sha, blob in stored.items():
        if sha not in rows:
            found.add("object_without_row", f"object:{sha}", f"{blob.size} bytes, no recording")


def _check_strays(store: BlobStore, found: Collector) -> None:
    strays: Iterator[object] = getattr(store, "strays", lambda: iter(()))()
    for stray in strays:
        found.add("object_stray", f"store:{stray}", "a file in the store that is not an object")


def _check_contents(rows: dict[str, RowFacts], rehash: Rehash, found: Collector) -> None:
    """Every object that has a row: its bytes hashed again, both digests compared."""
    for sha, row in rows.items():
        if sha not in rehash.stored:
            continue
        result = rehash.result(sha)
        found.objects_checked += 1
        if isinstance(result, str):
            found.add("object_unreadable", f"recording:{row.id}", result)
            continue
        found.bytes_checked += result.size
        if result.sha256 != row.sha256:
            found.add("object_altered", f"recording:{row.id}", f"SHA-256 is now {result.sha256}")
        if result.sm3 != row.sm3:
            found.add("object_sm3_differs", f"recording:{row.id}", f"SM3 is now {result.sm3}")


def _check_rows_against_audit(
    session: Session, rows: dict[str, RowFacts], found: Collector
) -> None:
    """A recording row says what its (tamper-evident) ingest audit entry said: an edited
    digest or size in the row is named as such."""
    tags = (str(EvidenceEvent.RECORDING_INGESTED), str(EvidenceEvent.RECORDING_ADOPTED))
    stmt = select(AuditEvent.subject_id, AuditEvent.entry).where(
        AuditEvent.subject_type == "recording", AuditEvent.tag.in_(tags)
    )
    # The hashed entry, not the convenience columns beside it, is what the tree protects.
    audited = {
        int(sid): json.loads(entry).get("after") or {} for sid, entry in session.execute(stmt)
    }
    present = {row.id for row in rows.values()}
    for recording_id, entry in audited.items():
        if recording_id not in present:
            found.add(
                "recording_missing",
                f"recording:{recording_id}",
                f"its row is gone; ingested as {entry.get('sha256')} ({entry.get('size')} bytes)",
            )
    for row in rows.values():
        entry = audited.get(row.id)
        if entry is None:
            found.add("recording_not_audited", f"recording:{row.id}", "no ingest audit entry")
            continue
        for key in ("sha256", "sm3", "size"):
            if entry.get(key) != getattr(row, key):
                found.add(
                    "recording_row_altered",
                    f"recording:{row.id}",
                    f"{key} is {getattr(row, key)}, the audit entry recorded {entry.get(key)}",
                )


def check_objects(
    *,
    session: Session,
    store: BlobStore,
    found: Collector,
    on_bytes: Progress | None = None,
    rehash: Rehash | None = None,
) -> None:
    """Rows and store both ways, and every object's digests; ``rehash``, when given, is the
    re-hashing the caller started early (else it starts here)."""
    with contextlib.ExitStack() as stack:
        if rehash is None:
            rehash = stack.enter_context(Rehash(store, on_bytes))
        rows = _rows(session)
        _check_presence(rows, rehash.stored, found)
        _check_strays(store, found)
        _check_rows_against_audit(session, rows, found)
        _check_contents(rows, rehash, found)


def verify(
    *,
    database: Database,
    store: BlobStore,
    public_key: bytes,
    actor: Actor,
    log: bool = True,
    objects: bool = True,
    on_event: Progress | None = None,
    on_bytes: Progress | None = None,
    anchors: dict[int, bytes] | None = None,
    rehash: Rehash | None = None,
) -> Collector:
    """Checks, then one audit entry with what was checked and found (never skipped)."""
    found = Collector()
    with database.read() as session:
        if log:
            check_audit_log(
                session=session,
                public_key=public_key,
                found=found,
                on_event=on_event,
                anchors=anchors,
            )
        if objects:
            check_objects(
                session=session, store=store, found=found, on_bytes=on_bytes, rehash=rehash
            )
    _record_run(database, actor, store, log, objects, found)
    return found


def _record_run(
    database: Database, actor: Actor, store: BlobStore, log: bool, objects: bool, found: Collector
) -> None:
    """The run and what it found, audited. A log broken badly enough may refuse the entry
    (a leaf already stored at the next index, subtrees missing): the findings still stand."""
    try:
        _append_run(database, actor, store, log, objects, found)
    except (Conflict, LookupError) as exc:
        found.add("verify_not_audited", "audit_log", f"the verify run could not be audited: {exc}")


def _append_run(
    database: Database, actor: Actor, store: BlobStore, log: bool, objects: bool, found: Collector
) -> None:
    with database.unit_of_work() as session:
        after = {
            "log": log,
            "objects": objects,
            "events_checked": found.events_checked,
            "objects_checked": found.objects_checked,
            "bytes_checked": found.bytes_checked,
            "problems": [p.as_dict() for p in found.problems[:200]],
            "problem_count": len(found.problems),
        }
        record(session, actor, IntegrityEvent.VERIFY_RUN, ("verify", store.url), after=after)

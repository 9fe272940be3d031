"""``lawcam verify``: the stored originals re-hashed (SHA-256 and SM3, on every core), rows
and store cross-checked both ways, every column of every write-once row (recordings, their
sightings and corrections, viewing copies) checked against the audit entry that created it,
each object's protection in the store checked against its effective retention, and the audit
log checked (``audit.integrity``). Whatever is found is listed and audited; it will become a
finding (Art. 18 (4)(5))."""

from __future__ import annotations

import base64
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.integrity import Collector
from lawcam.audit.integrity import check_log as check_audit_log
from lawcam.audit.keys import public_key_for
from lawcam.audit.models import AuditEvent
from lawcam.audit.service import record
from lawcam.audit.signing import signature_valid
from lawcam.audit.types import IntegrityEvent
from lawcam.authz import Actor
from lawcam.db import Database
from lawcam.documents.integrity import check_documents_against_audit
from lawcam.documents.queries import DocumentFacts, all_documents
from lawcam.errors import Conflict
from lawcam.evidence.models import (
    Correction,
    Disposition,
    Recording,
    Sighting,
    ViewingCopy,
    json_value,
)
from lawcam.evidence.rehash import Progress, Rehash
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage import BlobStore, Protection, StorageError, StoredObject
from lawcam.timeutil import lock_until

# A check of a domain above evidence, given the read session, the store and the collector.
Check = Callable[[Session, BlobStore, Collector], None]


@dataclass(frozen=True)
class RowFacts:
    """A row that names a stored object: a recording, a filed document (a report's scan) or
    a recording's viewing copy, each kept write-once like an original; several documents may
    name one object."""

    id: int
    sha256: str
    sm3: str
    size: int
    kind: str = "recording"
    keep: date | None = None  # a document's retention (a recording's is computed)
    of_recording: int | None = None  # a viewing copy's recording: locked as long as it

    @property
    def kept_as(self) -> int:
        """The recording whose effective retention this object's lock must reach."""
        return self.id if self.of_recording is None else self.of_recording

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}"


Row = Mapping[Any, Any]


def _table(session: Session, table: Any) -> dict[int, Row]:
    """Every row of a write-once table by id, all columns, in one query."""
    return {int(row["id"]): row for row in session.execute(select(table)).mappings()}


def _facts(
    recordings: dict[int, Row], documents: list[DocumentFacts], copies: dict[int, Row]
) -> list[RowFacts]:
    held = [
        RowFacts(rid, str(row["sha256"]), str(row["sm3"]), int(row["size"]))
        for rid, row in recordings.items()
    ]
    held += [
        RowFacts(i, sha, sm3, size, kind="document", keep=keep)
        for i, sha, sm3, size, keep in documents
    ]
    return held + [
        RowFacts(
            cid, str(row["sha256"]), str(row["sm3"]), int(row["size"]), kind="viewing_copy",
            of_recording=int(row["recording_id"]),
        )
        for cid, row in copies.items()
    ]  # fmt: skip


def _check_presence(
    rows: list[RowFacts], stored: dict[str, StoredObject], found: Collector, disposed: set[int]
) -> None:
    """Both ways: a row whose blob is gone, a blob no row points to, a size that differs. An
    object removed by an approved disposal (its recording has a disposition) is meant to be
    gone; one still there after its disposition is named."""
    for row in rows:
        blob = stored.get(row.sha256)
        if row.kept_as in disposed and row.kind != "document":
            if blob is not None:
                found.add(
                    "disposed_object_present",
                    row.subject,
                    f"disposed of, yet {row.sha256} is stored",
                )
            continue
        if blob is None:
            found.add("object_missing", row.subject, f"no stored object {row.sha256}")
        elif blob.size != row.size:
            found.add(
                "object_size_differs", row.subject, f"stored {blob.size} bytes, recorded {row.size}"
            )
    named = {row.sha256 for row in rows}
    for sha, blob in stored.items():
        if sha not in named:
            found.add("object_without_row", f"object:{sha}", f"{blob.size} bytes, no recording")


def _check_strays(store: BlobStore, found: Collector) -> None:
    strays: Iterator[object] = getattr(store, "strays", lambda: iter(()))()
    for stray in strays:
        found.add("object_stray", f"store:{stray}", "a file in the store that is not an object")


def _check_contents(rows: list[RowFacts], rehash: Rehash, found: Collector) -> None:
    """Every object that has a row: its bytes hashed again (once), both digests compared."""
    counted: set[str] = set()
    for row in rows:
        if row.sha256 not in rehash.stored:
            continue
        result = rehash.result(row.sha256)
        if isinstance(result, str):
            found.add("object_unreadable", row.subject, result)
            continue
        if row.sha256 not in counted:
            counted.add(row.sha256)
            found.objects_checked += 1
            found.bytes_checked += result.size
        if result.sha256 != row.sha256:
            found.add("object_altered", row.subject, f"SHA-256 is now {result.sha256}")
        if result.sm3 != row.sm3:
            found.add("object_sm3_differs", row.subject, f"SM3 is now {result.sm3}")


# Write-once rows against the entries that created them ---------------------------------------

_CREATED = frozenset({str(EvidenceEvent.RECORDING_INGESTED), str(EvidenceEvent.RECORDING_ADOPTED)})
# Keys of entries written before they carried every column, by the column they name.
_LEGACY_SIGHTING_KEYS = {
    "path": "source_path",
    "ingest_run_id": "ingest_run_id",
    "device_id": "device_id",
}


@dataclass
class _Audited:
    """What the hashed audit entries say each write-once row holds. Entries written before
    they carried every column (and the row's id) are kept apart, per recording in log order,
    and matched to the rows they can only have created in the same order."""

    recordings: dict[int, dict[str, Any]] = field(default_factory=dict)
    sightings: dict[int, dict[str, Any]] = field(default_factory=dict)
    corrections: dict[int, dict[str, Any]] = field(default_factory=dict)
    old_sightings: dict[int, list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    old_corrections: dict[int, list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    first_sighting_unrecorded: set[int] = field(default_factory=set)
    dispositions: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, recording_id: int, tag: str, after: dict[str, Any]) -> None:
        sighting, correction = after.get("sighting"), after.get("correction")
        disposition = after.get("disposition")
        if tag == EvidenceEvent.RECORDING_DISPOSED and isinstance(disposition, dict):
            self.dispositions[int(disposition["id"])] = disposition
        if tag in _CREATED:
            self.recordings[recording_id] = after
            if not isinstance(sighting, dict):
                self.first_sighting_unrecorded.add(recording_id)
        if isinstance(sighting, dict) and "id" in sighting:
            self.sightings[int(sighting["id"])] = sighting
        elif tag == EvidenceEvent.RECORDING_SIGHTED:
            old = {
                column: after[key] for key, column in _LEGACY_SIGHTING_KEYS.items() if key in after
            }
            self.old_sightings[recording_id].append(old)
        if isinstance(correction, dict) and "id" in correction:
            self.corrections[int(correction["id"])] = correction
        elif tag == EvidenceEvent.RECORDING_CORRECTED:
            self.old_corrections[recording_id].append(after)


def _audited(session: Session) -> _Audited:
    """Every entry about a recording, read in one query; the hashed entry, not the convenience
    columns beside it, is what the tree protects."""
    stmt = (
        select(AuditEvent.subject_id, AuditEvent.tag, AuditEvent.entry)
        .where(AuditEvent.subject_type == "recording")
        .order_by(AuditEvent.seq)
    )
    audited = _Audited()
    for subject_id, tag, entry in session.execute(stmt):
        after = json.loads(entry).get("after")
        if isinstance(after, dict) and str(subject_id).isdigit():
            audited.add(int(subject_id), str(tag), after)
    return audited


def _same(stored: object, recorded: object) -> bool:
    """A column against its entry's JSON value: times compared as instants (an entry may
    hold the device's offset, the row holds UTC)."""
    if isinstance(stored, datetime) and isinstance(recorded, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(recorded) == stored
        return False
    if isinstance(stored, date) and isinstance(recorded, str):
        return stored.isoformat() == recorded
    return stored == recorded


def _compare(found: Collector, kind: str, subject: str, row: Row, recorded: dict[str, Any]) -> None:
    """Each column the entry names, one problem per differing column. Entries written before
    they carried every column are compared on the keys they have."""
    for column, value in recorded.items():
        if column in row and not _same(row[column], value):
            found.add(
                f"{kind}_row_altered",
                subject,
                f"{column} is {json_value(row[column])}, the audit entry recorded {value}",
            )


def _check_written_once(
    found: Collector,
    kind: str,
    rows: dict[int, Row],
    audited: dict[int, dict[str, Any]],
    old: Mapping[int, list[dict[str, Any]]] | None = None,
) -> None:
    """Rows of one write-once table both ways against their entries: a row gone, a row
    without an entry, each altered column."""
    for row_id, recorded in audited.items():
        row = rows.get(row_id)
        if row is None:
            found.add(
                f"{kind}_missing",
                f"{kind}:{row_id}",
                f"its row is gone; the audit entry recorded {_brief(recorded)}",
            )
        else:
            _compare(found, kind, f"{kind}:{row_id}", row, recorded)
    unmatched: dict[int, list[Row]] = defaultdict(list)
    for row_id, row in sorted(rows.items()):
        if row_id not in audited:
            unmatched[int(row.get("recording_id", row_id))].append(row)
    _check_by_order(found, kind, unmatched, old or {})


def _check_by_order(
    found: Collector, kind: str, rows: dict[int, list[Row]], old: Mapping[int, list[dict[str, Any]]]
) -> None:
    """Rows without an entry naming them, paired per recording in order with the older
    entries that named no row: what is left on either side is named."""
    for recording_id in sorted(set(rows) | set(old)):
        left, entries = rows.get(recording_id, []), old.get(recording_id, [])
        for row, recorded in zip(left, entries, strict=False):
            _compare(found, kind, f"{kind}:{row['id']}", row, recorded)
        for row in left[len(entries) :]:
            found.add(
                f"{kind}_not_audited",
                f"{kind}:{row['id']}",
                f"no audit entry created it ({_brief(dict(row))})",
            )
        for recorded in entries[len(left) :]:
            found.add(
                f"{kind}_missing",
                f"recording:{recording_id}",
                f"a {kind} the audit log recorded has no row ({_brief(recorded)})",
            )


def _brief(values: Mapping[str, Any]) -> str:
    shown = ("sha256", "size", "source_path", "field", "value")
    return ", ".join(f"{key} {json_value(values[key])}" for key in shown if key in values)


def _copies_made(session: Session) -> dict[int, dict[str, Any]]:
    """What each viewing copy's entry recorded (every column), by the copy's id."""
    stmt = select(AuditEvent.subject_id, AuditEvent.entry).where(
        AuditEvent.subject_type == "viewing_copy",
        AuditEvent.tag == str(EvidenceEvent.VIEWING_COPY_MADE),
    )
    made: dict[int, dict[str, Any]] = {}
    for subject_id, entry in session.execute(stmt):
        after = json.loads(entry).get("after")
        if isinstance(after, dict) and str(subject_id).isdigit():
            made[int(subject_id)] = after
    return made


def _check_rows_against_audit(
    session: Session, recordings: dict[int, Row], copies: dict[int, Row], found: Collector
) -> None:
    """Every column of every recording, viewing copy, sighting and correction row against the
    (tamper-evident) audit entry that created it (R15.1). Entries and rows are each read in
    bulk."""
    audited = _audited(session)
    _check_written_once(found, "recording", recordings, audited.recordings)
    _check_written_once(found, "viewing_copy", copies, _copies_made(session))
    sightings = _table(session, Sighting.__table__)
    for sighting_id, row in list(sightings.items()):
        # A first sighting recorded before ingest entries carried it: its recording's entry
        # vouches for it (nothing more to compare).
        if (
            not row["duplicate"]
            and int(row["recording_id"]) in audited.first_sighting_unrecorded
            and sighting_id not in audited.sightings
        ):
            del sightings[sighting_id]
    _check_written_once(found, "sighting", sightings, audited.sightings, audited.old_sightings)
    corrections = _table(session, Correction.__table__)
    _check_written_once(
        found, "correction", corrections, audited.corrections, audited.old_corrections
    )


def _check_dispositions(
    session: Session, rows: dict[int, Row], public_key: bytes | None, found: Collector
) -> None:
    """Each tombstone against the entry that wrote it (R15.1), and its signature: a disposal
    can be proven offline, and a forged one is named."""
    _check_written_once(found, "disposition", rows, _audited(session).dispositions)
    if public_key is None:
        return
    for row_id, row in rows.items():
        try:
            signature = base64.b64decode(str(row["signature"]), validate=True)
        except ValueError:
            signature = b""
        key = public_key_for(session, str(row["key_id"]), public_key)  # the node that disposed
        if not signature_valid(key, str(row["record"]).encode(), signature):
            found.add(
                "disposition_signature_bad",
                f"disposition:{row_id}",
                "its signature does not verify",
            )


# The store's own protection -----------------------------------------------------------------


def _check_protection(
    session: Session,
    store: BlobStore,
    rows: list[RowFacts],
    stored: dict[str, StoredObject],
    found: Collector,
) -> None:
    """Each original as the store protects it: a local file must have no write bit; an S3
    object must be locked COMPLIANCE at least through its effective retention (R14.2, R15.1)."""
    required: dict[int, datetime] | None = None  # read once, and only from a store that locks
    for row in rows:
        if row.sha256 not in stored:
            continue
        try:
            protection = store.protection(row.sha256)
        except StorageError as exc:
            found.add("object_unreadable", row.subject, f"its protection is unreadable: {exc}")
            continue
        if protection is None:
            continue
        if protection.writable:
            found.add(
                "object_writable", row.subject, "the original has write permission (not 0444)"
            )
        if protection.store_locks and row.keep is not None:
            _check_lock(found, row.subject, protection, lock_until(row.keep))
        elif protection.store_locks:
            required = _required_lock(session) if required is None else required
            _check_lock(found, row.subject, protection, required.get(row.kept_as))


def _check_lock(
    found: Collector, subject: str, protection: Protection, needed: datetime | None
) -> None:
    if protection.lock_mode != "COMPLIANCE":
        mode = protection.lock_mode or "none"
        found.add("object_not_locked", subject, f"lock mode is {mode}, not COMPLIANCE")
        return
    until = protection.retain_until
    if needed is not None and (until is None or until < needed):
        shown = until.isoformat() if until else "none"
        found.add(
            "object_lock_too_short",
            subject,
            f"locked until {shown}; the effective retention needs {needed.isoformat()}",
        )


def _required_lock(session: Session) -> dict[int, datetime]:
    """Each recording's lock instant from its effective retention, all in two queries (only
    read for stores that lock)."""
    from lawcam.evidence.retention import effective_retentions

    recordings = list(session.scalars(select(Recording)))
    return {rid: lock_until(day) for rid, day in effective_retentions(session, recordings).items()}


def check_objects(
    *,
    session: Session,
    store: BlobStore,
    found: Collector,
    on_bytes: Progress | None = None,
    rehash: Rehash | None = None,
    public_key: bytes | None = None,
) -> None:
    """Rows and store both ways, and every object's digests; ``rehash``, when given, is the
    re-hashing the caller started early (else it starts here); ``public_key``, when given,
    checks each disposition's signature."""
    with contextlib.ExitStack() as stack:
        if rehash is None:
            rehash = stack.enter_context(Rehash(store, on_bytes))
        recordings = _table(session, Recording.__table__)
        copies = _table(session, ViewingCopy.__table__)
        dispositions = _table(session, Disposition.__table__)
        disposed = {int(row["recording_id"]) for row in dispositions.values()}
        rows = _facts(recordings, all_documents(session), copies)
        _check_presence(rows, rehash.stored, found, disposed)
        _check_strays(store, found)
        _check_rows_against_audit(session, recordings, copies, found)
        _check_dispositions(session, dispositions, public_key, found)
        check_documents_against_audit(session, found)
        _check_protection(session, store, rows, rehash.stored, found)
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
    also: Sequence[Check] = (),
) -> Collector:
    """Checks, then one audit entry with what was checked and found (never skipped). ``also``:
    the checks of domains above this one (retention's legal holds), run with the objects."""
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
                session=session, store=store, found=found, on_bytes=on_bytes, rehash=rehash,
                public_key=public_key,
            )  # fmt: skip
            for check in also:
                check(session, store, found)
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

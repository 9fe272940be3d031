"""Provision packages (调取/提供包, Art. 15, R15.2): what an outside party receives when an
office leader approves providing recordings, and can check offline without lawcam.

A package is a ZIP streamed in bounded memory (originals larger than RAM, ZIP64 where needed):

    originals/<id>_<name>    the originals, byte-identical, stored uncompressed
    manifest.json            per file: path, name, size, SHA-256, SM3, the recording's facts;
                             the approval; the tree head; receipt.pdf's digests
    audit/entries.jsonl      the audit entries of those recordings' ingest and of the approval,
                             one a line, exactly as the log stored them (leaf index = "seq")
    audit/proofs.json        each entry's RFC 9162 inclusion proof against the tree head
    audit/tree_head.json     the signed tree head (size, root, timestamp, signature, key id)
    audit/public_key.pem     the key that signs tree heads (Ed25519)
    receipt.pdf              调取/提供登记表, with a QR code of the tree head's size and root
    verify_package.py        the verifier: Python's standard library only

The package is built from small input records (``PackageFile``, ``Approval``, ``Evidence``)
that the access domain fills; ``gather_evidence`` reads the audit entries and proofs from a
session (reports only read). Each original's SHA-256 is recomputed as it streams: an original
that no longer matches its recording aborts the stream before the ZIP's central directory, so
a damaged store never yields a package that unpacks.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from importlib import resources
from typing import BinaryIO

import segno
import zipstream.ng  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session
from zipstream import ZipStream
from zlib_ng import zlib_ng

from lawcam.access.models import AccessRequest
from lawcam.audit import log, merkle
from lawcam.audit.models import AuditEvent, TreeHead
from lawcam.db.base import json_value
from lawcam.errors import LawcamError
from lawcam.evidence.models import Recording
from lawcam.evidence.types import EvidenceEvent
from lawcam.reports import verify_package as verifier
from lawcam.reports.labels import cjk_font, draw_qr
from lawcam.storage import BlobStore
from lawcam.timeutil import local, utcnow

CHUNK = 1 << 20  # one read of an original: large enough that hashing, not Python, sets the pace
FORMAT = "lawcam-provision-package/1"
INGEST_TAGS = (EvidenceEvent.RECORDING_INGESTED.value, EvidenceEvent.RECORDING_ADOPTED.value)
# The ZIP's CRC-32 by zlib-ng (carry-less multiply: ~50 GB/s of CPU) instead of the system
# zlib's (~4 GB/s): otherwise the CRC alone adds half of a SHA-256 pass to every package.
# zipstream-ng calls the ``crc32`` it imported from zipfile; the same function, only faster.
zipstream.ng.crc32 = zlib_ng.crc32
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class PackageError(LawcamError):
    """A package that cannot be built truthfully (an entry or a proof is missing, or an
    original no longer matches its recording)."""

    code = "package_error"
    http_status = 409


# What the access domain fills ---------------------------------------------------------------


@dataclass(frozen=True)
class PackageFile:
    """One original: its recording's digests and facts, and how to read its bytes."""

    recording_id: int
    original_name: str
    size: int
    sha256: str
    sm3: str
    facts: Mapping[str, object]
    open: Callable[[], BinaryIO]

    @property
    def name(self) -> str:
        """Its path in the ZIP: the recording id keeps two cameras' ``clip.mp4`` apart."""
        safe = _UNSAFE.sub("_", self.original_name).strip(". ") or "recording"
        return f"originals/{self.recording_id}_{safe}"


@dataclass(frozen=True)
class Approval:
    """The decision that allows the provision, as the receipt and manifest state it.
    ``audit_seq`` is the decision's audit entry: its subject is ("access_request",
    ``request_id``), and the verifier checks the manifest's approval against the keys that entry
    records (``as_dict`` names them as the access request's columns: purpose, recipient,
    recipient_org, decided_by, decided_at, decision_reason)."""

    request_id: int
    requester: str
    approver: str  # who decided (``decided_by``)
    decided_at: datetime
    purpose: str
    recipient: str
    audit_seq: int
    organisation: str = ""  # the recipient's organisation (``recipient_org``)
    reason: str = ""  # the approver's words (``decision_reason``)

    def as_dict(self) -> dict[str, object]:
        return {
            "request_id": self.request_id,
            "requested_by": self.requester,
            "decided_by": self.approver,
            "decided_at": self.decided_at.isoformat(),
            "purpose": self.purpose,
            "recipient": self.recipient,
            "recipient_org": self.organisation,
            "decision_reason": self.reason,
            "audit_seq": self.audit_seq,
        }


@dataclass(frozen=True)
class Head:
    size: int
    root: str
    timestamp: str  # exactly as signed (``TreeHead.timestamp.isoformat()``)
    signature: str
    key_id: str

    @classmethod
    def of(cls, head: TreeHead) -> Head:
        return cls(head.size, head.root, head.timestamp.isoformat(), head.signature, head.key_id)


@dataclass(frozen=True)
class Proof:
    leaf_index: int
    leaf_hash: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """Audit entries (leaf index, the exact stored entry), their proofs against ``head``, and
    the raw Ed25519 public key that signed it."""

    entries: Sequence[tuple[int, str]]
    proofs: Sequence[Proof]
    head: Head
    public_key: bytes


@dataclass
class PackageStream:
    """The ZIP as bytes chunks (iterate once), with its exact length for Content-Length."""

    size: int
    filename: str
    _zip: ZipStream = field(repr=False)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._zip:
            yield bytes(chunk)


# Reading what the package proves ------------------------------------------------------------


def recording_facts(recording: Recording) -> dict[str, object]:
    """The recording's facts for the manifest. Keys that are columns of the row are checked by
    the verifier against the ingest entry (which records every column); the names beside the
    ids are for the reader."""
    officer = recording.officer
    columns = (
        "device_id", "officer_id", "officer_source", "unit_id", "kind", "container", "duration_s",
        "start_at", "end_at", "start_source", "clock_offset_s", "corrected_start_at",
        "corrected_end_at", "ingested_at", "workstation",
    )  # fmt: skip
    return {
        "id": recording.id,
        **{name: json_value(getattr(recording, name)) for name in columns},
        "device": recording.device.serial,
        "device_asset_no": recording.device.asset_no,
        "officer": officer.name if officer else None,
        "officer_badge": officer.badge if officer else None,
        "unit": recording.unit.name,
    }


def package_file(recording: Recording, open: Callable[[], BinaryIO]) -> PackageFile:
    """A ``PackageFile`` of a recording row; ``open`` reads its original (``store.open``)."""
    return PackageFile(
        recording_id=recording.id,
        original_name=recording.original_name,
        size=recording.size,
        sha256=recording.sha256,
        sm3=recording.sm3,
        facts=recording_facts(recording),
        open=open,
    )


def _entries(session: Session, recording_ids: Sequence[int], approval_seq: int) -> list[AuditEvent]:
    ids = [str(i) for i in recording_ids]
    found: dict[int, AuditEvent] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        stmt = select(AuditEvent).where(
            AuditEvent.subject_type == "recording",
            AuditEvent.subject_id.in_(ids[start : start + 500]),
            AuditEvent.tag.in_(INGEST_TAGS),
        )
        found.update((e.seq, e) for e in session.scalars(stmt))
    missing = set(ids) - {e.subject_id for e in found.values()}
    if missing:
        raise PackageError(
            f"审计日志中找不到录像 {sorted(missing)[:5]} 的入库记录，无法生成提供包。"
        )
    approval = session.scalars(select(AuditEvent).where(AuditEvent.seq == approval_seq)).first()
    if approval is None:
        raise PackageError(f"审计日志中找不到审批记录（序号 {approval_seq}），无法生成提供包。")
    found[approval.seq] = approval
    return [found[seq] for seq in sorted(found)]


def _prefetched(session: Session, indexes: Iterable[int], size: int) -> merkle.Fetch:
    """One read of every subtree the proofs need (in batches), not one query per proof: the
    keys are learnt by a dry run of the proofs over placeholder hashes."""
    wanted: dict[merkle.NodeKey, None] = {}

    def record(keys: Iterable[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        keys = list(keys)
        wanted.update(dict.fromkeys(keys))
        return dict.fromkeys(keys, bytes(32))

    for index in indexes:
        merkle.inclusion(record, index, size)
    fetch, keys = log.fetcher(session), list(wanted)
    nodes: dict[merkle.NodeKey, bytes] = {}
    for start in range(0, len(keys), 500):
        nodes.update(fetch(keys[start : start + 500]))
    return lambda ask: {key: nodes[key] for key in ask}


def gather_evidence(
    session: Session,
    *,
    recording_ids: Sequence[int],
    approval_seq: int,
    head: TreeHead,
    public_key: bytes,
) -> Evidence:
    """The ingest entries of ``recording_ids`` and the approval's entry ``approval_seq``, with
    inclusion proofs against ``head`` (which must cover them all: e.g. ``log.head_covering``)."""
    events = _entries(session, recording_ids, approval_seq)
    if events[-1].seq >= head.size:
        raise PackageError(
            f"树头（大小 {head.size}）尚未包含审计记录 {events[-1].seq}，请先签署新的树头。"
        )
    fetch = _prefetched(session, (e.seq for e in events), head.size)
    proofs = []
    for event in events:
        leaf, path, root = merkle.inclusion(fetch, event.seq, head.size)
        if root.hex() != head.root or leaf != merkle.leaf_hash(event.entry.encode("utf-8")):
            raise PackageError(
                f"审计记录 {event.seq} 与树头不一致（审计日志可能被改动），请运行 lawcam verify。"
            )
        proofs.append(Proof(event.seq, leaf.hex(), tuple(h.hex() for h in path)))
    entries = [(e.seq, e.entry) for e in events]
    return Evidence(entries, proofs, Head.of(head), public_key)


# The receipt: 调取/提供登记表 -----------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
LABEL_WIDTH = 32 * mm
QR_SIZE = 38 * mm
# A package of thousands of recordings lists them all in manifest.json; the paper form lists
# this many (about six pages) and refers to the manifest for the rest.
RECEIPT_FILES = 100
_GREY = Color(0.35, 0.35, 0.35)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most ``width`` points, broken anywhere (Chinese has no spaces to break at)."""
    lines, line = [], ""
    for char in text:
        if stringWidth(line + char, font, size) > width and line:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


class _Sheet:
    """A top-down writer over A4 pages that starts a new page when the next block won't fit."""

    def __init__(self, title: str) -> None:
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4)
        self.canvas.setTitle(title)
        self.font = cjk_font()
        self.y = PAGE_HEIGHT - MARGIN

    def room(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.canvas.showPage()
            self.y = PAGE_HEIGHT - MARGIN

    def text(self, value: str, size: float = 10, *, x: float = MARGIN, grey: bool = False) -> None:
        lines = _wrap(value, self.font, size, PAGE_WIDTH - MARGIN - x)
        self.room(len(lines) * size * 1.45)
        self.canvas.setFillColor(_GREY if grey else black)
        self.canvas.setFont(self.font, size)
        for line in lines:
            self.y -= size * 1.45
            self.canvas.drawString(x, self.y, line)
        self.canvas.setFillColor(black)

    def row(self, label: str, value: str, size: float = 10) -> None:
        lines = _wrap(value, self.font, size, PAGE_WIDTH - 2 * MARGIN - LABEL_WIDTH)
        self.room(len(lines) * size * 1.45 + 3)
        self.canvas.setFont(self.font, size)
        self.canvas.drawString(MARGIN, self.y - size * 1.45, label)
        for line in lines:
            self.y -= size * 1.45
            self.canvas.drawString(MARGIN + LABEL_WIDTH, self.y, line)
        self.y -= 3

    def gap(self, height: float = 6) -> None:
        self.y -= height

    def done(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _shown(value: object) -> str:
    """A time the facts give in ISO 8601, as users read it (Beijing time)."""
    try:
        return local(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


def _receipt_files(sheet: _Sheet, files: Sequence[PackageFile]) -> None:
    sheet.text(f"二、提供的原始文件（共 {len(files)} 个，{sum(f.size for f in files):,} 字节）", 12)
    for number, file in enumerate(files[:RECEIPT_FILES], 1):
        facts = file.facts
        who = f"{facts.get('officer') or '未知'}（{facts.get('officer_badge') or '无警号'}）"
        sheet.text(f"{number}. {file.name}    {file.size:,} 字节", 9)
        sheet.text(
            f"设备 {facts.get('device', '')}　执法人员 {who}　单位 {facts.get('unit', '')}"
            f"　开始 {_shown(facts.get('start_at'))}",
            8, x=MARGIN + 5 * mm, grey=True,
        )  # fmt: skip
        sheet.text(f"SHA-256 {file.sha256}", 7.5, x=MARGIN + 5 * mm)
        sheet.text(f"SM3     {file.sm3}", 7.5, x=MARGIN + 5 * mm)
    if len(files) > RECEIPT_FILES:
        rest = len(files) - RECEIPT_FILES
        sheet.text(
            f"其余 {rest} 个文件的名称与摘要见包内 manifest.json（同一树头的审计记录逐一证明）。", 9
        )


def _receipt_head(sheet: _Sheet, evidence: Evidence) -> None:
    head = evidence.head
    sheet.room(QR_SIZE + 40)
    sheet.text("三、审计日志签名树头（RFC 9162，Ed25519）", 12)
    top = sheet.y
    for label, value in (
        ("日志大小（条）", str(head.size)),
        ("根哈希 SHA-256", head.root),
        ("签名时间", local(datetime.fromisoformat(head.timestamp))),
        ("公钥标识", head.key_id),
    ):
        sheet.row(label, value, 9)
    qr = json.dumps({"root": head.root, "size": head.size}, sort_keys=True, separators=(",", ":"))
    x = PAGE_WIDTH - MARGIN - QR_SIZE
    draw_qr(sheet.canvas, segno.make(qr, error="m").matrix, x, top - QR_SIZE - 45, QR_SIZE)
    sheet.y = min(sheet.y, top - QR_SIZE - 45)
    sheet.text("二维码内容：树头的大小与根哈希（JSON）。应与本单位纸质锚定页一致。", 8, grey=True)


def receipt_pdf(
    files: Sequence[PackageFile], approval: Approval, evidence: Evidence, created_at: datetime
) -> bytes:
    """调取/提供登记表: the approval, every original with its digests, the tree head (with a QR
    code of its size and root) and lines for both sides to sign."""
    sheet = _Sheet("执法音像记录调取/提供登记表")
    sheet.text("执法音像记录调取/提供登记表", 18)
    sheet.text(f"生成时间（北京时间）：{local(created_at)}", 9, grey=True)
    sheet.gap()
    sheet.text("一、审批", 12)
    for label, value in (
        ("申请编号", str(approval.request_id)),
        ("申请人", approval.requester),
        ("审批人", approval.approver),
        ("审批时间", local(approval.decided_at)),
        ("用途", approval.purpose),
        ("接收方", approval.recipient),
        ("接收单位", approval.organisation or "—"),
        ("审批意见", approval.reason or "—"),
        ("审批审计序号", str(approval.audit_seq)),
    ):
        sheet.row(label, value)
    sheet.gap()
    _receipt_files(sheet, files)
    sheet.gap()
    _receipt_head(sheet, evidence)
    sheet.gap(10)
    sheet.text(
        "四、核验：解压后运行 python3 verify_package.py 解压后的文件夹（只需 Python 标准库），", 9
    )
    sheet.text("逐一核对每个文件的 SHA-256 与 SM3、审计记录的包含证明和树头签名。", 9)
    sheet.gap(24)
    sheet.text(
        "提供人（签字）：____________　　接收人（签字）：____________　　日期：____________", 10
    )
    return sheet.done()


# Writing the package ------------------------------------------------------------------------


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def _digests(data: bytes) -> dict[str, object]:
    return {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sm3": hashlib.new("sm3", data).hexdigest(),
    }


def _file_entry(file: PackageFile) -> dict[str, object]:
    return {
        "path": file.name,
        "original_name": file.original_name,
        "size": file.size,
        "sha256": file.sha256,
        "sm3": file.sm3,
        "recording": {**file.facts, "id": file.recording_id},
    }


def _head_document(evidence: Evidence) -> dict[str, object]:
    head = evidence.head
    return {
        "size": head.size,
        "root": head.root,
        "timestamp": head.timestamp,
        "signature": head.signature,
        "key_id": head.key_id,
        "public_key": evidence.public_key.hex(),
    }


def manifest(
    files: Sequence[PackageFile],
    approval: Approval,
    evidence: Evidence,
    receipt: bytes,
    created_at: datetime,
) -> dict[str, object]:
    head = evidence.head
    return {
        "format": FORMAT,
        "title": "执法音像记录调取/提供包",
        "created_at": created_at.isoformat(),
        "approval": approval.as_dict(),
        "files": [_file_entry(f) for f in files],
        "documents": [{"path": verifier.RECEIPT, **_digests(receipt)}],
        "tree_head": {"size": head.size, "root": head.root, "key_id": head.key_id},
        "audit": {
            "entries": verifier.ENTRIES,
            "proofs": verifier.PROOFS,
            "tree_head": verifier.HEAD,
            "public_key": verifier.PUBLIC_KEY,
        },
        "verify": "python3 verify_package.py 解压后的文件夹",
    }


def _audit_files(evidence: Evidence) -> dict[str, bytes]:
    entries = b"".join(entry.encode("utf-8") + b"\n" for _seq, entry in evidence.entries)
    proofs = {
        "tree_size": evidence.head.size,
        "root": evidence.head.root,
        "proofs": [
            {"leaf_index": p.leaf_index, "leaf_hash": p.leaf_hash, "path": list(p.path)}
            for p in evidence.proofs
        ],
    }
    key = Ed25519PublicKey.from_public_bytes(evidence.public_key)
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return {
        verifier.ENTRIES: entries,
        verifier.PROOFS: _json(proofs),
        verifier.HEAD: _json(_head_document(evidence)),
        verifier.PUBLIC_KEY: pem,
    }


def _checked(file: PackageFile, chunk_size: int) -> Iterator[bytes]:
    """The original's bytes, re-hashed on the way: a mismatch raises before the ZIP's central
    directory is written, so the receiver holds no package that unpacks. A worker thread reads
    and hashes the next block while this one is CRC'd and sent (both release the GIL): the
    package costs about one SHA-256 pass, not SHA-256 plus CRC-32. Two blocks at most are held."""
    sha, size = hashlib.sha256(), 0

    def next_block(handle: BinaryIO) -> bytes:
        block = handle.read(chunk_size)
        sha.update(block)
        return block

    with file.open() as handle, ThreadPoolExecutor(1, "lawcam-package") as worker:
        ahead = worker.submit(next_block, handle)
        while block := ahead.result():
            size += len(block)
            ahead = worker.submit(next_block, handle)
            yield block
    if size != file.size or sha.hexdigest() != file.sha256:
        raise PackageError(
            f"原始文件 {file.original_name}（录像 {file.recording_id}）与入库记录不符"
            "（大小或 SHA-256 不同），提供包已中止。请运行 lawcam verify 检查存储。",
            recording_id=file.recording_id,
        )


def _check_inputs(files: Sequence[PackageFile], evidence: Evidence) -> None:
    if not files:
        raise PackageError("提供包里没有录像。")
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise PackageError("提供包里有重复的录像。")
    proven = {p.leaf_index for p in evidence.proofs}
    if any(seq not in proven for seq, _entry in evidence.entries):
        raise PackageError("有审计记录没有包含证明，无法生成提供包。")


def verifier_source() -> bytes:
    """verify_package.py as installed with lawcam (a module of this package, so always shipped)."""
    return resources.files("lawcam.reports").joinpath(verifier.VERIFIER).read_bytes()


def build_package(
    files: Sequence[PackageFile],
    approval: Approval,
    evidence: Evidence,
    *,
    created_at: datetime | None = None,
    chunk_size: int = CHUNK,
) -> PackageStream:
    """The package as a stream. The small parts (manifest, audit files, receipt) are made now,
    so that a problem with them is raised before any byte is sent; the originals are read only
    as the stream is consumed, ``chunk_size`` bytes at a time."""
    _check_inputs(files, evidence)
    created_at = created_at or utcnow()
    receipt = receipt_pdf(files, approval, evidence, created_at)
    document = manifest(files, approval, evidence, receipt, created_at)
    archive = ZipStream(sized=True)  # stored, not deflated: originals are compressed media
    for file in files:
        archive.add(_checked(file, chunk_size), file.name, size=file.size)
    archive.add(_json(document), verifier.MANIFEST)
    for name, data in _audit_files(evidence).items():
        archive.add(data, name)
    archive.add(receipt, verifier.RECEIPT)
    archive.add(verifier_source(), verifier.VERIFIER)
    filename = f"lawcam-package-{approval.request_id}.zip"
    return PackageStream(size=len(archive), filename=filename, _zip=archive)


# One approved provision, as the web and the command line hand it out -----------------------


def approval_of(row: AccessRequest, seq: int) -> Approval:
    """An approved request's decision as the package states it (``seq``: its audit entry)."""
    if row.decided_at is None:
        raise PackageError("该申请尚未审批，不能生成提供包。")
    return Approval(
        request_id=row.id,
        requester=row.requested_by,
        approver=row.decided_by,
        decided_at=row.decided_at,
        purpose=row.purpose,
        recipient=row.recipient,
        audit_seq=seq,
        organisation=row.recipient_org,
        reason=row.decision_reason,
    )


def provision(
    session: Session,
    *,
    row: AccessRequest,
    seq: int,
    head: TreeHead,
    public_key: bytes,
    store: BlobStore,
) -> tuple[PackageStream, list[int]]:
    """The package of an approved provision (checked by the caller) and the recordings in it;
    the originals are read from ``store`` only as the stream is consumed."""
    ids = sorted(row.recording_ids)
    recordings = session.scalars(
        select(Recording).where(Recording.id.in_(ids)).order_by(Recording.id)
    )
    files = [package_file(r, partial(store.open, r.sha256)) for r in recordings]
    evidence = gather_evidence(
        session, recording_ids=ids, approval_seq=seq, head=head, public_key=public_key
    )
    return build_package(files, approval_of(row, seq), evidence), ids

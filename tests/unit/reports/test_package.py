"""Provision packages (issue 16 item 6; R15.2): a package built from a real home, with
recordings ingested through the real path, an approval in the audit log and a signed tree head,
verifies clean with ``verify_package.py`` in a bare Python (no lawcam, no site-packages), and the
verifier names each kind of tampering: a flipped byte in an original, an edited manifest, a
removed file, an added file, an altered proof or entry, a forged head."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import cryptography
import pytest

from lawcam.audit import log
from lawcam.audit.models import TreeHead
from lawcam.audit.service import record
from lawcam.audit.signing import load_signer
from lawcam.authz import console_actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.models import Recording
from lawcam.reports import verify_package
from lawcam.reports.package import (
    Approval,
    Evidence,
    PackageError,
    PackageFile,
    build_package,
    gather_evidence,
    package_file,
    receipt_pdf,
)
from lawcam.storage import open_store
from tests.conftest import BACKEND, _worker, pg_create, pg_drop
from tests.evidence_helpers import ingest
from tests.factories import build_office
from tests.media import make_jpeg, make_mp4, make_wav

pytestmark = pytest.mark.req("R15.2")

BARE_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
REQUEST_ID = 7


@dataclass(frozen=True)
class Built:
    zip_path: Path
    files: list[PackageFile]
    approval: Approval
    evidence: Evidence
    originals: dict[str, bytes]  # name in the zip -> the stored original
    url: str  # the home's database, still there while the module's tests run


DECIDED_AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def _approve(database: Database) -> int:
    """The decision's audit entry, as the access domain writes it (the request's facts)."""
    after = {
        "action": "provide",
        "status": "approved",
        "purpose": "诉讼案件举证：（2026）某行初 12 号",
        "recipient": "某区人民法院 李法官",
        "recipient_org": "某区人民法院",
        "decided_by": "王五(分管领导)",
        "decided_at": DECIDED_AT.isoformat(),
        "decision_reason": "同意提供",
    }
    with database.unit_of_work() as session:
        event = record(
            session,
            console_actor("tester"),
            "access:request:decide",
            ("access_request", REQUEST_ID),
            before={"status": "pending"},
            after=after,
        )
        return event.seq


def _package(database: Database, settings: Settings, approval_seq: int, to: Path) -> Built:
    store = open_store(settings.resolved_storage_url)
    signer = load_signer(settings.home)
    head = log.head_covering(database, signer, approval_seq)
    with database.read() as session:
        recordings = session.query(Recording).order_by(Recording.id).all()
        files = [package_file(r, lambda sha=r.sha256: store.open(sha)) for r in recordings]
        evidence = gather_evidence(
            session,
            recording_ids=[r.id for r in recordings],
            approval_seq=approval_seq,
            head=head,
            public_key=signer.public_key,
        )
    approval = Approval(
        request_id=REQUEST_ID,
        requester="张三(010001)",
        approver="王五(分管领导)",
        decided_at=DECIDED_AT,
        purpose="诉讼案件举证：（2026）某行初 12 号",
        recipient="某区人民法院 李法官",
        audit_seq=approval_seq,
        organisation="某区人民法院",
        reason="同意提供",
    )
    stream = build_package(files, approval, evidence)
    with to.open("wb") as sink:
        for chunk in stream:
            sink.write(chunk)
    assert to.stat().st_size == stream.size
    originals = {f.name: store.open(f.sha256).read() for f in files}
    return Built(to, files, approval, evidence, originals, database.url)


@pytest.fixture(scope="module")
def built(db_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("package")
    pg_name = None
    if BACKEND == "postgresql":
        pg_name = f"lawcam_package_{_worker()}"
        url = pg_create(pg_name, template=db_template)
    else:
        shutil.copy(db_template, folder / "lawcam.db")
        url = f"sqlite:///{folder / 'lawcam.db'}"
    database = Database(url)
    settings = Settings(home=folder / "home", database_url=url)
    settings.home.mkdir()
    card = folder / "card"
    card.mkdir()
    make_wav(card / "REC_20261130_090000.wav", seconds=0.5)
    make_jpeg(card / "现场照片.jpg")
    make_mp4(card / "clip.mp4", seconds=0.5)
    try:
        build_office(database, settings, console_actor("tester"))
        assert len(ingest(database, settings, console_actor("tester"), card).files) == 3
        yield _package(database, settings, _approve(database), folder / "package.zip")
    finally:
        database.dispose()
        if pg_name:
            pg_drop(pg_name)


@pytest.fixture
def unpacked(built: Built, tmp_path: Path) -> Path:
    target = tmp_path / "收到的包"
    with zipfile.ZipFile(built.zip_path) as archive:
        archive.extractall(target)
    return target


def run_verifier(folder: Path) -> tuple[int, str]:
    """``python3 verify_package.py DIR`` in a bare interpreter: isolated (-I), no site-packages
    (-S), an empty environment: neither lawcam nor cryptography can be imported."""
    done = subprocess.run(
        [BARE_PYTHON, "-I", "-S", str(folder / "verify_package.py"), str(folder)],
        capture_output=True,
        text=True,
        env={},
        timeout=60,
        check=False,
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout


def manifest_of(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(folder: Path, manifest: dict) -> None:  # type: ignore[type-arg]
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def original(built: Built, suffix: str) -> str:
    return next(name for name in built.originals if name.endswith(suffix))


# The package as built -----------------------------------------------------------------------


def test_the_bare_interpreter_has_no_lawcam_and_no_cryptography() -> None:
    for module in ("lawcam", "cryptography"):
        done = subprocess.run(
            [BARE_PYTHON, "-I", "-S", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            env={},
            check=False,
        )
        assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr, module


def test_the_zip_holds_byte_identical_originals_and_every_part(built: Built) -> None:
    with zipfile.ZipFile(built.zip_path) as archive:
        names = set(archive.namelist())
        assert names == {
            *built.originals,
            "manifest.json",
            "audit/entries.jsonl",
            "audit/proofs.json",
            "audit/tree_head.json",
            "audit/public_key.pem",
            "receipt.pdf",
            "verify_package.py",
        }
        photo = next(f for f in built.files if f.original_name == "现场照片.jpg")
        assert f"originals/{photo.recording_id}_现场照片.jpg" in names
        for name, data in built.originals.items():
            assert archive.read(name) == data
            assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED
        source = Path(verify_package.__file__).read_bytes()
        assert archive.read("verify_package.py") == source
        manifest = json.loads(archive.read("manifest.json"))
        entries = archive.read("audit/entries.jsonl").decode().splitlines()
    assert manifest["approval"]["request_id"] == REQUEST_ID
    assert manifest["approval"]["recipient"] == "某区人民法院 李法官"
    first = manifest["files"][0]
    assert first["sha256"] == hashlib.sha256(built.originals[first["path"]]).hexdigest()
    assert first["sm3"] == hashlib.new("sm3", built.originals[first["path"]]).hexdigest()
    assert {"device", "officer", "unit", "start_at", "end_at", "ingested_at"} <= set(
        first["recording"]
    )
    # The exact stored entries: the recordings' ingest and the approval, in leaf order.
    assert entries == [entry for _seq, entry in built.evidence.entries]
    tags = [json.loads(line)["tag"] for line in entries]
    assert tags == ["evidence:recording:ingest"] * 3 + ["access:request:decide"]


def test_the_receipt_is_a_chinese_register_form_with_the_tree_head(
    built: Built, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with zipfile.ZipFile(built.zip_path) as archive:
        (tmp_path / "receipt.pdf").write_bytes(archive.read("receipt.pdf"))
    done = subprocess.run(
        ["pdftotext", str(tmp_path / "receipt.pdf"), "-"], capture_output=True, check=True
    )
    text = done.stdout.decode()
    head = built.evidence.head
    for expected in ("调取/提供登记表", "某区人民法院 李法官", "王五(分管领导)", "接收人（签字）"):
        assert expected in text
    assert head.root in text and head.key_id in text
    assert built.files[0].sha256 in text


def test_the_receipt_of_many_recordings_lists_a_hundred_and_refers_to_the_manifest(
    built: Built, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    many = [replace(built.files[0], recording_id=i) for i in range(1, 151)]
    (tmp_path / "r.pdf").write_bytes(receipt_pdf(many, built.approval, built.evidence, DECIDED_AT))
    done = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True)
    text = done.stdout.decode()
    assert "共 150 个" in text and "100. originals/100_" in text and "101. " not in text
    assert "其余 50 个文件的名称与摘要见包内 manifest.json" in text


# The verifier -------------------------------------------------------------------------------


def test_a_clean_package_verifies_in_a_bare_python(built: Built, unpacked: Path) -> None:
    status, out = run_verifier(unpacked)
    assert status == 0, out
    assert "核验通过" in out
    # Without cryptography it shows what to compare with the paper anchor.
    assert "未安装 cryptography" in out
    assert built.evidence.head.root in out and built.evidence.head.key_id in out


def run_with_cryptography(folder: Path) -> tuple[int, str]:
    """The verifier in a bare interpreter with the venv's site-packages put on the path by
    hand, its .pth files unread: cryptography is importable and lawcam (an editable install,
    found through a .pth file) is not."""
    site = str(Path(cryptography.__file__).parents[1])
    code = (
        "import importlib.util, runpy, sys\n"
        f"sys.path.append({site!r})\n"
        "assert importlib.util.find_spec('lawcam') is None\n"
        f"sys.argv = ['verify_package.py', {str(folder)!r}]\n"
        f"runpy.run_path({str(folder / 'verify_package.py')!r}, run_name='__main__')\n"
    )
    command = [sys.executable, "-I", "-S", "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, env={}, check=False)
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout


def test_with_cryptography_the_head_signature_is_checked(unpacked: Path) -> None:
    status, out = run_with_cryptography(unpacked)
    assert status == 0, out
    assert "Ed25519 签名有效" in out

    head_file = unpacked / "audit" / "tree_head.json"
    head = json.loads(head_file.read_text())
    head["size"] += 1  # a head that claims more than was signed
    head_file.write_text(json.dumps(head))
    status, out = run_with_cryptography(unpacked)
    assert status == 1
    assert "audit/tree_head.json：树头的 Ed25519 签名无效" in out


def test_a_flipped_byte_in_an_original_is_named(built: Built, unpacked: Path) -> None:
    name = original(built, "clip.mp4")
    path = unpacked / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    status, out = run_verifier(unpacked)
    assert status == 1
    assert f"{name}：SHA-256 不符" in out and f"{name}：SM3 不符" in out
    assert "核验未通过，发现 2 个问题" in out


def test_an_edited_manifest_is_named(built: Built, unpacked: Path) -> None:
    """Facts the audit log records are checked against it: a start time moved, an original
    renamed, another request named as the approval, another recipient."""
    manifest = manifest_of(unpacked)
    manifest["files"][0]["recording"]["start_at"] = "2026-11-30T08:00:00+00:00"
    manifest["files"][1]["original_name"] = "另一个文件.jpg"
    manifest["approval"]["request_id"] = 8
    manifest["approval"]["recipient"] = "某律师事务所"
    write_manifest(unpacked, manifest)
    status, out = run_verifier(unpacked)
    assert status == 1
    assert "manifest.json：" in out
    assert "的“start_at”写作 '2026-11-30T08:00:00+00:00'" in out
    assert "的“original_name”写作 '另一个文件.jpg'" in out
    assert "审批的申请编号 8 与审计记录" in out
    assert "审批的“recipient”写作 '某律师事务所'，审计记录" in out
    assert "核验未通过，发现 4 个问题" in out


def test_a_rejection_is_no_approval(unpacked: Path) -> None:
    entries_file = unpacked / "audit" / "entries.jsonl"
    lines = entries_file.read_text(encoding="utf-8").splitlines()
    lines[-1] = lines[-1].replace('"status":"approved"', '"status":"rejected"')
    entries_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out = run_verifier(unpacked)
    assert status == 1
    assert "记载的审批结果是 'rejected'，不是批准" in out


def test_a_digest_edited_in_the_manifest_is_named(built: Built, unpacked: Path) -> None:
    manifest = manifest_of(unpacked)
    name = manifest["files"][2]["path"]
    manifest["files"][2]["sha256"] = "0" * 64
    write_manifest(unpacked, manifest)
    status, out = run_verifier(unpacked)
    assert status == 1
    assert f"{name}：SHA-256 不符" in out
    assert f"{name} 的“sha256”写作 '{'0' * 64}'" in out


def test_a_removed_file_is_named(built: Built, unpacked: Path) -> None:
    name = original(built, ".wav")
    (unpacked / name).unlink()
    (unpacked / "audit" / "public_key.pem").unlink()
    status, out = run_verifier(unpacked)
    assert status == 1
    assert f"{name}：缺少文件" in out
    assert "audit/public_key.pem：缺少文件" in out


def test_an_added_file_is_named(unpacked: Path) -> None:
    (unpacked / "originals" / "extra.mp4").write_bytes(b"planted")
    (unpacked / "说明.txt").write_text("x")
    status, out = run_verifier(unpacked)
    assert status == 1
    assert "originals/extra.mp4：多出的文件" in out
    assert "说明.txt：多出的文件" in out


def test_an_altered_proof_is_named(built: Built, unpacked: Path) -> None:
    proofs_file = unpacked / "audit" / "proofs.json"
    proofs = json.loads(proofs_file.read_text())
    proof = proofs["proofs"][1]
    proof["path"][0] = hashlib.sha256(b"forged").hexdigest()
    proofs_file.write_text(json.dumps(proofs))
    status, out = run_verifier(unpacked)
    assert status == 1
    expected = f"audit/proofs.json：审计记录 {proof['leaf_index']} 的包含证明不成立"
    assert expected in out
    assert "核验未通过，发现 1 个问题" in out


def test_an_altered_audit_entry_is_named(unpacked: Path) -> None:
    entries_file = unpacked / "audit" / "entries.jsonl"
    lines = entries_file.read_text(encoding="utf-8").splitlines()
    lines[-1] = lines[-1].replace("某区人民法院", "某律师事务所")
    entries_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seq = json.loads(lines[-1])["seq"]
    status, out = run_verifier(unpacked)
    assert status == 1
    assert f"audit/entries.jsonl：审计记录 {seq} 的叶哈希与证明不符" in out
    assert f"审计记录 {seq} 的包含证明不成立" in out


def test_a_manifest_pointing_outside_the_package_is_refused(unpacked: Path) -> None:
    manifest = manifest_of(unpacked)
    manifest["files"][0]["path"] = "../../etc/passwd"
    write_manifest(unpacked, manifest)
    status, out = run_verifier(unpacked)
    assert status == 1
    assert "清单中的文件名 '../../etc/passwd' 不是包内的相对路径" in out


def test_a_garbled_manifest_is_named_not_a_traceback(unpacked: Path) -> None:
    (unpacked / "manifest.json").write_text('{"files": [}', encoding="utf-8")
    status, out = run_verifier(unpacked)
    assert status == 1
    assert "manifest.json：不是有效的 JSON" in out


# Building ----------------------------------------------------------------------------------


def test_an_original_that_no_longer_matches_aborts_the_stream(built: Built) -> None:
    file = built.files[0]
    damaged = replace(file, open=lambda: io.BytesIO(b"\0" * file.size))
    chunks: list[bytes] = []
    with pytest.raises(PackageError, match="与入库记录不符"):
        for chunk in build_package([damaged, *built.files[1:]], built.approval, built.evidence):
            chunks.append(chunk)
    with pytest.raises(zipfile.BadZipFile):  # no central directory: nothing that unpacks
        zipfile.ZipFile(io.BytesIO(b"".join(chunks)))


def test_gathering_refuses_what_the_log_cannot_prove(built: Built) -> None:
    database = Database(built.url)
    head = built.evidence.head
    ids = [f.recording_id for f in built.files]
    seq = built.approval.audit_seq

    def gather(recording_ids: list[int], size: int, root: str) -> Evidence:
        signed = TreeHead(
            size=size, root=root, timestamp=datetime.now(UTC), signature="", key_id=""
        )
        with database.read() as session:
            return gather_evidence(
                session, recording_ids=recording_ids, approval_seq=seq, head=signed, public_key=b""
            )

    try:
        assert gather(ids, head.size, head.root).entries == built.evidence.entries
        with pytest.raises(PackageError, match=r"找不到录像 \['999'\] 的入库记录"):
            gather([*ids, 999], head.size, head.root)
        with pytest.raises(PackageError, match=f"尚未包含审计记录 {seq}"):
            gather(ids, seq, head.root)
        with pytest.raises(PackageError, match="与树头不一致"):
            gather(ids, head.size, "0" * 64)
    finally:
        database.dispose()


def test_a_package_needs_an_entry_and_a_proof_for_every_part(built: Built) -> None:
    evidence = replace(built.evidence, proofs=built.evidence.proofs[:-1])
    with pytest.raises(PackageError, match="没有包含证明"):
        build_package(built.files, built.approval, evidence)
    with pytest.raises(PackageError, match="没有录像"):
        build_package([], built.approval, built.evidence)


def test_building_a_64_mib_original_stays_in_bounded_memory(built: Built, tmp_path: Path) -> None:
    size = 64 << 20
    path = tmp_path / "big.mp4"
    sha = hashlib.sha256()
    with path.open("wb") as handle:
        for i in range(64):
            block = os.urandom(1024) * 1024 if i == 0 else bytes([i]) * (1 << 20)
            sha.update(block)
            handle.write(block)
    big = replace(built.files[0], size=size, sha256=sha.hexdigest(), open=lambda: path.open("rb"))
    tracemalloc.start()
    try:
        stream = build_package([big], built.approval, built.evidence)
        _, built_peak = tracemalloc.get_traced_memory()  # the receipt PDF, its font, the manifest
        tracemalloc.reset_peak()
        written = 0
        for chunk in stream:
            written += len(chunk)
        _, streaming_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == stream.size > size
    # Two 1 MiB blocks at most are alive at once (the one read, the one handed on).
    assert streaming_peak < 4 << 20, f"{streaming_peak / 2**20:.1f} MiB streaming 64 MiB"
    assert built_peak < 32 << 20, f"{built_peak / 2**20:.1f} MiB before the first byte"

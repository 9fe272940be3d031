#!/usr/bin/env python3
"""核验 lawcam 调取/提供包（执法音像记录）。 Verifies a lawcam provision package offline.

    python3 verify_package.py [DIR]        (DIR: the unpacked package; default: this file's folder)

Needs only Python's standard library (3.8 or later): nothing of lawcam is imported. It checks

- every file the manifest lists: present, its size, SHA-256 and SM3 (SM3 when this Python's
  OpenSSL has it; otherwise it says so, and that alone is no problem); no file missing or added;
- every audit entry: its RFC 9162 leaf hash and inclusion proof against the tree head's root;
- that the entries record the ingest of every listed original (recording id, SHA-256, SM3,
  size, name and the facts the entry states) and the approval the manifest names;
- the tree head's Ed25519 signature, when the ``cryptography`` package is importable.

The tree head and the key's fingerprint are printed in every case: compare them with the
office's paper anchor (审计日志树头锚定页: 日志大小, 根哈希, 公钥标识), which is what ties this package
to that office's log. Exit status 0: everything checks out; 1: each problem is named.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from datetime import datetime
from typing import Any

MANIFEST = "manifest.json"
ENTRIES = "audit/entries.jsonl"
PROOFS = "audit/proofs.json"
HEAD = "audit/tree_head.json"
PUBLIC_KEY = "audit/public_key.pem"
RECEIPT = "receipt.pdf"
VERIFIER = "verify_package.py"
EXPECTED = (MANIFEST, ENTRIES, PROOFS, HEAD, PUBLIC_KEY, VERIFIER)

HEAD_PREFIX = b"lawcam tree head v1\n"
INGEST_TAGS = ("evidence:recording:ingest", "evidence:recording:adopt")
# The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key's 32 bytes follow.
ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")
BLOCK = 1 << 20


class Report:
    """What the checks found: problems (each names its file) and notes."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.sm3_unchecked = False

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{name}：{message}")
        say(f"  ✗ {name}：{message}")


def say(text: str = "") -> None:
    print(text, flush=True)


# Files --------------------------------------------------------------------------------------


def safe_name(name: object) -> bool:
    """A relative path inside the package: a manifest must not point the verifier elsewhere."""
    if not isinstance(name, str) or not name or name.startswith(("/", "\\")):
        return False
    parts = name.split("/")
    return ":" not in parts[0] and all(p not in ("", ".", "..") and "\\" not in p for p in parts)


def present_files(root: str) -> set[str]:
    found: set[str] = set()
    for folder, _dirs, files in os.walk(root):
        for file in files:
            rel = os.path.relpath(os.path.join(folder, file), root)
            found.add(rel.replace(os.sep, "/"))
    return found


def sm3_hasher() -> Any:
    try:
        return hashlib.new("sm3")
    except ValueError:  # this OpenSSL has no SM3
        return None


def digests(path: str) -> tuple[int, str, str | None]:
    sha, sm3 = hashlib.sha256(), sm3_hasher()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            size += len(block)
            sha.update(block)
            if sm3 is not None:
                sm3.update(block)
    return size, sha.hexdigest(), None if sm3 is None else sm3.hexdigest()


def listed_files(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [*manifest.get("files", []), *manifest.get("documents", [])]


def check_file(root: str, item: dict[str, Any], report: Report) -> None:
    name = item["path"]
    size, sha, sm3 = digests(os.path.join(root, *name.split("/")))
    if size != item["size"]:
        report.problem(name, f"大小不符：清单记 {item['size']} 字节，实际 {size} 字节")
    if sha != item["sha256"]:
        report.problem(name, f"SHA-256 不符：清单记 {item['sha256']}，实际 {sha}（文件被改动）")
    if sm3 is None:
        report.sm3_unchecked = True
    elif "sm3" in item and sm3 != item["sm3"]:
        report.problem(name, f"SM3 不符：清单记 {item['sm3']}，实际 {sm3}（文件被改动）")


def check_files(root: str, manifest: dict[str, Any], report: Report) -> None:
    present = present_files(root)
    listed: set[str] = set(EXPECTED)
    for item in listed_files(manifest):
        name = item.get("path") if isinstance(item, dict) else None
        if not isinstance(name, str) or not safe_name(name):
            report.problem(MANIFEST, f"清单中的文件名 {name!r} 不是包内的相对路径")
            continue
        listed.add(name)
        if name not in present:
            report.problem(name, "缺少文件：清单列出了它，包里却没有（被删除或改名）")
            continue
        check_file(root, item, report)
    for name in (n for n in EXPECTED if n not in present and n != VERIFIER):
        report.problem(name, "缺少文件：包里应有它")
    for name in sorted(present - listed):
        report.problem(name, "多出的文件：清单没有列出它（包被添加了文件）")


# The audit log: RFC 9162 -------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root ``path`` leads to from ``leaf``, or None if it cannot."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def read_entries(root: str, report: Report) -> dict[int, tuple[bytes, dict[str, Any]]]:
    """Each line is one entry exactly as the log stored it (canonical JSON, UTF-8); its leaf
    index is its ``seq``, which the leaf hash covers."""
    entries: dict[int, tuple[bytes, dict[str, Any]]] = {}
    with open(os.path.join(root, *ENTRIES.split("/")), "rb") as handle:
        lines = handle.read().split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        try:
            entry = json.loads(line.decode("utf-8"))
            entries[int(entry["seq"])] = (line, entry)
        except (ValueError, KeyError, TypeError):
            report.problem(ENTRIES, f"第 {number} 行不是一条审计记录")
    return entries


def check_proofs(
    entries: dict[int, tuple[bytes, dict[str, Any]]],
    proofs: dict[str, Any],
    head: dict[str, Any],
    report: Report,
) -> None:
    size, root = int(head["size"]), bytes.fromhex(head["root"])
    by_index = {int(p["leaf_index"]): p for p in proofs["proofs"]}
    if int(proofs.get("tree_size", size)) != size:
        report.problem(PROOFS, f"证明所对的树大小 {proofs.get('tree_size')} 与树头 {size} 不同")
    for seq, (line, _entry) in sorted(entries.items()):
        proof = by_index.get(seq)
        if proof is None:
            report.problem(PROOFS, f"审计记录 {seq} 没有包含证明")
            continue
        leaf = leaf_hash(line)
        if proof.get("leaf_hash", leaf.hex()) != leaf.hex():
            report.problem(ENTRIES, f"审计记录 {seq} 的叶哈希与证明不符（记录被改动）")
        path = [bytes.fromhex(h) for h in proof["path"]]
        if inclusion_root(seq, size, leaf, path) != root:
            report.problem(
                PROOFS, f"审计记录 {seq} 的包含证明不成立：算不出树头的根哈希（记录或证明被改动）"
            )


# The manifest against the audited entries ------------------------------------------------


def same_value(stated: object, audited: object) -> bool:
    """Equal as the entry states it; times are compared as instants (any ISO 8601 spelling)."""
    if stated == audited:
        return True
    if isinstance(stated, str) and isinstance(audited, str):
        try:
            return datetime.fromisoformat(stated) == datetime.fromisoformat(audited)
        except ValueError:
            return False
    return False


def ingest_entries(entries: dict[int, tuple[bytes, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Recording id -> what its ingest entry recorded (``after``: every column of the row)."""
    found: dict[str, dict[str, Any]] = {}
    for _line, entry in entries.values():
        subject = entry.get("subject") or {}
        if entry.get("tag") in INGEST_TAGS and subject.get("type") == "recording":
            found[str(subject.get("id"))] = entry.get("after") or {}
    return found


def check_recording(item: dict[str, Any], audited: dict[str, Any], report: Report) -> None:
    name = item["path"]
    stated = {
        "sha256": item.get("sha256"),
        "sm3": item.get("sm3"),
        "size": item.get("size"),
        "original_name": item.get("original_name"),
        **(item.get("recording") or {}),
    }
    for key, value in stated.items():
        if key in audited and not same_value(value, audited[key]):
            report.problem(
                MANIFEST,
                f"{name} 的“{key}”写作 {value!r}，入库审计记录却是 {audited[key]!r}（清单被改动）",
            )


def check_recordings(
    manifest: dict[str, Any], entries: dict[int, tuple[bytes, dict[str, Any]]], report: Report
) -> None:
    ingested = ingest_entries(entries)
    for item in manifest.get("files", []):
        recording_id = str((item.get("recording") or {}).get("id"))
        audited = ingested.get(recording_id)
        if audited is None:
            report.problem(
                MANIFEST, f"{item.get('path')}：审计记录中没有录像 {recording_id} 的入库记录"
            )
            continue
        check_recording(item, audited, report)


def check_approval(
    manifest: dict[str, Any], entries: dict[int, tuple[bytes, dict[str, Any]]], report: Report
) -> None:
    """The approval the manifest states is the decision the log recorded: its request, an
    approval (not a rejection), and every fact the entry records (purpose, recipient …)."""
    approval = manifest["approval"]
    seq = approval.get("audit_seq")
    found = entries.get(seq) if isinstance(seq, int) else None
    if found is None:
        report.problem(ENTRIES, f"没有审批的审计记录（序号 {seq!r}）")
        return
    subject, audited = found[1].get("subject") or {}, found[1].get("after") or {}
    if str(subject.get("id")) != str(approval.get("request_id")):
        report.problem(
            MANIFEST,
            f"审批的申请编号 {approval.get('request_id')!r} 与审计记录 {seq} 的对象"
            f" {subject.get('id')!r} 不符（清单被改动）",
        )
    if audited.get("status", "approved") != "approved":
        report.problem(ENTRIES, f"审计记录 {seq} 记载的审批结果是 {audited['status']!r}，不是批准")
    stated = {k: v for k, v in approval.items() if k not in ("audit_seq", "request_id", "status")}
    for key, value in stated.items():
        if key in audited and not same_value(value, audited[key]):
            report.problem(
                MANIFEST,
                f"审批的“{key}”写作 {value!r}，审计记录 {seq} 却是 {audited[key]!r}（清单被改动）",
            )


# The tree head and its key ---------------------------------------------------------------


def head_message(head: dict[str, Any]) -> bytes:
    body = {"root": head["root"], "size": int(head["size"]), "timestamp": head["timestamp"]}
    return HEAD_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def raw_public_key(root: str) -> bytes:
    with open(os.path.join(root, *PUBLIC_KEY.split("/")), encoding="ascii") as handle:
        text = handle.read()
    if "BEGIN" not in text:
        return bytes.fromhex(text.strip())
    body = "".join(line for line in text.splitlines() if line and "-----" not in line)
    der = base64.b64decode(body, validate=True)
    if len(der) != 44 or not der.startswith(ED25519_SPKI):
        raise ValueError("不是 Ed25519 公钥")
    return der[len(ED25519_SPKI) :]


def signature_holds(key: bytes, message: bytes, signature: bytes) -> bool | None:
    """True or False with the ``cryptography`` package; None where it is not installed."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return None
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_head(root: str, head: dict[str, Any], manifest: dict[str, Any], report: Report) -> None:
    key = raw_public_key(root)
    fingerprint = hashlib.sha256(key).hexdigest()[:16]
    say(f"  日志大小（条）   {head['size']}")
    say(f"  根哈希 SHA-256   {head['root']}")
    say(f"  签名时间         {head['timestamp']}")
    say(f"  公钥             {key.hex()}")
    say(f"  公钥标识         {fingerprint}")
    if head.get("key_id") not in (None, fingerprint):
        report.problem(HEAD, f"树头的公钥标识 {head.get('key_id')} 与公钥 {fingerprint} 不符")
    stated = manifest.get("tree_head") or {}
    if stated and (stated.get("size"), stated.get("root")) != (head["size"], head["root"]):
        report.problem(MANIFEST, "清单所记树头（大小、根哈希）与 audit/tree_head.json 不同")
    valid = signature_holds(key, head_message(head), bytes.fromhex(head["signature"]))
    if valid is None:
        say("  签名：本机未安装 cryptography，未核验 Ed25519 签名。")
        say("        请将上面的日志大小、根哈希与公钥标识同纸质锚定页核对。")
    elif valid:
        say("  签名：Ed25519 签名有效。请将公钥标识与纸质锚定页核对。")
    else:
        report.problem(HEAD, "树头的 Ed25519 签名无效（树头或公钥被改动）")


# The run ---------------------------------------------------------------------------------


def load_json(root: str, name: str, report: Report) -> Any:
    try:
        with open(os.path.join(root, *name.split("/")), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        if name == MANIFEST:  # the others are named by the file check
            report.problem(name, "缺少文件：包里应有它")
    except ValueError:
        report.problem(name, "不是有效的 JSON（文件被改动）")
    return None


def guarded(name: str, report: Report, check: Any, *args: Any) -> Any:
    """Runs one check; a file whose structure is not what the package wrote is named, and the
    other checks still run."""
    try:
        return check(*args)
    except FileNotFoundError:
        return None  # named by the file check
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        report.problem(name, f"内容格式不对（文件被改动）：{exc!r}")
    return None


def verify(root: str) -> Report:
    report = Report()
    manifest = load_json(root, MANIFEST, report)
    if not isinstance(manifest, dict):
        report.problem(MANIFEST, "没有可用的清单，无法核验")
        return report
    say("一、文件与摘要（SHA-256、SM3）")
    guarded(MANIFEST, report, check_files, root, manifest, report)
    say("二、审计记录与包含证明（RFC 9162）")
    head, proofs = load_json(root, HEAD, report), load_json(root, PROOFS, report)
    entries = guarded(ENTRIES, report, read_entries, root, report) or {}
    if isinstance(head, dict) and isinstance(proofs, dict):
        guarded(PROOFS, report, check_proofs, entries, proofs, head, report)
    guarded(MANIFEST, report, check_recordings, manifest, entries, report)
    guarded(MANIFEST, report, check_approval, manifest, entries, report)
    say("三、签名树头")
    if isinstance(head, dict):
        guarded(HEAD, report, check_head, root, head, manifest, report)
    return report


def summary(manifest_files: int, report: Report) -> int:
    say()
    if report.sm3_unchecked:
        say("注意：本机 Python 的 OpenSSL 不支持 SM3，未核对 SM3 摘要（SHA-256 已核对）。")
    if report.problems:
        say(f"结论：核验未通过，发现 {len(report.problems)} 个问题：")
        for problem in report.problems:
            say(f"  - {problem}")
        return 1
    say(f"结论：核验通过。{manifest_files} 个原始文件、审计记录、包含证明与树头均一致。")
    return 0


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    args = sys.argv[1:] if argv is None else argv
    root = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    if not os.path.isdir(root):
        say(f"找不到文件夹 {root}。用法：python3 verify_package.py 解压后的文件夹")
        return 1
    say(f"核验调取/提供包：{os.path.abspath(root)}")
    report = verify(root)
    try:
        with open(os.path.join(root, MANIFEST), encoding="utf-8") as handle:
            count = len(json.load(handle).get("files", []))
    except (OSError, ValueError, AttributeError):
        count = 0
    return summary(count, report)


if __name__ == "__main__":
    sys.exit(main())

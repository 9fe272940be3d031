"""``lawcam verify`` and ``lawcam audit sth|proof|consistency|public-key|anchor`` (issue #6;
R15.1, R18.1). One demo home (``lawcam demo --no-serve``: an office, its audit log and ingested
recordings) is built per module; tests that tamper work on a clone of it.

Proofs printed by the CLI are checked with a verifier written here from RFC 9162 §2.1.3.2 and
§2.1.4.2 (independent of lawcam.audit.merkle), against the root of ``audit sth`` and against
roots computed from the rows' entries with the RFC reference of tests/unit/audit/test_merkle.py;
head signatures are checked with ``cryptography`` over the documented signed bytes."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from sqlalchemy import text

from lawcam.audit import merkle  # the attacker rebuilds the tree with our own code
from tests.cli.conftest import Cli
from tests.conftest import BACKEND, _worker, pg_create, pg_drop
from tests.unit.audit.test_merkle import ref_mth, ref_path, ref_proof

pytestmark = [
    pytest.mark.req("R15.1"),
    pytest.mark.req("R18.1"),
]

CHINESE = re.compile(r"[\u4e00-\u9fff]")
VERIFY_KEYS = {"ok", "events_checked", "objects_checked", "bytes_checked", "problems"}
HEAD_KEYS = {"size", "root", "timestamp", "signature", "public_key"}
_counter = itertools.count()


# An RFC 9162 verifier, from the RFC's text --------------------------------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_leaf_hash(entry: bytes) -> bytes:
    return _sha256(b"\x00" + entry)


def rfc_verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if leaf_index >= tree_size:  # 1
        return False
    fn, sn = leaf_index, tree_size - 1  # 2
    r = leaf  # 3
    for p in path:  # 4
        if sn == 0:  # 4a
            return False
        if fn % 2 == 1 or fn == sn:  # 4b
            r = _sha256(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = _sha256(b"\x01" + r + p)
        fn //= 2  # 4c
        sn //= 2
    return sn == 0 and r == root  # 5


def rfc_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2 (0 < first < second), step by step."""
    if not 0 < first < second:
        return False
    if not path:  # 1
        return False
    values = list(path)
    if first & (first - 1) == 0:  # 2: first is an exact power of 2
        values = [first_hash, *values]
    fn, sn = first - 1, second - 1  # 3
    while fn % 2 == 1:  # 4
        fn //= 2
        sn //= 2
    fr = sr = values[0]  # 5
    for c in values[1:]:  # 6
        if sn == 0:  # 6a
            return False
        if fn % 2 == 1 or fn == sn:  # 6b
            fr = _sha256(b"\x01" + c + fr)
            sr = _sha256(b"\x01" + c + sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            sr = _sha256(b"\x01" + sr + c)
        fn //= 2  # 6c
        sn //= 2
    return fr == first_hash and sr == second_hash and sn == 0  # 7


def documented_head_message(document: dict[str, Any]) -> bytes:
    """The signed bytes as DESIGN/signing document them: a fixed prefix, then canonical JSON
    (sorted keys, no spaces) of root, size and timestamp, exactly as the head shows them."""
    body = {"root": document["root"], "size": document["size"], "timestamp": document["timestamp"]}
    return b"lawcam tree head v1\n" + json.dumps(
        body, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def head_signed(document: dict[str, Any], public_key_hex: str) -> bool:
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    try:
        public.verify(bytes.fromhex(document["signature"]), documented_head_message(document))
    except InvalidSignature:
        return False
    return True


def test_the_verifier_itself_against_the_rfc_reference() -> None:
    """The verifier accepts the RFC reference's proofs and rejects altered ones."""
    entries = [f"条目 {i}".encode() for i in range(20)]
    leaves = [rfc_leaf_hash(e) for e in entries]
    for size in range(1, 21):
        root = ref_mth(entries[:size])
        for m in range(size):
            path = ref_path(m, entries[:size])
            assert rfc_verify_inclusion(m, size, leaves[m], path, root)
            assert not rfc_verify_inclusion(m, size, leaves[m], [*path, root], root)
            assert not rfc_verify_inclusion(m, size, rfc_leaf_hash(b"x"), path, root)
            if path:
                assert not rfc_verify_inclusion(m, size, leaves[m], path[:-1], root)
        assert not rfc_verify_inclusion(size, size, leaves[0], [], root)
        for first in range(1, size):
            proof = ref_proof(first, entries[:size])
            first_root = ref_mth(entries[:first])
            assert rfc_verify_consistency(first, size, first_root, root, proof)
            assert not rfc_verify_consistency(first, size, first_root, _sha256(b"x"), proof)
            assert not rfc_verify_consistency(first, size, _sha256(b"x"), root, proof)
            assert not rfc_verify_consistency(first, size, first_root, root, proof[:-1])


# The demo home, once per module -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    folder = tmp_path_factory.mktemp("verify_demo")
    pg_name = f"lawcam_vcli_{_worker()}" if BACKEND == "postgresql" else None
    cli = Cli(home=folder / "home", database_url=pg_create(pg_name) if pg_name else None)
    cli.ok("demo", "--no-serve")
    yield cli
    if pg_name:
        pg_drop(pg_name)


@pytest.fixture
def clone(demo: Cli, tmp_path: Path) -> Iterator[Cli]:
    """A copy of the demo home (and of its database on PostgreSQL) to tamper with."""
    shutil.copytree(demo.home, tmp_path / "home")
    pg_name = None
    url = None
    if demo.database_url:
        pg_name = f"lawcam_vcli_{_worker()}_{next(_counter)}"
        url = pg_create(pg_name, template=demo.database_url.rpartition("/")[2])
    yield replace(demo, home=tmp_path / "home", database_url=url)
    if pg_name:
        pg_drop(pg_name)


def sql(cli: Cli, statement: str, **params: object) -> list[Any]:
    database = cli.database()
    try:
        with database.engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        database.dispose()


def entries(cli: Cli) -> list[bytes]:
    rows = sql(cli, "SELECT seq, entry FROM audit_event ORDER BY seq")
    assert [seq for seq, _ in rows] == list(range(len(rows)))
    return [entry.encode("utf-8") for _, entry in rows]


def objects(cli: Cli) -> list[Path]:
    return [p for p in (cli.home / "objects").rglob("*") if p.is_file() and ".tmp" not in p.parts]


def run_verify(cli: Cli, *flags: str) -> tuple[int, dict[str, Any]]:
    result = cli("verify", *flags, "--json")
    document = json.loads(result.stdout)
    return result.exit_code, document


def unguard(cli: Cli, table: str) -> None:
    if BACKEND == "postgresql":
        sql(cli, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        return
    for (name,) in sql(
        cli, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t", t=table
    ):
        sql(cli, f'DROP TRIGGER "{name}"')


# verify -------------------------------------------------------------------------------------


def test_verify_untouched_demo_home(demo: Cli) -> None:
    before = demo.audit_count()
    code, document = run_verify(demo)
    assert code == 0
    assert set(document) == VERIFY_KEYS
    assert document["ok"] is True and document["problems"] == []
    assert document["events_checked"] == before
    stored = objects(demo)
    assert document["objects_checked"] == len(stored) >= 3
    assert document["bytes_checked"] == sum(p.stat().st_size for p in stored)
    last = demo.ok("audit", "list", "--limit", "1")["events"][0]
    assert (last["seq"], last["tag"]) == (before, "audit:verify:run")
    assert last["after"]["problem_count"] == 0 and last["after"]["events_checked"] == before


def test_verify_log_only_objects_only_and_plain_text(demo: Cli) -> None:
    code, only_log = run_verify(demo, "--log")
    assert code == 0 and only_log["ok"] is True
    assert only_log["events_checked"] > 0
    assert (only_log["objects_checked"], only_log["bytes_checked"]) == (0, 0)
    code, only_objects = run_verify(demo, "--objects")
    assert code == 0 and only_objects["ok"] is True
    assert only_objects["events_checked"] == 0 and only_objects["objects_checked"] >= 3
    plain = demo("verify")
    assert plain.exit_code == 0 and "校验通过" in plain.stdout


def test_verify_tampered_home_exits_1_naming_each_problem(clone: Cli) -> None:
    assert run_verify(clone)[0] == 0
    target = sorted(objects(clone))[0]
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    (recording,) = sql(clone, "SELECT id FROM recording WHERE sha256 = :s", s=target.name)
    seq = 5
    unguard(clone, "audit_event")
    sql(
        clone,
        "UPDATE audit_event SET entry = REPLACE(entry, :old, :new) WHERE seq = :s",
        old='"seq":5,',
        new='"seq":5,"x":1,',
        s=seq,
    )
    code, document = run_verify(clone)
    assert code == 1
    assert set(document) == VERIFY_KEYS and document["ok"] is False
    for problem in document["problems"]:
        assert set(problem) == {"kind", "subject", "detail"}
        assert all(isinstance(value, str) and value for value in problem.values())
    found = {(p["kind"], p["subject"]) for p in document["problems"]}
    assert ("object_altered", f"recording:{recording[0]}") in found
    assert ("object_sm3_differs", f"recording:{recording[0]}") in found
    assert ("audit_row_altered", f"audit:{seq}") in found
    plain = clone("verify")
    assert plain.exit_code == 1
    assert "object_altered" in plain.stdout and "audit_row_altered" in plain.stdout
    assert f"发现 {len(document['problems'])} 个问题" in plain.stdout


def test_verify_after_the_tail_is_deleted_exits_1(clone: Cli) -> None:
    assert clone.ok("audit", "sth")["size"] == len(entries(clone))
    unguard(clone, "audit_event")
    sql(clone, "DELETE FROM audit_event WHERE seq >= :s", s=len(entries(clone)) - 2)
    result = clone("verify", "--json")
    assert result.exit_code == 1, result.stdout
    kinds = {p["kind"] for p in json.loads(result.stdout)["problems"]}
    assert "audit_log_truncated" in kinds


def test_init_signs_the_first_tree_head(cli: Cli) -> None:
    cli.ok("init")
    assert sql(cli, "SELECT size FROM audit_tree_head") == [(0,)]


def test_a_command_that_audits_signs_a_head_at_its_end(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("unit", "add", "--name", "执法一处", "--class", "fewer", "--target", "0")
    size = len(entries(cli))
    assert size > 0
    assert sql(cli, "SELECT max(size) FROM audit_tree_head") == [(size,)]
    cli.ok("unit", "list")  # reads only: no new head
    assert sql(cli, "SELECT count(*) FROM audit_tree_head") == [(2,)]


def test_last_entry_deleted_in_a_home_used_only_from_the_cli(cli: Cli) -> None:
    """No server ever ran, so no head was signed at intervals: the heads signed at init and
    at the end of each command that wrote still name the truncation (R18.1)."""
    cli.ok("init")
    cli.ok("unit", "add", "--name", "执法一处", "--class", "fewer", "--target", "0")
    cli.ok("unit", "add", "--name", "执法二处", "--class", "fewer", "--target", "0")
    last = len(entries(cli)) - 1
    unguard(cli, "audit_event")
    unguard(cli, "audit_merkle_node")
    sql(cli, "DELETE FROM audit_event WHERE seq = :s", s=last)
    sql(cli, "DELETE FROM audit_merkle_node WHERE idx >= :s AND level = 0", s=last)
    code, document = run_verify(cli)
    assert code == 1
    assert "audit_log_truncated" in {p["kind"] for p in document["problems"]}


def test_verify_signs_its_own_entry_only_when_clean(clone: Cli) -> None:
    heads = sql(clone, "SELECT count(*) FROM audit_tree_head")[0][0]
    assert run_verify(clone, "--log")[0] == 0
    assert sql(clone, "SELECT max(size) FROM audit_tree_head") == [(len(entries(clone)),)]
    target = sorted(objects(clone))[0]
    target.chmod(0o644)
    code, document = run_verify(clone)
    assert code == 1
    assert [p["kind"] for p in document["problems"]] == ["object_writable"]
    assert sql(clone, "SELECT count(*) FROM audit_tree_head") == [(heads + 1,)]


def test_proof_with_a_missing_tree_node_is_an_error_document(clone: Cli) -> None:
    unguard(clone, "audit_merkle_node")
    sql(clone, "DELETE FROM audit_merkle_node WHERE key = :k", k=3 << 6)  # leaf 3
    result = clone("audit", "proof", "--leaf", "3", "--json")
    assert result.exit_code in (1, 2)
    error = json.loads(result.stdout)["error"]
    assert CHINESE.search(error["message"])


# Tree heads, proofs and the key -------------------------------------------------------------


def test_sth_is_signed_by_the_exported_public_key(demo: Cli) -> None:
    head = demo.ok("audit", "sth")
    assert set(head) == HEAD_KEYS
    exported = demo.ok("audit", "public-key")
    assert set(exported) == {"public_key", "pem", "key_id"}
    assert head["public_key"] == exported["public_key"]
    pem_key = load_pem_public_key(exported["pem"].encode("ascii"))
    raw = pem_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw.hex() == exported["public_key"]
    assert exported["key_id"] == hashlib.sha256(raw).hexdigest()[:16]
    assert head_signed(head, exported["public_key"])
    assert not head_signed({**head, "size": head["size"] + 1}, exported["public_key"])
    leaves = entries(demo)
    assert head["size"] == len(leaves)
    assert head["root"] == ref_mth(leaves).hex()
    again = demo.ok("audit", "sth")  # nothing new: the same head
    assert again == head
    plain = demo("audit", "public-key")
    assert plain.exit_code == 0 and plain.stdout == exported["pem"]
    shown = demo("audit", "sth")
    assert shown.exit_code == 0 and head["root"] in shown.stdout


def test_inclusion_proofs_verify_against_the_signed_root(demo: Cli) -> None:
    head = demo.ok("audit", "sth")
    size, root = head["size"], bytes.fromhex(head["root"])
    assert head_signed(head, head["public_key"])
    leaves = entries(demo)[:size]
    wanted = {0, 1, 2, size // 2, size - 2, size - 1}
    wanted |= {(1 << k) - 1 for k in range(size.bit_length())} | {1 << k for k in range(8)}
    for m in sorted(i for i in wanted if 0 <= i < size):
        proof = demo.ok("audit", "proof", "--leaf", str(m), "--size", str(size))
        assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "path", "root"}
        assert (proof["leaf_index"], proof["tree_size"], proof["root"]) == (m, size, head["root"])
        leaf = bytes.fromhex(proof["leaf_hash"])
        assert leaf == rfc_leaf_hash(leaves[m]), m
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert rfc_verify_inclusion(m, size, leaf, path, root), m
        assert not rfc_verify_inclusion(m, size, rfc_leaf_hash(b"forged"), path, root)
    # smaller trees, against the RFC root of their entries
    for smaller in (1, 2, 3, 7, 8, 9, 33):
        for m in {0, smaller // 2, smaller - 1}:
            proof = demo.ok("audit", "proof", "--leaf", str(m), "--size", str(smaller))
            path = [bytes.fromhex(p) for p in proof["path"]]
            expected = ref_mth(leaves[:smaller])
            assert proof["root"] == expected.hex()
            assert rfc_verify_inclusion(m, smaller, rfc_leaf_hash(leaves[m]), path, expected)
    default = demo.ok("audit", "proof", "--leaf", "0")  # --size defaults to the log's size
    assert default["tree_size"] == len(entries(demo))


def test_consistency_proofs_between_signed_heads(demo: Cli) -> None:
    first = demo.ok("audit", "sth")
    demo.ok("unit", "add", "--name", "一致性测试处", "--class", "fewer", "--target", "0")
    second = demo.ok("audit", "sth")
    assert second["size"] > first["size"]
    assert head_signed(first, first["public_key"]) and head_signed(second, second["public_key"])
    proof = demo.ok(
        "audit", "consistency", "--from", str(first["size"]), "--to", str(second["size"])
    )
    # GET /audit/consistency's document: the two roots beside the RFC 9162 proof.
    assert set(proof) == {"from", "to", "path", "first_root", "second_root"}
    assert (proof["first_root"], proof["second_root"]) == (first["root"], second["root"])
    assert (proof["from"], proof["to"]) == (first["size"], second["size"])
    path = [bytes.fromhex(p) for p in proof["path"]]
    old, new = bytes.fromhex(first["root"]), bytes.fromhex(second["root"])
    assert rfc_verify_consistency(first["size"], second["size"], old, new, path)
    assert not rfc_verify_consistency(first["size"], second["size"], _sha256(b"x"), new, path)
    # from earlier sizes too, against the RFC roots of the entries
    leaves = entries(demo)
    for earlier in (1, 2, 3, 4, 5, 8, 16, 17, first["size"] - 1):
        proof = demo.ok("audit", "consistency", "--from", str(earlier), "--to", str(second["size"]))
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert path == ref_proof(earlier, leaves[: second["size"]])
        assert rfc_verify_consistency(
            earlier, second["size"], ref_mth(leaves[:earlier]), new, path
        ), earlier
    same = demo.ok("audit", "consistency", "--from", "7", "--to", "7")
    assert same["path"] == []


def test_anchor_pdf_shows_the_signed_root(demo: Cli, tmp_path: Path) -> None:
    out = tmp_path / "anchor.pdf"
    anchored = demo.ok("audit", "anchor", "--out", str(out))
    assert set(anchored) == HEAD_KEYS | {"file"}
    assert anchored["file"] == str(out) and out.read_bytes().startswith(b"%PDF")
    assert head_signed(anchored, anchored["public_key"])
    assert anchored["root"] == ref_mth(entries(demo)[: anchored["size"]]).hex()
    shown = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert anchored["root"] in shown
    assert anchored["public_key"] in shown
    assert re.search(rf"\b{anchored['size']}\b", shown)
    assert "纸质锚定页" in shown
    flat = re.sub(r"\s+", "", shown)
    assert anchored["signature"] in flat  # printed over two lines
    printed = demo.ok("audit", "list", "--tag", "audit:anchor", "--limit", "1")["events"][0]
    assert printed["after"]["root"] == anchored["root"]
    assert printed["seq"] == anchored["size"]  # recorded right after the head it anchors
    assert demo.ok("verify")["ok"] is True


# Bad input ----------------------------------------------------------------------------------


def test_bad_proof_requests_exit_2_with_a_chinese_message(demo: Cli) -> None:
    size = demo.ok("audit", "sth")["size"]
    current = len(entries(demo))
    cases = [
        ("audit", "proof", "--leaf", str(size + 10)),
        ("audit", "proof", "--leaf", str(size), "--size", str(size)),
        ("audit", "proof", "--leaf", "0", "--size", str(current + 1)),
        ("audit", "proof", "--leaf", "-1"),
        ("audit", "consistency", "--from", "9", "--to", "3"),
        ("audit", "consistency", "--from", "1", "--to", str(current + 5)),
        ("audit", "consistency", "--from", "-2", "--to", "3"),
    ]
    for args in cases:
        error = demo.refused(*args)
        assert error["code"] == "invalid_input", args
        assert CHINESE.search(error["message"]), error
    error = demo.refused("audit", "proof", "--leaf", str(size + 10))
    assert "叶序号" in error["message"] and str(current) in error["message"]
    plain = demo("audit", "proof", "--leaf", str(size + 10))
    assert plain.exit_code == 2 and "叶序号" in plain.stderr


def test_empty_log_from_the_cli(cli: Cli) -> None:
    cli.ok("init")
    head = cli.ok("audit", "sth")
    assert head["size"] == 0
    assert head["root"] == hashlib.sha256(b"").hexdigest() == ref_mth([]).hex()
    assert head_signed(head, cli.ok("audit", "public-key")["public_key"])
    assert cli.ok("audit", "consistency", "--from", "0", "--to", "0")["path"] == []
    error = cli.refused("audit", "proof", "--leaf", "0")
    assert error["code"] == "invalid_input" and "审计日志还是空的" in error["message"]
    code, document = run_verify(cli)
    assert code == 0 and document["ok"] is True
    assert (document["events_checked"], document["objects_checked"]) == (0, 0)
    one = cli.ok("audit", "sth")  # verify's own entry is leaf 0
    assert one["size"] == 1 and one["root"] == rfc_leaf_hash(entries(cli)[0]).hex()
    proof = cli.ok("audit", "proof", "--leaf", "0")
    assert proof["path"] == [] and proof["root"] == one["root"]
    assert rfc_verify_inclusion(
        0, 1, bytes.fromhex(proof["leaf_hash"]), [], bytes.fromhex(one["root"])
    )


def test_proof_on_an_empty_log_says_the_log_is_empty(cli: Cli) -> None:
    cli.ok("init")
    error = cli.refused("audit", "proof", "--leaf", "0")
    assert "-1" not in error["message"]


# A rewrite of the whole database, signing key included: only what is kept outside catches it


def _rewrite_everything(cli: Cli, seq: int) -> None:
    """An attacker with the database and the home: one entry changed (its shown columns too),
    the tree rebuilt from the rows, every head deleted, a new key made and a new head signed."""
    for table in ("audit_event", "audit_merkle_node", "audit_tree_head"):
        unguard(cli, table)
    [(entry,)] = sql(cli, "SELECT entry FROM audit_event WHERE seq = :s", s=seq)
    forged = json.loads(entry)
    forged["after"] = {"name": "改写后的记录"}
    text_entry = json.dumps(forged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    after = json.dumps(forged["after"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sql(
        cli,
        "UPDATE audit_event SET entry = :e, after = :a WHERE seq = :s",
        e=text_entry,
        a=after,
        s=seq,
    )
    sql(cli, "DELETE FROM audit_merkle_node")
    sql(cli, "DELETE FROM audit_tree_head")
    frontier: list[tuple[int, bytes]] = []
    for index, data in enumerate(entries(cli)):
        for (level, idx), value in merkle.append_leaf(frontier, index, merkle.leaf_hash(data)):
            sql(
                cli,
                "INSERT INTO audit_merkle_node (key, level, idx, hash) VALUES (:k, :l, :i, :h)",
                k=(idx << 6) | level,
                l=level,
                i=idx,
                h=value.hex(),
            )
    (cli.home / "audit_signing_key.pem").unlink()
    cli.ok("audit", "sth")


def test_a_full_rewrite_is_caught_by_the_paper_anchor_and_the_kept_public_key(clone: Cli) -> None:
    paper = clone.ok("audit", "sth")
    kept_key = clone.ok("audit", "public-key")["public_key"]
    seq = int(paper["size"]) // 2
    _rewrite_everything(clone, seq)

    code, fooled = run_verify(clone, "--log")
    assert code == 0 and fooled["ok"] is True  # the database and home alone now agree

    code, found = run_verify(clone, "--log", "--anchor", f"{paper['size']}:{paper['root']}")
    assert code == 1
    assert {(p["kind"], p["subject"]) for p in found["problems"]} >= {
        ("anchor_mismatch", f"anchor:{paper['size']}")
    }

    code, found = run_verify(clone, "--log", "--public-key", kept_key)
    assert code == 1 and "tree_head_bad_signature" in {p["kind"] for p in found["problems"]}


def test_an_anchor_the_untouched_log_matches_verifies_clean(demo: Cli) -> None:
    paper = demo.ok("audit", "sth")
    code, document = run_verify(demo, "--log", "--anchor", f"{paper['size']}:{paper['root']}")
    assert code == 0 and document["ok"] is True


def test_bad_anchor_and_key_values_exit_2_in_chinese(demo: Cli) -> None:
    assert "锚定值" in demo.refused("verify", "--anchor", "12:xyz")["message"]
    assert "公钥" in demo.refused("verify", "--public-key", "00")["message"]

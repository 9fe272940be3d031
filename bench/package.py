"""Provision package build (issue 16, item 6) against a floor measured in the same run.

The data: ``--files`` originals of ``--size-mib`` each (default 4 × 512 MiB = 2 GiB; ``--quick``:
2 × 128 MiB = 256 MiB), pseudo-random bytes in a work folder, written, synced and read once
before anything is timed, so every measurement reads from the page cache. The package's audit
part is real but small: one ingest entry per original and an approval, in a Merkle tree built
here, inclusion proofs and a head signed with a fresh Ed25519 key.

Measured over exactly those bytes, each ``--runs`` times (best wall time kept, with the CPU
seconds of that run):

- floor      per original: read 1 MiB blocks, SHA-256 each, write it to /dev/null
             (SHA-256 of the same bytes + copying them: what any package of them must cost);
- sha256, copy, crc32    the parts on their own (shown, not in the limit); crc32 twice: the
             system zlib's and zlib-ng's, which the package uses for the ZIP's CRC-32;
- package    ``build_package(...)`` iterated to /dev/null: originals stored (not deflated),
             CRC-32 (the ZIP's), SHA-256 re-checked, manifest, audit files, receipt PDF.

ratio = package / floor (wall time); the goal is ≤ 1.25. Also shown: the same ratio of CPU
seconds, which a shared machine's load disturbs less (the package hashes in a second thread,
so on an idle machine its wall time can fall below its CPU time). Memory: the peak of traced Python allocations
(tracemalloc) during one more package build, and the process's peak RSS growth, both against the
size of the originals.

Usage: python bench/package.py [--files 4] [--size-mib 512] [--runs 3] [--chunk-mib 1]
                               [--workdir DIR] [--keep] [--quick] [--check]
(--check also writes one package to the work folder, unzips it and runs its verify_package.py.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from zlib_ng import zlib_ng

from lawcam.audit import merkle
from lawcam.audit.signing import Signer, head_message
from lawcam.reports.package import (
    Approval,
    Evidence,
    Head,
    PackageFile,
    Proof,
    build_package,
)

MIB = 1 << 20
SEED = 16 * MIB


def make_originals(folder: Path, count: int, size: int) -> list[Path]:
    """Pseudo-random bytes: a random seed block, varied per block so that no two blocks match."""
    seed = os.urandom(SEED)
    paths = []
    for number in range(count):
        path = folder / f"原始文件_{number:02d}.mp4"
        with path.open("wb") as handle:
            for offset in range(0, size, SEED):
                prefix = f"{number}:{offset}".encode().ljust(64, b"\0")
                handle.write((prefix + seed[64:])[: size - offset])
            handle.flush()
            os.fsync(handle.fileno())
        paths.append(path)
    return paths


def digests(path: Path) -> tuple[str, str]:
    sha, sm3 = hashlib.sha256(), hashlib.new("sm3")
    with path.open("rb") as handle:
        while block := handle.read(8 * MIB):
            sha.update(block)
            sm3.update(block)
    return sha.hexdigest(), sm3.hexdigest()


def ingest_entry(seq: int, file: PackageFile) -> str:
    after = {"id": file.recording_id, "sha256": file.sha256, "sm3": file.sm3, "size": file.size}
    after["original_name"] = file.original_name
    entry = {
        "seq": seq,
        "tag": "evidence:recording:ingest",
        "subject": {"type": "recording", "id": str(file.recording_id)},
        "after": after,
    }
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit_part(files: list[PackageFile]) -> tuple[Approval, Evidence]:
    """A log of the files' ingest entries and an approval, as a real Merkle tree, signed."""
    entries = [ingest_entry(seq, f) for seq, f in enumerate(files)]
    approval_entry = {"seq": len(files), "tag": "access:request:approve"}
    approval_entry["subject"] = {"type": "access_request", "id": "1"}
    entries.append(json.dumps(approval_entry, sort_keys=True, separators=(",", ":")))
    nodes: dict[merkle.NodeKey, bytes] = {}
    frontier: list[tuple[int, bytes]] = []
    for seq, entry in enumerate(entries):
        nodes.update(merkle.append_leaf(frontier, seq, merkle.leaf_hash(entry.encode())))
    size = len(entries)
    fetch = lambda keys: {key: nodes[key] for key in keys}  # noqa: E731
    proofs = []
    for seq in range(size):
        leaf, path, root = merkle.inclusion(fetch, seq, size)
        proofs.append(Proof(seq, leaf.hex(), tuple(h.hex() for h in path)))
    signer = Signer(Ed25519PrivateKey.generate())
    when = datetime.now(UTC)
    signature = signer.sign(head_message(size, root.hex(), when)).hex()
    head = Head(size, root.hex(), when.isoformat(), signature, signer.key_id)
    evidence = Evidence(list(enumerate(entries)), proofs, head, signer.public_key)
    approval = Approval(1, "申请人", "分管领导", when, "性能测试", "接收方", audit_seq=size - 1)
    return approval, evidence


def package_files(paths: list[Path]) -> list[PackageFile]:
    files = []
    for number, path in enumerate(paths, 1):
        sha, sm3 = digests(path)
        opener = lambda path=path: path.open("rb")  # noqa: E731
        facts = {"device": "BENCH-0001", "unit": "执法中心"}
        files.append(PackageFile(number, path.name, path.stat().st_size, sha, sm3, facts, opener))
    return files


# The measurements ---------------------------------------------------------------------------


def over_blocks(paths: list[Path], chunk: int, each: Callable[[bytes], object]) -> None:
    for path in paths:
        with path.open("rb") as handle:
            while block := handle.read(chunk):
                each(block)


def floor(paths: list[Path], chunk: int, sink: int) -> None:
    for path in paths:
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(chunk):
                sha.update(block)
                os.write(sink, block)


def package(
    files: list[PackageFile], approval: Approval, evidence: Evidence, chunk: int, sink: int
) -> int:
    written = 0
    for part in build_package(files, approval, evidence, chunk_size=chunk):
        written += os.write(sink, part)
    return written


def timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Best wall time of ``runs`` and the CPU seconds (user + system) of that run."""
    best: tuple[float, float] | None = None
    for _ in range(runs):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        run()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if best is None or wall < best[0]:
            best = (wall, cpu)
    assert best is not None
    return best


def memory(
    files: list[PackageFile], approval: Approval, evidence: Evidence, chunk: int, sink: int
) -> tuple[float, float]:
    """Peak traced allocations while streaming (after the eager parts), and peak RSS growth."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    stream = build_package(files, approval, evidence, chunk_size=chunk)
    tracemalloc.reset_peak()
    for part in stream:
        os.write(sink, part)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    return peak / MIB, rss / 1024


def check(files: list[PackageFile], approval: Approval, evidence: Evidence, folder: Path) -> int:
    target = folder / "package.zip"
    with target.open("wb") as handle:
        for part in build_package(files, approval, evidence):
            handle.write(part)
    with zipfile.ZipFile(target) as archive:
        archive.extractall(folder / "unpacked")
    target.unlink()
    script = folder / "unpacked" / "verify_package.py"
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(script.parent)], check=False
    )
    shutil.rmtree(folder / "unpacked")
    return done.returncode


# The run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-mib", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2 × 128 MiB")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.files, args.size_mib = 2, 128
    workdir = Path(tempfile.mkdtemp(prefix="lawcam-bench-package-", dir=args.workdir))
    chunk, total = args.chunk_mib * MIB, args.files * args.size_mib * MIB
    print(f"{platform.node()} {os.cpu_count()} CPU, Python {platform.python_version()}")
    print(
        f"originals: {args.files} × {args.size_mib} MiB = {total / MIB:.0f} MiB; block {args.chunk_mib} MiB"
    )
    try:
        paths = make_originals(workdir, args.files, args.size_mib * MIB)
        files = package_files(paths)  # also reads them once: the page cache is warm
        approval, evidence = audit_part(files)
        sink = os.open(os.devnull, os.O_WRONLY)
        results = {
            "sha256": timed(
                lambda: over_blocks(paths, chunk, lambda b: hashlib.sha256(b)), args.runs
            ),
            "crc32": timed(lambda: over_blocks(paths, chunk, zlib.crc32), args.runs),
            "crc32-ng": timed(lambda: over_blocks(paths, chunk, zlib_ng.crc32), args.runs),
            "copy": timed(
                lambda: over_blocks(paths, chunk, lambda b: os.write(sink, b)), args.runs
            ),
            "floor": timed(lambda: floor(paths, chunk, sink), args.runs),
            "package": timed(lambda: package(files, approval, evidence, chunk, sink), args.runs),
        }
        for name, (wall, cpu) in results.items():
            rate = total / MIB / wall
            print(f"  {name:<9}{wall:7.3f} s  {rate:7.0f} MiB/s  cpu {cpu:6.2f} s")
        ratio = results["package"][0] / results["floor"][0]
        cpu_ratio = results["package"][1] / results["floor"][1]
        print(f"ratio package / floor = {ratio:.2f} (goal ≤ 1.25); CPU seconds {cpu_ratio:.2f}")
        traced, rss = memory(files, approval, evidence, chunk, sink)
        print(
            f"memory while streaming: traced peak {traced:.1f} MiB, RSS growth {rss:.1f} MiB (originals {total / MIB:.0f} MiB)"
        )
        if args.check:
            status = check(files, approval, evidence, workdir)
            print(f"verify_package.py on the unpacked package: exit {status}")
        return 0 if ratio <= 1.25 else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

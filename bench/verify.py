"""``lawcam verify --objects`` (issue #6) against hashlib on all cores, measured in the same run.

The data: ``--files`` distinct files of ``--size-mib`` each (a real PyAV MP4 whose media data box
is padded with random-ish bytes, distinct per file and per block; the moov box at the end, as
body cameras write it), ingested through ``lawcam.evidence.ingest.ingest_folder`` into the
LocalStore of a fresh home (SQLite, the default layout). The source folder is then removed:
everything below reads the store's objects, the very files ``verify`` reads.

Stages, over exactly those objects, all on ``os.cpu_count()`` threads (ThreadPoolExecutor, one
file per task, 8 MiB blocks):

- read              read only;
- sha256            SHA-256 alone;
- sm3               SM3 alone;
- sha256+sm3        each file one read pass feeding both digests: the limit;
- check_objects     ``lawcam.evidence.integrity.check_objects`` in this process;
- verify (CLI)      ``lawcam --home H verify --objects --json`` as a subprocess, the whole command;
- CLI fixed cost    the same command on an empty home (start-up, imports, the audit entry).

ratio = verify (CLI) / limit; the goal is ≤ 1.25.

Cache state: every object is read once before anything is timed, so every stage reads from the
page cache (the machine is shared; caches cannot be dropped); ``fincore`` reports how much of the
store is cached before the first and after the last stage. The stages run ``--runs`` times in the
same order; each figure is the best (minimum).

Usage: python bench/verify.py [--files 8] [--size-mib 256] [--runs 5] [--workdir DIR] [--keep]
                              [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lawcam.audit.integrity import Collector
from lawcam.authz import console_actor
from lawcam.config import load_settings
from lawcam.db import Database
from lawcam.demo.media import make_mp4
from lawcam.evidence.ingest import IngestRequest, ingest_folder
from lawcam.evidence.integrity import check_objects
from lawcam.evidence.types import FileStatus
from lawcam.storage.local import LocalStore
from lawcam.timeutil import SHANGHAI

BLOCK = 8 * 1024 * 1024
MIB = 1024 * 1024
SEED = 64 * MIB  # one random buffer, stamped per file and per block
SERIAL, BADGE, UNIT, MODEL = "VERIFY-0001", "V000001", "执法中心", "VERIFY-CAM"
LAWCAM = str(Path(sys.executable).with_name("lawcam"))
WORKERS = max(os.cpu_count() or 1, 1)


# ---------------------------------------------------------------------------------------------
# The home and its store


def clean_env() -> dict[str, str]:
    """No LAWCAM_* from the caller: SQLite in the home and the local store, every time."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LAWCAM_")}


def lawcam(home: Path, *args: str, ok: Sequence[int] = (0,)) -> dict[str, object]:
    done = subprocess.run(
        [LAWCAM, "--home", str(home), *args, "--json"],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in ok:
        sys.exit(f"lawcam {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def make_home(home: Path, *, device: bool) -> None:
    lawcam(home, "init")
    if not device:
        return
    lawcam(home, "unit", "add", "--name", UNIT, "--class", "many")
    lawcam(
        home, "person", "add", "--name", "校验警员", "--badge", BADGE, "--unit", UNIT, "--officer"
    )
    lawcam(home, "model", "add", "--maker", "Bench", "--model", MODEL, "--category", "body_camera")
    lawcam(
        home,
        *("device", "add", "--serial", SERIAL, "--asset", "VERIFY-A1", "--model", MODEL),
        *("--unit", UNIT, "--price", "1000.00", "--need", "现场执法"),
    )


def find_box(data: bytes, kind: bytes) -> tuple[int, int]:
    offset = 0
    while offset + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[offset : offset + 8])
        if name == kind:
            return offset, size
        offset += size
    raise ValueError(f"no {kind!r} box")


def write_big_mp4(path: Path, size: int, index: int, seed: memoryview, template: bytes) -> None:
    """``template`` with its mdat grown by random-ish bytes to make ``size`` bytes in all."""
    start, box = find_box(template, b"mdat")
    extra = size - len(template)
    with path.open("wb") as out:
        out.write(template[:start])
        out.write(struct.pack(">I4s", box + extra, b"mdat"))
        out.write(template[start + 8 : start + box])
        written = block = 0
        while written < extra:
            n = min(BLOCK, extra - written)
            stamp = struct.pack(">QQ", index, block)[:n]
            at = (block * BLOCK) % len(seed)
            out.write(stamp)
            out.write(seed[at + len(stamp) : at + n])
            written += n
            block += 1
        out.write(template[start + box :])


def make_data(folder: Path, *, files: int, size: int) -> None:
    folder.mkdir(parents=True)
    seed = memoryview(os.urandom(SEED))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    for i in range(files):
        when = start + timedelta(minutes=10 * i)
        name = f"DSJ_{SERIAL}_{when.astimezone(SHANGHAI):%Y%m%d%H%M%S}_{i:04d}.MP4"
        template = folder / f".template-{i}.mp4"
        make_mp4(template, seconds=2, creation_time=when)
        write_big_mp4(folder / name, size, i, seed, template.read_bytes())
        template.unlink()


def ingest(home: Path, folder: Path) -> int:
    settings = load_settings(home)
    database = Database(settings.resolved_database_url)
    try:
        report = ingest_folder(
            database=database,
            store=LocalStore(home / "objects"),
            settings=settings,
            actor=console_actor("bench"),
            request=IngestRequest(
                path=folder, device_serial=SERIAL, workstation="bench", officer_badge=BADGE
            ),
        )
    finally:
        database.dispose()
    if report.count(FileStatus.INGESTED) != len(report.files):
        sys.exit(f"the ingest did not take every file: {report.as_dict()}")
    return len(report.files)


# ---------------------------------------------------------------------------------------------
# The stages


def hash_file(path: Path, names: Sequence[str]) -> list[str]:
    """One read pass over ``path``, every block fed to each named digest."""
    digests = [hashlib.new(name) for name in names]
    fd = os.open(path, os.O_RDONLY)
    try:
        while block := os.read(fd, BLOCK):
            for digest in digests:
                digest.update(block)
    finally:
        os.close(fd)
    return [digest.hexdigest() for digest in digests]


def on_all_cores(paths: list[Path], names: Sequence[str]) -> list[list[str]]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda path: hash_file(path, names), paths))


def check_in_process(home: Path, files: int) -> None:
    settings = load_settings(home)
    database = Database(settings.resolved_database_url)
    found = Collector()
    try:
        with database.read() as session:
            check_objects(session=session, store=LocalStore(home / "objects"), found=found)
    finally:
        database.dispose()
    if found.problems or found.objects_checked != files:
        sys.exit(f"check_objects: {found.objects_checked} objects, {found.problems[:3]}")


def verify_cli(home: Path, files: int) -> None:
    document = lawcam(home, "verify", "--objects")
    if not document["ok"] or document["objects_checked"] != files:
        sys.exit(f"lawcam verify --objects: {document}")


# ---------------------------------------------------------------------------------------------
# Running and reporting


@dataclass
class Stage:
    name: str
    nbytes: int
    runs: list[tuple[float, float]] = field(default_factory=list)  # (wall, cpu) s

    @property
    def best_run(self) -> tuple[float, float]:
        return min(self.runs, key=lambda run: run[0])

    @property
    def best(self) -> float:
        return self.best_run[0]

    def line(self) -> str:
        wall, cpu = self.best_run
        rate = f"{self.nbytes / wall / 1e9:6.2f} GB/s" if self.nbytes else " " * 11
        every = " ".join(f"{w:.2f}" for w, _ in self.runs)
        return f"  {self.name:<26} {wall:7.2f} s {rate} {cpu:6.2f}   [{every}]"


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (the lawcam commands)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(action: Callable[[], object]) -> tuple[float, float]:
    cpu, started = cpu_seconds(), time.perf_counter()
    action()
    return time.perf_counter() - started, cpu_seconds() - cpu


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_available() -> int:
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def cached(paths: list[Path]) -> str:
    """The share of the files' pages in the page cache, by util-linux ``fincore``."""
    if not shutil.which("fincore"):
        return "unknown (no fincore)"
    done = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return "unknown (fincore failed)"
    resident = total = 0
    for line in done.stdout.split("\n"):
        if line.strip():
            res, size = line.split()
            resident, total = resident + int(res), total + int(size)
    return f"{resident / total:.1%} of {total:,} bytes" if total else "no files"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=8, help="distinct files (default 8)")
    parser.add_argument("--size-mib", type=int, default=256, help="size of each (default 256)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions; best is kept (5)")
    parser.add_argument("--workdir", type=Path, help="where the homes go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 × 32 MiB, 2 runs")
    args = parser.parse_args()
    if args.quick:
        args.files, args.size_mib, args.runs = 2, 32, 2
    if not 1 <= args.size_mib < 4096:
        parser.error("--size-mib must be 1–4095 (a 32-bit mdat box)")
    if args.files < 1 or args.runs < 1:
        parser.error("--files and --runs must be at least 1")
    return args


STAGES = (
    "read",
    "sha256",
    "sm3",
    "sha256+sm3 (limit)",
    "check_objects (in process)",
    "verify --objects (CLI)",
    "CLI fixed cost (empty home)",
)


def run(args: argparse.Namespace, work: Path) -> None:
    need = args.files * args.size_mib * MIB * 2  # the source, then the store
    if shutil.disk_usage(work).free < need:
        sys.exit(f"{work}: needs about {need / 2**30:.1f} GiB free")
    print("lawcam verify --objects benchmark (bench/verify.py)")
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; {ssl.OPENSSL_VERSION}"
    )
    print(f"threads: {WORKERS} (os.cpu_count()), one file per task, {BLOCK // MIB} MiB blocks")
    print(f"load average at start: {load()}")

    started = time.perf_counter()
    home, empty = work / "home", work / "empty-home"
    make_home(home, device=True)
    make_home(empty, device=False)
    make_data(work / "data", files=args.files, size=args.size_mib * MIB)
    files = ingest(home, work / "data")
    shutil.rmtree(work / "data")  # from here on only the store's objects are read
    os.sync()
    store = LocalStore(home / "objects")
    objects = sorted(store.objects(), key=lambda blob: blob.sha256)
    paths = [store.path(blob.sha256) for blob in objects]
    total = sum(blob.size for blob in objects)
    if len(objects) != files:
        sys.exit(f"{len(objects)} objects in the store, {files} files ingested")
    print(
        f"store: {files} objects, {total:,} bytes ({total / 2**30:.2f} GiB), ingested through "
        f"ingest_folder into a LocalStore; made in {time.perf_counter() - started:.1f} s"
    )
    print(f"memory available: {mem_available() / 2**30:.1f} GiB")

    on_all_cores(paths, ())  # warm: from here on every read is a page-cache hit
    print(
        "cache: every object was read once before timing, so every stage reads from the page "
        f"cache; cached before the first stage: {cached(paths)}"
    )
    print(f"runs: {args.runs}, all stages in the same order each run; the best (minimum) is used")

    expected = [[blob.sha256] for blob in objects]
    if on_all_cores(paths, ("sha256",)) != expected:
        sys.exit("the store's objects do not hash to their names")
    actions: dict[str, Callable[[], object]] = {
        "read": lambda: on_all_cores(paths, ()),
        "sha256": lambda: on_all_cores(paths, ("sha256",)),
        "sm3": lambda: on_all_cores(paths, ("sm3",)),
        "sha256+sm3 (limit)": lambda: on_all_cores(paths, ("sha256", "sm3")),
        "check_objects (in process)": lambda: check_in_process(home, files),
        "verify --objects (CLI)": lambda: verify_cli(home, files),
        "CLI fixed cost (empty home)": lambda: lawcam(empty, "verify", "--objects"),
    }
    sizes = dict.fromkeys(STAGES, total)
    sizes["CLI fixed cost (empty home)"] = 0
    stages = {name: Stage(name, sizes[name]) for name in STAGES}
    for _ in range(args.runs):
        for name in STAGES:
            stages[name].runs.append(timed(actions[name]))

    print()
    print(f"  {'stage':<26} {'best':>9} {'rate':>11} {'cpu s':>6}   [every run, s]")
    for stage in stages.values():
        print(stage.line())
    limit = stages["sha256+sm3 (limit)"].best
    cli = stages["verify --objects (CLI)"].best
    in_process = stages["check_objects (in process)"].best
    fixed = stages["CLI fixed cost (empty home)"].best
    print()
    print(f"cached after the last stage: {cached(paths)}")
    print(f"limit = sha256+sm3 on all cores      = {limit:.2f} s")
    print(f"check_objects (in process) / limit   = {in_process / limit:.2f}")
    print(f"verify --objects (CLI) / limit       = {cli / limit:.2f}")
    print(f"(verify (CLI) - CLI fixed cost) / limit = {(cli - fixed) / limit:.2f}")
    print(f"load average at end: {load()}")
    print(f"ratio = verify / limit: {cli / limit:.2f} (goal ≤ 1.25)")


def main() -> None:
    args = options()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lawcam-bench-verify-", dir=args.workdir))
    try:
        run(args, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Many at once (issue #13, DESIGN principle 7): workstations upload while people browse.

For each database (the embedded default, SQLite; then PostgreSQL, when a server answers at
``--pg``) the benchmark makes a fresh home, starts ``lawcam --home H serve`` itself on a free
loopback port and runs, for at most ``--seconds``:

- ``--workstations`` remote workstations (default 25), each with its own API token (a device
  administrator's, for a device of the administrator's unit), uploading its own unique files
  through the resumable API exactly as ``lawcam ingest --server`` does: open a run, then per file
  ``POST /api/v1/uploads`` with the digests, ``PUT /api/v1/uploads/{id}?offset=N`` in pieces of
  32 MiB, ``POST /api/v1/uploads/{id}/complete``;
- ``--people`` people (default 100) of several roles (officer, device administrator, unit head,
  engineering, finance), each logging in (``POST /api/v1/auth/login``) at a random moment of the
  first half of the run (``--ramp``, at most 30 s: one argon2 verification costs about 0.25 CPU
  seconds, so a hundred logins at once would be a storm of their own), then loading pages and
  API answers their role may see, with a short think time between clicks (``--think``).

The data: per workstation ``--files`` large MP4s (a real PyAV clip whose media data box is padded
with random-ish bytes to 16–64 MiB, every file and every 8 MiB block different) and ``--clips``
short real MP4s, all unique, written and hashed (SHA-256 and SM3) before anything is timed, so
the load generator only reads bytes from the page cache and sends them. Workstations stop
starting new files at the deadline (or when their files are all sent); people stop browsing
when the last workstation has stopped.

Measured in the same run:

- per class of request (login, browse pages, browse API, upload control = runs and upload
  opening, upload pieces, upload complete): count, errors (any status other than 2xx, or a
  transport error), timeouts (client timeout ``--timeout``, default 30 s), p50/p95/p99/max
  (a timeout or error counts with the time it took); for browsing also of the requests started
  after the last login ("steady");
- the upload rate: bytes of the files completed into recordings / the time from the start to
  the last completion;
- the hashing limit: SHA-256 + SM3 of the same files' bytes on all cores (one thread per core,
  one file per task, 8 MiB blocks; hashlib releases the GIL), measured before and after the load
  phase, the better kept;
- CPU seconds of the load generator (this process) and of the server, and the machine's busy
  share, so that the reader can judge who had the two cores.

ratio = upload rate / hashing limit. Goals: 0 errors and 0 timeouts on both databases; browse
p95 ≤ 300 ms on PostgreSQL while uploads run; ratio ≥ 0.8.

``--logins-first`` (an experiment) lets everyone log in before the clock starts, to tell the
cost of a login storm from the rest. ``--profile`` samples the server with py-spy during the
load phase (``py-spy`` on PATH or the path given by ``--py-spy``) and prints where its time
went.

Everything is on 127.0.0.1; the run is bounded in time and count and stops by itself; the
server is stopped (and the throw-away PostgreSQL database dropped) at the end, on errors and on
Ctrl+C.

Usage: python bench/load.py [--seconds 60] [--workstations 25] [--people 100] [--files 4]
                            [--clips 2] [--think 1-3] [--ramp S] [--timeout 30] [--logins-first]
                            [--only sqlite|postgresql] [--pg URL] [--workdir DIR] [--keep]
                            [--profile | --py-spy PATH] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Actor, Role, console_actor
from lawcam.config import Settings, load_settings
from lawcam.db import Database
from lawcam.demo.media import find_box, make_mp4
from lawcam.equipment import service as equipment
from lawcam.equipment.types import Category, DeviceIn, ModelIn
from lawcam.errors import LawcamError
from lawcam.org import accounts, service
from lawcam.org.models import Account
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.timeutil import SHANGHAI

MIB = 1024 * 1024
BLOCK = 8 * MIB
PIECE = 32 * MIB  # as lawcam.evidence.remote sends them
SEED = 64 * MIB
PER_UNIT = 5  # workstations per unit (one device administrator each unit, R9.1)
MODEL = "LOAD-CAM"
LAWCAM = str(Path(sys.executable).with_name("lawcam"))
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432"
WORKERS = max(os.cpu_count() or 1, 1)
CLASSES = (
    "login",
    "browse pages",
    "browse API",
    "upload control",
    "upload pieces",
    "upload complete",
)
BROWSE = ("browse pages", "browse API")
# Every role's share of the people, in this order (officers most, the divisions least).
ROLE_CYCLE = (
    Role.OFFICER,
    Role.UNIT_HEAD,
    Role.OFFICER,
    Role.DEVICE_ADMIN,
    Role.OFFICER,
    Role.ENGINEERING,
    Role.OFFICER,
    Role.UNIT_HEAD,
    Role.DEVICE_ADMIN,
    Role.FINANCE,
)
PAGES = ("/", "/devices", "/devices/{device}", "/ledger", "/recordings", "/reports/ratio")
API = (
    "/api/v1/me",
    "/api/v1/devices",
    "/api/v1/devices/{device}",
    "/api/v1/recordings?limit=50",
    "/api/v1/ledger",
    "/api/v1/units",
    "/api/v1/reports/ratio",
)


# ---------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class Payload:
    path: Path
    size: int
    mtime: str
    sha256: str = ""
    sm3: str = ""


def write_big_mp4(path: Path, size: int, index: int, seed: memoryview, template: bytes) -> None:
    """``template`` (a real MP4, moov at the end) with its mdat grown to ``size`` bytes by the
    seed block, each 8 MiB chunk stamped with (file, chunk): no two files or chunks alike."""
    start, box = find_box(template, b"mdat")
    extra = size - len(template)
    with path.open("wb") as out:
        out.write(template[:start])
        out.write(struct.pack(">I4s", box + extra, b"mdat"))
        out.write(template[start + 8 : start + box])
        written = chunk = 0
        while written < extra:
            n = min(BLOCK, extra - written)
            stamp = struct.pack(">QQ", index, chunk)[:n]
            at = (chunk * BLOCK) % len(seed)
            out.write(stamp)
            out.write(seed[at + len(stamp) : at + n])
            written += n
            chunk += 1
        out.write(template[start + box :])


def big_size(index: int, low: int, high: int) -> int:
    """16, 32, 48, 64 MiB in turn (for the default range), so pieces are of every kind."""
    step = (high - low) // 3
    return (low + step * (index % 4)) * MIB


def make_data(folder: Path, args: argparse.Namespace) -> list[list[Payload]]:
    seed = memoryview(os.urandom(SEED))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    sets: list[list[Payload]] = []
    index = 0
    for w in range(args.workstations):
        card = folder / f"ws{w:03d}" / "DCIM"
        card.mkdir(parents=True)
        paths = []
        for i in range(args.files + args.clips):
            when = start + timedelta(minutes=index)
            name = f"DSJ_LOAD{w:03d}_{when.astimezone(SHANGHAI):%Y%m%d%H%M%S}_{i:04d}.MP4"
            if i < args.files:
                template = card / f".template-{i}.mp4"
                make_mp4(template, seconds=1, creation_time=when)
                size = big_size(index, args.low_mib, args.high_mib)
                write_big_mp4(card / name, size, index, seed, template.read_bytes())
                template.unlink()
            else:
                make_mp4(card / name, seconds=1 + i % 3, creation_time=when)
            paths.append(card / name)
            index += 1
        sets.append([payload_of(p) for p in paths])
    return sets


def payload_of(path: Path) -> Payload:
    stat = path.stat()
    mtime = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).isoformat()
    return Payload(path, stat.st_size, mtime)


def digests(path: Path) -> tuple[str, str]:
    sha256, sm3 = hashlib.sha256(), hashlib.new("sm3")
    fd = os.open(path, os.O_RDONLY)
    try:
        while block := os.read(fd, BLOCK):
            sha256.update(block)
            sm3.update(block)
    finally:
        os.close(fd)
    return sha256.hexdigest(), sm3.hexdigest()


def hash_all(paths: list[Path]) -> tuple[dict[Path, tuple[str, str]], float]:
    """SHA-256 + SM3 of every file, one file per task on one thread per core; wall seconds."""
    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        found = dict(zip(paths, pool.map(digests, paths), strict=True))
    return found, time.perf_counter() - started


def with_digests(sets: list[list[Payload]]) -> list[list[Payload]]:
    found, _ = hash_all([p.path for s in sets for p in s])
    return [[Payload(p.path, p.size, p.mtime, *found[p.path]) for p in s] for s in sets]


def sample_of(sets: list[list[Payload]], sample: int) -> tuple[list[Path], int]:
    """The largest files, up to ``sample`` bytes, read once (later reads hit the page cache)."""
    paths, total = [], 0
    for payload in sorted((p for s in sets for p in s), key=lambda p: -p.size):
        if total >= sample:
            break
        paths.append(payload.path)
        total += payload.size
    for path in paths:
        digests_read_only(path)
    return paths, total


def hashing_limit(sets: list[list[Payload]], sample: int) -> float:
    """Bytes per second of SHA-256 + SM3 on all cores, over up to ``sample`` bytes of the
    workstations' files (page-cache reads, as the server's ingest reads its spool)."""
    paths, total = sample_of(sets, sample)
    _, seconds = hash_all(paths)
    return total / seconds


def disk_limit(sets: list[list[Payload]], sample: int, scratch: Path) -> float:
    """Bytes per second of write + fsync of the same files into ``scratch`` (the home's file
    system, where the spool and the store are), one file after the other, 8 MiB blocks: what
    one durable copy of each byte costs. Not the issue's goal; shown to say what limits."""
    paths, total = sample_of(sets, sample)
    scratch.mkdir(exist_ok=True)
    os.sync()
    started = time.perf_counter()
    for i, path in enumerate(paths):
        target = os.open(scratch / f"{i}.copy", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        source = os.open(path, os.O_RDONLY)
        try:
            while block := os.read(source, BLOCK):
                os.write(target, block)
            os.fsync(target)
        finally:
            os.close(source)
            os.close(target)
    seconds = time.perf_counter() - started
    shutil.rmtree(scratch)
    return total / seconds


def digests_read_only(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        while os.read(fd, BLOCK):
            pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# The home: units, officers, devices, device administrators with workstation tokens, browsers


@dataclass
class Workstation:
    name: str
    unit: int
    serial: str
    officer: str  # badge
    admin: str  # the device administrator's username
    payloads: list[Payload]
    token: str = ""


@dataclass
class Login:
    username: str
    password: str
    role: Role
    unit: int
    device_id: int = 0  # a device of the login's unit, for detail pages
    urls: list[tuple[str, str]] = field(default_factory=list)  # (class, path)


@dataclass
class Home:
    path: Path
    url: str  # the database
    env: dict[str, str]
    workstations: list[Workstation]
    logins: dict[str, Login]


def clean_env(database_url: str | None) -> dict[str, str]:
    """No LAWCAM_* from the caller: SQLite in the home, or the database given, local store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWCAM_")}
    if database_url:
        env["LAWCAM_DATABASE_URL"] = database_url
        # PostgreSQL nodes sign sessions with one configured key (docs/operations.md).
        env["LAWCAM_SESSION_SECRET"] = secrets.token_urlsafe(48)
        env["LAWCAM_STORAGE_SHARED"] = "true"  # one machine: the home's folder is shared
    return env


def strong_password() -> str:
    return "Lc7#" + secrets.token_hex(8)  # four classes, nothing of the user name


def unit_name(u: int) -> str:
    return f"负载测试单位{u + 1:02d}"


def init_home(home: Path, database_url: str | None) -> Home:
    env = clean_env(database_url)
    done = subprocess.run(
        [LAWCAM, "--home", str(home), "init", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"lawcam init failed ({done.returncode}):\n{done.stderr[-2000:]}")
    url = database_url or load_settings(home).resolved_database_url
    return Home(home, url, env, [], {})


def populate(home: Home, sets: list[list[Payload]]) -> None:
    """Units of PER_UNIT workstations, each with its device, officer and the unit's device
    administrator; a unit head and two officers with logins per unit; engineering and finance.
    Created in-process through the services as the console (every row audited)."""
    settings = load_settings(home.path)
    database = Database(home.url)
    actor = console_actor("bench-load")
    units = (len(sets) + PER_UNIT - 1) // PER_UNIT
    try:
        with database.unit_of_work() as session:
            equipment.create_model(
                session=session,
                actor=actor,
                data=ModelIn("Bench", MODEL, Category.BODY_CAMERA),
            )
            for u in range(units):
                make_unit(session, actor, settings, home, u, sets)
            for role in (Role.ENGINEERING, Role.FINANCE):
                person = service.create_person(
                    session=session,
                    actor=actor,
                    data=PersonIn(name=f"负载{role.label}", unit=unit_name(0), roles=(role,)),
                )
                add_login(session, actor, settings, home, person.id, role.value, role, 0)
        first = min(login.device_id for login in home.logins.values() if login.device_id)
        for login in home.logins.values():  # the divisions see every unit: the first device
            login.device_id = login.device_id or first
        seed_ledger(database, actor, home)
    finally:
        database.dispose()


def make_unit(
    session: Session,
    actor: Actor,
    settings: Settings,
    home: Home,
    u: int,
    sets: list[list[Payload]],
) -> None:
    name = unit_name(u)
    service.create_unit(session=session, actor=actor, data=UnitIn(name, UnitClass.MANY))

    def person(label: str, badge: str, roles: tuple[Role, ...] = ()) -> int:
        data = PersonIn(name=label, unit=name, badge=badge, is_officer=True, roles=roles)
        return service.create_person(session=session, actor=actor, data=data).id

    admin = f"wsadmin{u + 1:02d}"
    add_login(
        session,
        actor,
        settings,
        home,
        person(f"负载管理员{u + 1}", f"LA{u:03d}", (Role.DEVICE_ADMIN,)),
        admin,
        Role.DEVICE_ADMIN,
        u,
    )
    head = person(f"负载负责人{u + 1}", f"LH{u:03d}", (Role.UNIT_HEAD,))
    add_login(session, actor, settings, home, head, f"head{u + 1:02d}", Role.UNIT_HEAD, u)
    first = u * PER_UNIT
    for w in range(first, min(first + PER_UNIT, len(sets))):
        badge = f"LO{w:03d}"
        officer = person(f"负载警员{w + 1}", badge)
        if w - first < 2:  # two officers with logins per unit
            login = f"officer{w + 1:03d}"
            add_login(session, actor, settings, home, officer, login, Role.OFFICER, u)
        serial = f"LOAD-{w + 1:03d}"
        device = equipment.create_device(
            session=session,
            actor=actor,
            data=DeviceIn(
                serial, f"LOAD-A{w + 1:03d}", MODEL, name, Decimal("1000.00"), "现场执法"
            ),
        )
        ws = Workstation(f"负载工作站-{w + 1:03d}", u, serial, badge, admin, sets[w])
        home.workstations.append(ws)
        for browser in home.logins.values():
            if browser.unit == u and not browser.device_id:
                browser.device_id = device.id


def add_login(
    session: Session,
    actor: Actor,
    settings: Settings,
    home: Home,
    person_id: int,
    username: str,
    role: Role,
    unit: int,
) -> None:
    password = strong_password()
    accounts.create_account(
        session=session,
        actor=actor,
        settings=settings,
        person_id=person_id,
        username=username,
        password=password,
        **NO_CHANGE_NEEDED,
    )
    home.logins[username] = Login(username, password, role, unit)


# The console may set a password that needs no change at first login (where the tree has
# must-change passwords; the first login below changes each password once anyway).
NO_CHANGE_NEEDED = (
    {"must_change": False}
    if "must_change" in inspect.signature(accounts.create_account).parameters
    else {}
)


def seed_ledger(database: Database, actor: Actor, home: Home) -> None:
    """Each workstation's device checked out to its officer, so the ledger has rows. Best
    effort: the custody services are being changed by others; a failure leaves it empty."""
    from lawcam.custody import service as custody
    from lawcam.custody.types import CheckLimits, CheckoutIn, PreUseCheck

    try:
        with database.unit_of_work() as session:
            for ws in home.workstations:
                custody.checkout(
                    session=session,
                    actor=actor,
                    limits=CheckLimits(),
                    data=CheckoutIn(ws.serial, ws.officer, PreUseCheck(95, 12.0, 0.5)),
                )
    except (LawcamError, TypeError, ValueError) as exc:
        print(f"  (ledger left empty: checkout failed: {exc})")


def make_tokens(home: Home) -> None:
    """One API token per workstation, for its unit's device administrator (as the console)."""
    database = Database(home.url)
    actor = console_actor("bench-load")
    try:
        with database.unit_of_work() as session:
            ids = {a.username: a.id for a in accounts_of(session)}
            for ws in home.workstations:
                _, ws.token = accounts.create_token(
                    session=session, actor=actor, account_id=ids[ws.admin], name=ws.name
                )
    finally:
        database.dispose()


def accounts_of(session: Session) -> list[Account]:
    return list(session.scalars(select(Account)))


# ---------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``lawcam --home H serve`` on 127.0.0.1, in its own session (Ctrl+C reaches us, and we
    stop it: SIGINT, then SIGTERM, then SIGKILL)."""

    def __init__(self, home: Home, log: Path, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = log.open("wb")
        command = [LAWCAM, "--home", str(home.path), "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=home.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /api/v1/health in {timeout:g} s")

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def cpu_seconds(self) -> float:
        """The server's CPU: with --workers, the watching process and every worker."""
        return sum(process_cpu(pid) for pid in family(self.proc.pid))

    def stop(self) -> None:
        for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            self.proc.send_signal(sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                print(f"  (the server ignored {sig.name} for {wait:g} s)")
        self.log.close()


def family(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's workers are children of the serve command)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# The clients


@dataclass
class Tally:
    """Every request of one class: when it started and how long it took (a timeout or a
    transport error counts with the time it took, so percentiles never hide it)."""

    starts: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    samples: Counter[str] = field(default_factory=Counter)

    def add(self, started: float) -> None:
        self.starts.append(started)
        self.latencies.append(time.perf_counter() - started)

    def since(self, moment: float) -> list[float]:
        return [x for t, x in zip(self.starts, self.latencies, strict=True) if t >= moment]

    def line(self, name: str) -> str:
        data = sorted(self.latencies)
        cells = [pct(data, q) for q in (0.50, 0.95, 0.99, 1.0)]
        shown = " ".join(f"{c:>8}" for c in cells)
        return f"  {name:<16} {len(data):>8} {self.errors:>7} {self.timeouts:>8} {shown}"


def quantile(data: list[float], q: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


def pct(data: list[float], q: float) -> str:
    return f"{quantile(data, q) * 1e3:.0f}" if data else "-"


@dataclass
class Phase:
    """What one load phase measured."""

    tallies: dict[str, Tally] = field(default_factory=lambda: {c: Tally() for c in CLASSES})
    started: float = 0.0
    deadline: float = 0.0
    last_done: float = 0.0
    completed_bytes: int = 0
    completed_files: int = 0
    duplicates: int = 0
    sent_bytes: int = 0
    ended: float = 0.0
    logged_in: int = 0
    go: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def call(
        self, http: httpx.AsyncClient, cls: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        tally = self.tallies[cls]
        started = time.perf_counter()
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            tally.add(started)
            tally.timeouts += 1
            tally.samples[f"timeout {method} {shape(url)}: {type(exc).__name__}"] += 1
            return None
        except httpx.HTTPError as exc:
            tally.add(started)
            tally.errors += 1
            tally.samples[f"{method} {shape(url)}: {type(exc).__name__} {exc}"[:200]] += 1
            return None
        tally.add(started)
        if not 200 <= response.status_code < 300:
            tally.errors += 1
            tally.samples[f"{response.status_code} {method} {shape(url)}: {reason(response)}"] += 1
            return None
        return response


def shape(url: str) -> str:
    """The URL with ids and queries elided, so samples group by route."""
    parts = url.split("?", 1)[0].split("/")
    return "/".join("…" if p.isdigit() or len(p) == 32 else p for p in parts)


def reason(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])[:120]
    except (ValueError, KeyError, TypeError):
        return response.text[:120].replace("\n", " ")


async def workstation(base: str, ws: Workstation, phase: Phase, timeout: float) -> None:
    headers = {"Authorization": f"Bearer {ws.token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout) as http:
        opened = await phase.call(
            http,
            "upload control",
            "POST",
            "/api/v1/ingest-runs",
            json={
                "device": ws.serial,
                "workstation": ws.name,
                "officer": ws.officer,
                "source": f"D:\\DCIM\\{ws.serial}",
            },
        )
        if opened is None:
            return
        run_id = opened.json()["id"]
        for payload in ws.payloads:
            if time.perf_counter() >= phase.deadline:
                break
            await upload(http, run_id, payload, phase)


async def upload(http: httpx.AsyncClient, run_id: int, payload: Payload, phase: Phase) -> None:
    body = {
        "run_id": run_id,
        "name": payload.path.name,
        "size": payload.size,
        "sha256": payload.sha256,
        "sm3": payload.sm3,
        "mtime": payload.mtime,
    }
    opened = await phase.call(http, "upload control", "POST", "/api/v1/uploads", json=body)
    if opened is None:
        return
    state = opened.json()
    if state["status"] == "duplicate":
        phase.duplicates += 1
        return
    if not await send_pieces(http, payload, state["id"], state["offset"], phase):
        return
    done = await phase.call(
        http, "upload complete", "POST", f"/api/v1/uploads/{state['id']}/complete"
    )
    result = done.json() if done is not None else {}
    if result.get("recording_id") is not None and result.get("status") != "duplicate":
        phase.completed_bytes += payload.size
        phase.completed_files += 1
        phase.last_done = time.perf_counter()


async def send_pieces(
    http: httpx.AsyncClient, payload: Payload, upload_id: str, offset: int, phase: Phase
) -> bool:
    fd = os.open(payload.path, os.O_RDONLY)
    try:
        while offset < payload.size:
            piece = await asyncio.to_thread(os.pread, fd, min(PIECE, payload.size - offset), offset)
            answer = await phase.call(
                http,
                "upload pieces",
                "PUT",
                f"/api/v1/uploads/{upload_id}",
                params={"offset": offset},
                content=piece,
                headers={"Content-Type": "application/octet-stream"},
            )
            if answer is None:
                return False
            phase.sent_bytes += len(piece)
            offset = answer.json()["offset"]
    finally:
        os.close(fd)
    return True


async def person(
    base: str, login: Login, phase: Phase, rng: random.Random, args: argparse.Namespace
) -> None:
    await asyncio.sleep(rng.uniform(0, args.ramp))
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout) as http:
        body = {"username": login.username, "password": login.password}
        answer = await phase.call(http, "login", "POST", "/api/v1/auth/login", json=body)
        phase.logged_in += 1
        if answer is None:
            return
        await phase.go.wait()
        while not phase.stop.is_set():
            cls, url = rng.choice(login.urls)
            await phase.call(http, cls, "GET", url)
            with suppress(TimeoutError):
                await asyncio.wait_for(phase.stop.wait(), rng.uniform(*args.think))


async def load_phase(base: str, home: Home, args: argparse.Namespace) -> Phase:
    phase = Phase()
    rng = random.Random(20261207)  # think times, not a secret
    logins = people_logins(home, args.people)
    browsing = [
        asyncio.create_task(person(base, login, phase, random.Random(rng.random()), args))
        for login in logins
    ]
    if args.logins_first:  # everyone logs in before the clock starts (an experiment)
        give_up = time.perf_counter() + args.ramp + 2 * args.timeout
        while phase.logged_in < len(logins) and time.perf_counter() < give_up:
            await asyncio.sleep(0.2)
    phase.go.set()
    phase.started = time.perf_counter()
    phase.deadline = phase.started + args.seconds
    uploads = [
        asyncio.create_task(workstation(base, ws, phase, args.timeout)) for ws in home.workstations
    ]
    hard_stop = args.seconds + 4 * args.timeout
    _, late = await asyncio.wait(uploads, timeout=hard_stop)
    phase.stop.set()
    for task in late:
        task.cancel()
    if browsing:
        await asyncio.wait(browsing, timeout=args.timeout + 5)
    for task in browsing:
        task.cancel()
    await asyncio.gather(*uploads, *browsing, return_exceptions=True)
    if late:
        print(f"  ({len(late)} workstations still busy {hard_stop:g} s after the start: stopped)")
    phase.ended = time.perf_counter()
    return phase


def people_logins(home: Home, people: int) -> list[Login]:
    by_role: dict[Role, list[Login]] = {}
    for login in home.logins.values():
        if login.urls:
            by_role.setdefault(login.role, []).append(login)
    chosen = []
    for i in range(people):
        role = ROLE_CYCLE[i % len(ROLE_CYCLE)]
        pool = by_role.get(role) or [x for xs in by_role.values() for x in xs]
        chosen.append(pool[i % len(pool)])
    return chosen


# ---------------------------------------------------------------------------------------------
# Before the clock: each browsing account's password changed once by its owner (an initial
# password set by an administrator may have to be changed at first login), and what each role
# may see found out, so that a refusal during the run is an error, not a role's limit.


def first_login(base: str, login: Login) -> None:
    with httpx.Client(base_url=base, timeout=60.0) as http:
        answer = log_in(http, login)
        if answer.get("must_change_password"):
            change_password(http, login, answer["csrf_token"])
            http.cookies.clear()  # a new login, not a request of the old session (CSRF)
            answer = log_in(http, login)
        login.urls, refused = visible_urls(http, login)
        if refused:
            print(f"  {login.username} ({login.role.value}) may not see: {', '.join(refused)}")
        http.post("/api/v1/auth/logout", headers={"x-csrf-token": answer["csrf_token"]})


def log_in(http: httpx.Client, login: Login) -> dict[str, Any]:
    body = {"username": login.username, "password": login.password}
    answer = http.post("/api/v1/auth/login", json=body)
    if answer.status_code != 200:
        raise RuntimeError(f"login of {login.username}: {answer.status_code} {answer.text[:300]}")
    return answer.json()  # type: ignore[no-any-return]


def change_password(http: httpx.Client, login: Login, csrf: str) -> None:
    new = strong_password()
    changed = http.post(
        "/api/v1/me/password",
        json={"old_password": login.password, "new_password": new},
        headers={"x-csrf-token": csrf},
    )
    if changed.status_code >= 300:
        raise RuntimeError(f"password change of {login.username}: {changed.text[:300]}")
    login.password = new


def visible_urls(http: httpx.Client, login: Login) -> tuple[list[tuple[str, str]], list[str]]:
    urls, refused = [], []
    for cls, paths in (("browse pages", PAGES), ("browse API", API)):
        for path in paths:
            url = path.format(device=login.device_id)
            status = http.get(url).status_code
            if status in (401, 403, 404):
                refused.append(f"{url} ({status})")
            else:
                urls.append((cls, url))  # anything else, even a 500, is kept and counted
    return urls, refused


def prepare_logins(base: str, home: Home) -> None:
    for login in home.logins.values():  # one at a time: the setup is not what is measured
        first_login(base, login)


# ---------------------------------------------------------------------------------------------
# Profiling the server (optional)


@contextmanager
def profiled(pid: int, seconds: float, out: Path, py_spy: str | None) -> Iterator[None]:
    if not py_spy:
        yield
        return
    proc = subprocess.Popen(
        [
            *(py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))),
            *(
                "--rate",
                str(RATE_HZ),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
                "--full-filenames",
                "--subprocesses",
            ),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield
    finally:
        if proc.poll() is None:  # the phase ended first: py-spy writes what it has on SIGINT
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Where a sample belongs: the first of these found going from the innermost frame outwards
# (a query run while rendering a template counts as database, a hash inside the ingest as
# hashing).
KINDS = (
    ("argon2 (login)", ("/argon2/",)),
    ("ingest stream: SHA-256 + SM3 + store copy", ("/evidence/stream.py",)),
    ("spool: upload pieces to disk", ("/evidence/uploads.py",)),
    ("database (SQLAlchemy, driver)", ("/sqlalchemy/", "/psycopg/", "/sqlite3/")),
    ("pages (jinja2)", ("/jinja2/",)),
    ("validation (pydantic)", ("/pydantic/", "/pydantic_core/")),
    ("HTTP (h11, uvicorn, starlette)", ("/h11/", "/uvicorn/", "/starlette/", "/fastapi/")),
    ("event loop, threads (asyncio, anyio)", ("/asyncio/", "/anyio/", "/threading.py")),
    ("lawcam itself", ("/lawcam/",)),
)
RATE_HZ = 50


def kind_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for kind, needles in KINDS:
            if any(n in frame for n in needles):
                return kind
    return "other"


# Innermost frames that wait rather than compute (py-spy's idle detection misses them: a
# thread blocked in a lock, a poll or the database driver's wait still counts as active).
WAITING = (
    "Condition.wait",
    "Event.wait",
    "EpollSelector.select",
    "Connection.wait",
    "Thread._wait_for_tstate_lock",
    "_wait_for_tstate_lock",
    "wait",
    "sleep",
)


def profile_summary(raw: Path, top: int = 8) -> list[str]:
    """The server's samples by kind and by innermost frame, waiting ones set apart."""
    if not raw.exists():
        return ["  (no profile written)"]
    kinds: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    waiting = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        name, _, where = frames[-1].partition(" (")
        if name in WAITING:
            waiting += int(count)
            continue
        kinds[kind_of(frames)] += int(count)
        leaves[f"{name} ({where.rpartition('/')[2]}"] += int(count)
    total = sum(kinds.values())
    lines = [
        f"server profile (py-spy, {RATE_HZ} Hz): {total} working samples "
        f"({waiting} waiting in locks, polls and the driver left out), by kind:"
    ]
    lines += [f"  {n / max(total, 1):6.1%}  {kind}" for kind, n in kinds.most_common()]
    lines.append("  innermost frames:")
    lines += [f"  {n / max(total, 1):6.1%}  {name}" for name, n in leaves.most_common(top)]
    return lines


# ---------------------------------------------------------------------------------------------
# One database


@dataclass
class Result:
    backend: str
    phase: Phase
    seconds: float
    limit: float
    limits: tuple[float, float]
    client_cpu: float
    server_cpu: float
    machine_busy: float
    profile: list[str]
    ramp: float
    disk: float

    @property
    def rate(self) -> float:
        return self.phase.completed_bytes / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.limit if self.limit else 0.0

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.phase.tallies.values())

    @property
    def timeouts(self) -> int:
        return sum(t.timeouts for t in self.phase.tallies.values())

    def browse(self, after_logins: bool = False) -> list[float]:
        """Browse latencies; ``after_logins``: of requests started once everyone logged in."""
        moment = self.phase.started + (self.ramp if after_logins else 0.0)
        return [x for c in BROWSE for x in self.phase.tallies[c].since(moment)]


def one_backend(
    backend: str,
    database_url: str | None,
    sets: list[list[Payload]],
    args: argparse.Namespace,
    work: Path,
) -> Result:
    print(f"\n== {backend} ==")
    started = time.perf_counter()
    home = init_home(work / f"home-{backend}", database_url)
    populate(home, sets)
    server = Server(home, work / f"server-{backend}.log", args.server_workers)
    try:
        server.wait_ready()
        prepare_logins(server.base, home)
        make_tokens(home)
        print(
            f"home: {len(home.workstations)} workstations in "
            f"{(len(home.workstations) + PER_UNIT - 1) // PER_UNIT} units, "
            f"{len(home.logins)} browsing accounts; ready in {time.perf_counter() - started:.1f} s "
            f"(server {server.base}, log {server.log_path})"
        )
        before = hashing_limit(sets, args.limit_sample)
        disk = disk_limit(sets, args.limit_sample, home.path / "scratch")
        cpu0, server0, ticks0 = own_cpu(), server.cpu_seconds(), machine_ticks()
        with profiled(server.proc.pid, args.seconds, work / f"profile-{backend}.txt", args.py_spy):
            phase = asyncio.run(load_phase(server.base, home, args))
            cpu1, server1, ticks1 = own_cpu(), server.cpu_seconds(), machine_ticks()
        after = hashing_limit(sets, args.limit_sample)
        disk = max(disk, disk_limit(sets, args.limit_sample, home.path / "scratch"))
        if server.proc.poll() is not None:
            print(f"  the server died during the run:\n{server.tail()}")
    finally:
        server.stop()
    span = (phase.last_done or time.perf_counter()) - phase.started
    busy = (ticks1[0] - ticks0[0]) / max(ticks1[1] - ticks0[1], 1)
    profile = profile_summary(work / f"profile-{backend}.txt") if args.py_spy else []
    result = Result(
        backend,
        phase,
        span,
        max(before, after),
        (before, after),
        cpu1 - cpu0,
        server1 - server0,
        busy,
        profile,
        0.0 if args.logins_first else args.ramp,
        disk,
    )
    report(result, args)
    if not args.keep:
        shutil.rmtree(home.path, ignore_errors=True)
    return result


def report(result: Result, args: argparse.Namespace) -> None:
    phase = result.phase
    wall = phase.ended - phase.started
    print(
        f"load phase: {wall:.1f} s (deadline {args.seconds:g} s); client timeout {args.timeout:g} s"
    )
    print(
        f"  {'class':<16} {'requests':>8} {'errors':>7} {'timeouts':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    for name in CLASSES:
        print(phase.tallies[name].line(name))
    moment = phase.started + result.ramp  # steady: requests started after the last login
    for name in BROWSE:
        late = sorted(phase.tallies[name].since(moment))
        cells = " ".join(f"{pct(late, q):>8}" for q in (0.50, 0.95, 0.99, 1.0))
        label = name.replace("browse ", "") + ", steady"
        print(f"  {label:<16} {len(late):>8} {'':>7} {'':>8} {cells}")
    for name in CLASSES:
        for sample, n in phase.tallies[name].samples.most_common(4):
            print(f"    {name}: {n} × {sample}")
    print(
        f"uploads: {phase.completed_files} files, {phase.completed_bytes / 1e6:,.0f} MB completed "
        f"into recordings in {result.seconds:.1f} s = {result.rate / 1e6:.0f} MB/s "
        f"({phase.sent_bytes / 1e6:,.0f} MB sent; {phase.duplicates} duplicates)"
    )
    before, after = result.limits
    print(
        f"hashing limit (SHA-256 + SM3, {WORKERS} threads): before {before / 1e6:.0f} MB/s, "
        f"after {after / 1e6:.0f} MB/s, kept {result.limit / 1e6:.0f} MB/s"
    )
    print(
        f"write + fsync on the home's file system (not in the goal): {result.disk / 1e6:.0f} MB/s "
        f"(best of before and after); upload rate / that = {result.rate / result.disk:.2f}"
    )
    print(
        f"cpu: load generator {result.client_cpu:.1f} s ({result.client_cpu / wall:.2f} cores), "
        f"server {result.server_cpu:.1f} s ({result.server_cpu / wall:.2f} cores), "
        f"machine busy {result.machine_busy:.0%} of {WORKERS} cores"
    )
    for line in result.profile:
        print(line)
    print(f"load average at the end: {os.getloadavg()}")
    print(f"ratio ({result.backend}) = upload rate / hashing limit = {result.ratio:.2f}")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: a throw-away database


@contextmanager
def pg_database(server: str) -> Iterator[str | None]:
    try:
        import psycopg

        admin = psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:  # no server, no driver: skipped
        print(f"\n== postgresql ==\nno PostgreSQL server answered at {server} ({exc}): skipped")
        yield None
        return
    name = f"lawcam_load_{os.getpid()}"
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{server}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# ---------------------------------------------------------------------------------------------


def think_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    values = (float(low), float(high or low))
    if not 0 <= values[0] <= values[1]:
        raise argparse.ArgumentTypeError("--think: LOW-HIGH seconds, 0 ≤ LOW ≤ HIGH")
    return values


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load phase per database")
    parser.add_argument("--workstations", type=int, default=25)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--files", type=int, default=4, help="large files per workstation")
    parser.add_argument("--clips", type=int, default=2, help="short real clips per workstation")
    parser.add_argument("--low-mib", type=int, default=16, help="smallest large file")
    parser.add_argument("--high-mib", type=int, default=64, help="largest large file")
    parser.add_argument("--think", type=think_range, default=(1.0, 3.0), help="LOW-HIGH s")
    parser.add_argument("--ramp", type=float, default=None, help="logins spread over (s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout (s)")
    parser.add_argument(
        "--logins-first",
        action="store_true",
        help="experiment: everyone logs in (over --ramp) before the clock starts",
    )
    parser.add_argument("--limit-sample-mib", type=int, default=512, help="hashing limit over")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="lawcam serve --workers (default: one per core, as docs/operations.md advises)",
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server (no database)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy")
    parser.add_argument("--py-spy", default=None, help="py-spy executable (implies --profile)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.workstations, args.people = 10.0, 4, 10
        args.files, args.clips, args.low_mib, args.high_mib = 2, 1, 16, 16
        args.limit_sample_mib = 128
    if args.workstations < 1 or args.people < 0 or args.files < 0 or args.clips < 0:
        parser.error("--workstations ≥ 1; --people, --files, --clips ≥ 0")
    if args.files + args.clips < 1 or not 1 <= args.low_mib <= args.high_mib < 4096:
        parser.error("at least one file per workstation; 1 ≤ --low-mib ≤ --high-mib < 4096")
    if args.ramp is None:
        args.ramp = min(30.0, args.seconds / 2)
    args.limit_sample = args.limit_sample_mib * MIB
    if args.profile and not args.py_spy:
        args.py_spy = shutil.which("py-spy")
        if not args.py_spy:
            parser.error("--profile: py-spy is not on PATH (give --py-spy PATH)")
    return args


def machine_line() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "?"
    return (
        f"machine: {os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {ssl.OPENSSL_VERSION}; httpx {httpx.__version__}"
    )


def run(args: argparse.Namespace, work: Path) -> list[Result]:
    print("lawcam many-at-once benchmark (bench/load.py)")
    print(machine_line())
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()}")
    print(
        f"parameters: {args.workstations} workstations, {args.people} people, "
        f"{args.seconds:g} s per database, think {args.think[0]:g}–{args.think[1]:g} s, "
        f"logins spread over {args.ramp:g} s, timeout {args.timeout:g} s, "
        f"server processes {args.server_workers}"
    )
    started = time.perf_counter()
    sets = with_digests(make_data(work / "data", args))
    total = sum(p.size for s in sets for p in s)
    count = sum(len(s) for s in sets)
    print(
        f"data: {count} files ({args.files} × {args.low_mib}–{args.high_mib} MiB MP4 + "
        f"{args.clips} clips per workstation), {total / 2**30:.2f} GiB, made and hashed in "
        f"{time.perf_counter() - started:.1f} s"
    )
    results = []
    if args.only in (None, "sqlite"):
        results.append(one_backend("sqlite", None, sets, args, work))
    if args.only in (None, "postgresql"):
        with pg_database(args.pg) as url:
            if url is not None:
                results.append(one_backend("postgresql", url, sets, args, work))
    return results


def goals(results: list[Result]) -> None:
    print("\ngoals:")
    for r in results:
        met = "met" if r.errors == 0 and r.timeouts == 0 else "NOT met"
        print(
            f"  {r.backend}: 0 errors, 0 timeouts: {met} ({r.errors} errors, {r.timeouts} timeouts)"
        )
        p95, steady = quantile(r.browse(), 0.95) * 1e3, quantile(r.browse(True), 0.95) * 1e3
        met = "met" if p95 <= 300 else "NOT met"
        goal = f"≤ 300 ms: {met}" if r.backend == "postgresql" else "(no goal on SQLite)"
        print(f"  {r.backend}: browse p95 {goal} ({p95:.0f} ms; {steady:.0f} ms after the logins)")
        met = "met" if r.ratio >= 0.8 else "NOT met"
        print(f"  {r.backend}: uploads ≥ 0.8 of the hashing limit: {met} ({r.ratio:.2f})")
    print("ratio: " + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results) + " (goal ≥ 0.8)")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args = options()
    for key in [k for k in os.environ if k.startswith("LAWCAM_")]:
        del os.environ[key]  # the in-process setup reads Settings from the environment too
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lawcam-load-", dir=args.workdir))
    try:
        goals(run(args, work))
    except KeyboardInterrupt:
        print("\ninterrupted: server stopped, work directory removed")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

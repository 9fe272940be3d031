"""Scale (issue 19, Deliver 4): lawcam at the size of a whole city's archive.

1. A fresh home (``lawcam --home H init``; on PostgreSQL a new database lawcam_scale_… on the
   server of LAWCAM_TEST_PG_URL, as bench/harness.py names it) bulk-loaded by
   ``bench/scale_data.py``: units, people, devices through the services; custody periods, ingest
   runs, recordings (default 10^7 on PostgreSQL by COPY, 10^6 on SQLite by executemany),
   activities (a tenth of the recordings) with links, penalty cases with links and kept states,
   findings, and the audit log (default as many entries as recordings) with its Merkle tree,
   computed by the project's own audit code so that ``lawcam verify --log`` passes.
2. ``lawcam --home H serve`` started on a free port (bench/load.py's ``Server``) and, for six
   logins (officer, unit head, device administrator, engineering supervision, auditor, security
   administrator), every GET route without a path parameter (taken from the app's routers; no
   downloads, static files or streams), plain and with each of its typical filters (a month's
   date range, a unit, an officer, a status, a search, a later page), and detail pages of a few
   ids: ``--warmup`` (2) requests, then ``--repeat`` (20) timed ones (5 when a warm-up took over
   2 s), p50/p95. Goals: lists p95 ≤ 200 ms, reports (ratio, specs, custody, a month's ledger,
   findings, retention/expiring, the home dashboard) ≤ 1 s.
3. The audit log's verification (``audit.integrity.check_log``, what ``verify --log`` runs)
   timed while loading, at 10^3, 10^4, … entries and at the end: time per entry and the ratio
   between sizes (linear: the time ratio is the size ratio).
4. The machine (cores, load average) and the database versions.

``--keep`` keeps the home (and the PostgreSQL database); what a later run needs is in
H/scale.json. ``--reuse H`` measures a kept home again without loading it.

Usage: python bench/scale.py [--only sqlite|postgresql] [--recordings N] [--activities N]
         [--audit N] [--findings N] [--quick] [--keep] [--workdir DIR] [--repeat 20]
         [--roles officer,unit_head,…] [--no-measure]
       python bench/scale.py --reuse HOME [--repeat 20] [--roles …] [--match TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import PG_URL, p95, server_version
from harness import load as load_average
from load import LAWCAM, Server, clean_env
from load import Home as LoadHome
from scale_data import Office, Sizes, build_people, bulk_load
from sqlalchemy import func, select, text

from lawcam.activities.models import ActivityOfficer
from lawcam.audit.integrity import Collector, check_log
from lawcam.audit.signing import load_signer
from lawcam.authz import console_actor
from lawcam.compliance.models import Finding
from lawcam.config import load_settings
from lawcam.db import Database, make_engine
from lawcam.evidence.models import Recording
from lawcam.retention.models import PenaltyCase
from lawcam.web.app import DOMAINS

LIST_GOAL, REPORT_GOAL = 0.200, 1.0
REPORTS = {"/reports/ratio", "/api/v1/reports/ratio", "/reports/specs", "/api/v1/reports/specs",
           "/api/v1/reports/budget", "/reports/custody", "/findings", "/api/v1/findings",
           "/retention", "/api/v1/retention/expiring", "/api/v1/retention/storage", "/"}  # fmt: skip
SKIP = {"/api/v1/health", "/login", "/recordings/late", "/imports"}
DETAILS = ("/recordings/{rec}", "/api/v1/recordings/{rec}", "/activities/{act}",
           "/api/v1/activities/{act}", "/devices/{dev}", "/api/v1/devices/{dev}",
           "/api/v1/devices/{dev}/history", "/findings/{fid}", "/api/v1/findings/{fid}",
           "/cases/{case}", "/api/v1/cases/{case}", "/people/{person}", "/units/{unit}")  # fmt: skip
STATUS = {"/api/v1/devices": "in_service", "/devices": "in_service", "/accounts": "active",
          "/procurements": "pending", "/api/v1/access-requests": "pending",
          "/api/v1/cases": "open", "/cases": "open", "/api/v1/findings": "pending",
          "/findings": "pending"}  # fmt: skip
SEARCH = {"/api/v1/people": "警员1", "/people": "警员1", "/accounts": "scale", "/roles": "大队长",
          "/api/v1/devices": "CITY-0001", "/devices": "CITY-0001", "/api/v1/cases": "占道",
          "/cases": "占道"}  # fmt: skip
DATES = (("from", "to"), ("since", "until"), ("date_from", "date_to"))


# --- homes ---------------------------------------------------------------------------------------


def make_home(kind: str, workdir: Path, tag: str) -> tuple[Path, str, dict[str, str]]:
    """A home initialised by ``lawcam init``: SQLite in it, or a new PostgreSQL database."""
    home = workdir / f"scale-{kind}-{tag}"
    url = None
    if kind == "postgresql":
        name = f"lawcam_scale_{tag}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_URL.rpartition("/")[0] + "/" + name
    env = clean_env(url)
    done = subprocess.run([LAWCAM, "--home", str(home), "init", "--json"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"lawcam init failed:\n{done.stderr[-2000:]}")
    return home, url or load_settings(home).resolved_database_url, env


def drop_home(home: Path, url: str) -> None:
    if url.startswith("postgresql"):
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(home, ignore_errors=True)


@dataclass
class Stored:
    """H/scale.json: what a later ``--reuse`` needs."""

    kind: str
    url: str
    env: dict[str, str]
    logins: dict[str, dict[str, Any]]
    office: dict[str, Any]
    sizes: dict[str, int]
    load: dict[str, float]
    verify: list[list[float]]

    def save(self, home: Path) -> None:
        (home / "scale.json").write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1))

    @staticmethod
    def read(home: Path) -> Stored:
        return Stored(**json.loads((home / "scale.json").read_text()))


# --- 1 and 3: the load, the verification at sizes ------------------------------------------------


def loaded(kind: str, args: argparse.Namespace, workdir: Path) -> tuple[Path, Stored]:
    sizes = Sizes.of(args.recordings, args.activities, args.audit, args.findings)
    tag = f"{sizes.recordings:.0e}".replace("+0", "").replace("+", "")
    home, url, env = make_home(kind, workdir, tag)
    print(f"\n== {kind}: home {home} ({url.rpartition('@')[2] if '@' in url else url})")
    print(f"   sizes: {sizes}")
    settings = load_settings(home)
    database = Database(url)
    signer = load_signer(home)
    verify: list[list[float]] = []

    def milestone(size: int) -> None:
        if verify and verify[-1][0] == size:
            return  # two sizes passed in one transaction: measured once
        seconds, checked, problems = verified(database, signer.public_key)
        verify.append([size, checked, seconds, problems])
        print(f"    verify at {checked:,} entries: {seconds:.2f} s "
              f"({seconds / max(1, checked) * 1e6:.1f} µs/entry), problems {problems}",
              flush=True)  # fmt: skip

    try:
        t = time.perf_counter()
        office = build_people(database, settings, console_actor("bench-scale"), sizes)
        people_s = time.perf_counter() - t
        print(f"   people, units, devices through the services: {people_s:.1f} s", flush=True)
        marks = [10**e for e in range(3, 9) if 10**e < sizes.audit]
        counts = bulk_load(database, office, sizes, marks, milestone, args.batch)
        counts["people_s"] = people_s
        milestone(int(counts["audit_size"]))
    finally:
        database.dispose()
    stored = Stored(kind, url, {k: v for k, v in env.items() if k.startswith("LAWCAM_")},
                    office.logins, office_json(office), sizes.__dict__, counts, verify)  # fmt: skip
    stored.save(home)
    print_load(counts)
    return home, stored


def office_json(office: Office) -> dict[str, Any]:
    return {"units": office.units, "officer": office.officers[0], "badge": office.badges[0],
            "device": office.devices[0], "serial": office.serials[0]}  # fmt: skip


def verified(database: Database, public_key: bytes) -> tuple[float, int, int]:
    found = Collector()
    with database.read() as session:
        t = time.perf_counter()
        check_log(session=session, public_key=public_key, found=found)
        seconds = time.perf_counter() - t
    for problem in found.problems[:5]:
        print(f"      problem: {problem.as_dict()}")
    return seconds, found.events_checked, len(found.problems)


def print_load(counts: dict[str, float]) -> None:
    rows = {k: int(v) for k, v in counts.items() if not k.endswith("_s") and k != "audit_size"}
    print("   rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print(f"   load: people {counts['people_s']:.1f} s; bulk {counts['total_s']:.1f} s "
          f"(generate {counts['generate_s']:.1f} s, write {counts['write_s']:.1f} s, "
          f"analyze {counts['settle_s']:.1f} s); audit log {int(counts['audit_size']):,} entries")  # fmt: skip


def print_verify(verify: list[list[float]]) -> None:
    print("\n   verify --log (audit.integrity.check_log) linearity:")
    print(
        f"   {'entries':>12} {'seconds':>9} {'µs/entry':>9} {'size ratio':>11} {'time ratio':>11}"
    )
    previous = None
    for _, checked, seconds, problems in verify:
        ratios = ""
        if previous is not None and previous[0] > 0 and previous[1] > 0:
            ratios = f"{checked / previous[0]:>11.1f} {seconds / previous[1]:>11.1f}"
        per = seconds / max(1, checked) * 1e6
        bad = f"  PROBLEMS {int(problems)}" if problems else ""
        print(f"   {int(checked):>12,} {seconds:>9.2f} {per:>9.1f} {ratios}{bad}")
        previous = (checked, seconds)


# --- 2: the routes -------------------------------------------------------------------------------


@dataclass
class Context:
    unit: int
    badge: str
    officer: int
    serial: str
    month: tuple[str, str]
    ids: dict[str, list[str]]
    audit_size: int


def context_of(stored: Stored) -> Context:
    office = stored.office
    first = date.today().replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    database = Database(stored.url)
    officer, unit = office["officer"], office["units"][0]
    try:
        with database.read() as session:
            rec = session.execute(select(func.min(Recording.id), func.max(Recording.id))
                                  .where(Recording.officer_id == officer)).one()  # fmt: skip
            act = session.execute(select(func.min(ActivityOfficer.activity_id),
                                         func.max(ActivityOfficer.activity_id))
                                  .where(ActivityOfficer.person_id == officer)).one()  # fmt: skip
            fid = session.execute(select(func.min(Finding.id), func.max(Finding.id))
                                  .where(Finding.person_id == officer)).one()  # fmt: skip
            cases = session.scalars(select(PenaltyCase.number).where(PenaltyCase.unit_id == unit)
                                    .order_by(PenaltyCase.id).limit(2)).all()  # fmt: skip
            size = int(session.scalar(text("SELECT max(seq) FROM audit_event")) or 0) + 1
    finally:
        database.dispose()
    ids = {"rec": [str(i) for i in rec if i], "act": [str(i) for i in act if i],
           "fid": [str(i) for i in fid if i], "case": list(cases),
           "dev": [str(office["device"])], "person": [str(officer)], "unit": [str(unit)]}  # fmt: skip
    return Context(unit, office["badge"], officer, office["serial"],
                   (last_month.isoformat(), (first - timedelta(days=1)).isoformat()), ids, size)  # fmt: skip


def list_routes() -> list[tuple[str, list[str]]]:
    """GET routes without path parameters and their query parameters, from the app's routers."""
    found: dict[str, list[str]] = {}
    for domain in DOMAINS:
        for router in (*domain.API, *domain.PAGES):
            for route in router.routes:
                path = getattr(route, "path", "")
                if "GET" not in (getattr(route, "methods", None) or ()) or "{" in path:
                    continue
                if path in SKIP or path.endswith((".xlsx", ".pdf")) or path.startswith("/static"):
                    continue
                found[path] = [p.alias for p in route.dependant.query_params]  # type: ignore[attr-defined]
    return sorted(found.items())


def variants(path: str, params: list[str], c: Context) -> list[str]:
    """The plain URL and one per typical filter the route takes."""
    if path == "/api/v1/audit/consistency":
        return [f"{path}?from={c.audit_size // 2}&to={c.audit_size}"]
    if path in ("/api/v1/audit/proof", "/audit/proof"):
        return [f"{path}?leaf={c.audit_size // 2}"]
    out = [path]
    for a, b in DATES:
        if a in params and b in params:
            out.append(f"{path}?{a}={c.month[0]}&{b}={c.month[1]}")
    single = {
        "unit_id": str(c.unit), "officer": c.badge, "person": c.badge,
        "officer_id": str(c.officer), "person_id": str(c.officer), "device": c.serial,
        "status": STATUS.get(path), "q": SEARCH.get(path), "rule": "late_upload",
        "tag": "evidence:recording:ingest", "who": "设备管理员1", "role": "officer",
        "kind": "inspection", "year": str(date.today().year),
        "recording": (c.ids["rec"] or [""])[0], "recording_id": (c.ids["rec"] or [""])[0],
    }  # fmt: skip
    for name, value in single.items():
        if name in params and value:
            out.append(f"{path}?{name}={value}")
    if "subject_type" in params and c.ids["rec"]:
        out.append(f"{path}?subject_type=recording&subject_id={c.ids['rec'][0]}")
    if "page" in params:
        out.append(f"{path}?page=LATER")
    if "offset" in params:
        out.append(f"{path}?limit=50&offset=5000")
    return out


def detail_urls(c: Context) -> list[str]:
    out = []
    for pattern in DETAILS:
        key = pattern.rpartition("{")[2].partition("}")[0]
        for value in c.ids[key]:
            out.append(pattern.replace("{" + key + "}", value))
    return out


def goal_of(url: str) -> float:
    path, _, query = url.partition("?")
    if path in REPORTS or (path.endswith("/ledger") and ("from=" in query or "since=" in query)):
        return REPORT_GOAL
    return LIST_GOAL


@dataclass
class Result:
    url: str
    role: str
    status: int
    times: list[float]
    size: int
    goal: float

    @property
    def ok(self) -> bool:
        return p95(self.times) <= self.goal and self.status < 400


def logged_in(base: str, login: dict[str, Any], timeout: float) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=timeout)
    body = {"username": login["username"], "password": login["password"]}
    answer = http.post("/api/v1/auth/login", json=body)
    if answer.status_code != 200:
        raise RuntimeError(f"login {login['username']}: {answer.status_code} {answer.text[:300]}")
    return http


def timed(http: httpx.Client, url: str) -> tuple[float, int, int]:
    """Seconds, status (599: the connection failed) and body size of one GET."""
    t = time.perf_counter()
    try:
        response = http.get(url)
    except httpx.TransportError:
        return time.perf_counter() - t, 599, 0
    return time.perf_counter() - t, response.status_code, len(response.content)


def cancel_long_queries(url: str) -> None:
    """A request given up on goes on in the server; on PostgreSQL its statements are
    cancelled, so that it does not slow the requests measured after it."""
    if not url.startswith("postgresql"):
        return
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE "
                "datname = current_database() AND state = 'active' "
                "AND pid <> pg_backend_pid() AND now() - query_start > interval '5 seconds'"
            ))  # fmt: skip
    finally:
        engine.dispose()


def later_page(http: httpx.Client, url: str) -> str | None:
    """A later page that exists: the 50th, else the 10th, else the 2nd (None: one page)."""
    for number in ("50", "10", "2"):
        candidate = url.replace("page=LATER", f"page={number}")
        if timed(http, candidate)[1] < 400:
            return candidate
    return None


# URLs that took over 10 s for one role: timed once, for that role only (a whole-city ledger
# page takes minutes at 10^6 custody periods; once is enough to report it).
TOO_SLOW: dict[str, str] = {}


def measure_role(http: httpx.Client, role: str, urls: list[tuple[str, list[str]]],
                 args: argparse.Namespace) -> list[Result]:  # fmt: skip
    results = []
    for plain, filtered in urls:
        first: tuple[float, int, int] | None = None
        if plain in TOO_SLOW:
            print(f"{plain[:62]:<62} {role:<12} skipped: too slow for {TOO_SLOW[plain]}")
            todo = filtered
        else:
            first = timed(http, plain)
            todo = [plain, *filtered]
            if first[1] in (401, 403, 404):
                continue  # the role may not see it: nothing to measure
            if first[1] == 599:  # no answer in --timeout: of its filters only the dates tried
                cancel_long_queries(args.url)
                results.append(Result(plain, role, 599, [first[0]], 0, goal_of(plain)))
                print(row_of(results[-1]) + "  (timed out)", flush=True)
                todo = [u for u in filtered if any(f"{a}=" in u for a, _ in DATES)]
                TOO_SLOW.update({u: role for u in [plain, *filtered] if u not in todo})
        for wanted in todo:
            url = later_page(http, wanted) if "page=LATER" in wanted else wanted
            if url is None or url in TOO_SLOW:
                continue
            result = repeated(http, role, url, first if url == plain else None, args)
            if result.status not in (401, 403, 404):
                results.append(result)
                print(row_of(result), flush=True)
    return results


def repeated(http: httpx.Client, role: str, url: str, first: tuple[float, int, int] | None,
             args: argparse.Namespace) -> Result:  # fmt: skip
    """``args.warmup`` + ``args.repeat`` requests; a route that took over 2 s: 1 + 3; over
    10 s: that one request only (a 40 MB ledger page must not hold the run for an hour)."""
    first = first or timed(http, url)
    if first[1] == 599:
        cancel_long_queries(args.url)
    if first[0] > 10.0:
        runs = [first]
        TOO_SLOW[url] = role
    else:
        slow = first[0] > 2.0
        warm = [first] + [timed(http, url) for _ in range(0 if slow else args.warmup - 1)]
        slow = slow or max(w[0] for w in warm) > 2.0
        runs = [timed(http, url) for _ in range(3 if slow else args.repeat)]
    times = [r[0] for r in runs]
    return Result(url, role, runs[-1][1], times, runs[-1][2], goal_of(url))


HEADER = (f"{'route (query)':<62} {'role':<12} {'n':>3} {'st':>3} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'goal':>6} {'':<4} {'bytes':>10}")  # fmt: skip


def row_of(r: Result) -> str:
    verdict = "OK" if r.ok else ("ERR" if r.status >= 400 else "SLOW")
    return (f"{r.url[:62]:<62} {r.role:<12} {len(r.times):>3} {r.status:>3} "
            f"{statistics.median(r.times) * 1e3:>8.1f} {p95(r.times) * 1e3:>8.1f} "
            f"{r.goal * 1e3:>6.0f} {verdict:<4} {r.size:>10,}")  # fmt: skip


def measure(home: Path, stored: Stored, args: argparse.Namespace) -> list[Result]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWCAM_")} | stored.env
    upgraded(home, env)
    server = Server(LoadHome(home, stored.url, env, [], {}), home / "scale-serve.log", 1)
    results: list[Result] = []
    try:
        server.wait_ready(120.0)
        c = context_of(stored)
        routes = [(path, variants(path, params, c)) for path, params in list_routes()]
        urls = [(v[0], v[1:]) for _, v in routes if not args.match or args.match in v[0]]
        urls += [(u, []) for u in detail_urls(c) if not args.match or args.match in u]
        args.url = stored.url
        print(f"\n   {len(urls)} routes (+ filters) on {server.base}, "
              f"{args.warmup} warm-up + {args.repeat} timed each")  # fmt: skip
        print("   " + HEADER)
        for role in args.roles.split(","):
            if role not in stored.logins:
                continue
            http = logged_in(server.base, stored.logins[role], args.timeout)
            try:
                results += measure_role(http, role, urls, args)
            finally:
                http.close()
    finally:
        server.stop()
    return results


def explained(home: Path, stored: Stored, results: list[Result], count: int) -> None:
    """The ``count`` slowest routes (one role each, one URL per path) requested again
    in-process with their statements caught; each statement run alone (timed) and the three
    slowest printed with the plan the database chose (as bench/findings.py ``--explain``)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from lawcam.web.app import create_app

    os.environ.update(stored.env)
    database = Database(stored.url)
    seen: list[tuple[str, Any]] = []

    def caught(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:  # fmt: skip
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    prefix = "EXPLAIN QUERY PLAN " if database.dialect == "sqlite" else "EXPLAIN ANALYZE "
    slow, paths = [], set()
    if database.dialect == "postgresql":  # a plan must not take the statement's hour
        event.listen(database.engine, "connect", lambda dbapi, _: dbapi.execute(
            "SET statement_timeout = 60000"))  # fmt: skip
    candidates = (r for r in results if not r.ok and r.status != 599)  # 599: no answer at all
    for r in sorted(candidates, key=lambda r: -p95(r.times)):
        if r.url.partition("?")[0] not in paths:
            paths.add(r.url.partition("?")[0])
            slow.append(r)
    try:
        client = TestClient(create_app(load_settings(home), database))
        for r in slow[:count]:
            login = stored.logins[r.role]
            client.cookies.clear()
            client.post("/api/v1/auth/login", json={k: login[k] for k in ("username", "password")})
            seen.clear()
            event.listen(database.engine, "before_cursor_execute", caught)
            t = time.perf_counter()
            try:
                status = client.get(r.url).status_code
            finally:
                event.remove(database.engine, "before_cursor_execute", caught)
            took = time.perf_counter() - t
            timed_alone = []
            with database.engine.connect() as conn:
                for statement, parameters in seen:
                    started = time.perf_counter()
                    try:
                        conn.exec_driver_sql(statement, parameters).all()
                    except Exception:  # the statement timeout: counted as what it took
                        conn.rollback()
                    timed_alone.append((time.perf_counter() - started, statement, parameters))
            alone = sum(x[0] for x in timed_alone)
            print(f"\n   --- explain {r.url} as {r.role}: {status} in {took * 1e3:.0f} ms "
                  f"in-process; {len(seen)} statements, {alone * 1e3:.0f} ms alone; slowest:")  # fmt: skip
            for spent, statement, parameters in sorted(timed_alone, key=lambda x: -x[0])[:3]:
                print(f"   {spent * 1e3:.1f} ms: {' '.join(statement.split())[:500]}")
                try:
                    with database.engine.connect() as conn:
                        plan = conn.exec_driver_sql(prefix + statement, parameters).all()
                except Exception as exc:  # the statement timeout: the plan without running it
                    print(f"       ({type(exc).__name__}: plan without ANALYZE)")
                    with database.engine.connect() as conn:
                        plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                for row in plan[:14]:
                    print(f"       {row[-1]}")
    finally:
        database.dispose()


def upgraded(home: Path, env: dict[str, str]) -> None:
    """The home at the code's head revision (a kept home measured again after a new migration:
    ``lawcam init`` upgrades it), timed: an index on 10^7 rows is not free."""
    t = time.perf_counter()
    done = subprocess.run([LAWCAM, "--home", str(home), "init", "--json"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"lawcam init (upgrade) failed:\n{done.stderr[-2000:]}")
    print(f"   lawcam init (upgrade to head): {time.perf_counter() - t:.1f} s")


def summary(kind: str, results: list[Result]) -> None:
    slow = [r for r in results if not r.ok]
    print(f"\n   {kind}: {len(results)} measured, {len(results) - len(slow)} within goal, "
          f"{len(slow)} slow or failing:")  # fmt: skip
    print("   " + HEADER)
    for r in sorted(slow, key=lambda r: -p95(r.times)):
        print("   " + row_of(r))


# --- 4 and the run -------------------------------------------------------------------------------


def machine(url: str) -> None:
    database = Database(url)
    try:
        version = server_version(database)
    finally:
        database.dispose()
    print(f"   machine: {platform.node()}, {os.cpu_count()} cores, load {load_average()}, "
          f"Python {platform.python_version()}; {url.split(':')[0]} {version}")  # fmt: skip
    print(f"   code: {revision()}")


def revision() -> str:
    """The commit measured, and whether src/ had changes beside it (others edit as we run)."""
    root = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--short", "src"], capture_output=True, text=True)
    changed = len(dirty.stdout.splitlines())
    return head.stdout.strip()[:90] + (f" (+{changed} changed files in src/)" if changed else "")


def one(kind: str, args: argparse.Namespace, workdir: Path) -> None:
    started = datetime.now(UTC)
    home, stored = loaded(kind, args, workdir)
    machine(stored.url)
    print_verify(stored.verify)
    try:
        if not args.no_measure:
            results = measure(home, stored, args)
            summary(kind, results)
            if args.explain:
                explained(home, stored, results, args.explain)
    finally:
        if args.keep:
            print(f"\n   kept: {home} (database {stored.url}); measure again with:\n"
                  f"   .venv/bin/python bench/scale.py --reuse {home}")  # fmt: skip
        else:
            drop_home(home, stored.url)
    print(f"   ({kind}: {(datetime.now(UTC) - started).total_seconds():.0f} s in all)")


def reuse(args: argparse.Namespace) -> None:
    home = Path(args.reuse).resolve()
    stored = Stored.read(home)
    print(f"\n== {stored.kind}: kept home {home}, sizes {stored.sizes}")
    machine(stored.url)
    print_load({**stored.load})
    print_verify(stored.verify)
    results = measure(home, stored, args)
    summary(stored.kind, results)
    if args.explain:
        explained(home, stored, results, args.explain)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--recordings", type=int, help="default 10^7 (PG), 10^6 (SQLite)")
    parser.add_argument("--activities", type=int, help="default a tenth of the recordings")
    parser.add_argument("--audit", type=int, help="audit entries, default = recordings")
    parser.add_argument("--findings", type=int, help="default min(5000, activities / 20)")
    parser.add_argument("--quick", action="store_true", help="10^4 recordings, 5 timed requests")
    parser.add_argument("--keep", action="store_true", help="keep the home and database")
    parser.add_argument("--reuse", metavar="HOME", help="measure a kept home, no loading")
    parser.add_argument("--no-measure", action="store_true", help="load (and verify) only")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=20_000, help="recordings a transaction")
    parser.add_argument("--roles", default="officer,unit_head,device_admin,engineering,auditor,secadmin")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request")
    parser.add_argument("--match", default="", help="only URLs containing this text")
    parser.add_argument("--explain", type=int, default=5, metavar="N",
                        help="plans of the N slowest routes' slowest statements (0: none)")  # fmt: skip
    args = parser.parse_args()
    if args.quick:
        args.recordings = args.recordings or 10_000
        args.repeat = min(args.repeat, 5)
        args.batch = min(args.batch, 2000)
    return args


def main() -> None:
    args = options()
    print(f"lawcam scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
          f"{os.cpu_count()} cores, load {load_average()}")  # fmt: skip
    if args.reuse:
        reuse(args)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lawcam-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    given = args.recordings
    for kind in ("sqlite", "postgresql"):
        if args.only and kind != args.only:
            continue
        args.recordings = given or (10**7 if kind == "postgresql" else 10**6)
        one(kind, args, workdir)
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

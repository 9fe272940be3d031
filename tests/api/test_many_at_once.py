"""Many at once (DESIGN principle 7, issue 13): the real server on a loopback port, eight
people working at the same time, on the embedded default and on PostgreSQL alike.

Seen before: four users at once froze the server for ~30 s on SQLite (an ``async`` auth
dependency ran the synchronous session on the event loop, and every request wrote its
last-seen time), and on PostgreSQL eight clients were served one request at a time."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.org.models import LoginSession
from lawcam.web import deps
from lawcam.web.app import create_app
from tests.factories import PASSWORD, Office, build_office
from tests.live import served

SECONDS = 4.0
SLOWEST_S = 2.0

READS = {
    "pages": ["/", "/devices", "/ledger", "/units"],
    "api": ["/api/v1/health", "/api/v1/devices", "/api/v1/ledger", "/api/v1/units", "/api/v1/me"],
}


@dataclass
class Tally:
    timings: list[tuple[str, int, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, status: int, seconds: float) -> None:
        with self.lock:
            self.timings.append((what, status, seconds))


def _login(client: httpx.Client, username: str) -> None:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]


def _writes(office: Office) -> dict[Role, Callable[[httpx.Client, int], httpx.Response]]:
    unit = office.units["信息通信保障部"]
    budget_unit, year = office.units["执法二处"], office.equipment["year"]
    return {
        Role.SYSADMIN: lambda c, n: c.patch(f"/api/v1/units/{unit}", json={"note": f"并发 {n}"}),
        Role.FINANCE: lambda c, n: c.put(
            f"/api/v1/budgets/{budget_unit}/{year}", json={"amount": f"{100000 + n}.00"}
        ),
    }


def _worker(base: str, office: Office, role: Role, tally: Tally, until: float) -> None:
    """One person: logs in, then reads pages and the API, writes when the role may, and logs
    in again now and then (argon2 and a write), until the time is up."""
    write = _writes(office).get(role)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            _login(client, office.user(role))
            n = 0
            while time.monotonic() < until:
                n += 1
                for path in READS["pages"] + READS["api"]:
                    _timed(tally, path, lambda p=path: client.get(p))
                if write is not None:
                    _timed(tally, f"write:{role}", lambda: write(client, n))
                if n % 5 == 0:
                    _timed(tally, "login", lambda: _relogin(client, office.user(role)))
    except Exception as exc:  # any failure of a client is the test's failure
        with tally.lock:
            tally.failures.append(f"{role}: {exc!r}")


def _relogin(client: httpx.Client, username: str) -> httpx.Response:
    client.cookies.clear()
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    if answer.status_code == 200:
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return answer


def _timed(tally: Tally, what: str, call: Callable[[], httpx.Response]) -> None:
    started = time.monotonic()
    status = call().status_code
    tally.add(what, status, time.monotonic() - started)


PEOPLE = [
    Role.OFFICER,
    Role.DEVICE_ADMIN,
    Role.UNIT_HEAD,
    Role.ENGINEERING,
    Role.FINANCE,
    Role.ICT,
    Role.SYSADMIN,
    Role.AUDITOR,
]


def test_eight_people_at_once_mixed_reads_and_writes(
    database: Database, settings: Settings, console
) -> None:  # type: ignore[no-untyped-def]
    office = build_office(database, settings, console)
    tally = Tally()
    with served(create_app(settings, database)) as base:
        _warm_up(base, office)
        until = time.monotonic() + SECONDS
        threads = [
            threading.Thread(target=_worker, args=(base, office, role, tally, until))
            for role in PEOPLE
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not tally.failures, tally.failures
    slowest = max(t[2] for t in tally.timings)
    print(f"{len(tally.timings)} requests by 8 people in {SECONDS} s; slowest {slowest:.3f} s")
    errors = [t for t in tally.timings if t[1] >= 500 or t[1] in (401, 409, 429)]
    assert not errors, errors[:10]
    slow = [t for t in tally.timings if t[2] > SLOWEST_S]
    assert not slow, f"{len(slow)} of {len(tally.timings)} slower than {SLOWEST_S} s: {slow[:10]}"
    writes = [t for t in tally.timings if t[0].startswith("write:")]
    assert len(tally.timings) > 8 * len(READS["pages"] + READS["api"])  # everyone got work done
    assert writes and all(t[1] == 200 for t in writes), writes[:5]


def _warm_up(base: str, office: Office) -> None:
    """A server that has been running: templates compiled and modules loaded (a cold start
    costs a second or two once, which is not what this test measures)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        _login(client, office.user(Role.UNIT_HEAD))
        for path in READS["pages"] + READS["api"]:
            client.get(path)


def test_no_dependency_or_route_that_takes_a_session_runs_on_the_event_loop(
    settings: Settings, database: Database
) -> None:
    """An ``async`` callable that touches the database blocks every other request."""
    app = create_app(settings, database)
    offenders = []
    for context in iter_route_contexts(app.routes):
        endpoint = getattr(context, "endpoint", None)
        if endpoint is None:
            continue
        for call in _calls(context):
            if inspect.iscoroutinefunction(call) and _takes_database(call):
                offenders.append(f"{context.path}: {call.__qualname__}")
    assert not offenders, offenders
    assert not inspect.iscoroutinefunction(deps.optional_auth)


def _calls(context) -> list[Callable[..., object]]:  # type: ignore[no-untyped-def]
    calls: list[Callable[..., object]] = [context.endpoint]
    dependant = getattr(context.route, "dependant", None)  # FastAPI routes; not openapi.json
    todo = list(dependant.dependencies) if dependant is not None else []
    while todo:
        dependant = todo.pop()
        if dependant.call is not None:
            calls.append(dependant.call)
        todo.extend(dependant.dependencies)
    return calls


def _takes_database(call: Callable[..., object]) -> bool:
    names = inspect.signature(call).parameters
    return any(name in ("session", "database") for name in names)


def test_reads_write_nothing(database: Database, settings: Settings, console) -> None:  # type: ignore[no-untyped-def]
    """Browsing commits nothing: no audit row, no last-seen time rewritten on every request
    (it is kept to the minute, in a transaction of its own)."""
    office = build_office(database, settings, console)
    with served(create_app(settings, database)) as base, httpx.Client(base_url=base) as client:
        _login(client, office.user(Role.DEVICE_ADMIN))
        before = _counts(database)
        for _ in range(3):
            for path in READS["pages"] + READS["api"]:
                assert client.get(path).status_code == 200, path
        assert _counts(database) == before


def _counts(database: Database) -> tuple[int, list[object]]:
    with database.read() as session:
        audit = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        seen = list(session.scalars(select(LoginSession.last_seen_at).order_by(LoginSession.id)))
    return audit, seen


def test_a_session_last_seen_a_while_ago_is_touched_once(
    database: Database, settings: Settings, console
) -> None:  # type: ignore[no-untyped-def]
    office = build_office(database, settings, console)
    with served(create_app(settings, database)) as base, httpx.Client(base_url=base) as client:
        _login(client, office.user(Role.OFFICER))
        with database.unit_of_work() as session:
            login = session.scalars(select(LoginSession)).one()
            login.last_seen_at = login.last_seen_at.replace(year=login.last_seen_at.year - 1)
            old = login.last_seen_at
        settings.session_idle_minutes = 10**7  # the old time is still within the idle limit
        assert client.get("/api/v1/me").status_code == 200
        with database.read() as session:
            seen = session.scalars(select(LoginSession.last_seen_at)).one()
        assert seen > old


def test_a_database_too_busy_to_answer_is_a_503_to_retry_not_a_dropped_connection(
    client, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """SQLite's write lock held past the busy timeout (seen under load: 500s that dropped the
    connection): the change was rolled back, and the caller is told to try again."""
    from sqlalchemy.exc import OperationalError

    from lawcam.org import service
    from tests.api.conftest import login

    def locked(**_: object) -> None:
        raise OperationalError("UPDATE unit", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "update_unit", locked)
    login(client, office.user(Role.SYSADMIN))
    unit = office.units["执法二处"]
    answer = client.patch(f"/api/v1/units/{unit}", json={"note": "忙"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["error"]["code"] == "busy"
    assert "稍后重试" in answer.json()["error"]["message"]


class _FewWorkers:
    """The server with only two worker threads: what a full thread pool looks like."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        await self.app(scope, receive, send)


def test_changes_commit_before_their_answer_needs_a_worker_thread(
    database: Database, settings: Settings, console
) -> None:  # type: ignore[no-untyped-def]
    """Seen under bench/load.py on PostgreSQL: a change holding the audit lock waited for a
    worker thread to validate its answer before committing, while every worker waited for that
    lock. Four changes at once with two workers must all finish, and quickly."""
    office = build_office(database, settings, console)
    unit = office.units["信息通信保障部"]
    results: list[tuple[int, float]] = []
    with served(_FewWorkers(create_app(settings, database))) as base:
        clients = []
        for _ in range(4):
            client = httpx.Client(base_url=base, timeout=20)
            _login(client, office.user(Role.SYSADMIN))
            clients.append(client)

        def change(client: httpx.Client, n: int) -> None:
            started = time.monotonic()
            status = client.patch(f"/api/v1/units/{unit}", json={"note": f"并发 {n}"}).status_code
            results.append((status, time.monotonic() - started))

        threads = [threading.Thread(target=change, args=(c, n)) for n, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for client in clients:
            client.close()
    assert sorted(status for status, _ in results) == [200] * 4, results
    assert max(seconds for _, seconds in results) < SLOWEST_S, results

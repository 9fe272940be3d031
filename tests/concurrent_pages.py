"""People reading pages while an administrator moves a recording out of an activity and back:
the shape both the activity pages' and the late list's many-at-once tests use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import httpx

Seen = list[tuple[str, int, float]]


def _ok(answer: httpx.Response) -> bool:
    return answer.status_code == 200


def read_while_moving(
    clients: Sequence[httpx.Client],
    reads: Sequence[str],
    activity_id: int,
    recording_id: int,
    *,
    seconds: float = 4.0,
    ok: Callable[[httpx.Response], bool] = _ok,
) -> Seen:
    """``clients[0]`` detaches and re-attaches the recording for ``seconds`` while the others
    read ``reads`` in a loop; each answer as (what, 200 or 0 when ``ok`` says no, seconds).
    A client that raises fails the call."""
    seen: Seen = []
    failures: list[str] = []
    lock = threading.Lock()

    def note(what: str, good: bool, started: float) -> None:
        with lock:
            seen.append((what, 200 if good else 0, time.monotonic() - started))

    def reader(client: httpx.Client, until: float) -> None:
        try:
            while time.monotonic() < until:
                for path in reads:
                    started = time.monotonic()
                    note(path, ok(client.get(path)), started)
        except Exception as exc:  # a failed client fails the test
            failures.append(repr(exc))

    def move(until: float) -> None:
        url, rid = f"/activities/{activity_id}/links", str(recording_id)
        while time.monotonic() < until:
            for path, reason in [("/detach", "并发移出"), ("", "并发关联")]:
                started = time.monotonic()
                answer = clients[0].post(url + path, data={"recording_id": rid, "reason": reason})
                note(f"POST {path}", answer.status_code == 200, started)

    until = time.monotonic() + seconds
    threads = [threading.Thread(target=reader, args=(c, until)) for c in clients[1:]]
    threads.append(threading.Thread(target=move, args=(until,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return seen

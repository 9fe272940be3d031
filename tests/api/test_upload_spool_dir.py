"""LAWCAM_UPLOAD_SPOOL_DIR (issue 19): unfinished uploads collect in the configured folder (a
folder every app node mounts), not in the home, and complete from there into a file:// store
in another folder of the same file system both ways: moved in whole when this process hashed
every piece, read and copied when another node received some of them (its digests are not
kept here). The two real nodes on S3 are tests/cli/test_two_nodes.py's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawcam.config import Settings
from lawcam.evidence import uploads
from lawcam.storage import open_store
from tests.api.test_api_evidence import as_admin, bearer, digests, half_sent, workstation
from tests.media import make_mp4, pad_mdat

__all__ = ["workstation"]  # the fixture, shared with the evidence API tests


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    settings.upload_spool_dir = tmp_path / "shared" / "uploads"
    return settings


def test_the_spool_is_the_configured_folder(tmp_path: Path) -> None:
    assert Settings(home=tmp_path).upload_spool == tmp_path / "uploads"
    shared = tmp_path / "nfs" / "uploads"
    assert Settings(home=tmp_path, upload_spool_dir=shared).upload_spool == shared


@pytest.mark.req("R14.1")
@pytest.mark.parametrize("other_node", [False, True])
def test_an_upload_completes_from_the_spool_folder_into_the_store(
    client: TestClient, workstation: str, settings: Settings, tmp_path: Path, other_node: bool
) -> None:
    spool = tmp_path / "shared" / "uploads"
    clip = pad_mdat(make_mp4(tmp_path / "clip.mp4", creation_time=datetime.now(UTC)), 50_000)
    bearer(client, workstation)
    sent = half_sent(client, clip)
    upload_id = sent.url.rsplit("/", 1)[1]
    assert (spool / f"{upload_id}.part").stat().st_size == sent.half
    assert not (settings.home / "uploads").exists()
    if other_node:  # the first half reached another node: this one has no digests so far
        uploads.received_digests(upload_id, -1)
    r = client.put(sent.url, params={"offset": sent.half}, content=sent.data[sent.half :])
    assert r.status_code == 200 and r.json() == {"offset": len(sent.data)}, r.text
    done = client.post(f"{sent.url}/complete")
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["status"] == "ingested", result
    assert (result["sha256"], result["sm3"]) == digests(sent.data)
    store = open_store(settings.resolved_storage_url)
    with store.open(result["sha256"]) as handle:
        assert handle.read() == sent.data
    assert not list(spool.glob("*.part"))
    as_admin(client)
    detail = client.get(f"/api/v1/recordings/{result['recording_id']}").json()
    assert (detail["sha256"], detail["size"]) == (result["sha256"], len(sent.data))

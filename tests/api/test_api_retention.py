"""The effective retention wherever ``retain_until`` is shown (R14.2; issue 13 seen 9): a
start-time correction through the API extends it, and the list, the detail and the recording
page show the extended date; an earlier start shortens nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import service
from lawcam.evidence.timing import retention_date
from lawcam.timeutil import utcnow
from tests.api.test_api_custody import add_unit_staff, as_user
from tests.evidence_helpers import ingest
from tests.factories import Office
from tests.media import make_mp4

pytestmark = pytest.mark.req("R14.2")


def old_recording(
    database: Database,
    settings: Settings,
    console: Actor,
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, datetime]:
    """A clip from a clock three years behind, ingested 400 days ago."""
    ingested = utcnow() - timedelta(days=400)
    card = root / "card"
    card.mkdir()
    make_mp4(card / "old.mp4", creation_time=ingested - timedelta(days=3 * 365))
    with monkeypatch.context() as patch:
        patch.setattr(service, "utcnow", lambda: ingested)
        [result] = ingest(database, settings, console, card).files
    assert result.recording_id is not None
    return result.recording_id, ingested


def test_a_later_start_extends_the_retention_shown_everywhere(
    client: TestClient,
    office: Office,
    database: Database,
    settings: Settings,
    console: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_unit_staff(database, settings, console)
    recording_id, ingested = old_recording(database, settings, console, tmp_path, monkeypatch)
    promised = retention_date(ingested, 2)
    as_user(client, "u_admin2")
    url = f"/api/v1/recordings/{recording_id}"
    assert client.get(url).json()["retain_until"] == promised.isoformat()

    later = utcnow().replace(microsecond=0) - timedelta(days=20)
    r = client.post(
        f"{url}/corrections",
        json={"field": "start_at", "value": later.isoformat(), "reason": "按执法记录核对"},
    )
    assert r.status_code == 201, r.text
    kept = retention_date(later, 2)
    assert kept > promised
    detail = client.get(url).json()
    assert detail["retain_until"] == kept.isoformat()
    assert [(c["field"], c["value"]) for c in detail["corrections"]] == [
        ("start_at", later.isoformat()),
        ("retain_until", kept.isoformat()),
    ]
    items = client.get("/api/v1/recordings").json()["items"]
    assert {i["id"]: i["retain_until"] for i in items} == {recording_id: kept.isoformat()}
    page = client.get(f"/recordings/{recording_id}").text
    assert f"{kept.isoformat()}（至少两年，第十四条）" in page
    assert f"导入时定为 {promised.isoformat()}，已延长" in page and "保存期限延长" in page

    # An earlier start: accepted as a correction, the retention stays where it is.
    earlier = later - timedelta(days=300)
    r = client.post(
        f"{url}/corrections",
        json={"field": "start_at", "value": earlier.isoformat(), "reason": "再次核对"},
    )
    assert r.status_code == 201, r.text
    assert date.fromisoformat(client.get(url).json()["retain_until"]) == kept

    # A start in the future is refused in Chinese: it would keep the original for ever.
    future = (utcnow() + timedelta(days=3)).isoformat()
    r = client.post(
        f"{url}/corrections", json={"field": "start_at", "value": future, "reason": "x"}
    )
    assert r.status_code == 422 and "不能晚于现在" in r.json()["error"]["message"]

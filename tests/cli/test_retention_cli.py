"""``lawcam recording show --json`` gives the effective retention as "retain_until" (DESIGN.md's
wave-2 contract), and ``recording correct`` of the start time extends it (R14.2; issue 13 seen
9); an earlier start shortens nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.evidence import service
from lawcam.evidence.timing import retention_date
from tests.cli.conftest import Cli
from tests.cli.test_custody import RECORDER, add_device
from tests.media import make_mp4

pytestmark = pytest.mark.req("R14.2")


def test_show_and_list_give_the_effective_retention(
    ready: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = ready
    cli.ok(*RECORDER)
    add_device(cli, "BC001")
    ingested = datetime.now(UTC) - timedelta(days=400)
    card = tmp_path / "card"
    card.mkdir()
    make_mp4(card / "old.mp4", creation_time=ingested - timedelta(days=3 * 365))
    with monkeypatch.context() as patch:
        patch.setattr(service, "utcnow", lambda: ingested)
        [done] = cli.ok("ingest", str(card), "--device", "BC001")["files"]
    rid = str(done["recording_id"])
    promised = retention_date(ingested, 2).isoformat()
    assert cli.ok("recording", "show", rid)["retain_until"] == promised

    later = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
    kept = retention_date(later, 2).isoformat()
    made = cli.ok(
        "recording", "correct", rid, "--field", "start_at", "--value", later.isoformat(),
        "--reason", "按执法记录核对",
    )  # fmt: skip
    assert made["field"] == "start_at" and kept > promised  # POST …/corrections' answer
    shown = cli.ok("recording", "show", rid)
    assert shown["retain_until"] == kept
    assert [c["field"] for c in shown["corrections"]] == ["start_at", "retain_until"]
    assert cli.ok("recording", "list")["recordings"][0]["retain_until"] == kept

    earlier = (later - timedelta(days=300)).isoformat()
    said = cli(
        "recording", "correct", rid, "--field", "start_at", "--value", earlier, "--reason", "再核"
    )
    assert said.exit_code == 0 and "保存期限随之延长" not in said.stdout
    assert cli.ok("recording", "show", rid)["retain_until"] == kept

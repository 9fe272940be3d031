"""``lawcam activity explain … --written TEXT --file PATH`` (DESIGN's wave-2 contract): the
report's scan filed write-once with it, shown in ``activity show``; a missing file, one that is
no PDF or image, or a scan with a voice explanation, refused in Chinese with nothing written."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_custody import RECORDER, add_device
from tests.media import make_mp4

BADGE = "21010020001"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BASE = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)


@pytest.fixture
def gap(ready: Cli, tmp_path: Path) -> tuple[Cli, int]:
    """An activity of 0–70 s whose two 3-second clips leave 3–60 s uncovered (interruption 1)."""
    cli = ready
    cli.ok(*RECORDER)
    add_device(cli, "BC001")
    cli.person("张伟", BADGE, "--officer")
    card = tmp_path / "card"
    card.mkdir()
    make_mp4(card / "a.mp4", seconds=3.0, creation_time=BASE)
    make_mp4(card / "b.mp4", seconds=3.0, creation_time=BASE + timedelta(seconds=60))
    cli.ok("ingest", str(card), "--device", "BC001", "--officer", BADGE)
    made = cli.ok(
        "activity", "add", "--unit", "执法一处", "--kind", "inspection", "--place", "中山路 1 号",
        "--arrived", BASE.isoformat(), "--ended", (BASE + timedelta(seconds=66)).isoformat(),
        "--officer", BADGE, "--announced",
    )  # fmt: skip
    assert [i["seq"] for i in made["interruptions"]] == [1], made
    return cli, int(made["id"])


def explain(cli: Cli, activity_id: int, *extra: str) -> list[str]:
    return ["activity", "explain", str(activity_id), "--seq", "1", "--by", BADGE, *extra]


@pytest.mark.req("R10.2")
def test_a_written_report_with_its_scan(gap: tuple[Cli, int], tmp_path: Path) -> None:
    cli, activity_id = gap
    scan = tmp_path / "说明.pdf"
    scan.write_bytes(PDF)
    shown = cli.ok(*explain(cli, activity_id, "--written", "电池耗尽", "--cause", "battery",
                            "--file", str(scan)))  # fmt: skip
    document = shown["interruptions"][0]["document"]
    assert document["name"] == "说明.pdf" and document["media_type"] == "application/pdf"
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert cli.ok("activity", "show", str(activity_id)) == {**shown, "warnings": []}
    plain = cli("activity", "show", str(activity_id))
    assert plain.exit_code == 0 and "附扫描件 说明.pdf" in plain.stdout


@pytest.mark.req("R10.2")
def test_a_bad_scan_is_refused_and_nothing_is_written(gap: tuple[Cli, int], tmp_path: Path) -> None:
    cli, activity_id = gap
    before = cli.audit_count()
    text = tmp_path / "notes.pdf"
    text.write_text("只是文字，不是扫描件")
    cases = [
        (("--written", "x", "--file", str(tmp_path / "gone.pdf")), "读不到扫描件"),
        (("--written", "x", "--file", str(text)), "附件只能是"),
        (("--voice", "1", "--file", str(text)), "只随书面说明"),
    ]
    for extra, message in cases:
        assert message in cli.refused(*explain(cli, activity_id, *extra))["message"], extra
    assert cli.audit_count() == before
    shown = cli.ok("activity", "show", str(activity_id))
    assert shown["interruptions"][0]["explanation"] is None

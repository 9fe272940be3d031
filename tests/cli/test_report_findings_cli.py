"""``lawcam report findings FILE.xlsx`` and ``lawcam report compliance --unit U --month M FILE.pdf``
(第十八条, R18.1; issue 18 item 5): the console's exports of the findings and of a unit's month."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from lawcam.authz import console_actor
from lawcam.compliance.checks import Limits
from lawcam.compliance.sweep import sweep
from lawcam.timeutil import SHANGHAI, utcnow
from tests.cli.conftest import Cli

pytestmark = pytest.mark.req("R18.1")

ARRIVED = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)


def test_findings_and_the_months_report_from_the_command_line(ready: Cli, tmp_path: Path) -> None:
    cli = ready
    cli.person("张伟", "J100", "--officer")
    cli.ok(
        "activity", "add", "--unit", "执法一处", "--kind", "inspection", "--place", "中山路 1 号",
        "--arrived", ARRIVED.isoformat(), "--ended", (ARRIVED + timedelta(minutes=20)).isoformat(),
        "--officer", "J100",
    )  # fmt: skip
    database = cli.database()
    with database.unit_of_work() as session:
        sweep(session=session, actor=console_actor("tester"), limits=Limits(now=utcnow()),
              statement_days=7)  # fmt: skip
    database.dispose()
    sheet = tmp_path / "findings.xlsx"
    done = cli("report", "findings", str(sheet), "--rule", "no_recording")
    assert done.exit_code == 0, (done.stdout, done.stderr)
    assert "共 1 条" in done.stdout
    rows = list(
        openpyxl.load_workbook(io.BytesIO(sheet.read_bytes())).active.iter_rows(values_only=True)
    )
    assert rows[1][1:3] == ("执法活动无录像", "第十八条第（一）项") and rows[1][4] == "张伟"
    assert cli("report", "findings", str(tmp_path / "x.csv")).exit_code == 2
    assert cli("report", "findings", str(sheet), "--rule", "nonsense").exit_code == 2
    pdf = tmp_path / "month.pdf"
    month = f"{ARRIVED.astimezone(SHANGHAI):%Y-%m}"
    done = cli("report", "compliance", "--unit", "执法一处", "--month", month, str(pdf))
    assert done.exit_code == 0, (done.stdout, done.stderr)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    flat = re.sub(r"\s+", "", text.stdout)
    assert "执法一处" in flat and "执法活动无录像" in flat and "录像覆盖率" in flat
    refused = cli("report", "compliance", "--unit", "执法一处", "--month", "2026-13", str(pdf))
    assert refused.exit_code == 2 and "YYYY-MM" in refused.stderr

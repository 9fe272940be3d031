"""``lawcam sample`` (第十三条; R13.1): engineering supervision draws at the command line with a
seed that draws the same again; the reviewer records results; the refusals are Chinese."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from lawcam.timeutil import today_shanghai
from tests.cli.conftest import Cli
from tests.cli.test_activity_scan import gap

__all__ = ["gap"]  # the fixture, used by name


@pytest.mark.req("R13.1")
def test_draw_list_show_and_record_results_by_the_command_line(gap: tuple[Cli, int]) -> None:
    cli, _ = gap
    cli.person("钱监管", "J500", "--role", "engineering")
    today = today_shanghai()
    window = ["--from", str(today - timedelta(days=1)), "--to", str(today)]
    drawn = cli.ok("sample", "draw", "--by", "J500", *window, "--size", "2", "--seed", "5")
    ids = [item["recording_id"] for item in drawn["items"]]
    assert drawn["population"] == 2 and ids == random.Random(5).sample(sorted(ids), 2)
    assert drawn["grant_id"] and drawn["reviewer"].startswith("钱监管")
    too_big = cli.refused("sample", "draw", "--by", "J500", *window, "--size", "3")
    assert "大于符合条件的资料总数（2 条）" in too_big["message"]
    assert cli.ok("sample", "list", "--by", "J500")[0]["id"] == drawn["id"]
    no_reason = cli.refused("sample", "result", str(drawn["id"]), "--by", "J500",
                            "--recording", str(ids[0]), "--result", "noncompliant")  # fmt: skip
    assert "须选择情形" in no_reason["message"]
    done = cli.ok("sample", "result", str(drawn["id"]), "--by", "J500", "--recording", str(ids[0]),
                  "--result", "noncompliant", "--reason", "language", "--note", "言语粗鲁")  # fmt: skip
    assert (done["result_label"], done["reason_label"]) == ("不规范", "语言不文明")
    shown = cli.ok("sample", "show", str(drawn["id"]), "--by", "J500")
    assert (shown["recorded"], shown["noncompliant"], shown["seed"]) == (1, 1, 5)
    plain = cli("sample", "show", str(drawn["id"]), "--by", "J500")
    assert plain.exit_code == 0 and "言语粗鲁" in plain.stdout
    cli.person("孙科员", "J600", "--officer")
    refused = cli.refused("sample", "draw", "--by", "J600", *window, "--size", "1")
    assert "权限" in refused["message"]

"""A device administrator in the browser prints asset labels for chosen devices (第九条: the
ledger names each device by its asset number) and imports devices from the Excel template,
with a bad row reported by row and column and nothing written until the file is right."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor
from lawcam.db import Database
from tests.e2e.conftest import assert_offline
from tests.e2e.test_web_upload import SCREENSHOTS, add_device, log_in, open_from_navigation
from tests.factories import Office


@pytest.mark.e2e
@pytest.mark.req("R9.2", "R15.3")
def test_print_labels_for_chosen_devices(
    page: Page, live_server: str, office: Office, database: Database, console: Actor, tmp_path: Path
) -> None:
    chosen = {add_device(database, console, f"T1-LBL-{n}", f"ZC-2026-00{n}"): n for n in (1, 2)}
    add_device(database, console, "T1-LBL-3", "ZC-2026-003")
    log_in(page, live_server, "u_device_admin")
    open_from_navigation(page, live_server, "/labels")
    expect(page.locator("h1")).to_have_text("打印资产标签")
    for device_id in chosen:
        page.check(f"#label-{device_id}")
    page.screenshot(path=SCREENSHOTS / "labels-page.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="打印所选设备的标签（PDF）").click()
    pdf = tmp_path / "labels.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename.startswith("资产标签-")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ZC-2026-001" in text and "ZC-2026-002" in text
    assert "ZC-2026-003" not in text
    assert "执法一处" in text and "TEST-BC1" in text
    # The sheet as printed, for the user guide.
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(SCREENSHOTS / "labels-pdf"),
        ],
        check=True,
    )

    # 全选 ticks every listed device, and clears them again.
    page.goto(f"{live_server}/labels")
    page.check("#label-all")
    expect(page.locator('input[name="device_id"]:checked')).to_have_count(3)
    page.uncheck("#label-all")
    expect(page.locator('input[name="device_id"]:checked')).to_have_count(0)
    # Nothing ticked: the page says so instead of an empty PDF.
    page.get_by_role("button", name="打印所选设备的标签（PDF）").click()
    expect(page.locator("main")).to_contain_text("请至少勾选一台设备")
    assert_offline(page)


def _filled(template: Path, rows: list[dict[str, object]], out: Path) -> Path:
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h)) for h in headers])
    book.save(out)
    return out


@pytest.mark.e2e
@pytest.mark.req("R5.1", "R15.3")
def test_import_devices_from_the_template(
    page: Page, live_server: str, office: Office, tmp_path: Path
) -> None:
    log_in(page, live_server, "u_device_admin")
    open_from_navigation(page, live_server, "/imports")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载设备模板").click()
    template = tmp_path / "devices.xlsx"
    download.value.save_as(template)
    assert openpyxl.load_workbook(io.BytesIO(template.read_bytes())).sheetnames[-1] == "说明"

    row = {
        "资产编号": "ZC-2026-101",
        "序列号": "IMP-101",
        "型号": "TEST-BC1",
        "所属单位": "执法一处",
        "购置价格(元)": 3280,
        "执法需求": "现场检查全过程记录",
    }
    no_serial = {**row, "资产编号": "ZC-2026-102", "序列号": None}
    bad_price = {**row, "资产编号": "ZC-2026-103", "序列号": "IMP-103", "购置价格(元)": "三千二"}
    bad = _filled(template, [row, no_serial, bad_price], tmp_path / "设备-有误.xlsx")
    page.select_option("select[name=kind]", "devices")
    page.set_input_files("input[name=file]", bad)
    expect(page.locator("#import-chosen")).to_have_text("已选择：设备-有误.xlsx")
    page.get_by_role("button", name="检查并导入").click()
    report = page.locator("#import-report")
    expect(report).to_have_attribute("data-result", "refused")
    expect(report).to_contain_text("文件未导入任何内容")
    expect(report).to_contain_text("发现了 2 处问题")
    expect(report.locator("tbody tr td:first-child")).to_have_text(["3", "4"])
    expect(report.locator("tbody tr td:nth-child(2)")).to_have_text(["序列号", "购置价格(元)"])
    page.screenshot(path=SCREENSHOTS / "import-refused.png", full_page=True)

    good = _filled(template, [row], tmp_path / "设备.xlsx")
    page.select_option("select[name=kind]", "devices")
    page.set_input_files("input[name=file]", good)
    page.get_by_role("button", name="检查并导入").click()
    expect(report).to_have_attribute("data-result", "done")
    expect(report).to_contain_text("共 1 行")
    page.screenshot(path=SCREENSHOTS / "import-done.png", full_page=True)

    page.goto(f"{live_server}/devices")
    expect(page.locator("main")).to_contain_text("ZC-2026-101")
    expect(page.locator("main")).not_to_contain_text("ZC-2026-102")
    expect(page.locator("main")).not_to_contain_text("ZC-2026-103")
    assert_offline(page)


@pytest.mark.e2e
def test_wrong_file_type_in_the_browser(
    page: Page, live_server: str, office: Office, tmp_path: Path
) -> None:
    log_in(page, live_server, "u_device_admin")
    page.goto(f"{live_server}/imports")
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    page.set_input_files("input[name=file]", photo)
    page.get_by_role("button", name="检查并导入").click()
    expect(page.locator("#import-report")).to_contain_text("不支持的文件类型“现场照片.jpg”")
    expect(page).to_have_url(re.compile(r"/imports$"))

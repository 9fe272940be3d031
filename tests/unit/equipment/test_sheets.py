"""Equipment spreadsheets (item 8): templates and import of models, devices and procurement,
the device register and the ratio report as .xlsx."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.equipment import service
from lawcam.equipment.models import Device, DeviceModel, Procurement
from lawcam.equipment.sheets import (
    COLUMNS,
    IMPORT_DONE,
    EquipmentSheet,
    ImportResult,
    import_equipment_file,
    write_equipment_template,
)
from lawcam.equipment.types import Category, DeviceStatus, Feature, ProcurementStatus
from lawcam.errors import Forbidden, InvalidInput, NotFound
from lawcam.org import service as org
from lawcam.org.models import Unit
from lawcam.org.spreadsheets import HELP_SHEET
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.reports.exports import (
    RATIO_HEADERS,
    RATIO_SHEET,
    REGISTER_HEADERS,
    REGISTER_SHEET,
    export_device_register,
    export_ratio,
)
from lawcam.timeutil import utcnow
from tests.unit.equipment.conftest import GOOD_BODY_CAMERA, GOOD_TERMINAL, device

MODEL_HEADERS = [
    "生产厂家",
    "型号",
    "类别",
    "视频分辨率",
    "照片像素(百万)",
    "电池容量(mAh)",
    "连续录像(小时)",
    "存储容量(GB)",
    "防护等级",
    "功能",
]
DEVICE_HEADERS = [
    "资产编号",
    "序列号",
    "型号",
    "所属单位",
    "办案专区",
    "购置价格(元)",
    "执法需求",
    "启用日期",
    "固件版本",
    "采购记录编号",
]
PROCUREMENT_HEADERS = ["所属单位", "年度", "采购日期", "供应商", "型号", "数量", "单价(元)", "备注"]
NEED = "现场执法全过程记录"


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def office(database: Database, console: Actor) -> None:
    """执法中心 (class many, 10 officers, zone 询问室一), 城南所 (class more), two models."""
    with database.unit_of_work() as session:
        org.create_unit(
            session=session,
            actor=console,
            data=UnitIn(name="执法中心", unit_class=UnitClass.MANY, zones=("询问室一",)),
        )
        org.create_unit(
            session=session, actor=console, data=UnitIn(name="城南所", unit_class=UnitClass.MORE)
        )
        for i in range(10):
            org.create_person(
                session=session,
                actor=console,
                data=PersonIn(
                    name=f"执法员{i}", unit="执法中心", badge=f"2101002{i:04d}", is_officer=True
                ),
            )
        service.create_model(session=session, actor=console, data=GOOD_BODY_CAMERA)
        service.create_model(session=session, actor=console, data=GOOD_TERMINAL)


def fill_template(kind: EquipmentSheet, path: Path, rows: list[list[Any]]) -> Path:
    """What a user does: open the generated template, type rows under the header, save."""
    write_equipment_template(kind, path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_xlsx(path: Path, header: list[Any], rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, header: list[Any], rows: list[list[Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def device_row(serial: str, **kw: Any) -> list[Any]:
    values = {
        "资产编号": f"ZC-{serial}",
        "序列号": serial,
        "型号": "DSJ-A8",
        "所属单位": "执法中心",
        "办案专区": "",
        "购置价格(元)": "3280.00",
        "执法需求": NEED,
        "启用日期": "",
        "固件版本": "",
        "采购记录编号": "",
    }
    values.update(kw)
    return [values[h] for h in DEVICE_HEADERS]


def do_import(database: Database, actor: Actor, path: Path) -> ImportResult:
    with database.unit_of_work() as session:
        return import_equipment_file(session=session, actor=actor, path=path)


def import_error(
    database: Database, actor: Actor, path: Path, cls: type[Exception] = InvalidInput
) -> Any:
    before = counts(database)
    with pytest.raises(cls) as caught, database.unit_of_work() as session:
        import_equipment_file(session=session, actor=actor, path=path)
    assert counts(database) == before, "a refused file must write nothing"
    return caught.value


def counts(database: Database) -> tuple[int, ...]:
    with database.read() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (DeviceModel, Device, Procurement, AuditEvent)
        )


def tags(database: Database, tag: str) -> list[AuditEvent]:
    with database.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.tag == tag)))


def unit_admin(database: Database, unit: str) -> Actor:
    with database.read() as session:
        unit_id = session.scalars(select(Unit.id).where(Unit.name == unit)).one()
    return Actor(
        label=f"web:admin-{unit}",
        source="web",
        unit_id=unit_id,
        roles=frozenset({Role.DEVICE_ADMIN}),
    )


# --- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        (EquipmentSheet.MODELS, MODEL_HEADERS),
        (EquipmentSheet.DEVICES, DEVICE_HEADERS),
        (EquipmentSheet.PROCUREMENT, PROCUREMENT_HEADERS),
    ],
)
def test_template_has_the_chinese_headers_and_a_help_sheet(
    tmp_path: Path, kind: EquipmentSheet, headers: list[str]
) -> None:
    path = tmp_path / f"{kind.value}.xlsx"
    write_equipment_template(kind, path)
    workbook = openpyxl.load_workbook(path)
    first = workbook.worksheets[0]
    assert [c.value for c in first[1]] == headers
    assert first.max_row == 1, "no example row: it would be imported"
    help_rows = list(workbook[HELP_SHEET].iter_rows(values_only=True))
    assert [r[0] for r in help_rows[1 : len(headers) + 1]] == headers
    assert [c.header for c in COLUMNS[kind]] == headers


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.req("R2.1")
def test_models_round_trip(database: Database, console: Actor, tmp_path: Path) -> None:
    path = fill_template(
        EquipmentSheet.MODELS,
        tmp_path / "型号.xlsx",
        [
            [
                "海康威视",
                "DSJ-X1",
                "执法记录仪",
                "2304x1296",
                36,
                3400,
                10,
                64,
                "IP68",
                "卫星定位、防爆",
            ],
            [
                "华为",
                "HT-9",
                "handheld_terminal",
                "1920×1080",
                48.5,
                5000,
                9.5,
                128,
                "ip67",
                "gps,live_upload",
            ],
            ["佳能", "EOS-1", "照相机", None, None, None, None, None, None, None],
            ["大华", "NVR-1", "存储服务器", None, None, None, None, 8000, None, ""],
        ],
    )
    result = do_import(database, console, path)
    assert result == ImportResult(kind=EquipmentSheet.MODELS, created=4, rows=4)
    with database.read() as session:
        models = {m.model: m for m in session.scalars(select(DeviceModel))}
    assert models["DSJ-X1"].category == Category.BODY_CAMERA
    assert (models["DSJ-X1"].video_width, models["DSJ-X1"].video_height) == (2304, 1296)
    assert sorted(models["DSJ-X1"].features) == sorted([Feature.GPS, Feature.EXPLOSION_PROOF])
    assert models["HT-9"].photo_mp == 48.5 and models["HT-9"].ip_rating == "IP67"
    assert sorted(models["HT-9"].features) == ["gps", "live_upload"]
    assert models["EOS-1"].category == Category.CAMERA and models["EOS-1"].video_width is None
    assert models["NVR-1"].category == Category.STORAGE
    assert len(tags(database, "equipment:model:create")) == 4
    (summary,) = tags(database, IMPORT_DONE)
    assert (summary.subject_type, summary.subject_id) == ("import", "型号.xlsx")
    assert '"created":4' in (summary.after or "") and '"kind":"models"' in (summary.after or "")


@pytest.mark.req("R5.1")
def test_devices_round_trip(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    path = fill_template(
        EquipmentSheet.DEVICES,
        tmp_path / "设备.xlsx",
        [
            [
                "ZC-0001",
                "SN0001",
                "DSJ-A8",
                "执法中心",
                "询问室一",
                3280.5,
                NEED,
                datetime(2026, 3, 1),
                "V1.2",
                None,
            ],
            [
                "ZC-0002",
                "SN0002",
                "HT-5",
                "城南所",
                None,
                "4999",
                " 窗口 受理  记录 ",
                "2026-04-02",
                None,
                None,
            ],
            [None, None, None, None, None, None, None, None, None, None],  # an empty row is skipped
        ],
    )
    result = do_import(database, console, path)
    assert (result.kind, result.created, result.rows) == (EquipmentSheet.DEVICES, 2, 2)
    with database.read() as session:
        devices = {d.serial: d for d in session.scalars(select(Device))}
        first, second = devices["SN0001"], devices["SN0002"]
        assert first.asset_no == "ZC-0001" and first.zone is not None
        assert first.zone.name == "询问室一"
        assert first.purchase_price == Decimal("3280.50")
        assert first.commissioned_on == date(2026, 3, 1) and first.firmware == "V1.2"
        assert first.status == DeviceStatus.IN_STOCK
        assert second.unit.name == "城南所" and second.need == "窗口 受理 记录"
        assert second.commissioned_on == date(2026, 4, 2)
    created = tags(database, "equipment:device:create")
    assert sorted(e.subject_id for e in created) == sorted(str(d.id) for d in devices.values())
    assert len(tags(database, IMPORT_DONE)) == 1


@pytest.mark.req("R8.1")
def test_procurement_round_trip(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    path = fill_template(
        EquipmentSheet.PROCUREMENT,
        tmp_path / "采购.xlsx",
        [
            [
                "执法中心",
                2026,
                datetime(2026, 2, 10),
                "某某科技有限公司",
                "DSJ-A8",
                5,
                "3280.00",
                "第一批",
            ],
            ["城南所", None, "2025-12-30", "某某科技有限公司", "HT-5", 2, 4999, ""],
        ],
    )
    assert do_import(database, console, path).created == 2
    with database.read() as session:
        rows = list(session.scalars(select(Procurement).order_by(Procurement.id)))
    assert [(p.year, p.quantity, p.total, p.status) for p in rows] == [
        (2026, 5, Decimal("16400.00"), ProcurementStatus.PENDING),
        (2025, 2, Decimal("9998.00"), ProcurementStatus.PENDING),
    ]
    assert rows[0].note == "第一批" and rows[1].purchased_on == date(2025, 12, 30)
    assert len(tags(database, "equipment:procurement:create")) == 2


def test_devices_from_gb18030_csv(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    """Chinese Excel saves CSV in GBK; numbers lose nothing because serials are text."""
    path = write_csv(
        tmp_path / "设备.csv",
        DEVICE_HEADERS,
        [device_row("00123", 启用日期="2026/3/1"), device_row("SN-2", 所属单位="城南所")],
        "gb18030",
    )
    assert do_import(database, console, path).created == 2
    with database.read() as session:
        found = session.scalars(select(Device).where(Device.serial == "00123")).one()
        assert found.unit.name == "执法中心" and found.commissioned_on == date(2026, 3, 1)


def test_models_from_utf8_bom_csv_with_full_width_brackets(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    headers = [h.replace("(", "（").replace(")", "）") for h in MODEL_HEADERS]
    path = write_csv(
        tmp_path / "型号.csv",
        headers,
        [["海康威视", "DSJ-Y", "执法记录仪", "1920x1080", "30", "2500", "8", "16", "IP67", ""]],
        "utf-8-sig",
    )
    assert do_import(database, console, path).kind is EquipmentSheet.MODELS


# --- refused files -------------------------------------------------------------------------


def test_wrong_header_is_named(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [*DEVICE_HEADERS[:4], "价格"], [])
    error = import_error(database, console, path)
    assert "第 1 行：无法识别的列名“价格”" in error.message and "设备表" in error.message

    units = write_xlsx(tmp_path / "b.xlsx", ["单位名称", "单位类别"], [["某所", "多"]])
    assert "无法识别表头" in import_error(database, console, units).message

    missing = write_xlsx(tmp_path / "c.xlsx", [h for h in DEVICE_HEADERS if h != "执法需求"], [])
    error = import_error(database, console, missing)
    assert "设备表缺少必填列“执法需求”" in error.message


def test_header_row_may_follow_blank_rows(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    path = tmp_path / "d.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([None])
    sheet.append(DEVICE_HEADERS)
    sheet.append(device_row("SN9", 执法需求="  "))
    workbook.save(path)
    error = import_error(database, console, path)
    assert error.message.startswith("第 3 行“执法需求”：")


def test_duplicate_serial_in_the_file(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "dup.xlsx",
        DEVICE_HEADERS,
        [device_row("SN1"), device_row("SN2"), device_row("SN1", 资产编号="ZC-OTHER")],
    )
    error = import_error(database, console, path)
    assert error.message == "第 4 行“序列号”：序列号 SN1 与第 2 行重复。"
    assert (error.details["row"], error.details["column"]) == (4, "序列号")


def test_duplicate_serial_and_asset_in_the_database(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        service.create_device(session=session, actor=console, data=device("SN1"))
    serial = write_xlsx(
        tmp_path / "s.xlsx",
        DEVICE_HEADERS,
        [device_row("SN0"), device_row("SN1", 资产编号="ZC-NEW")],
    )
    assert import_error(database, console, serial).message == "第 3 行“序列号”：序列号 SN1 已登记。"
    asset = write_xlsx(tmp_path / "a.xlsx", DEVICE_HEADERS, [device_row("SN7", 资产编号="ZC-SN1")])
    assert (
        import_error(database, console, asset).message
        == "第 2 行“资产编号”：资产编号 ZC-SN1 已登记。"
    )


@pytest.mark.req("R5.1")
@pytest.mark.parametrize("need", ["", "   ", "\u3000 \t"])
def test_device_without_an_enforcement_need_is_refused(
    database: Database, console: Actor, office: None, tmp_path: Path, need: str
) -> None:
    path = write_xlsx(
        tmp_path / "n.xlsx", DEVICE_HEADERS, [device_row("SN1"), device_row("SN2", 执法需求=need)]
    )
    error = import_error(database, console, path)
    assert error.message.startswith("第 3 行“执法需求”：须填写该设备服务的执法需求")
    assert "第五条" in error.message


def test_unknown_model(database: Database, console: Actor, office: None, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", DEVICE_HEADERS, [device_row("SN1", 型号="NO-SUCH")])
    error = import_error(database, console, path)
    assert error.message.startswith("第 2 行“型号”：型号“NO-SUCH”不存在。")
    assert "请先导入型号表" in error.message


@pytest.mark.parametrize(
    ("price", "words"),
    [
        ("abc", "须为金额"),
        ("NaN", "须为金额"),
        ("-5", "须大于 0"),
        (-5, "须大于 0"),
        ("0", "须大于 0"),
        ("", "不能为空"),
        ("12.345", "精确到分"),
        ("2000000", "不超过"),
    ],
)
def test_bad_price(
    database: Database, console: Actor, office: None, tmp_path: Path, price: Any, words: str
) -> None:
    path = write_xlsx(
        tmp_path / "p.xlsx", DEVICE_HEADERS, [device_row("SN1", **{"购置价格(元)": price})]
    )
    error = import_error(database, console, path)
    assert error.message.startswith("第 2 行“购置价格(元)”：购置价格")
    assert words in error.message


def test_model_with_an_unknown_category(database: Database, console: Actor, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "c.xlsx",
        MODEL_HEADERS[:3],
        [["海康威视", "OK-1", "执法记录仪"], ["某厂", "X-1", "无人机"]],
    )
    error = import_error(database, console, path)
    assert error.message.startswith("第 3 行“类别”：无法识别的类别“无人机”。可填写：照相机、")


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("视频分辨率", "1080p", "宽×高"),
        ("防护等级", "防水", "IP67"),
        ("电池容量(mAh)", "很大", "须填写整数"),
        ("电池容量(mAh)", 50, "100 至"),
        ("照片像素(百万)", "三千万", "须填写数字"),
        ("功能", "防爆、飞行", "无法识别的功能“飞行”"),
        ("型号", "DSJ-A8", "已存在"),
        ("生产厂家", " ", "生产厂家不能为空"),
    ],
)
def test_model_cell_errors_name_the_column(
    database: Database,
    console: Actor,
    office: None,
    tmp_path: Path,
    column: str,
    value: Any,
    words: str,
) -> None:
    row = dict(
        zip(MODEL_HEADERS, ["某厂", "M-1", "执法记录仪", "", "", "", "", "", "", ""], strict=True)
    )
    row[column] = value
    path = write_xlsx(tmp_path / "e.xlsx", MODEL_HEADERS, [list(row.values())])
    error = import_error(database, console, path)
    assert error.message.startswith(f"第 2 行“{column}”：") and words in error.message


def test_unknown_unit_and_zone(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    unit = write_xlsx(tmp_path / "u.xlsx", DEVICE_HEADERS, [device_row("SN1", 所属单位="不存在所")])
    assert import_error(database, console, unit).message.startswith(
        "第 2 行“所属单位”：单位“不存在所”"
    )
    zone = write_xlsx(tmp_path / "z.xlsx", DEVICE_HEADERS, [device_row("SN1", 办案专区="询问室九")])
    message = import_error(database, console, zone).message
    assert message.startswith("第 2 行“办案专区”：") and "第五条" in message


def test_all_or_nothing_when_a_service_refuses_the_last_row(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    """Rows 2-4 are created by the services before row 5's procurement record is found missing:
    the whole import is rolled back, audit rows included."""
    rows = [device_row(f"SN{i}") for i in range(3)] + [device_row("SN9", 采购记录编号=999)]
    path = write_xlsx(tmp_path / "r.xlsx", DEVICE_HEADERS, rows)
    error = import_error(database, console, path)
    assert error.message == "第 5 行“采购记录编号”：采购记录 999 不存在。"
    assert tags(database, IMPORT_DONE) == []


def test_procurement_errors_name_the_column(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    def row(**kw: Any) -> list[Any]:
        values = dict(
            zip(
                PROCUREMENT_HEADERS,
                ["执法中心", 2026, "2026-01-05", "某公司", "DSJ-A8", 2, "100", ""],
                strict=True,
            )
        )
        values.update(kw)
        return list(values.values())

    for kw, expected in [
        ({"数量": 0}, "第 2 行“数量”：数量须在 1 至"),
        ({"数量": "两台"}, "第 2 行“数量”：须填写整数"),
        ({"采购日期": "明天"}, "第 2 行“采购日期”：须填写日期"),
        ({"采购日期": "2999-01-01"}, "第 2 行“采购日期”：采购日期不能晚于今天"),
        ({"年度": 1999}, "第 2 行“年度”：年度须在 2000 至 2100 之间"),
        ({"单价(元)": "abc"}, "第 2 行“单价(元)”：单价须为金额"),
        ({"型号": "NONE"}, "第 2 行“型号”：型号“NONE”不存在"),
    ]:
        path = write_xlsx(tmp_path / "p.xlsx", PROCUREMENT_HEADERS, [row(), row(**kw)])
        message = import_error(database, console, path).message
        assert message.startswith(expected.replace("第 2 行", "第 3 行")), message


def test_permissions(database: Database, console: Actor, office: None, tmp_path: Path) -> None:
    admin = unit_admin(database, "城南所")
    other_unit = write_xlsx(tmp_path / "o.xlsx", DEVICE_HEADERS, [device_row("SN1")])
    error = import_error(database, admin, other_unit, Forbidden)
    assert error.message.startswith("第 2 行“所属单位”：您只能办理本单位的事项")
    own = write_xlsx(tmp_path / "own.xlsx", DEVICE_HEADERS, [device_row("SN2", 所属单位="城南所")])
    assert do_import(database, admin, own).created == 1
    officer = Actor(
        label="web:officer", source="web", unit_id=admin.unit_id, roles=frozenset({Role.OFFICER})
    )
    import_error(database, officer, own, Forbidden)


# --- exports -------------------------------------------------------------------------------


@pytest.mark.req("R5.1")
def test_device_register_export(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        service.create_device(
            session=session,
            actor=console,
            data=device("SN1", zone="询问室一", commissioned_on=date(2026, 3, 1), firmware="V2"),
        )
        service.create_device(
            session=session,
            actor=console,
            data=device("SN2", model="HT-5", unit="城南所", need="=1+1"),
        )
    path = tmp_path / "out" / "台账.xlsx"
    with database.read() as session:
        assert export_device_register(session=session, actor=console, path=path) == 2
    sheet = openpyxl.load_workbook(path)[REGISTER_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert (
        list(rows[0])
        == list(REGISTER_HEADERS)
        == [
            "资产编号",
            "序列号",
            "型号",
            "生产厂家",
            "类别",
            "单位",
            "办案专区",
            "状态",
            "购置价格(元)",
            "采购记录",
            "启用日期",
            "固件版本",
            "执法需求",
        ]
    )
    assert rows[1] == (
        "ZC-SN1",
        "SN1",
        "DSJ-A8",
        "海康威视",
        "执法记录仪",
        "执法中心",
        "询问室一",
        "在用",
        3280,
        None,
        datetime(2026, 3, 1),
        "V2",
        NEED,
    )
    assert rows[2][4] == "手持执法终端" and rows[2][5] == "城南所"
    assert sheet.cell(row=3, column=13).data_type == "s", "text is never a formula"
    assert rows[2][12] == "=1+1"


def test_device_register_follows_the_actor_scope(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        service.create_device(session=session, actor=console, data=device("SN1"))
        service.create_device(session=session, actor=console, data=device("SN2", unit="城南所"))
        centre = session.scalars(select(Unit.id).where(Unit.name == "执法中心")).one()
    admin = unit_admin(database, "城南所")
    path = tmp_path / "r.xlsx"
    with database.read() as session:
        assert export_device_register(session=session, actor=admin, path=path) == 1
        with pytest.raises(NotFound):
            export_device_register(session=session, actor=admin, path=path, unit_id=centre)
        assert (
            export_device_register(session=session, actor=console, path=path, unit_id=centre) == 1
        )
    rows = list(openpyxl.load_workbook(path)[REGISTER_SHEET].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["SN1"]


@pytest.mark.req("R6.1")
@pytest.mark.req("R6.2")
def test_ratio_export_many_ten_officers_three_recorders(
    database: Database, console: Actor, office: None, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        for i in range(3):
            service.create_device(session=session, actor=console, data=device(f"SN{i}"))
        lost = service.create_device(session=session, actor=console, data=device("LOST1"))
        service.set_device_status(
            session=session,
            actor=console,
            device_id=lost.id,
            status=DeviceStatus.LOST,
            reason="现场遗失",
        )
    path = tmp_path / "比例.xlsx"
    with database.read() as session:
        export_ratio(session=session, actor=console, path=path, now=utcnow(), repair_days=30)
    sheet = openpyxl.load_workbook(path)[RATIO_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert (
        list(rows[0])
        == list(RATIO_HEADERS)
        == [
            "单位",
            "类别",
            "执法人员数",
            "计入设备数",
            "应配台数",
            "缺口",
            "是否达标",
            "说明",
        ]
    )
    by_unit = {r[0]: r for r in rows[1:]}
    centre = by_unit["执法中心"]
    assert centre[:7] == ("执法中心", "多", 10, 3, 4, 1, "否")
    assert "LOST1（丢失）" in centre[7]
    assert by_unit["城南所"][:7] == ("城南所", "较多", 0, 0, 0, 0, "是")
    office_row = rows[-1]
    assert office_row[:7] == ("全办合计", None, 10, 3, 4, 1, "否")
    assert all(sheet.cell(row=len(rows), column=c).font.b for c in range(1, 9))
    assert not sheet.cell(row=2, column=1).font.b

"""The equipment sheets (item 8): their kinds, Chinese column headers, the help each column
shows in the template, and which service field each column feeds.

Shared by the template and import (``lawcam.equipment.sheets``) and the whole-file
checks (``lawcam.equipment.sheet_checks``).
"""

from __future__ import annotations

from enum import StrEnum

from lawcam.equipment import procurement as procurements
from lawcam.equipment.types import CATEGORY_LABELS, FEATURE_LABELS
from lawcam.sheets import Column


class EquipmentSheet(StrEnum):
    MODELS = "models"
    DEVICES = "devices"
    PROCUREMENT = "procurement"

    @property
    def label(self) -> str:
        return {"models": "型号表", "devices": "设备表", "procurement": "采购表"}[self.value]


# --- columns -------------------------------------------------------------------------------

MAKER, MODEL, CATEGORY, VIDEO, PHOTO, BATTERY, HOURS, STORAGE, IP, FEATURES = (
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
)
ASSET, SERIAL, UNIT, ZONE, PRICE, NEED, COMMISSIONED, FIRMWARE, PROCUREMENT_NO = (
    "资产编号",
    "序列号",
    "所属单位",
    "办案专区",
    "购置价格(元)",
    "执法需求",
    "启用日期",
    "固件版本",
    "采购记录编号",
)
YEAR, PURCHASED, SUPPLIER, QUANTITY, UNIT_PRICE, NOTE = (
    "年度",
    "采购日期",
    "供应商",
    "数量",
    "单价(元)",
    "备注",
)

CATEGORY_ALLOWED = "、".join(CATEGORY_LABELS.values())
FEATURE_ALLOWED = "、".join(FEATURE_LABELS.values())
ID_RULE = "字母、数字和“-_/.”，1 至 64 位"

COLUMNS: dict[EquipmentSheet, tuple[Column, ...]] = {
    EquipmentSheet.MODELS: (
        Column(MAKER, True, "生产厂家名称。", "最多 100 字"),
        Column(MODEL, True, "产品型号，在系统中不能重复。设备表按此名称引用型号。", "最多 100 字"),
        Column(CATEGORY, True, "设备类别（第二条）。", CATEGORY_ALLOWED),
        Column(VIDEO, False, "最高视频分辨率（第七条）。", "宽×高，如 1920x1080"),
        Column(PHOTO, False, "照片有效像素，单位百万（第七条）。", "数字，如 36"),
        Column(BATTERY, False, "电池容量，单位毫安时（第七条）。", "整数，如 3400"),
        Column(HOURS, False, "额定连续录像时间，单位小时（第七条）。", "数字，如 10"),
        Column(STORAGE, False, "存储容量，单位 GB（第七条）。", "整数，如 64"),
        Column(IP, False, "防护等级（第七条）。", "如 IP67、IP68"),
        Column(
            FEATURES,
            False,
            "具备的功能（第七条），可填多个。",
            FEATURE_ALLOWED + "；多个之间用“、”或“，”分隔",
        ),
    ),
    EquipmentSheet.DEVICES: (
        Column(ASSET, True, "固定资产编号，在系统中不能重复。", ID_RULE, text=True),
        Column(SERIAL, True, "设备序列号（出厂编号），在系统中不能重复。", ID_RULE, text=True),
        Column(MODEL, True, "设备型号，须已在系统中（请先导入型号表）。", "已有型号的名称"),
        Column(UNIT, True, "设备所属单位，须是系统中已有的在用单位。", "已有单位的名称"),
        Column(ZONE, False, "设备所在的办案专区（第五条），须是所属单位的办案专区。", "选填"),
        Column(PRICE, True, "购置价格，单位元。", "大于 0 的金额，最多两位小数"),
        Column(
            NEED,
            True,
            "该设备服务的执法需求。与执法无关的设备严禁配备，不能为空（第五条）。",
            "最多 500 字",
        ),
        Column(COMMISSIONED, False, "启用日期。", "日期，如 2026-03-01"),
        Column(FIRMWARE, False, "固件版本。", "最多 100 字", text=True),
        Column(
            PROCUREMENT_NO,
            False,
            "设备所属采购记录的编号（第八条）。采购须已经计划财务处批准，单位和型号须一致。",
            "整数",
        ),
    ),
    EquipmentSheet.PROCUREMENT: (
        Column(UNIT, True, "采购单位，须是系统中已有的在用单位。", "已有单位的名称"),
        Column(YEAR, False, "预算年度（第八条）。不填则取采购日期的年份。", "2000 至 2100"),
        Column(PURCHASED, True, "采购日期，不能晚于今天。", "日期，如 2026-03-01"),
        Column(SUPPLIER, True, "供应商名称。", "最多 200 字"),
        Column(MODEL, True, "采购的型号，须已在系统中（请先导入型号表）。", "已有型号的名称"),
        Column(QUANTITY, True, "采购数量。", f"1 至 {procurements.MAX_QUANTITY} 的整数"),
        Column(UNIT_PRICE, True, "单价，单位元。", "大于 0 的金额，最多两位小数"),
        Column(NOTE, False, "备注。", "最多 500 字"),
    ),
}
SHEET_TITLES = {
    EquipmentSheet.MODELS: "型号",
    EquipmentSheet.DEVICES: "设备",
    EquipmentSheet.PROCUREMENT: "采购",
}
# The services name the offending field; these are the columns the user sees.
FIELD_COLUMNS: dict[EquipmentSheet, dict[str, str]] = {
    EquipmentSheet.MODELS: {
        "maker": MAKER,
        "model": MODEL,
        "category": CATEGORY,
        "video": VIDEO,
        "photo_mp": PHOTO,
        "battery_mah": BATTERY,
        "record_hours": HOURS,
        "storage_gb": STORAGE,
        "ip_rating": IP,
        "features": FEATURES,
    },
    EquipmentSheet.DEVICES: {
        "asset_no": ASSET,
        "serial": SERIAL,
        "model": MODEL,
        "unit": UNIT,
        "zone": ZONE,
        "price": PRICE,
        "need": NEED,
        "commissioned_on": COMMISSIONED,
        "firmware": FIRMWARE,
        "procurement_id": PROCUREMENT_NO,
    },
    EquipmentSheet.PROCUREMENT: {
        "unit": UNIT,
        "year": YEAR,
        "purchased_on": PURCHASED,
        "supplier": SUPPLIER,
        "model": MODEL,
        "quantity": QUANTITY,
        "unit_price": UNIT_PRICE,
        "note": NOTE,
    },
}
HINTS = {
    (EquipmentSheet.DEVICES, "model"): "型号须已在系统中，请先导入型号表。",
    (EquipmentSheet.PROCUREMENT, "model"): "型号须已在系统中，请先导入型号表。",
}
HEADER_HELP = (
    "无法识别表头：第一行应为型号表、设备表或采购表的列名，请使用 lawcam template 生成的模板。"
)

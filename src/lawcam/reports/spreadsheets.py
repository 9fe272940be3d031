"""Equipment spreadsheets (item 8), by their former single name: templates and bulk import of
models, devices and procurement records (``lawcam.reports.equipment_sheets``), and exports of
the device register and the ratio report (``lawcam.reports.exports``).

New code should import from those modules; this one only re-exports their public names.
"""

from __future__ import annotations

from lawcam.org.sheetio import HELP_SHEET, Column, ImportResult
from lawcam.reports.equipment_columns import COLUMNS, FIELD_COLUMNS, SHEET_TITLES, EquipmentSheet
from lawcam.reports.equipment_sheets import (
    IMPORT_DONE,
    import_equipment_file,
    write_equipment_template,
)
from lawcam.reports.exports import (
    RATIO_HEADERS,
    RATIO_SHEET,
    RATIO_WIDTHS,
    REGISTER_HEADERS,
    REGISTER_SHEET,
    REGISTER_WIDTHS,
    check_unit_visible,
    export_device_register,
    export_ratio,
)

__all__ = [
    "COLUMNS",
    "FIELD_COLUMNS",
    "HELP_SHEET",
    "IMPORT_DONE",
    "RATIO_HEADERS",
    "RATIO_SHEET",
    "RATIO_WIDTHS",
    "REGISTER_HEADERS",
    "REGISTER_SHEET",
    "REGISTER_WIDTHS",
    "SHEET_TITLES",
    "Column",
    "EquipmentSheet",
    "ImportResult",
    "check_unit_visible",
    "export_device_register",
    "export_ratio",
    "import_equipment_file",
    "write_equipment_template",
]

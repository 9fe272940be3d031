"""Spreadsheet imports from the browser (第四条、第九条: the register of units, people, models,
devices and purchases): the same templates and the same importers as ``lawcam template`` and
``lawcam import``. An import is checked whole before anything is written; a bad row names its
row and column, and then nothing of the file is imported."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.activities.sheets import (
    ActivitySheet,
    import_activities,
    write_activity_template,
)
from lawcam.authz import Action, Actor
from lawcam.config import Settings
from lawcam.equipment.sheets import (
    EquipmentSheet,
    ImportResult,
    import_equipment_file,
    write_equipment_template,
)
from lawcam.errors import Forbidden, InvalidInput, LawcamError, NotFound
from lawcam.org.spreadsheets import SheetKind, import_file, write_template
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import discard, render

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUFFIXES = (".xlsx", ".csv")
UPLOAD_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Sheet:
    kind: str
    label: str
    action: Action
    note: str


SHEETS = {
    s.kind: s
    for s in (
        Sheet("units", "单位", Action.UNIT_MANAGE, "单位名称、上级单位、配备类别（第六条）"),
        Sheet("people", "人员", Action.PERSON_MANAGE, "姓名、执法证号、所属单位、角色"),
        Sheet("models", "型号", Action.MODEL_MANAGE, "厂家、型号、类别和技术参数（第七条）"),
        Sheet(
            "devices",
            "设备",
            Action.DEVICE_MANAGE,
            "序列号、资产编号、型号、单位、执法需求（第五条）",
        ),
        Sheet(
            "procurement",
            "采购",
            Action.PROCUREMENT_RECORD,
            "采购日期、供应商、型号、数量、单价（第八条）",
        ),
        # A unit's activity list is kept by its device administrator or head (the unit-wide
        # roles); an officer enters their own activities one by one.
        Sheet(
            "activities",
            "执法活动",
            Action.ACTIVITY_LINK,
            "单位、类别、地点、到场和结束时间、在场执法人员、是否告知（第十条、第十二条）",
        ),
    )
}


def allowed_sheets(actor: Actor) -> list[Sheet]:
    return [s for s in SHEETS.values() if actor.can(s.action)]


def _sheet(actor: Actor, kind: str) -> Sheet:
    if not allowed_sheets(actor):
        raise Forbidden("您的角色不能导入任何表格。", action="import")
    if not kind.strip():
        raise InvalidInput("请选择导入类型。", field="kind")
    sheet = SHEETS.get(kind.strip())
    if sheet is None:
        names = "、".join(f"{s.kind}（{s.label}）" for s in SHEETS.values())
        raise NotFound(f"没有“{kind}”这种导入模板，可用的有：{names}。")
    actor.require(sheet.action)
    return sheet


def _imports_page(
    request: Request, auth: Auth, status_code: int = 200, **context: object
) -> Response:
    sheets = allowed_sheets(auth.actor)
    if not sheets:
        raise Forbidden("您的角色不能导入任何表格。", action="import")
    return render(request, "imports.html", auth, status_code, sheets=sheets, **context)


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, auth: AuthDep) -> Response:
    return _imports_page(request, auth)


@router.get("/imports/{kind}.xlsx")
def template(kind: str, auth: AuthDep) -> Response:
    sheet = _sheet(auth.actor, kind)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.xlsx"
        if sheet.kind in (SheetKind.UNITS.value, SheetKind.PEOPLE.value):
            write_template(SheetKind(sheet.kind), path)
        elif sheet.kind == "activities":
            write_activity_template(path)
        else:
            write_equipment_template(EquipmentSheet(sheet.kind), path)
        name = quote(f"{sheet.label}导入模板.xlsx")
        return Response(
            path.read_bytes(),
            media_type=XLSX,
            headers={
                "Content-Disposition": f"attachment; filename=\"template.xlsx\"; filename*=UTF-8''{name}",
                "Cache-Control": "no-store",
            },
        )


def _saved(upload: UploadFile, folder: Path) -> Path:
    """The uploaded file on disk under its own name (the import's audit entry names it)."""
    name = Path((upload.filename or "").replace("\\", "/")).name.strip()
    if not name:
        raise InvalidInput("请选择要导入的文件。", field="file")
    if not name.lower().endswith(SUFFIXES):
        raise InvalidInput(
            f"不支持的文件类型“{name}”：请导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv），"
            "可先下载本页的模板填写。",
            field="file",
        )
    path = folder / name[-200:]
    with path.open("wb") as out:
        while block := upload.file.read(UPLOAD_BLOCK):
            out.write(block)
    if path.stat().st_size == 0:
        raise InvalidInput(f"文件“{name}”是空的（0 字节），没有可导入的内容。", field="file")
    return path


def _run_import(
    session: Session, actor: Actor, settings: Settings, sheet: Sheet, path: Path
) -> int:
    """The importer for the chosen kind; the file must be that kind's sheet."""
    result: ImportResult[SheetKind] | ImportResult[EquipmentSheet] | ImportResult[ActivitySheet]
    if sheet.kind == "activities":
        result = import_activities(session=session, actor=actor, settings=settings, path=path)
    elif sheet.kind in (SheetKind.UNITS.value, SheetKind.PEOPLE.value):
        result = import_file(session=session, actor=actor, path=path)
    else:
        result = import_equipment_file(session=session, actor=actor, path=path)
    if result.kind.value != sheet.kind:
        raise InvalidInput(
            f"所选的是{sheet.label}导入，但文件“{path.name}”是{result.kind.label}，"
            "请选择对应的导入类型后重新导入。",
            field="kind",
        )
    return result.rows


@router.post("/imports", response_class=HTMLResponse)
def import_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    sheet = _sheet(auth.actor, kind)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if file is None:
                raise InvalidInput("请选择要导入的文件。", field="file")
            path = _saved(file, Path(tmp))
            rows = _run_import(session, auth.actor, settings, sheet, path)
    except (InvalidInput, Forbidden, NotFound) as exc:
        discard(session)  # the whole file or nothing
        return _imports_page(
            request, auth, exc.http_status, chosen=sheet.kind, refusal=_refusal(exc)
        )
    return _imports_page(
        request,
        auth,
        chosen=sheet.kind,
        done={"label": sheet.label, "rows": rows, "file": path.name},
    )


def _refusal(exc: LawcamError) -> list[dict[str, object]]:
    """The refusal as the page's report shows it: each bad row, where and what is wrong."""
    problems = exc.details.get("problems")
    if isinstance(problems, list) and problems:
        return problems
    return [
        {"row": exc.details.get("row"), "column": exc.details.get("column"), "message": exc.message}
    ]

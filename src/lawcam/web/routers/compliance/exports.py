"""Exports of findings (第十八条, R18.1; issue 18 item 5): the findings list in Excel (the list's
filters), the notice of one finding as PDF (with the QR of its audit entry's inclusion proof),
and a unit's monthly compliance report as PDF. Thin: parse → report → bytes."""

from __future__ import annotations

from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lawcam.authz import Action
from lawcam.compliance import queries
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.errors import InvalidInput
from lawcam.org.queries import person_by_badge
from lawcam.reports.compliance_month import compliance_month_pdf
from lawcam.reports.finding_notice import finding_notice
from lawcam.reports.findings_xlsx import findings_workbook
from lawcam.schemas.common import Id
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Short = Annotated[str, Query(max_length=50)]
E = TypeVar("E", Rule, FindingStatus)


def _download(content: bytes, media_type: str, ascii_name: str, name: str) -> Response:
    # RFC 6266: an ASCII fallback and the UTF-8 name, so the Chinese file name survives.
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def _enum(kind: type[E], value: str, what: str, field: str) -> E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as error:
        raise InvalidInput(f"{what}“{value}”不存在。", field=field) from error


@router.get("/findings.xlsx")
def findings_sheet(
    auth: AuthDep, session: SessionDep, rule: Short = "", status: Short = "", person: Short = "",
    unit_id: Short = "",
) -> Response:  # fmt: skip
    """The findings the actor may see, filtered as the list is (规则, 状态, 当事人执法证号, 单位)."""
    auth.actor.require(Action.FINDING_VIEW)
    person_id = None
    if person.strip():
        found = person_by_badge(session, person.strip())
        person_id = found.id if found is not None else -1  # nobody: an empty sheet
    if unit_id and not unit_id.isdigit():
        raise InvalidInput("单位编号应为数字。", field="unit_id")
    where = queries.FindingFilter(
        rule=_enum(Rule, rule, "规则", "rule"),
        status=_enum(FindingStatus, status, "状态", "status"),
        person_id=person_id,
        unit_id=int(unit_id) if unit_id else None,
    )
    content, _ = findings_workbook(session=session, actor=auth.actor, where=where)
    stamp = f"{utcnow().astimezone(SHANGHAI):%Y%m%d}"
    return _download(content, XLSX, "findings.xlsx", f"执法过错-{stamp}.xlsx")


@router.get("/findings/{finding_id}/notice.pdf")
def notice_pdf(
    finding_id: Id, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    auth.actor.require(Action.FINDING_VIEW)
    notice = finding_notice(
        session=session, actor=auth.actor, finding_id=finding_id, base_url=settings.base_url
    )
    name = f"执法过错告知书-{finding_id}.pdf"
    return _download(notice.pdf, "application/pdf", f"finding-{finding_id}.pdf", name)


@router.get("/reports/compliance/{unit_id}/{month}.pdf")
def compliance_report(
    unit_id: Id, month: str, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    auth.actor.require(Action.FINDING_VIEW)
    pdf = compliance_month_pdf(
        session=session, actor=auth.actor, unit_id=unit_id, month=month[:7],
        repair_days=settings.repair_count_days,
    )  # fmt: skip
    name = f"合规报告-{unit_id}-{month[:7]}.pdf"
    return _download(pdf, "application/pdf", f"compliance-{unit_id}-{month[:7]}.pdf", name)

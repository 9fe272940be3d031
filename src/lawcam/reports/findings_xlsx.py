"""Findings as .xlsx (第十八条, R18.1; issue 18 item 5): the findings the actor may see, with the
filters of the list (rule, status, person, unit), one row each with its clause, the person
concerned, the evidence and every step of its review. Text stays text (no formulas)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.compliance.models import Finding
from lawcam.compliance.queries import FindingFilter, list_findings
from lawcam.compliance.types import FindingStatus, Rule, Severity
from lawcam.org.models import Person, Unit
from lawcam.reports.exports import header_row, put_cell
from lawcam.timeutil import local

SHEET = "执法过错"
HEADERS = (
    "编号", "过错类型", "依据条款", "严重程度", "当事人", "单位", "事实摘要", "证据",
    "状态", "发现时间", "发现人", "陈述申辩期限", "陈述申辩", "决定人", "决定时间",
    "决定理由", "问责措施", "复核人", "复核时间", "复核意见",
)  # fmt: skip
WIDTHS = (8, 18, 26, 8, 12, 14, 50, 50, 10, 18, 14, 18, 40, 12, 18, 40, 30, 12, 18, 40)
EXPORT_LIMIT = 100_000  # far above an office's findings; a bound, not a page


def findings_workbook(
    *, session: Session, actor: Actor, where: FindingFilter = FindingFilter()
) -> tuple[bytes, int]:
    """The workbook's bytes and how many findings it holds."""
    findings = list_findings(session=session, actor=actor, where=where, limit=EXPORT_LIMIT)
    people, units = _names(session, findings)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    header_row(sheet, HEADERS, WIDTHS)
    for row, finding in enumerate(findings, start=2):
        for column, value in enumerate(_values(finding, people, units), start=1):
            put_cell(sheet, row, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), len(findings)


def evidence_text(finding: Finding) -> str:
    return "；".join(
        f"{e.get('label') or e.get('kind')}（{e.get('kind')} {e.get('id')}）"
        for e in finding.evidence
    )


def _names(session: Session, findings: Sequence[Finding]) -> tuple[dict[int, str], dict[int, str]]:
    person_ids = {f.person_id for f in findings if f.person_id is not None}
    unit_ids = {f.unit_id for f in findings if f.unit_id is not None}
    people = {
        i: n
        for i, n in session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))
    }
    units = {
        i: n for i, n in session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
    }
    return people, units


def _values(f: Finding, people: dict[int, str], units: dict[int, str]) -> list[Any]:
    return [
        f.id, _label(Rule, f.rule), f.article, _label(Severity, f.severity),
        people.get(f.person_id, "") if f.person_id else "（未确定）",
        units.get(f.unit_id, "") if f.unit_id else "", f.summary, evidence_text(f),
        _label(FindingStatus, f.status), local(f.found_at), f.found_by,
        local(f.statement_due), f.statement,
        f.decided_by, local(f.decided_at), f.decision_reason, f.measure,
        f.reviewed_by, local(f.reviewed_at), f.review_reason,
    ]  # fmt: skip


def _label(kind: Any, code: str) -> str:
    try:
        return str(kind(code).label)
    except ValueError:
        return code

"""The notice of one finding (执法过错告知书, 第十八条, R18.1; issue 18 item 5): an A4 PDF in Chinese
with the rule and its clause, the person concerned, the facts, the evidence list, the person's
right to a statement (陈述申辩) and its deadline, the decision and review when made, and a QR
code of the page that proves the finding's audit entry is in the signed log (RFC 9162)."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.compliance.models import Finding
from lawcam.compliance.queries import get_finding
from lawcam.compliance.types import FindingEvent, FindingStatus, Rule, Severity
from lawcam.org.models import Person, Unit
from lawcam.reports.labels import draw_qr
from lawcam.reports.package import MARGIN, _Sheet
from lawcam.timeutil import local, utcnow

QR_SIZE = 34 * 2.834645669  # 34 mm in points
ENTRY_TAGS = (str(FindingEvent.FOUND), str(FindingEvent.RECORDED))


@dataclass(frozen=True)
class Notice:
    pdf: bytes
    finding_id: int
    proof_url: str | None  # the inclusion proof page of the finding's audit entry


def proof_url(base_url: str, seq: int) -> str:
    return f"{base_url.rstrip('/')}/audit/proof?leaf={seq}"


def entry_seq(session: Session, finding_id: int) -> int | None:
    """The audit entry that recorded the finding (found by a sweep, or recorded by hand)."""
    stmt = (
        select(AuditEvent.seq)
        .where(AuditEvent.subject_type == "finding", AuditEvent.subject_id == str(finding_id))
        .where(AuditEvent.tag.in_(ENTRY_TAGS))
        .order_by(AuditEvent.seq)
        .limit(1)
    )
    return session.scalar(stmt)


def finding_notice(*, session: Session, actor: Actor, finding_id: int, base_url: str) -> Notice:
    finding = get_finding(session=session, actor=actor, finding_id=finding_id)  # 404 unless seen
    seq = entry_seq(session, finding.id)
    url = None if seq is None else proof_url(base_url, seq)
    sheet = _Sheet(f"执法过错告知书 第 {finding.id} 号")
    sheet.text("执法过错告知书", 18)
    sheet.text(f"第 {finding.id} 号　　打印时间 {local(utcnow())}", 9, grey=True)
    sheet.gap(8)
    _facts(session, sheet, finding)
    _evidence(sheet, finding)
    _review(sheet, finding)
    _qr(sheet, url, seq)
    return Notice(sheet.done(), finding.id, url)


def _facts(session: Session, sheet: _Sheet, f: Finding) -> None:
    person = session.get(Person, f.person_id) if f.person_id else None
    unit = session.get(Unit, f.unit_id) if f.unit_id else None
    sheet.text("一、基本情况", 12)
    rows = [
        ("过错类型", Rule(f.rule).label),
        ("依据条款", f"《市人防办行政执法音像记录设备配备使用办法》{f.article}"),
        ("严重程度", Severity(f.severity).label),
        ("当事人", f"{person.name}（{person.badge or '无执法证号'}）" if person else "尚未确定"),
        ("单位", unit.name if unit else ""),
        ("发现时间", f"{local(f.found_at)}（{f.found_by}）"),
        ("当前状态", FindingStatus(f.status).label),
        ("事实摘要", f.summary),
    ]
    for label, value in rows:
        sheet.row(label, value)
    sheet.gap()


def _evidence(sheet: _Sheet, f: Finding) -> None:
    sheet.text(f"二、证据清单（共 {len(f.evidence)} 项）", 12)
    for number, item in enumerate(f.evidence, 1):
        label = item.get("label") or ""
        sheet.text(f"{number}. {label}（{item.get('kind', '')} {item.get('id', '')}）", 10)
    if not f.evidence:
        sheet.text("无。", 10)
    sheet.gap()


def _review(sheet: _Sheet, f: Finding) -> None:
    sheet.text("三、陈述申辩与处理", 12)
    if f.statement_due is not None:
        sheet.row("陈述申辩期限", f"当事人可于 {local(f.statement_due)} 前提交陈述申辩。")
    sheet.row(
        "陈述申辩", f"{f.statement}（{local(f.statement_at)}）" if f.statement_at else "未提交"
    )
    if f.decided_at is not None:
        verdict = "认定" if f.decision == str(FindingStatus.CONFIRMED) else "不予认定"
        sheet.row(
            "决定", f"{verdict}：{f.decision_reason}（{f.decided_by}，{local(f.decided_at)}）"
        )
        if f.measure:
            sheet.row("问责措施", f.measure)
    if f.reviewed_at is not None:
        sheet.row("复核意见", f"{f.review_reason}（{f.reviewed_by}，{local(f.reviewed_at)}）")
    sheet.gap()


def _qr(sheet: _Sheet, url: str | None, seq: int | None) -> None:
    sheet.room(QR_SIZE + 40)
    sheet.text("四、审计记录", 12)
    if url is None:
        sheet.text("未找到该记录的审计条目。", 10)
        return
    top = sheet.y
    draw_qr(sheet.canvas, segno.make(url, error="m").matrix, MARGIN, top - QR_SIZE - 4, QR_SIZE)
    sheet.y = top - QR_SIZE - 8
    sheet.text(f"审计日志第 {seq} 条记录了本过错的发现；扫码打开其包含证明（RFC 9162）：", 9)
    sheet.text(url, 9)
    sheet.canvas.linkURL(url, (MARGIN, top - QR_SIZE - 4, MARGIN + QR_SIZE, top - 4))

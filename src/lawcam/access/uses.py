"""Who saw what, when, under which approval (第十五条): every use of a recording — a viewing
session with the bytes it served, a download, a package — and every refused attempt, read from
the audit log (the record that cannot be quietly changed), for the security auditor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.access.models import ViewSession
from lawcam.access.types import AccessAction, AccessEvent, Refusal
from lawcam.audit.models import AuditEvent
from lawcam.authz import Action, Actor
from lawcam.timeutil import shanghai_day_start

USE_LABELS = {
    AccessEvent.VIEWED: "查看",
    AccessEvent.DOWNLOADED: "下载原始文件",
    AccessEvent.PACKAGED: "生成提供包",
    AccessEvent.REFUSED: "被拒绝",
}
REFUSAL_LABELS = {
    Refusal.NO_GRANT: "没有授权",
    Refusal.EXPIRED: "授权已过期",
    Refusal.REVOKED: "授权已撤销",
    Refusal.NOT_ALLOWED: "授权不含此用途",
}
LIMIT = 5000


@dataclass(frozen=True)
class UseFilter:
    date_from: date | None = None
    date_to: date | None = None
    who: str = ""  # part of the actor's name or badge as the log names them
    recording_id: int | None = None
    refused_only: bool = False


@dataclass(frozen=True)
class Use:
    seq: int
    at: datetime
    who: str
    what: str
    recordings: tuple[int, ...]
    grant: int | None
    detail: str


def uses(session: Session, actor: Actor, where: UseFilter) -> list[Use]:
    """Newest first, at most ``LIMIT``; nothing for anyone but the auditor (and the console)."""
    actor.require(Action.AUDIT_READ)
    rows = list(session.execute(_stmt(where)))
    views = _views(session, rows)
    found = [_use(row, views) for row in rows]
    if where.recording_id is not None:
        found = [u for u in found if where.recording_id in u.recordings]
    return found


def _stmt(where: UseFilter):  # type: ignore[no-untyped-def]
    tags = [str(AccessEvent.REFUSED)] if where.refused_only else [str(t) for t in USE_LABELS]
    stmt = select(
        AuditEvent.seq,
        AuditEvent.occurred_at,
        AuditEvent.actor_label,
        AuditEvent.tag,
        AuditEvent.entry,
    )
    stmt = stmt.where(AuditEvent.tag.in_(tags))
    if where.date_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= shanghai_day_start(where.date_from))
    if where.date_to is not None:
        stmt = stmt.where(
            AuditEvent.occurred_at < shanghai_day_start(where.date_to + timedelta(days=1))
        )
    if where.who.strip():
        stmt = stmt.where(AuditEvent.actor_label.contains(where.who.strip()))
    return stmt.order_by(AuditEvent.seq.desc()).limit(LIMIT)


def _views(session: Session, rows: list) -> dict[int, ViewSession]:  # type: ignore[type-arg]
    ids = [a["session"] for a in (_after(r.entry) for r in rows) if a.get("session")]
    if not ids:
        return {}
    return {v.id: v for v in session.scalars(select(ViewSession).where(ViewSession.id.in_(ids)))}


def _after(entry: str) -> dict[str, Any]:
    after = json.loads(entry).get("after")
    return after if isinstance(after, dict) else {}


def _use(row, views: dict[int, ViewSession]) -> Use:  # type: ignore[no-untyped-def]
    after, tag = _after(row.entry), AccessEvent(row.tag)
    recordings = after.get("recordings") or [after.get("recording_id")]
    grant = after.get("grant")
    return Use(
        seq=row.seq,
        at=row.occurred_at,
        who=row.actor_label,
        what=USE_LABELS[tag],
        recordings=tuple(int(r) for r in recordings if r is not None),
        grant=int(grant) if grant is not None else None,
        detail=_detail(tag, after, views),
    )


def _detail(tag: AccessEvent, after: dict[str, Any], views: dict[int, ViewSession]) -> str:
    if tag is AccessEvent.REFUSED:
        why = REFUSAL_LABELS.get(Refusal(str(after.get("refusal"))), "")
        return f"{why}（欲{AccessAction(str(after.get('action'))).label}）"
    if tag is AccessEvent.VIEWED:
        view = views.get(int(after.get("session") or 0))
        if view is None:
            return ""
        return f"本次查看共传送 {view.bytes_served} 字节，区段 {_ranges(view.ranges)}"
    if tag is AccessEvent.DOWNLOADED:
        return f"{after.get('size')} 字节，SHA-256 {str(after.get('sha256'))[:16]}…"
    return f"{after.get('bytes')} 字节"


def _ranges(ranges: list[list[int]]) -> str:
    shown = "、".join(f"{a}–{b}" for a, b in ranges[:5])
    return shown + ("……" if len(ranges) > 5 else "")

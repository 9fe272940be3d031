"""The audit log page, for the security auditor (安全审计员) only.

Dates in the filter are Asia/Shanghai calendar days; they become aware UTC datetimes here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.audit import log, queries
from lawcam.audit.models import AuditEvent
from lawcam.audit.queries import changed_keys, sides
from lawcam.audit.types import AuditFilter, AuthEvent, IntegrityEvent
from lawcam.authz import ROLE_LABELS, Action, Role
from lawcam.errors import InvalidInput
from lawcam.evidence.types import EvidenceEvent
from lawcam.org.types import OrgEvent, UnitClass
from lawcam.timeutil import check_day_range, shanghai_day_start
from lawcam.web.deps import AuthDep, SessionDep
from lawcam.web.forms import parse_date, parse_int, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50

# Chinese descriptions of known audit tags; other domains' tags show as they are.
TAG_LABELS: dict[str, str] = {
    OrgEvent.UNIT_CREATED: "新建单位",
    OrgEvent.UNIT_UPDATED: "修改单位",
    OrgEvent.UNIT_DEACTIVATED: "停用单位",
    OrgEvent.ZONE_CREATED: "添加办案专区",
    OrgEvent.PERSON_CREATED: "新增人员",
    OrgEvent.PERSON_UPDATED: "修改人员",
    OrgEvent.PERSON_DEACTIVATED: "停用人员",
    OrgEvent.PERSON_REACTIVATED: "恢复人员在职",
    OrgEvent.ROLE_ASSIGNED: "分配角色",
    OrgEvent.ROLE_REVOKED: "撤销角色",
    OrgEvent.ACCOUNT_CREATED: "开设账号",
    OrgEvent.ACCOUNT_PASSWORD_RESET: "重置密码",
    OrgEvent.ACCOUNT_PASSWORD_CHANGED: "本人修改密码",
    OrgEvent.ACCOUNT_UNLOCKED: "解锁账号",
    OrgEvent.ACCOUNT_DEACTIVATED: "停用账号",
    OrgEvent.ACCOUNT_REACTIVATED: "启用账号",
    OrgEvent.TOKEN_CREATED: "生成 API 令牌",
    OrgEvent.TOKEN_REVOKED: "吊销 API 令牌",
    OrgEvent.IMPORT_DONE: "批量导入完成",
    AuthEvent.LOGIN_SUCCEEDED: "登录成功",
    AuthEvent.LOGIN_FAILED: "登录失败",
    AuthEvent.LOGGED_OUT: "退出登录",
    AuthEvent.ACCOUNT_LOCKED: "账号被锁定",
    EvidenceEvent.INGEST_RUN: "工作站导入批次",
    EvidenceEvent.RECORDING_INGESTED: "导入音像资料",
    EvidenceEvent.RECORDING_ADOPTED: "接管已存储的资料",
    EvidenceEvent.RECORDING_SIGHTED: "重复导入（未再保存）",
    EvidenceEvent.RECORDING_CORRECTED: "更正资料信息",
    EvidenceEvent.FILE_REFUSED: "文件未导入",
    EvidenceEvent.UPLOAD_OPENED: "远程上传开始",
    IntegrityEvent.VERIFY_RUN: "完整性校验",
    IntegrityEvent.ANCHOR_PRINTED: "打印纸质锚定页",
}

# Prefixes offered in the filter (a tag filter matches by prefix).
TAG_PREFIXES: list[tuple[str, str]] = [
    ("org:", "组织机构（全部）"),
    ("org:unit:", "单位"),
    ("org:zone:", "办案专区"),
    ("org:person:", "人员"),
    ("org:role:", "角色"),
    ("org:account:", "账号"),
    ("org:token:", "API 令牌"),
    ("auth:", "登录与安全（全部）"),
    ("auth:session:", "登录会话"),
    ("custody:", "领用与维修（全部）"),
    ("evidence:", "音像资料（全部）"),
    ("audit:verify:", "完整性校验"),
]

SUBJECT_LABELS = {
    "unit": "单位",
    "zone": "办案专区",
    "person": "人员",
    "account": "账号",
    "api_token": "API 令牌",
    "device": "设备",
    "recording": "音像资料",
    "ingest_run": "导入批次",
    "upload": "远程上传",
    "verify": "完整性校验",
    "tree_head": "签名树头",
}

SOURCE_LABELS = {"web": "网页", "api": "接口", "cli": "命令行", "system": "系统"}

FIELD_LABELS = {
    "name": "名称",
    "parent_id": "上级单位编号",
    "class": "类别",
    "target": "配备目标",
    "note": "备注",
    "active": "在用",
    "badge": "执法证号",
    "unit_id": "单位编号",
    "officer": "执法人员",
    "phone": "联系电话",
    "role": "角色",
    "username": "用户名",
    "person_id": "人员编号",
    "locked_until": "锁定至",
    "failed_logins": "连续失败次数",
    "account_id": "账号编号",
    "prefix": "令牌前缀",
    "revoked": "已吊销",
}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str
    changed: bool


def _show(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "role" and isinstance(value, str) and value in {r.value for r in Role}:
        return f"{ROLE_LABELS[Role(value)]}（{value}）"
    if key == "class" and isinstance(value, str) and value in {c.value for c in UnitClass}:
        return f"{UnitClass(value).label}（{value}）"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fields(values: Any, changed: set[str]) -> list[Field] | None:
    """A change's side as a key: value list; keys whose value differs from the other side are
    marked, so an update shows at a glance what changed."""
    if values is None:
        return None
    if not isinstance(values, dict):
        return [Field("", "", json.dumps(values, ensure_ascii=False), False)]
    return [
        Field(key, FIELD_LABELS.get(key, key), _show(key, values[key]), key in changed)
        for key in sorted(values)
    ]


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    label: str | None
    before: list[Field] | None
    after: list[Field] | None


def _row(event: AuditEvent) -> Row:
    before, after = sides(event)
    changed = changed_keys(before, after)
    return Row(
        event=event,
        label=TAG_LABELS.get(event.tag),
        before=_fields(before, changed),
        after=_fields(after, changed),
    )


def _page_number(text: str) -> int:
    number = parse_int(text, "页码", field="page") if text.strip() else 1
    if number is None or number < 1:
        raise InvalidInput("页码须为正整数。", field="page")
    return number


def _check_page(number: int, total: int) -> None:
    """A page past the last says so (a link to a later page outlives the entries it showed
    only when the filter changes)."""
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages:
        raise InvalidInput(
            f"第 {number} 页超出范围：符合条件的记录共 {total} 条，{pages} 页。", field="page"
        )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    tag: Annotated[str, Query(max_length=80)] = "",
    who: Annotated[str, Query(max_length=100)] = "",
    subject_type: Annotated[str, Query(max_length=50)] = "",
    subject_id: Annotated[str, Query(max_length=100)] = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[str, Query(max_length=10)] = "1",
) -> Response:
    auth.actor.require(Action.AUDIT_READ)
    filters = {
        "tag": tag.strip(),
        "who": who.strip(),
        "subject_type": subject_type.strip(),
        "subject_id": subject_id.strip(),
        "since": since.strip(),
        "until": until.strip(),
    }
    error = None
    status_code = 200
    rows: list[Row] = []
    total = 0
    number = 1
    try:
        number = _page_number(page)
        first = parse_date(since, "起始日期", field="since")
        last = parse_date(until, "截止日期", field="until")
        check_day_range(first, last, fields=("since", "until"))
        flt = AuditFilter(
            tag_prefix=filters["tag"] or None,
            subject_type=filters["subject_type"] or None,
            subject_id=filters["subject_id"] or None,
            actor=filters["who"] or None,
            since=shanghai_day_start(first) if first else None,
            # "until" names the last day shown: up to the start of the next Shanghai day.
            until=shanghai_day_start(last + timedelta(days=1)) if last else None,
        )
        events, total = queries.list_events(
            session=session,
            actor=auth.actor,
            flt=flt,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        rows = [_row(e) for e in events]
        _check_page(number, total)
    except InvalidInput as exc:
        error, status_code = exc.message, exc.http_status
    pages = max(1, -(-total // PAGE_SIZE))
    query = {k: v for k, v in filters.items() if v}

    def page_url(n: int) -> str:
        return "/audit?" + urlencode({**query, "page": n})

    return render(
        request,
        "audit.html",
        auth,
        status_code=status_code,
        rows=rows,
        total=total,
        page=number,
        pages=pages,
        page_size=PAGE_SIZE,
        page_url=page_url,
        filters=filters,
        error=error,
        tag_labels=TAG_LABELS,
        tag_prefixes=TAG_PREFIXES,
        subject_labels=SUBJECT_LABELS,
        source_labels=SOURCE_LABELS,
        head=log.latest_head(session),
        log_size=log.log_size(session),
    )

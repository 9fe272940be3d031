"""One error shape for the API: {"error": {"code": ..., "message": ...}}; pages get a Chinese
error page (or the login page when the visitor is not logged in)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lawcam.errors import LawcamError

HTTP_MESSAGES = {
    400: "请求格式不正确。",
    401: "请先登录。",
    403: "您没有执行此操作的权限。",
    404: "未找到所请求的内容。",
    405: "不支持该请求方法。",
    413: "上传的内容过大。",
    415: "不支持的内容类型。",
    422: "提交的数据不正确。",
    429: "请求过于频繁，请稍后再试。",
    500: "系统内部错误，请联系系统管理员。",
    503: "系统繁忙（数据库暂时无法处理），请稍后重试；未作任何更改。",
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal",
    503: "busy",
}

NOT_UTF8 = "请求内容不是有效的 UTF-8 编码。"
OUT_OF_RANGE = "提交的数字或日期超出允许范围。"

FIELD_NAMES = {
    "name": "名称",
    "badge": "执法证号",
    "unit": "单位",
    "username": "用户名",
    "password": "密码",
    "role": "角色",
    "target": "配备目标",
    "unit_class": "单位类别",
    "person_id": "人员",
    "phone": "联系电话",
    "parent": "上级单位",
    "maker": "生产厂家",
    "model": "型号",
    "category": "类别",
    "features": "功能",
    "video": "视频分辨率",
    "photo_mp": "照片像素",
    "battery_mah": "电池容量",
    "record_hours": "连续录像时间",
    "storage_gb": "存储容量",
    "ip_rating": "防护等级",
    "serial": "序列号",
    "asset_no": "资产编号",
    "price": "购置价格",
    "need": "执法需求",
    "zone": "办案专区",
    "status": "状态",
    "reason": "理由",
    "year": "年度",
    "amount": "金额",
    "supplier": "供应商",
    "quantity": "数量",
    "unit_price": "单价",
    "purchased_on": "采购日期",
    "feature": "特殊需求",
    "overrun_reason": "超支理由",
    "commissioned_on": "启用日期",
    "firmware": "固件版本",
    "device": "设备",
    "officer": "执法人员",
    "to_officer": "接收人",
    "battery_pct": "电量",
    "free_hours": "剩余存储",
    "clock_offset_s": "时钟偏差",
    "condition": "归还状况",
    "description": "情况说明",
    "diagnosis": "检测结论",
    "outcome": "维修结果",
    "kind": "类型",
    "cause": "原因",
    "decision": "处理决定",
    "note": "备注",
    "override_reason": "超限理由或例外理由",
    "sha256": "SHA-256 摘要",
    "sm3": "SM3 摘要",
    "size": "文件大小",
    "offset": "偏移量",
    "device_time": "设备时钟",
    "workstation": "工作站",
    "value": "更正值",
    "field": "更正项",
    "path": "路径",
    "place": "执法地点",
    "arrived_at": "到场时间",
    "ended_at": "结束时间",
    "officers": "在场执法人员",
    "announced": "是否告知",
    "obstructed": "是否拒绝或阻挠",
    "obstruction_note": "拒绝或阻挠情况",
    "case_number": "案件编号",
    "recording_id": "录像",
    "voice_recording_id": "语音说明所在录像",
    "text": "书面说明",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    error.update({k: v for k, v in extra.items() if v is not None})
    return {"error": error}


def _render(request: Request, status: int, code: str, message: str, **extra: Any) -> Response:
    if is_api(request):
        return JSONResponse(error_body(code, message, **extra), status_code=status)
    if status == 401:
        target = quote(str(request.url.path))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if code == "password_change_required":
        return RedirectResponse("/me/password", status_code=303)
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "error.html",
        {"status": status, "message": message, "auth": None},
        status_code=status,
    )


def error_response(request: Request, status: int, message: str | None = None) -> Response:
    """The one error answer for a status, for code outside the handlers (the limits middleware)."""
    return _render(
        request,
        status,
        HTTP_CODES.get(status, "error"),
        message or HTTP_MESSAGES.get(status, "请求无法处理。"),
    )


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return HTTP_MESSAGES[422], None
    first = errors[0]
    # The innermost named part: for features[0] that is "features", not the index.
    loc = [
        str(part)
        for part in first.get("loc", ())
        if isinstance(part, str) and part not in ("body", "query", "path")
    ]
    field = loc[-1] if loc else None
    label = FIELD_NAMES.get(field or "", field or "请求")
    kind = str(first.get("type", ""))
    if kind == "missing":
        reason = "必须填写"
    elif kind.startswith(("int", "float")):
        reason = "须为数字"
    elif kind.startswith("enum") or kind == "literal_error":
        reason = "取值不在允许范围内"
    elif kind.startswith("string_too_long"):
        reason = "过长"
    elif kind.startswith(("greater_than", "less_than")):
        reason = "超出允许范围"
    elif kind in ("date_range", "text_unstorable", "choice_required"):
        reason = str(first.get("msg", "格式不正确"))
    elif kind == "json_invalid":
        reason = "不是有效的 JSON"
    else:
        reason = "格式不正确"
    return f"字段“{label}”{reason}。", field


def install(app: FastAPI) -> None:
    @app.exception_handler(LawcamError)
    async def lawcam_error(request: Request, exc: LawcamError) -> Response:
        field = exc.details.get("field")
        # A resumable upload tells the workstation where to continue.
        offset = exc.details.get("offset")
        return _render(request, exc.http_status, exc.code, exc.message, field=field, offset=offset)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message, field = _validation_message(exc)
        return _render(request, 422, "invalid_input", message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI's answer to a JSON body that is not UTF-8: bad input like any other.
            return error_response(request, 422, NOT_UTF8)
        return error_response(request, exc.status_code)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A safety net: the input types bound every number and date before the database sees
        # them; should one slip through, the database's refusal is still the caller's bad input.
        return error_response(request, 422, OUT_OF_RANGE)

    @app.exception_handler(OperationalError)
    async def busy(request: Request, exc: OperationalError) -> Response:
        # The database did not answer in time (SQLite's write lock held past the busy timeout,
        # a server restarting): the transaction was rolled back, so asking again is safe.
        response = error_response(request, 503)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        return _render(request, 500, "internal", HTTP_MESSAGES[500])

"""The error statuses each API operation declares in the OpenAPI document, all in the one error
shape (ErrorOut). Derived from what the operation can meet, so that the document stays honest as
routes are added: 422 for any input (the input types and the limits middleware), 413 for a body,
401/403 where a login is needed (and the CSRF check, the role check, a password to change), 404
for an id in the path or a name in the body, 409 for any change (the domain's conflicts). A
route adds its own (login: 429) with ``responses=``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from lawcam.schemas.common import ErrorOut
from lawcam.web.deps import optional_auth, required_auth

DESCRIPTIONS = {
    401: "未登录或令牌无效",
    403: "无权执行，或 CSRF 校验失败，或须先修改密码",
    404: "未找到（或无权查看）",
    409: "与当前状态冲突",
    413: "请求内容过大",
    422: "提交的数据不正确",
    429: "请求过于频繁",
    503: "系统繁忙，请稍后重试",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
REF = "#/components/schemas/"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: these statuses, in the one error shape."""
    return {s: {"model": ErrorOut, "description": DESCRIPTIONS[s]} for s in statuses}


def _uses(dependant: Dependant, call: Any) -> bool:
    return dependant.call is call or any(_uses(d, call) for d in dependant.dependencies)


def statuses_of(route: APIRoute) -> set[int]:
    found = {422}
    methods = route.methods or set()
    if methods & BODY_METHODS:
        found.add(413)
    if _uses(route.dependant, optional_auth):  # a revoked token, a CSRF check; a busy database
        found |= {401, 403, 503}
    if _uses(route.dependant, required_auth) or _uses(route.dependant, optional_auth):
        if "{" in route.path_format or route.body_field is not None:
            found.add(404)
        if methods - {"GET", "HEAD"}:
            found.add(409)
    return found


def _error_schemas() -> dict[str, Any]:
    schema = ErrorOut.model_json_schema(ref_template=REF + "{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {**defs, "ErrorOut": schema}


def _declared(document: dict[str, Any], route: APIRoute) -> None:
    for method in route.methods or ():
        answers = document["paths"][route.path_format][method.lower()]["responses"]
        # FastAPI's own 422 shape is not what the handlers send: ours replaces it.
        if answers.get("422", {}).get("description") == "Validation Error":
            del answers["422"]
        for status in sorted(statuses_of(route)):
            answers.setdefault(str(status), _answer(status))


def _answer(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": REF + "ErrorOut"}}},
    }


def declare(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Wraps ``app.openapi`` so that the document names every error status an operation has."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = plain()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(_error_schemas())
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            for route in (r for router in routers for r in router.routes):
                if isinstance(route, APIRoute) and route.include_in_schema:
                    _declared(document, route)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

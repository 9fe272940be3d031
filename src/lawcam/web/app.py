"""The application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from lawcam import __version__
from lawcam.audit.signing import HomeSigner
from lawcam.authz import ROLE_LABELS
from lawcam.config import Settings, load_settings
from lawcam.db import Database
from lawcam.evidence.problems import problem_label
from lawcam.storage import open_store
from lawcam.timeutil import local
from lawcam.web import errors, responses, tree_heads
from lawcam.web.limits import RequestLimits
from lawcam.web.routers import (
    access,
    activities,
    audit,
    compliance,
    custody,
    documents,
    equipment,
    evidence,
    home,
    org,
    retention,
)
from lawcam.web.security import SecurityHeaders

HERE = Path(__file__).parent
# Every domain's web room (web/routers/<domain>/): its JSON API and its pages.
DOMAINS = (
    org,
    audit,
    equipment,
    custody,
    evidence,
    activities,
    documents,
    access,
    retention,
    compliance,
    home,
)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["local"] = local
    templates.env.filters["problem"] = problem_label  # a problem code's Chinese name
    templates.env.globals["ROLE_LABELS"] = {str(k): v for k, v in ROLE_LABELS.items()}
    templates.env.globals["version"] = __version__
    return templates


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="lawcam 执法音像记录设备与资料管理系统",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the Swagger UI loads assets from a CDN; offline (R15.3) we serve none
        redoc_url=None,
        lifespan=tree_heads.lifespan,
    )
    settings.check_node()  # refused now, not at the first login or upload
    app.state.settings = settings
    app.state.database = database or Database(settings.resolved_database_url)
    app.state.templates = make_templates()
    app.state.store = open_store(settings.resolved_storage_url)
    app.state.signer = HomeSigner(settings.home)  # .current(): the key as it stands
    app.state.signer.current()  # made now if the home has none yet
    errors.install(app)
    app.add_middleware(RequestLimits, settings=settings)
    app.add_middleware(SecurityHeaders, secure_cookies=settings.secure_cookies)  # outermost
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    api = [router for domain in DOMAINS for router in domain.API]
    for router in api + [router for domain in DOMAINS for router in domain.PAGES]:
        app.include_router(router)
    responses.declare(app, api)
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory lawcam.web.app:app_from_env`` (what ``lawcam serve`` runs): the
    settings come from the LAWCAM_* environment, so the CLI never imports the web layer."""
    return create_app(load_settings())

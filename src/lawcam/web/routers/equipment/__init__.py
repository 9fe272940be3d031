"""Equipment's web room: devices, models, budgets and procurement, reports, labels, imports
and spreadsheet downloads (第二至八条)."""

from __future__ import annotations

from lawcam.web.routers.equipment import (
    api,
    pages,
    pages_budgets,
    pages_downloads,
    pages_imports,
    pages_labels,
    pages_models,
    pages_reports,
)

API = (api.router,)
PAGES = (
    pages.router,
    pages_budgets.router,
    pages_downloads.router,
    pages_imports.router,
    pages_labels.router,
    pages_models.router,
    pages_reports.router,
)

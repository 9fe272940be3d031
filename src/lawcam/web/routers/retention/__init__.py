"""Retention's web room (第十四条第（二）项、第（三）项): penalty cases and their material, legal holds,
disposal batches, and the reports of what expires and what storage holds."""

from __future__ import annotations

from lawcam.web.routers.retention import cases, disposal, holds, reports

API = (cases.api, holds.api, disposal.api, reports.api)
PAGES = (cases.pages, holds.pages, disposal.pages, reports.pages)

"""Findings' web room (第十八条): the JSON API and the pages of the review."""

from __future__ import annotations

from lawcam.web.routers.compliance import api, exports, pages

API = (api.router,)
PAGES = (pages.router, exports.router)

"""Enforcement activities' web room: the API and the pages (第十条、第十四条)."""

from __future__ import annotations

from lawcam.web.routers.activities import api, pages

API = (api.router,)
PAGES = (pages.router,)

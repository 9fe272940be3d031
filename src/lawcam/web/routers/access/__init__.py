"""Access by approval's web room (第十五条): requests, decisions, grants, and the content."""

from __future__ import annotations

from lawcam.web.routers.access import api, pages

API = (api.router,)
PAGES = (pages.router,)

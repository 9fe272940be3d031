"""Access by approval's web room (第十五条): requests, decisions, grants, and the content; and
conduct-review sampling (第十三条), whose draws give review grants."""

from __future__ import annotations

from lawcam.web.routers.access import api, pages, samples

API = (api.router, samples.api)
PAGES = (pages.router, samples.pages)

"""Recordings' web room: the list and detail, corrections, the upload from the browser (第十一至十五条)."""

from __future__ import annotations

from lawcam.web.routers.evidence import api, pages, pages_upload

API = (api.router,)
PAGES = (pages.router, pages_upload.router)

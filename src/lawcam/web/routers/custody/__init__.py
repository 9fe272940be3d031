"""Custody's web room: checkout, return, handover, the ledger, faults, loss and damage (第九至十七条)."""

from __future__ import annotations

from lawcam.web.routers.custody import api, pages

API = (api.router,)
PAGES = (pages.router,)

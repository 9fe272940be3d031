"""The audit log's web room: the log, signed tree heads and proofs (三员: the auditor)."""

from __future__ import annotations

from lawcam.web.routers.audit import api, pages, pages_tree

API = (api.router,)
PAGES = (pages.router, pages_tree.router)

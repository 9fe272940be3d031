"""The home page: each role's work with its counts, drawn from every domain's work lists
(web.navigation, web.worklist)."""

from __future__ import annotations

from lawcam.web.routers.home import pages

API = ()
PAGES = (pages.router,)

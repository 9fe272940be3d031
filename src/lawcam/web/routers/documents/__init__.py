"""Filed documents' web room: their facts and their bytes, for those who may see them."""

from __future__ import annotations

from lawcam.web.routers.documents import api

API = (api.router,)
PAGES = ()

"""The organisation's web room: units, people, accounts, roles, login (第三、四条)."""

from __future__ import annotations

from lawcam.web.routers.org import api, pages, pages_accounts, pages_login

API = (api.router,)
PAGES = (pages.router, pages_accounts.router, pages_login.router)

"""The home page (首页): the signed-in person's work, role by role, as tiles drawn from the
same table as the navigation (web.navigation), each with the counts its domains report
(web.worklist)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.timeutil import utcnow
from lawcam.web import dashboard, navigation, worklist
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ShownTile:
    page: navigation.Page
    counts: list[worklist.Count]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, auth: AuthDep, session: SessionDep, settings: SettingsDep) -> Response:
    context = worklist.Context(session, auth.actor, settings, utcnow())
    tiles = [
        ShownTile(navigation.PAGES[t.page], [worklist.WORK[w](context) for w in t.work])
        for t in navigation.tiles_for(auth.actor)
    ]
    return render(
        request,
        "home.html",
        auth,
        work=[t for t in tiles if t.counts],
        links=[t.page for t in tiles if not t.counts],
        dashboard=dashboard.build(session, auth.actor, settings, context.now),
    )

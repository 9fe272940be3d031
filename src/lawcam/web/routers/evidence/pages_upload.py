"""The web workstation (第十四条, R14.1): a device administrator uploads a docked device's files
from the browser, through the same resumable upload API and the same checks as a workstation
(``lawcam ingest --server``). This page only offers the choices; the browser's script
(static/upload.js) hashes each file (static/digests.js) and talks to ``/api/v1`` with the
session cookie and the CSRF token, so a refusal is the API's own Chinese message."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.evidence.docking import dockable_devices, dockable_officers, unfinished_uploads
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import render

router = APIRouter(include_in_schema=False)

# Pieces small enough that progress moves and a cut loses little, never above the server's.
BROWSER_PIECE = 8 * 1024 * 1024


@router.get("/ingest", response_class=HTMLResponse)
def upload_page(
    request: Request, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    devices = dockable_devices(session, auth.actor)
    return render(
        request,
        "ingest.html",
        auth,
        devices=devices,
        officers=dockable_officers(session, auth.actor),
        unfinished=unfinished_uploads(session, auth.actor, settings.upload_spool),
        piece_bytes=min(BROWSER_PIECE, settings.upload_piece_bytes),
        max_file_bytes=settings.max_file_bytes,
    )

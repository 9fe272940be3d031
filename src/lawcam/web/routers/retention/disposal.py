"""(being built for issue 17)"""

from __future__ import annotations

from fastapi import APIRouter

from lawcam.web.deps import CommittingRoute

api = APIRouter(prefix="/api/v1", tags=["retention"], route_class=CommittingRoute)
pages = APIRouter(include_in_schema=False)

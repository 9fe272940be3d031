"""Every route × anonymous and every role. The table below must name every route the app has:
adding a route without deciding who may use it fails ``test_every_route_is_in_the_matrix``."""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts

from lawcam.access.models import AccessItem, AccessRequest, Sample, SampleItem
from lawcam.activities import service as activity_service
from lawcam.activities.types import ActivityKind
from lawcam.authz import Actor, Role, console_actor
from lawcam.compliance.models import Finding, FindingDocument
from lawcam.config import Settings
from lawcam.custody import faults
from lawcam.custody.types import CaseKind
from lawcam.db import Database
from lawcam.documents.service import file_document
from lawcam.documents.types import Purpose
from lawcam.org import accounts
from lawcam.retention import models as retention_models
from lawcam.retention import service as retention_service
from lawcam.retention.models import LegalHold
from lawcam.retention.service import NewCase
from lawcam.storage import open_store
from lawcam.web.deps import WORKSTATION_ROUTES
from tests.api.conftest import login
from tests.conftest import PgCopies, Seed
from tests.evidence_helpers import evidence_rows
from tests.factories import Office, build_office

PUBLIC = "public"
ANY = frozenset(Role)
ORG_WIDE = frozenset(
    {Role.ENGINEERING, Role.FINANCE, Role.ICT, Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}
)
SYS = frozenset({Role.SYSADMIN})
SEC = frozenset({Role.SECADMIN})
AUD = frozenset({Role.AUDITOR})
ACCOUNT_VIEWERS = SYS | SEC
# Equipment (authz.py): the system roles have no equipment:view (三员分立).
SUPERVISORS = frozenset({Role.ENGINEERING, Role.FINANCE, Role.ICT})
EQUIPMENT_VIEWERS = SUPERVISORS | {Role.OFFICER, Role.DEVICE_ADMIN, Role.UNIT_HEAD}
BUDGET_VIEWERS = frozenset({Role.FINANCE, Role.UNIT_HEAD, Role.DEVICE_ADMIN})
# A unit-scoped change to 执法二处: its own roles may, and the office's unit roles are 执法一处's.
NOBODY: frozenset[Role] = frozenset()
# Recording facts: the officer (own), the unit's administrator and head (unit); never 三员.
RECORDING_VIEWERS = frozenset({Role.OFFICER, Role.DEVICE_ADMIN, Role.UNIT_HEAD})
# Access by approval: the business roles ask; unit heads and the office leader decide.
ACCESS_APPROVERS = frozenset({Role.UNIT_HEAD, Role.OFFICE_LEADER})
ACCESS_PEOPLE = RECORDING_VIEWERS | ACCESS_APPROVERS
# 第十三条: conduct-review sampling, by engineering supervision or a unit head.
SAMPLERS = frozenset({Role.ENGINEERING, Role.UNIT_HEAD})
ENG = frozenset({Role.ENGINEERING})
# Who imports some spreadsheet: units and people (system administrator), models (ICT),
# purchases (finance), models, devices and purchases (device administrator), the unit's
# enforcement activities (device administrator and unit head).
IMPORTERS = frozenset({Role.SYSADMIN, Role.ICT, Role.FINANCE, Role.DEVICE_ADMIN, Role.UNIT_HEAD})
# Disposal (第十四条第二款): proposed by a unit's device administrator, approved by its head, then
# engineering supervision; the batch below is 执法二处's, its head's approval given. The
# retention report: the unit roles (their units) and the whole office's readers (and ICT).
DISPOSERS = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD, Role.ENGINEERING})
REPORTERS = DISPOSERS | {Role.ICT, Role.OFFICE_LEADER}
# Penalty cases and holds (第十四条): the penalty case and the hold below are 执法二处's; the
# office's unit roles are 执法一处's (not found), the whole-office roles see them.
CASE_MANAGERS = frozenset({Role.OFFICER, Role.DEVICE_ADMIN, Role.UNIT_HEAD})
WHOLE_OFFICE = frozenset({Role.ENGINEERING, Role.OFFICE_LEADER})
CASE_VIEWERS = CASE_MANAGERS | WHOLE_OFFICE
HOLDERS = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD}) | WHOLE_OFFICE
# Findings (第十八条): the finding below is about 执法二处's officer (no account), so the office's
# unit roles (执法一处's) do not find it; engineering supervision and the office leader see it.
FINDING_VIEWERS = (
    frozenset({Role.OFFICER, Role.DEVICE_ADMIN, Role.UNIT_HEAD, Role.SECADMIN, Role.AUDITOR})
    | WHOLE_OFFICE
)
FINDING_RECORDERS = frozenset({Role.UNIT_HEAD, Role.ENGINEERING})

# The target objects belong to 执法二处 (unit-scoped roles of 执法一处 must not see them).
API: dict[tuple[str, str], object] = {
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): ANY,
    ("GET", "/api/v1/me"): ANY,
    ("POST", "/api/v1/me/password"): ANY,
    ("GET", "/api/v1/units"): ANY,
    ("POST", "/api/v1/units"): SYS,
    ("GET", "/api/v1/units/{unit_id}"): ANY,
    ("PATCH", "/api/v1/units/{unit_id}"): SYS,
    ("POST", "/api/v1/units/{unit_id}/deactivate"): SYS,
    ("POST", "/api/v1/units/{unit_id}/zones"): SYS,
    ("GET", "/api/v1/people"): ANY,
    ("POST", "/api/v1/people"): SYS,
    ("GET", "/api/v1/people/{person_id}"): ORG_WIDE,
    ("PATCH", "/api/v1/people/{person_id}"): SYS,
    ("POST", "/api/v1/people/{person_id}/deactivate"): SYS,
    ("POST", "/api/v1/people/{person_id}/reactivate"): SYS,
    ("POST", "/api/v1/people/{person_id}/roles"): SEC,
    ("POST", "/api/v1/people/{person_id}/roles/{role}/revoke"): SEC,
    ("GET", "/api/v1/accounts"): ACCOUNT_VIEWERS,
    ("POST", "/api/v1/accounts"): SYS,
    ("GET", "/api/v1/accounts/{account_id}"): ACCOUNT_VIEWERS,
    ("POST", "/api/v1/accounts/{account_id}/password"): SYS,
    ("POST", "/api/v1/accounts/{account_id}/unlock"): SYS,
    ("POST", "/api/v1/accounts/{account_id}/deactivate"): SYS,
    ("POST", "/api/v1/accounts/{account_id}/reactivate"): SYS,
    ("GET", "/api/v1/accounts/{account_id}/tokens"): ACCOUNT_VIEWERS,
    # A token is minted by its holder for themselves (or at the console): for another, nobody.
    ("POST", "/api/v1/accounts/{account_id}/tokens"): NOBODY,
    ("POST", "/api/v1/tokens/{token_id}/revoke"): SYS,
    ("GET", "/api/v1/audit"): AUD,
    ("GET", "/api/v1/audit/sth"): AUD,
    ("GET", "/api/v1/audit/public-key"): AUD,
    ("GET", "/api/v1/audit/proof"): AUD,
    ("GET", "/api/v1/audit/consistency"): AUD,
    ("GET", "/api/v1/models"): EQUIPMENT_VIEWERS,
    ("POST", "/api/v1/models"): frozenset({Role.DEVICE_ADMIN, Role.ICT}),
    ("GET", "/api/v1/models/{model_id}"): EQUIPMENT_VIEWERS,
    ("POST", "/api/v1/models/{model_id}/quality"): frozenset({Role.ICT}),
    ("GET", "/api/v1/thresholds"): EQUIPMENT_VIEWERS,
    ("PUT", "/api/v1/thresholds"): frozenset({Role.ENGINEERING}),
    ("GET", "/api/v1/units/{unit_id}/needs"): SUPERVISORS,
    ("POST", "/api/v1/units/{unit_id}/needs"): NOBODY,
    ("POST", "/api/v1/units/{unit_id}/needs/{feature}/withdraw"): NOBODY,
    ("GET", "/api/v1/devices"): EQUIPMENT_VIEWERS,
    ("POST", "/api/v1/devices"): frozenset({Role.DEVICE_ADMIN}),  # body: 执法一处, its own unit
    ("GET", "/api/v1/devices/{device_id}"): SUPERVISORS,
    ("PATCH", "/api/v1/devices/{device_id}"): NOBODY,
    ("POST", "/api/v1/devices/{device_id}/status"): NOBODY,
    ("GET", "/api/v1/devices/{device_id}/history"): SUPERVISORS,
    ("GET", "/api/v1/budgets"): BUDGET_VIEWERS,
    ("PUT", "/api/v1/budgets/{unit_id}/{year}"): frozenset({Role.FINANCE}),
    ("GET", "/api/v1/procurements"): BUDGET_VIEWERS,
    ("POST", "/api/v1/procurements"): frozenset({Role.DEVICE_ADMIN, Role.FINANCE}),  # 执法一处
    ("GET", "/api/v1/procurements/{procurement_id}"): frozenset({Role.FINANCE}),
    ("POST", "/api/v1/procurements/{procurement_id}/approve"): frozenset({Role.FINANCE}),
    ("POST", "/api/v1/procurements/{procurement_id}/reject"): frozenset({Role.FINANCE}),
    ("GET", "/api/v1/reports/ratio"): EQUIPMENT_VIEWERS,
    ("GET", "/api/v1/reports/specs"): EQUIPMENT_VIEWERS,
    ("GET", "/api/v1/reports/budget"): BUDGET_VIEWERS,
    # Custody (issue 4): the device is 执法二处's; its administrator and head are not in the
    # office's role set, so no one here may change its custody.
    ("POST", "/api/v1/custody/checkout"): NOBODY,
    ("POST", "/api/v1/custody/return"): NOBODY,
    ("POST", "/api/v1/custody/handover"): NOBODY,
    ("GET", "/api/v1/ledger"): EQUIPMENT_VIEWERS,
    ("POST", "/api/v1/faults"): NOBODY,
    ("POST", "/api/v1/faults/{fault_id}/register"): NOBODY,
    ("POST", "/api/v1/faults/{fault_id}/repair"): NOBODY,
    ("POST", "/api/v1/repairs/{order_id}/complete"): frozenset({Role.ICT}),  # central repair
    ("POST", "/api/v1/loss-cases"): NOBODY,
    ("POST", "/api/v1/loss-cases/{case_id}/decide"): NOBODY,
    ("GET", "/api/v1/notifications"): ANY,
    # Evidence (issue 5): the recording is 执法二处's; the run and the upload are another
    # account's, so no one here may continue them. Any device administrator may dock a device.
    ("GET", "/api/v1/recordings"): RECORDING_VIEWERS,
    ("GET", "/api/v1/recordings/{recording_id}"): NOBODY,
    ("POST", "/api/v1/recordings/{recording_id}/corrections"): NOBODY,
    ("POST", "/api/v1/ingest-runs"): frozenset({Role.DEVICE_ADMIN}),
    ("POST", "/api/v1/ingest-runs/{run_id}/refusals"): NOBODY,
    ("POST", "/api/v1/uploads"): NOBODY,
    ("GET", "/api/v1/uploads/{upload_id}"): NOBODY,
    ("PUT", "/api/v1/uploads/{upload_id}"): NOBODY,
    ("POST", "/api/v1/uploads/{upload_id}/complete"): NOBODY,
    # Activities (issue 15): the activity is 执法二处's, with its officers; the office's unit
    # roles are 执法一处's. Entering one for 执法一处 (its own officer present) they may.
    ("GET", "/api/v1/activities"): RECORDING_VIEWERS,
    ("GET", "/api/v1/late-uploads"): RECORDING_VIEWERS,
    ("POST", "/api/v1/activities"): RECORDING_VIEWERS,
    ("GET", "/api/v1/activities/{activity_id}"): NOBODY,
    ("PATCH", "/api/v1/activities/{activity_id}"): NOBODY,
    ("POST", "/api/v1/activities/{activity_id}/links"): NOBODY,
    ("POST", "/api/v1/activities/{activity_id}/links/detach"): NOBODY,
    ("POST", "/api/v1/activities/{activity_id}/interruptions/{seq}/explanation"): NOBODY,
    ("POST", "/api/v1/activities/{activity_id}/interruptions/{seq}/confirmation"): NOBODY,
    ("POST", "/api/v1/activities/{activity_id}/interruptions/{seq}/written-report"): NOBODY,
    # A report's scan filed by 执法二处's officer: its filer and its unit's head and device
    # administrator read it; the office's unit roles are 执法一处's, the rest never.
    ("GET", "/api/v1/documents/{document_id}"): NOBODY,
    ("GET", "/api/v1/documents/{document_id}/content"): NOBODY,
    # Access by approval (第十五条): the request below is 执法二处's officer's, for 执法二处's head;
    # asking for 执法二处's recording by id is out of reach of 执法一处's roles (404, no hint).
    ("POST", "/api/v1/access-requests"): NOBODY,
    ("GET", "/api/v1/access-requests"): ACCESS_PEOPLE,
    ("GET", "/api/v1/access-requests/{request_id}"): NOBODY,
    ("POST", "/api/v1/access-requests/{request_id}/decision"): NOBODY,
    ("POST", "/api/v1/access-requests/{request_id}/revocation"): NOBODY,
    ("GET", "/api/v1/access-requests/{request_id}/package"): NOBODY,
    ("GET", "/api/v1/recordings/{recording_id}/content"): NOBODY,  # nobody holds a grant
    # Conduct-review sampling (第十三条): the sample below is engineering supervision's, which
    # reviews it; 执法一处's head draws from their own units (none there: refused as too big).
    ("POST", "/api/v1/samples"): SAMPLERS,
    ("GET", "/api/v1/samples"): SAMPLERS,
    ("GET", "/api/v1/samples/{sample_id}"): ENG,
    ("POST", "/api/v1/samples/{sample_id}/results"): ENG,
    # 执法一处's administrator: its own unit's dry run, and a batch of it refused as empty (422).
    ("GET", "/api/v1/disposal/candidates"): frozenset({Role.DEVICE_ADMIN}),
    ("POST", "/api/v1/disposal-batches"): frozenset({Role.DEVICE_ADMIN}),
    ("GET", "/api/v1/disposal-batches"): DISPOSERS,
    ("GET", "/api/v1/disposal-batches/{batch_id}"): ENG,
    ("POST", "/api/v1/disposal-batches/{batch_id}/approval"): ENG,
    ("POST", "/api/v1/disposal-batches/{batch_id}/rejection"): ENG,
    ("POST", "/api/v1/disposal-batches/{batch_id}/run"): NOBODY,  # 执法二处's administrator's
    ("GET", "/api/v1/retention/expiring"): REPORTERS,
    ("GET", "/api/v1/retention/storage"): REPORTERS,
    ("GET", "/api/v1/cases"): CASE_VIEWERS,
    ("POST", "/api/v1/cases"): CASE_MANAGERS,  # body: 执法一处, their own unit
    ("GET", "/api/v1/cases/{number:path}"): WHOLE_OFFICE,
    ("POST", "/api/v1/cases/{number:path}/links"): NOBODY,  # the whole office sees, manages none
    ("POST", "/api/v1/cases/{number:path}/links/{link_id}/unlink-request"): NOBODY,
    ("POST", "/api/v1/cases/{number:path}/links/{link_id}/unlink-approval"): NOBODY,
    ("POST", "/api/v1/cases/{number:path}/dates"): NOBODY,
    ("POST", "/api/v1/cases/{number:path}/term"): NOBODY,
    ("POST", "/api/v1/cases/{number:path}/archive"): NOBODY,
    ("GET", "/api/v1/holds"): HOLDERS,
    ("POST", "/api/v1/holds"): WHOLE_OFFICE,  # 执法二处's recording
    ("POST", "/api/v1/holds/{hold_id}/release-request"): WHOLE_OFFICE,
    ("POST", "/api/v1/holds/{hold_id}/release-approval"): WHOLE_OFFICE,  # not asked: 409
    ("GET", "/api/v1/findings"): FINDING_VIEWERS,
    ("POST", "/api/v1/findings"): ENG,  # about 执法二处's officer: not 执法一处's head's to record
    ("POST", "/api/v1/findings/sweep"): ENG,
    ("GET", "/api/v1/findings/{finding_id}"): WHOLE_OFFICE,
    ("POST", "/api/v1/findings/{finding_id}/statement"): NOBODY,  # the person concerned only
    ("POST", "/api/v1/findings/{finding_id}/decision"): NOBODY,  # 执法二处's head only
    ("POST", "/api/v1/findings/{finding_id}/review"): ENG,  # not decided yet: 409
    ("GET", "/api/v1/findings/{finding_id}/documents/{document_id}/content"): WHOLE_OFFICE,
}

PAGES: dict[tuple[str, str], object] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ANY,
    ("GET", "/"): ANY,
    ("GET", "/me/password"): ANY,
    ("POST", "/me/password"): ANY,
    ("GET", "/units"): ANY,
    ("GET", "/units/new"): SYS,
    ("POST", "/units/new"): SYS,
    ("GET", "/units/{unit_id}"): ANY,
    ("POST", "/units/{unit_id}/edit"): SYS,
    ("POST", "/units/{unit_id}/zones"): SYS,
    ("POST", "/units/{unit_id}/deactivate"): SYS,
    ("GET", "/people"): ANY,
    ("GET", "/people/new"): SYS,
    ("POST", "/people/new"): SYS,
    ("GET", "/people/{person_id}"): ORG_WIDE,
    ("POST", "/people/{person_id}/edit"): SYS,
    ("POST", "/people/{person_id}/deactivate"): SYS,
    ("POST", "/people/{person_id}/reactivate"): SYS,
    ("GET", "/accounts"): ACCOUNT_VIEWERS,
    ("GET", "/accounts/new"): SYS,
    ("POST", "/accounts/new"): SYS,
    ("GET", "/accounts/{account_id}"): ACCOUNT_VIEWERS,
    ("POST", "/accounts/{account_id}/password"): SYS,
    ("POST", "/accounts/{account_id}/unlock"): SYS,
    ("POST", "/accounts/{account_id}/deactivate"): SYS,
    ("POST", "/accounts/{account_id}/reactivate"): SYS,
    ("POST", "/accounts/{account_id}/tokens/{token_id}/revoke"): SYS,
    ("GET", "/roles"): SEC,
    ("GET", "/roles/{person_id}"): SEC,
    ("POST", "/roles/{person_id}/assign"): SEC,
    ("POST", "/roles/{person_id}/revoke"): SEC,
    ("GET", "/audit"): AUD,
    ("POST", "/audit/sth"): AUD,
    ("GET", "/audit/proof"): AUD,
    ("GET", "/devices"): EQUIPMENT_VIEWERS,
    ("GET", "/devices/new"): frozenset({Role.DEVICE_ADMIN}),
    ("POST", "/devices/new"): frozenset({Role.DEVICE_ADMIN}),
    ("GET", "/devices/{device_id}"): SUPERVISORS,
    ("POST", "/devices/{device_id}/status"): NOBODY,
    ("POST", "/devices/{device_id}/edit"): NOBODY,
    ("GET", "/models"): EQUIPMENT_VIEWERS,
    ("GET", "/models/new"): frozenset({Role.DEVICE_ADMIN, Role.ICT}),
    ("POST", "/models/new"): frozenset({Role.DEVICE_ADMIN, Role.ICT}),
    ("GET", "/models/{model_id}"): EQUIPMENT_VIEWERS,
    ("POST", "/models/{model_id}/quality"): frozenset({Role.ICT}),
    ("GET", "/thresholds"): EQUIPMENT_VIEWERS,
    ("POST", "/thresholds"): frozenset({Role.ENGINEERING}),
    ("GET", "/needs"): EQUIPMENT_VIEWERS,
    ("POST", "/needs/declare"): frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD}),
    ("POST", "/needs/withdraw"): frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD}),
    ("GET", "/budgets"): BUDGET_VIEWERS,
    ("POST", "/budgets/set"): frozenset({Role.FINANCE}),
    ("GET", "/procurements"): BUDGET_VIEWERS,
    ("GET", "/procurements/new"): frozenset({Role.DEVICE_ADMIN, Role.FINANCE}),
    ("POST", "/procurements/new"): frozenset({Role.DEVICE_ADMIN, Role.FINANCE}),
    ("GET", "/procurements/{procurement_id}"): frozenset({Role.FINANCE}),
    ("POST", "/procurements/{procurement_id}/approve"): frozenset({Role.FINANCE}),
    ("POST", "/procurements/{procurement_id}/reject"): frozenset({Role.FINANCE}),
    ("GET", "/reports/ratio"): EQUIPMENT_VIEWERS,
    ("GET", "/reports/specs"): EQUIPMENT_VIEWERS,
    ("GET", "/devices.xlsx"): EQUIPMENT_VIEWERS,
    ("GET", "/reports/ratio.xlsx"): EQUIPMENT_VIEWERS,
    ("POST", "/devices/{device_id}/checkout"): NOBODY,
    ("POST", "/devices/{device_id}/return"): NOBODY,
    ("POST", "/devices/{device_id}/handover"): NOBODY,
    ("POST", "/devices/{device_id}/fault"): NOBODY,
    ("POST", "/devices/{device_id}/loss-case"): NOBODY,
    ("GET", "/ledger"): EQUIPMENT_VIEWERS,
    ("GET", "/faults"): EQUIPMENT_VIEWERS,
    ("POST", "/faults/{fault_id}/register"): NOBODY,
    ("POST", "/faults/{fault_id}/repair"): NOBODY,
    ("POST", "/repairs/{order_id}/complete"): frozenset({Role.ICT}),
    ("GET", "/losses"): EQUIPMENT_VIEWERS,
    ("POST", "/losses/{case_id}/decide"): NOBODY,
    ("GET", "/inbox"): ANY,
    ("GET", "/ledger.xlsx"): EQUIPMENT_VIEWERS,
    ("GET", "/reports/custody"): EQUIPMENT_VIEWERS,
    ("POST", "/inbox/{notification_id}/read"): NOBODY,
    ("GET", "/recordings"): RECORDING_VIEWERS,
    ("GET", "/recordings/late"): RECORDING_VIEWERS,
    ("GET", "/recordings/{recording_id}"): NOBODY,
    ("POST", "/recordings/{recording_id}/corrections"): NOBODY,
    # Issue 14 item 5: the web workstation, asset labels and spreadsheet imports.
    ("GET", "/ingest"): frozenset({Role.DEVICE_ADMIN}),
    ("GET", "/labels"): frozenset({Role.DEVICE_ADMIN}),
    ("GET", "/labels.pdf"): frozenset({Role.DEVICE_ADMIN}),  # no device chosen: 422
    ("GET", "/imports"): IMPORTERS,
    ("GET", "/imports/{kind}.xlsx"): frozenset({Role.DEVICE_ADMIN}),  # the devices template
    ("POST", "/imports"): IMPORTERS,  # no file: 422
    # Activities (issue 15): the list, its export and the form are every activity role's (the
    # form without fields: 422); the activity is 执法二处's, so its page and forms nobody's here.
    ("GET", "/activities"): RECORDING_VIEWERS,
    ("GET", "/activities.xlsx"): RECORDING_VIEWERS,
    # 迟交清单 (第十四条): every recording viewer, each seeing the recordings they may see;
    # /recordings/late, its old address, leads there.
    ("GET", "/activities/late"): RECORDING_VIEWERS,
    ("GET", "/activities/new"): RECORDING_VIEWERS,
    ("POST", "/activities/new"): RECORDING_VIEWERS,
    ("GET", "/activities/{activity_id}"): NOBODY,
    ("GET", "/access"): RECORDING_VIEWERS,
    ("POST", "/access"): RECORDING_VIEWERS,
    ("GET", "/access/decide"): ACCESS_APPROVERS,
    ("GET", "/access/{request_id}"): NOBODY,
    ("POST", "/access/{request_id}/decision"): NOBODY,
    ("POST", "/access/{request_id}/revocation"): NOBODY,
    ("GET", "/recordings/{recording_id}/play"): NOBODY,
    ("POST", "/recordings/{recording_id}/copy"): NOBODY,  # a viewing copy, under a grant only
    ("GET", "/samples"): SAMPLERS,
    ("POST", "/samples"): SAMPLERS,
    ("GET", "/samples/{sample_id}"): ENG,
    ("POST", "/samples/{sample_id}/results"): ENG,
    ("GET", "/audit/access"): AUD,  # who saw what (第十五条): the auditor's
    ("GET", "/audit/access.xlsx"): AUD,
    ("POST", "/activities/{activity_id}/links"): NOBODY,
    ("POST", "/activities/{activity_id}/links/detach"): NOBODY,
    ("POST", "/activities/{activity_id}/interruptions/{seq}/explanation"): NOBODY,
    ("POST", "/activities/{activity_id}/interruptions/{seq}/confirmation"): NOBODY,
    ("GET", "/disposal"): DISPOSERS,
    ("POST", "/disposal"): frozenset({Role.DEVICE_ADMIN}),  # nothing chosen: 422
    ("GET", "/disposal/{batch_id}"): ENG,
    ("POST", "/disposal/{batch_id}/approval"): ENG,
    ("POST", "/disposal/{batch_id}/rejection"): ENG,  # no reason: 422
    ("POST", "/disposal/{batch_id}/run"): NOBODY,
    ("GET", "/retention"): REPORTERS,
    ("GET", "/retention.xlsx"): REPORTERS,
    ("GET", "/cases"): CASE_VIEWERS,
    ("POST", "/cases"): CASE_MANAGERS,  # the form without fields: 422
    ("GET", "/cases/{number:path}"): WHOLE_OFFICE,
    ("POST", "/cases/{number:path}/links"): NOBODY,
    ("POST", "/cases/{number:path}/links/{link_id}/unlink-request"): NOBODY,
    ("POST", "/cases/{number:path}/links/{link_id}/unlink-approval"): NOBODY,
    ("POST", "/cases/{number:path}/dates"): NOBODY,
    ("POST", "/cases/{number:path}/term"): NOBODY,
    ("POST", "/cases/{number:path}/archive"): NOBODY,
    ("POST", "/case-links"): CASE_MANAGERS,  # no case number: 422
    ("GET", "/holds"): HOLDERS,
    ("POST", "/holds"): HOLDERS,  # no recording: 422
    ("POST", "/holds/{hold_id}/release-request"): WHOLE_OFFICE,
    ("POST", "/holds/{hold_id}/release-approval"): WHOLE_OFFICE,
    ("GET", "/findings"): FINDING_VIEWERS,
    ("POST", "/findings/sweep"): ENG,
    ("GET", "/findings/new"): FINDING_RECORDERS,
    ("POST", "/findings/new"): FINDING_RECORDERS,  # no person: 422
    ("GET", "/findings/{finding_id}"): WHOLE_OFFICE,
    ("POST", "/findings/{finding_id}/statement"): NOBODY,
    ("POST", "/findings/{finding_id}/documents"): ENG,  # no file: 422
    ("POST", "/findings/{finding_id}/decision"): NOBODY,
    ("POST", "/findings/{finding_id}/review"): ENG,  # no choice: 422
    # Exports of findings (issue 18 item 5): the sheet is each viewer's own (maybe empty); the
    # notice, like the finding's page; 执法二处's monthly report, the whole office's readers.
    ("GET", "/findings.xlsx"): FINDING_VIEWERS,
    ("GET", "/findings/{finding_id}/notice.pdf"): WHOLE_OFFICE,
    ("GET", "/reports/compliance/{unit_id}/{month}.pdf"): WHOLE_OFFICE,
}

MATRIX = {**API, **PAGES}


def app_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (method, path) the app answers, through included routers (not mounts: /static)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if context.path is None or context.methods is None:
            continue
        for method in context.methods:
            if method != "HEAD":
                found.add((method, context.path))
    return found


def test_every_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    routes = app_routes(app)
    assert routes - set(MATRIX) == set(), "routes with no permission decision"
    assert set(MATRIX) - routes == set(), "matrix entries for routes that do not exist"


def _fill(path: str, office: Office) -> str:
    values = {
        "unit_id": office.units["执法二处"],
        "person_id": office.people["spare"],
        "account_id": office.accounts["spare"],
        "token_id": office.tokens["spare"],
        "role": "unit_head",
        "model_id": office.equipment["model"],
        "device_id": office.equipment["device"],
        "procurement_id": office.equipment["procurement"],
        "year": office.equipment["year"],
        "feature": "gps",
        "fault_id": office.equipment.get("fault", 0),
        "order_id": office.equipment.get("repair", 0),
        "case_id": office.equipment.get("case", 0),
        "notification_id": 999_999,  # nobody's: only the addressee may mark a notice read
        "recording_id": office.equipment.get("recording", 0),
        "run_id": office.equipment.get("run", 0),
        "upload_id": office.equipment.get("upload", "0"),
        "kind": "devices",
        "activity_id": office.equipment.get("activity", 0),
        "document_id": office.equipment.get("document", 0),
        "request_id": office.equipment.get("request", 0),
        "sample_id": office.equipment.get("sample", 0),
        "seq": 1,
        "batch_id": office.equipment.get("batch", 0),
        "number": quote(PENALTY_CASE, safe=""),
        "link_id": office.equipment.get("case_link", 0),
        "hold_id": office.equipment.get("hold", 0),
        "month": "2026-01",
        "finding_id": office.equipment.get("finding", 0),
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), path)


BODIES = {
    ("POST", "/api/v1/units"): {"name": "矩阵测试处", "unit_class": "more"},
    ("PATCH", "/api/v1/units/{unit_id}"): {"note": "矩阵"},
    ("POST", "/api/v1/units/{unit_id}/zones"): {"name": "询问室"},
    ("POST", "/api/v1/people"): {"name": "矩阵", "unit": "执法二处"},
    ("PATCH", "/api/v1/people/{person_id}"): {"phone": "13800000000"},
    ("POST", "/api/v1/people/{person_id}/roles"): {"role": "unit_head"},
    ("POST", "/api/v1/accounts"): {"person_id": 1, "username": "matrix", "password": "x"},
    ("POST", "/api/v1/accounts/{account_id}/password"): {"password": "Another-2026!"},
    ("POST", "/api/v1/accounts/{account_id}/tokens"): {"name": "工作站"},
    ("POST", "/api/v1/me/password"): {"old_password": "wrong", "new_password": "x"},
    ("POST", "/api/v1/auth/login"): {"username": "nobody", "password": "x"},
    ("POST", "/api/v1/models"): {
        "maker": "矩阵厂",
        "model": "MX-1",
        "category": "body_camera",
        "video": "1920x1080",
    },
    ("POST", "/api/v1/models/{model_id}/quality"): {"status": "suspended", "reason": "矩阵"},
    ("PUT", "/api/v1/thresholds"): {
        "video": "1920x1080",
        "photo_mp": 30,
        "battery_mah": 2500,
        "record_hours": 8,
        "storage_gb": 16,
        "ip_rating": "IP67",
    },
    ("POST", "/api/v1/units/{unit_id}/needs"): {"feature": "gps"},
    ("POST", "/api/v1/devices"): {
        "serial": "MX-0001",
        "asset_no": "ZC-MX-0001",
        "model": "TEST-BC1",
        "unit": "执法一处",
        "price": "3280.00",
        "need": "矩阵测试",
    },
    ("PATCH", "/api/v1/devices/{device_id}"): {"firmware": "V2.0"},
    ("POST", "/api/v1/devices/{device_id}/status"): {"status": "in_stock", "reason": "矩阵"},
    ("PUT", "/api/v1/budgets/{unit_id}/{year}"): {"amount": "50000.00", "note": "矩阵"},
    ("POST", "/api/v1/procurements"): {
        "unit": "执法一处",
        "purchased_on": "2026-01-15",
        "supplier": "矩阵科技有限公司",
        "model": "TEST-BC1",
        "quantity": 1,
        "unit_price": "3280.00",
    },
    ("POST", "/api/v1/procurements/{procurement_id}/approve"): {"overrun_reason": ""},
    ("POST", "/api/v1/procurements/{procurement_id}/reject"): {"reason": "矩阵"},
    ("POST", "/api/v1/custody/checkout"): {
        "device": "T2-0001",
        "officer": "T9001",
        "battery_pct": 95,
        "free_hours": 20,
        "clock_offset_s": 2,
    },
    ("POST", "/api/v1/custody/return"): {"device": "T2-0001", "condition": "ok"},
    ("POST", "/api/v1/custody/handover"): {
        "device": "T2-0001",
        "to_officer": "T9002",
        "battery_pct": 95,
        "free_hours": 20,
        "clock_offset_s": 2,
    },
    ("POST", "/api/v1/faults"): {"device": "T2-0001", "description": "矩阵：无法开机"},
    ("POST", "/api/v1/repairs/{order_id}/complete"): {"diagnosis": "矩阵", "outcome": "repaired"},
    ("POST", "/api/v1/loss-cases"): {"device": "T2-0001", "kind": "loss", "description": "矩阵"},
    ("POST", "/api/v1/loss-cases/{case_id}/decide"): {"cause": "no_fault", "decision": "矩阵"},
    ("POST", "/api/v1/recordings/{recording_id}/corrections"): {
        "field": "note",
        "value": "矩阵",
        "reason": "矩阵",
    },
    ("POST", "/api/v1/ingest-runs"): {"device": "T2-0001", "workstation": "矩阵工作站"},
    ("POST", "/api/v1/ingest-runs/{run_id}/refusals"): {
        "path": "a.mp4",
        "code": "unreadable",
        "message": "矩阵",
    },
    ("POST", "/api/v1/activities"): {
        "unit": "执法一处",
        "kind": "inspection",
        "place": "矩阵路 1 号",
        "arrived_at": "2026-11-30T09:00:00+08:00",
        "ended_at": "2026-11-30T10:00:00+08:00",
        "officers": ["T0000"],
    },
    ("PATCH", "/api/v1/activities/{activity_id}"): {"place": "矩阵路 3 号", "reason": "矩阵"},
    ("POST", "/api/v1/activities/{activity_id}/links"): {"recording_id": 1, "reason": "矩阵"},
    ("POST", "/api/v1/activities/{activity_id}/links/detach"): {
        "recording_id": 1,
        "reason": "矩阵",
    },
    ("POST", "/api/v1/access-requests"): {
        "recording_ids": [1],  # filled in: 执法二处's recording
        "action": "view",
        "purpose": "矩阵",
    },
    ("POST", "/api/v1/access-requests/{request_id}/decision"): {"approve": True, "reason": "矩阵"},
    ("POST", "/api/v1/access-requests/{request_id}/revocation"): {"reason": "矩阵"},
    ("POST", "/api/v1/samples"): {"date_from": "2026-01-01", "date_to": "2999-12-31", "size": 1},
    ("POST", "/api/v1/samples/{sample_id}/results"): {
        "recording_id": 1,  # filled in: the sampled recording
        "result": "compliant",
    },
    ("POST", "/api/v1/cases"): {
        "number": "矩阵〔2026〕2号",
        "unit": "执法一处",
        "title": "矩阵",
        "opened_on": "2026-01-15",
        "term": "10y",
    },
    ("POST", "/api/v1/cases/{number:path}/links"): {"recording_id": 1, "reason": "矩阵"},
    ("POST", "/api/v1/cases/{number:path}/links/{link_id}/unlink-request"): {"reason": "矩阵"},
    ("POST", "/api/v1/cases/{number:path}/dates"): {"decided_on": "2026-01-20"},
    ("POST", "/api/v1/cases/{number:path}/term"): {"term": "30y", "reason": "矩阵"},
    ("POST", "/api/v1/cases/{number:path}/archive"): {"archived_on": "2026-02-01"},
    ("POST", "/api/v1/holds"): {"recording_ids": [1], "reason": "矩阵"},  # filled in
    ("POST", "/api/v1/holds/{hold_id}/release-request"): {"reason": "矩阵"},
    ("POST", "/api/v1/findings/{finding_id}/decision"): {"confirm": False, "reason": "矩阵"},
    ("POST", "/api/v1/findings/{finding_id}/review"): {"overturn": False, "reason": "矩阵"},
    ("POST", "/api/v1/disposal-batches"): {"reason": "矩阵"},
    ("POST", "/api/v1/disposal-batches/{batch_id}/rejection"): {"reason": "矩阵"},
    ("POST", "/api/v1/activities/{activity_id}/interruptions/{seq}/explanation"): {
        "cause": "battery",
        "text": "矩阵",
    },
    ("POST", "/api/v1/uploads"): {
        "run_id": 0,  # filled in: the other account's run
        "name": "matrix.mp4",
        "size": 3,
        "sha256": "a" * 64,
        "sm3": "b" * 64,
        "mtime": "2026-11-30T08:00:00+08:00",
    },
}


@pytest.fixture(scope="module")
def seed(
    db_template: str, pg_copies: PgCopies | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Seed, Office]]:
    """The office below, built once per worker and copied for each test (tests/conftest.py
    Seed): building it was three quarters of each test's time."""
    root = tmp_path_factory.mktemp("matrix")
    seed = Seed(db_template, pg_copies, root)
    console = console_actor("tester")
    office = build_office(seed.database, seed.settings, console)
    office = matrix_office(office, seed.database, console, seed.settings, root)
    seed.freeze()
    yield seed, office
    seed.close()


@pytest.fixture
def seeded(seed: tuple[Seed, Office], tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    yield from seed[0].copy(tmp_path)


@pytest.fixture
def database(seeded: tuple[Database, Settings]) -> Database:
    return seeded[0]


@pytest.fixture
def settings(seeded: tuple[Database, Settings]) -> Settings:
    return seeded[1]


@pytest.fixture
def office(seed: tuple[Seed, Office]) -> Office:
    return copy.deepcopy(seed[1])


def matrix_office(
    office: Office, database: Database, console: Actor, settings: Settings, tmp_path: Path
) -> Office:
    """The office, and for the custody routes a fault, its repair order and a damage case of
    执法二处's device; for the evidence routes a recording of that device, ingested by the
    console, and an upload opened by the spare account (so that the ids name real rows)."""
    recording, run, upload = evidence_rows(database, settings, console, tmp_path, office)
    office.equipment.update(recording=recording, run=run, upload=upload)
    with database.unit_of_work() as session:
        fault = faults.report_fault(
            session=session, actor=console, serial="T2-0001", description="矩阵：无法开机"
        )
        faults.register_fault(session=session, actor=console, fault_id=fault.id)
        order = faults.order_repair(session=session, actor=console, fault_id=fault.id)
        case = faults.open_loss_case(
            session=session,
            actor=console,
            serial="T2-0001",
            kind=CaseKind.DAMAGE,
            description="矩阵",
        )
        office.equipment.update(fault=fault.id, repair=order.id, case=case.id)
        activity, _ = activity_service.add_activity(
            session=session,
            actor=console,
            settings=settings,
            data=activity_service.data_named(
                session,
                unit="执法二处",
                officers=["T9001", "T9002"],
                kind=ActivityKind.INSPECTION,
                place="矩阵路 2 号",
                arrived_at=datetime.now(UTC) - timedelta(hours=5),
                ended_at=datetime.now(UTC) - timedelta(hours=4),
            ),
        )
        office.equipment.update(activity=activity.id)
        document = file_document(
            session=session,
            actor=Actor(
                label="spare",
                source="web",
                person_id=office.people["spare"],
                unit_id=office.units["执法二处"],
                roles=frozenset({Role.OFFICER}),
            ),
            store=open_store(settings.resolved_storage_url),
            settings=settings,
            stream=io.BytesIO(b"%PDF-1.4 matrix"),
            name="矩阵.pdf",
            purpose=Purpose.INTERRUPTION_REPORT,
            unit_id=office.units["执法二处"],
        )
        office.equipment.update(document=document.id)
        office.equipment.update(request=_access_request(session, office, recording))
        office.equipment.update(sample=_sample(session, office, recording))
        office.equipment.update(batch=_disposal_batch(session, office, recording))
        office.equipment.update(_penalty_case(session, office, console, settings, recording))
        office.equipment.update(finding=_finding(session, office, document.id))
    return office


PENALTY_CASE = "京执罚〔2026〕矩阵1号"


def _penalty_case(
    session: Any, office: Office, console: Actor, settings: Settings, recording: int
) -> dict[str, int]:
    """执法二处's penalty case with the recording linked (by the console, which registers cases),
    and a hold on the recording, not asked to be released (a row as the service writes it)."""
    case = retention_service.create_case(
        session=session, actor=console, terms=settings.case_terms,
        new=NewCase(number=PENALTY_CASE, unit_id=office.units["执法二处"], title="矩阵",
                    opened_on=date(2026, 1, 15), term="30y"),
    )  # fmt: skip
    made = retention_service.link(
        session=session, actor=console, store=open_store(settings.resolved_storage_url),
        case=case, reason="矩阵", recording_id=recording,
    )  # fmt: skip
    hold = LegalHold(recording_id=recording, unit_id=office.units["执法二处"], reason="矩阵",
                     placed_by="矩阵", placed_at=datetime.now(UTC))  # fmt: skip
    session.add(hold)
    session.flush()
    return {"case_link": made.id, "hold": hold.id}


def _disposal_batch(session: Any, office: Office, recording: int) -> int:
    """执法二处's batch of the recording, approved by its head, waiting for engineering
    supervision (rows as the service writes them: the matrix asks who may read, decide and run
    it, not how it came to be)."""
    now = datetime.now(UTC)
    batch = retention_models.DisposalBatch(
        unit_id=office.units["执法二处"], reason="矩阵", status="head_approved",
        proposed_by="矩阵", proposed_by_id=office.people["spare"], proposed_at=now,
        head_by="矩阵", head_by_id=office.people["other_unit_officer"], head_at=now,
    )  # fmt: skip
    session.add(batch)
    session.flush()
    session.add(
        retention_models.DisposalItem(
            batch_id=batch.id, recording_id=recording, retain_until=now.date()
        )
    )
    return batch.id


def _access_request(session: Any, office: Office, recording: int) -> int:
    """执法二处's officer asking 执法二处's head to view its recording (a row as the service
    writes it: the matrix asks who may read and decide it, not how it was asked)."""
    row = AccessRequest(
        requester_id=office.people["spare"], requested_by="spare", requested_at=datetime.now(UTC),
        action="view", scope=f"资料 #{recording}", purpose="矩阵", recipient="", recipient_org="",
        days=7, approver="unit_head", approver_unit_id=office.units["执法二处"], status="pending",
        decided_by="", decision_reason="", revoked_by="", revoke_reason="",
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(AccessItem(request_id=row.id, recording_id=recording))
    return row.id


def _sample(session: Any, office: Office, recording: int) -> int:
    """Engineering supervision's sample of that recording, which it reviews (rows as the draw
    writes them: the matrix asks who may read it and record results)."""
    now = datetime.now(UTC)
    engineering = office.people["engineering"]
    row = Sample(
        drawn_by_id=engineering, drawn_by="engineering", drawn_at=now, reviewer_id=engineering,
        reviewer="engineering", unit_id=None, units=None, date_from=now.date(),
        date_to=now.date(), kind=None, population=1, population_sha256="0" * 64, seed=1, size=1,
        due_at=now + timedelta(days=7),
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(SampleItem(sample_id=row.id, recording_id=recording, position=0, reason="",
                           note="", recorded_by=""))  # fmt: skip
    return row.id


def _finding(session: Any, office: Office, document: int) -> int:
    """A finding about 执法二处's officer (no account), pending, with the document above linked
    as its evidence (rows as the service writes them)."""
    now = datetime.now(UTC)
    row = Finding(
        key="manual:matrix", rule="manual", article="第十八条第（二）项", severity="high",
        person_id=office.people["other_unit_officer"], unit_id=office.units["执法二处"],
        subject_type="person", subject_id=str(office.people["other_unit_officer"]),
        summary="矩阵", evidence=[], status="pending", found_at=now, found_by="矩阵",
        statement_due=now + timedelta(days=7),
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(FindingDocument(finding_id=row.id, document_id=document, role="evidence"))
    return row.id


# Findings' multipart forms (the API's): a manual finding about 执法二处's officer; a statement.
FINDING_FORMS = {
    ("POST", "/api/v1/findings"): {"clause": "二", "summary": "矩阵"},
    ("POST", "/api/v1/findings/{finding_id}/statement"): {"text": "矩阵"},
}


QUERIES = {
    ("GET", "/api/v1/audit/proof"): {"leaf": 0},
    ("GET", "/api/v1/audit/consistency"): {"from": 1, "to": 2},
    ("GET", "/audit/proof"): {"leaf": 0},
}


def _call(client, method: str, path: str, office: Office):  # type: ignore[no-untyped-def]
    url = _fill(path, office)
    if (method, path) == ("PUT", "/api/v1/uploads/{upload_id}"):
        return client.put(url, params={"offset": 0}, content=b"abc")
    if (method, path) in FINDING_FORMS:  # a multipart form, not JSON
        person = str(office.people["other_unit_officer"])
        return client.post(url, data={**FINDING_FORMS[(method, path)], "person_id": person})
    if path.endswith("/written-report"):  # a multipart form, not JSON
        return client.post(url, data={"cause": "battery", "text": "矩阵"})
    params = QUERIES.get((method, path))
    if path.startswith("/api/"):
        body = BODIES.get((method, path))
        if body and "run_id" in body:
            body = {**body, "run_id": office.equipment["run"]}
        if body and "recording_ids" in body:
            body = {**body, "recording_ids": [office.equipment["recording"]]}
        if body and "/samples/" in path:
            body = {**body, "recording_id": office.equipment["recording"]}
        return client.request(method, url, json=body, params=params)
    return client.request(
        method,
        url,
        data={"name": "x"} if method == "POST" else None,
        params=params,
        follow_redirects=False,
    )


def _allowed(status: int) -> bool:
    return status not in (401, 403, 404) and status < 500


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: str(v))
def test_route_permissions(client, office: Office, method: str, path: str) -> None:
    expected = MATRIX[(method, path)]
    response = _call(client, method, path, office)
    assert response.status_code < 500, response.text
    if expected == PUBLIC:
        # Login answers 401 (API) or 400/401 (page) to bad credentials: that is not a refusal.
        assert response.status_code not in (403, 404)
        return
    if path.startswith("/api/"):
        assert response.status_code == 401, "anonymous must be refused"
        assert response.json()["error"]["code"] == "unauthenticated"
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert isinstance(expected, frozenset)
    # Refused roles first, so that an allowed change cannot hide a refusal after it.
    for role in sorted(Role, key=lambda r: r in expected):
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token", None)
        login(client, office.user(role))
        response = _call(client, method, path, office)
        assert response.status_code < 500, (role, response.text)
        if role in expected:
            assert _allowed(response.status_code), (role, response.status_code, response.text)
        else:
            assert response.status_code in (403, 404), (role, response.status_code)


# A workstation's API token (a device administrator's): only the ingest routes, and of those
# only what its holder may do there; everything else is refused, pages included.
TOKEN_ROUTES = sorted(k for k, v in MATRIX.items() if v != PUBLIC)


@pytest.fixture
def workstation_token(office: Office, database: Database, console: Actor) -> str:
    with database.unit_of_work() as session:
        _, plain = accounts.create_token(
            session=session,
            actor=console,
            account_id=office.accounts["device_admin"],
            name="矩阵工作站",
        )
    return plain


@pytest.mark.parametrize(("method", "path"), TOKEN_ROUTES, ids=lambda v: str(v))
def test_route_permissions_for_a_workstation_token(
    client, office: Office, workstation_token: str, method: str, path: str
) -> None:
    """Issue 13, seen 2: a token carried its account's full powers. Now it only ingests."""
    expected = MATRIX[(method, path)]
    assert isinstance(expected, frozenset)
    client.headers["Authorization"] = f"Bearer {workstation_token}"
    response = _call(client, method, path, office)
    assert response.status_code < 500, response.text
    if path.startswith(WORKSTATION_ROUTES) and Role.DEVICE_ADMIN in expected:
        assert _allowed(response.status_code), (response.status_code, response.text)
    else:
        assert response.status_code in (403, 404), (response.status_code, response.text)

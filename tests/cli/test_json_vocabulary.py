"""One JSON vocabulary (issue 14 item 1): ``lawcam … --json`` prints an object with the keys and
value formats the API gives it, because both print the same ``lawcam.schemas`` Out model.

One office is built through the CLI; then, for every object both show, the CLI's document is
compared with the API's body for that object (a real app over the same database, each role
logged in through the API). A list command wraps its list under a name (``{"units": […]}``,
``{"total": n, "recordings": […]}``); its items are the API's items. Every command that takes
``--json`` is either in TWINS (run here and compared) or in NO_TWIN with the reason."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import httpx
import pytest
import typer
from fastapi.testclient import TestClient

from lawcam.cli.main import build_app
from lawcam.evidence import remote
from lawcam.evidence.ingest import IngestRequest
from lawcam.web.app import create_app
from tests.cli.conftest import Cli
from tests.cli.test_custody import GOOD, RECORDER, add_device, checkout
from tests.cli.test_evidence_cli import card

PASSWORD = "Lawcam-2026!"
CHANGED = "Lawcam-2026-changed!"
UNIT = "执法一处"
A, C = "21010020001", "21010020003"  # officers
DESK = "21010020090"  # 执法一处's device administrator

# CLI command → the API route that answers the same object (compared in the tests below).
TWINS = {
    "unit add": "GET /units/{id}",
    "unit list": "GET /units",
    "person add": "GET /people/{id}",
    "person list": "GET /people",
    "person deactivate": "GET /people/{id}",
    "person reactivate": "GET /people/{id}",
    "role assign": "GET /people/{id} (POST /people/{id}/roles answers the person)",
    "role revoke": "GET /people/{id}",
    "account add": "GET /accounts/{id}",
    "account list": "GET /accounts",
    "account reset-password": "GET /accounts/{id}",
    "account unlock": "GET /accounts/{id}",
    "account deactivate": "GET /accounts/{id}",
    "account reactivate": "GET /accounts/{id}",
    "account token": "GET /accounts/{id}/tokens (POST adds the plain token once)",
    "model add": "GET /models/{id}",
    "model list": "GET /models",
    "model quality": "GET /models/{id}",
    "need declare": "GET /units/{id}/needs",
    "need withdraw": "GET /units/{id}/needs",
    "thresholds show": "GET /thresholds",
    "thresholds set": "GET /thresholds",
    "device add": "GET /devices/{id}",
    "device list": "GET /devices",
    "device show": "GET /devices/{id} with GET /devices/{id}/history as history",
    "device status": "GET /devices/{id}",
    "budget set": "GET /budgets?year=",
    "procurement add": "GET /procurements/{id}",
    "procurement approve": "GET /procurements/{id}",
    "procurement reject": "GET /procurements/{id}",
    "procurement list": "GET /procurements?year=",
    "report ratio": "GET /reports/ratio",
    "report specs": "GET /reports/specs",
    "report budget": "GET /reports/budget?year=",
    "report ledger": "GET /ledger",
    "custody checkout": "GET /ledger (POST /custody/checkout answers the period)",
    "custody handover": "GET /ledger",
    "custody return": "GET /ledger",
    "fault report": "POST /faults/{id}/register (no GET for a fault)",
    "fault register": "POST /faults/{id}/register",
    "fault repair": "POST /repairs/{id}/complete (no GET for a repair order)",
    "fault complete": "POST /repairs/{id}/complete",
    "loss open": "POST /loss-cases/{id}/decide (no GET for a loss case)",
    "loss decide": "POST /loss-cases/{id}/decide",
    "ingest": "the remote workstation's run through POST /ingest-runs, /uploads …",
    "recording list": "GET /recordings",
    "recording late": "GET /recordings?late=true",
    "recording show": "GET /recordings/{id}",
    "recording correct": "GET /recordings/{id} (its corrections)",
    "audit list": "GET /audit",
    "audit sth": "GET /audit/sth",
    "audit proof": "GET /audit/proof",
    "audit consistency": "GET /audit/consistency",
    "audit public-key": "GET /audit/public-key",
    "activity add": "GET /activities/{id} (POST /activities answers it with its warnings)",
    "activity show": "GET /activities/{id}",
    "activity amend": "GET /activities/{id}",
    "activity list": "GET /activities",
    "activity late": "GET /late-uploads",
    "case add": "GET /cases/{number} (POST /cases answers it)",
    "case list": "GET /cases",
    "case show": "GET /cases/{number}",
    "case link": "GET /cases/{number} (POST …/links answers it)",
    "case unlink-request": "GET /cases/{number} (POST …/unlink-request answers it)",
    "case unlink-approve": "GET /cases/{number} (POST …/unlink-approval answers it)",
    "case dates": "GET /cases/{number} (POST …/dates answers it)",
    "case term": "GET /cases/{number} (POST …/term answers it)",
    "case archive": "GET /cases/{number} (POST …/archive answers it)",
    "hold place": "GET /holds (POST /holds answers the holds placed)",
    "hold list": "GET /holds",
    "hold release-request": "POST /holds/{id}/release-request",
    "retention report": "GET /retention/expiring",
}
# Commands that print the same Out model as a compared twin but are not run here, and why.
SAME_MODEL_NOT_RUN = {
    "activity explain": "prints ActivityOut, as activity show (compared); an interruption to "
    "explain needs recordings with a gap: tests/cli/test_activities.py builds them",
    "activity confirm": "prints ActivityOut, as activity show (compared); needs an explained "
    "interruption: tests/cli/test_activities.py",
    "access request": "prints AccessRequestOut, as POST /access-requests answers; needs recordings "
    "the requester may name: tests/cli/test_access_cli.py runs it",
    "access decide": "prints AccessRequestOut, as POST /access-requests/{id}/decision answers: "
    "tests/cli/test_access_cli.py",
    "access list": "prints [AccessRequestOut], as GET /access-requests answers: "
    "tests/cli/test_access_cli.py",
    "sample draw": "prints SampleOut, as POST /samples answers; needs video or audio recordings to "
    "draw from: tests/cli/test_samples_cli.py runs it",
    "sample list": "prints [SampleOut], as GET /samples answers: tests/cli/test_samples_cli.py",
    "sample show": "prints SampleOut, as GET /samples/{id} answers: tests/cli/test_samples_cli.py",
    "sample result": "prints SampleItemOut, as POST /samples/{id}/results answers: "
    "tests/cli/test_samples_cli.py",
    "findings sweep": "prints SweepOut, as POST /findings/sweep answers; needs activities past "
    "their deadline: tests/cli/test_findings_cli.py runs it (the wave-2 contract's shape)",
    "findings list": "prints [FindingOut], as GET /findings answers: tests/cli/test_findings_cli.py",
    "findings show": "prints FindingOut, as GET /findings/{id} answers: "
    "tests/cli/test_findings_cli.py",
    "findings statement": "prints FindingOut, as POST /findings/{id}/statement answers: "
    "tests/cli/test_findings_cli.py",
    "findings decide": "prints FindingOut, as POST /findings/{id}/decision answers: "
    "tests/cli/test_findings_cli.py",
    "findings review": "prints FindingOut, as POST /findings/{id}/review answers: "
    "tests/cli/test_findings_cli.py",
    "findings record": "prints FindingOut, as POST /findings answers: tests/cli/test_findings_cli.py",
    "hold release-approve": "prints HoldOut, as POST /holds/{id}/release-approval answers; needs "
    "a second person allowed to approve: tests/cli/test_disposal_cli.py runs it",
    "disposal candidates": "prints [CandidateOut], as GET /disposal/candidates answers; needs "
    "recordings docked years ago: tests/cli/test_disposal_cli.py runs it",
    "disposal propose": "prints DisposalBatchOut, as POST /disposal-batches answers (--dry-run: the "
    "candidates, as GET /disposal/candidates): tests/cli/test_disposal_cli.py",
    "disposal approve": "prints DisposalBatchOut, as POST /disposal-batches/{id}/approval answers: "
    "tests/cli/test_disposal_cli.py",
    "disposal reject": "prints DisposalBatchOut, as POST /disposal-batches/{id}/rejection answers: "
    "tests/cli/test_disposal_cli.py",
    "disposal run": "prints DisposalBatchOut, as POST /disposal-batches/{id}/run answers, with the "
    "run's outcome counts: tests/cli/test_disposal_cli.py",
    "disposal list": "prints [DisposalBatchOut], as GET /disposal-batches answers: "
    "tests/cli/test_disposal_cli.py",
    "disposal show": "prints DisposalBatchOut, as GET /disposal-batches/{id} answers: "
    "tests/cli/test_disposal_cli.py",
}
# CLI commands with --json that no API route twins, and why.
NO_TWIN = {
    "init": "prepares the home and the database on the server; there is no API before it",
    "serve": "starts the web server itself",
    "demo": "seeds a demonstration office at the console",
    "verify": "re-hashes the store and the log on the server (exit status 1 on a finding)",
    "template": "writes an import template file on the server (the web gives it as a download)",
    "import": "imports a spreadsheet at the console (the web form answers a page, not JSON)",
    "activity import": "imports the activity list at the console (the web form answers a page)",
    "role list": "the role catalogue (codes and labels), not an object of the office",
    "report register": "writes the register spreadsheet to a file; answers its path and count",
    "report labels": "writes the labels PDF to a file; answers its path and count",
    "report faults": "faults per model, a report only the pages show",
    "report losses": "loss cases per person and unit, a report only the pages show",
    "audit anchor": "prints the paper anchor PDF at the console; answers the file and its head",
    "audit key list": "the registry of the nodes' signing keys, read where keys are managed: "
    "at a node's console (no page or API changes or shows keys)",
    "audit key register": "registers this home's key: only a node's own console may",
    "audit key rotate": "replaces this home's key file and registers the next: only at the "
    "node's console",
    "backup": "copies the database and the home's keys into a folder on the server (an "
    "operator's file-system step; no API writes server folders)",
    "restore": "fills an empty home and database before any server runs on them",
    "access package": "writes the provision package to a file at the console; answers its path "
    "and size (the API twin is GET /access-requests/{id}/package, the ZIP itself)",
    "recording download": "writes the original to a file at the console; answers its path and "
    "digests (the API twin is GET /recordings/{id}/content, the bytes themselves)",
    "retention recompute": "derives every effective retention again at the console (a "
    "maintenance run over the whole store; verify names what it fixes)",
    "recording copy": "makes the viewing copy at the console (a derived file, encoded on the "
    "server); the web plays it under a grant, as bytes, and has no JSON twin of its row",
}


def json_commands() -> set[str]:
    """Every command of the CLI that takes --json, by its path (``device show``)."""
    root = typer.main.get_command(build_app())
    found: set[str] = set()

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):  # a group (Typer carries its own click)
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        elif any("--json" in getattr(p, "opts", ()) for p in command.params):
            found.add(" ".join(path))

    walk(root, [])
    return found


def test_every_json_command_has_an_api_twin_or_a_reason() -> None:
    commands = json_commands()
    listed = [set(TWINS), set(NO_TWIN), set(SAME_MODEL_NOT_RUN)]
    assert sum(len(names) for names in listed) == len(set().union(*listed))
    unlisted = commands - set().union(*listed)
    assert not unlisted, f"--json commands in neither TWINS nor NO_TWIN: {sorted(unlisted)}"
    assert set().union(*listed) <= commands, "listed commands that no longer exist"


# The office, built through the CLI, read through both -----------------------------------------


@dataclass
class Both:
    cli: Cli
    api: dict[str, TestClient]  # by role
    ran: set[str] = field(default_factory=set)  # the TWINS commands run

    def ok(self, *args: str) -> Any:
        self.ran.add(command_path(args))
        return self.cli.ok(*args)

    def get(self, role: str, url: str, **params: Any) -> Any:
        response = self.api[role].get(f"/api/v1{url}", params=params)
        assert response.status_code == 200, (url, response.text)
        return response.json()

    def post(self, role: str, url: str, body: dict[str, Any] | None = None) -> Any:
        response = self.api[role].post(f"/api/v1{url}", json=body)
        assert response.status_code in (200, 201), (url, response.text)
        return response.json()


GROUPS = {
    "unit", "person", "role", "account", "model", "need", "thresholds", "device", "budget",
    "procurement", "report", "custody", "fault", "loss", "recording", "audit", "activity",
    "case", "hold", "disposal", "retention",
}  # fmt: skip


def command_path(args: tuple[str, ...]) -> str:
    return " ".join(args[:2]) if args[0] in GROUPS else args[0]


ROLES = {  # role → (name, badge, the role's CLI flags)
    "device_admin": ("赵敏", DESK, ["--role", "device_admin"]),
    "unit_head": ("王芳", "21010020080", ["--officer", "--role", "unit_head"]),
    "finance": ("钱进", None, ["--role", "finance"]),
    "ict": ("孙工", None, ["--role", "ict"]),
    "sysadmin": ("周密", None, ["--role", "sysadmin"]),
    "auditor": ("吴审", None, ["--role", "auditor"]),
}


def logged_in(app: Any, username: str) -> TestClient:
    """A browser-less client of one account: logs in, changes the temporary password."""
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()
    r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    body = {"old_password": PASSWORD, "new_password": CHANGED}
    assert client.post("/api/v1/me/password", json=body).status_code == 204
    return client


@pytest.fixture
def both(ready: Cli) -> Iterator[Both]:
    cli = ready
    cli.person("张伟", A, "--officer")
    cli.person("刘洋", C, "--officer")
    for role, (name, badge, flags) in ROLES.items():
        badge_args = ["--badge", badge] if badge else []
        person = cli.ok("person", "add", "--name", name, "--unit", UNIT, *badge_args, *flags)
        cli.ok(
            "account", "add", "--username", role, "--person-id", str(person["id"]),
            "--password", PASSWORD,
        )  # fmt: skip
    app = create_app(cli.settings())
    clients = {role: logged_in(app, role) for role in ROLES}
    try:
        yield Both(cli=cli, api=clients)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)


def by_id(items: list[dict[str, Any]], wanted: int) -> dict[str, Any]:
    return next(item for item in items if item["id"] == wanted)


def org_objects(both: Both) -> None:
    made = both.ok("unit", "add", "--name", "执法二处", "--class", "more", "--zone", "询问室")
    assert made == both.get("sysadmin", f"/units/{made['id']}")
    assert both.ok("unit", "list")["units"] == both.get("sysadmin", "/units")

    person = both.ok("person", "add", "--name", "李娜", "--badge", "21010020002", "--unit", UNIT)
    assert person == both.get("sysadmin", f"/people/{person['id']}")
    assigned = both.ok("role", "assign", "--badge", "21010020002", "--role", "engineering")
    assert assigned == both.get("sysadmin", f"/people/{person['id']}")
    revoked = both.ok("role", "revoke", "--badge", "21010020002", "--role", "engineering")
    assert revoked == both.get("sysadmin", f"/people/{person['id']}")
    off = both.ok("person", "deactivate", "--badge", "21010020002")
    assert off == both.get("sysadmin", f"/people/{person['id']}")
    on = both.ok("person", "reactivate", "--badge", "21010020002")
    assert on == both.get("sysadmin", f"/people/{person['id']}")
    assert both.ok("person", "list", "--all")["people"] == both.get(
        "sysadmin", "/people", include_inactive=True
    )

    account = both.ok(
        "account", "add", "--username", "lina", "--badge", "21010020002", "--password", PASSWORD
    )
    assert account == both.get("sysadmin", f"/accounts/{account['id']}")
    for step in (["reset-password", "--password", CHANGED], ["unlock"], ["deactivate"]):
        changed = both.ok("account", step[0], "--username", "lina", *step[1:])
        assert changed == both.get("sysadmin", f"/accounts/{account['id']}")
    back = both.ok("account", "reactivate", "--username", "lina")
    assert back == both.get("sysadmin", f"/accounts/{account['id']}")
    # The accounts that logged in through the API: last_login_at in one format on both sides.
    assert both.ok("account", "list")["accounts"] == both.get("sysadmin", "/accounts")
    token = both.ok("account", "token", "--username", "lina", "--name", "二处工作站")
    listed = both.get("sysadmin", f"/accounts/{account['id']}/tokens")
    assert {k: v for k, v in token.items() if k != "token"} == by_id(listed, token["id"])


def equipment_objects(both: Both) -> None:
    model = both.ok(*RECORDER)
    assert model == both.get("finance", f"/models/{model['id']}")
    suspended = both.ok(
        "model", "quality", "--model", "DSJ-HK2", "--status", "approved", "--reason", "抽检合格"
    )
    assert suspended == both.get("finance", f"/models/{model['id']}")
    assert both.ok("model", "list")["models"] == both.get("finance", "/models")

    limits = both.ok("thresholds", "set", "--battery-mah", "3000")
    assert limits == both.get("finance", "/thresholds") == both.ok("thresholds", "show")
    unit_id = both.ok("unit", "list")["units"][0]["id"]
    needs = both.ok("need", "declare", "--unit", UNIT, "--feature", "night_vision")
    assert needs == both.get("device_admin", f"/units/{unit_id}/needs")
    needs = both.ok("need", "withdraw", "--unit", UNIT, "--feature", "night_vision")
    assert needs == both.get("device_admin", f"/units/{unit_id}/needs")

    device = both.ok(
        "device", "add", "--serial", "EQ001", "--asset", "ZC-EQ001", "--model", "DSJ-HK2",
        "--unit", UNIT, "--price", "3,280.00", "--need", "现场执法检查全过程记录",
        "--zone", "询问室一", "--commissioned", "2026-03-25",
    )  # fmt: skip
    assert device["purchase_price"] == "3280.00"  # money as the API writes it, not "3,280.00 元"
    assert device == both.get("finance", f"/devices/{device['id']}")
    moved = both.ok("device", "status", "--serial", "EQ001", "--to", "in_service")
    assert moved == both.get("finance", f"/devices/{device['id']}")
    shown = both.ok("device", "show", "EQ001")
    history = both.get("device_admin", f"/devices/{device['id']}/history")
    assert shown == {**both.get("finance", f"/devices/{device['id']}"), "history": history}
    assert both.ok("device", "list")["devices"] == both.get("finance", "/devices")

    budget = both.ok("budget", "set", "--unit", UNIT, "--year", "2026", "--amount", "5,000")
    assert [budget] == both.get("finance", "/budgets", year=2026)
    bought = both.ok(
        "procurement", "add", "--unit", UNIT, "--year", "2026", "--date", "2026-03-01",
        "--supplier", "某公司", "--model", "DSJ-HK2", "--quantity", "2", "--unit-price", "3280",
    )  # fmt: skip
    assert bought == both.get("finance", f"/procurements/{bought['id']}")
    approved = both.ok(
        "procurement", "approve", "--id", str(bought["id"]), "--overrun-reason", "任务增加"
    )
    assert approved == both.get("finance", f"/procurements/{bought['id']}")
    again = both.ok(
        "procurement", "add", "--unit", UNIT, "--year", "2026", "--date", "2026-04-01",
        "--supplier", "某公司", "--model", "DSJ-HK2", "--quantity", "1", "--unit-price", "3280",
    )  # fmt: skip
    rejected = both.ok("procurement", "reject", "--id", str(again["id"]), "--reason", "重复")
    assert rejected == both.get("finance", f"/procurements/{again['id']}")
    listed = both.ok("procurement", "list", "--year", "2026")["procurements"]
    assert listed == both.get("finance", "/procurements", year=2026)

    assert both.ok("report", "ratio") == both.get("finance", "/reports/ratio")
    assert both.ok("report", "specs") == both.get("finance", "/reports/specs")
    report = both.ok("report", "budget", "--year", "2026")
    assert report["units"] == both.get("finance", "/reports/budget", year=2026)


def same_but(cli_doc: dict[str, Any], api_doc: dict[str, Any], changed: set[str]) -> None:
    """The same object before (CLI) and after (API) a step that changes only ``changed``."""
    assert set(cli_doc) == set(api_doc)
    assert {k: v for k, v in cli_doc.items() if k not in changed} == {
        k: v for k, v in api_doc.items() if k not in changed
    }


def custody_objects(both: Both) -> None:
    for serial in ("BC001", "BC002", "BC003"):
        add_device(both.cli, serial)
    out = both.ok(*checkout(both.cli, "BC001", A))
    handed = both.ok("custody", "handover", "--device", "BC001", "--to", C, *GOOD)
    back = both.ok("custody", "return", "--device", "BC001", "--condition", "ok")
    ledger = both.get("device_admin", "/ledger")
    assert both.ok("report", "ledger")["periods"] == ledger
    # The step's own answer is the period as GET /ledger gives it, without the ledger's extras.
    for period, changed in ((out, {"returned_at", "returned_to", "condition", "condition_label"}),
                            (handed, {"returned_at", "returned_to", "condition", "condition_label",
                                      "return_note", "device_status"}),
                            (back, set())):  # fmt: skip
        row = by_id(ledger, period["id"])
        assert set(row) - set(period) == {"reason_label", "recordings"}
        same_but(period, {k: row[k] for k in period}, changed | {"device_status"})

    fault = both.ok("fault", "report", "--device", "BC002", "--description", "屏幕花屏")
    registered = both.post("device_admin", f"/faults/{fault['id']}/register")
    same_but(fault, registered, {"status", "status_label", "registered_by", "registered_at"})
    repair = both.ok("fault", "repair", "--id", str(fault["id"]))
    body = {"diagnosis": "屏幕排线松动", "outcome": "repaired"}
    completed = both.post("ict", f"/repairs/{repair['id']}/complete", body)
    done = {"diagnosis", "outcome", "outcome_label", "completed_by", "completed_at"}
    same_but(repair, completed, done | {"fault_status", "device_status"})
    # And the other way: the API reports and registers, the CLI completes.
    other = both.post("device_admin", "/faults", {"device": "BC002", "description": "按键失灵"})
    cli_registered = both.ok("fault", "register", "--id", str(other["id"]))
    same_but(other, cli_registered, {"status", "status_label", "registered_by", "registered_at"})
    order = both.post("device_admin", f"/faults/{other['id']}/repair")
    cli_done = both.ok(
        "fault", "complete", "--order", str(order["id"]), "--diagnosis", "按键更换",
        "--outcome", "repaired",
    )  # fmt: skip
    same_but(order, cli_done, done | {"fault_status", "device_status"})

    both.cli.ok(*checkout(both.cli, "BC003", A))
    both.cli.ok("custody", "return", "--device", "BC003", "--condition", "lost")
    case = both.ok("loss", "open", "--device", "BC003", "--kind", "loss", "--description", "遗失")
    body = {"cause": "poor_keeping", "decision": "保管不善，按原购置价赔偿"}
    decided = both.post("unit_head", f"/loss-cases/{case['id']}/decide", body)
    same_but(
        case,
        decided,
        {"cause", "cause_label", "decision", "compensation", "decided_by", "decided_at"},
    )
    assert decided["compensation"] == "3280.00"
    opened = both.post(
        "device_admin", "/loss-cases", {"device": "BC003", "kind": "damage", "description": "摔"}
    )
    cli_decided = both.ok(
        "loss", "decide", "--id", str(opened["id"]), "--cause", "no_fault", "--decision", "意外"
    )
    same_but(
        opened,
        cli_decided,
        {"cause", "cause_label", "decision", "compensation", "decided_by", "decided_at"},
    )


def evidence_and_audit_objects(both: Both, tmp_path: Path) -> None:
    add_device(both.cli, "EV001")
    both.cli.ok(*checkout(both.cli, "EV001", A))
    folder = card(tmp_path)
    first = both.ok("ingest", str(folder), "--device", "EV001", "--workstation", "一处工作站")
    fresh_id, old_id = (f["recording_id"] for f in first["files"])

    listing = both.ok("recording", "list")
    page = both.get("device_admin", "/recordings")
    assert (listing["total"], listing["recordings"]) == (page["total"], page["items"])
    late = both.ok("recording", "late")
    page = both.get("device_admin", "/recordings", late=True)
    assert (late["total"], late["recordings"]) == (page["total"], page["items"])
    made = both.ok(
        "recording", "correct", str(old_id), "--field", "officer", "--value", A,
        "--reason", "当日由张伟使用，漏办领用",
    )  # fmt: skip
    detail = both.get("device_admin", f"/recordings/{old_id}")
    assert detail["corrections"] == [made]
    for recording_id in (fresh_id, old_id):
        shown = both.ok("recording", "show", str(recording_id))
        assert shown == both.get("device_admin", f"/recordings/{recording_id}")
        assert "retain_until" in shown  # the contract's key (DESIGN, wave 2)

    # The same card docked again, at the console and by a remote workstation through the API:
    # one run document, every file a duplicate of the same recording.
    token = both.cli.ok("account", "token", "--username", "device_admin", "--name", "远程工作站")
    workstation = TestClient(create_app(both.cli.settings()), raise_server_exceptions=False)
    with workstation:
        through_api = remote.upload_folder(
            server="http://testserver",
            token=token["token"],
            request=IngestRequest(path=folder, device_serial="EV001", workstation="远程工作站"),
            progress=None,
            http=cast(httpx.Client, workstation),
        ).as_dict()
    copy = tmp_path / "again"
    shutil.copytree(folder, copy)
    at_console = both.ok("ingest", str(copy), "--device", "EV001", "--workstation", "远程工作站")
    assert at_console["files"] and [f["status"] for f in at_console["files"]] == ["duplicate"] * 2
    assert {**at_console, "run_id": None} == {**through_api, "run_id": None}

    log = both.ok("audit", "list", "--limit", "20")
    page = both.get("auditor", "/audit", limit=20)
    assert (log["total"], log["events"]) == (page["total"], page["items"])
    head = both.ok("audit", "sth")
    assert head == both.get("auditor", "/audit/sth")
    size = head["size"]
    assert both.ok("audit", "proof", "--leaf", "3", "--size", str(size)) == both.get(
        "auditor", "/audit/proof", leaf=3, size=size
    )
    assert both.ok("audit", "consistency", "--from", "5", "--to", str(size)) == both.get(
        "auditor", "/audit/consistency", **{"from": 5, "to": size}
    )
    assert both.ok("audit", "public-key") == both.get("auditor", "/audit/public-key")


def activity_objects(both: Both) -> None:
    made = both.ok(
        "activity", "add", "--unit", UNIT, "--kind", "inspection", "--place", "某商场",
        "--arrived", "2026-12-01T09:00:00+08:00", "--ended", "2026-12-01T10:00:00+08:00",
        "--officer", A, "--officer", C, "--announced",
    )  # fmt: skip
    got = both.get("device_admin", f"/activities/{made['id']}")
    same_but(made, got, {"warnings"})
    assert both.ok("activity", "show", str(made["id"])) == got
    amended = both.ok("activity", "amend", str(made["id"]), "--place", "某超市", "--reason", "笔误")
    assert amended == both.get("device_admin", f"/activities/{made['id']}")
    assert both.ok("activity", "list") == both.get("device_admin", "/activities")
    assert both.ok("activity", "late") == both.get("device_admin", "/late-uploads")


def retention_objects(both: Both) -> None:
    """A penalty case over one of 执法一处's recordings, a hold on it, the expiry report."""
    number = "京执罚〔2026〕1号"
    url = f"/cases/{quote(number, safe='')}"
    [recording, other] = [r["id"] for r in both.cli.ok("recording", "list")["recordings"][:2]]
    made = both.ok("case", "add", "--number", number, "--unit", UNIT, "--title", "无照经营案",
                   "--parties", "张某", "--term", "30y", "--by", DESK)  # fmt: skip
    assert made == both.get("device_admin", url)
    linked = both.ok("case", "link", number, "--recording", str(recording), "--reason", "证据",
                     "--by", DESK)  # fmt: skip
    assert linked == both.get("device_admin", url)
    again = both.ok("case", "link", number, "--recording", str(other), "--reason", "误关联",
                    "--by", DESK)  # fmt: skip
    link_id = str(again["links"][1]["id"])
    asked = both.ok("case", "unlink-request", number, "--link", link_id, "--reason", "关联错误",
                    "--by", DESK)  # fmt: skip
    assert asked == both.get("device_admin", url)
    head = ROLES["unit_head"][1]
    assert head is not None
    ended = both.ok("case", "unlink-approve", number, "--link", link_id, "--by", head)
    assert ended == both.get("device_admin", url)
    today = both.get("device_admin", "/retention/expiring")["today"]
    dated = both.ok("case", "dates", number, "--decided", today, "--by", DESK)
    assert dated == both.get("device_admin", url)
    termed = both.ok(
        "case", "term", number, "--term", "permanent", "--reason", "重大", "--by", DESK
    )
    assert termed == both.get("device_admin", url)
    assert both.ok("case", "list", "--by", DESK)["cases"] == both.get("device_admin", "/cases")
    [hold] = both.ok("hold", "place", "--recording", str(other), "--reason", "诉讼", "--by", DESK)[
        "holds"
    ]
    assert [hold] == both.get("device_admin", "/holds")
    assert both.ok("hold", "list", "--by", DESK)["holds"] == both.get("device_admin", "/holds")
    asked_hold = both.ok(
        "hold", "release-request", str(hold["id"]), "--reason", "办结", "--by", DESK
    )
    assert [asked_hold] == both.get("device_admin", "/holds")
    archived = both.ok("case", "archive", number, "--archived", today, "--by", DESK)
    assert (
        archived == both.get("device_admin", url) == both.ok("case", "show", number, "--by", DESK)
    )
    for rid in (recording, other):  # 永久 and held: kept without end, null on both sides
        shown = both.ok("recording", "show", str(rid))
        assert shown == both.get("device_admin", f"/recordings/{rid}")
        assert shown["retain_until"] is None
    report = both.ok("retention", "report", "--by", DESK)
    assert report == both.get("device_admin", "/retention/expiring")


def test_cli_documents_are_the_api_bodies(both: Both, tmp_path: Path) -> None:
    """Every command of TWINS, run in one office and compared with its API twin."""
    org_objects(both)
    equipment_objects(both)
    custody_objects(both)
    evidence_and_audit_objects(both, tmp_path)
    activity_objects(both)
    retention_objects(both)
    assert both.ran == set(TWINS), sorted(set(TWINS) - both.ran)

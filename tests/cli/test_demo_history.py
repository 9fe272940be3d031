"""``lawcam demo`` is realistic (issue 14 item 7): two weeks of custody in office hours, issued and
taken back by named device administrators, recordings spread over the days and found in the
ledger's 记录内容, and every state of every workflow present — custody, faults and repairs, loss
and damage cases, procurements, late and flagged uploads, notices. The accounts table prints
cleanly without a terminal. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lawcam.access.models import AccessRequest, Sample, SampleItem, ViewSession
from lawcam.custody.models import FaultReport, LossCase, Notification, RepairOrder
from lawcam.evidence.models import Correction, Recording
from lawcam.timeutil import SHANGHAI, utcnow
from tests.cli.conftest import Cli

pytestmark = [pytest.mark.req("R9.2"), pytest.mark.req("R16.1"), pytest.mark.req("R17.1")]

BOX_DRAWING = re.compile("[\u2500-\u257f]")


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(SHANGHAI)


@pytest.fixture
def demo(cli: Cli) -> tuple[Cli, str]:
    """The demo seeded by a plain run (stdout is not a terminal here, as when piped)."""
    result = cli("demo", "--no-serve")
    assert result.exit_code == 0, result.stderr
    return cli, result.stdout


def test_accounts_table_prints_cleanly_without_a_terminal(demo: tuple[Cli, str]) -> None:
    _, printed = demo
    assert "\x1b" not in printed and not BOX_DRAWING.search(printed)
    lines = printed.splitlines()
    header = lines.index("用户名\t初始密码\t姓名\t角色\t单位")
    accounts = [line.split("\t") for line in lines[header + 1 :] if "\t" in line]
    assert {row[0] for row in accounts} >= {"center_admin", "officer1", "auditor"}
    assert all(len(row) == 5 and all(row) for row in accounts)


@pytest.mark.req("R11.1")
def test_custody_over_weeks_in_office_hours_by_named_people(demo: tuple[Cli, str]) -> None:
    cli, _ = demo
    periods = cli.ok("report", "ledger")["periods"]
    assert len(periods) >= 40
    whole_days = [p for p in periods if p["handed_over_from_id"] is None]
    issued = [_local(p["issued_at"]) for p in whole_days]
    assert all(time(7, 30) <= t.time() <= time(9, 30) for t in issued)
    assert len({t.date() for t in issued}) >= 8  # spread over the weeks
    assert len({t.time() for t in issued}) >= len(issued) // 2  # not all at one instant
    returns = [p for p in periods if p["returned_at"] and p["condition"]]
    back = [_local(p["returned_at"]) for p in returns if not p["returned_to"].startswith("交接")]
    assert all(time(17, 0) <= t.time() <= time(19, 30) for t in back)
    # Named administrators at the desk, never the console's operating-system user.
    assert not any(p["issued_by"].startswith("os:") for p in periods)
    issuers = Counter(p["issued_by"] for p in periods)
    assert any(n.endswith("(center_admin)") for n in issuers)
    assert any(n.endswith("(eng_admin)") for n in issuers)
    # Every custody state: handovers, 超限理由 and 例外理由, out now, overdue, each condition.
    assert any(p["handed_over_from_id"] for p in periods)
    labels = Counter(p["reason_label"] for p in periods if p["override_reason"])
    assert labels["超限理由"] >= 1 and labels["例外理由"] >= 1
    now = datetime.now(SHANGHAI)
    out = [_local(p["issued_at"]) for p in periods if p["returned_at"] is None]
    assert any(now - t < timedelta(hours=24) for t in out)  # out now
    assert any(now - t > timedelta(hours=48) for t in out)  # an overdue return
    assert {p["condition"] for p in periods} >= {"ok", "damaged", "faulty", "lost", None}


def test_recordings_fill_the_ledgers_content(demo: tuple[Cli, str]) -> None:
    cli, _ = demo
    periods = cli.ok("report", "ledger")["periods"]
    closed = [p for p in periods if p["returned_at"]]
    recorded = [p["recordings"] for p in closed]
    assert sum(r["count"] for r in recorded) >= 60
    assert sum(1 for r in recorded if r["count"]) >= len(closed) * 0.8
    days = {_local(p["issued_at"]).date() for p in closed if p["recordings"]["count"]}
    assert len(days) >= 8
    longest = max(r["duration_s"] for r in recorded)
    assert longest >= 120  # real durations, minutes long
    database = cli.database()
    try:
        with database.read() as session:
            rows = session.scalars(select(Recording)).all()
    finally:
        database.dispose()
    # Every recording attributed from the ledger is in exactly one period's 记录内容 (the
    # activities' evening scenes add recordings outside custody, named by officer).
    from_custody = [r for r in rows if r.officer_source == "custody"]
    assert len(from_custody) >= 100
    assert sum(p["recordings"]["count"] for p in periods) == len(from_custody)
    late = [r for r in rows if r.uploaded_late]
    assert late and len(late) < len(rows)  # late uploads (第十四条) and on-time ones
    problems = Counter(p["code"] for r in rows for p in r.problems)
    assert problems["clock_offset"] >= 1 and problems["truncated"] >= 1


def _all(cli: Cli, model: type) -> list[Any]:
    database = cli.database()
    try:
        with database.read() as session:
            return list(session.scalars(select(model)).all())
    finally:
        database.dispose()


def test_every_workflow_state_is_present(demo: tuple[Cli, str]) -> None:
    cli, _ = demo
    faults = Counter(f.status for f in _all(cli, FaultReport))
    assert set(faults) == {"reported", "registered", "in_repair", "closed"}
    orders = _all(cli, RepairOrder)
    assert any(o.completed_at for o in orders) and any(o.completed_at is None for o in orders)
    cases = _all(cli, LossCase)
    assert {(c.kind, c.cause) for c in cases} == {
        ("damage", "misuse"),
        ("damage", "no_fault"),
        ("loss", None),
    }
    assert [str(c.compensation) for c in cases if c.cause == "misuse"] == ["3280.00"]
    notes = [c for c in _all(cli, Correction) if c.field == "note"]  # beside, never over
    assert notes and all(c.corrected_by.endswith("(center_admin)") for c in notes)
    notices = _all(cli, Notification)
    assert notices and any(n.read_at is None for n in notices)
    again = cli.ok("demo", "--no-serve")  # already seeded: shows the same office
    summary = again["equipment"]
    assert summary["procurements"] == {"pending": 1, "approved": 2, "rejected": 1}
    assert summary["over_budget_approved"] == 1
    statuses = summary["devices_by_status"]
    assert {"checked_out", "in_stock", "faulty", "in_repair", "lost"} <= set(statuses)
    custody = cli.ok("audit", "list", "--tag", "custody:", "--limit", "10000")["events"]
    assert custody and not any(e["actor"].startswith("os:") for e in custody)
    # The whole log, custody and the evening inspections alike, in the order it happened.
    listed = cli.ok("audit", "list", "--limit", "10000")
    log = listed["events"]
    assert listed["total"] == len(log)  # all of it
    times = [e["occurred_at"] for e in log]
    assert times == sorted(times) or times == sorted(times, reverse=True)
    assert again["activities"] is None  # already seeded: nothing played again


@pytest.mark.req("R15.2")
def test_every_state_of_access_by_approval_is_present(demo: tuple[Cli, str]) -> None:
    """第十五条 in the demo: approved and watched then expired (a later look refused), provided
    outside and revoked, rejected with its reason, approved and live, and one waiting."""
    cli, printed = demo
    requests = sorted(
        (r for r in _all(cli, AccessRequest) if r.sample_id is None), key=lambda r: r.id
    )
    assert [r.status for r in requests] == [
        "approved",
        "revoked",
        "rejected",
        "approved",
        "pending",
    ]
    assert [r.approver for r in requests] == [
        "unit_head",
        "office_leader",
        "unit_head",
        "unit_head",
        "unit_head",
    ]
    assert requests[0].expires_at < utcnow() < requests[3].expires_at  # type: ignore[operator]
    assert requests[2].decision_reason and requests[1].revoke_reason
    [view] = _all(cli, ViewSession)
    assert view.request_id == requests[0].id and view.bytes_served > 0
    refused = cli.ok("audit", "list", "--tag", "access:content:refuse")["events"]
    assert len(refused) == 1
    assert "调阅审批：申请 5 份（待审批 1，有效授权 1，已过期 1，已驳回 1，已撤销 1" in printed
    # 第十三条: engineering supervision's sample of three, two results recorded (one 不规范).
    [sample] = _all(cli, Sample)
    results = sorted(str(item.result) for item in _all(cli, SampleItem))
    assert results == ["None", "compliant", "noncompliant"] and sample.population >= 3
    assert "执法规范抽查：1 次，抽取 3 条，已评查 2 条" in printed

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
from sqlalchemy.orm import Session

from lawcam.access.models import AccessRequest, Sample, SampleItem, ViewSession
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.compliance import queries as findings
from lawcam.compliance import service as compliance
from lawcam.compliance.models import Finding, FindingDocument
from lawcam.compliance.types import FindingEvent, FindingStatus, Rule
from lawcam.custody.models import FaultReport, LossCase, Notification, RepairOrder
from lawcam.evidence.models import Correction, Disposition, Recording
from lawcam.org import accounts
from lawcam.org.models import Account
from lawcam.retention import disposal
from lawcam.retention.effective import derive
from lawcam.retention.models import CaseLink, DisposalBatch, LegalHold, PenaltyCase
from lawcam.timeutil import SHANGHAI, add_years, today_shanghai, utcnow
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
    # All but the older recorder's cards docked in 2024 and 2025 (demo.retention: recordings
    # past their two years), played after the office was set up with the dates they happened.
    setup = min(e["occurred_at"] for e in log if e["tag"] == "org:unit:create")
    older = {e["tag"] for e in log if e["occurred_at"] < setup}
    assert older == {"evidence:ingest:run", "evidence:recording:ingest"}
    times = [e["occurred_at"] for e in log if e["occurred_at"] >= setup]
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
    assert len(refused) == 4  # after the grant expired; three more by a colleague (demo.findings)
    assert "调阅审批：申请 5 份（待审批 1，有效授权 1，已过期 1，已驳回 1，已撤销 1" in printed
    # 第十三条: engineering supervision's sample of three, two results recorded (one 不规范).
    [sample] = _all(cli, Sample)
    results = sorted(str(item.result) for item in _all(cli, SampleItem))
    assert results == ["None", "compliant", "noncompliant"] and sample.population >= 3
    assert "执法规范抽查：1 次，抽取 3 条，已评查 2 条" in printed


@pytest.mark.req("R14.3")
@pytest.mark.req("R14.2")
@pytest.mark.req("R15.1")
def test_every_state_of_cases_holds_and_disposal_is_present(demo: tuple[Cli, str]) -> None:
    """第十四条第（二）项、第（三）项 in the demo: an open case with its activity and recordings (one
    unlink waiting on the unit head), cases archived for 30 years and 永久 keeping their
    recordings, a hold and one whose release waits, and disposal batches run, approved (to run)
    and waiting on engineering supervision — each as the demo logins find it."""
    cli, _ = demo
    cases = {c.number: c for c in _all(cli, PenaltyCase)}
    assert {c.status for c in cases.values()} >= {"open", "archived"}
    links = _all(cli, CaseLink)
    live = [link for link in links if link.unlinked_at is None]
    open_case = cases["人防罚〔2026〕15 号"]
    mine = [link for link in live if link.case_id == open_case.id]
    assert open_case.status == "open" and sum(1 for x in mine if x.activity_id) == 1
    assert sum(1 for x in mine if x.recording_id and not x.unlink_requested_at) == 2
    [asked] = [x for x in mine if x.unlink_requested_at]  # waits for center_head
    assert asked.unlink_reason and asked.unlink_requested_by.endswith("(center_admin)")
    archived = [c for c in cases.values() if c.archived_on is not None]
    assert sorted(c.term_years for c in archived) == [0, 30]  # 永久 and 30 年
    database = cli.database()
    try:
        with database.read() as session:
            for case in archived:
                [kept] = [x.recording_id for x in live if x.case_id == case.id]
                retention = derive(session, [kept])[kept]
                if case.term_years:
                    assert case.archived_on is not None
                    assert retention.retain_until == add_years(case.archived_on, 30)
                else:
                    assert retention.retain_until is None  # 长期保存
            held = list(session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None))))
            assert len(held) >= 2 and all(h.reason for h in held)
            waiting = [h for h in held if h.release_requested_at is not None]
            assert len(waiting) == 1 and waiting[0].release_reason
            batches = {b.status: b for b in session.scalars(select(DisposalBatch))}
            assert set(batches) == {"done", "approved", "head_approved"}
            done, ready = batches["done"], batches["approved"]
            assert done.head_by.endswith("(center_head)")
            assert done.supervision_by.endswith("(engineering)")
            assert ready.supervision_by and ready.run_at is None  # center_admin may run it
            assert not batches["head_approved"].supervision_by  # engineering's to approve
            gone = {d.recording_id: d for d in session.scalars(select(Disposition))}
            assert set(gone) == {item.recording_id for item in done.items}
            assert all(d.signature and d.batch_id == done.id for d in gone.values())
            assert {item.outcome for item in done.items} == {"disposed"}
            ready_ids = [item.recording_id for item in ready.items]
            today = today_shanghai()
            assert all(r.expired(today) for r in derive(session, ready_ids).values())
            admin = _login(session, "center_admin")
            dry = disposal.candidates(session=session, actor=admin, unit_id=ready.unit_id)
            due = {r.recording_id for r in dry}
            assert set(ready_ids) <= due and not due & set(gone)
            assert not due & {h.recording_id for h in held}
            assert due - {i.recording_id for b in batches.values() for i in b.items}  # unproposed
    finally:
        database.dispose()
    assert cli.ok("verify")["problems"] == []  # the disposed originals, each with its record


def _login(session: Session, username: str) -> Actor:
    account = session.scalars(select(Account).where(Account.username == username)).one()
    return accounts.actor_for(account, "web")


@pytest.mark.req("R18.1")
@pytest.mark.req("R13.1")
def test_findings_of_every_rule_in_every_review_state(demo: tuple[Cli, str]) -> None:
    """第十八条 in the demo: a finding of every rule (第十二条's unannounced recording and
    第十三条's 不规范 sample among them) and every state of the review — confirmed with the measure
    (one upheld on review), dismissed after the officer's statement, overturned by engineering
    supervision, cured by a late explanation, and officer1's waiting with the statement window
    open — each step audited; what verify found shown to the auditor; verify itself clean."""
    cli, _ = demo
    rows = _all(cli, Finding)
    assert {f.rule for f in rows} == set(Rule)
    assert {f.status for f in rows} == set(FindingStatus)
    by_status: dict[str, list[Finding]] = {}
    for row in rows:
        by_status.setdefault(row.status, []).append(row)
    confirmed = by_status["confirmed"]
    assert len(confirmed) >= 2 and all(f.measure and f.decision_reason for f in confirmed)
    assert all(f.statement and f.decided_by.endswith("(center_head)") for f in confirmed)
    assert any(f.reviewed_by.endswith("(engineering)") for f in confirmed)  # upheld
    [overturned] = by_status["overturned"]
    assert overturned.decision == "confirmed" and overturned.review_reason
    assert overturned.reviewed_by.endswith("(engineering)")
    heard = [f for f in by_status["dismissed"] if f.statement]  # the expired-grant view
    assert [f.rule for f in heard] == ["access_denied"] and heard[0].decision_reason
    cured = by_status["cured"]
    assert any(f.rule == "interruption_unexplained" for f in cured)
    assert all(f.cured_at and not f.decided_at for f in cured)
    now = utcnow()
    database = cli.database()
    try:
        with database.read() as session:
            officer1 = _login(session, "officer1")
            mine = findings.list_findings(
                session=session,
                actor=officer1,
                where=findings.FindingFilter(status=FindingStatus.PENDING),
            )
            assert len(mine) >= 3 and all(f.person_id == officer1.person_id for f in mine)
            assert all(f.statement_due and f.statement_due > now for f in mine)
            assert {"manual", "late_upload", "not_announced"} <= {f.rule for f in mine}
            [manual] = [f for f in mine if f.rule == "manual"]
            assert manual.found_by.endswith("(center_head)")
            documents = list(session.scalars(select(FindingDocument)))
            assert (manual.id, "evidence") in {(d.finding_id, d.role) for d in documents}
            assert "statement" in {d.role for d in documents}
            auditor = findings.list_findings(session=session, actor=_login(session, "auditor"))
            assert {f.rule for f in auditor} == {"tampering", "object_missing", "access_denied"}
            assert all(f.person_id is None for f in auditor if f.rule != "access_denied")
            # Every step audited: found, recorded, statement, decision, review, cure.
            tags = Counter(
                session.scalars(select(AuditEvent.tag).where(AuditEvent.tag.like("compliance:%")))
            )
            assert tags[FindingEvent.FOUND] + tags[FindingEvent.RECORDED] == len(rows)
            assert tags[FindingEvent.CURED] == len(cured) and tags[FindingEvent.SWEPT] >= 2
            assert tags[FindingEvent.REVIEWED] == sum(1 for f in rows if f.reviewed_at)
            assert tags[FindingEvent.DECIDED] == sum(1 for f in rows if f.decided_at)
        with database.unit_of_work() as session:  # the demo's sweeps left nothing to find
            again = compliance.run_sweep(
                session=session, actor=_login(session, "engineering"), settings=cli.settings()
            )
            assert again.new == [] and again.cured == []
    finally:
        database.dispose()
    assert cli.ok("verify")["problems"] == []  # what "verify found" altered nothing

"""The compliance dashboards (第十八条, R18.1; issue 18 item 4): the numbers each role's home shows,
for a small scene built through the services: two activities of 执法二处 today (one with a
recording docked in time, one with none); two of 40 days ago (one whose clips were docked late,
a gap left unexplained; one with none); two checkouts (one passing its checks, one issued over a
failed check); three refused accesses; what a verify run found."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lawcam.access import service as access
from lawcam.access.types import AccessAction, Refusal
from lawcam.activities.models import Activity
from lawcam.audit.integrity import IntegrityProblem
from lawcam.authz import Actor, Role
from lawcam.compliance import dashboards
from lawcam.compliance import service as compliance
from lawcam.compliance.dashboards import Rates, months_to
from lawcam.compliance.service import ManualFinding
from lawcam.config import Settings
from lawcam.custody import service as custody
from lawcam.custody.types import CheckLimits, CheckoutIn, Condition, PreUseCheck
from lawcam.db import Database
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web import svgcharts
from tests.factories import Office
from tests.unit.activities.test_service import BASE, add, admin, card, data, docked, officer
from tests.unit.activities.test_service import office as office
from tests.unit.compliance.test_sweep import head_of_unit2, swept

pytestmark = pytest.mark.req("R18.1")

LATE = timedelta(days=40)  # always an earlier month than the other two


def scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp: Path
) -> None:
    ago = -int(LATE.total_seconds())
    docked(database, settings, office, card(tmp, "now", [(0, 30)]))  # in time, half of 0–60
    add(database, settings, admin(office), data(office, 0, 60))
    add(database, settings, admin(office), data(office, 1000, 1060))  # nothing recorded
    docked(database, settings, office, card(tmp, "late", [(ago + 10, 20), (ago + 200, 20)]))
    add(database, settings, admin(office), data(office, ago, ago + 220))  # late, a gap
    add(database, settings, admin(office), data(office, ago + 3000, ago + 3060))  # none
    with database.unit_of_work() as session:
        for battery, reason in ((95, ""), (20, "电量不足，任务紧急，充电宝随行")):
            custody.checkout(
                session=session, actor=admin(office),
                data=CheckoutIn("T2-0001", "T9001", PreUseCheck(battery, 20, 1), reason),
                limits=CheckLimits(),
            )  # fmt: skip
            custody.return_device(
                session=session, actor=admin(office), serial="T2-0001", condition=Condition.OK
            )
        for _ in range(3):
            access.refused(
                session=session, actor=officer(office), recording_id=999_999,
                action=AccessAction.VIEW, why=Refusal.NO_GRANT,
            )  # fmt: skip
        problems = [IntegrityProblem("recording_row_altered", "recording:1", "size is 1")]
        compliance.record_verified(session=session, actor=console, problems=problems)
    swept(database, settings, console)


def month_of_base(rates: list[Rates]) -> Rates:
    label = f"{BASE.astimezone(SHANGHAI):%Y-%m}"
    return next(r for r in rates if r.month == label)


def test_each_board_counts_the_scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> None:
    scene(database, settings, console, office, tmp_path)
    now, days = utcnow(), settings.repair_count_days
    with database.read() as session:
        mean = session.scalar(
            select(func.avg(Activity.coverage)).where(Activity.arrived_at >= BASE)
        )
        me = dashboards.officer_board(session=session, actor=officer(office), now=now)
        head = dashboards.unit_board(
            session=session, actor=head_of_unit2(database, office), now=now, repair_days=days
        )
        auditor = Actor(
            label="审计员", source="web", person_id=office.people["auditor"],
            unit_id=office.units["工程监管处"], roles=frozenset({Role.AUDITOR}),
        )  # fmt: skip
        audit = dashboards.audit_board(session=session, actor=auditor, now=now)
        engineering = Actor(
            label="工程监管", source="web", person_id=office.people["engineering"],
            unit_id=office.units["工程监管处"], roles=frozenset({Role.ENGINEERING}),
        )  # fmt: skip
        whole = dashboards.office_board(
            session=session, actor=engineering, now=now, repair_days=days
        )
    # The officer of 执法二处 took part in all three: two without recording for the whole time
    # (no_recording for the empty one), the late one's two clips, its gap unexplained.
    assert me.late_uploads == 2 and len(me.late) == 2
    assert me.unexplained == 1 and "第 1 处中断" in me.gaps[0].text
    assert me.open_findings >= 3  # no_recording, late uploads, the gap
    # The unit head: the officers' statement time runs; the rates of the month.
    assert head.unit == "执法二处" and head.waiting >= me.open_findings
    assert head.ready == 1  # the altered row: nobody concerned yet, so nobody to hear first
    assert len(head.months) == 12 and head.months[-1].month == f"{now.astimezone(SHANGHAI):%Y-%m}"
    recent = month_of_base(head.months)
    assert mean is not None and recent.activities == 2 and recent.coverage == pytest.approx(mean)
    assert 0 < mean < 1 and recent.on_time == 1.0  # the one recorded in time
    # checkouts happen now: this month; one of two passed its checks
    assert head.months[-1].checkouts == 2 and head.months[-1].checks_passed == 0.5
    # 执法二处 is “较多” (1 per 5 officers): 2 officers need 1 device, it has 1 in stock
    assert head.months[-1].ratio_met == 1.0 and head.months[0].ratio_met is None
    assert (
        audit.refused == 3
        and audit.tampering == 1
        and audit.refusals[0].url.startswith("/audit/proof?leaf=")
    )
    by_unit = {r.unit: r for r in whole.rows}
    assert by_unit["执法二处"].this.checks_passed == 0.5
    assert by_unit["执法一处"].this.activities == 0 and by_unit["执法一处"].this.coverage is None
    assert len(whole.trend) == 12 and whole.trend[-1].checkouts == 2


def test_nobody_sees_another_boards_numbers(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> None:
    scene(database, settings, console, office, tmp_path)
    now = utcnow()
    stranger = Actor(
        label="一处负责人", source="web", person_id=office.people["unit_head"],
        unit_id=office.units["执法一处"], roles=frozenset({Role.UNIT_HEAD}),
    )  # fmt: skip
    engineering = Actor(
        label="工程监管", source="web", person_id=office.people["engineering"],
        unit_id=office.units["工程监管处"], roles=frozenset({Role.ENGINEERING}),
    )  # fmt: skip
    with database.unit_of_work() as session:  # about 执法一处's head: not theirs to decide
        compliance.record_manual(
            session=session, actor=engineering, statement_days=0,
            data=ManualFinding(office.people["unit_head"], "二", "投诉：执法时态度粗暴"),
        )  # fmt: skip
    with database.read() as session:
        head = dashboards.unit_board(session=session, actor=stranger, now=now, repair_days=30)
        assert head.waiting == 0 and all(r.activities == 0 for r in head.months)
        assert not dashboards.may_see_rates(session, stranger, office.units["执法二处"])
        assert dashboards.audit_board(session=session, actor=stranger, now=now).refused == 0
        assert (
            dashboards.office_board(session=session, actor=stranger, now=now, repair_days=30).rows
            == []
        )


def test_months_are_beijing_calendar_months_and_the_charts_escape_their_labels() -> None:
    from datetime import UTC, datetime

    months = months_to(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 2027-01-01 01:00 in Beijing
    assert [m.label for m in months][-2:] == ["2026-12", "2027-01"] and len(months) == 12
    assert months[-1].start == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    svg = str(svgcharts.bars("覆盖率<b>", ["2026-11", "2026-12"], [0.5, None]))
    assert svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    assert ">11</text>" in svg and "2026-11" in svg and "50%" in svg and "—" in svg

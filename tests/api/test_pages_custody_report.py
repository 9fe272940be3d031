"""Faults per model for the ICT quality view (R4.1, R16.1); losses per person and unit (R17.1)."""

from __future__ import annotations

import pytest

from lawcam.authz import Role, console_actor
from lawcam.custody import faults
from lawcam.custody.types import CaseKind, LossCause
from tests.api.conftest import login
from tests.factories import Office


@pytest.mark.req("R4.1", "R16.1", "R17.1")
def test_ict_sees_faults_per_model_and_losses_per_unit(client, office: Office, database) -> None:
    console = console_actor("tester")
    with database.unit_of_work() as session:
        faults.report_fault(
            session=session, actor=console, serial="T2-0001", description="按键失灵"
        )
        case = faults.open_loss_case(
            session=session,
            actor=console,
            serial="T2-0001",
            kind=CaseKind.DAMAGE,
            description="跌落损坏",
        )
        faults.decide_loss_case(
            session=session,
            actor=console,
            case_id=case.id,
            cause=LossCause.NO_FAULT,
            decision="不予赔偿",
        )
    login(client, office.user(Role.ICT))
    page = client.get("/reports/custody")
    assert page.status_code == 200
    assert "TEST-BC1" in page.text and "<td>1</td>" in page.text
    assert "执法二处" in page.text and "0.00" in page.text
    client.cookies.clear()
    login(client, office.user(Role.SYSADMIN))
    assert client.get("/reports/custody").status_code == 403


@pytest.mark.req("R16.1")
def test_unit_head_reads_the_fault_notice_and_marks_it_read(
    client, office: Office, database, settings
) -> None:
    from sqlalchemy import select

    from lawcam.custody.models import Notification
    from lawcam.org import service as org

    console = console_actor("tester")
    with database.unit_of_work() as session:
        # 执法二处 gets a unit head so the fault on its device notifies someone.
        org.assign_role(
            session=session, actor=console, person_id=office.people["spare"], role=Role.UNIT_HEAD
        )
        faults.report_fault(
            session=session, actor=console, serial="T2-0001", description="无法开机"
        )
    with database.read() as session:
        note = session.scalars(select(Notification)).one()
    login(client, "u_spare")
    inbox = client.get("/inbox").text
    assert "无法开机" in inbox and "未读" in inbox
    assert client.post(f"/inbox/{note.id}/read", follow_redirects=False).status_code == 303
    assert "未读" not in client.get("/inbox").text
    client.cookies.clear()
    login(client, office.user(Role.UNIT_HEAD))  # 执法一处's head: not the addressee
    assert client.post(f"/inbox/{note.id}/read").status_code == 404

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

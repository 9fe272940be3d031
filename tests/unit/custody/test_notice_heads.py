"""Who is told as the unit head (R16.1; 第十八条 for a finding's statement and review): the
unit's own heads; for a unit without one, the heads of the nearest unit above it — whose scope
covers the units below, so they are the ones who decide there. On the suite's database."""

from __future__ import annotations

import pytest

from lawcam.authz import Actor, Role
from lawcam.custody.notices import unit_heads
from lawcam.db import Database
from lawcam.org import service
from lawcam.org.types import PersonIn, UnitIn

pytestmark = pytest.mark.req("R16.1")


def test_a_unit_without_a_head_reaches_the_head_above(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session:
        top = service.create_unit(session=session, actor=console, data=UnitIn(name="执法总队"))
        middle = service.create_unit(
            session=session, actor=console, data=UnitIn(name="执法支队", parent="执法总队")
        )
        low = service.create_unit(
            session=session, actor=console, data=UnitIn(name="执法大队", parent="执法支队")
        )
        chief = service.create_person(
            session=session, actor=console,
            data=PersonIn(name="总队长", unit="执法总队", badge="H0001", roles=(Role.UNIT_HEAD,)),
        )  # fmt: skip
        deputy = service.create_person(
            session=session, actor=console,
            data=PersonIn(name="大队长", unit="执法大队", badge="H0002", roles=(Role.UNIT_HEAD,)),
        )  # fmt: skip
        ids = (top.id, middle.id, low.id, chief.id, deputy.id)
    top_id, middle_id, low_id, chief_id, deputy_id = ids
    with database.read() as session:
        assert unit_heads(session, low_id) == [deputy_id]  # its own head, not the one above
        assert unit_heads(session, middle_id) == [chief_id]  # none of its own: the nearest above
        assert unit_heads(session, top_id) == [chief_id]
        assert unit_heads(session, None) == []

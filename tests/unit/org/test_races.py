"""Concurrent requests: the database's constraints decide, the loser gets a clear refusal."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from lawcam.authz import Role
from lawcam.errors import Conflict
from lawcam.org import service
from lawcam.org.models import RoleAssignment
from lawcam.org.types import PersonIn, UnitIn


@pytest.mark.req("R9.1")
def test_two_administrators_appointed_at_once(database, console) -> None:
    with database.unit_of_work() as session:
        service.create_unit(session=session, actor=console, data=UnitIn(name="执法一处"))
        ids = [
            service.create_person(
                session=session, actor=console, data=PersonIn(name=f"候选{i}", unit="执法一处")
            ).id
            for i in range(2)
        ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def appoint(person_id: int) -> None:
        try:
            with database.unit_of_work() as session:
                barrier.wait()
                service.assign_role(
                    session=session, actor=console, person_id=person_id, role=Role.DEVICE_ADMIN
                )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=appoint, args=(pid,)) for pid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok"
    assert len(outcomes) == 2 and outcomes.count("ok") == 1
    with database.read() as session:
        active = session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.role == "device_admin", RoleAssignment.revoked_at.is_(None)
            )
        ).all()
    assert len(active) == 1

"""What a workstation may dock (R14.1): the devices and officers of the units the caller
uploads for (``service.ingest_units``), each device with the officer who holds it now, as the
ledger shows (R9.2). The web upload page offers these; the API checks the same scope again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Actor
from lawcam.custody.models import CustodyPeriod
from lawcam.equipment.models import Device
from lawcam.equipment.types import DeviceStatus
from lawcam.evidence.service import ingest_units
from lawcam.org.models import Person

# A device that is gone has nothing left to dock.
GONE = frozenset({DeviceStatus.LOST.value, DeviceStatus.SCRAPPED.value})


@dataclass(frozen=True)
class Dockable:
    device: Device
    holder: Person | None  # who has it out now (None: in stock)


def dockable_devices(session: Session, actor: Actor) -> list[Dockable]:
    units = ingest_units(session, actor)  # also checks that the actor may ingest
    stmt = select(Device).options(selectinload(Device.model), selectinload(Device.unit))
    if units is not None:
        stmt = stmt.where(Device.unit_id.in_(units))
    devices = [d for d in session.scalars(stmt.order_by(Device.serial)) if d.status not in GONE]
    holders = _holders(session, [d.id for d in devices])
    return [Dockable(d, holders.get(d.id)) for d in devices]


def _holders(session: Session, device_ids: list[int]) -> dict[int, Person]:
    stmt = (
        select(CustodyPeriod)
        .where(CustodyPeriod.returned_at.is_(None), CustodyPeriod.device_id.in_(device_ids))
        .options(selectinload(CustodyPeriod.officer))
    )
    return {p.device_id: p.officer for p in session.scalars(stmt)}


def dockable_officers(session: Session, actor: Actor) -> Sequence[Person]:
    """The active officers a docking may name (``service.docking_officer`` checks again)."""
    units = ingest_units(session, actor)
    stmt = select(Person).where(Person.is_officer.is_(True), Person.is_active.is_(True))
    if units is not None:
        stmt = stmt.where(Person.unit_id.in_(units))
    return session.scalars(stmt.where(Person.badge.is_not(None)).order_by(Person.badge)).all()

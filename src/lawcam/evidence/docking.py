"""What a workstation may dock (R14.1): the devices and officers of the units the caller
uploads for (``service.ingest_units``), each device with the officer who holds it now, as the
ledger shows (R9.2). The web upload page offers these; the API checks the same scope again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Actor
from lawcam.custody.models import CustodyPeriod
from lawcam.equipment.models import Device
from lawcam.equipment.types import DeviceStatus
from lawcam.evidence.models import IngestRun, Upload
from lawcam.evidence.service import ingest_units
from lawcam.evidence.uploads import received
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


@dataclass(frozen=True)
class Unfinished:
    upload: Upload
    device_serial: str
    received: int  # bytes the server holds: where the upload continues


def unfinished_uploads(session: Session, actor: Actor, spool: Path) -> list[Unfinished]:
    """The caller's own uploads still open, with what the server has received of each, so
    that a page reloaded (or opened on another computer) knows what is left to send."""
    if actor.account_id is None:
        return []
    stmt = (
        select(Upload, IngestRun)
        .join(IngestRun, Upload.ingest_run_id == IngestRun.id)
        .where(Upload.account_id == actor.account_id, Upload.status == "open")
        .order_by(Upload.opened_at, Upload.name)
    )
    found = []
    for upload, run in session.execute(stmt):
        device = session.get(Device, run.device_id)
        serial = device.serial if device is not None else ""
        found.append(Unfinished(upload, serial, received(spool, upload)))
    return found

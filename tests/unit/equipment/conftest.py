from __future__ import annotations

from decimal import Decimal

import pytest

from lawcam.authz import Actor
from lawcam.db import Database
from lawcam.equipment import service
from lawcam.equipment.types import Category, DeviceIn, DeviceStatus, Feature, ModelIn
from lawcam.org import service as org
from lawcam.org.types import PersonIn, UnitClass, UnitIn

GOOD_BODY_CAMERA = ModelIn(
    maker="海康威视",
    model="DSJ-A8",
    category=Category.BODY_CAMERA,
    video_width=2304,
    video_height=1296,
    photo_mp=36,
    battery_mah=3400,
    record_hours=10,
    storage_gb=64,
    ip_rating="IP68",
    features=(Feature.GPS, Feature.SIGNED_FILES, Feature.NO_DEVICE_DELETE),
)
GOOD_TERMINAL = ModelIn(
    maker="华为",
    model="HT-5",
    category=Category.HANDHELD_TERMINAL,
    video_width=1920,
    video_height=1080,
    photo_mp=48,
    battery_mah=5000,
    record_hours=9,
    storage_gb=128,
    ip_rating="IP67",
)


@pytest.fixture
def unit_many_10(database: Database, console: Actor) -> str:
    """A unit of class 'many' with 10 officers."""
    with database.unit_of_work() as session:
        org.create_unit(
            session=session,
            actor=console,
            data=UnitIn(name="执法中心", unit_class=UnitClass.MANY, zones=("询问室一",)),
        )
        for i in range(10):
            org.create_person(
                session=session,
                actor=console,
                data=PersonIn(
                    name=f"执法员{i}", unit="执法中心", badge=f"2101002{i:04d}", is_officer=True
                ),
            )
        service.create_model(session=session, actor=console, data=GOOD_BODY_CAMERA)
        service.create_model(session=session, actor=console, data=GOOD_TERMINAL)
    return "执法中心"


def device(serial: str, model: str = "DSJ-A8", unit: str = "执法中心", **kw: object) -> DeviceIn:
    values: dict[str, object] = {
        "serial": serial,
        "asset_no": f"ZC-{serial}",
        "model": model,
        "unit": unit,
        "price": Decimal("3280.00"),
        "need": "现场执法全过程记录",
        "status": DeviceStatus.IN_SERVICE,
    }
    values.update(kw)
    return DeviceIn(**values)  # type: ignore[arg-type]

"""Models and specs (Art. 7), devices (Art. 5), budgets and procurement (Art. 8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.equipment import procurement, queries, service
from lawcam.equipment.models import Device
from lawcam.equipment.specs import missing_features, spec_misses
from lawcam.equipment.types import (
    Category,
    DeviceStatus,
    Feature,
    ModelIn,
    ProcurementIn,
    QualityStatus,
    Thresholds,
)
from lawcam.errors import Conflict, InvalidInput
from tests.unit.equipment.conftest import GOOD_BODY_CAMERA, device

WEAK = ModelIn(
    maker="某厂",
    model="OLD-1",
    category=Category.BODY_CAMERA,
    video_width=1280,
    video_height=720,
    photo_mp=12,
    battery_mah=2000,
    record_hours=6,
    storage_gb=8,
    ip_rating="IP54",
)


def audit_count(database) -> int:  # type: ignore[no-untyped-def]
    with database.read() as session:
        return int(session.execute(select(func.count(AuditEvent.id))).scalar_one())


def refused(database, exc, call) -> str:  # type: ignore[no-untyped-def]
    before = audit_count(database)
    with pytest.raises(exc) as info, database.unit_of_work() as session:
        call(session)
    assert audit_count(database) == before
    return str(info.value)


@pytest.mark.req("R7.1")
def test_a_weak_model_lists_every_spec_it_misses(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        weak = service.create_model(session=session, actor=console, data=WEAK)
        good = queries.model_by_name(session, "DSJ-A8")
        limits = queries.current_thresholds(session)
        misses = {m.spec: (m.required, m.actual) for m in spec_misses(weak, limits)}
        assert good is not None and spec_misses(good, limits) == []
    assert misses == {
        "视频分辨率": ("1920×1080", "1280×720"),
        "照片像素": ("3000 万像素", "1200 万像素"),
        "电池容量": ("2500 mAh", "2000 mAh"),
        "连续录像时间": ("8 小时", "6 小时"),
        "存储容量": ("16 GB", "8 GB"),
        "防护等级": ("IP67", "IP54"),
    }


@pytest.mark.req("R7.1")
def test_engineering_thresholds_are_versioned_and_audited(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        service.set_thresholds(
            session=session, actor=console, limits=Thresholds(battery_mah=4000, ip_rating="ip68")
        )
    with database.read() as session:
        limits = queries.current_thresholds(session)
        good = queries.model_by_name(session, "DSJ-A8")
        assert limits.battery_mah == 4000 and limits.ip_rating == "IP68"
        assert good is not None
        assert [m.spec for m in spec_misses(good, limits)] == ["电池容量"]
        tags = session.scalars(select(AuditEvent.tag)).all()
    assert "equipment:thresholds:set" in tags
    assert "防护等级" in refused(
        database,
        InvalidInput,
        lambda s: service.set_thresholds(
            session=s, actor=console, limits=Thresholds(ip_rating="waterproof")
        ),
    )


@pytest.mark.req("R7.2")
def test_special_needs_are_checked_against_the_model(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        service.declare_need(
            session=session, actor=console, unit="执法中心", feature=Feature.EXPLOSION_PROOF
        )
        service.declare_need(session=session, actor=console, unit="执法中心", feature=Feature.GPS)
        needs = queries.unit_needs(session, 1)
        model = queries.model_by_name(session, "DSJ-A8")
        assert model is not None and missing_features(model, needs) == [Feature.EXPLOSION_PROOF]
    refused(
        database,
        Conflict,
        lambda s: service.declare_need(
            session=s, actor=console, unit="执法中心", feature=Feature.GPS
        ),
    )


@pytest.mark.req("R5.1")
@pytest.mark.parametrize(
    ("changes", "exc", "words"),
    [
        ({"need": "   \t"}, InvalidInput, "执法需求"),
        ({"need": ""}, InvalidInput, "第五条"),
        ({"price": Decimal("-1")}, InvalidInput, "购置价格"),
        ({"price": Decimal("0")}, InvalidInput, "购置价格"),
        ({"price": Decimal("99999999")}, InvalidInput, "不超过"),
        ({"price": Decimal("12.345")}, InvalidInput, "两位小数"),
        ({"price": "NaN"}, InvalidInput, "购置价格"),
        ({"price": "Infinity"}, InvalidInput, "购置价格"),
        ({"model": "不存在的型号"}, InvalidInput, "model add"),
        ({"unit": "不存在的处"}, InvalidInput, "不存在"),
        ({"zone": "不存在的专区"}, InvalidInput, "办案专区"),
        ({"asset_no": "有 空格"}, InvalidInput, "资产编号"),
    ],
)
def test_device_bad_input_writes_nothing(
    database, console, unit_many_10, changes, exc, words
) -> None:
    message = refused(
        database,
        exc,
        lambda s: service.create_device(session=s, actor=console, data=device("BC001", **changes)),
    )
    assert words in message


def test_serial_and_asset_number_are_unique(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        service.create_device(session=session, actor=console, data=device("BC001", zone="询问室一"))
    assert "BC001" in refused(
        database,
        Conflict,
        lambda s: service.create_device(
            session=s, actor=console, data=device("BC001", asset_no="ZC-other")
        ),
    )
    assert "ZC-BC001" in refused(
        database,
        Conflict,
        lambda s: service.create_device(
            session=s, actor=console, data=device("BC002", asset_no="ZC-BC001")
        ),
    )


@pytest.mark.req("R4.1")
def test_a_suspended_model_cannot_be_registered(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        model = queries.model_by_name(session, "DSJ-A8")
        assert model is not None
        refused_reason = "须说明理由"
        with pytest.raises(InvalidInput, match=refused_reason):
            service.set_model_quality(
                session=session,
                actor=console,
                model_id=model.id,
                status=QualityStatus.SUSPENDED,
                reason=" ",
            )
        service.set_model_quality(
            session=session,
            actor=console,
            model_id=model.id,
            status=QualityStatus.SUSPENDED,
            reason="批次电池鼓包",
        )
    assert "电池鼓包" in refused(
        database,
        Conflict,
        lambda s: service.create_device(session=s, actor=console, data=device("BC009")),
    )


def test_status_moves_follow_the_lifecycle(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        item = service.create_device(session=session, actor=console, data=device("BC001"))
        service.set_device_status(
            session=session,
            actor=console,
            device_id=item.id,
            status=DeviceStatus.SCRAPPED,
            reason="到期报废",
        )
    assert "报废" in refused(
        database,
        Conflict,
        lambda s: service.set_device_status(
            session=s, actor=console, device_id=item.id, status=DeviceStatus.IN_SERVICE
        ),
    )
    with database.read() as session:
        assert session.get_one(Device, item.id).status == "scrapped"  # kept, never deleted


def _purchase(qty: int = 2, price: str = "3280.00") -> ProcurementIn:
    return ProcurementIn(
        unit="执法中心",
        year=2026,
        purchased_on=date(2026, 3, 1),
        supplier="某科技有限公司",
        model=GOOD_BODY_CAMERA.model,
        quantity=qty,
        unit_price=Decimal(price),
    )


@pytest.mark.req("R8.1")
def test_purchase_over_budget_needs_finance_reason(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        procurement.set_budget(
            session=session, actor=console, unit="执法中心", year=2026, amount="10000"
        )
        first = procurement.record_procurement(session=session, actor=console, data=_purchase())
        procurement.approve_procurement(session=session, actor=console, procurement_id=first.id)
        second = procurement.record_procurement(
            session=session, actor=console, data=_purchase(qty=2)
        )
    assert first.total == Decimal("6560.00")
    message = refused(
        database,
        Conflict,
        lambda s: procurement.approve_procurement(
            session=s, actor=console, procurement_id=second.id
        ),
    )
    assert "6,560.00" in message and "3,440.00" in message and "超支理由" in message
    with database.unit_of_work() as session:
        approved = procurement.approve_procurement(
            session=session,
            actor=console,
            procurement_id=second.id,
            overrun_reason="执法中心新增人员，经办公会同意追加",
        )
        assert approved.overrun_reason.startswith("执法中心")
    with database.read() as session:
        rows = {
            r["unit"]: r for r in queries.budget_report(session=session, actor=console, year=2026)
        }
    assert rows["执法中心"]["spent"] == Decimal("13120.00")
    assert rows["执法中心"]["remaining"] == Decimal("-3120.00")
    assert rows["执法中心"]["over_budget"] is True


@pytest.mark.req("R8.1")
def test_devices_link_to_their_approved_purchase(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        procurement.set_budget(
            session=session, actor=console, unit="执法中心", year=2026, amount="100000"
        )
        purchase = procurement.record_procurement(
            session=session, actor=console, data=_purchase(qty=1)
        )
    assert "批准" in refused(
        database,
        Conflict,
        lambda s: service.create_device(
            session=s, actor=console, data=device("BC001", procurement_id=purchase.id)
        ),
    )
    with database.unit_of_work() as session:
        procurement.approve_procurement(session=session, actor=console, procurement_id=purchase.id)
        service.create_device(
            session=session, actor=console, data=device("BC001", procurement_id=purchase.id)
        )
    assert "全部登记" in refused(
        database,
        Conflict,
        lambda s: service.create_device(
            session=s, actor=console, data=device("BC002", procurement_id=purchase.id)
        ),
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"quantity": 0}, "数量"),
        ({"unit_price": Decimal("-5")}, "单价"),
        ({"supplier": "  "}, "供应商"),
        ({"year": 1999}, "年度"),
        ({"purchased_on": date(2099, 1, 1)}, "晚于今天"),
    ],
)
def test_procurement_bad_input(database, console, unit_many_10, changes, words) -> None:
    data = _purchase()
    values = {**data.__dict__, **changes}
    assert words in refused(
        database,
        InvalidInput,
        lambda s: procurement.record_procurement(
            session=s, actor=console, data=ProcurementIn(**values)
        ),
    )


@pytest.mark.req("R7.2")
def test_specs_report_lists_recorders_lacking_a_declared_need(
    database, console, unit_many_10
) -> None:
    with database.unit_of_work() as session:
        service.create_model(
            session=session,
            actor=console,
            data=ModelIn(maker="华德安", model="CJZ-16", category=Category.STORAGE),
        )
        service.create_device(session=session, actor=console, data=device("BC001"))
        service.create_device(session=session, actor=console, data=device("WS001", model="CJZ-16"))
        service.declare_need(
            session=session, actor=console, unit="执法中心", feature=Feature.NIGHT_VISION
        )
    with database.read() as session:
        report = queries.specs_report(session=session, actor=console)
    assert [(d["serial"], d["missing"]) for d in report["devices"]] == [("BC001", ["night_vision"])]
    weak = {m["model"]: m for m in report["models"]}
    assert weak["DSJ-A8"]["conforms"] is True and weak["CJZ-16"]["assessed"] is False


def test_lost_or_scrapped_needs_a_reason(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        item = service.create_device(session=session, actor=console, data=device("BC001"))
    for status in (DeviceStatus.LOST, DeviceStatus.SCRAPPED):
        assert "原因" in refused(
            database,
            InvalidInput,
            lambda s, st=status: service.set_device_status(
                session=s, actor=console, device_id=item.id, status=st, reason="  "
            ),
        )
    assert "在库" in refused(
        database,
        InvalidInput,
        lambda s: service.create_device(
            session=s, actor=console, data=device("BC002", status=DeviceStatus.LOST)
        ),
    )

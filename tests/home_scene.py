"""Work for every role's home page (issue 14), made through the real services in 执法一处 (the
unit of the office's unit roles), with the numbers each home must show.

执法一处 gets four devices: the officer has held YC-1 for 30 hours (an overdue return, and its
recordings wait for upload); 执法员乙 took YC-2 an hour ago; the officer returned YC-3 an hour
ago, not yet docked (waiting for upload too); YC-4 is reported faulty (the unit head's unread
fault report) and has a loss case waiting for the unit head's decision. A docking of YC-2
brings in recordings, some of them late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from lawcam.activities.queries import LateFilter, late_uploads
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.custody import faults, service
from lawcam.custody.types import CaseKind, CheckLimits, CheckoutIn, Condition, PreUseCheck
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.models import DeviceModel
from lawcam.equipment.types import DeviceIn
from lawcam.org import accounts
from lawcam.org import service as org
from lawcam.org.models import Account
from lawcam.org.types import PersonIn
from lawcam.timeutil import clock_at
from tests.evidence_helpers import ingest, sample_folder
from tests.factories import Office

UNIT = "执法一处"
GOOD = PreUseCheck(battery_pct=95, free_hours=20, clock_offset_s=1)


@dataclass(frozen=True)
class Expected:
    """What each home must show, by the tile's words (data-work on the page)."""

    holding: str  # the officer's device, as the tile names it
    counts: dict[str, dict[str, int]]  # role → {work label → number}


def actor_of(database: Database, username: str) -> Actor:
    with database.read() as session:
        account = session.scalars(select(Account).where(Account.username == username)).one()
        return accounts.actor_for(account, "web")


def build_scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> Expected:
    admin = actor_of(database, office.user("device_admin"))
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        model = session.get(DeviceModel, office.equipment["model"])
        assert model is not None
        for n in range(1, 5):
            equipment.create_device(
                session=session,
                actor=admin,
                data=DeviceIn(
                    serial=f"YC-{n}",
                    asset_no=f"ZC-YC-{n}",
                    model=model.model,
                    unit=UNIT,
                    price=Decimal("3280.00"),
                    need="现场执法全过程记录",
                ),
            )
        org.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="执法员乙", unit=UNIT, badge="T8002", is_officer=True),
        )
    officer_badge = "T0000"  # tests.factories: the officer is the first role, badge T0000
    _checkout(database, admin, "YC-1", officer_badge, now - timedelta(hours=30))
    _checkout(database, admin, "YC-3", officer_badge, now - timedelta(hours=5))
    with clock_at(now - timedelta(hours=1)), database.unit_of_work() as session:
        service.return_device(session=session, actor=admin, serial="YC-3", condition=Condition.OK)
    _checkout(database, admin, "YC-2", "T8002", now - timedelta(hours=1))
    with database.unit_of_work() as session:
        faults.report_fault(session=session, actor=admin, serial="YC-4", description="无法开机")
    with database.unit_of_work() as session:
        faults.open_loss_case(
            session=session,
            actor=admin,
            serial="YC-4",
            kind=CaseKind.DAMAGE,
            description="摔落导致外壳破裂",
        )
    ingest(database, settings, admin, sample_folder(tmp_path), serial="YC-2")
    with database.read() as session:  # 第十四条 as the late list counts it (no activity here:
        # each recording's own end + 24 h against the docking)
        where, hours = LateFilter(), settings.upload_deadline_hours
        late = len(late_uploads(session, admin, where, hours))
    assert late, "the sample folder holds a late recording"
    return Expected(
        holding="YC-1",
        counts={
            "officer": {"我领用的设备": 1, "台设备的资料待上传": 2, "未读消息": 0},
            "device_admin": {
                "领用未归还的设备": 2,
                f"超过 {settings.custody_return_hours} 小时未归还": 1,
                "未结束的故障": 1,
                "迟交的资料": int(late),
            },
            "unit_head": {
                "未读的故障报告": 1,
                "待决定的丢失、损坏案件": 1,
                "未读消息": 1,
                "待审批的调阅申请": 0,
            },
            # tests.factories: one pending purchase of 执法二处.
            "finance": {"待审批的采购": 1},
            "ict": {"未结束的故障（按型号）": 1, "送修待完成": 0},
            # 二处执法员 and 执法员乙 have no account.
            "sysadmin": {"被锁定的账号": 0, "仍用临时密码的账号": 0, "尚未开设账号的人员": 2},
            # 执法一处 has its administrator; the other four units have none.
            "secadmin": {"未设执法记录仪管理员的单位": 4},
            "auditor": {},
            # 工程监管处 ("fewer", target 1) has no device; the others reach their number.
            "engineering": {"配备不足的单位": 1},
            # 分管领导: no access request waits for them here (第十五条).
            "office_leader": {"待审批的调阅申请": 0},
        },
    )


def _checkout(database: Database, admin: Actor, serial: str, badge: str, at: datetime) -> None:
    with clock_at(at), database.unit_of_work() as session:
        service.checkout(
            session=session,
            actor=admin,
            data=CheckoutIn(serial=serial, officer_badge=badge, check=GOOD),
            limits=CheckLimits(),
        )

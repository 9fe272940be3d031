"""Penalty cases on a real SeaweedFS (R14.3, R14.2, R15.1): linking a recording puts the
store's own legal hold on it, archiving extends its COMPLIANCE lock to the archive date + the
case file's term (a 永久 case keeps the hold), and the store itself refuses a deletion — a raw
one, or a disposal the database was fooled into thinking due — until that date. Verify compares
the store's holds with the rows and names one switched off behind lawcam's back."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import func, select

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import integrity
from lawcam.evidence.models import Disposition
from lawcam.retention.integrity import check_retention
from lawcam.retention.types import Outcome
from lawcam.storage import Protection, address
from lawcam.storage.s3 import S3Store
from lawcam.timeutil import add_years, clock_at, lock_until, today_shanghai
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2"), pytest.mark.req("R15.1")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, s3_store: S3Store) -> Scene:
    return build_scene(database, settings, console, s3_store, settings.home)


def store_of(scene: Scene) -> S3Store:
    assert isinstance(scene.store, S3Store)
    return scene.store


def sha_of(scene: Scene, rid: int) -> str:
    return scene.recording(rid).sha256


def protection(scene: Scene, rid: int) -> Protection:
    found = store_of(scene).protection(sha_of(scene, rid))
    assert found is not None
    return found


def original_version(store: S3Store, key: str) -> str:
    listed = store.client.list_object_versions(Bucket=store.bucket, Prefix=key)
    [original] = [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == key]
    return str(original)


def raw_delete_refused(scene: Scene, rid: int) -> str:
    """A plain boto3 deletion of the original version, by its id: the server's answer."""
    store = store_of(scene)
    key = address(sha_of(scene, rid))
    with pytest.raises(ClientError) as refused:
        store.client.delete_object(
            Bucket=store.bucket, Key=key, VersionId=original_version(store, key)
        )
    return str(refused.value.response["Error"]["Code"])


def verify(scene: Scene) -> list[str]:
    found = integrity.verify(
        database=scene.database, store=scene.store, public_key=scene.signer.public_key,
        actor=scene.console, also=(check_retention,),
    )  # fmt: skip
    return [f"{p.kind} {p.subject}" for p in found.problems]


def test_archiving_extends_the_store_lock_and_the_store_refuses_deletion_until_then(
    scene: Scene, tmp_path: Path
) -> None:
    ids = scene.dock(tmp_path, count=2)
    case = scene.case(number="京执罚〔2026〕10号", term="10y")
    for rid in ids:
        scene.link(case, rid)
    for rid in ids:  # open case: held by the store itself, with no date
        assert protection(scene, rid).legal_hold is True
        assert raw_delete_refused(scene, rid) == "AccessDenied"
    archived_on = today_shanghai()
    scene.archive(case, archived_on)
    wanted = lock_until(add_years(archived_on, 10))
    for rid in ids:
        found = protection(scene, rid)
        assert (found.lock_mode, found.retain_until) == ("COMPLIANCE", wanted)
        assert found.legal_hold is False  # released after the commit: the date now keeps it
        assert raw_delete_refused(scene, rid) == "AccessDenied"
    assert verify(scene) == []


def test_a_permanent_case_keeps_the_hold_and_verify_names_one_switched_off(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    case = scene.case(number="京执罚〔2026〕11号", term="permanent")
    scene.link(case, rid)
    scene.archive(case, today_shanghai())
    found = protection(scene, rid)
    assert found.legal_hold is True and found.lock_mode == "COMPLIANCE"
    assert raw_delete_refused(scene, rid) == "AccessDenied"
    assert verify(scene) == []
    store = store_of(scene)  # behind lawcam's back: a raw call switches the hold off
    key = address(sha_of(scene, rid))
    store.client.put_object_legal_hold(
        Bucket=store.bucket, Key=key, VersionId=original_version(store, key),
        LegalHold={"Status": "OFF"},
    )  # fmt: skip
    assert protection(scene, rid).legal_hold is False
    assert verify(scene) == [f"object_not_held recording:{rid}"]


def test_a_disposal_the_database_thinks_due_is_refused_by_the_store_itself(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)  # locked by the store for two years from today
    sha256 = sha_of(scene, rid)
    later = datetime.now(UTC) + timedelta(days=3 * 366)  # the services' clock: past the date
    with clock_at(later):
        batch_id = scene.propose([rid])
        scene.approve(batch_id, "head")
        scene.approve(batch_id, "engineering")
        report = scene.run(batch_id)
    assert report.outcomes == {rid: str(Outcome.REFUSED)}
    assert "locked until" in report.notes[rid]
    store = store_of(scene)
    with store.open(sha256) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == sha256
    with scene.database.read() as session:
        assert session.scalar(select(func.count(Disposition.id))) == 0
    assert raw_delete_refused(scene, rid) == "AccessDenied"

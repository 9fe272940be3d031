"""Conduct-review sampling (第十三条; R13.1): engineering supervision or a unit head draws
recordings at random with a recorded seed and population, so that the draw can be made again
and gives the same recordings; the draw gives the reviewer a view grant of exactly those
recordings (marked as a review grant) until the results are due; the reviewer records 规范 or
不规范 with a reason, each change audited; the refusals are Chinese; and many at once."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lawcam.access import sampling
from lawcam.access.models import AccessRequest, Sample, SampleItem
from lawcam.access.sample_types import SampleEvent
from lawcam.activities import service as activity_service
from lawcam.activities.types import ActivityKind
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.models import Recording
from lawcam.storage import address
from lawcam.timeutil import today_shanghai, utcnow
from lawcam.web.app import create_app
from tests.api.test_api_access import user
from tests.api.test_api_custody import add_unit_staff
from tests.evidence_helpers import ingest, workstation_actor
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4

CLIPS = 6
INSPECTED = 3  # the first three clips belong to an inspection


@pytest.fixture
def clips(
    database: Database, settings: Settings, office: Office, console: Actor, tmp_path: Path
) -> list[int]:
    """Six clips of 执法二处's officer T9001; the first three linked to an inspection."""
    add_unit_staff(database, settings, console)
    card = tmp_path / "card" / "DCIM"
    card.mkdir(parents=True)
    start = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    for n in range(CLIPS):
        make_mp4(card / f"V{n}.mp4", seconds=2, width=64, height=48, fps=4, audio=False,
                 creation_time=start + timedelta(minutes=n * 10))  # fmt: skip
    report = ingest(
        database, settings, workstation_actor(office, database), card.parent, officer_badge="T9001"
    )
    ids = sorted(r.recording_id for r in report.files if r.recording_id)
    assert len(ids) == CLIPS
    with database.unit_of_work() as session:
        activity_service.add_activity(
            session=session,
            actor=console,
            settings=settings,
            data=activity_service.data_named(
                session, unit="执法二处", officers=["T9001"], kind=ActivityKind.INSPECTION,
                place="解放路 9 号", arrived_at=start - timedelta(seconds=1),
                ended_at=start + timedelta(minutes=(INSPECTED - 1) * 10, seconds=3),
            ),
        )  # fmt: skip
    return ids


def period(**extra: Any) -> dict[str, Any]:
    today = today_shanghai()
    return {"date_from": str(today - timedelta(days=1)), "date_to": str(today), **extra}


def events(database: Database, tag: SampleEvent) -> list[AuditEvent]:
    with database.read() as session:
        stmt = select(AuditEvent).where(AuditEvent.tag == str(tag)).order_by(AuditEvent.seq)
        return list(session.scalars(stmt))


def drawn(sample: dict[str, Any]) -> list[int]:
    return [item["recording_id"] for item in sample["items"]]


@pytest.mark.req("R13.1")
def test_the_draw_is_reproducible_from_its_seed_and_population(
    database: Database, settings: Settings, office: Office, clips: list[int]
) -> None:
    engineering = user(settings, database, office.user(Role.ENGINEERING))
    unit = office.units["执法二处"]
    made = engineering.post("/api/v1/samples", json=period(unit_id=unit, size=3, seed=20261207))
    assert made.status_code == 201, made.text
    sample = made.json()
    assert (sample["population"], sample["size"], sample["seed"]) == (CLIPS, 3, 20261207)
    # Anyone with the population (the ids in order) and the seed draws the same recordings.
    assert drawn(sample) == random.Random(20261207).sample(clips, 3)
    assert sample["population_sha256"] == sampling.digest(clips)
    again = engineering.post("/api/v1/samples", json=period(unit_id=unit, size=3, seed=20261207))
    assert drawn(again.json()) == drawn(sample)
    with database.read() as session:
        row = session.get(Sample, sample["id"])
        assert row is not None
        assert sampling.redraw(session, row) == drawn(sample)
    # No seed given: one is generated, recorded, and draws the same again.
    free = engineering.post("/api/v1/samples", json=period(size=2)).json()
    assert isinstance(free["seed"], int) and free["population"] == CLIPS
    assert drawn(free) == random.Random(free["seed"]).sample(clips, 2)
    # The draw is audited with everything needed to repeat it.
    entry = events(database, SampleEvent.DRAWN)[0].entry
    assert '"seed":20261207' in entry and f'"population_sha256":"{sampling.digest(clips)}"' in entry


@pytest.mark.req("R13.1")
def test_sizes_and_filters_and_a_sample_larger_than_its_population(
    database: Database, settings: Settings, office: Office, clips: list[int]
) -> None:
    engineering = user(settings, database, office.user(Role.ENGINEERING))
    inspected = engineering.post("/api/v1/samples", json=period(kind="inspection", size=3))
    assert inspected.status_code == 201, inspected.text
    assert inspected.json()["population"] == INSPECTED
    assert sorted(drawn(inspected.json())) == clips[:INSPECTED]
    hearing = engineering.post("/api/v1/samples", json=period(kind="hearing", size=1))
    assert hearing.status_code == 422
    assert "大于符合条件的资料总数（0 条）" in hearing.json()["error"]["message"]
    too_big = engineering.post("/api/v1/samples", json=period(size=CLIPS + 1))
    assert too_big.status_code == 422
    message = too_big.json()["error"]["message"]
    assert f"抽查数量（{CLIPS + 1} 条）大于符合条件的资料总数（{CLIPS} 条）" in message
    whole = engineering.post("/api/v1/samples", json=period(size=CLIPS))
    assert sorted(drawn(whole.json())) == clips  # all of it: a census is a sample too
    other_unit = period(unit_id=office.units["执法一处"], size=1)
    assert engineering.post("/api/v1/samples", json=other_unit).status_code == 422
    old = {"date_from": "2026-01-01", "date_to": "2026-01-31", "size": 1}
    assert "0 条" in engineering.post("/api/v1/samples", json=old).json()["error"]["message"]
    backwards = engineering.post("/api/v1/samples", json=period(size=1) | {"date_to": "2026-01-01"})
    assert backwards.status_code == 422 and "晚于截止日期" in backwards.text
    assert engineering.post("/api/v1/samples", json=period(size=0)).status_code == 422
    # A unit head draws from the units in their scope only; another unit is not theirs to name.
    head2 = user(settings, database, "u_head2")
    own = head2.post("/api/v1/samples", json=period(size=2))
    assert own.status_code == 201 and own.json()["population"] == CLIPS
    head1 = user(settings, database, office.user(Role.UNIT_HEAD))
    assert head1.post("/api/v1/samples", json=period(size=1)).status_code == 422  # none of theirs
    named = head1.post("/api/v1/samples", json=period(unit_id=office.units["执法二处"], size=1))
    assert named.status_code == 404
    officer = user(settings, database, office.user(Role.OFFICER))
    assert officer.post("/api/v1/samples", json=period(size=1)).status_code == 403


@pytest.mark.req("R13.1")
def test_the_reviewer_plays_the_sampled_recordings_and_no_other(
    database: Database, settings: Settings, office: Office, clips: list[int]
) -> None:
    engineering = user(settings, database, office.user(Role.ENGINEERING))
    sample = engineering.post("/api/v1/samples", json=period(size=2, seed=7)).json()
    chosen = drawn(sample)
    outside = next(i for i in clips if i not in chosen)
    with database.read() as session:
        grant = session.scalars(
            select(AccessRequest).where(AccessRequest.sample_id == sample["id"])
        ).one()
        assert grant.id == sample["grant_id"] and grant.scope == f"执法规范抽查 #{sample['id']}"
        assert grant.status == "approved" and grant.action == "view"
        assert grant.requester_id == grant.decided_by_id == office.people["engineering"]
        assert sorted(grant.recording_ids) == sorted(chosen) and grant.expires_at is not None
        recording = session.get(Recording, chosen[0])
        assert recording is not None
        original = (settings.home / "objects" / address(recording.sha256)).read_bytes()
    part = engineering.get(
        f"/api/v1/recordings/{chosen[0]}/content", headers={"Range": "bytes=0-99"}
    )
    assert part.status_code == 206 and part.content == original[:100]
    assert engineering.get(f"/api/v1/recordings/{chosen[1]}/content").status_code == 200
    player = engineering.get(f"/recordings/{chosen[0]}/play")
    assert player.status_code == 200 and f'href="/samples/{sample["id"]}"' in player.text
    assert engineering.get(f"/api/v1/recordings/{outside}/content").status_code == 404
    assert engineering.get(f"/recordings/{outside}/play").status_code == 404
    # A view grant does not download, and nobody else holds one.
    download = engineering.get(f"/api/v1/recordings/{chosen[0]}/content", params={"download": 1})
    assert download.status_code == 404
    head2 = user(settings, database, "u_head2")
    assert head2.get(f"/api/v1/recordings/{chosen[0]}/content").status_code == 404
    # The review grant ends when the results are due.
    with database.unit_of_work() as session:
        row = session.get(AccessRequest, sample["grant_id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert engineering.get(f"/api/v1/recordings/{chosen[0]}/content").status_code == 404
    page = engineering.get(f"/samples/{sample['id']}")
    assert page.status_code == 200 and "资料 #" in page.text


@pytest.mark.req("R13.1")
def test_results_are_recorded_by_the_reviewer_audited_and_bad_ones_refused(
    database: Database, settings: Settings, office: Office, clips: list[int]
) -> None:
    head2 = user(settings, database, "u_head2")
    engineering_id = office.people["engineering"]
    made = head2.post("/api/v1/samples", json=period(size=3, reviewer_id=engineering_id))
    assert made.status_code == 201, made.text
    sample = made.json()
    assert sample["reviewer_id"] == engineering_id
    url = f"/api/v1/samples/{sample['id']}/results"
    first, second, third = drawn(sample)
    # The drawer who is not the reviewer reads the sample but records nothing.
    assert head2.get(f"/api/v1/samples/{sample['id']}").status_code == 200
    mine = head2.post(url, json={"recording_id": first, "result": "compliant"})
    assert mine.status_code == 403 and "抽查人" in mine.json()["error"]["message"]
    engineering = user(settings, database, office.user(Role.ENGINEERING))
    ok = engineering.post(
        url, json={"recording_id": first, "result": "compliant", "note": "用语规范"}
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["result_label"], ok.json()["recorded_by"] != "") == ("规范", True)
    no_reason = engineering.post(url, json={"recording_id": second, "result": "noncompliant"})
    assert no_reason.status_code == 422 and "须选择情形" in no_reason.json()["error"]["message"]
    other = {"recording_id": second, "result": "noncompliant", "reason": "other"}
    assert "写明" in engineering.post(url, json=other).json()["error"]["message"]
    mixed = {"recording_id": second, "result": "compliant", "reason": "language"}
    assert engineering.post(url, json=mixed).status_code == 422
    garbage = {"recording_id": second, "result": "maybe"}
    assert engineering.post(url, json=garbage).status_code == 422
    stranger = next(i for i in clips if i not in (first, second, third))
    alien = engineering.post(url, json={"recording_id": stranger, "result": "compliant"})
    assert alien.status_code == 404 and "不在本次抽查" in alien.json()["error"]["message"]
    bad = {"recording_id": second, "result": "noncompliant", "reason": "not_announced",
           "note": "到场后未告知当事人正在录像"}  # fmt: skip
    assert engineering.post(url, json=bad).json()["reason_label"] == "未告知录像"
    # A correction is a new audited result that names what it replaced.
    corrected = {"recording_id": first, "result": "noncompliant", "reason": "language", "note": "x"}
    assert engineering.post(url, json=corrected).status_code == 200
    shown = engineering.get(f"/api/v1/samples/{sample['id']}").json()
    assert (shown["recorded"], shown["noncompliant"]) == (2, 2)
    entries = events(database, SampleEvent.RESULT)
    assert len(entries) == 3
    assert entries[-1].before is not None and '"result":"compliant"' in entries[-1].before
    with database.read() as session:
        found = {(i.recording_id, i.reason) for _, i in sampling.noncompliant(session)}
    assert found == {(first, "language"), (second, "not_announced")}
    # Past the due date, results are refused.
    with database.unit_of_work() as session:
        row = session.get(Sample, sample["id"])
        assert row is not None
        row.due_at = utcnow() - timedelta(seconds=1)
    late = engineering.post(url, json={"recording_id": third, "result": "compliant"})
    assert late.status_code == 409 and "期限" in late.json()["error"]["message"]
    # Another unit's head sees neither the sample nor its results.
    head1 = user(settings, database, office.user(Role.UNIT_HEAD))
    assert head1.get(f"/api/v1/samples/{sample['id']}").status_code == 404
    assert head1.get("/api/v1/samples").json() == []


@pytest.mark.req("R13.1")
def test_the_pages_draw_show_play_links_and_record_results(
    database: Database, settings: Settings, office: Office, clips: list[int]
) -> None:
    engineering = user(settings, database, office.user(Role.ENGINEERING))
    home = engineering.get("/")
    assert "执法规范抽查" in home.text
    listing = engineering.get("/samples")
    assert listing.status_code == 200 and "新的抽查" in listing.text
    form = {**period(size="9", seed="", unit_id="", kind="", days="14")}
    refused = engineering.post("/samples", data=form)
    assert refused.status_code == 422 and "大于符合条件的资料总数" in refused.text
    form["size"] = "2"
    posted = engineering.post("/samples", data=form, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    page = engineering.get(posted.headers["location"])
    assert page.status_code == 200 and "/play" in page.text and "随机种子" in page.text
    assert "待登记结果的抽查资料" in engineering.get("/").text  # on the reviewer's home
    with database.read() as session:
        item = session.scalars(select(SampleItem).order_by(SampleItem.id)).first()
        assert item is not None
    target = f"/samples/{item.sample_id}/results"
    wrong = engineering.post(target, data={"recording_id": str(item.recording_id),
                                           "result": "noncompliant", "reason": ""})  # fmt: skip
    assert wrong.status_code == 422 and "须选择情形" in wrong.text
    done = engineering.post(target, data={"recording_id": str(item.recording_id),
                                          "result": "noncompliant", "reason": "conduct",
                                          "note": "推搡当事人"}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "推搡当事人" in engineering.get(done.headers["location"]).text


@pytest.mark.req("R13.1")
def test_many_draws_and_results_at_once(
    database: Database, settings: Settings, office: Office, clips: list[int]
) -> None:
    """Draws by three people and results on one sample, all at once, on a live server: each
    draw its own sample and grant, each result recorded and audited once."""
    engineering = user(settings, database, office.user(Role.ENGINEERING))
    target = engineering.post("/api/v1/samples", json=period(size=CLIPS, seed=1)).json()
    failures: list[str] = []
    with served(create_app(settings, database)) as base:

        def act(username: str, index: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                login_ = client.post(
                    "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
                )
                client.headers["X-CSRF-Token"] = login_.json()["csrf_token"]
                made = client.post("/api/v1/samples", json=period(size=2, seed=index))
                if made.status_code != 201:
                    failures.append(f"draw {made.status_code} {made.text}")
                if username != office.user(Role.ENGINEERING):
                    return
                for recording in clips[index % 2 :: 2]:
                    got = client.post(f"/api/v1/samples/{target['id']}/results",
                                      json={"recording_id": recording, "result": "compliant"})  # fmt: skip
                    if got.status_code != 200:
                        failures.append(f"result {got.status_code} {got.text}")

        people = [office.user(Role.ENGINEERING)] * 4 + ["u_head2"] * 2
        threads = [threading.Thread(target=act, args=(u, i)) for i, u in enumerate(people)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    with database.read() as session:
        samples = session.scalars(select(Sample)).all()
        grants = session.scalars(select(AccessRequest).where(AccessRequest.sample_id.is_not(None)))
        assert len(samples) == 1 + len(people) and len(list(grants)) == len(samples)
        items = session.scalars(select(SampleItem).where(SampleItem.sample_id == target["id"]))
        assert all(i.result == "compliant" for i in items)
    assert len(events(database, SampleEvent.DRAWN)) == len(samples)
    assert len(events(database, SampleEvent.RESULT)) == 2 * CLIPS  # four reviewers, two halves

from tests.api.conftest import login


def test_sysadmin_creates_unit_and_auditor_sees_it(client, office):
    login(client, office.user("sysadmin"))
    r = client.post("/api/v1/units", json={"name": "新单位", "unit_class": "more"})
    assert r.status_code == 201, r.text
    client.cookies.clear()
    login(client, office.user("auditor"))
    r = client.get("/api/v1/audit", params={"tag": "org:unit:create"})
    assert r.status_code == 200
    assert any(e["after"]["name"] == "新单位" for e in r.json()["items"])

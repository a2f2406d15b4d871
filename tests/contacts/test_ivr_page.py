"""The IVR editor page: versions, YAML editing with named errors, publish and roll back; admins only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.org.models import OrgUnit

PW = "hotline-demo-2026"


def _browser(app, username: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    client.get("/login")
    client.post("/login", data={"username": username, "password": PW, "csrf_token": client.cookies["hl_csrf"]})
    csrf = client.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
    return client, csrf


def test_admin_drafts_publishes_and_rolls_back(app, seeded) -> None:  # type: ignore[no-untyped-def]
    client, csrf = _browser(app, "admin")
    with Session(seeded) as db:
        hb = db.execute(select(OrgUnit).where(OrgUnit.code == "HB")).scalar_one()
    tree_v1 = "kind: menu\nprompt: 宽带服务请按1\noptions:\n  '1': {kind: transfer, queue: broadband, business_type: broadband_fault}\n"
    r = client.post("/ivr", data={"unit_id": hb.id, "name": "broadband_test", "tree": tree_v1, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    v1 = int(r.headers["location"].split("=")[1])
    bad = client.post("/ivr", data={"unit_id": hb.id, "name": "broadband_test", "csrf_token": csrf,
                                    "tree": "kind: menu\nprompt: x\noptions:\n  '*': {kind: transfer}\n"})
    assert bad.status_code == 422 and "tree.options" in bad.text
    tree_v2 = tree_v1.replace("宽带服务请按1", "宽带故障请按1")
    v2 = int(client.post("/ivr", data={"unit_id": hb.id, "name": "broadband_test", "tree": tree_v2,
                                       "csrf_token": csrf}, follow_redirects=False).headers["location"].split("=")[1])
    assert client.post(f"/ivr/{v2}/publish", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    page = client.get(f"/ivr?edit={v2}").text
    assert "宽带故障请按1" in page and "回滚到此版本" not in page.split(f"edit={v1}")[0]
    client.post(f"/ivr/{v1}/publish", data={"csrf_token": csrf})  # roll back
    states = {m["id"]: m["status"] for m in client.get("/api/contacts/ivr",
                                                     headers={"x-csrf-token": csrf}).json()}
    assert states[v1] == "published" and states[v2] == "retired"


def test_only_admins_edit_ivr(login) -> None:  # type: ignore[no-untyped-def]
    assert login("supervisor").get("/ivr").status_code == 403
    assert login("agent").get("/ivr").status_code == 403

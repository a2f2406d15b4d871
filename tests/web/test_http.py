"""HTTP behaviour: security headers, CSRF, body limit, validation errors, idempotency, versions, i18n."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import AuditEntry
from hotline.customers.models import BssOperation, Customer, Verification
from hotline.org.models import OrgUnit, User

PW = "hotline-demo-2026"


def test_security_headers_and_csp_without_unsafe_inline(app) -> None:  # type: ignore[no-untyped-def]
    r = TestClient(app).get("/login")
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and " style=" not in r.text  # nothing inline for the CSP to block


def test_browser_login_flow_with_csrf(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    page = client.get("/login")
    csrf = client.cookies["hl_csrf"]
    assert f'value="{csrf}"' in page.text
    bad = client.post("/login", data={"username": "agent", "password": PW, "csrf_token": "nope"},
                      follow_redirects=False)
    assert bad.status_code == 403
    ok = client.post("/login", data={"username": "agent", "password": PW, "csrf_token": csrf, "next": "//evil.example"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "王晓燕" in home.text
    # a cookie session must echo its CSRF token on writes
    assert client.post("/api/me/password", json={"old_password": PW, "new_password": "x" * 9}).status_code == 403


def test_wrong_login_same_message(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    a = client.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    b = client.post("/api/auth/login", json={"username": "agent", "password": "wrong"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()
    assert a.json()["code"] == "login_failed"


def test_unauthenticated(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    assert client.get("/api/me").json()["code"] == "not_authenticated"
    r = client.get("/customers", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_oversized_body_413(app, login) -> None:  # type: ignore[no-untyped-def]
    r = login("agent").post("/api/customers/1/verify", content=b"{" + b" " * 1_100_000 + b"}",
                            headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_validation_names_the_field_in_the_users_language(app, login) -> None:  # type: ignore[no-untyped-def]
    client = login("agent")
    r = client.post("/api/customers/1/verify", json={"password": "12"})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_input" and body["details"]["errors"][0]["field"] == "password"
    assert "password" in body["msg"] and "输入" in body["msg"]
    en = TestClient(app).post("/api/auth/login", json={}, headers={"accept-language": "en-US"}).json()
    assert en["msg"].startswith("Invalid input") and en["details"]["errors"][0]["msg"] == "This field is required"
    assert {e["field"] for e in en["details"]["errors"]} == {"username", "password"}


def _hb_customer(engine, offset: int) -> Customer:  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        prov = db.execute(select(OrgUnit).where(OrgUnit.code == "HB")).scalar_one()
        return db.execute(select(Customer).where(Customer.province_id == prov.id,
                                                 Customer.password_is_initial.is_(False),
                                                 Customer.status == "active")
                          .order_by(Customer.id.desc()).offset(offset).limit(1)).scalar_one()


def test_idempotent_bss_write(app, login, seeded) -> None:  # type: ignore[no-untyped-def]
    client = login("expert")
    c = _hb_customer(seeded, 1)
    assert client.post(f"/api/customers/{c.id}/verify", json={"password": "135790"}).json() == {"result": "ok"}
    key = str(uuid.uuid4())
    body = {"operation": "suspend"}
    first = client.post(f"/api/customers/{c.id}/bss", json=body, headers={"Idempotency-Key": key})
    again = client.post(f"/api/customers/{c.id}/bss", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    with Session(seeded) as db:
        ops = db.execute(select(BssOperation).where(BssOperation.customer_id == c.id,
                                                    BssOperation.operation == "suspend")).scalars().all()
    assert len(ops) == 1
    other = client.post(f"/api/customers/{c.id}/bss", json={"operation": "resume"}, headers={"Idempotency-Key": key})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    refused = client.post(f"/api/customers/{c.id}/bss", json=body)  # already suspended: refused but kept
    assert refused.status_code == 409 and refused.json()["ok"] is False
    with Session(seeded) as db:
        assert db.execute(select(BssOperation).where(BssOperation.customer_id == c.id, BssOperation.ok.is_(False))
                          ).first() is not None
        assert db.execute(select(Verification).where(Verification.customer_id == c.id)).first() is not None


def test_stale_version_is_409(app, login, seeded) -> None:  # type: ignore[no-untyped-def]
    client = login("admin")
    with Session(seeded) as db:
        target = db.execute(select(User).where(User.username == "planner")).scalar_one()
    current = client.get(f"/api/org/users/{target.id}").json()
    ok = client.patch(f"/api/org/users/{target.id}", json={"version": current["version"],
                                                               "star_level": 1 + current["star_level"] % 5})
    assert ok.status_code == 200 and ok.json()["version"] == current["version"] + 1
    stale = client.patch(f"/api/org/users/{target.id}", json={"version": current["version"], "star_level": 2})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"


def test_reveal_is_audited_over_http(app, login, seeded) -> None:  # type: ignore[no-untyped-def]
    c = _hb_customer(seeded, 2)
    assert login("agent").post(f"/api/customers/{c.id}/reveal",
                               json={"field": "number", "reason": "回拨"}).status_code == 403
    r = login("supervisor").post(f"/api/customers/{c.id}/reveal", json={"field": "number", "reason": "回拨客户"})
    assert r.status_code == 200 and r.json()["value"] == c.numbers[0].number
    with Session(seeded) as db:
        entry = db.execute(select(AuditEntry).where(AuditEntry.action == "customers.reveal",
                                                    AuditEntry.target_id == str(c.id))).scalars().one()
    assert entry.actor_name == "supervisor" and entry.reason == "回拨客户"


def test_language_switch(app, login) -> None:  # type: ignore[no-untyped-def]
    client = login("agent")
    zh = client.get("/customers")
    assert "客户" in zh.text
    client.cookies.set("hl_lang", "en")
    en = client.get("/customers")
    assert "Customers" in en.text and "客户查询" not in en.text


def test_every_page_renders_for_its_roles(app, login, seeded) -> None:  # type: ignore[no-untyped-def]
    with Session(seeded) as db:
        c = _hb_customer(seeded, 3)
        user_id = db.execute(select(User.id).where(User.username == "agent")).scalar_one()
    pages = {"admin": ["/", "/org", "/users", f"/users/{user_id}", "/audit", "/customers?q=王"],
             "agent": ["/", "/customers", f"/customers/{c.id}"],
             "hq": ["/", "/org"], "teamlead": ["/", "/users", "/audit"]}
    for who, urls in pages.items():
        client = login(who)
        for url in urls:
            r = client.get(url)
            assert r.status_code == 200, (who, url, r.text[:300])
            assert "<html" in r.text


def test_admin_creates_unit_and_user_from_pages(app, seeded) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    client.get("/login")
    csrf = client.cookies["hl_csrf"]
    client.post("/login", data={"username": "admin", "password": PW, "csrf_token": csrf})
    session_csrf = client.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
    with Session(seeded) as db:
        region = db.execute(select(OrgUnit).where(OrgUnit.code == "HB-WH")).scalar_one()
    r = client.post("/org", data={"kind": "team", "code": "HB-WH-T99", "name": "夜班<b>组</b>",
                                  "parent_id": region.id, "csrf_token": session_csrf}, follow_redirects=False)
    assert r.status_code == 303
    tree = client.get("/org").text
    assert "夜班&lt;b&gt;组&lt;/b&gt;" in tree and "夜班<b>" not in tree  # free text is escaped
    with Session(seeded) as db:
        team = db.execute(select(OrgUnit).where(OrgUnit.code == "HB-WH-T99")).scalar_one()
    bad = client.post("/users", data={"username": "x y", "display_name": "新人", "password": "long-enough",
                                      "unit_id": team.id, "roles": "agent", "csrf_token": session_csrf})
    assert bad.status_code == 422 and "username" in bad.text
    ok = client.post("/users", data={"username": "newbie01", "display_name": "新人", "password": "long-enough",
                                     "unit_id": team.id, "roles": ["agent"], "csrf_token": session_csrf},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert TestClient(app).post("/api/auth/login", json={"username": "newbie01", "password": "long-enough"}
                                ).json()["must_change_password"] is True

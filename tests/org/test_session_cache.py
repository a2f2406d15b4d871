"""The per-process session cache: a request does not re-read its session, and every revocation (logout,
roles, unit, deactivation) takes effect on the next request, in this process and — through the hub — in
others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event

from hotline.core.auth import Principal
from hotline.core.events import Event, EventHub
from hotline.org.service import SESSIONS_REVOKED, SessionCache, SignedIn

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _signed_in(user_id: int, at: datetime = T0, hours: int = 12) -> SignedIn:
    p = Principal.build(user_id=user_id, username=f"u{user_id}", display_name="x", roles={"agent"}, unit_path="/1/")
    return SignedIn(p, "csrf", at + timedelta(hours=hours), at)


def test_entries_expire_with_the_ttl_and_the_session() -> None:
    cache = SessionCache(ttl_s=30)
    cache.put("a", _signed_in(1))
    cache.put("b", _signed_in(2, hours=0))  # already expired session
    assert cache.get("a", T0 + timedelta(seconds=29)) is not None
    assert cache.get("b", T0) is None
    assert cache.get("a", T0 + timedelta(seconds=30)) is None
    assert cache.get("a", T0) is None  # dropped when found stale, not kept for a clock that goes back


def test_a_clock_that_goes_back_does_not_extend_an_entry() -> None:
    cache = SessionCache(ttl_s=30)
    cache.put("a", _signed_in(1))
    assert cache.get("a", T0 - timedelta(seconds=1)) is None


def test_ttl_zero_disables_the_cache_and_size_is_bounded() -> None:
    off = SessionCache(ttl_s=0)
    off.put("a", _signed_in(1))
    assert off.get("a", T0) is None
    small = SessionCache(ttl_s=30, max_entries=2)
    for i in range(3):
        small.put(str(i), _signed_in(i))
    assert small.get("0", T0) is None and small.get("2", T0) is not None


def test_revocation_events_drop_by_user_and_by_token_through_the_hub() -> None:
    hub, cache = EventHub(), SessionCache()
    hub.subscribe(cache.on_event)
    for key, uid in (("a", 1), ("b", 1), ("c", 2), ("d", 3)):
        cache.put(key, _signed_in(uid))
    hub.publish(Event("contacts.offer", {"user_id": 2}))  # other events are ignored
    assert cache.get("c", T0) is not None
    hub.publish(Event(SESSIONS_REVOKED, {"user_id": 1, "token_digest": None}))
    assert cache.get("a", T0) is None and cache.get("b", T0) is None and cache.get("c", T0) is not None
    hub.publish(Event(SESSIONS_REVOKED, {"user_id": None, "token_digest": "c"}))
    assert cache.get("c", T0) is None and cache.get("d", T0) is not None


def _new_user(admin: TestClient, username: str) -> dict:
    units = admin.get("/api/org/units").json()
    team = next(u for u in units if u["kind"] == "team")
    r = admin.post("/api/org/users", json={"username": username, "display_name": "缓存测试", "password": "cache-test-2026",
                                            "unit_id": team["id"], "roles": ["agent"]})
    assert r.status_code == 201, r.text
    return r.json()


def _client(app, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/auth/login", json={"username": username, "password": "cache-test-2026"})
    assert r.status_code == 200, r.text
    c.cookies.clear()
    c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


def test_cached_requests_skip_the_session_queries_and_revocations_apply_at_once(app, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    user = _new_user(admin, "cache_probe1")
    me = _client(app, "cache_probe1")
    assert me.get("/api/me").status_code == 200
    seen: list[str] = []

    def spy(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", spy)
    try:
        assert me.get("/api/me").status_code == 200
    finally:
        event.remove(app.state.engine, "before_cursor_execute", spy)
    assert not [s for s in seen if "auth_sessions" in s or "FROM users" in s], seen

    # a move to another unit: the same token, the new unit on the very next request
    units = admin.get("/api/org/units").json()
    other = next(u for u in units if u["kind"] == "team" and u["id"] != user["unit_id"])
    r = admin.patch(f"/api/org/users/{user['id']}", json={"version": user["version"], "unit_id": other["id"]})
    assert r.status_code == 200, r.text
    assert me.get("/api/me").json()["unit_path"] == other["path"]

    # a role change revokes every session of the user
    r = admin.patch(f"/api/org/users/{user['id']}", json={"version": r.json()["version"], "roles": ["qa_inspector"]})
    assert r.status_code == 200, r.text
    assert me.get("/api/me").status_code == 401


def test_logout_ends_the_cached_session_at_once(app, login) -> None:  # type: ignore[no-untyped-def]
    _new_user(login("admin"), "cache_probe2")
    me = _client(app, "cache_probe2")
    assert me.get("/api/me").status_code == 200
    assert me.post("/api/auth/logout").status_code == 204
    assert me.get("/api/me").status_code == 401

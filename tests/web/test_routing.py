"""The route index answers every request exactly as Starlette's scan of all routes would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from starlette.routing import Match, Mount, Router

from hotline.web.routing import RouteIndex


def _first_full(routes: list, scope: dict):  # type: ignore[no-untyped-def,type-arg]
    return next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)


def _scope(kind: str, method: str, path: str) -> dict:  # type: ignore[type-arg]
    return {"type": kind, "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}


def test_every_route_is_found_by_the_index_as_by_the_full_scan(app) -> None:  # type: ignore[no-untyped-def]
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    checked = 0
    for route in app.router.routes:
        path = getattr(route, "path_format", None)
        if path is None or isinstance(route, Mount):
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        kind = "websocket" if "WebSocket" in type(route).__name__ else "http"
        for method in getattr(route, "methods", None) or {"GET"}:
            for p in (concrete, concrete.rstrip("/") + "/x/y", "/nope" + concrete):
                scope = _scope(kind, method, p)
                sub = index.by_key.get(tuple(s for s in p.split("/", 3)[1:3] if s), index.rest)
                assert isinstance(sub, Router)
                assert _first_full(sub.routes, scope) is _first_full(app.router.routes, scope), (method, p)
                checked += 1
    assert checked > 300  # every route, three paths each


def test_not_found_method_not_allowed_slash_redirect_and_static_still_answer(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    missing = client.get("/api/tickets-nothing-here")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert client.delete("/api/health").status_code == 405
    redirected = client.get("/api/health/", follow_redirects=False)
    assert redirected.status_code == 307 and redirected.headers["location"].endswith("/api/health")
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/api/health").json()


def test_routes_that_may_match_any_key_keep_their_place_in_the_order() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def answer(text: str):  # type: ignore[no-untyped-def]
        return lambda request: PlainTextResponse(text)

    app = Starlette(routes=[Route("/{unit}/page", answer("param-first")), Route("/docs/page", answer("literal")),
                            Route("/docs/other", answer("other")), Mount("/files", routes=[Route("/x", answer("mount"))]),
                            Route("/api/{thing}", answer("api-param"))])
    RouteIndex.install(app.router)
    client = TestClient(app)
    assert client.get("/docs/page").text == "param-first"  # declared first, as in a full scan
    assert client.get("/docs/other").text == "other"
    assert client.get("/files/x").text == "mount"
    assert client.get("/api/anything").text == "api-param"
    assert client.get("/docs/other/").status_code == 200  # followed the slash redirect
    assert client.get("/nothing/here/at/all").status_code == 404

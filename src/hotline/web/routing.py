"""Route index: a request is matched against the routes that share its first two path segments, not all of them.

Starlette tries every route in order (139 here, so about 70 regular-expression matches for an average request).
`RouteIndex` keeps the same order and the same answers (404, 405, slash redirects) by handing each request to a
router that holds only the routes that could match it: those whose first two segments are the request's, and
those that could match anything (mounts, a parameter in the first two segments)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Router
from starlette.types import Receive, Scope, Send

Key = tuple[str, ...]


def _key(path: str) -> Key:
    return tuple(part for part in path.split("/", 3)[1:3] if part)


def _route_key(route: BaseRoute) -> Key | None:
    """The key every path this route matches has, or None if it may match paths with any key."""
    path = getattr(route, "path_format", None)
    if path is None or isinstance(route, Mount):
        return None
    key = _key(path)
    return None if any("{" in part for part in key) else key


class RouteIndex:
    """The ASGI app of an application's router, dispatching through the index (install with `install`)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        keys = [_route_key(r) for r in router.routes]
        anywhere = [r for r, k in zip(router.routes, keys, strict=True) if k is None]

        def sub(key: Key | None) -> Router:
            routes = [r for r, k in zip(router.routes, keys, strict=True) if k is None or k == key]
            return Router(routes=routes, redirect_slashes=router.redirect_slashes, default=router.default)

        self.by_key = {k: sub(k) for k in set(keys) - {None}}
        self.rest = sub(None) if anywhere else Router(routes=[], redirect_slashes=False, default=router.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.router.app(scope, receive, send)
            return
        scope.setdefault("router", self.router)  # url_for looks in the whole application
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        await self.by_key.get(_key(path), self.rest)(scope, receive, send)

    @classmethod
    def install(cls, router: Router) -> None:
        """Call after every route is added."""
        router.middleware_stack = cls(router)

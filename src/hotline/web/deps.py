"""FastAPI dependencies shared by every domain's routes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from hotline.core.audit import Actor
from hotline.core.auth import Principal
from hotline.core.clock import Clock
from hotline.core.config import Settings
from hotline.core.errors import Forbidden, NotAuthenticated
from hotline.core.security import token_digest
from hotline.org import service as org_service
from hotline.org.models import User

MAX_ID = 2_147_483_647  # ids are 32-bit on PostgreSQL; larger ones can only be "not found"
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

SESSION_COOKIE = "hl_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db(request: Request) -> Iterator[Session]:
    """A session for one request: committed when the route returns (before the response is sent).

    Reads (GET/HEAD) take no SQLite lock until they write; other methods take the write lock at BEGIN."""
    state = request.app.state
    session = (state.read_sessionmaker if request.method in SAFE_METHODS else state.sessionmaker)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


# Dependencies that only read the app or the request are `async def`: FastAPI runs a plain `def` dependency in
# the thread pool, a hop that costs more than the work (measured: two of them were 19 % of a create's HTTP CPU).
async def get_clock(request: Request) -> Clock:
    return request.app.state.clock


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


AppClock = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _token(request: Request) -> tuple[str | None, bool]:
    """(token, from_cookie)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE), True


async def current_principal(request: Request, clock: AppClock) -> Principal:
    """The signed-in principal; cookie sessions must echo their CSRF token on unsafe methods.

    Sessions come from the process's `SessionCache`; a miss reads the database in a read session of its own (on
    SQLite a write session would hold the write lock for the whole request), in the thread pool, never on the
    event loop."""
    if getattr(request.state, "principal", None) is not None:
        return request.state.principal
    token, from_cookie = _token(request)
    if not token:
        raise NotAuthenticated()
    now, cache = clock.now(), request.app.state.session_cache
    found = cache.get(token_digest(token), now)
    if found is None:
        found = await run_in_threadpool(_signed_in, request, token, now)
    if found is None:
        raise NotAuthenticated()
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
        if sent != found.csrf_token:
            raise Forbidden("CSRF token missing or wrong", reason="csrf")
    request.state.csrf_token = found.csrf_token
    request.state.principal = found.principal
    return found.principal


def _signed_in(request: Request, token: str, now: datetime) -> org_service.SignedIn | None:
    state = request.app.state
    with state.read_sessionmaker() as db:
        return org_service.signed_in(db_session=db, token=token, now=now, cache=state.session_cache)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user(request: Request, db: DbSession, principal: CurrentPrincipal) -> User:
    """The signed-in user's row (for the few routes that need more than the principal)."""
    user = await run_in_threadpool(db.get, User, principal.user_id)
    if user is None or not user.active:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def actor(request: Request) -> Actor:
    """The audit actor for this request."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        return Actor(None, "anonymous", client_ip(request))
    return Actor(principal.user_id, principal.username, client_ip(request))


RequestActor = Annotated[Actor, Depends(actor)]


def require(permission: str):  # type: ignore[no-untyped-def]
    """A route guard: the principal must hold the permission somewhere (scope is checked per resource)."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Forbidden(permission=permission)
        return principal

    guard.permission = permission  # type: ignore[attr-defined]  # read by the authorisation-matrix test
    return Depends(guard)

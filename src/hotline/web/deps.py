"""FastAPI dependencies shared by every domain's routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from hotline.core.audit import Actor
from hotline.core.auth import Principal
from hotline.core.clock import Clock
from hotline.core.config import Settings
from hotline.core.errors import Forbidden, NotAuthenticated
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


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_settings(request: Request) -> Settings:
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


async def current_user(request: Request, db: DbSession, clock: AppClock) -> User:
    """The signed-in user; cookie sessions must echo their CSRF token on unsafe methods.

    The database work runs in the thread pool, never on the event loop: on SQLite an unsafe method's session
    waits for the write lock at its first query, and a loop blocked there cannot run the commit of the request
    that holds the lock (a deadlock until the busy timeout, then a 500)."""
    if getattr(request.state, "user", None) is not None:
        return request.state.user
    token, from_cookie = _token(request)
    form_token = None
    if (from_cookie and request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) is None
            and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data"))):
        form_token = (await request.form()).get("csrf_token")
    return await run_in_threadpool(_authenticate, request, db, clock, token, from_cookie, form_token)


def _authenticate(request: Request, db: Session, clock: Clock, token: str | None, from_cookie: bool,
                  form_token: object) -> User:
    found = org_service.session_for_token(db_session=db, token=token, now=clock.now()) if token else None
    if found is None:
        raise NotAuthenticated()
    user, auth_session = found
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            sent = form_token
        if sent != auth_session.csrf_token:
            raise Forbidden("CSRF token missing or wrong", reason="csrf")
    request.state.user = user
    request.state.csrf_token = auth_session.csrf_token
    request.state.principal = org_service.principal_for(db_session=db, user=user)
    return user


async def current_principal(request: Request, user: Annotated[User, Depends(current_user)]) -> Principal:
    return request.state.principal


CurrentUser = Annotated[User, Depends(current_user)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def actor(request: Request) -> Actor:
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

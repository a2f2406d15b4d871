"""Contacts JSON API and the WebSocket stream: desktop and wallboard snapshots, agent actions, the caller side
(softphone and web chat, authenticated by the caller token), IVR menu versions."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from fastapi import APIRouter, Header, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.contacts import service as svc
from hotline.contacts.jobs import runtime_of
from hotline.contacts.models import Contact, ContactOffer
from hotline.core.auth import Principal, Resource, allowed
from hotline.core.errors import Forbidden
from hotline.core.events import Event
from hotline.org import service as org_service
from hotline.web.deps import (
    MAX_ID,
    SESSION_COOKIE,
    AppClock,
    CurrentPrincipal,
    DbSession,
    IdPath,
    RequestActor,
    require,
)

router = APIRouter(prefix="/api/contacts", tags=["contacts"])
CHANNELS = {"desktop": svc.DESKTOP, "wallboard": svc.WALLBOARD}


# ---------------------------------------------------------------- the policy applied to events
def visible(principal: Principal, permission: str, ev: Event) -> bool:
    """May this principal see this event on this channel? Queue rows are province-wide: anyone whose own unit
    lies in the province and who holds the permission sees them; agent rows follow `allowed` (team, province)."""
    if ev.permission != permission:
        return False
    if ev.type == "wallboard.queue":
        return principal.can(permission) and (allowed(principal, permission, Resource(ev.org_path))
                                              or principal.unit_path.startswith(ev.org_path))
    return allowed(principal, permission, Resource(ev.org_path, ev.owner_id))


def wire(ev: Event) -> dict[str, Any]:
    return {"id": ev.id, "type": ev.type, "data": ev.data}


# ---------------------------------------------------------------- snapshots
def fresh_last_event_id(request: Request, db: Any) -> int:
    """The hub's last event id, read BEFORE the snapshot's own reads begin.

    A read transaction (SQLite WAL, or PostgreSQL REPEATABLE READ) sees the database as of its first read, which
    for a request was the sign-in check. An event committed after that read but published before the id is taken
    would be neither in the snapshot nor replayed. Ending that transaction first closes the gap: every event with
    an id up to the one returned was committed before the snapshot's reads begin."""
    db.commit()
    return int(request.app.state.hub.last_event_id)


def desktop_snapshot(request: Request, db: Any, principal: Principal, now: Any) -> dict[str, Any]:
    """Everything the desktop draws, with the hub's last event id to resume the stream from."""
    from hotline.org.models import User

    last = fresh_last_event_id(request, db)
    user = db.get(User, principal.user_id)
    st = svc.agent_state_or_default(db_session=db, user=user, now=now)
    contact = None
    if st.contact_id:
        c = db.get(Contact, st.contact_id)
        if c is not None:
            contact = svc.contact_view(db, c)
            contact["messages"] = svc.messages(db_session=db, contact_id=c.id)
    rt = runtime_of(request.app)
    province = svc.province_path(user.unit.path)
    queues = [{"key": k, "name": q["name"]} for k, q in rt.queue_info.items() if q["org_path"] == province] \
        if rt.queue_info else []
    return {"last_event_id": last, "agent": svc.agent_row(db, st), "contact": contact,
            "agent_actions": svc.AGENT_ACTIONS, "wrap_up_codes": svc.wrap_up_codes(), "not_ready_reasons": svc.contacts_config()["not_ready_reasons"],
            "transfer_queues": queues,
            "transfer_agents": svc.transfer_agents(db_session=db, province=province, exclude=principal.user_id),
            "acw_max_s": svc.standard_max(db_session=db, unit_path=user.unit.path, key="acw.max_s", default=105),
            "hold_max_s": svc.standard_max(db_session=db, unit_path=user.unit.path, key="hold.max_s", default=90)}


def wallboard_snapshot(request: Request, db: Any, principal: Principal) -> dict[str, Any]:
    """Queue rows and agent rows the principal may see, with the last event id."""
    last = fresh_last_event_id(request, db)
    queues, agents = runtime_of(request.app).wallboard_rows(db)
    queues = [q for q in queues if visible(principal, svc.WALLBOARD, Event("wallboard.queue", {}, q["org_path"],
                                                                           svc.WALLBOARD))]
    from hotline.contacts.models import AgentState

    paths = {s.user_id: s.org_path for s in db.execute(select(AgentState)).scalars()}
    agents = [a for a in agents if visible(principal, svc.WALLBOARD, Event("wallboard.agent", {}, paths[a["id"]],
                                                                           svc.WALLBOARD, a["id"]))]
    return {"last_event_id": last, "queues": queues, "agents": agents}


@router.get("/desktop", dependencies=[require("contacts.desktop")])
def get_desktop(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> dict[str, Any]:
    """The agent desktop snapshot (then follow the WebSocket from `last_event_id`)."""
    runtime_of(request.app).ensure_started(db)
    return desktop_snapshot(request, db, principal, clock.now())


@router.get("/wallboard", dependencies=[require("wallboard.read")])
def get_wallboard(request: Request, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The wallboard snapshot (queues and agents in the principal's scope)."""
    runtime_of(request.app).ensure_started(db)
    return wallboard_snapshot(request, db, principal)


# ---------------------------------------------------------------- agent actions
class StateIn(BaseModel):
    state: Literal["login", "ready", "not_ready", "logout"]
    reason: str = Field("", max_length=20)


class WrapUpIn(BaseModel):
    code: str = Field(..., max_length=30)
    note: str = Field("", max_length=500)
    work_orders: list[str] = Field(default_factory=list, max_length=10)
    ready: bool = True


class TransferIn(BaseModel):
    target: str = Field(..., min_length=1, max_length=40)


class HoldIn(BaseModel):
    on: bool


class TextIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)


@router.post("/agent/state", dependencies=[require("contacts.desktop")])
def set_agent_state(data: StateIn, request: Request, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """Log in, become ready, not ready with a reason, or log out."""
    return runtime_of(request.app).agent_state(db, user_id=principal.user_id, state=data.state, reason=data.reason)


@router.post("/offers/{offer_id}/accept", dependencies=[require("contacts.desktop")])
def accept_offer(offer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """Answer an offered contact; an expired offer answers 409 offer_closed."""
    contact_id = runtime_of(request.app).accept(db, user_id=principal.user_id, offer_id=offer_id)
    return {"contact_id": contact_id}


@router.post("/offers/{offer_id}/reject", dependencies=[require("contacts.desktop")])
def reject_offer(offer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """Refuse an offer: the contact goes back to its place; the agent becomes not ready."""
    runtime_of(request.app).reject(db, user_id=principal.user_id, offer_id=offer_id)
    return {"ok": True}


@router.post("/{contact_id}/hold", dependencies=[require("contacts.desktop")])
def hold(contact_id: IdPath, data: HoldIn, request: Request, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    runtime_of(request.app).hold(db, user_id=principal.user_id, contact_id=contact_id, on=data.on)
    return {"ok": True}


@router.post("/{contact_id}/end", dependencies=[require("contacts.desktop")])
def end(contact_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """End the conversation; after-call work starts."""
    runtime_of(request.app).end(db, user_id=principal.user_id, contact_id=contact_id)
    return {"ok": True}


@router.post("/{contact_id}/wrap-up", dependencies=[require("contacts.desktop")])
def wrap_up(contact_id: IdPath, data: WrapUpIn, request: Request, db: DbSession,
            principal: CurrentPrincipal) -> dict[str, Any]:
    """Close after-call work with a wrap-up code (and linked work orders)."""
    runtime_of(request.app).wrap_up(db, user_id=principal.user_id, contact_id=contact_id, code=data.code,
                                    note=data.note, work_orders=data.work_orders, ready=data.ready)
    return {"ok": True}


@router.post("/{contact_id}/transfer", dependencies=[require("contacts.desktop")])
def transfer(contact_id: IdPath, data: TransferIn, request: Request, db: DbSession,
             principal: CurrentPrincipal) -> dict[str, Any]:
    """Blind transfer to a queue key, 'expert', 'marketing' or a named agent ('agent:<id>'); the agent goes to
    after-call work."""
    leg = runtime_of(request.app).transfer(db, user_id=principal.user_id, contact_id=contact_id, target=data.target)
    return {"contact_id": leg}


@router.post("/{contact_id}/consult", dependencies=[require("contacts.desktop")])
def consult(contact_id: IdPath, data: TransferIn, request: Request, db: DbSession,
            principal: CurrentPrincipal) -> dict[str, Any]:
    """Warm transfer: hold the customer and ring the target (same targets as a transfer) for a consultation."""
    leg = runtime_of(request.app).consult(db, user_id=principal.user_id, contact_id=contact_id, target=data.target)
    return {"contact_id": leg}


@router.post("/{contact_id}/consult/complete", dependencies=[require("contacts.desktop")])
def complete_consult(contact_id: IdPath, request: Request, db: DbSession,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    """Hand the customer to the consulted agent (who has answered); this agent goes to after-call work."""
    return {"contact_id": runtime_of(request.app).complete_consult(db, user_id=principal.user_id,
                                                                   contact_id=contact_id)}


@router.post("/{contact_id}/consult/cancel", dependencies=[require("contacts.desktop")])
def cancel_consult(contact_id: IdPath, request: Request, db: DbSession,
                   principal: CurrentPrincipal) -> dict[str, Any]:
    """Give up the consultation; the customer comes off hold."""
    runtime_of(request.app).cancel_consult(db, user_id=principal.user_id, contact_id=contact_id)
    return {"ok": True}


@router.post("/{contact_id}/messages", dependencies=[require("contacts.desktop")])
def agent_message(contact_id: IdPath, data: TextIn, db: DbSession, principal: CurrentPrincipal,
                  clock: AppClock) -> dict[str, Any]:
    """The agent says something (chat, or a voice call talked by text)."""
    c = svc.own_contact(db_session=db, principal=principal, contact_id=contact_id)
    m = svc.add_message(db_session=db, now=clock.now(), contact=c, sender="agent", text=data.text)
    return {"id": m.id}


@router.get("/history/{contact_id}", dependencies=[require("contacts.read")])
def contact_detail(contact_id: IdPath, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """One contact (own as an agent, in scope as a supervisor), with its conversation."""
    c = svc.get_contact(db_session=db, principal=principal, contact_id=contact_id)
    return {**svc.contact_view(db, c), "messages": svc.messages(db_session=db, contact_id=c.id)}


# ---------------------------------------------------------------- the caller side (softphone, web chat)
class CallIn(BaseModel):
    channel: Literal["voice", "chat"] = "voice"
    number: str = Field(..., min_length=5, max_length=20, pattern=r"^\d+$")


class KeyIn(BaseModel):
    key: str = Field(..., pattern=r"^([0-9*#]|timeout)$")


@router.post("/calls")
def dial(data: CallIn, request: Request, db: DbSession, clock: AppClock) -> dict[str, Any]:
    """A caller dials (or opens a chat): the IVR answers. Keep the token: it is the caller's only credential."""
    runtime_of(request.app)
    svc.ensure_configuration(db_session=db, now=clock.now())
    c, token = svc.do_open_contact(db_session=db, now=clock.now(), channel=data.channel, number=data.number)
    return {"contact_id": c.id, "token": token, "say": svc.ivr_prompt(db_session=db, contact=c)}


@router.post("/calls/{contact_id}/key")
def press(contact_id: IdPath, data: KeyIn, request: Request, db: DbSession,
          x_caller_token: str = Header("", max_length=64)) -> dict[str, Any]:
    """A DTMF key (or 'timeout') in the IVR."""
    return runtime_of(request.app).caller_key(db, contact_id=contact_id, token=x_caller_token, key=data.key)


@router.post("/calls/{contact_id}/messages")
def caller_message(contact_id: IdPath, data: TextIn, db: DbSession, clock: AppClock,
                   x_caller_token: str = Header("", max_length=64)) -> dict[str, Any]:
    """The caller says something to the agent."""
    c = svc.live_leg(db_session=db, contact=svc.caller_contact(db_session=db, contact_id=contact_id,
                                                                token=x_caller_token))
    m = svc.add_message(db_session=db, now=clock.now(), contact=c, sender="customer", text=data.text)
    return {"id": m.id}


@router.post("/calls/{contact_id}/hangup")
def hangup(contact_id: IdPath, request: Request, db: DbSession,
           x_caller_token: str = Header("", max_length=64)) -> dict[str, Any]:
    """The caller hangs up (self-served, abandoned, or end of talk)."""
    return {"outcome": runtime_of(request.app).hangup(db, contact_id=contact_id, token=x_caller_token)}


@router.get("/calls/{contact_id}")
def call_status(contact_id: IdPath, db: DbSession, after: int = 0,
                x_caller_token: str = Header("", max_length=64)) -> dict[str, Any]:
    """What the caller sees: state, agent's messages after an id (poll about once a second)."""
    first = svc.caller_contact(db_session=db, contact_id=contact_id, token=x_caller_token)
    c = svc.live_leg(db_session=db, contact=first)
    legs = [first.id] if c.id == first.id else [r for r in db.execute(
        select(Contact.id).where((Contact.id == first.id) | (Contact.caller_token_hash == first.caller_token_hash))
    ).scalars()]
    msgs = []
    for leg in sorted(legs):
        msgs += svc.messages(db_session=db, contact_id=leg, after=after)
    msgs.sort(key=lambda m: m["id"])
    return {"state": c.state, "leg": c.id, "queue": c.current_queue, "outcome": c.outcome,
            "agent": "connected" if c.state in ("talking", "hold") else "", "messages": msgs}


# ---------------------------------------------------------------- IVR menus
class MenuIn(BaseModel):
    unit_id: int = Field(..., ge=1, le=MAX_ID)
    name: str = Field(..., min_length=1, max_length=40)
    tree: dict[str, Any]


def _menu_out(m: Any) -> dict[str, Any]:
    return {"id": m.id, "unit_id": m.unit_id, "name": m.name, "version": m.version, "status": m.status,
            "tree": m.tree, "published_at": m.published_at.isoformat() if m.published_at else None}


@router.get("/ivr", dependencies=[require("contacts.manage")])
def list_ivr(db: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """IVR menu versions the principal manages."""
    return [_menu_out(m) for m in svc.list_menus(db_session=db, principal=principal)]


@router.post("/ivr", dependencies=[require("contacts.manage")])
def save_ivr(data: MenuIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
             actor: RequestActor) -> dict[str, Any]:
    """Save a draft version."""
    return _menu_out(svc.do_save_ivr_draft(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                           unit_id=data.unit_id, name=data.name, tree=data.tree))


@router.post("/ivr/{menu_id}/publish", dependencies=[require("contacts.manage")])
def publish_ivr(menu_id: IdPath, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                actor: RequestActor) -> dict[str, Any]:
    """Publish a version (publishing an older version is a rollback)."""
    return _menu_out(svc.do_publish_ivr(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                        menu_id=menu_id))


# ---------------------------------------------------------------- the WebSocket stream
def _ws_principal(app: Any, token: str) -> Principal | None:
    with app.state.sessionmaker() as db:
        found = org_service.signed_in(db_session=db, token=token, now=app.state.clock.now(),
                                      cache=app.state.session_cache)
        return found.principal if found else None


@router.websocket("/ws")
async def stream(ws: WebSocket, channel: str = "desktop", last_event_id: int = 0) -> None:
    """Events after `last_event_id`, then live, filtered by the policy. Auth: the session cookie (same origin).
    If the backlog no longer reaches the id, the server sends {"type": "resync"}: take a new snapshot."""
    app = ws.app
    permission = CHANNELS.get(channel)
    token = ws.cookies.get(SESSION_COOKIE) or ""
    origin = ws.headers.get("origin")
    host = ws.headers.get("host", "")
    if origin and origin.split("://", 1)[-1] != host:
        await ws.close(code=4403)
        return
    principal = await asyncio.to_thread(_ws_principal, app, token) if token else None
    if principal is None or permission is None or not principal.can(permission):
        await ws.close(code=4401 if principal is None else 4403)
        return
    await ws.accept()
    hub = app.state.hub
    queue, unsubscribe = fanout_of(app, asyncio.get_running_loop()).register(principal, permission)
    receiver: asyncio.Task[None] | None = None
    try:
        backlog = hub.since(last_event_id)
        sent = last_event_id
        if backlog is None or last_event_id > hub.last_event_id:  # too old, or ids of a server since restarted
            await ws.send_text(json.dumps({"id": hub.last_event_id, "type": "resync", "data": {}}))
            sent = hub.last_event_id
        else:
            for ev in backlog:
                if visible(principal, permission, ev):
                    await ws.send_text(json.dumps(wire(ev), ensure_ascii=False, default=str))
                sent = max(sent, ev.id)
        receiver = asyncio.create_task(_drain(ws, queue))
        while (ev := await queue.get()) is not None:  # None: the client went away
            if ev.id <= sent or not visible(principal, permission, ev):
                continue
            sent = ev.id
            await ws.send_text(json.dumps(wire(ev), ensure_ascii=False, default=str))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        unsubscribe()
        if receiver is not None:
            receiver.cancel()


class Fanout:
    """One hub subscription per event loop, routing each event only to the sockets that could see it: a desktop
    event to its owner's own sockets (an agent's desktop scope is "self"), anything else to every socket of its
    channel. One cross-thread wake-up per event instead of one per socket; `visible` still decides per socket."""

    def __init__(self, hub: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.own: dict[int, set[asyncio.Queue[Event | None]]] = {}
        self.broad: dict[str, set[asyncio.Queue[Event | None]]] = {}
        self.close = hub.subscribe(lambda ev: loop.call_soon_threadsafe(self._route, ev))

    def _route(self, ev: Event) -> None:
        for q in self.own.get(ev.owner_id, ()) if ev.owner_id is not None else ():  # type: ignore[arg-type]
            q.put_nowait(ev)
        for q in self.broad.get(ev.permission, ()):
            q.put_nowait(ev)

    def register(self, principal: Principal, permission: str) -> tuple[asyncio.Queue[Event | None], Any]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        group = (self.own.setdefault(principal.user_id, set()) if principal.grants.get(permission) == "self"
                 else self.broad.setdefault(permission, set()))
        group.add(queue)
        return queue, lambda: group.discard(queue)


def fanout_of(app: Any, loop: asyncio.AbstractEventLoop) -> Fanout:
    fan: Fanout | None = getattr(app.state, "contacts_fanout", None)
    if fan is None or fan.loop is not loop:
        if fan is not None:
            fan.close()
        fan = app.state.contacts_fanout = Fanout(app.state.hub, loop)
    return fan


async def _drain(ws: WebSocket, queue: asyncio.Queue[Event | None]) -> None:
    """Read (and ignore) client frames until the client goes away, then wake the sender; answer pings."""
    try:
        while True:
            msg = await ws.receive_text()
            if msg == "ping":
                await ws.send_text('{"type":"pong"}')
    except (WebSocketDisconnect, RuntimeError):
        queue.put_nowait(None)


__all__ = ["ContactOffer", "Forbidden", "router", "visible"]

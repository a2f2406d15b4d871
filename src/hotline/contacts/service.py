"""Contacts services: configuration, the IVR, contact and agent-state actions, and the routing commands' effects.

Every `do_*` works inside the caller's transaction (the runtime commits once per routing event) and queues
its events with `emit`, so they are published only after commit. Routing decisions are never taken here:
they come from the pure engine (`hotline.contacts.routing`) through `runtime.py`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.contacts.models import (AgentState, AgentStateLog, BusinessType, Contact, ContactMessage,
                                     ContactOffer, ContactQueue, IvrMenu)
from hotline.contacts.routing import (AgentConfig, Command, Connect, Offer, OfferCancelled, Overflow, OverflowRule,
                                      QueueConfig, Rejected, Requeue, RoutingConfig, RoutingPolicy, SetNotReady)
from hotline.core import audit
from hotline.core.auth import Principal, Resource, allowed
from hotline.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from hotline.core.events import Event, emit
from hotline.core.security import mask_phone
from hotline.org import service as org_service
from hotline.org.models import OrgUnit, User, UserRole

CONFIG_PATH = Path(__file__).resolve().parent / "data" / "contacts.yaml"
AGENT_ROLES = ("agent", "expert_seat")
ACTIVE_CONTACT_STATES = ("queued", "offered", "talking", "hold", "acw")
# What an agent may ask for in each state (the desktop's buttons follow this table; the runtime enforces it).
# A not-ready asked for during a contact (talking, hold, ACW) applies when the after-call work ends.
AGENT_ACTIONS: dict[str, tuple[str, ...]] = {
    "logged_out": ("login",), "not_ready": ("ready", "not_ready", "logout"), "ready": ("not_ready", "logout"),
    "offered": (), "talking": ("not_ready",), "hold": ("not_ready",), "acw": ("not_ready",)}
DESKTOP = "contacts.desktop"
WALLBOARD = "wallboard.read"


class ContactNotFound(NotFound):
    code = "contact_not_found"
    msg = "Contact not found"


class OfferClosed(Conflict):
    code = "offer_closed"
    msg = "The offer has expired or was withdrawn"


class RoutingRefused(Conflict):
    code = "routing_refused"
    msg = "The routing engine refused the action"


@lru_cache(maxsize=1)
def contacts_config() -> dict[str, Any]:
    """The contacts domain's static configuration (business types, IVR defaults, wrap-up codes...)."""
    with CONFIG_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def ts(dt: datetime | None) -> float | None:
    """Engine time (Unix seconds) from a timestamp."""
    return None if dt is None else dt.timestamp()


def from_ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def province_path(path: str) -> str:
    """'/1/2/5/9/' -> '/1/2/' (HQ itself stays '/1/')."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/"


# ---------------------------------------------------------------- configuration
def ensure_configuration(*, db_session: Session, now: datetime) -> int:
    """Seed queues (per province, from the demo plan), business types and IVR menus when absent. Returns rows added."""
    from hotline.seed import load_config

    if db_session.execute(select(ContactQueue.id).limit(1)).first() is not None:
        return 0
    provinces = db_session.execute(select(OrgUnit).where(OrgUnit.kind == "province").order_by(OrgUnit.id)
                                   ).scalars().all()
    if not provinces:
        return 0
    cfg, own = load_config(), contacts_config()
    added = 0
    hq = db_session.execute(select(OrgUnit).where(OrgUnit.kind == "hq")).scalars().first()
    short = (org_service.effective_standard(db_session=db_session, unit=provinces[0], key="short_abandon_s")
             or {}).get("max", 5)
    for prov in provinces:
        cap = (org_service.effective_standard(db_session=db_session, unit=prov, key="abandon.max") or {}).get("max")
        for q in [*cfg["queues"], *own["extra_queues"]]:
            std = org_service.effective_standard(db_session=db_session, unit=prov, key=q["standard"]) or {}
            rules = [{"after_s": r["after_s"], "to_queue": f"{prov.code}.{r['to_queue']}"}
                     for r in own["overflow"].get(q["code"], [])]
            db_session.add(ContactQueue(
                key=f"{prov.code}.{q['code']}", code=q["code"], unit_id=prov.id, org_path=prov.path, name=q["name"],
                tier=q.get("tier", ""), priority=q.get("priority", 0),
                sl_threshold_s=float(std.get("threshold_s", 20)), sl_target=float(std.get("target", 0.8)),
                short_abandon_s=float(short), abandon_cap=cap, overflow=rules))
            added += 1
        for name, tree in own["ivr"]["province"].items():
            db_session.add(IvrMenu(unit_id=prov.id, name=name, version=1, status="published", tree=tree,
                                   created_at=now, published_at=now))
            added += 1
    for bt in own["business_types"]:
        db_session.add(BusinessType(**bt))
        added += 1
    if hq is not None:
        db_session.add(IvrMenu(unit_id=hq.id, name="root", version=1, status="published", tree=own["ivr"]["root"],
                               created_at=now, published_at=now))
        added += 1
    db_session.flush()
    return added


def queues(*, db_session: Session) -> list[ContactQueue]:
    """Every active queue, by province then configuration order."""
    return list(db_session.execute(select(ContactQueue).where(ContactQueue.active.is_(True))
                                   .order_by(ContactQueue.unit_id, ContactQueue.id)).scalars())


def province_codes(*, db_session: Session) -> dict[str, str]:
    """Province path -> province code."""
    return {u.path: u.code for u in db_session.execute(select(OrgUnit).where(OrgUnit.kind == "province")).scalars()}


def agent_users(*, db_session: Session) -> list[User]:
    """Everyone who can take contacts (agents and expert seats)."""
    ids = select(UserRole.user_id).where(UserRole.role.in_(AGENT_ROLES))
    return list(db_session.execute(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)
                                   ).scalars())


def routing_config(*, db_session: Session) -> RoutingConfig:
    """The pure engine's configuration, built from the queue table and the agents' skills."""
    qs = queues(db_session=db_session)
    keys = {q.key for q in qs}
    codes = province_codes(db_session=db_session)
    queue_cfgs = tuple(QueueConfig(
        q.key, priority=q.priority, sl_threshold_s=q.sl_threshold_s, sl_target=q.sl_target, abandon_cap=q.abandon_cap,
        overflow=tuple(OverflowRule(r["after_s"], to_queue=r["to_queue"]) for r in q.overflow
                       if r["to_queue"] in keys)) for q in qs)
    agents, personal = [], []
    routing = contacts_config()["routing"]
    for u in agent_users(db_session=db_session):
        prov = codes.get(province_path(u.unit.path))
        skills = {f"{prov}.{s.skill}": max(1, min(5, s.level)) for s in u.skills if f"{prov}.{s.skill}" in keys}
        fallback = f"{prov}.regular"
        personal.append(QueueConfig(personal_queue(u.id), priority=int(routing["personal_priority"]), overflow=(
            OverflowRule(float(routing["personal_overflow_s"]), to_queue=fallback),) if fallback in keys else ()))
        skills[personal_queue(u.id)] = 5
        agents.append(AgentConfig(u.id, skills, tier=u.tier))
    policy = RoutingPolicy(offer_timeout_s=float(routing["offer_timeout_s"]))
    return RoutingConfig(queues=queue_cfgs + tuple(personal), agents=tuple(agents), policy=policy)


def personal_queue(user_id: int) -> str:
    """The engine queue of one agent: a transfer to a named agent waits here (only that agent serves it), and
    overflows to the province's regular queue if the agent does not take it in time."""
    return f"agent.{user_id}"


def transfer_agents(*, db_session: Session, province: str, exclude: int) -> list[dict[str, Any]]:
    """Agents of a province signed in to the desktop, for the transfer menu (name, team, state)."""
    rows = db_session.execute(select(AgentState, User).join(User, User.id == AgentState.user_id).where(
        AgentState.state != "logged_out", AgentState.org_path.startswith(province), AgentState.user_id != exclude)
        .order_by(User.display_name)).all()
    return [{"id": st.user_id, "name": u.display_name, "team": u.unit.name, "state": st.state} for st, u in rows]


def wrap_up_codes() -> list[dict[str, str]]:
    return list(contacts_config()["wrap_up_codes"])


def business_types(*, db_session: Session) -> dict[str, BusinessType]:
    return {b.code: b for b in db_session.execute(select(BusinessType)).scalars()}


def standard_max(*, db_session: Session, unit_path: str, key: str, default: float) -> float:
    """A `{max: N}` standard (acw.max_s, hold.max_s) as it applies to a unit."""
    unit = db_session.execute(select(OrgUnit).where(OrgUnit.path == unit_path)).scalar_one_or_none()
    value = org_service.effective_standard(db_session=db_session, unit=unit, key=key) if unit else None
    return float((value or {}).get("max", default))


# ---------------------------------------------------------------- IVR menus (versions: draft -> published, rollback)
def published_menu(*, db_session: Session, unit_id: int, name: str) -> IvrMenu | None:
    return db_session.execute(select(IvrMenu).where(IvrMenu.unit_id == unit_id, IvrMenu.name == name,
                                                    IvrMenu.status == "published")
                              .order_by(IvrMenu.version.desc()).limit(1)).scalar_one_or_none()


def _menu_owner(db_session: Session, principal: Principal, unit_id: int, name: str) -> OrgUnit:
    unit = db_session.get(OrgUnit, unit_id)
    if unit is None or not allowed(principal, "contacts.manage", Resource(unit.path)):
        raise NotFound("IVR menu not found")
    if (name == "root") != (unit.kind == "hq"):
        raise InvalidInput("name", "the national first level (root) belongs to HQ; provinces own sub-menus")
    return unit


def validate_tree(tree: dict[str, Any], where: str = "tree") -> None:
    """Raise InvalidInput naming the first bad node."""
    kind = tree.get("kind")
    if kind == "menu":
        if not isinstance(tree.get("prompt"), str) or not tree["prompt"]:
            raise InvalidInput(f"{where}.prompt", "a menu needs a prompt")
        for digit, child in (tree.get("options") or {}).items():
            if digit not in "0123456789" or len(digit) != 1:
                raise InvalidInput(f"{where}.options", f"{digit!r} is not a DTMF digit (* and # are reserved)")
            validate_tree(child, f"{where}.options.{digit}")
    elif kind == "transfer":
        if not tree.get("queue") or not tree.get("business_type"):
            raise InvalidInput(where, "a transfer leaf needs queue and business_type")
    elif kind == "self_service":
        if tree.get("operation") not in ("balance", "bill", "package"):
            raise InvalidInput(f"{where}.operation", "one of balance, bill, package")
    elif kind == "sub":
        if not tree.get("menu"):
            raise InvalidInput(f"{where}.menu", "a sub-menu reference needs a name")
    else:
        raise InvalidInput(f"{where}.kind", "one of menu, transfer, self_service, sub")


def do_save_ivr_draft(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, unit_id: int,
                      name: str, tree: dict[str, Any]) -> IvrMenu:
    """Save a new draft version of a menu."""
    unit = _menu_owner(db_session, principal, unit_id, name)
    validate_tree(tree)
    last = db_session.execute(select(func.max(IvrMenu.version)).where(IvrMenu.unit_id == unit_id,
                                                                      IvrMenu.name == name)).scalar() or 0
    menu = IvrMenu(unit_id=unit_id, name=name, version=last + 1, status="draft", tree=tree, created_at=now,
                   created_by=principal.user_id)
    db_session.add(menu)
    db_session.flush()
    audit.record(db_session, actor=actor, at=now, action="ivr.draft", target_type="ivr_menu", target_id=menu.id,
                 org_path=unit.path, detail={"name": name, "version": menu.version})
    return menu


def do_publish_ivr(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
                   menu_id: int) -> IvrMenu:
    """Publish a version (a draft, or an older version: that is a rollback); the live one is retired."""
    menu = db_session.get(IvrMenu, menu_id)
    if menu is None:
        raise NotFound("IVR menu not found")
    unit = _menu_owner(db_session, principal, menu.unit_id, menu.name)
    db_session.execute(update(IvrMenu).where(IvrMenu.unit_id == menu.unit_id, IvrMenu.name == menu.name,
                                             IvrMenu.status == "published").values(status="retired"))
    menu.status = "published"
    menu.published_at = now
    db_session.flush()
    audit.record(db_session, actor=actor, at=now, action="ivr.publish", target_type="ivr_menu", target_id=menu.id,
                 org_path=unit.path, detail={"name": menu.name, "version": menu.version})
    return menu


def list_menus(*, db_session: Session, principal: Principal) -> list[IvrMenu]:
    """Menu versions the principal may manage."""
    units = {u.id: u for u in db_session.execute(select(OrgUnit)).scalars()}
    rows = db_session.execute(select(IvrMenu).order_by(IvrMenu.unit_id, IvrMenu.name, IvrMenu.version)).scalars()
    return [m for m in rows if allowed(principal, "contacts.manage", Resource(units[m.unit_id].path))]


def _ivr_node(db_session: Session, contact: Contact, digits: list[str]) -> dict[str, Any] | None:
    """Follow DTMF digits from the national root, through province sub-menus."""
    hq = db_session.execute(select(OrgUnit.id).where(OrgUnit.kind == "hq")).scalar()
    root = published_menu(db_session=db_session, unit_id=hq, name="root") if hq else None
    node: dict[str, Any] | None = root.tree if root else None
    for d in digits:
        if node is None:
            return None
        node = (node.get("options") or {}).get(d)
        if node is not None and node.get("kind") == "sub":
            sub = published_menu(db_session=db_session, unit_id=contact.province_id or 0, name=node["menu"])
            node = sub.tree if sub else None
    return node


# ---------------------------------------------------------------- contacts: arrival and IVR
def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_open_contact(*, db_session: Session, now: datetime, channel: str, number: str) -> tuple[Contact, str]:
    """A call or chat arrives: identify the caller by number, start the IVR. Returns the contact and its caller token."""
    if channel not in ("voice", "chat", "sms"):
        raise InvalidInput("channel", "one of voice, chat, sms")
    if not number.isdigit() or not 5 <= len(number) <= 20:
        raise InvalidInput("number", "digits only, 5 to 20")
    from hotline.customers import service as customer_service

    customer = customer_service.find_by_number(db_session=db_session, number=number)
    province: OrgUnit | None = None
    if customer is not None:
        province = db_session.get(OrgUnit, customer.province_id)
    if province is None:  # unknown numbers land in the first province
        province = db_session.execute(select(OrgUnit).where(OrgUnit.kind == "province").order_by(OrgUnit.id)
                                      ).scalars().first()
    token = secrets.token_urlsafe(24)
    c = Contact(channel=channel, state="ivr", caller=number, caller_token_hash=token_digest(token),
                province_id=province.id if province else None, org_path=province.path if province else "/",
                customer_id=customer.id if customer else None,
                segment=customer.segment if customer else "regular", arrived_at=now, ivr_path=[])
    db_session.add(c)
    db_session.flush()
    return c, token


def caller_contact(*, db_session: Session, contact_id: int, token: str) -> Contact:
    """The caller's own contact (the caller token is the only credential of a softphone or chat page)."""
    c = db_session.get(Contact, contact_id)
    if c is None or not token or not secrets.compare_digest(c.caller_token_hash, token_digest(token)):
        raise ContactNotFound()
    return c


def ivr_prompt(*, db_session: Session, contact: Contact) -> str:
    """What the caller hears now."""
    if contact.state != "ivr":
        return ""
    node = _ivr_node(db_session, contact, contact.ivr_node.split(",") if contact.ivr_node else [])
    return node.get("prompt", "") if node else ""


@dataclass(frozen=True)
class IvrStep:
    """The IVR's answer to one key press: what to say, and where the contact goes (queue or self-served)."""

    say: str
    queue: str | None = None
    business_type: str | None = None
    self_served: bool = False


def _self_service(db_session: Session, contact: Contact, operation: str) -> str:
    from hotline.customers.bss import BuiltinBss
    from hotline.customers.models import Customer

    customer = db_session.get(Customer, contact.customer_id) if contact.customer_id else None
    if customer is None:
        return "未能识别您的号码，请按0转人工服务。"
    if operation == "balance":
        return f"您的当前余额为{customer.balance_cents / 100:.2f}元。"
    if operation == "bill":
        bills = BuiltinBss(db_session).bills(customer, 1).data.get("bills") or []
        if not bills:
            return "暂无账单。"
        b = bills[0]
        return f"您{b['month']}月账单金额为{b['amount_cents'] / 100:.2f}元。"
    from hotline.customers.models import Subscription

    sub = db_session.execute(select(Subscription).where(Subscription.customer_id == customer.id,
                                                        Subscription.effective_to.is_(None))
                             .order_by(Subscription.effective_from.desc()).limit(1)).scalar_one_or_none()
    return f"您当前的套餐为{sub.package.name}。" if sub else "未查询到套餐。"


def do_ivr_input(*, db_session: Session, now: datetime, contact: Contact, key: str) -> IvrStep:
    """One DTMF key (or 'timeout'): move in the tree, answer self-service, or pick the queue. Every step is recorded."""
    if contact.state != "ivr":
        raise IllegalTransition("The call has left the IVR", state=contact.state)
    digits = contact.ivr_node.split(",") if contact.ivr_node else []
    node = _ivr_node(db_session, contact, digits)
    path = list(contact.ivr_path)
    path.append({"at": now.isoformat(), "node": ",".join(digits) or "root", "key": key})
    contact.ivr_path = path
    if node is None:
        return IvrStep("系统繁忙，正在为您转接人工服务。", queue="regular", business_type="general")
    if key == "*":
        contact.ivr_node = ",".join(digits[:-1])
        return IvrStep(ivr_prompt(db_session=db_session, contact=contact))
    if key in ("#", "repeat"):
        return IvrStep(node.get("prompt", ""))
    if key == "timeout" or key not in (node.get("options") or {}):
        misses = sum(1 for p in path if p["key"] == "timeout" or p.get("invalid"))
        path[-1]["invalid"] = True
        contact.ivr_path = list(path)
        if misses >= 2:
            return IvrStep("正在为您转接人工服务，请稍候。", queue="regular", business_type="general")
        return IvrStep(("输入有误。" if key != "timeout" else "") + node.get("prompt", ""))
    child = _ivr_node(db_session, contact, [*digits, key])
    if child is None:
        return IvrStep("该服务暂不可用。" + node.get("prompt", ""))
    kind = child.get("kind")
    if kind == "menu":
        contact.ivr_node = ",".join([*digits, key])
        return IvrStep(child["prompt"])
    if kind == "self_service":
        answer = _self_service(db_session, contact, child["operation"])
        path[-1]["self_service"] = child["operation"]
        contact.ivr_path = list(path)
        contact.business_type = contact.business_type or {"balance": "bill_query", "bill": "bill_query",
                                                          "package": "package_change"}[child["operation"]]
        return IvrStep(answer + "如需其他服务请继续选择，结束请挂机。", self_served=True)
    return IvrStep(child.get("prompt", "请稍候。"), queue=child["queue"], business_type=child["business_type"])


def queue_for(*, db_session: Session, contact: Contact, queue_code: str) -> str:
    """The engine queue key for a contact of this province (VIP customers go to the VIP desk instead of regular)."""
    codes = province_codes(db_session=db_session)
    prov = codes.get(contact.org_path) or next(iter(codes.values()), "")
    vip = contacts_config()["routing"]["vip_queue"]
    if contact.segment == "vip" and queue_code == "regular":
        queue_code = vip
    return f"{prov}.{queue_code}"


def do_queue(*, db_session: Session, now: datetime, contact: Contact, queue_key: str, business_type: str,
             priority: int = 0) -> None:
    """The contact leaves the IVR (or a transfer starts a new leg) and waits in a queue."""
    contact.ivr_end_at = contact.ivr_end_at or now
    contact.state = "queued"
    contact.queue = contact.queue or queue_key
    contact.current_queue = queue_key
    contact.business_type = business_type
    contact.queued_at = contact.queued_at or now
    contact.entered_at = now
    contact.priority = priority
    db_session.flush()


def do_self_served(*, db_session: Session, now: datetime, contact: Contact) -> None:
    """The caller hung up in the IVR: self-served if a self-service answer was given, else abandoned in IVR."""
    served = any(p.get("self_service") for p in contact.ivr_path)
    contact.state = "ended"
    contact.ended_at = now
    contact.ivr_end_at = contact.ivr_end_at or now
    contact.outcome = "self_served" if served else "abandoned"
    if contact.outcome == "self_served":
        codes = province_codes(db_session=db_session)
        contact.queue = contact.queue or f"{codes.get(contact.org_path, '')}.regular"


def do_abandon(*, db_session: Session, now: datetime, contact: Contact) -> None:
    """The caller hung up while waiting (or ringing)."""
    contact.state = "ended"
    contact.abandoned_at = now
    contact.ended_at = now
    contact.outcome = "overflowed" if contact.overflowed_to_queue else "abandoned"
    _close_offers(db_session, contact.id, now, "cancelled")
    publish_contact(db_session, contact)


def add_message(*, db_session: Session, now: datetime, contact: Contact, sender: str, text: str) -> ContactMessage:
    """One line of conversation; only while the contact is with an agent (or system lines)."""
    text = text.strip()
    if not text or len(text) > 2000:
        raise InvalidInput("text", "1 to 2000 characters")
    if sender != "system" and contact.state not in ("talking", "hold"):
        raise IllegalTransition("Not connected to an agent", state=contact.state)
    m = ContactMessage(contact_id=contact.id, at=now, sender=sender, text=text)
    db_session.add(m)
    db_session.flush()
    if contact.agent_id:
        emit(db_session, Event("desktop.message", {"contact_id": contact.id, "id": m.id, "sender": sender,
                                                   "text": text, "at": now.isoformat()},
                               contact.agent_path, DESKTOP, contact.agent_id))
    return m


def messages(*, db_session: Session, contact_id: int, after: int = 0) -> list[dict[str, Any]]:
    rows = db_session.execute(select(ContactMessage).where(ContactMessage.contact_id == contact_id,
                                                           ContactMessage.id > after).order_by(ContactMessage.id))
    return [{"id": m.id, "sender": m.sender, "text": m.text, "at": m.at.isoformat()} for m in rows.scalars()]


# ---------------------------------------------------------------- agent states
def agent_state(*, db_session: Session, user: User, now: datetime) -> AgentState:
    """The agent's state row (created logged-out on first use)."""
    st = db_session.get(AgentState, user.id)
    if st is None:
        st = AgentState(user_id=user.id, org_path=user.unit.path, state="logged_out", since=now)
        db_session.add(st)
        db_session.flush()
    return st


def agent_state_or_default(*, db_session: Session, user: User, now: datetime) -> AgentState:
    """The agent's state row, or an unsaved logged-out one (reads never write)."""
    return db_session.get(AgentState, user.id) or AgentState(user_id=user.id, org_path=user.unit.path,
                                                             state="logged_out", reason="", since=now,
                                                             simulated=False)


def set_state(db_session: Session, st: AgentState, state: str, reason: str, now: datetime,
              contact_id: int | None = None) -> None:
    """Change an agent's state: close the open log segment, open a new one, publish."""
    if st.state == state and st.reason == reason and st.contact_id == contact_id:
        return
    db_session.execute(update(AgentStateLog).where(AgentStateLog.user_id == st.user_id,
                                                   AgentStateLog.ended_at.is_(None)).values(ended_at=now))
    if state == "ready" and st.state != "ready":
        st.idle_since = now
    st.state, st.reason, st.since, st.contact_id = state, reason if state == "not_ready" else "", now, contact_id
    if state != "logged_out":
        db_session.add(AgentStateLog(user_id=st.user_id, org_path=st.org_path, state=state, reason=st.reason,
                                     started_at=now, contact_id=contact_id))
    db_session.flush()
    publish_agent(db_session, st)


def agent_row(db_session: Session, st: AgentState) -> dict[str, Any]:
    user = db_session.get(User, st.user_id)
    return {"id": st.user_id, "name": user.display_name if user else "", "team": user.unit.name if user else "",
            "state": st.state, "reason": st.reason, "since": st.since.isoformat(), "contact_id": st.contact_id,
            "simulated": st.simulated}


def publish_agent(db_session: Session, st: AgentState) -> None:
    row = agent_row(db_session, st)
    emit(db_session, Event("wallboard.agent", row, st.org_path, WALLBOARD, st.user_id))
    emit(db_session, Event("desktop.state", row, st.org_path, DESKTOP, st.user_id))


# ---------------------------------------------------------------- what the desktop shows
def contact_view(db_session: Session, c: Contact) -> dict[str, Any]:
    """A contact as the agent desktop sees it (the number masked)."""
    from hotline.customers.models import Customer

    customer = db_session.get(Customer, c.customer_id) if c.customer_id else None
    bts = business_types(db_session=db_session)
    offer = db_session.execute(select(ContactOffer).where(ContactOffer.contact_id == c.id,
                                                          ContactOffer.status == "open")).scalars().first()
    return {
        "id": c.id, "channel": c.channel, "state": c.state, "caller": mask_phone(c.caller),
        "customer_id": c.customer_id, "customer_name": customer.name if customer else "",
        "segment": c.segment, "business_type": c.business_type,
        "business_type_name": bts[c.business_type].name if c.business_type in bts else c.business_type,
        "queue": c.current_queue, "ivr_path": [p["node"] + ":" + p["key"] for p in c.ivr_path],
        "offer_id": offer.id if offer else None,
        "offer_expires_at": offer.expires_at.isoformat() if offer and offer.expires_at else None,
        "queued_at": c.queued_at.isoformat() if c.queued_at else None,
        "answered_at": c.answered_at.isoformat() if c.answered_at else None,
        "hold_started_at": c.hold_started_at.isoformat() if c.hold_started_at else None,
        "hold_s": c.hold_s, "talk_end_at": c.talk_end_at.isoformat() if c.talk_end_at else None,
        "wrap_up_code": c.wrap_up_code, "outcome": c.outcome, "work_orders": c.work_orders,
        "agent_id": c.agent_id, "consult": _consult_view(db_session, c),
    }


def _consult_view(db_session: Session, c: Contact) -> dict[str, Any] | None:
    leg = consult_leg(db_session=db_session, contact=c) if c.state in ("talking", "hold") else None
    if leg is None:
        return None
    agent = db_session.get(User, leg.agent_id) if leg.agent_id else None
    return {"id": leg.id, "state": leg.state, "agent": agent.display_name if agent else ""}


def publish_contact(db_session: Session, c: Contact) -> None:
    if c.agent_id:
        emit(db_session, Event("desktop.contact", contact_view(db_session, c), c.agent_path, DESKTOP, c.agent_id))
    parent = db_session.get(Contact, c.parent_id) if c.parent_id and c.note == CONSULT else None
    if parent is not None and parent.agent_id:  # the consulting agent follows the consultation leg
        emit(db_session, Event("desktop.contact", contact_view(db_session, parent), parent.agent_path, DESKTOP,
                               parent.agent_id))


def history_for_customer(*, db_session: Session, principal: Principal, customer_id: int) -> list[dict[str, Any]]:
    """The customer's last contacts for the 360 view."""
    rows = db_session.execute(select(Contact).where(Contact.customer_id == customer_id)
                              .order_by(Contact.id.desc()).limit(10)).scalars()
    return [{"id": c.id, "at": c.arrived_at.isoformat(), "channel": c.channel,
             "summary": f"{c.channel} · {c.business_type or '-'} · {c.outcome or c.state}"
                        + (f" · {c.wrap_up_code}" if c.wrap_up_code else "")} for c in rows]


def get_contact(*, db_session: Session, principal: Principal, contact_id: int) -> Contact:
    """A contact the principal may read (their own as an agent; their scope as a supervisor); else 404."""
    c = db_session.get(Contact, contact_id)
    if c is None or not allowed(principal, "contacts.read", Resource(c.agent_path or c.org_path, c.agent_id)):
        raise ContactNotFound()
    return c


# ---------------------------------------------------------------- applying routing commands
def _close_offers(db_session: Session, contact_id: int, now: datetime, status: str) -> None:
    db_session.execute(update(ContactOffer).where(ContactOffer.contact_id == contact_id,
                                                  ContactOffer.status == "open").values(status=status, closed_at=now))


def _agent(db_session: Session, agent_id: Any, now: datetime) -> AgentState:
    st = db_session.get(AgentState, int(agent_id))
    if st is None:
        user = db_session.get(User, int(agent_id))
        assert user is not None
        st = agent_state(db_session=db_session, user=user, now=now)
    return st


CANCEL_STATUS = {"timeout": "timed_out", "rejected": "rejected"}


def apply_commands(*, db_session: Session, commands: list[Command], now: datetime) -> list[Rejected]:
    """Carry out the routing engine's commands in the database; return the refusals for the caller."""
    refused: list[Rejected] = []
    for cmd in commands:
        at = from_ts(cmd.at) if cmd.at > 0 else now
        match cmd:
            case Offer():
                c = db_session.get(Contact, int(cmd.contact_id))
                st = _agent(db_session, cmd.agent_id, at)
                db_session.add(ContactOffer(id=cmd.offer_id, contact_id=c.id, agent_id=st.user_id, offered_at=at,
                                            expires_at=from_ts(cmd.expires_at) if cmd.expires_at else None))
                c.state, c.offered_at = "offered", c.offered_at or at
                c.agent_id, c.agent_path = st.user_id, st.org_path
                db_session.flush()
                set_state(db_session, st, "offered", "", at, c.id)
                publish_contact(db_session, c)
            case Connect():
                c = db_session.get(Contact, int(cmd.contact_id))
                st = _agent(db_session, cmd.agent_id, at)
                db_session.execute(update(ContactOffer).where(ContactOffer.id == cmd.offer_id)
                                   .values(status="accepted", closed_at=at))
                c.state, c.answered_at = "talking", at
                c.offered_at = c.offered_at or at
                c.agent_id, c.agent_path = st.user_id, st.org_path
                set_state(db_session, st, "talking", "", at, c.id)
                publish_contact(db_session, c)
            case OfferCancelled():
                db_session.execute(update(ContactOffer).where(ContactOffer.id == cmd.offer_id,
                                                              ContactOffer.status == "open")
                                   .values(status=CANCEL_STATUS.get(cmd.reason, "cancelled"), closed_at=at))
                c = db_session.get(Contact, int(cmd.contact_id))
                emit(db_session, Event("desktop.offer_cancelled", {"offer_id": cmd.offer_id, "contact_id": c.id,
                                                                   "reason": cmd.reason},
                                       c.agent_path, DESKTOP, int(cmd.agent_id)))
                st = db_session.get(AgentState, int(cmd.agent_id))
                if st is not None and st.state == "offered" and cmd.reason == "abandoned":
                    set_state(db_session, st, "ready", "", at)
            case Requeue():
                c = db_session.get(Contact, int(cmd.contact_id))
                if cmd.reason != "transfer":
                    prev = db_session.get(AgentState, c.agent_id) if c.agent_id else None
                    c.state, c.agent_id, c.agent_path = "queued", None, ""
                    c.current_queue = cmd.queue
                    if prev is not None and prev.state == "offered" and prev.contact_id == c.id:
                        set_state(db_session, prev, "ready", "", at)
            case Overflow():
                c = db_session.get(Contact, int(cmd.contact_id))
                if cmd.to_queue != cmd.from_queue:
                    c.overflowed_to_queue = cmd.to_queue
                    c.current_queue = cmd.to_queue
                    c.entered_at = at
            case SetNotReady():
                st = _agent(db_session, cmd.agent_id, at)
                st.pending_reason = ""
                set_state(db_session, st, "not_ready", cmd.reason, at)
            case Rejected():
                refused.append(cmd)
    db_session.flush()
    return refused


# ---------------------------------------------------------------- agent actions on a contact (no routing decision)
def own_contact(*, db_session: Session, principal: Principal, contact_id: int) -> Contact:
    c = db_session.get(Contact, contact_id)
    if c is None or c.agent_id != principal.user_id:
        raise ContactNotFound()
    return c


def do_hold(*, db_session: Session, now: datetime, contact: Contact, on: bool) -> None:
    """Put a talking contact on hold, or take it off (hold time is summed on the contact)."""
    if on and contact.state != "talking" or not on and contact.state != "hold":
        raise IllegalTransition("Cannot change hold now", state=contact.state)
    st = db_session.get(AgentState, contact.agent_id)
    if on:
        contact.state, contact.hold_started_at = "hold", now
    else:
        contact.hold_s += (now - contact.hold_started_at).total_seconds() if contact.hold_started_at else 0.0
        contact.state, contact.hold_started_at = "talking", None
    set_state(db_session, st, contact.state, "", now, contact.id)
    publish_contact(db_session, contact)


def finish_talk(db_session: Session, contact: Contact, now: datetime) -> None:
    """Talk ends (hang-up or transfer): close hold, stamp talk_end_at."""
    if contact.state == "hold" and contact.hold_started_at:
        contact.hold_s += (now - contact.hold_started_at).total_seconds()
        contact.hold_started_at = None
    contact.talk_end_at = now


def do_end_talk(*, db_session: Session, now: datetime, contact: Contact) -> None:
    """The talk ends: the contact and agent go to after-call work."""
    if contact.state not in ("talking", "hold"):
        raise IllegalTransition("The contact is not in a conversation", state=contact.state)
    finish_talk(db_session, contact, now)
    contact.state = "acw"
    st = db_session.get(AgentState, contact.agent_id)
    set_state(db_session, st, "acw", "", now, contact.id)
    publish_contact(db_session, contact)


def do_wrap_up(*, db_session: Session, now: datetime, contact: Contact, code: str, note: str = "",
               work_orders: list[str] | None = None) -> None:
    """After-call work ends with a wrap-up code; the contact is closed."""
    if contact.state != "acw":
        raise IllegalTransition("The contact is not in after-call work", state=contact.state)
    if code not in {w["code"] for w in wrap_up_codes()}:
        raise InvalidInput("code", "unknown wrap-up code")
    contact.wrap_up_code, contact.note = code, note[:500]
    if work_orders:
        contact.work_orders = [*contact.work_orders, *[str(w)[:40] for w in work_orders]]
    contact.acw_end_at = contact.ended_at = now
    contact.state = "ended"
    if not contact.outcome:
        contact.outcome = ("overflowed" if contact.overflowed_to_queue else
                           "transferred" if contact.transferred_to_queue else "answered")
    publish_contact(db_session, contact)


CONSULT = "consult"  # the note of a consultation leg (warm transfer) until the transfer completes


def _new_leg(db_session: Session, now: datetime, contact: Contact, to_queue: str, text: str) -> Contact:
    """A new leg (a new contact) of the same conversation, queued at `to_queue`."""
    leg = Contact(channel=contact.channel, state="queued", caller=contact.caller,
                  caller_token_hash=contact.caller_token_hash, province_id=contact.province_id,
                  org_path=contact.org_path, customer_id=contact.customer_id, segment=contact.segment,
                  business_type=contact.business_type, parent_id=contact.id, ivr_path=contact.ivr_path,
                  arrived_at=now, ivr_end_at=now)
    db_session.add(leg)
    db_session.flush()
    code = to_queue.split(".", 1)[-1]
    do_queue(db_session=db_session, now=now, contact=leg, queue_key=to_queue,
             business_type="marketing" if code == "marketing" else contact.business_type, priority=contact.priority)
    db_session.add(ContactMessage(contact_id=leg.id, at=now, sender="system", text=text))
    return leg


def _hand_over(db_session: Session, now: datetime, contact: Contact, to_queue: str) -> None:
    """This leg is transferred: talk ends, the agent goes to after-call work, the caller follows the new leg."""
    finish_talk(db_session, contact, now)
    contact.transferred_to_queue = to_queue
    contact.transferred_at = now
    contact.state = "acw"
    st = db_session.get(AgentState, contact.agent_id)
    set_state(db_session, st, "acw", "", now, contact.id)
    publish_contact(db_session, contact)


def do_transfer_leg(*, db_session: Session, now: datetime, contact: Contact, to_queue: str) -> Contact:
    """A blind transfer: this leg is marked transferred and goes to ACW; a new leg (a new contact) is created."""
    if contact.state not in ("talking", "hold"):
        raise IllegalTransition("Only a contact in conversation can be transferred", state=contact.state)
    leg = _new_leg(db_session, now, contact, to_queue, f"转接自 #{contact.id}（{contact.business_type}）")
    _hand_over(db_session, now, contact, to_queue)
    return leg


def consult_leg(*, db_session: Session, contact: Contact) -> Contact | None:
    """The open consultation leg of a contact (warm transfer not yet completed), if any."""
    if contact.transferred_at is not None:
        return None
    return db_session.execute(select(Contact).where(Contact.parent_id == contact.id, Contact.note == CONSULT,
                                                    Contact.state != "ended").limit(1)).scalar_one_or_none()


def do_consult(*, db_session: Session, now: datetime, contact: Contact, to_queue: str) -> Contact:
    """A warm transfer starts: the customer is put on hold and a consultation leg is queued for the target."""
    if contact.state not in ("talking", "hold") or consult_leg(db_session=db_session, contact=contact):
        raise IllegalTransition("Only a contact in conversation, not already consulting, can be", state=contact.state)
    if contact.state == "talking":
        do_hold(db_session=db_session, now=now, contact=contact, on=True)
    agent = db_session.get(User, contact.agent_id)
    leg = _new_leg(db_session, now, contact, to_queue,
                   f"咨询转接：{agent.display_name if agent else ''} 转来 #{contact.id}（{contact.business_type}）")
    leg.note = CONSULT
    publish_contact(db_session, contact)
    return leg


def do_complete_consult(*, db_session: Session, now: datetime, contact: Contact) -> Contact:
    """The consulted agent has taken the call: hand the customer over (the consulting agent goes to ACW)."""
    leg = consult_leg(db_session=db_session, contact=contact)
    if leg is None or leg.state not in ("talking", "hold"):
        raise IllegalTransition("The consulted party has not answered yet", state=leg.state if leg else "none")
    leg.note = ""
    _hand_over(db_session, now, contact, leg.current_queue)
    publish_contact(db_session, leg)
    return leg


def do_cancel_consult(*, db_session: Session, now: datetime, contact: Contact) -> Contact:
    """Give up the consultation: the leg ends (not counted as an abandoned call); the customer comes off hold."""
    leg = consult_leg(db_session=db_session, contact=contact)
    if leg is None:
        raise IllegalTransition("No consultation in progress", state=contact.state)
    if leg.state in ("talking", "hold"):
        finish_talk(db_session, leg, now)
        leg.state = "acw"
        set_state(db_session, db_session.get(AgentState, leg.agent_id), "acw", "", now, leg.id)
    else:
        leg.state, leg.ended_at, leg.outcome = "ended", now, "cancelled"
        _close_offers(db_session, leg.id, now, "cancelled")
    publish_contact(db_session, leg)
    if contact.state == "hold":
        do_hold(db_session=db_session, now=now, contact=contact, on=False)
    return leg


def live_leg(*, db_session: Session, contact: Contact) -> Contact:
    """The newest leg of a caller's conversation (after completed transfers; a consultation is not one yet)."""
    while contact.transferred_at is not None:
        child = db_session.execute(select(Contact).where(Contact.parent_id == contact.id)
                                   .order_by(Contact.id.desc()).limit(1)).scalar_one_or_none()
        if child is None:
            return contact
        contact = child
    return contact


def waiting_contacts(*, db_session: Session) -> list[Contact]:
    """Contacts the router still owns (waiting, ringing, connected), in their routing order."""
    return list(db_session.execute(select(Contact).where(Contact.state.in_(("queued", "offered", "talking", "hold")))
                                   .order_by(Contact.seq, Contact.id)).scalars())


def acw_overdue(*, db_session: Session, now: datetime) -> list[AgentState]:
    """Agents whose ACW passed the configured automatic end."""
    limit = timedelta(seconds=float(contacts_config()["routing"]["acw_auto_end_s"]))
    return list(db_session.execute(select(AgentState).where(AgentState.state == "acw",
                                                            AgentState.since <= now - limit)).scalars())

"""Work-order services: reads, create, and the `do_*` actions of the closed loop. Each action runs inside
the caller's transaction, checks the policy and the version the client read (stale → 409), goes through
the transition table, and writes a history row and an audit row; events are published after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from hotline.core import audit, idempotency
from hotline.core.auth import Principal, Resource, allowed, visible_prefix
from hotline.core.bizcal import LOCAL_TZ, Period
from hotline.core.db import bulk_insert, draw_ids, pipelined
from hotline.core.errors import Forbidden, HotlineError, InvalidInput, NotFound, StaleVersion
from hotline.core.events import Event, emit
from hotline.core.models import AuditEntry
from hotline.customers.models import Customer, CustomerNumber
from hotline.org.models import OrgUnit
from hotline.tickets import catalog, rules, schemas
from hotline.tickets.models import (
    SmsOutbox,
    Ticket,
    TicketCallback,
    TicketCategory,
    TicketContact,
    TicketHistory,
    TicketLink,
    TicketNotification,
    TicketStep,
    TicketSuspension,
    TicketTimer,
)

REPEAT_WINDOW = timedelta(days=30)
FRONTLINE_ACTIONS = frozenset({"frontline_try", "to_expert", "solve"})
DEPT_ACTIONS = frozenset({"redispatch", "return", "reply"})


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    msg = "Work order not found"


# ---------------------------------------------------------------- SMS adapter
class SmsGateway(Protocol):
    """Sends an SMS to a customer; the built-in one queues it in the outbox table."""

    def send(self, db_session: Session, *, to: str, template: str, body: str, ticket_id: int | None,
             now: datetime) -> None: ...


class OutboxSms:
    """Built-in SMS adapter: writes the message to `sms_outbox` (a real gateway drains it)."""

    def send(self, db_session: Session, *, to: str, template: str, body: str, ticket_id: int | None,
             now: datetime) -> None:
        db_session.add(SmsOutbox(ticket_id=ticket_id, to_number=to, template=template, body=body, created_at=now))


SMS_TEXT = {
    "accepted": "【客服热线】您反映的问题已受理，工单号{no}，我们将尽快处理并回复您。",
    "closed": "【客服热线】您的工单{no}已处理完毕并归档，感谢您的支持。",
}


def _sms(db_session: Session, sms: SmsGateway | None, t: Ticket, template: str, now: datetime) -> None:
    if t.customer_id is None:
        return
    number = db_session.execute(
        select(CustomerNumber.number).where(CustomerNumber.customer_id == t.customer_id).order_by(CustomerNumber.id)
    ).scalar()
    if number:
        (sms or OutboxSms()).send(db_session, to=number, template=template, body=SMS_TEXT[template].format(no=t.no),
                                  ticket_id=t.id, now=now)


# ---------------------------------------------------------------- categories
def seed_demo(*, db_session: Session, now: datetime, config: dict[str, Any]) -> None:
    """Demo data for work orders: the classification trees."""
    seed_categories(db_session=db_session)


def seed_categories(*, db_session: Session) -> int:
    """Insert the seed classification trees where missing (idempotent); returns rows added."""
    added = 0
    for tree, tree_text in catalog.TREES.items():
        have = {c.code: c for c in db_session.execute(select(TicketCategory).where(TicketCategory.tree == tree)).scalars()}
        for sort, (level, code, parent, name, name_en) in enumerate(catalog.parse_tree(tree_text)):
            if code in have:
                continue
            row = TicketCategory(tree=tree, level=level, code=code, name=name, name_en=name_en, sort=sort,
                                 parent_id=have[parent].id if parent else None)
            db_session.add(row)
            db_session.flush()
            have[code] = row
            added += 1
    return added


def list_categories(*, db_session: Session, tree: str, active_only: bool = True) -> list[TicketCategory]:
    """A classification tree in display order."""
    q = select(TicketCategory).where(TicketCategory.tree == tree).order_by(TicketCategory.sort, TicketCategory.id)
    if active_only:
        q = q.where(TicketCategory.active.is_(True))
    return list(db_session.execute(q).scalars())


def category_path(*, db_session: Session, category_id: int | None) -> list[str]:
    """Names from level 1 down to the category."""
    names: list[str] = []
    while category_id is not None:
        c = db_session.get(TicketCategory, category_id)
        if c is None:
            break
        names.insert(0, c.name)
        category_id = c.parent_id
    return names


def _leaf(db_session: Session, category_id: int | None, tree: str, field: str, required: bool) -> int | None:
    if category_id is None:
        if required:
            raise InvalidInput(field, "choose a level-3 category")
        return None
    c = db_session.get(TicketCategory, category_id)
    if c is None or c.tree != tree or not c.active or c.level != 3:
        raise InvalidInput(field, "must be an active level-3 category of the " + tree + " tree")
    return c.id


def save_category(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, tree: str,
                  code: str, name: str, name_en: str = "", parent_id: int | None = None,
                  category_id: int | None = None, active: bool = True, version: int | None = None) -> TicketCategory:
    """Add or edit a node of a classification tree (administrators)."""
    if not allowed(principal, "tickets.manage"):
        raise Forbidden(permission="tickets.manage")
    if tree not in catalog.TREES:
        raise InvalidInput("tree", "phenomenon or cause")
    if category_id is None:
        parent = db_session.get(TicketCategory, parent_id) if parent_id else None
        if parent_id and (parent is None or parent.tree != tree or parent.level >= 3):
            raise InvalidInput("parent_id", "a level-1 or level-2 node of the same tree")
        row = TicketCategory(tree=tree, code=code, name=name, name_en=name_en,
                             parent_id=parent.id if parent else None, level=parent.level + 1 if parent else 1)
        db_session.add(row)
    else:
        row = db_session.get(TicketCategory, category_id)
        if row is None or row.tree != tree:
            raise NotFound()
        if version is not None and version != row.version:
            raise StaleVersion()
        row.name, row.name_en, row.active = name, name_en, active
    _flush(db_session)
    audit.record(db_session, actor=actor, at=now, action="tickets.category.save", target_type="ticket_category",
                 target_id=row.id, detail={"tree": tree, "code": code, "name": name, "active": active})
    return row


# ---------------------------------------------------------------- access
def _dept_path(db_session: Session, dept_id: int | None) -> str | None:
    if dept_id is None:
        return None
    return db_session.execute(select(OrgUnit.path).where(OrgUnit.id == dept_id)).scalar()


def can_read(db_session: Session, principal: Principal, t: Ticket) -> bool:
    """Owner scope, centre scope, or the department currently holding the order."""
    if allowed(principal, "tickets.read", Resource(t.org_path, owner_id=t.created_by)):
        return True
    dept = _dept_path(db_session, t.dept_id)
    return dept is not None and allowed(principal, "tickets.dept", Resource(dept))


def _can_act(db_session: Session, principal: Principal, t: Ticket, action: str) -> bool:
    if allowed(principal, "tickets.handle", Resource(t.org_path)):
        return True
    dept_side = action in DEPT_ACTIONS or (action in ("suspend", "resume") and "dispatched" in (t.state, t.prev_state))
    if dept_side:
        dept = _dept_path(db_session, t.dept_id)
        return dept is not None and allowed(principal, "tickets.dept", Resource(dept))
    return (action in FRONTLINE_ACTIONS and t.state in ("created", "frontline_tried")
            and t.created_by == principal.user_id and principal.can("tickets.create"))


def get(*, db_session: Session, principal: Principal, ticket_id: int, for_update: bool = False) -> Ticket:
    """One order the principal may see (out of scope → 404)."""
    t = db_session.get(Ticket, ticket_id, with_for_update=for_update or None, populate_existing=for_update)
    if t is None or not can_read(db_session, principal, t):
        raise TicketNotFound(ticket_id=ticket_id)
    return t


def _visible(principal: Principal) -> Any:
    conds = []
    scope = principal.grants.get("tickets.read")
    if scope == "self":
        conds.append(Ticket.created_by == principal.user_id)
    elif scope is not None:
        conds.append(Ticket.org_path.startswith(visible_prefix(principal, "tickets.read") or "\x00"))
    dept_prefix = visible_prefix(principal, "tickets.dept")
    if dept_prefix:
        conds.append(Ticket.dept_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(dept_prefix))))
    return or_(*conds) if conds else Ticket.id.is_(None)


def list_tickets(*, db_session: Session, principal: Principal, state: str = "", type: str = "", q: str = "",
                 dept_id: int | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Ticket], int]:
    """Orders the principal may see, newest first, filtered."""
    query = select(Ticket).where(_visible(principal))
    if state:
        query = query.where(Ticket.state == state)
    if type:
        query = query.where(Ticket.type == type)
    if dept_id:
        query = query.where(Ticket.dept_id == dept_id)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Ticket.no.like(like), Ticket.title.like(like), Ticket.area.like(like)))
    total = db_session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db_session.execute(
        query.order_by(Ticket.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).scalars()
    return list(rows), total


def open_step(*, db_session: Session, ticket_id: int) -> TicketStep | None:
    """The step currently running (None when archived or waiting for nobody)."""
    return db_session.execute(
        select(TicketStep).where(TicketStep.ticket_id == ticket_id, TicketStep.ended_at.is_(None))
        .order_by(TicketStep.id.desc()).limit(1)
    ).scalar()


def to_read(db_session: Session, t: Ticket) -> schemas.TicketRead:
    """The API shape of an order."""
    step = getattr(t, "_open_step", None) or open_step(db_session=db_session, ticket_id=t.id)
    out = schemas.TicketRead.model_validate(t)
    out.contact_ids = [c.contact_id for c in t.contacts]
    out.due_at = step.due_at if step and t.state != "suspended" else None
    out.actions = rules.allowed_actions(type=t.type, state=t.state)
    return out


def history(*, db_session: Session, ticket_id: int) -> list[TicketHistory]:
    """The order's history, oldest first."""
    return list(db_session.execute(
        select(TicketHistory).where(TicketHistory.ticket_id == ticket_id).order_by(TicketHistory.id)).scalars())


def steps(*, db_session: Session, ticket_id: int) -> list[TicketStep]:
    return list(db_session.execute(
        select(TicketStep).where(TicketStep.ticket_id == ticket_id).order_by(TicketStep.id)).scalars())


# ---------------------------------------------------------------- steps and timers
def _suspensions(db_session: Session, step_id: int) -> tuple[Period, ...]:
    return tuple(db_session.execute(
        select(TicketSuspension.started_at, TicketSuspension.ended_at).where(TicketSuspension.step_id == step_id)
    ).all())


def _plan(db_session: Session, step: TicketStep) -> list[rules.Deadline]:
    """The step's deadlines with its suspensions so far (a new step's come from `_new_step`)."""
    return rules.escalations(started_at=step.started_at, limit=timedelta(seconds=step.limit_seconds),
                             mode=step.sla_mode, suspended=_suspensions(db_session, step.id))


def _timer_rows(step: TicketStep, plan: list[rules.Deadline], fired_levels: frozenset[int] = frozenset()
                ) -> list[dict[str, Any]]:
    return [{"ticket_id": step.ticket_id, "step_id": step.id, "level": d.level, "audience": d.audience,
             "fire_at": d.fire_at, "fired_by": ""} for d in plan if d.level not in fired_levels]


def _add_timers(db_session: Session, step: TicketStep, fired_levels: frozenset[int] = frozenset(),
                plan: list[rules.Deadline] | None = None) -> None:
    """The step's timer rows, in one multi-row INSERT; the step's due time is the first level's."""
    plan = plan or _plan(db_session, step)
    step.due_at = plan[0].fire_at
    if rows := _timer_rows(step, plan, fired_levels):
        db_session.execute(insert(TicketTimer), rows)


def _cancel_timers(db_session: Session, step_id: int, now: datetime) -> None:
    db_session.execute(update(TicketTimer).where(
        TicketTimer.step_id == step_id, TicketTimer.fired_at.is_(None), TicketTimer.cancelled_at.is_(None)
    ).values(cancelled_at=now))


def _new_step(t: Ticket, kind: str, now: datetime, dept_id: int | None = None) -> tuple[TicketStep, list[rules.Deadline]]:
    """A step with its deadlines (due time known before the INSERT); the caller adds it."""
    limit = rules.sla_limit(type=t.type, priority=t.priority, step=kind)
    step = TicketStep(ticket_id=t.id, kind=kind, dept_id=dept_id, started_at=now, due_at=now,
                      limit_seconds=int(limit.total_seconds()), sla_mode=t.sla_mode)
    plan = rules.escalations(started_at=now, limit=limit, mode=t.sla_mode, suspended=())
    step.due_at = plan[0].fire_at
    t._open_step = step  # type: ignore[attr-defined]  # to_read needs no query for it
    return step, plan


def _start_step(db_session: Session, t: Ticket, kind: str, now: datetime, dept_id: int | None = None) -> TicketStep:
    step, plan = _new_step(t, kind, now, dept_id)
    db_session.add(step)
    db_session.flush()
    _add_timers(db_session, step, plan=plan)
    return step


def _end_step(db_session: Session, t: Ticket, now: datetime, outcome: str, note: str = "") -> TicketStep | None:
    step = open_step(db_session=db_session, ticket_id=t.id)
    t._open_step = None  # type: ignore[attr-defined]
    if step is None:
        return None
    used = rules.business_elapsed(mode=step.sla_mode, start=step.started_at, end=now,
                                  suspended=_suspensions(db_session, step.id))
    step.ended_at, step.outcome, step.note = now, outcome, note
    step.business_seconds = int(used.total_seconds())
    step.on_time = now <= step.due_at
    _cancel_timers(db_session, step.id, now)
    return step


# ---------------------------------------------------------------- writes
def _flush(db_session: Session) -> None:
    try:
        db_session.flush()
    except StaleDataError as exc:
        raise StaleVersion() from exc


def _owner_unit(org_path: str) -> int | None:
    parts = [p for p in org_path.strip("/").split("/") if p]
    return int(parts[-1]) if parts else None


def _notify(db_session: Session, t: Ticket, *, kind: str, message: str, now: datetime, unit_id: int | None = None,
            user_id: int | None = None, audience: str = "") -> None:
    db_session.add(TicketNotification(ticket_id=t.id, unit_id=unit_id, user_id=user_id, audience=audience,
                                      kind=kind, message=message, created_at=now))


def _history(db_session: Session, t: Ticket, *, actor: audit.Actor, now: datetime, action: str, from_state: str,
             changes: dict[str, list[Any]], note: str = "") -> tuple[TicketHistory, AuditEntry]:
    """The history row and the audit row of one change (neither added yet); the event is queued."""
    emit(db_session, Event("ticket.changed", {"id": t.id, "no": t.no, "state": t.state, "action": action},
                           org_path=t.org_path, permission="tickets.read", owner_id=t.created_by))
    return (TicketHistory(ticket_id=t.id, at=now, actor_id=actor.user_id, actor_name=actor.name, action=action,
                          from_state=from_state, to_state=t.state, changes=changes, note=note),
            audit.entry(actor=actor, at=now, action=f"tickets.{action}", target_type="ticket", target_id=t.id,
                        org_path=t.org_path, reason=note[:500], detail={"no": t.no, "from": from_state, "to": t.state,
                                                                        "changes": changes}))


def _log(db_session: Session, t: Ticket, **kw: Any) -> None:
    """History, event and audit row of one change (the audit row last: its chain lock is held to the commit)."""
    row, entry = _history(db_session, t, **kw)
    db_session.add(row)
    audit.append(db_session, [entry])


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


def _set(t: Ticket, changes: dict[str, list[Any]], **values: Any) -> None:
    for field, new in values.items():
        old = getattr(t, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(t, field, new)


@dataclass(frozen=True)
class CreateRequest:
    """One work order to take: who asks, what, and the Idempotency-Key they sent (if any)."""

    principal: Principal
    actor: audit.Actor
    data: schemas.TicketCreate
    idempotency_key: str | None = None
    path: str = "/api/tickets"


def do_create(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
              data: schemas.TicketCreate, sms: SmsGateway | None = None) -> Ticket:
    """Take a work order (受理): priority, SLA clock of the front-line step, acceptance SMS."""
    (result,) = _take(db_session, [CreateRequest(principal, actor, data)], now, sms)
    if isinstance(result, Exception):
        raise result
    return result


def create_many(*, db_session: Session, requests: Sequence[CreateRequest], now: datetime,
                sms: SmsGateway | None = None) -> list[tuple[int, dict[str, Any]] | Exception]:
    """Take several work orders in one transaction (group commit): the same rules as `do_create`, each answer
    stored under its Idempotency-Key, and a fraction of the statements. A request that fails its checks gets
    its error; the others are taken."""
    out: list[tuple[int, dict[str, Any]] | Exception | None] = [None] * len(requests)
    digests = [idempotency.request_digest("POST", r.path, r.data.model_dump(mode="json")) for r in requests]
    keys = [(r.principal.user_id, r.idempotency_key[:128]) if r.idempotency_key else None for r in requests]
    found = idempotency.stored(db_session, [k for k in keys if k])
    first: dict[tuple[int | None, str], int] = {}
    todo: list[int] = []
    for i, key in enumerate(keys):
        if key is not None and key in found:
            out[i] = _attempt(idempotency.replay, found[key], digests[i])
        elif key is None or key not in first:
            todo.append(i)
            if key is not None:
                first[key] = i
    taken = _take(db_session, [requests[i] for i in todo], now, sms)
    records = []
    for i, t in zip(todo, taken, strict=True):
        if isinstance(t, Exception):
            out[i] = t
            continue
        body = to_read(db_session, t).model_dump(mode="json")
        out[i] = (201, body)
        if keys[i] is not None:
            r = requests[i]
            records.append(idempotency.answer(key=keys[i][1], user_id=r.principal.user_id, method="POST",
                                              path=r.path, digest=digests[i], status=201, payload=body, now=now))
    bulk_insert(db_session, records)
    for i, key in enumerate(keys):  # the same key twice in one batch: the second is a retry of the first
        if out[i] is None and key is not None:
            j = first[key]
            out[i] = out[j] if isinstance(out[j], Exception) or digests[i] == digests[j] else \
                idempotency.IdempotencyKeyReused()
    db_session.flush()
    return out  # type: ignore[return-value]


def _attempt(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except HotlineError as exc:
        return exc


def _checked(db_session: Session, r: CreateRequest, now: datetime) -> Ticket:
    """Check one request and build its order (not yet added)."""
    principal, data = r.principal, r.data
    if not principal.can("tickets.create"):
        raise Forbidden(permission="tickets.create")
    segment, vip_level, area = "regular", "", data.area
    if data.customer_id is not None:
        cust = db_session.get(Customer, data.customer_id)
        if cust is None or not allowed(principal, "customers.read", Resource(cust.org_path)):
            raise InvalidInput("customer_id", "unknown customer")
        segment, vip_level, area = cust.segment, cust.vip_level, area or cust.area
    phenomenon = _leaf(db_session, data.phenomenon_id, "phenomenon", "phenomenon_id",
                       required=data.type in rules.EXPERT_REQUIRED)
    repeats = data.repeat_contacts
    if data.customer_id is not None:
        recent = db_session.execute(select(func.count()).where(
            Ticket.customer_id == data.customer_id, Ticket.created_at >= now - REPEAT_WINDOW)).scalar_one()
        repeats = max(repeats, recent)
    prio = rules.priority(type=data.type, segment=segment, vip_level=vip_level, repeat_contacts=repeats)
    t = Ticket(type=data.type, state="created", priority=prio,
               sla_mode=rules.calendar_mode(type=data.type, priority=prio), title=data.title,
               description=data.description, org_path=principal.unit_path, customer_id=data.customer_id,
               phenomenon_id=phenomenon, area=area, cell_id=data.cell_id, product=data.product,
               repeat_contacts=repeats, created_by=principal.user_id, created_at=now, updated_at=now)
    if data.parent_id is not None:
        parent = get(db_session=db_session, principal=principal, ticket_id=data.parent_id)
        if parent.type != "complaint" or data.link_kind not in rules.LINK_KINDS:
            raise InvalidInput("parent_id", "orders are linked to a complaint with a known link kind")
        t._parent = parent  # type: ignore[attr-defined]
    return t


def _take(db_session: Session, requests: Sequence[CreateRequest], now: datetime,
          sms: SmsGateway | None) -> list[Ticket | Exception]:
    """Check and take orders: one statement per kind of row for the whole batch, past the unit of work. Order
    and step ids are drawn first, so the order number goes in with the order and the timers with their step."""
    wanted = {r.data.phenomenon_id for r in requests} - {None}
    held = list(db_session.execute(select(TicketCategory).where(TicketCategory.id.in_(wanted))).scalars()) \
        if len(requests) > 1 and wanted else []  # held: `_leaf` then finds them in the session, no query each
    checked: list[Ticket | Exception] = [_attempt(_checked, db_session, r, now) for r in requests]
    del held
    ok = [(t, r) for t, r in zip(checked, requests, strict=True) if isinstance(t, Ticket)]
    if not ok:
        return checked
    ids = draw_ids(db_session, {Ticket: len(ok), TicketStep: len(ok)})
    for (t, _r), tid in zip(ok, ids[Ticket], strict=True):
        t.id, t.no = tid, f"GD{now.astimezone(LOCAL_TZ):%Y%m%d}{tid:08d}"
    tickets = [t for t, _r in ok]
    contacts = {t.id: [TicketContact(ticket_id=t.id, contact_id=c) for c in dict.fromkeys(r.data.contact_ids)]
                for t, r in ok}
    links, steps, timers, rows, entries = [], [], [], [], []
    for (t, r), sid in zip(ok, ids[TicketStep], strict=True):
        if (parent := getattr(t, "_parent", None)) is not None:
            links.append(TicketLink(parent_id=parent.id, child_id=t.id, kind=r.data.link_kind))
        step, plan = _new_step(t, "frontline", now)
        step.id = sid
        steps.append(step)
        timers += _timer_rows(step, plan)
        row, entry = _history(db_session, t, actor=r.actor, now=now, action="create", from_state="",
                              changes={"priority": [None, t.priority], "type": [None, t.type]})
        rows.append(row)
        entries.append(entry)
    with pipelined(db_session):
        bulk_insert(db_session, tickets, attach=True)
        for objects in ([c for cs in contacts.values() for c in cs], links, steps, rows):
            bulk_insert(db_session, objects)
        db_session.connection().execute(insert(TicketTimer.__table__), timers)
    for t in tickets:
        set_committed_value(t, "contacts", contacts[t.id])
        _sms(db_session, sms, t, "accepted", now)
    audit.append(db_session, entries)  # last: the chain lock is held from here to the commit only
    return checked


@dataclass
class _Act:
    ticket: Ticket
    from_state: str
    changes: dict[str, list[Any]]


def _begin(db_session: Session, principal: Principal, ticket_id: int, version: int, action: str) -> _Act:
    t = get(db_session=db_session, principal=principal, ticket_id=ticket_id, for_update=True)
    if not _can_act(db_session, principal, t, action):
        raise Forbidden(action=action)
    if t.version != version:
        raise StaleVersion(current_version=t.version, sent_version=version)
    return _Act(t, t.state, {})


def _move(db_session: Session, act: _Act, action: str, now: datetime) -> None:
    t = act.ticket
    new = rules.next_state(type=t.type, state=t.state, action=action, previous=t.prev_state)
    _set(t, act.changes, state=new, updated_at=now)


def _finish(db_session: Session, act: _Act, *, actor: audit.Actor, now: datetime, action: str, note: str = "") -> Ticket:
    _flush(db_session)
    _log(db_session, act.ticket, actor=actor, now=now, action=action, from_state=act.from_state,
         changes={k: v for k, v in act.changes.items() if k != "updated_at"}, note=note)
    return act.ticket


def do_frontline_try(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
                     ticket_id: int, version: int, note: str) -> Ticket:
    """The agent records what was tried at the front line and could not solve (R-TKT-2)."""
    if not note.strip():
        raise InvalidInput("note", "record what was tried")
    act = _begin(db_session, principal, ticket_id, version, "frontline_try")
    _move(db_session, act, "frontline_try", now)
    _set(act.ticket, act.changes, tried=(act.ticket.tried + "\n" + note).strip())
    return _finish(db_session, act, actor=actor, now=now, action="frontline_try", note=note)


def do_to_expert(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
                 version: int, note: str = "") -> Ticket:
    """Pass to the expert seat queue (second pre-processing)."""
    act = _begin(db_session, principal, ticket_id, version, "to_expert")
    _move(db_session, act, "to_expert", now)
    _end_step(db_session, act.ticket, now, "to_expert", note)
    _start_step(db_session, act.ticket, "expert", now)
    return _finish(db_session, act, actor=actor, now=now, action="to_expert", note=note)


def do_solve(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
             version: int, result: str, cause_id: int | None = None) -> Ticket:
    """Solved by the centre itself (front line, expert, or after a return): waits for the callback."""
    if not result.strip():
        raise InvalidInput("result", "record the result")
    act = _begin(db_session, principal, ticket_id, version, "solve")
    by = {"expert": "expert", "returned": "centre"}.get(act.ticket.state, "frontline")
    cause = _leaf(db_session, cause_id, "cause", "cause_id", required=False)
    _move(db_session, act, "solve", now)
    _set(act.ticket, act.changes, result=result, resolved_by=by, cause_id=cause)
    _end_step(db_session, act.ticket, now, "solved", result)
    _start_step(db_session, act.ticket, "callback", now)
    return _finish(db_session, act, actor=actor, now=now, action="solve", note=result)


def _department(db_session: Session, dept_id: int | None) -> OrgUnit:
    dept = db_session.get(OrgUnit, dept_id) if dept_id else None
    if dept is None or dept.kind != "department" or not dept.active:
        raise InvalidInput("dept_id", "choose an active back-office department")
    return dept


def do_dispatch(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
                version: int, dept_id: int, note: str = "") -> Ticket:
    """Dispatch (派单) to a back-office department, which gets a step with its time limit (R-TKT-3)."""
    return _to_department(db_session, principal, actor, now, ticket_id, version, dept_id, note, "dispatch")


def do_redispatch(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
                  version: int, dept_id: int, note: str) -> Ticket:
    """The holding department passes the order on to another department."""
    return _to_department(db_session, principal, actor, now, ticket_id, version, dept_id, note, "redispatch")


def _to_department(db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
                   version: int, dept_id: int, note: str, action: str) -> Ticket:
    act = _begin(db_session, principal, ticket_id, version, action)
    dept = _department(db_session, dept_id)
    if action == "redispatch" and dept.id == act.ticket.dept_id:
        raise InvalidInput("dept_id", "choose another department")
    _move(db_session, act, action, now)
    _end_step(db_session, act.ticket, now, "redispatched" if action == "redispatch" else "dispatched", note)
    _set(act.ticket, act.changes, dept_id=dept.id)
    step = _start_step(db_session, act.ticket, "department", now, dept.id)
    _notify(db_session, act.ticket, kind="dispatched", unit_id=dept.id, audience="backoffice", now=now,
            message=f"新工单 {act.ticket.no}：{act.ticket.title}（时限 {step.due_at.astimezone(LOCAL_TZ):%m-%d %H:%M}）")
    return _finish(db_session, act, actor=actor, now=now, action=action, note=note)


def do_return(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
              version: int, reason: str) -> Ticket:
    """The department returns the order to the centre with a reason (退单)."""
    if not reason.strip():
        raise InvalidInput("reason", "give the reason for the return")
    act = _begin(db_session, principal, ticket_id, version, "return")
    _move(db_session, act, "return", now)
    _end_step(db_session, act.ticket, now, "returned", reason)
    _set(act.ticket, act.changes, dept_id=None)
    _start_step(db_session, act.ticket, "frontline", now)
    _notify(db_session, act.ticket, kind="returned", unit_id=_owner_unit(act.ticket.org_path), now=now,
            message=f"工单 {act.ticket.no} 被退回：{reason}")
    return _finish(db_session, act, actor=actor, now=now, action="return", note=reason)


def do_reply(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
             version: int, cause_id: int, result: str) -> Ticket:
    """The department replies (回单) with the cause (3-level, 销障原因) and the result (R-TKT-4)."""
    if not result.strip():
        raise InvalidInput("result", "record the result")
    act = _begin(db_session, principal, ticket_id, version, "reply")
    cause = _leaf(db_session, cause_id, "cause", "cause_id", required=True)
    _move(db_session, act, "reply", now)
    _set(act.ticket, act.changes, cause_id=cause, result=result, resolved_by="department")
    _end_step(db_session, act.ticket, now, "replied", result)
    _start_step(db_session, act.ticket, "callback", now)
    if act.ticket.created_by is not None:
        _notify(db_session, act.ticket, kind="replied", user_id=act.ticket.created_by, now=now,
                message=f"工单 {act.ticket.no} 已回单，请回访客户")
    if act.ticket.type == "consultation":
        _knowledge_draft(db_session, act.ticket, now)
    return _finish(db_session, act, actor=actor, now=now, action="reply", note=result)


def _knowledge_draft(db_session: Session, t: Ticket, now: datetime) -> None:
    """R-TKT-5: a consultation the front line could not answer, answered by a department, becomes a received
    knowledge draft for the editors (the knowledge domain owns the article and its audit row)."""
    from hotline.knowledge import service as kb_service

    question = (t.title + "\n" + t.description).strip()
    kb_service.draft_from_ticket(db_session, at=now, ticket_ref=t.no, question=question, answer=t.result,
                                 org_path=t.org_path, category=category_path(db_session=db_session,
                                                                             category_id=t.phenomenon_id))


def do_callback(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
                version: int, satisfaction: str, note: str = "", sms: SmsGateway | None = None) -> Ticket:
    """The centre calls back (回访) and records satisfaction; satisfied → archived, dissatisfied → reopened."""
    follow = rules.after_callback(satisfaction)
    act = _begin(db_session, principal, ticket_id, version, "callback")
    t = act.ticket
    _move(db_session, act, "callback", now)
    _set(t, act.changes, satisfaction=satisfaction)
    _end_step(db_session, t, now, "called_back", note)
    db_session.add(TicketCallback(ticket_id=t.id, at=now, agent_id=principal.user_id, satisfaction=satisfaction,
                                  note=note))
    _finish(db_session, act, actor=actor, now=now, action="callback", note=note)
    act = _Act(t, t.state, {})
    _move(db_session, act, follow, now)
    if follow == "archive":
        _set(t, act.changes, closed_at=now)
        _sms(db_session, sms, t, "closed", now)
    else:
        _set(t, act.changes, dept_id=None, resolved_by="", satisfaction="")
        _start_step(db_session, t, "expert", now)
    return _finish(db_session, act, actor=actor, now=now, action=follow, note="customer dissatisfied" if
                   follow == "reopen" else "")


def do_suspend(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
               version: int, reason: str) -> Ticket:
    """Suspend for a legitimate wait (客户联系不上...): the step's clock stops."""
    if not reason.strip():
        raise InvalidInput("reason", "give the reason for the suspension")
    act = _begin(db_session, principal, ticket_id, version, "suspend")
    held = act.ticket.state
    _move(db_session, act, "suspend", now)
    _set(act.ticket, act.changes, prev_state=held)
    step = open_step(db_session=db_session, ticket_id=ticket_id)
    db_session.add(TicketSuspension(ticket_id=ticket_id, step_id=step.id if step else None, reason=reason,
                                    started_at=now, by_id=principal.user_id))
    if step is not None:
        _cancel_timers(db_session, step.id, now)
    return _finish(db_session, act, actor=actor, now=now, action="suspend", note=reason)


def do_resume(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
              version: int, note: str = "") -> Ticket:
    """Resume: the clock runs again, the due time moves out by the suspended business time."""
    act = _begin(db_session, principal, ticket_id, version, "resume")
    _move(db_session, act, "resume", now)
    _set(act.ticket, act.changes, prev_state=None)
    db_session.execute(update(TicketSuspension).where(
        TicketSuspension.ticket_id == ticket_id, TicketSuspension.ended_at.is_(None)).values(ended_at=now))
    step = open_step(db_session=db_session, ticket_id=ticket_id)
    if step is not None:
        fired = set(db_session.execute(select(TicketTimer.level).where(
            TicketTimer.step_id == step.id, TicketTimer.fired_at.is_not(None))).scalars())
        old_due = step.due_at
        _add_timers(db_session, step, frozenset(fired))
        act.changes["due_at"] = [old_due.isoformat(), step.due_at.isoformat()]
    return _finish(db_session, act, actor=actor, now=now, action="resume", note=note)


def do_link(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, parent_id: int,
            child_id: int, kind: str) -> None:
    """Link an order to the complaint it belongs to."""
    parent = get(db_session=db_session, principal=principal, ticket_id=parent_id)
    child = get(db_session=db_session, principal=principal, ticket_id=child_id)
    if parent.type != "complaint" or parent.id == child.id or kind not in rules.LINK_KINDS:
        raise InvalidInput("parent_id", "link an order to another order that is a complaint, with a known kind")
    if not allowed(principal, "tickets.handle", Resource(parent.org_path)):
        raise Forbidden(action="link")
    if db_session.get(TicketLink, (parent.id, child.id)) is None:
        db_session.add(TicketLink(parent_id=parent.id, child_id=child.id, kind=kind))
    db_session.add(TicketHistory(ticket_id=parent.id, at=now, actor_id=actor.user_id, actor_name=actor.name,
                                 action="link", from_state=parent.state, to_state=parent.state,
                                 changes={"linked": [None, child.no], "kind": [None, kind]}))
    audit.record(db_session, actor=actor, at=now, action="tickets.link", target_type="ticket", target_id=parent.id,
                 org_path=parent.org_path, detail={"child": child.no, "kind": kind})


def linked(*, db_session: Session, ticket_id: int) -> tuple[list[tuple[TicketLink, Ticket]], str]:
    """The orders a complaint spawned and their joint status."""
    rows = list(db_session.execute(
        select(TicketLink, Ticket).join(Ticket, Ticket.id == TicketLink.child_id)
        .where(TicketLink.parent_id == ticket_id).order_by(Ticket.id)).all())
    return rows, rules.joint_status([t.state for _, t in rows])


# ---------------------------------------------------------------- department portal, notifications
@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket
    step: TicketStep
    remaining: timedelta  # business time left (negative: overdue)


def dept_queue(*, db_session: Session, principal: Principal, now: datetime) -> list[QueueItem]:
    """The open department steps of the principal's department(s), most urgent first."""
    prefix = visible_prefix(principal, "tickets.dept")
    if prefix is None:
        raise Forbidden(permission="tickets.dept")
    rows = db_session.execute(
        select(Ticket, TicketStep).join(TicketStep, TicketStep.ticket_id == Ticket.id)
        .join(OrgUnit, OrgUnit.id == TicketStep.dept_id)
        .where(TicketStep.ended_at.is_(None), TicketStep.kind == "department", OrgUnit.path.startswith(prefix))
        .order_by(TicketStep.due_at)).all()
    out = []
    for t, step in rows:
        cal = rules.CALENDARS[step.sla_mode]
        left = cal.elapsed(now, step.due_at) if step.due_at > now else -cal.elapsed(step.due_at, now)
        out.append(QueueItem(t, step, left))
    return out


def notifications(*, db_session: Session, principal: Principal, unread_only: bool = True,
                  limit: int = 50) -> list[TicketNotification]:
    """In-app notifications for the user, or for their unit."""
    unit_ids = [int(x) for x in principal.unit_path.strip("/").split("/") if x][-1:]
    q = select(TicketNotification).where(or_(TicketNotification.user_id == principal.user_id,
                                             TicketNotification.unit_id.in_(unit_ids)))
    if unread_only:
        q = q.where(TicketNotification.read_at.is_(None))
    return list(db_session.execute(q.order_by(TicketNotification.id.desc()).limit(limit)).scalars())


def mark_read(*, db_session: Session, principal: Principal, now: datetime, ids: Sequence[int]) -> int:
    """Mark the principal's notifications read."""
    mine = {n.id for n in notifications(db_session=db_session, principal=principal, limit=10_000)}
    target = [i for i in ids if i in mine]
    if target:
        db_session.execute(update(TicketNotification).where(TicketNotification.id.in_(target)).values(read_at=now))
    return len(target)


# ---------------------------------------------------------------- one entry point for API and pages
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "frontline_try": ("note",), "to_expert": ("note",), "solve": ("result", "cause_id"),
    "dispatch": ("dept_id", "note"), "redispatch": ("dept_id", "note"), "return": ("reason",),
    "reply": ("cause_id", "result"), "callback": ("satisfaction", "note"), "suspend": ("reason",),
    "resume": ("note",),
}


def run_action(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, ticket_id: int,
               action: str, data: schemas.TicketAction, sms: SmsGateway | None = None) -> Ticket:
    """Run one named action of the loop with the fields it takes from `data`."""
    fields = ACTION_FIELDS.get(action)
    if fields is None:
        raise InvalidInput("action", f"one of {', '.join(ACTION_FIELDS)}")
    kwargs: dict[str, Any] = {f: getattr(data, f) for f in fields}
    if action in ("callback",):
        kwargs["sms"] = sms
    fn = globals()[f"do_{action}"]
    return fn(db_session=db_session, principal=principal, actor=actor, now=now, ticket_id=ticket_id,
              version=data.version, **kwargs)


def open_for_customer(*, db_session: Session, principal: Principal, customer_id: int,
                      limit: int = 20) -> list[dict[str, Any]]:
    """The customer's open orders the principal may see (for the customer 360 view)."""
    rows = db_session.execute(
        select(Ticket).where(Ticket.customer_id == customer_id, Ticket.state.in_(rules.OPEN_STATES),
                             _visible(principal)).order_by(Ticket.id.desc()).limit(limit)).scalars()
    return [{"id": t.id, "no": t.no, "title": f"{t.no} · {t.title}（{rules.STATE_NAMES[t.state]}）",
             "state": t.state} for t in rows]

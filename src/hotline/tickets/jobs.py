"""The SLA poller: sweeps due timer rows and escalates each overdue step exactly once per level
(team leader → department head → centre manager), never early, also after downtime and with several
server processes sweeping at once. Time comes from the injected clock."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.core import audit
from hotline.core.clock import Clock
from hotline.org.models import OrgUnit
from hotline.tickets.models import Ticket, TicketHistory, TicketNotification, TicketStep, TicketTimer

WHO = {"team_leader": "班组长", "department_head": "部门负责人", "centre_manager": "中心经理"}
STEP_NAMES = {"frontline": "一线处理", "expert": "专家处理", "department": "部门处理", "callback": "回访"}


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class SweepResult:
    fired: int
    batches: int


def claim(db_session: Session, *, now: datetime, limit: int, worker: str) -> list[tuple[int, int, int, int, str]]:
    """Mark up to `limit` due, pending timers fired and return them (id, ticket, step, level, audience).

    A conditional UPDATE (`fired_at IS NULL`) is the guard: a row is claimed by one transaction only. On
    PostgreSQL the candidate rows are locked with SKIP LOCKED so concurrent sweepers take different rows."""
    due = (select(TicketTimer.id)
           .where(TicketTimer.fired_at.is_(None), TicketTimer.cancelled_at.is_(None), TicketTimer.fire_at <= now)
           .order_by(TicketTimer.fire_at).limit(limit))
    if db_session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(TicketTimer)
            .where(TicketTimer.id.in_(due.scalar_subquery()), TicketTimer.fired_at.is_(None),
                   TicketTimer.cancelled_at.is_(None))
            .values(fired_at=now, fired_by=worker)
            .returning(TicketTimer.id, TicketTimer.ticket_id, TicketTimer.step_id, TicketTimer.level,
                       TicketTimer.audience))
    return [tuple(r) for r in db_session.execute(stmt, execution_options={"synchronize_session": False})]  # type: ignore[misc]


def escalate(db_session: Session, *, now: datetime, claimed: list[tuple[int, int, int, int, str]], worker: str) -> None:
    """Apply claimed timers: mark steps overdue (超时, counted against the holder), notify, write history."""
    if not claimed:
        return
    step_ids = {c[2] for c in claimed}
    info = {sid: (kind, dept, no, path, parent) for sid, kind, dept, no, path, parent in db_session.execute(
        select(TicketStep.id, TicketStep.kind, TicketStep.dept_id, Ticket.no, Ticket.org_path, OrgUnit.parent_id)
        .join(Ticket, Ticket.id == TicketStep.ticket_id).outerjoin(OrgUnit, OrgUnit.id == TicketStep.dept_id)
        .where(TicketStep.id.in_(step_ids)))}
    steps, lvl = TicketStep.__table__, bindparam("lvl")
    db_session.connection().execute(
        update(steps).where(steps.c.id == bindparam("sid"))
        .values(overdue=True, escalation_level=case((steps.c.escalation_level < lvl, lvl),
                                                    else_=steps.c.escalation_level)),
        [{"sid": c[2], "lvl": c[3]} for c in claimed])
    notes, hist = [], []
    for _tid, ticket_id, step_id, level, audience in claimed:
        kind, dept_id, no, org_path, dept_parent = info[step_id]
        centre = int(org_path.strip("/").split("/")[-1]) if org_path.strip("/") else None
        unit = (dept_parent or centre) if level >= 3 else (dept_id or centre)
        msg = f"工单 {no} {STEP_NAMES.get(kind, kind)}超时，第{level}级升级至{WHO.get(audience, audience)}"
        notes.append({"ticket_id": ticket_id, "unit_id": unit, "user_id": None, "audience": audience,
                      "kind": "overdue", "message": msg, "created_at": now, "read_at": None})
        hist.append({"ticket_id": ticket_id, "at": now, "actor_id": None, "actor_name": "system", "action": "escalate",
                     "from_state": "", "to_state": "", "note": msg,
                     "changes": {"escalation_level": [level - 1, level], "step_id": [None, step_id]}})
    db_session.execute(insert(TicketNotification), notes)
    db_session.execute(insert(TicketHistory), hist)
    audit.record(db_session, actor=audit.SYSTEM, at=now, action="tickets.sla.escalate", target_type="ticket_timer",
                 target_id=f"{len(claimed)} timers", detail={"worker": worker, "timers": [c[0] for c in claimed][:200]})


def sweep(*, factory: sessionmaker[Session] | Callable[[], Session], clock: Clock, batch: int = 500,
          worker: str | None = None, max_batches: int = 10_000) -> SweepResult:
    """Fire every timer due at the clock's now, one committed batch at a time; returns how many fired."""
    worker = worker or _worker_id()
    now = clock.now()
    fired = batches = 0
    while batches < max_batches:
        with factory() as session, session.begin():
            claimed = claim(session, now=now, limit=batch, worker=worker)
            escalate(session, now=now, claimed=claimed, worker=worker)
        batches += 1
        fired += len(claimed)
        if len(claimed) < batch:
            break
    return SweepResult(fired, batches)


def run_forever(*, factory: sessionmaker[Session], clock: Clock, interval: float = 5.0,
                stop: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] | None = None) -> None:
    """The poller loop for a server process (several may run at once)."""
    import time

    pause = sleep or time.sleep
    while not stop():
        sweep(factory=factory, clock=clock)
        pause(interval)


def install(app: Any) -> None:
    """Run the SLA poller inside every server process (several may run at once: claims are exclusive), and the
    group-commit writer of work-order creates."""

    async def sla_poller(app: Any) -> None:
        import asyncio

        while True:
            try:
                await asyncio.to_thread(sweep, factory=app.state.sessionmaker, clock=app.state.clock)
            except Exception:  # keep polling; the error is logged, timers stay due
                logging.getLogger("hotline.tickets").exception("SLA sweep failed")
            await asyncio.sleep(5)

    app.state.background.append(sla_poller)

    from hotline.core.batching import GroupCommit
    from hotline.tickets.service import create_many

    # work-order creates: group commit (the create route awaits its batch)
    app.state.ticket_writer = GroupCommit(
        app.state.sessionmaker,
        lambda session, requests: create_many(db_session=session, requests=requests, now=app.state.clock.now()))
    app.state.background.append(app.state.ticket_writer.serve)

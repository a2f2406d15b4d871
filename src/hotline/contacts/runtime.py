"""The live contacts runtime: the ONE place that feeds events to the pure routing engine and applies its
commands through the contact services.

* Serialised: one lock guards the engine; each action is one database transaction that holds the lock from
  the engine call to the commit, so the engine and the database move together. If anything fails before the
  commit, the transaction is rolled back and the engine is rebuilt from the database.
* Durable: the engine's state is rebuilt from the database at start-up (waiting contacts keep their order,
  open offers keep their deadlines, agents keep their states), so a kill -9 loses nothing. Offer deadlines
  are rows; overdue ones fire once when the timer loop (or the rebuild) ticks the engine.
* Live figures: a `KpiAccumulator` (reports.kpi) counts each contact once its queue outcome is known
  (answered or abandoned), rebuilt from today's contacts at start-up; the wallboard reads it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.contacts import service as svc
from hotline.contacts.models import AgentState, Contact, ContactOffer, ContactQueue
from hotline.contacts.routing import Command, Offer, Rejected, RoutingEngine
from hotline.contacts.routing.engine import SNAPSHOT_VERSION
from hotline.core.clock import Clock, to_local
from hotline.core.errors import Conflict, IllegalTransition, InvalidInput
from hotline.core.events import Event, EventHub, emit
from hotline.org.models import User
from hotline.reports import kpi

log = logging.getLogger("hotline.contacts")
T = TypeVar("T")
ENGINE_STATE = {"ready": "ready", "offered": "offered", "talking": "busy", "hold": "busy", "acw": "acw",
                "not_ready": "not_ready"}
REFUSALS: dict[str, type[Conflict]] = {"offer_closed": svc.OfferClosed, "offer_unknown": svc.OfferClosed,
                                       "offer_wrong_agent": svc.OfferClosed}
Listener = Callable[[list[Command]], None]


def kpi_contact(c: Contact) -> kpi.Contact:
    """A contact row as a KPI contact-log record."""
    return kpi.Contact(
        contact_id=str(c.id), channel=c.channel, queue=c.queue, customer_id=str(c.customer_id or ""),
        customer_segment=c.segment, business_type=c.business_type, arrived_at=c.arrived_at, queued_at=c.queued_at,
        offered_at=c.offered_at, answered_at=c.answered_at, talk_end_at=c.talk_end_at, hold_s=c.hold_s,
        acw_end_at=c.acw_end_at, ended_at=c.ended_at, abandoned_at=c.abandoned_at,
        agent_id=str(c.agent_id or "") if c.answered_at else "", transferred_to_queue=c.transferred_to_queue,
        overflowed_to_queue=c.overflowed_to_queue, wrap_up_code=c.wrap_up_code)


def counts_now(c: Contact) -> bool:
    """Does the contact have a queue outcome (or a self-service one) the live figures can count?"""
    if c.queued_at is None:
        return c.outcome == "self_served"
    return c.answered_at is not None or c.abandoned_at is not None


class ContactRuntime:
    """Owns the routing engine of one server process."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock, hub: EventHub) -> None:
        self.factory = factory
        self.clock = clock
        self.hub = hub
        self.lock = threading.RLock()
        self.engine: RoutingEngine | None = None
        self.accumulator: kpi.KpiAccumulator | None = None
        self.queue_info: dict[str, dict[str, Any]] = {}
        self.day = ""
        self.listeners: list[Listener] = []
        self.wake = threading.Event()
        self._stopped = False
        self._next_acw_check = 0.0

    # ------------------------------------------------------------ sessions and the one serialised path
    def session(self) -> Session:
        s = self.factory()
        s.info["hub"] = self.hub
        return s

    def run(self, db: Session, action: Callable[[Session, datetime, set[int]], tuple[T, list[Command]]]) -> T:
        """Run one action: engine call(s) and their commands applied, in one transaction, under the lock."""
        db.commit()  # end the request's own transaction first (SQLite: never wait for the lock holding one)
        with self.lock:
            if self.engine is None:
                self._rebuild()
            now = self.clock.now()
            touched: set[int] = set()
            try:
                result, commands = action(db, now, touched)
                refused = self._apply(db, commands, now, touched)
                db.commit()
            except BaseException:
                db.rollback()
                self._rebuild()
                raise
        self._notify(commands)
        for r in refused:
            if r.code in REFUSALS:
                raise REFUSALS[r.code](r.detail, reason=r.code)
            raise svc.RoutingRefused(r.detail, reason=r.code)
        return result

    def _apply(self, db: Session, commands: list[Command], now: datetime, touched: set[int]) -> list[Rejected]:
        refused = svc.apply_commands(db_session=db, commands=commands, now=now)
        assert self.engine is not None
        for cmd in commands:
            cid = getattr(cmd, "contact_id", None)
            if cid is not None:
                touched.add(int(cid))
        queues: set[str] = {getattr(cmd, "queue", "") for cmd in commands} | {
            getattr(cmd, "to_queue", "") for cmd in commands} | {getattr(cmd, "from_queue", "") for cmd in commands}
        for cid in touched:
            c = db.get(Contact, cid)
            if c is None:
                continue
            where = self.engine.contact_state(cid)
            if where is not None:
                c.seq, c.stage, c.current_queue = where["seq"], where["stage"], where["queue"]
                c.entered_at = svc.from_ts(where["entered_at"])
            queues.update({c.queue, c.current_queue, c.overflowed_to_queue})
            if counts_now(c) and self.accumulator is not None:
                self._count(c)
        db.flush()
        day = self._today(now)
        for key in queues:
            if key in self.queue_info:
                info = self.queue_info[key]
                emit(db, Event("wallboard.queue", self.queue_row(key, day), info["org_path"], svc.WALLBOARD))
        return refused

    def _count(self, c: Contact) -> None:
        assert self.accumulator is not None
        try:
            self.accumulator.add_contact(kpi_contact(c))
        except kpi.MissingTarget:
            log.warning("contact %s has no queue target", c.id)

    def _notify(self, commands: list[Command]) -> None:
        self.wake.set()
        for listener in list(self.listeners):
            try:
                listener(commands)
            except Exception:  # a demo listener must never break routing
                log.exception("contacts listener failed")

    # ------------------------------------------------------------ rebuild from the database
    def ensure_started(self, db: Session) -> None:
        """Rebuild on first use (ending the caller's transaction first, so SQLite never waits on itself)."""
        if self.engine is None:
            db.commit()
            self.rebuild()

    def rebuild(self) -> None:
        with self.lock:
            self._rebuild()

    def _rebuild(self) -> None:
        """Build engine and live figures from the database alone (start-up, or after a failed transaction)."""
        with self.session() as db:
            now = self.clock.now()
            svc.ensure_configuration(db_session=db, now=now)
            config = svc.routing_config(db_session=db)
            self.queue_info = {q.key: {"key": q.key, "code": q.code, "name": q.name, "org_path": q.org_path,
                                       "sl_threshold_s": q.sl_threshold_s, "sl_target": q.sl_target,
                                       "abandon_cap": q.abandon_cap, "short_abandon_s": q.short_abandon_s}
                               for q in svc.queues(db_session=db)}
            self.engine = RoutingEngine.restore(config, self._snapshot(db, config, now))
            self._rebuild_figures(db, now)
            commands = self.engine.tick(now.timestamp()) + self.engine.rebalance(now.timestamp())
            touched: set[int] = set()
            self._apply(db, commands, now, touched)
            db.commit()
        self._notify(commands)

    def _snapshot(self, db: Session, config: Any, now: datetime) -> dict[str, Any]:
        configured = {a.id for a in config.agents}
        keys = {q.id for q in config.queues}
        offers = {o.contact_id: o for o in db.execute(select(ContactOffer).where(ContactOffer.status == "open"))
                  .scalars()}
        agents = {s.user_id: s for s in db.execute(select(AgentState).where(AgentState.state != "logged_out"))
                  .scalars() if s.user_id in configured}
        contacts, offer_recs, holding = [], [], {}
        for c in svc.waiting_contacts(db_session=db):
            if c.current_queue not in keys:
                continue
            agent = agents.get(c.agent_id) if c.agent_id else None
            offer = offers.get(c.id)
            state = "waiting"
            if c.state in ("talking", "hold") and agent is not None:
                state = "connected"
            elif c.state == "offered" and offer is not None and agent is not None and offer.agent_id == agent.user_id:
                state = "offered"
                offer_recs.append({"id": offer.id, "contact": c.id, "agent": agent.user_id,
                                   "expires_at": svc.ts(offer.expires_at)})
            if state != "waiting":
                holding[agent.user_id] = (c.id, "busy" if state == "connected" else "offered")  # type: ignore[union-attr]
            contacts.append({"id": c.id, "queue": c.current_queue, "priority": c.priority, "seq": c.seq or c.id,
                             "state": state, "stage": c.stage, "entered_at": svc.ts(c.entered_at or c.queued_at),
                             "arrived_at": svc.ts(c.queued_at), "agent": agent.user_id if state != "waiting" else None,
                             "offer": offer.id if state == "offered" else None})
        agent_recs = []
        for uid, st in agents.items():
            contact, state = holding.get(uid, (None, ENGINE_STATE.get(st.state, "not_ready")))
            if state in ("busy", "offered") and contact is None:
                state = "acw" if st.state in ("talking", "hold") else "ready"
            agent_recs.append({"id": uid, "state": state, "reason": st.reason,
                               "idle_since": svc.ts(st.idle_since or st.since), "contact": contact,
                               "pending": st.pending_reason or None})
        next_offer = (db.execute(select(func.max(ContactOffer.id))).scalar() or 0) + 1
        seq = max([c["seq"] for c in contacts], default=0)
        seq = max(seq, db.execute(select(func.max(Contact.seq))).scalar() or 0)
        return {"version": SNAPSHOT_VERSION, "now": now.timestamp(), "seq": seq, "next_offer": next_offer,
                "agents": agent_recs, "contacts": contacts, "offers": offer_recs}

    def _targets(self) -> dict[str, kpi.QueueTarget]:
        return {k: kpi.QueueTarget(k, q["sl_threshold_s"], q["sl_target"], q["short_abandon_s"])
                for k, q in self.queue_info.items()}

    def _today(self, now: datetime) -> str:
        day = to_local(now).date().isoformat()
        if day != self.day and self.accumulator is not None and self.day:
            self.accumulator.forget_before(to_local(now).date())
        self.day = day
        return day

    def _rebuild_figures(self, db: Session, now: datetime) -> None:
        self.accumulator = kpi.KpiAccumulator(self._targets(), default_target=kpi.QueueTarget("", 20.0, 0.8))
        self.day = to_local(now).date().isoformat()
        start = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
        rows = db.execute(select(Contact).where((Contact.queued_at >= start) | (
            Contact.queued_at.is_(None) & (Contact.arrived_at >= start)))).scalars()
        for c in rows:
            if counts_now(c):
                self._count(c)

    # ------------------------------------------------------------ the wallboard's figures
    def queue_row(self, key: str, day: str | None = None) -> dict[str, Any]:
        """One queue's live row: waiting now, oldest wait, and today's figures from the KPI module."""
        info = self.queue_info[key]
        assert self.engine is not None and self.accumulator is not None
        waiting = self.engine.waiting(key)
        oldest = min((self.engine.contact_state(w)["arrived_at"] for w in waiting), default=None)  # type: ignore[index]
        figures = self.accumulator.queue(key, day or self.day).as_dict()
        return {**info, "waiting": len(waiting), "oldest_since": oldest,
                **{k: figures.get(k) for k in ("offered", "answered", "abandoned", "short_abandoned",
                                               "answered_in_threshold", "service_level", "asa_s",
                                               "abandonment_rate", "answer_rate", "met_target", "self_served")}}

    # ------------------------------------------------------------ actions (each one serialised transaction)
    def _user(self, db: Session, user_id: int) -> User:
        user = db.get(User, user_id)
        assert user is not None
        return user

    def agent_state(self, db: Session, *, user_id: int, state: str, reason: str = "") -> dict[str, Any]:
        """login | ready | not_ready(reason) | logout."""
        if state == "not_ready" and reason not in svc.contacts_config()["not_ready_reasons"]:
            raise InvalidInput("reason", "one of " + ", ".join(svc.contacts_config()["not_ready_reasons"]))

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[dict[str, Any], list[Command]]:
            assert self.engine is not None
            at = now.timestamp()
            st = svc.agent_state(db_session=db, user=self._user(db, user_id), now=now)
            if state == "login" and st.state != "logged_out" or state == st.state == "ready":
                return svc.agent_row(db, st), []  # already there: nothing to do
            if state not in svc.AGENT_ACTIONS.get(st.state, ()):
                raise IllegalTransition(f"Cannot {state.replace('_', ' ')} while {st.state.replace('_', ' ')}",
                                        state=st.state)
            if state == "login":
                commands = self.engine.agent_not_ready(at, user_id, "other")
                if not any(isinstance(c, Rejected) for c in commands):
                    svc.set_state(db, st, "not_ready", "other", now)
            elif state == "ready":
                commands = self.engine.agent_ready(at, user_id)
                if not any(isinstance(c, Rejected) for c in commands):
                    svc.set_state(db, st, "ready", "", now)
            elif state == "not_ready" and st.contact_id and st.state in ("talking", "hold", "acw"):
                st.pending_reason = reason  # applies when the after-call work ends
                commands = self.engine.agent_not_ready(at, user_id, reason) if st.state != "acw" else []
            elif state == "not_ready":
                commands = self.engine.agent_not_ready(at, user_id, reason)
                if not any(isinstance(c, Rejected) for c in commands):
                    svc.set_state(db, st, "not_ready", reason, now)
            else:  # logout
                commands = self.engine.agent_logged_out(at, user_id)
                if not any(isinstance(c, Rejected) for c in commands):
                    svc.set_state(db, st, "logged_out", "", now)
            # an offer the agent had is withdrawn: set_state above ran first, the commands follow
            return svc.agent_row(db, st), commands

        return self.run(db, action)

    def accept(self, db: Session, *, user_id: int, offer_id: int) -> int:
        """Answer an offer (a late accept of an expired offer is refused with offer_closed)."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[int, list[Command]]:
            assert self.engine is not None
            offer = db.get(ContactOffer, offer_id)
            return (offer.contact_id if offer else 0), self.engine.offer_accepted(now.timestamp(), offer_id, user_id)

        return self.run(db, action)

    def reject(self, db: Session, *, user_id: int, offer_id: int) -> None:
        def action(db: Session, now: datetime, touched: set[int]) -> tuple[None, list[Command]]:
            assert self.engine is not None
            return None, self.engine.offer_rejected(now.timestamp(), offer_id, user_id)

        self.run(db, action)

    def hold(self, db: Session, *, user_id: int, contact_id: int, on: bool) -> None:
        def action(db: Session, now: datetime, touched: set[int]) -> tuple[None, list[Command]]:
            c = self._own(db, user_id, contact_id)
            svc.do_hold(db_session=db, now=now, contact=c, on=on)
            return None, []

        self.run(db, action)

    def _own(self, db: Session, user_id: int, contact_id: int) -> Contact:
        c = db.get(Contact, contact_id)
        if c is None or c.agent_id != user_id:
            raise svc.ContactNotFound()
        return c

    def end(self, db: Session, *, user_id: int, contact_id: int) -> None:
        """The agent ends the conversation: after-call work starts."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[None, list[Command]]:
            assert self.engine is not None
            c = self._own(db, user_id, contact_id)
            svc.do_end_talk(db_session=db, now=now, contact=c)
            touched.add(c.id)
            return None, self.engine.contact_ended(now.timestamp(), c.id, acw=True)

        self.run(db, action)

    def wrap_up(self, db: Session, *, user_id: int, contact_id: int, code: str, note: str = "",
                work_orders: list[str] | None = None, ready: bool = True) -> None:
        """Close ACW with a wrap-up code; the agent becomes ready (or stays not-ready if they asked for it)."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[None, list[Command]]:
            c = self._own(db, user_id, contact_id)
            svc.do_wrap_up(db_session=db, now=now, contact=c, code=code, note=note, work_orders=work_orders)
            touched.add(c.id)
            return None, self._after_acw(db, user_id, now, ready)

        self.run(db, action)

    def _after_acw(self, db: Session, user_id: int, now: datetime, ready: bool = True) -> list[Command]:
        assert self.engine is not None
        st = db.get(AgentState, user_id)
        if st is None or st.state != "acw":
            return []
        if st.pending_reason or not ready:
            reason = st.pending_reason or "other"
            st.pending_reason = ""
            svc.set_state(db, st, "not_ready", reason, now)
            return self.engine.agent_not_ready(now.timestamp(), user_id, reason)
        svc.set_state(db, st, "ready", "", now)
        return self.engine.agent_ready(now.timestamp(), user_id)

    def _transfer_queue(self, db: Session, c: Contact, user_id: int, target: str) -> str:
        """The engine queue a transfer target names: a queue key, 'expert' / 'marketing', or 'agent:<id>'."""
        if target.startswith("agent:"):
            other = int(target[6:]) if target[6:].isdigit() else 0
            st = db.get(AgentState, other)
            if (other == user_id or st is None or st.state == "logged_out" or not st.org_path.startswith(c.org_path)
                    or self.engine is None or self.engine.agent_state(other) == "logged_out"):
                raise InvalidInput("target", "that agent is not signed in to the desktop in this province")
            return svc.personal_queue(other)
        aliases = svc.contacts_config()["transfer_targets"]
        key = svc.queue_for(db_session=db, contact=c, queue_code=aliases[target]) if target in aliases else target
        if key not in self.queue_info or self.queue_info[key]["org_path"] != c.org_path:
            raise InvalidInput("target", "unknown queue")
        return key

    def transfer(self, db: Session, *, user_id: int, contact_id: int, target: str) -> int:
        """Blind transfer to a queue key, 'expert' / 'marketing', or a named agent ('agent:<id>'): a new leg
        queues there and this agent goes to after-call work. Returns the new leg's id."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[int, list[Command]]:
            assert self.engine is not None
            c = self._own(db, user_id, contact_id)
            key = self._transfer_queue(db, c, user_id, target)
            at = now.timestamp()
            leg = svc.do_transfer_leg(db_session=db, now=now, contact=c, to_queue=key)
            touched.update({c.id, leg.id})
            commands = self.engine.contact_ended(at, c.id, acw=True)
            commands += self.engine.contact_arrived(at, leg.id, key, leg.priority)
            return leg.id, commands

        return self.run(db, action)

    def consult(self, db: Session, *, user_id: int, contact_id: int, target: str) -> int:
        """Warm transfer, step 1: the customer is held while a consultation leg rings the target. Returns its id."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[int, list[Command]]:
            assert self.engine is not None
            c = self._own(db, user_id, contact_id)
            key = self._transfer_queue(db, c, user_id, target)
            leg = svc.do_consult(db_session=db, now=now, contact=c, to_queue=key)
            touched.update({c.id, leg.id})
            return leg.id, self.engine.contact_arrived(now.timestamp(), leg.id, key, leg.priority)

        return self.run(db, action)

    def complete_consult(self, db: Session, *, user_id: int, contact_id: int) -> int:
        """Warm transfer, step 2: the consulted agent has answered; the customer is theirs, this agent goes to ACW."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[int, list[Command]]:
            assert self.engine is not None
            c = self._own(db, user_id, contact_id)
            leg = svc.do_complete_consult(db_session=db, now=now, contact=c)
            touched.update({c.id, leg.id})
            return leg.id, self.engine.contact_ended(now.timestamp(), c.id, acw=True)

        return self.run(db, action)

    def cancel_consult(self, db: Session, *, user_id: int, contact_id: int) -> None:
        """Give up a consultation: the leg stops ringing (or its agent goes to ACW); the customer comes back."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[None, list[Command]]:
            assert self.engine is not None
            c = self._own(db, user_id, contact_id)
            leg = svc.do_cancel_consult(db_session=db, now=now, contact=c)
            touched.update({c.id, leg.id})
            at = now.timestamp()
            if leg.state == "acw":
                return None, self.engine.contact_ended(at, leg.id, acw=True)
            return None, self.engine.contact_abandoned(at, leg.id)

        self.run(db, action)

    # caller side ------------------------------------------------------------------------------------
    def caller_key(self, db: Session, *, contact_id: int, token: str, key: str) -> dict[str, Any]:
        """A key press in the IVR; a transfer leaf puts the contact in its queue through the engine."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[dict[str, Any], list[Command]]:
            assert self.engine is not None
            c = svc.caller_contact(db_session=db, contact_id=contact_id, token=token)
            step = svc.do_ivr_input(db_session=db, now=now, contact=c, key=key)
            commands: list[Command] = []
            if step.queue:
                qkey = svc.queue_for(db_session=db, contact=c, queue_code=step.queue)
                if qkey not in self.queue_info:
                    raise InvalidInput("queue", "the IVR leads to an unknown queue")
                prio = 5 if c.segment == "vip" else 0
                svc.do_queue(db_session=db, now=now, contact=c, queue_key=qkey, business_type=step.business_type or "",
                             priority=prio)
                touched.add(c.id)
                commands = self.engine.contact_arrived(now.timestamp(), c.id, qkey, prio)
            return {"say": step.say, "state": c.state, "queue": c.current_queue}, commands

        return self.run(db, action)

    def arrive(self, db: Session, *, contact_id: int, queue_key: str, business_type: str, priority: int = 0) -> None:
        """Queue a contact directly (the traffic generator's IVR is simulated)."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[None, list[Command]]:
            assert self.engine is not None
            c = db.get(Contact, contact_id)
            assert c is not None
            svc.do_queue(db_session=db, now=now, contact=c, queue_key=queue_key, business_type=business_type,
                         priority=priority)
            touched.add(c.id)
            return None, self.engine.contact_arrived(now.timestamp(), c.id, queue_key, priority)

        self.run(db, action)

    def hangup(self, db: Session, *, contact_id: int, token: str | None = None) -> str:
        """The caller hangs up: self-served in the IVR, abandoned while waiting, end of talk when connected."""

        def action(db: Session, now: datetime, touched: set[int]) -> tuple[str, list[Command]]:
            assert self.engine is not None
            c = (svc.caller_contact(db_session=db, contact_id=contact_id, token=token) if token is not None
                 else db.get(Contact, contact_id))
            assert c is not None
            c = svc.live_leg(db_session=db, contact=c)
            touched.add(c.id)
            if c.state == "ivr":
                svc.do_self_served(db_session=db, now=now, contact=c)
                return c.outcome, []
            if c.state in ("queued", "offered"):
                commands = self.engine.contact_abandoned(now.timestamp(), c.id)
                svc.do_abandon(db_session=db, now=now, contact=c)
                return "abandoned", commands
            if c.state in ("talking", "hold"):
                svc.do_end_talk(db_session=db, now=now, contact=c)
                svc.add_message(db_session=db, now=now, contact=c, sender="system", text="客户已挂机")
                return "ended", self.engine.contact_ended(now.timestamp(), c.id, acw=True)
            return c.state, []

        return self.run(db, action)

    # timers ------------------------------------------------------------------------------------------
    def tick(self) -> int:
        """Fire due engine timers (offer timeouts -> RONA, overflows) and end overdue ACW. Returns commands applied."""
        with self.lock:
            if self.engine is None:
                self._rebuild()
            assert self.engine is not None
            now = self.clock.now()
            due = self.engine.next_timer()
            if (due is None or due > now.timestamp()) and now.timestamp() < self._next_acw_check:
                return 0
            with self.session() as db:
                overdue = svc.acw_overdue(db_session=db, now=now)
                self._next_acw_check = now.timestamp() + 5
                if (due is None or due > now.timestamp()) and not overdue:
                    return 0

                def action(db: Session, now: datetime, touched: set[int]) -> tuple[int, list[Command]]:
                    assert self.engine is not None
                    commands = self.engine.tick(now.timestamp())
                    for st in overdue:
                        if st.contact_id:
                            c = db.get(Contact, st.contact_id)
                            if c is not None and c.state == "acw":
                                svc.do_wrap_up(db_session=db, now=now, contact=c, code="resolved",
                                               note="ACW ended automatically")
                                touched.add(c.id)
                        commands += self._after_acw(db, st.user_id, now)
                    return len(commands), commands

                return self.run(db, action)

    async def loop(self) -> None:
        """Sleep until the next timer (at most 1 s), then tick, until stopped."""
        while not self._stopped:
            try:
                await asyncio.to_thread(self.tick)
            except Exception:
                log.exception("contacts timer tick failed")
            due = self.engine.next_timer() if self.engine else None
            delay = 1.0 if due is None else min(1.0, max(0.02, due - self.clock.now().timestamp()))
            self.wake.clear()
            await asyncio.sleep(delay)

    # ------------------------------------------------------------ snapshots
    def wallboard_rows(self, db: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every queue row and every logged-in agent row (unfiltered; the caller applies the policy)."""
        db.commit()  # never hold a SQLite write lock while waiting for the engine lock
        with self.lock:
            if self.engine is None:
                self._rebuild()
            now = self.clock.now()
            day = self._today(now)
            rows = [self.queue_row(k, day) for k in self.queue_info]
        agents = [svc.agent_row(db, st) for st in db.execute(
            select(AgentState).where(AgentState.state != "logged_out").order_by(AgentState.user_id)).scalars()]
        return rows, agents


def queue_name_map(db: Session) -> dict[str, str]:
    return {q.key: q.name for q in db.execute(select(ContactQueue)).scalars()}


__all__ = ["ContactRuntime", "IllegalTransition", "Offer", "kpi_contact"]

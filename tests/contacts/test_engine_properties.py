"""Hypothesis properties of the routing engine, driven by random event sequences.

A shadow model built only from the commands the engine returns checks: no contact is offered to
two agents (nor an agent given two offers), no contact is lost (each arrived contact is waiting,
offered, connected, or ended/abandoned by an event), the engine's internal invariants hold after
every step (refused events included), nobody eligible stays idle while a contact waits, overflows
fire exactly at entry + after_s, and service is FIFO within a priority with an unanswered offer
keeping its place.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hotline.contacts.routing import (
    AgentConfig,
    Connect,
    Offer,
    OfferCancelled,
    Overflow,
    OverflowRule,
    QueueConfig,
    Rejected,
    Requeue,
    RoutingConfig,
    RoutingEngine,
    RoutingPolicy,
)

QUEUES = (
    QueueConfig("regular", overflow=(OverflowRule(20, to_queue="backup"),)),
    QueueConfig("vip", priority=5, agent_selection="best_skill"),
    QueueConfig(
        "billing", tiers=("expert",), overflow=(OverflowRule(10, to_tier="A"), OverflowRule(25, to_tier="B"))
    ),
    QueueConfig("backup"),
)
RULES = {q.id: q.overflow for q in QUEUES}
AGENTS = (
    AgentConfig("a1", {"regular": 1, "vip": 3}, tier="A"),
    AgentConfig("a2", {"regular": 2, "billing": 1}, tier="A"),
    AgentConfig("b1", {"regular": 1, "backup": 1, "billing": 2}, tier="B"),
    AgentConfig("x1", {"billing": 5, "vip": 5}, tier="expert"),
    AgentConfig("auto", {"backup": 1, "vip": 1}, tier="B", auto_answer=True),
)
AGENT_IDS = [a.id for a in AGENTS]
QUEUE_IDS = [q.id for q in QUEUES]
DT = st.sampled_from([0, 0, 0.5, 1, 3, 5, 10, 15, 20, 25])
SETTINGS = settings(
    max_examples=150, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.config = RoutingConfig(queues=QUEUES, agents=AGENTS, policy=RoutingPolicy(offer_timeout_s=15))
        self.engine = RoutingEngine(self.config)
        self.t = 0.0
        self.n = 0
        self.status: dict[str, str] = {}  # contact -> waiting / offered / connected / gone
        self.queue: dict[str, str] = {}
        self.stage: dict[str, int] = {}
        self.entered: dict[str, float] = {}
        self.requeued_at: dict[str, float] = {}
        self.open: dict[int, tuple[str, str]] = {}  # offer -> (contact, agent)
        self.closed: list[int] = []

    # -------------------------------------------------------------- driving

    def apply(self, cmds: list) -> None:
        for c in cmds:
            if isinstance(c, Offer):
                assert self.status[c.contact_id] == "waiting", c
                assert all(cid != c.contact_id for cid, _ in self.open.values()), "contact offered twice"
                assert all(aid != c.agent_id for _, aid in self.open.values()), "agent offered twice"
                assert c.queue == self.queue[c.contact_id]
                self.open[c.offer_id] = (c.contact_id, c.agent_id)
                self.status[c.contact_id] = "offered"
            elif isinstance(c, Connect):
                if c.offer_id in self.open:
                    assert self.open.pop(c.offer_id) == (c.contact_id, c.agent_id)
                else:  # auto-answer
                    assert self.status[c.contact_id] == "waiting"
                self.closed.append(c.offer_id)
                self.status[c.contact_id] = "connected"
            elif isinstance(c, OfferCancelled):
                assert self.open.pop(c.offer_id) == (c.contact_id, c.agent_id)
                self.closed.append(c.offer_id)
                self.status[c.contact_id] = "waiting"
            elif isinstance(c, Requeue):
                self.status[c.contact_id] = "waiting"
                self.requeued_at[c.contact_id] = c.at
                if c.reason == "transfer":
                    self.queue[c.contact_id], self.stage[c.contact_id], self.entered[c.contact_id] = (
                        c.queue,
                        0,
                        c.at,
                    )
            elif isinstance(c, Overflow):
                cid = c.contact_id
                assert self.status[cid] == "waiting"
                assert c.from_queue == self.queue[cid]
                deadline = self.entered[cid] + RULES[c.from_queue][self.stage[cid]].after_s
                assert c.at >= deadline
                if c.at != deadline:  # only when it was ringing at its deadline and came back later
                    assert self.requeued_at.get(cid) == c.at
                if c.to_tier is None:
                    self.queue[cid], self.stage[cid], self.entered[cid] = c.to_queue, 0, c.at
                else:
                    self.stage[cid] += 1

    def step(self, dt: float) -> None:
        self.t += dt

    @rule(dt=DT, queue=st.sampled_from(QUEUE_IDS), priority=st.sampled_from([0, 0, 1, 5]))
    def arrive(self, dt, queue, priority):
        self.step(dt)
        self.n += 1
        cid = f"c{self.n}"
        self.status[cid], self.queue[cid], self.stage[cid], self.entered[cid] = "waiting", queue, 0, self.t
        self.apply(self.engine.contact_arrived(self.t, cid, queue, priority))

    @rule(dt=DT, agent=st.sampled_from(AGENT_IDS))
    def ready(self, dt, agent):
        self.step(dt)
        self.apply(self.engine.agent_ready(self.t, agent))

    @rule(dt=DT, agent=st.sampled_from(AGENT_IDS), reason=st.sampled_from(["break", "training"]))
    def not_ready(self, dt, agent, reason):
        self.step(dt)
        self.apply(self.engine.agent_not_ready(self.t, agent, reason))

    @rule(dt=DT, agent=st.sampled_from(AGENT_IDS))
    def logout(self, dt, agent):
        self.step(dt)
        self.apply(self.engine.agent_logged_out(self.t, agent))

    @rule(dt=DT, data=st.data())
    def accept(self, dt, data):
        self.step(dt)
        choices = sorted(self.open) + self.closed[-3:] + [10_000]
        oid = data.draw(st.sampled_from(choices))
        was_open = oid in self.open and self.open[oid]
        cmds = self.engine.offer_accepted(self.t, oid)
        self.apply(cmds)
        if not was_open or oid not in [c.offer_id for c in cmds if isinstance(c, Connect)]:
            assert isinstance(cmds[-1], Rejected)  # closed, unknown, or expired on the way
            assert oid not in self.open

    @precondition(lambda self: self.open)
    @rule(dt=DT, data=st.data())
    def reject(self, dt, data):
        self.step(dt)
        oid = data.draw(st.sampled_from(sorted(self.open)))
        self.apply(self.engine.offer_rejected(self.t, oid))

    @rule(dt=DT, data=st.data())
    def abandon(self, dt, data):
        self.step(dt)
        live = sorted(c for c, s in self.status.items() if s != "gone")
        if not live:
            return self.apply(self.engine.tick(self.t))
        cid = data.draw(st.sampled_from(live))
        cmds = self.engine.contact_abandoned(self.t, cid)
        self.apply(cmds)
        if not any(isinstance(c, Rejected) for c in cmds):
            self.status[cid] = "gone"

    @rule(dt=DT, data=st.data(), acw=st.booleans(), transfer=st.sampled_from([None, None, "billing", "vip"]))
    def end(self, dt, data, acw, transfer):
        self.step(dt)
        live = sorted(c for c, s in self.status.items() if s == "connected")
        if not live:
            return self.apply(self.engine.tick(self.t))
        cid = data.draw(st.sampled_from(live))
        if transfer is None:
            cmds = self.engine.contact_ended(self.t, cid, acw)
        else:
            cmds = self.engine.contact_transferred(self.t, cid, transfer, acw=acw)
        ended = transfer is None and self.status[cid] == "connected"
        self.apply(cmds)
        if ended and not any(isinstance(c, Rejected) for c in cmds):
            self.status[cid] = "gone"

    @rule(dt=DT)
    def tick(self, dt):
        self.step(dt)
        self.apply(self.engine.tick(self.t))

    @rule()
    def restart(self):
        """The live server restarts: the state goes through JSON and comes back identical."""
        snap = json.loads(json.dumps(self.engine.snapshot()))
        self.engine = RoutingEngine.restore(self.config, snap)
        assert self.engine.snapshot() == snap

    # -------------------------------------------------------------- properties

    @invariant()
    def internal_invariants_hold(self):
        self.engine.check()

    @invariant()
    def no_contact_is_lost(self):
        live = {c: s for c, s in self.status.items() if s != "gone"}
        assert set(self.engine.contacts()) == set(live)
        for cid, s in live.items():
            st_ = self.engine.contact_state(cid)
            assert st_ is not None and st_["state"] == s, (cid, s, st_)
            assert st_["queue"] == self.queue[cid]
        waiting = [c for q in QUEUE_IDS for c in self.engine.waiting(q)]
        assert sorted(waiting) == sorted(c for c, s in live.items() if s == "waiting")
        assert set(self.engine.open_offers()) == set(self.open)

    @invariant()
    def nobody_eligible_idles_while_a_contact_waits(self):
        tiers = {a.id: a.tier for a in AGENTS}
        skills = {a.id: a.skills for a in AGENTS}
        for q in QUEUES:
            idle = self.engine.idle_agents(q.id)
            for cid in self.engine.waiting(q.id):
                stage = self.engine.contact_state(cid)["stage"]
                allowed = None if q.tiers is None else set(q.tiers) | {r.to_tier for r in q.overflow[:stage]}
                for aid in idle:
                    assert q.id in skills[aid]
                    assert allowed is not None and tiers[aid] not in allowed, (cid, aid)

    @invariant()
    def overflow_deadlines_are_never_overdue(self):
        for q in QUEUES:
            for cid in self.engine.waiting(q.id):
                st_ = self.engine.contact_state(cid)
                if st_["stage"] < len(q.overflow):
                    assert st_["entered_at"] + q.overflow[st_["stage"]].after_s > self.t

    @invariant()
    def next_timer_is_in_the_future(self):
        nt = self.engine.next_timer()
        assert nt is None or nt > self.t


RoutingMachine.TestCase.settings = SETTINGS
TestRouting = RoutingMachine.TestCase


class FifoMachine(RuleBasedStateMachine):
    """One queue, interchangeable agents: every offer goes to the head of (-priority, arrival order)."""

    def __init__(self) -> None:
        super().__init__()
        agents = tuple(AgentConfig(f"a{i}", {"q": 1 + i % 5}) for i in range(3))
        self.engine = RoutingEngine(
            RoutingConfig(queues=(QueueConfig("q"),), agents=agents, policy=RoutingPolicy(offer_timeout_s=10))
        )
        self.t = 0.0
        self.n = 0
        self.key: dict[str, tuple[int, int]] = {}
        self.waiting: set[str] = set()
        self.open: dict[int, str] = {}
        self.busy: set[str] = set()

    def apply(self, cmds, arriving: str | None = None):
        for c in cmds:
            if arriving is not None and getattr(c, "contact_id", None) == arriving:  # timers first
                self.waiting.add(arriving)
                arriving = None
            if isinstance(c, Offer):
                head = min(self.waiting, key=self.key.__getitem__)
                assert c.contact_id == head, (
                    c.contact_id,
                    head,
                    sorted(self.waiting, key=self.key.__getitem__),
                )
                self.waiting.discard(c.contact_id)
                self.open[c.offer_id] = c.contact_id
            elif isinstance(c, Connect):
                self.busy.add(self.open.pop(c.offer_id))
            elif isinstance(c, OfferCancelled):
                self.open.pop(c.offer_id)
            elif isinstance(c, Requeue):
                self.waiting.add(c.contact_id)  # same key: it keeps its place
        if arriving is not None:
            self.waiting.add(arriving)
        assert self.engine.waiting("q") == sorted(self.waiting, key=self.key.__getitem__)

    @rule(dt=DT, priority=st.sampled_from([0, 0, 0, 5]))
    def arrive(self, dt, priority):
        self.t += dt
        self.n += 1
        cid = f"c{self.n}"
        self.key[cid] = (-priority, self.n)
        self.apply(self.engine.contact_arrived(self.t, cid, "q", priority), arriving=cid)

    @rule(dt=DT, agent=st.sampled_from(["a0", "a1", "a2"]))
    def ready(self, dt, agent):
        self.t += dt
        self.apply(self.engine.agent_ready(self.t, agent))

    @rule(dt=DT, data=st.data(), accept=st.booleans())
    def answer(self, dt, data, accept):
        self.t += dt
        if not self.open:
            return
        oid = data.draw(st.sampled_from(sorted(self.open)))
        self.apply((self.engine.offer_accepted if accept else self.engine.offer_rejected)(self.t, oid))

    @rule(dt=DT, data=st.data())
    def finish(self, dt, data):
        self.t += dt
        if not self.busy:
            return
        cid = data.draw(st.sampled_from(sorted(self.busy)))
        self.busy.discard(cid)
        self.apply(self.engine.contact_ended(self.t, cid))

    @rule(dt=DT, data=st.data())
    def abandon(self, dt, data):
        self.t += dt
        if not self.waiting:
            return
        cid = data.draw(st.sampled_from(sorted(self.waiting)))
        self.waiting.discard(cid)
        self.apply(self.engine.contact_abandoned(self.t, cid))

    @rule(dt=DT)
    def tick(self, dt):
        self.t += dt
        self.apply(self.engine.tick(self.t))


FifoMachine.TestCase.settings = SETTINGS
TestFifo = FifoMachine.TestCase

"""The pure skill-routing engine: events in, commands out, no clock, no database, no randomness.

State lives in small slotted objects; routing decisions use indexed heaps, never a scan of all
agents or contacts:

* per queue and overflow stage, a heap of waiting contacts keyed by (-priority, seq): the highest
  priority first, then first come first served (`seq` is given once at arrival and kept across an
  unanswered offer and an overflow, so the contact keeps its place);
* per queue and agent tier, a heap of idle agents keyed by (idle_since, index) for longest-idle
  queues, or (-level, idle_since, index) for best-skill queues;
* one heap of timers (offer expiries, overflow deadlines).

Heaps are lazy: an entry carries a version stamp and is dropped when it reaches the top after its
owner changed (an agent picked through another queue, a contact that abandoned). Heaps are
compacted when stale entries outnumber live ones, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from heapq import heapify, heappop, heappush
from typing import Any

from hotline.contacts.routing.config import (
    AgentConfig,
    OverflowRule,
    QueueConfig,
    RoutingConfig,
    RoutingConfigError,
)
from hotline.contacts.routing.messages import (
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Command,
    Connect,
    ContactAbandoned,
    ContactArrived,
    ContactEnded,
    ContactTransferred,
    Event,
    Offer,
    OfferAccepted,
    OfferCancelled,
    OfferRejected,
    OfferTimedOut,
    Overflow,
    Rejected,
    Requeue,
    SetNotReady,
    Tick,
)

SNAPSHOT_VERSION = 1

# Agent states (logged-out agents are not held at all).
NOT_READY, READY, OFFERED, BUSY, ACW = 0, 1, 2, 3, 4
AGENT_STATE_NAMES = ("not_ready", "ready", "offered", "busy", "acw")
# Contact states (ended and abandoned contacts are forgotten).
WAITING, RINGING, CONNECTED = 1, 2, 3
CONTACT_STATE_NAMES = {WAITING: "waiting", RINGING: "offered", CONNECTED: "connected"}

_T_OFFER, _T_OVERFLOW = 0, 1
_DEAD = -1  # version of an entry owner that is no longer in any heap


class _Queue:
    __slots__ = (
        "best_skill",
        "buckets",
        "cfg",
        "id",
        "idle",
        "idle_cap",
        "live",
        "prio",
        "rules",
        "stage_heaps",
        "stage_tiers",
    )

    def __init__(self, cfg: QueueConfig) -> None:
        self.id = cfg.id
        self.cfg = cfg
        self.prio = cfg.priority
        self.rules: tuple[OverflowRule, ...] = tuple(cfg.overflow)
        self.best_skill = cfg.agent_selection == "best_skill"
        n = len(self.rules) + 1
        self.buckets: list[list[Any]] = [[] for _ in range(n)]  # waiting contacts per stage
        self.live = [0] * n  # live entries per bucket
        tiers: list[frozenset[str] | None] = []
        cur = None if cfg.tiers is None else frozenset(cfg.tiers)
        for i in range(n):
            tiers.append(cur)
            if i < len(self.rules) and self.rules[i].to_tier is not None and cur is not None:
                cur = cur | {self.rules[i].to_tier}
        self.stage_tiers = tiers
        self.idle: dict[str, list[Any]] = {}  # tier -> heap of idle agents
        self.idle_cap: dict[str, int] = {}  # tier -> agents configured with this skill and tier
        self.stage_heaps: list[list[list[Any]]] = [[] for _ in range(n)]  # stage -> idle heaps to search

    def add_tier(self, tier: str) -> list[Any]:
        heap = self.idle.get(tier)
        if heap is None:
            heap = self.idle[tier] = []
            self.idle_cap[tier] = 0
            for stage, allowed in enumerate(self.stage_tiers):
                if allowed is None or tier in allowed:
                    self.stage_heaps[stage].append(heap)
        self.idle_cap[tier] += 1
        return heap


class _Agent:
    __slots__ = (
        "cfg",
        "contact",
        "id",
        "idle_since",
        "index",
        "offer",
        "pending",
        "reason",
        "routes",
        "state",
        "ver",
    )

    def __init__(self, cfg: AgentConfig, index: int, routes: tuple[Any, ...]) -> None:
        self.id = cfg.id
        self.index = index
        self.cfg = cfg
        # (queue, heap of this agent's tier, level, stages of the queue this tier may serve)
        self.routes = routes
        self.state = NOT_READY
        self.reason = "login"
        self.idle_since = 0.0
        self.ver = _DEAD
        self.contact: _Contact | None = None
        self.offer: int | None = None
        self.pending: str | None = None  # not-ready asked for while busy


class _Contact:
    __slots__ = (
        "agent",
        "arrived_at",
        "entered_at",
        "id",
        "offer",
        "priority",
        "queue",
        "seq",
        "stage",
        "state",
        "ver",
    )

    def __init__(self, cid: Hashable, queue: _Queue, priority: int, seq: int, at: float) -> None:
        self.id = cid
        self.queue = queue
        self.priority = priority
        self.seq = seq
        self.state = WAITING
        self.stage = 0
        self.entered_at = at
        self.arrived_at = at
        self.ver = _DEAD
        self.agent: _Agent | None = None
        self.offer: int | None = None


class _Offer:
    __slots__ = ("agent", "contact", "expires_at", "id")

    def __init__(self, oid: int, contact: _Contact, agent: _Agent, expires_at: float | None) -> None:
        self.id = oid
        self.contact = contact
        self.agent = agent
        self.expires_at = expires_at


class RoutingEngine:
    """Skill routing as a pure state machine. Feed events in time order; apply the commands returned.

    Every event method takes `at` (seconds) first and returns a list of commands. Before the event
    itself, timers due at or before `at` fire (at their own deadlines), so state never depends on
    when the driver calls `tick`; the driver calls `tick(next_timer())` only to learn of timer
    effects promptly. Times earlier than the engine's clock are treated as the engine's clock.
    Invalid events return a single `Rejected` command and change nothing.
    """

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._timeout = config.policy.offer_timeout_s
        self._reject_nr = config.policy.reject_sets_not_ready
        self._queues: dict[str, _Queue] = {q.id: _Queue(q) for q in config.queues}
        self._agent_cfg: dict[Hashable, tuple[int, AgentConfig]] = {}
        for index, a in enumerate(config.agents):
            self._agent_cfg[a.id] = (index, a)
            for qid in a.skills:
                self._queues[qid].add_tier(a.tier)
        self._agents: dict[Hashable, _Agent] = {}
        self._contacts: dict[Hashable, _Contact] = {}
        self._offers: dict[int, _Offer] = {}
        self._timers: list[Any] = []
        self._now = float("-inf")
        self._seq = 0  # contact order
        self._next_offer = 1
        self._ver = 0  # version stamps for heap entries
        self._tseq = 0  # timer order

    # ------------------------------------------------------------------ queries

    @property
    def now(self) -> float:
        """The latest time the engine has seen (-inf before the first event)."""
        return self._now

    def next_timer(self) -> float | None:
        """The earliest deadline (offer expiry, overflow) at which `tick` would change something."""
        timers = self._timers
        while timers:
            d, _, kind, ref, ver = timers[0]
            if (ref in self._offers) if kind == _T_OFFER else (ref.ver == ver):
                return d
            heappop(timers)
        return None

    def waiting(self, queue: str) -> list[Hashable]:
        """Contacts waiting in a queue, in the order this queue would serve them (all stages merged)."""
        q = self._queues[queue]
        entries = [e for b in q.buckets for e in b if e[3].ver == e[2]]
        entries.sort()
        return [e[3].id for e in entries]

    def waiting_count(self, queue: str) -> int:
        return sum(self._queues[queue].live)

    def idle_agents(self, queue: str) -> list[Hashable]:
        """Ready agents who could take a new contact of this queue, best first for this queue."""
        q = self._queues[queue]
        entries = [e for h in q.idle.values() for e in h if e[-1].ver == e[-2]]
        entries.sort()
        return [e[-1].id for e in entries]

    def agent_state(self, agent_id: Hashable) -> str:
        a = self._agents.get(agent_id)
        return "logged_out" if a is None else AGENT_STATE_NAMES[a.state]

    def contact_state(self, contact_id: Hashable) -> dict[str, Any] | None:
        """Where a contact is (None if unknown, ended or abandoned)."""
        c = self._contacts.get(contact_id)
        if c is None:
            return None
        return {
            "state": CONTACT_STATE_NAMES[c.state],
            "queue": c.queue.id,
            "stage": c.stage,
            "priority": c.priority,
            "seq": c.seq,
            "agent": None if c.agent is None else c.agent.id,
            "offer": c.offer,
            "arrived_at": c.arrived_at,
            "entered_at": c.entered_at,
        }

    def contacts(self) -> Iterator[Hashable]:
        return iter(self._contacts)

    def open_offers(self) -> dict[int, tuple[Hashable, Hashable, float | None]]:
        return {o.id: (o.contact.id, o.agent.id, o.expires_at) for o in self._offers.values()}

    # ------------------------------------------------------------------ event entry points

    def handle(self, event: Event) -> list[Command]:
        """Dispatch one event record (see `messages`) to the matching method."""
        match event:
            case ContactArrived():
                return self.contact_arrived(event.at, event.contact_id, event.queue, event.priority)
            case AgentReady():
                return self.agent_ready(event.at, event.agent_id)
            case AgentNotReady():
                return self.agent_not_ready(event.at, event.agent_id, event.reason)
            case AgentLoggedOut():
                return self.agent_logged_out(event.at, event.agent_id)
            case OfferAccepted():
                return self.offer_accepted(event.at, event.offer_id, event.agent_id)
            case OfferRejected():
                return self.offer_rejected(event.at, event.offer_id, event.agent_id)
            case OfferTimedOut():
                return self.offer_timed_out(event.at, event.offer_id)
            case ContactAbandoned():
                return self.contact_abandoned(event.at, event.contact_id)
            case ContactEnded():
                return self.contact_ended(event.at, event.contact_id, event.acw)
            case ContactTransferred():
                return self.contact_transferred(
                    event.at, event.contact_id, event.to_queue, event.priority, event.acw
                )
            case Tick():
                return self.tick(event.at)
        raise TypeError(f"not a routing event: {event!r}")

    def tick(self, at: float) -> list[Command]:
        """Fire every timer due at or before `at`."""
        out: list[Command] = []
        self._begin(at, out)
        return out

    def contact_arrived(
        self, at: float, contact_id: Hashable, queue: str, priority: int = 0
    ) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        q = self._queues.get(queue)
        if q is None:
            out.append(Rejected("contact_arrived", "queue_unknown", f"unknown queue {queue!r}", at))
            return out
        if contact_id in self._contacts:
            out.append(
                Rejected("contact_arrived", "contact_exists", f"contact {contact_id!r} is already routed", at)
            )
            return out
        self._seq += 1
        c = _Contact(contact_id, q, priority, self._seq, at)
        self._contacts[contact_id] = c
        self._enqueue(c, q, 0, at, at, out)
        return out

    def agent_ready(self, at: float, agent_id: Hashable) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        a = self._agents.get(agent_id)
        if a is None:
            a = self._login(agent_id)
            if a is None:
                out.append(
                    Rejected("agent_ready", "agent_unknown", f"agent {agent_id!r} is not configured", at)
                )
                return out
        state = a.state
        if state == READY:
            return out
        if state == BUSY or state == OFFERED:
            if a.pending is not None:  # "ready" while busy cancels a pending not-ready
                a.pending = None
                return out
            out.append(Rejected("agent_ready", "agent_busy", f"agent {agent_id!r} has a contact", at))
            return out
        self._agent_idle(a, at, at, out)
        return out

    def agent_not_ready(self, at: float, agent_id: Hashable, reason: str = "other") -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        a = self._agents.get(agent_id)
        if a is None:
            a = self._login(agent_id)
            if a is None:
                out.append(
                    Rejected("agent_not_ready", "agent_unknown", f"agent {agent_id!r} is not configured", at)
                )
                return out
        state = a.state
        if state == BUSY:
            a.pending = reason
            return out
        if state == OFFERED:
            self._cancel_offer(a, "agent_not_ready", at, out)
        a.state = NOT_READY
        a.reason = reason
        a.ver = _DEAD
        if state == OFFERED:
            self._requeue_offered(a, "agent_not_ready", at, out)
        return out

    def agent_logged_out(self, at: float, agent_id: Hashable) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        a = self._agents.get(agent_id)
        if a is None:
            return out
        if a.state == BUSY:
            out.append(
                Rejected(
                    "agent_logged_out", "agent_busy", f"agent {agent_id!r} has a contact: end it first", at
                )
            )
            return out
        offered = a.state == OFFERED
        if offered:
            self._cancel_offer(a, "agent_logged_out", at, out)
        a.ver = _DEAD
        a.state = NOT_READY
        del self._agents[agent_id]
        if offered:
            self._requeue_offered(a, "agent_logged_out", at, out)
        return out

    def offer_accepted(self, at: float, offer_id: int, agent_id: Hashable | None = None) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        o = self._open_offer("offer_accepted", offer_id, agent_id, at, out)
        if o is None:
            return out
        del self._offers[offer_id]
        c, a = o.contact, o.agent
        c.state = CONNECTED
        c.offer = None
        a.state = BUSY
        a.offer = None
        out.append(Connect(offer_id, c.id, a.id, c.queue.id, at))
        return out

    def offer_rejected(self, at: float, offer_id: int, agent_id: Hashable | None = None) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        o = self._open_offer("offer_rejected", offer_id, agent_id, at, out)
        if o is None:
            return out
        self._unanswered(o, "rejected", at, out, not_ready=self._reject_nr)
        return out

    def offer_timed_out(self, at: float, offer_id: int) -> list[Command]:
        """An explicit timeout (for drivers that keep their own offer timers); `tick` does the same."""
        out: list[Command] = []
        at = self._begin(at, out)
        o = self._open_offer("offer_timed_out", offer_id, None, at, out)
        if o is None:
            return out
        self._unanswered(o, "rona", at, out, not_ready=True, cancel="timeout")
        return out

    def contact_abandoned(self, at: float, contact_id: Hashable) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        c = self._contacts.get(contact_id)
        if c is None:
            out.append(
                Rejected("contact_abandoned", "contact_unknown", f"contact {contact_id!r} is not routed", at)
            )
            return out
        state = c.state
        if state == CONNECTED:
            out.append(
                Rejected("contact_abandoned", "contact_connected", "the contact is with an agent: end it", at)
            )
            return out
        del self._contacts[contact_id]
        if state == WAITING:
            c.queue.live[c.stage] -= 1
            c.ver = _DEAD
        else:  # ringing: free the agent, keeping the idle time they had
            a = c.agent
            assert a is not None
            self._cancel_offer(a, "abandoned", at, out)
            a.contact = None
            self._agent_idle(a, a.idle_since, at, out)
        return out

    def contact_ended(self, at: float, contact_id: Hashable, acw: bool = False) -> list[Command]:
        out: list[Command] = []
        at = self._begin(at, out)
        c = self._contacts.get(contact_id)
        if c is None or c.state != CONNECTED:
            code = "contact_unknown" if c is None else "contact_not_connected"
            out.append(Rejected("contact_ended", code, f"contact {contact_id!r} is not with an agent", at))
            return out
        del self._contacts[contact_id]
        a = c.agent
        assert a is not None
        a.contact = None
        self._release(a, acw, at, out)
        return out

    def contact_transferred(
        self, at: float, contact_id: Hashable, to_queue: str, priority: int | None = None, acw: bool = False
    ) -> list[Command]:
        """Blind transfer to a queue: the contact queues again (as a new arrival there); the agent is freed."""
        out: list[Command] = []
        at = self._begin(at, out)
        c = self._contacts.get(contact_id)
        q = self._queues.get(to_queue)
        if c is None or c.state != CONNECTED:
            code = "contact_unknown" if c is None else "contact_not_connected"
            out.append(
                Rejected("contact_transferred", code, f"contact {contact_id!r} is not with an agent", at)
            )
            return out
        if q is None:
            out.append(Rejected("contact_transferred", "queue_unknown", f"unknown queue {to_queue!r}", at))
            return out
        a = c.agent
        assert a is not None
        a.contact = None
        c.agent = None
        self._seq += 1
        c.seq = self._seq
        if priority is not None:
            c.priority = priority
        out.append(Requeue(c.id, q.id, "transfer", at))
        self._enqueue(c, q, 0, at, at, out)
        self._release(a, acw, at, out)
        return out

    def rebalance(self, at: float) -> list[Command]:
        """Offer waiting contacts to idle agents who could take them (after `restore` with a new config)."""
        out: list[Command] = []
        at = self._begin(at, out)
        for a in sorted(
            (a for a in self._agents.values() if a.state == READY), key=lambda a: (a.idle_since, a.index)
        ):
            if a.state == READY:
                a.ver = _DEAD
                self._agent_idle(a, a.idle_since, at, out)
        return out

    # ------------------------------------------------------------------ internals

    def _begin(self, at: float, out: list[Command]) -> float:
        if at < self._now:  # noqa: PLR1730 - hot path: a compare is cheaper than max()
            at = self._now
        timers = self._timers
        if timers and timers[0][0] <= at:
            self._fire(at, out)
        self._now = at
        return at

    def _fire(self, at: float, out: list[Command]) -> None:
        timers = self._timers
        offers = self._offers
        while timers and timers[0][0] <= at:
            d, _, kind, ref, ver = heappop(timers)
            t = max(self._now, d)
            if kind == _T_OFFER:
                o = offers.get(ref)
                if o is not None:
                    self._now = t
                    self._unanswered(o, "rona", t, out, not_ready=True, cancel="timeout")
            elif ref.ver == ver:
                self._now = t
                ref.queue.live[ref.stage] -= 1
                ref.ver = _DEAD
                self._overflow(ref, t, out)

    def _login(self, agent_id: Hashable) -> _Agent | None:
        found = self._agent_cfg.get(agent_id)
        if found is None:
            return None
        index, cfg = found
        routes = []
        for qid, level in cfg.skills.items():
            q = self._queues[qid]
            heap = q.idle[cfg.tier]
            stages = tuple(
                s for s, allowed in enumerate(q.stage_tiers) if allowed is None or cfg.tier in allowed
            )
            routes.append((q, heap, level, stages))
        a = _Agent(cfg, index, tuple(routes))
        self._agents[agent_id] = a
        return a

    def _open_offer(
        self, event: str, offer_id: int, agent_id: Hashable | None, at: float, out: list[Command]
    ) -> _Offer | None:
        o = self._offers.get(offer_id)
        if o is None:
            if isinstance(offer_id, int) and 0 < offer_id < self._next_offer:
                out.append(
                    Rejected(
                        event, "offer_closed", f"offer {offer_id} expired, was cancelled or answered", at
                    )
                )
            else:
                out.append(Rejected(event, "offer_unknown", f"no offer {offer_id!r}", at))
            return None
        if agent_id is not None and agent_id != o.agent.id:
            out.append(Rejected(event, "offer_wrong_agent", f"offer {offer_id} is for another agent", at))
            return None
        return o

    def _enqueue(
        self, c: _Contact, q: _Queue, stage: int, entered_at: float, at: float, out: list[Command]
    ) -> None:
        """Put a contact in a queue stage: offer it to the best idle agent, else wait in the bucket."""
        c.queue = q
        c.stage = stage
        c.entered_at = entered_at
        c.state = WAITING
        best = None
        for heap in q.stage_heaps[stage]:
            while heap:
                e = heap[0]
                if e[-1].ver == e[-2]:
                    if best is None or e < best[0]:
                        best = heap
                    break
                heappop(heap)
        if best is not None:
            a = heappop(best)[-1]
            self._offer(c, a, at, out)
            return
        rules = q.rules
        if stage < len(rules) and entered_at + rules[stage].after_s <= at:  # back after its deadline
            self._overflow(c, at, out)
            return
        self._ver += 1
        c.ver = ver = self._ver
        bucket = q.buckets[stage]
        heappush(bucket, (-c.priority, c.seq, ver, c))
        live = q.live[stage] = q.live[stage] + 1
        if len(bucket) > 2 * live + 32:
            bucket[:] = [e for e in bucket if e[3].ver == e[2]]
            heapify(bucket)
        if stage < len(rules):
            self._tseq += 1
            heappush(self._timers, (entered_at + rules[stage].after_s, self._tseq, _T_OVERFLOW, c, ver))

    def _agent_idle(self, a: _Agent, idle_since: float, at: float, out: list[Command]) -> None:
        """The agent can take a contact: offer the best waiting one, else index the agent as idle."""
        a.idle_since = idle_since
        a.reason = ""
        a.pending = None
        best = None
        best_key = None
        best_q = None
        best_stage = 0
        for q, _heap, _level, stages in a.routes:
            qp = q.prio
            buckets = q.buckets
            for s in stages:
                bucket = buckets[s]
                while bucket:
                    e = bucket[0]
                    if e[3].ver == e[2]:
                        key = (e[0] - qp, e[1])
                        if best_key is None or key < best_key:
                            best_key, best, best_q, best_stage = key, bucket, q, s
                        break
                    heappop(bucket)
        if best is not None:
            assert best_q is not None
            c = heappop(best)[3]
            best_q.live[best_stage] -= 1
            self._offer(c, a, at, out)
            return
        a.state = READY
        self._ver += 1
        a.ver = ver = self._ver
        idx = a.index
        for q, heap, level, _stages in a.routes:
            if q.best_skill:
                heappush(heap, (-level, idle_since, idx, ver, a))
            else:
                heappush(heap, (idle_since, idx, ver, a))
            if len(heap) > 2 * q.idle_cap[a.cfg.tier] + 32:
                heap[:] = [e for e in heap if e[-1].ver == e[-2]]
                heapify(heap)

    def _offer(self, c: _Contact, a: _Agent, at: float, out: list[Command]) -> None:
        oid = self._next_offer
        self._next_offer = oid + 1
        c.ver = _DEAD
        c.agent = a
        a.ver = _DEAD
        a.contact = c
        a.reason = ""
        if a.cfg.auto_answer:
            c.state = CONNECTED
            a.state = BUSY
            out.append(Connect(oid, c.id, a.id, c.queue.id, at))
            return
        c.state = RINGING
        c.offer = oid
        a.state = OFFERED
        a.offer = oid
        timeout = self._timeout
        expires = None if timeout is None else at + timeout
        self._offers[oid] = _Offer(oid, c, a, expires)
        if expires is not None:
            self._tseq += 1
            heappush(self._timers, (expires, self._tseq, _T_OFFER, oid, 0))
        out.append(Offer(oid, c.id, a.id, c.queue.id, expires, at))

    def _cancel_offer(self, a: _Agent, reason: str, at: float, out: list[Command]) -> None:
        oid = a.offer
        assert oid is not None and a.contact is not None
        del self._offers[oid]
        out.append(OfferCancelled(oid, a.contact.id, a.id, reason, at))
        a.offer = None

    def _requeue_offered(self, a: _Agent, reason: str, at: float, out: list[Command]) -> None:
        """Put the contact `a` was ringing with back in its place in its queue."""
        c = a.contact
        assert c is not None
        a.contact = None
        c.agent = None
        c.offer = None
        out.append(Requeue(c.id, c.queue.id, reason, at))
        self._enqueue(c, c.queue, c.stage, c.entered_at, at, out)

    def _unanswered(
        self,
        o: _Offer,
        reason: str,
        at: float,
        out: list[Command],
        *,
        not_ready: bool,
        cancel: str | None = None,
    ) -> None:
        """An offer ended unanswered: the contact goes back to its place; the agent goes not-ready or ready."""
        a = o.agent
        self._cancel_offer(a, cancel or reason, at, out)
        if not_ready:
            a.state = NOT_READY
            a.reason = reason
            a.ver = _DEAD
            out.append(SetNotReady(a.id, reason, at))
        self._requeue_offered(a, reason, at, out)
        if not not_ready:
            self._agent_idle(a, at, at, out)

    def _release(self, a: _Agent, acw: bool, at: float, out: list[Command]) -> None:
        """The agent's contact ended or left: pending not-ready, else ACW, else ready."""
        if a.pending is not None:
            a.state = NOT_READY
            a.reason = a.pending
            a.pending = None
            out.append(SetNotReady(a.id, a.reason, at))
        elif acw:
            a.state = ACW
            a.reason = ""
        else:
            self._agent_idle(a, at, at, out)

    def _overflow(self, c: _Contact, at: float, out: list[Command]) -> None:
        """Apply the contact's next overflow rule (it is out of every bucket)."""
        q = c.queue
        stage = c.stage
        rule = q.rules[stage]
        if rule.to_queue is not None:
            target = self._queues[rule.to_queue]
            out.append(Overflow(c.id, q.id, target.id, None, at))
            self._enqueue(c, target, 0, at, at, out)
        else:
            out.append(Overflow(c.id, q.id, q.id, rule.to_tier, at))
            self._enqueue(c, q, stage + 1, c.entered_at, at, out)

    # ------------------------------------------------------------------ snapshot / restore

    def snapshot(self) -> dict[str, Any]:
        """All state as plain JSON-ready data (config excluded: it comes from the configuration)."""
        return {
            "version": SNAPSHOT_VERSION,
            "now": None if self._now == float("-inf") else self._now,
            "seq": self._seq,
            "next_offer": self._next_offer,
            "agents": [
                {
                    "id": a.id,
                    "state": AGENT_STATE_NAMES[a.state],
                    "reason": a.reason,
                    "idle_since": a.idle_since,
                    "contact": None if a.contact is None else a.contact.id,
                    "pending": a.pending,
                }
                for a in sorted(self._agents.values(), key=lambda a: a.index)
            ],
            "contacts": [
                {
                    "id": c.id,
                    "queue": c.queue.id,
                    "priority": c.priority,
                    "seq": c.seq,
                    "state": CONTACT_STATE_NAMES[c.state],
                    "stage": c.stage,
                    "entered_at": c.entered_at,
                    "arrived_at": c.arrived_at,
                    "agent": None if c.agent is None else c.agent.id,
                    "offer": c.offer,
                }
                for c in sorted(self._contacts.values(), key=lambda c: c.seq)
            ],
            "offers": [
                {"id": o.id, "contact": o.contact.id, "agent": o.agent.id, "expires_at": o.expires_at}
                for o in sorted(self._offers.values(), key=lambda o: o.id)
            ],
        }

    @classmethod
    def restore(cls, config: RoutingConfig, snapshot: dict[str, Any]) -> RoutingEngine:
        """Rebuild an engine from `snapshot()` output (possibly with a changed config).

        Indexes and timers are rebuilt; no command is issued. Call `tick(now)` next (overdue timers
        fire), and `rebalance(now)` if the configuration changed.
        """
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported routing snapshot version {snapshot.get('version')!r}")
        eng = cls(config)
        eng._now = float("-inf") if snapshot["now"] is None else float(snapshot["now"])
        eng._seq = int(snapshot["seq"])
        eng._next_offer = int(snapshot["next_offer"])
        state_ids = {name: i for i, name in enumerate(AGENT_STATE_NAMES)}
        contact_state_ids = {name: i for i, name in CONTACT_STATE_NAMES.items()}
        for rec in snapshot["agents"]:
            a = eng._login(rec["id"])
            if a is None:
                raise RoutingConfigError("agents", f"snapshot agent {rec['id']!r} is not configured")
            a.state = state_ids[rec["state"]]
            a.reason = rec["reason"]
            a.idle_since = float(rec["idle_since"])
            a.pending = rec["pending"]
        for rec in snapshot["contacts"]:
            q = eng._queues.get(rec["queue"])
            if q is None:
                raise RoutingConfigError(
                    "queues", f"snapshot contact {rec['id']!r} is in unknown queue {rec['queue']!r}"
                )
            stage = min(int(rec["stage"]), len(q.rules))
            c = _Contact(rec["id"], q, int(rec["priority"]), int(rec["seq"]), float(rec["arrived_at"]))
            c.state = contact_state_ids[rec["state"]]
            c.stage = stage
            c.entered_at = float(rec["entered_at"])
            c.offer = rec["offer"]
            if rec["agent"] is not None:
                c.agent = eng._agents[rec["agent"]]
                c.agent.contact = c
                c.agent.offer = rec["offer"]
            eng._contacts[c.id] = c
        for rec in snapshot["offers"]:
            c = eng._contacts[rec["contact"]]
            a = eng._agents[rec["agent"]]
            o = _Offer(int(rec["id"]), c, a, rec["expires_at"])
            eng._offers[o.id] = o
            if o.expires_at is not None:
                eng._tseq += 1
                heappush(eng._timers, (o.expires_at, eng._tseq, _T_OFFER, o.id, 0))
        # Re-index: idle agents by their idle order, waiting contacts in their own order.
        for a in sorted(eng._agents.values(), key=lambda a: (a.idle_since, a.index)):
            if a.state == READY:
                eng._ver += 1
                a.ver = ver = eng._ver
                for q, heap, level, _ in a.routes:
                    heappush(
                        heap,
                        (-level, a.idle_since, a.index, ver, a)
                        if q.best_skill
                        else (a.idle_since, a.index, ver, a),
                    )
        for c in sorted(eng._contacts.values(), key=lambda c: c.seq):
            if c.state == WAITING:
                q, stage = c.queue, c.stage
                eng._ver += 1
                c.ver = ver = eng._ver
                heappush(q.buckets[stage], (-c.priority, c.seq, ver, c))
                q.live[stage] += 1
                if stage < len(q.rules):
                    eng._tseq += 1
                    heappush(
                        eng._timers, (c.entered_at + q.rules[stage].after_s, eng._tseq, _T_OVERFLOW, c, ver)
                    )
        return eng

    def check(self) -> None:
        """Assert the internal invariants (for tests): raises AssertionError when broken."""
        for o in self._offers.values():
            assert o.contact.state == RINGING and o.contact.offer == o.id and o.contact.agent is o.agent
            assert o.agent.state == OFFERED and o.agent.offer == o.id and o.agent.contact is o.contact
        for c in self._contacts.values():
            if c.state == WAITING:
                assert c.agent is None and c.offer is None
            elif c.state == RINGING:
                assert c.offer in self._offers
            else:
                assert c.agent is not None and c.agent.state == BUSY and c.agent.contact is c
        for a in self._agents.values():
            if a.state in (OFFERED, BUSY):
                assert a.contact is not None and self._contacts.get(a.contact.id) is a.contact
            else:
                assert a.contact is None
        for q in self._queues.values():
            for s, bucket in enumerate(q.buckets):
                live = [e for e in bucket if e[3].ver == e[2]]
                assert len(live) == q.live[s], (q.id, s, len(live), q.live[s])
                assert all(e[3].state == WAITING and e[3].queue is q and e[3].stage == s for e in live)

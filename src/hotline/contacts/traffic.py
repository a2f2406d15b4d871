"""Demo traffic: Poisson arrivals shaped by the time of day, simulated IVR choices and patience, and a few
simulated agents who answer, talk and wrap up, all through the live runtime (the same routing as real users).
Light on CPU: one asyncio task waking twice a second."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from hotline.contacts import service as svc
from hotline.contacts.models import AgentState, Contact
from hotline.contacts.routing import Command, Connect, Offer
from hotline.contacts.runtime import ContactRuntime
from hotline.core.clock import to_local
from hotline.customers.models import CustomerNumber

log = logging.getLogger("hotline.contacts.traffic")
# Relative arrival intensity by local hour (a telecom hotline's day: a morning and an evening peak).
HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.2, 1.2, 1.1, 0.9, 1.0, 1.1, 1.1, 1.0, 0.9, 0.9, 1.0, 1.0,
          0.8, 0.5, 0.3]
CHOICES = [("regular", "general", 0.45), ("billing", "bill_query", 0.25), ("data", "data_issue", 0.12),
           ("broadband", "broadband", 0.08), ("complaint", "complaint", 0.05), ("regular", "package_change", 0.05)]


class DemoTraffic:
    """Drives the runtime with simulated callers and agents (`hotline demo`)."""

    def __init__(self, runtime: ContactRuntime, *, agents: int = 10, calls_per_hour: float = 240.0,
                 seed: int = 2026) -> None:
        self.rt = runtime
        self.rng = random.Random(seed)
        self.n_agents = agents
        self.rate = calls_per_hour
        self.sim_agents: set[int] = set()
        self.numbers: list[str] = []
        self._heap: list[tuple[float, int, Callable[[], Any]]] = []
        self._seq = itertools.count()
        self._task: asyncio.Task[None] | None = None

    def _at(self, delay: float, fn: Callable[[], Any]) -> None:
        heapq.heappush(self._heap, (self.rt.clock.now().timestamp() + delay, next(self._seq), fn))

    def _setup(self) -> None:
        with self.rt.session() as db:
            users = [u for u in svc.agent_users(db_session=db) if u.username not in ("agent", "expert")
                     and u.unit.path.startswith(svc.province_path(u.unit.path))]
            first_province = min(svc.province_codes(db_session=db))
            users = [u for u in users if u.unit.path.startswith(first_province)][: self.n_agents * 4]
            picked = self.rng.sample(users, min(self.n_agents, len(users)))
            self.numbers = list(db.execute(select(CustomerNumber.number).limit(500)).scalars())
            for u in picked:
                st = svc.agent_state(db_session=db, user=u, now=self.rt.clock.now())
                st.simulated = True
            db.commit()
        for u in picked:
            self.sim_agents.add(u.id)
            with self.rt.session() as db:
                self.rt.agent_state(db, user_id=u.id, state="login")
            with self.rt.session() as db:
                if db.get(AgentState, u.id).state == "not_ready":
                    self.rt.agent_state(db, user_id=u.id, state="ready")
        self.rt.listeners.append(self._on_commands)

    def _on_commands(self, commands: list[Command]) -> None:
        for cmd in commands:
            if isinstance(cmd, Offer) and int(cmd.agent_id) in self.sim_agents:
                self._at(self.rng.uniform(1, 4), lambda c=cmd: self._call(self.rt.accept, user_id=int(c.agent_id),
                                                                         offer_id=c.offer_id))
            elif isinstance(cmd, Connect) and int(cmd.agent_id) in self.sim_agents:
                talk = self.rng.lognormvariate(math.log(90), 0.5)
                self._at(talk, lambda c=cmd: self._call(self.rt.end, user_id=int(c.agent_id),
                                                        contact_id=int(c.contact_id)))
                self._at(talk + self.rng.uniform(5, 30), lambda c=cmd: self._call(
                    self.rt.wrap_up, user_id=int(c.agent_id), contact_id=int(c.contact_id), code="resolved"))

    def _call(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        with self.rt.session() as db:
            try:
                fn(db, **kwargs)
            except Exception as exc:  # late actions after a hang-up are expected in a simulation
                log.debug("demo action refused: %s", exc)

    def _arrival(self) -> None:
        if self.numbers:
            queue, btype = self.rng.choices([(q, b) for q, b, _ in CHOICES], [w for *_, w in CHOICES])[0]
            with self.rt.session() as db:
                c, _token = svc.do_open_contact(db_session=db, now=self.rt.clock.now(), channel="voice",
                                                number=self.rng.choice(self.numbers))
                c.ivr_path = [{"at": self.rt.clock.now().isoformat(), "node": "root", "key": "0", "simulated": True}]
                key = svc.queue_for(db_session=db, contact=c, queue_code=queue)
                db.commit()
                self.rt.arrive(db, contact_id=c.id, queue_key=key, business_type=btype,
                               priority=5 if c.segment == "vip" else 0)
                patience = self.rng.expovariate(1 / 120)
                self._at(patience, lambda cid=c.id: self._abandon_if_waiting(cid))
        hour = to_local(self.rt.clock.now()).hour
        rate = self.rate * HOURLY[hour] / 3600.0
        self._at(self.rng.expovariate(max(rate, 1e-3)), self._arrival)

    def _abandon_if_waiting(self, contact_id: int) -> None:
        with self.rt.session() as db:
            c = db.get(Contact, contact_id)
            if c is not None and c.state in ("queued", "offered"):
                self.rt.hangup(db, contact_id=contact_id)

    def step(self) -> None:
        """Run every due simulated action."""
        now = self.rt.clock.now().timestamp()
        while self._heap and self._heap[0][0] <= now:
            _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:
                log.exception("demo traffic step failed")

    async def run(self) -> None:
        await asyncio.to_thread(self._setup)
        self._at(1.0, self._arrival)
        while True:
            await asyncio.to_thread(self.step)
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

"""Demo traffic: Poisson arrivals shaped by the time of day, simulated IVR choices and patience, and simulated
agents who answer, talk and wrap up, all through the live runtime (the same routing as real users).

The simulated agents follow the published schedule (hotline.wfm) of the first province: on shift they are
logged in and take calls, on a break or meal they are not ready (reason break), and after the shift they log
out, with small human deviations (`Habits`), so adherence is high but not perfect. Agents with no shift stay
logged out. With no schedule published for the day, a few agents picked at random just work all day.
Light on CPU: one asyncio task waking twice a second."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import logging
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hotline.contacts import service as svc
from hotline.contacts.models import AgentState, Contact
from hotline.contacts.routing import Command, Connect, Offer
from hotline.contacts.runtime import ContactRuntime
from hotline.core.clock import to_local
from hotline.customers.models import Customer, CustomerNumber
from hotline.org.models import OrgUnit, User
from hotline.wfm import service as wfm_service
from hotline.wfm.models import WfmActivity

log = logging.getLogger("hotline.contacts.traffic")
# Relative arrival intensity by local hour (a telecom hotline's day: a morning and an evening peak).
HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.2, 1.2, 1.1, 0.9, 1.0, 1.1, 1.1, 1.0, 0.9, 0.9, 1.0, 1.0,
          0.8, 0.5, 0.3]
CHOICES = [("regular", "general", 0.45), ("billing", "bill_query", 0.25), ("data", "data_issue", 0.12),
           ("broadband", "broadband", 0.08), ("complaint", "complaint", 0.05), ("regular", "package_change", 0.05)]
FOLLOW_S = 15.0  # simulated agents look at their schedule this often
REFRESH_S = 300.0  # the published schedule is read again this often (re-publications are picked up)
HUMAN_DESKS = ("agent", "expert")  # demo logins people use themselves: never driven by the simulation
REASONS = {"break": "break", "aux": "other"}  # intended not-ready state -> the reason the agent gives
BUSY = ("talking", "hold", "acw")

Cut = tuple[datetime, str]  # from this moment the agent means to be: ready | break | aux | logged_out
Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Habits:
    """How simulated agents deviate from their schedule: ranges in minutes (uniform), shares are chances."""

    login: tuple[float, float] = (-4.0, 2.0)
    late_login_share: float = 0.1
    late_login: tuple[float, float] = (3.0, 12.0)
    break_start: tuple[float, float] = (-1.0, 2.0)
    break_end: tuple[float, float] = (-1.0, 1.5)
    late_back_share: float = 0.3  # a few minutes late back from a break now and then
    late_back: tuple[float, float] = (2.0, 8.0)
    off_share: float = 0.08  # agents who take every break of the shift this much later than planned
    off: tuple[float, float] = (10.0, 20.0)
    aux_per_hour: float = 0.6  # short unplanned not-ready spells (reason other), at most one between breaks
    aux: tuple[float, float] = (3.0, 10.0)
    logout: tuple[float, float] = (-3.0, 5.0)


def shift_timeline(shift: Span, breaks: Iterable[Span], rng: random.Random, habits: Habits = Habits()) -> list[Cut]:
    """One agent's intended states over a shift and its breaks/meals, with the habits' deviations: logged in
    and ready, not ready on breaks, a short unplanned spell now and then, logged out at the end."""
    h, minute = habits, timedelta(minutes=1)

    def draw(span: tuple[float, float]) -> timedelta:
        return rng.uniform(*span) * minute

    login = shift[0] + (draw(h.late_login) if rng.random() < h.late_login_share else draw(h.login))
    off = draw(h.off) if rng.random() < h.off_share else timedelta(0)
    cuts: list[Cut] = [(login, "ready")]
    for b0, b1 in sorted(breaks):
        cuts.append((b0 + off + draw(h.break_start), "break"))
        back = draw(h.late_back) if rng.random() < h.late_back_share else draw(h.break_end)
        cuts.append((b1 + off + back, "ready"))
    cuts.append((shift[1] + draw(h.logout), "logged_out"))
    cuts.sort()
    for (w0, s0), (w1, _s1) in list(itertools.pairwise(cuts)):  # the working spans between the cuts
        room = (w1 - w0) / minute - 2 * 10 - h.aux[1]
        if s0 == "ready" and room > 0 and rng.random() < h.aux_per_hour * (w1 - w0) / timedelta(hours=1):
            at = w0 + (10 + rng.uniform(0, room)) * minute
            cuts += [(at, "aux"), (at + draw(h.aux), "ready")]
    return sorted(cuts)


def intended(timelines: Iterable[Sequence[Cut]], at: datetime) -> str:
    """What the agent means to be at `at`: the state of the timeline that covers it, else logged out."""
    for cuts in timelines:
        i = bisect.bisect_right([t for t, _s in cuts], at)
        if 0 < i < len(cuts):
            return cuts[i - 1][1]
    return "logged_out"


def moves(state: str, reason: str, pending: str, want: str) -> list[tuple[str, str]]:
    """The runtime state actions (action, reason) that take an agent from `state` towards `want`; a break
    asked for during a call starts when its after-call work ends, like a real agent's."""
    busy = state in BUSY
    if want == "logged_out":
        if state in ("ready", "not_ready"):
            return [("logout", "")]
        return [("not_ready", "other")] if busy and not pending else []
    login = [("login", "")] if state == "logged_out" else []
    if want == "ready":
        return [*login, ("ready", "")] if state in ("logged_out", "not_ready") else []
    why = REASONS[want]
    if state in ("logged_out", "ready") or (state == "not_ready" and reason != why) or (busy and pending != why):
        return [*login, ("not_ready", why)]
    return []


def shifts_of(activities: Iterable[WfmActivity]) -> dict[int, list[tuple[Span, list[Span]]]]:
    """Published activities -> per agent, each shift with the breaks and meals inside it."""
    acts = list(activities)
    out: dict[int, list[tuple[Span, list[Span]]]] = {}
    for s in acts:
        if s.activity == "shift":
            inner = [(a.start_at, a.end_at) for a in acts if a.user_id == s.user_id and a.activity != "shift"
                     and s.start_at <= a.start_at and a.end_at <= s.end_at]
            out.setdefault(s.user_id, []).append(((s.start_at, s.end_at), inner))
    return out


class DemoTraffic:
    """Drives the runtime with simulated callers and agents (`hotline demo`)."""

    def __init__(self, runtime: ContactRuntime, *, agents: int = 10, calls_per_hour: float = 240.0,
                 seed: int = 2026, habits: Habits = Habits()) -> None:
        self.rt = runtime
        self.seed = seed
        self.rng = random.Random(seed)
        self.habits = habits
        self.n_agents = agents
        self.rate = calls_per_hour
        self.sim_agents: set[int] = set()
        self.numbers: list[str] = []
        self.province = ""
        self._heap: list[tuple[float, int, Callable[[], Any]]] = []
        self._seq = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self._plan: dict[int, list[list[Cut]]] | None = None  # per scheduled agent, a timeline per shift
        self._timelines: dict[tuple[int, Span, tuple[Span, ...]], list[Cut]] = {}  # drawn once per shift
        self._fallback: list[int] = []
        self._loaded: tuple[date, float] | None = None  # (local day, refresh due)

    def _at(self, delay: float, fn: Callable[[], Any]) -> None:
        heapq.heappush(self._heap, (self.rt.clock.now().timestamp() + delay, next(self._seq), fn))

    def _setup(self) -> None:
        with self.rt.session() as db:
            self.province = min(svc.province_codes(db_session=db))
            self.numbers = list(db.execute(  # callers of the province whose agents the traffic drives
                select(CustomerNumber.number).join(Customer).join(OrgUnit, Customer.province_id == OrgUnit.id)
                .where(OrgUnit.path == self.province).order_by(CustomerNumber.id).limit(500)).scalars())
            self.sim_agents = set(db.execute(select(AgentState.user_id).where(  # still on from a previous run
                AgentState.simulated.is_(True), AgentState.state != "logged_out")).scalars())
        self.rt.listeners.append(self._on_commands)

    def begin(self) -> None:
        """Set up, then start the agents' schedule checks and the callers."""
        self._setup()
        self._at(0.0, self._follow)
        self._at(1.0, self._arrival)

    def _pick(self, db: Any) -> list[int]:
        """Agents picked at random to work all day when no schedule is published."""
        users = [u for u in svc.agent_users(db_session=db) if u.username not in HUMAN_DESKS
                 and u.unit.path.startswith(self.province)][: self.n_agents * 4]
        return [u.id for u in self.rng.sample(users, min(self.n_agents, len(users)))]

    def _targets(self, now: datetime) -> dict[int, str]:
        """What each driven agent means to be now: from the published schedule, or the fallback pick."""
        day = to_local(now).date()
        if self._loaded is None or self._loaded[0] != day or now.timestamp() >= self._loaded[1]:
            with self.rt.session() as db:
                self._load(db, day)
            self._loaded = (day, now.timestamp() + REFRESH_S)
        if self._plan is None:
            return dict.fromkeys(self._fallback, "ready")
        return {uid: intended(tls, now) for uid, tls in self._plan.items()}

    def _load(self, db: Any, day: date) -> None:
        """Read the day's published schedule; a shift keeps its drawn timeline unless re-published differently."""
        acts = wfm_service.day_activities(db_session=db, prefix=self.province, day=day)
        if acts is None:
            self._plan = None
            self._fallback = self._fallback or self._pick(db)
            return
        humans = set(db.execute(select(User.id).where(User.username.in_(HUMAN_DESKS))).scalars())
        drawn: dict[tuple[int, Span, tuple[Span, ...]], list[Cut]] = {}
        self._plan = {}
        for uid, shifts in shifts_of(acts).items():
            for shift, breaks in [] if uid in humans else shifts:
                key = (uid, shift, tuple(breaks))
                drawn[key] = self._timelines.get(key) or self._draw(uid, shift, breaks)
                self._plan.setdefault(uid, []).append(drawn[key])
        self._timelines = drawn

    def _draw(self, user_id: int, shift: Span, breaks: list[Span]) -> list[Cut]:
        """The agent's timeline for a shift, from a generator seeded by the traffic's seed, agent and shift."""
        rng = random.Random(f"{self.seed}:{user_id}:{shift[0].isoformat()}")
        return shift_timeline(shift, breaks, rng, self.habits)

    def follow(self) -> None:
        """Move every driven agent towards what they mean to be now (through the runtime, like real agents)."""
        now = self.rt.clock.now()
        targets = self._targets(now)
        wanted = {uid: targets.get(uid, "logged_out") for uid in self.sim_agents | targets.keys()}
        with self.rt.session() as db:
            states = {st.user_id: st for st in db.execute(
                select(AgentState).where(AgentState.user_id.in_(wanted))).scalars()}
            todo: dict[int, list[tuple[str, str]]] = {}
            for uid, want in sorted(wanted.items()):
                st = states.get(uid)
                if st is None and want == "logged_out":
                    continue
                if st is None or not st.simulated:
                    user = db.get(User, uid)
                    assert user is not None
                    st = svc.agent_state(db_session=db, user=user, now=now)
                    st.simulated = True
                self.sim_agents.add(uid)
                todo[uid] = moves(st.state, st.reason, st.pending_reason, want)
            db.commit()
        for uid, steps in todo.items():
            for state, reason in steps:
                self._call(self.rt.agent_state, user_id=uid, state=state, reason=reason)

    def _follow(self) -> None:
        try:
            self.follow()
        finally:
            self._at(FOLLOW_S, self._follow)

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
        await asyncio.to_thread(self.begin)
        while True:
            await asyncio.to_thread(self.step)
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

"""The discrete-event core: an event heap on virtual time that drives the live routing engine.

Pure: randomness comes from the numpy SeedSequence passed in, time is virtual, nothing is read from
the clock (the optional `pace` hook is how a wall-clock driver slows it down). One call of
`simulate` is one replication; `replicate` runs several (in processes with `jobs > 1`) and
`summarise` turns them into the JSON contract of `hotline sim`.

Model. Per queue: Poisson arrivals (constant rate, or a rate per interval of `interval_s`,
repeated), plus the contacts an IVR sends there after their IVR time (those who self-serve never
queue); a talk time (with optional hold and ACW apart: the agent is busy for all three, in the
routing engine's ACW state for the last), an optional patience distribution (abandonment), a VIP
share with its priority, transfers to other queues (a second leg queued there with that queue's
times). Agents log in at the start of each shift (or at 0) and out at its end; breaks and
not-ready episodes inside shifts. An agent who has a contact or is in ACW when a break or the end
of the shift comes finishes first. Every routing decision is the routing engine's; the simulator
only supplies arrivals, answers (after `answer_delay_s`; with 0, sim agents auto-answer), ends,
transfers, abandons and agent states. A contact leg is counted in its final queue when it entered
the queue at or after `warmup_s`; arrivals stop at `duration_s` and the run continues until every
contact that arrived is answered or abandoned.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from heapq import heappop, heappush
from typing import Any

import numpy as np

from hotline.contacts.routing import Connect, Offer, Overflow, Rejected, RoutingEngine, SetNotReady
from hotline.contacts.routing.messages import command_to_dict
from hotline.reports import kpi
from hotline.sim.scenario import Distribution, Scenario

INF = math.inf
_END, _ABANDON, _ACCEPT, _LOGIN, _LOGOUT, _READY, _ACW_END, _NR_START, _NR_END = range(9)
SHIFT_END = "shift_end"
_IVR_STREAM, _LEG_STREAM, _GROUP_STREAM = 10_000, 10_001, 20_000

Observer = Callable[[dict[str, Any]], None]


@dataclass
class QueueTally:
    """Counts for one queue in one replication (contact legs entering the queue at or after the warm-up)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_within: int = 0
    wait_answered_s: float = 0.0
    overflow_in: int = 0
    overflow_out: int = 0
    talk_s: float = 0.0
    hold_s: float = 0.0
    acw_s: float = 0.0
    handle_s: float = 0.0
    transferred: int = 0
    self_served: int = 0

    def counts(self) -> kpi.ContactCounts:
        """The KPI module's tallies for these counts (every figure is derived from them)."""
        return kpi.ContactCounts(
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            short_abandoned=self.short_abandoned,
            answered_in_threshold=self.answered_within,
            answered_wait_s=self.wait_answered_s,
            talk_sum_s=self.talk_s,
            hold_sum_s=self.hold_s,
            acw_sum_s=self.acw_s,
            handle_s=self.handle_s,
            transferred=self.transferred,
            overflow_in=self.overflow_in,
            overflow_out=self.overflow_out,
            self_served=self.self_served,
        )


@dataclass
class GroupTime:
    """Agent time of one agent group in one replication, seconds inside [warmup_s, duration_s]."""

    busy_s: float = 0.0  # talk + hold + ACW
    staffed_s: float = 0.0  # logged in
    not_ready_s: float = 0.0  # breaks and not-ready episodes

    def time_counts(self) -> kpi.TimeCounts:
        """The KPI module's state time (handling, ready, not ready) for these seconds."""
        t = kpi.TimeCounts()
        t.add_state("talking", "", self.busy_s)
        t.add_state("not_ready", "break", self.not_ready_s)
        t.add_state("ready", "", max(0.0, self.staffed_s - self.busy_s - self.not_ready_s))
        return t


@dataclass
class Replication:
    queues: dict[str, QueueTally]
    busy_s: float
    staffed_s: float
    contacts: int  # simulated contacts (IVR self-service included), warm-up included
    wall_s: float = 0.0
    groups: list[GroupTime] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def draw(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """n durations (seconds) from a scenario distribution."""
    if dist.dist == "exponential":
        return rng.exponential(dist.mean, n)
    if dist.dist == "constant":
        return np.full(n, dist.mean)
    if dist.dist == "lognormal":
        assert dist.sd_s is not None
        m, s = dist.mean, dist.sd_s
        sigma2 = math.log1p((s / m) ** 2)
        return rng.lognormal(math.log(m) - sigma2 / 2, math.sqrt(sigma2), n)
    assert dist.values_s is not None
    return rng.choice(np.asarray(dist.values_s, dtype=float), n)


def _draw1(dist: Distribution | None, rng: np.random.Generator) -> float:
    return 0.0 if dist is None else float(draw(dist, rng, 1)[0])


def arrival_times(
    rates_per_hour: float | list[float], duration_s: float, interval_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Poisson arrival times on [0, duration): constant rate, or piecewise constant per interval."""
    if not isinstance(rates_per_hour, list):
        n = rng.poisson(rates_per_hour / 3600.0 * duration_s)
        return np.sort(rng.uniform(0.0, duration_s, n))
    parts = []
    k = 0
    start = 0.0
    while start < duration_s:
        end = min(start + interval_s, duration_s)
        rate = rates_per_hour[k % len(rates_per_hour)] / 3600.0
        n = rng.poisson(rate * (end - start))
        parts.append(np.sort(rng.uniform(start, end, n)))
        k += 1
        start = end
    return np.concatenate(parts) if parts else np.empty(0)


def child(ss: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """The i-th child stream of `ss` (as `ss.spawn` gives it first), whatever was spawned before."""
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, i), pool_size=ss.pool_size)


def _rngs(ss: np.random.SeedSequence, n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(child(ss, i)) for i in range(n)]


@dataclass
class _Arrivals:
    """Queued contact legs in time order, and the IVR's self-served contacts per queue."""

    t: list[float]
    q: list[int]
    talk: list[float]
    hold: list[float] | None
    acw: list[float] | None
    patience: list[float]
    prio: list[int]
    xfer: list[int] | None  # queue index of the transfer after the talk, -1 for none
    self_served: list[int]  # per queue, after the warm-up
    ivr_self_served: int  # all, warm-up included


def _ivr_entries(scenario: Scenario, seed: np.random.SeedSequence) -> tuple[list[np.ndarray], list[int], int]:
    """Per queue, the times at which IVR contacts queue there and the self-served count after the
    warm-up; and all self-served contacts."""
    nq = len(scenario.queues)
    queued: list[np.ndarray] = [np.empty(0)] * nq
    served = [0] * nq
    ivr = scenario.ivr
    if ivr is None:
        return queued, served, 0
    total = 0
    r_arr, r_path, r_self, r_time = _rngs(child(seed, _IVR_STREAM), 4)
    t = arrival_times(ivr.arrivals_per_hour, scenario.duration_s, scenario.interval_s, r_arr)
    path = r_path.choice(len(ivr.paths), size=len(t), p=[p.probability for p in ivr.paths])
    u = r_self.random(len(t))
    qindex = {q.name: k for k, q in enumerate(scenario.queues)}
    for j, p in enumerate(ivr.paths):
        mine = path == j
        selfs = mine & (u < p.self_serve)
        k = qindex[p.queue]
        served[k] += int(np.count_nonzero(t[selfs] >= scenario.warmup_s))
        total += int(np.count_nonzero(selfs))
        go = t[mine & ~selfs]
        dist = p.time_dist
        if dist is not None:
            go = go + draw(dist, r_time, len(go))
        queued[k] = np.concatenate([queued[k], go])
    return queued, served, total


def _contacts(scenario: Scenario, seed: np.random.SeedSequence) -> _Arrivals:
    """All queued arrivals, merged in time order, with their draws.

    Each queue draws from its own streams (arrivals, talk, patience and VIP, hold, ACW, transfer),
    so changing one queue in a what-if leaves the others' random numbers untouched; the IVR has
    its own streams too.
    """
    qs = scenario.queues
    split = any(q.talk is not None for q in qs)
    transfers = any(q.transfers for q in qs)
    qindex = {q.name: k for k, q in enumerate(qs)}
    ivr_queued, self_served, ivr_self = _ivr_entries(scenario, seed)
    times, qidx, talk, hold, acw, patience, prio, xfer = ([] for _ in range(8))
    for k, q in enumerate(qs):
        r_arr, r_handle, r_pat, r_hold, r_acw, r_xfer = _rngs(child(seed, k), 6)
        t = arrival_times(q.arrivals_per_hour, scenario.duration_s, scenario.interval_s, r_arr)
        t = np.concatenate([t, ivr_queued[k]])
        n = len(t)
        times.append(t)
        qidx.append(np.full(n, k, dtype=np.int64))
        talk.append(draw(q.handle, r_handle, n))
        hold.append(np.zeros(n) if q.hold is None else draw(q.hold, r_hold, n))
        acw.append(np.zeros(n) if q.acw is None else draw(q.acw, r_acw, n))
        pd = q.patience_dist
        patience.append(np.full(n, INF) if pd is None else draw(pd, r_pat, n))
        if q.vip_share > 0:
            prio.append(np.where(r_pat.random(n) < q.vip_share, q.vip_priority, 0))
        else:
            prio.append(np.zeros(n, dtype=np.int64))
        x = np.full(n, -1, dtype=np.int64)
        if q.transfers:
            u = r_xfer.random(n)
            edge = 0.0
            for tr in q.transfers:
                x[(u >= edge) & (u < edge + tr.probability)] = qindex[tr.to_queue]
                edge += tr.probability
        xfer.append(x)
    t_all = np.concatenate(times)
    order = np.argsort(t_all, kind="stable")

    def ordered(parts: list[np.ndarray]) -> list[Any]:
        return np.concatenate(parts)[order].tolist()

    return _Arrivals(
        t=t_all[order].tolist(),
        q=ordered(qidx),
        talk=ordered(talk),
        hold=ordered(hold) if split else None,
        acw=ordered(acw) if split else None,
        patience=ordered(patience),
        prio=ordered(prio),
        xfer=ordered(xfer) if transfers else None,
        self_served=self_served,
        ivr_self_served=ivr_self,
    )


def simulate(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    *,
    observer: Observer | None = None,
    pace: Callable[[float], None] | None = None,
) -> Replication:
    """Run one replication. `observer` receives one dict per event and command; `pace(t)` is called
    before the simulator acts at virtual time t (a wall-clock driver sleeps there)."""
    wall0 = time.perf_counter()
    arr = _contacts(scenario, seed)
    arr_t, arr_q, talk, hold, acw, patience, prio, xfer = (
        arr.t, arr.q, arr.talk, arr.hold, arr.acw, arr.patience, arr.prio, arr.xfer
    )  # fmt: skip
    n = len(arr_t)
    qs = scenario.queues
    qnames = [q.name for q in qs]
    qindex = {name: k for k, name in enumerate(qnames)}
    thresholds = [q.sl_threshold_s for q in qs]
    short_s = scenario.short_abandon_s
    warm, dur = scenario.warmup_s, scenario.duration_s
    delay = scenario.answer_delay_s
    tallies = [QueueTally(self_served=s) for s in arr.self_served]
    groups = [GroupTime() for _ in scenario.agents]
    r_leg = np.random.default_rng(child(seed, _LEG_STREAM))
    r_groups = _rngs(child(seed, _GROUP_STREAM), len(scenario.agents))

    eng = RoutingEngine(scenario.routing_config())
    has_timers = any(q.overflow for q in qs) or (delay > 0 and scenario.offer_timeout_s is not None)
    final_q = list(arr_q)  # the queue each leg is counted in (its last one)
    resolved = bytearray(n)
    leg_of: dict[int, int] = {}  # engine contact id -> its current (second) leg
    eng_of: dict[int, int] = {}  # second leg -> engine contact id
    heap: list[tuple[float, int, int, Any]] = []
    tick = itertools.count()
    login_at: dict[Any, float] = {}
    logout_at: dict[Any, float] = {}  # planned end of the current shift
    group_of: dict[Any, int] = {}
    pending: dict[Any, tuple[str, float]] = {}  # not-ready (or shift end) waiting for the contact/ACW to end
    nr_since: dict[Any, float] = {}
    nr_token: dict[Any, int] = {}
    gindex = {id(g): k for k, g in enumerate(scenario.agents)}

    def push(at: float, kind: int, x: Any) -> None:
        heappush(heap, (at, next(tick), kind, x))

    def next_episode(at: float, aid: Any) -> None:
        g = group_of[aid]
        nr = scenario.agents[g].not_ready
        if nr is not None:
            rng = r_groups[g]
            push(at + _draw1(nr.interval, rng), _NR_START, (aid, nr.reason, _draw1(nr.duration, rng)))

    def go_not_ready(at: float, aid: Any, reason: str, length: float) -> list[Any]:
        g = groups[group_of[aid]]
        if observer is not None:
            observer({"t": at, "type": "not_ready", "agent": aid, "reason": reason})
        cmds = eng.agent_not_ready(at, aid, reason)
        if reason == SHIFT_END:
            if aid in nr_since:
                g.not_ready_s += _overlap(nr_since.pop(aid), at, warm, dur)
            nr_token[aid] = nr_token.get(aid, 0) + 1
            g.staffed_s += _overlap(login_at.pop(aid), at, warm, dur)
            return cmds + eng.agent_logged_out(at, aid)
        nr_since[aid] = at
        token = nr_token[aid] = nr_token.get(aid, 0) + 1
        push(at + length, _NR_END, (aid, token))
        return cmds

    # Shifts and breaks: agents without shifts are logged in for the whole run.
    for aid, group in scenario.agent_ids():
        g = gindex[id(group)]
        group_of[aid] = g
        k = int(str(aid).rsplit("-", 1)[1])
        spans = [(s.start_s, s.end_s) for s in group.shifts] if group.shifts is not None else [(0.0, dur)]
        for start, end in spans:
            if start >= dur:
                continue
            if group.shifts is not None:
                push(start, _LOGIN, (aid, end))
                push(end, _LOGOUT, aid)
            for b in group.breaks:
                at = start + b.after_s + b.stagger_s * k / max(1, group.count)
                if at < min(end, dur):
                    push(at, _NR_START, (aid, b.reason, b.duration_s))
        if group.shifts is None:
            login_at[aid] = 0.0
            logout_at[aid] = INF
            eng.agent_ready(0.0, aid)
            next_episode(0.0, aid)

    unresolved = 0
    arriving = -1
    i = 0
    emit = observer
    t = 0.0
    while True:
        ta = arr_t[i] if i < n else INF
        th = heap[0][0] if heap else INF
        te = INF
        if has_timers:
            nt = eng.next_timer()
            if nt is not None:
                te = nt
        if ta <= th and ta <= te:
            if i >= n:
                break
            t = ta
            if pace is not None:
                pace(t)
            c = i
            i += 1
            unresolved += 1
            if emit is not None:
                emit(
                    {"t": t, "type": "arrival", "contact": c, "queue": qnames[arr_q[c]], "priority": prio[c]}
                )
            cmds = eng.contact_arrived(t, c, qnames[arr_q[c]], prio[c])
            if patience[c] < INF:
                arriving = c
        elif th <= te:
            if i >= n and unresolved == 0:
                break
            t, _, kind, x = heappop(heap)
            if pace is not None:
                pace(t)
            if kind == _END:
                c, aid = x
                e = c if c < n else eng_of[c]
                if emit is not None:
                    emit({"t": t, "type": "end", "contact": e})
                k = xfer[c] if xfer is not None else -1
                after = acw[c] if acw is not None else 0.0
                if k >= 0:  # a transfer: the second leg queues at queue k with that queue's times
                    q = qs[k]
                    j = len(arr_t)
                    arr_t.append(t)
                    final_q.append(k)
                    talk.append(_draw1(q.handle, r_leg))
                    if hold is not None and acw is not None:
                        hold.append(_draw1(q.hold, r_leg))
                        acw.append(_draw1(q.acw, r_leg))
                    pd = q.patience_dist
                    patience.append(INF if pd is None else _draw1(pd, r_leg))
                    prio.append(prio[c])
                    xfer.append(-1)
                    resolved.append(0)
                    eng_of[j] = e
                    leg_of[e] = j
                    unresolved += 1
                    if arr_t[c] >= warm:
                        tallies[final_q[c]].transferred += 1
                    if emit is not None:
                        emit({"t": t, "type": "transfer", "contact": e, "queue": qnames[k]})
                    cmds = eng.contact_transferred(t, e, qnames[k], None, True)
                    push(t + after, _ACW_END, aid)
                    if patience[j] < INF:
                        arriving = j
                elif after > 0 or aid in pending:
                    cmds = eng.contact_ended(t, e, True)
                    push(t + after, _ACW_END, aid)
                else:
                    cmds = eng.contact_ended(t, e)
            elif kind == _ABANDON:
                if resolved[x]:
                    continue
                cmds = eng.contact_abandoned(t, x if x < n else eng_of[x])
                resolved[x] = 1
                unresolved -= 1
                if emit is not None:
                    emit({"t": t, "type": "abandon", "contact": x, "queue": qnames[final_q[x]]})
                if arr_t[x] >= warm:
                    tally = tallies[final_q[x]]
                    tally.offered += 1
                    tally.abandoned += 1
                    if t - arr_t[x] <= short_s and short_s > 0:
                        tally.short_abandoned += 1
            elif kind == _ACCEPT:
                cmds = eng.offer_accepted(t, x)
            elif kind == _ACW_END:
                if eng.agent_state(x) != "acw":
                    continue
                p = pending.pop(x, None)
                cmds = eng.agent_ready(t, x) if p is None else go_not_ready(t, x, *p)
            elif kind == _NR_START:
                aid, reason, length = x
                if aid not in login_at:
                    continue
                state = eng.agent_state(aid)
                if state == "busy" or state == "acw":
                    pending.setdefault(aid, (reason, length))
                    continue
                if state == "not_ready":
                    continue
                cmds = go_not_ready(t, aid, reason, length)
            elif kind == _NR_END:
                aid, token = x
                if nr_token.get(aid) != token or aid not in nr_since:
                    continue
                groups[group_of[aid]].not_ready_s += _overlap(nr_since.pop(aid), t, warm, dur)
                if emit is not None:
                    emit({"t": t, "type": "ready", "agent": aid})
                cmds = eng.agent_ready(t, aid)
                next_episode(t, aid)
            elif kind == _LOGIN:
                aid, end_s = x
                logout_at[aid] = end_s
                if aid in login_at:  # still finishing the last shift's contact: stays on
                    if pending.get(aid, ("",))[0] == SHIFT_END:
                        del pending[aid]
                    continue
                login_at[aid] = t
                cmds = eng.agent_ready(t, aid)
                next_episode(t, aid)
            elif kind == _LOGOUT:
                if x not in login_at:
                    continue
                state = eng.agent_state(x)
                if state == "busy" or state == "acw":
                    pending[x] = (SHIFT_END, 0.0)
                    continue
                cmds = go_not_ready(t, x, SHIFT_END, 0.0)
            else:  # _READY after a RONA
                cmds = eng.agent_ready(t, x)
        else:
            if i >= n and unresolved == 0:
                break
            t = te
            if pace is not None:
                pace(t)
            cmds = eng.tick(t)
        for cmd in cmds:
            kind_c = type(cmd)
            if emit is not None:
                emit(command_to_dict(cmd))
            if kind_c is Connect:
                c = cmd.contact_id
                if leg_of:
                    c = leg_of.get(c, c)
                ct = cmd.at
                resolved[c] = 1
                unresolved -= 1
                h = talk[c]
                if hold is not None and acw is not None:
                    hd, aw = hold[c], acw[c]
                    end = ct + h + hd + aw
                    heappush(heap, (ct + h + hd, next(tick), _END, (c, cmd.agent_id)))
                else:
                    end = ct + h
                    heappush(heap, (end, next(tick), _END, (c, cmd.agent_id)))
                wait = ct - arr_t[c]
                if arr_t[c] >= warm:
                    tally = tallies[final_q[c]]
                    tally.offered += 1
                    tally.answered += 1
                    tally.wait_answered_s += wait
                    if wait <= thresholds[final_q[c]]:
                        tally.answered_within += 1
                    if hold is not None:
                        tally.talk_s += h
                        tally.hold_s += hd
                        tally.acw_s += aw
                        tally.handle_s += h + hd + aw
                    else:
                        tally.talk_s += h
                        tally.handle_s += h
                if end > warm and ct < dur:  # busy time inside [warm, dur]
                    start = ct if ct > warm else warm  # noqa: FURB136 - hot path, no call
                    stop = end if end < dur else dur  # noqa: FURB136 - hot path, no call
                    groups[group_of[cmd.agent_id]].busy_s += stop - start
            elif kind_c is Offer:
                heappush(heap, (cmd.at + delay, next(tick), _ACCEPT, cmd.offer_id))
            elif kind_c is Overflow:
                c = cmd.contact_id
                if leg_of:
                    c = leg_of.get(c, c)
                if cmd.to_queue != cmd.from_queue:
                    if arr_t[c] >= warm:
                        tallies[final_q[c]].overflow_out += 1
                        tallies[qindex[cmd.to_queue]].overflow_in += 1
                    final_q[c] = qindex[cmd.to_queue]
            elif kind_c is SetNotReady:  # a sim agent who let an offer ring out is ready again at once
                heappush(heap, (cmd.at, next(tick), _READY, cmd.agent_id))
            elif kind_c is Rejected and cmd.code != "offer_closed":  # a late answer is refused: fine
                raise RuntimeError(f"simulator bug: the routing engine refused {cmd}")
        if arriving >= 0:  # a contact that did not reach an agent at once may abandon
            if not resolved[arriving]:
                heappush(heap, (arr_t[arriving] + patience[arriving], next(tick), _ABANDON, arriving))
            arriving = -1
    for aid, since in login_at.items():
        until = min(logout_at[aid], dur)
        groups[group_of[aid]].staffed_s += _overlap(since, until, warm, dur)
        if aid in nr_since:
            groups[group_of[aid]].not_ready_s += _overlap(nr_since[aid], until, warm, dur)
    return Replication(
        queues=dict(zip(qnames, tallies, strict=True)),
        busy_s=sum(g.busy_s for g in groups),
        staffed_s=sum(g.staffed_s for g in groups),
        contacts=n + arr.ivr_self_served,
        wall_s=time.perf_counter() - wall0,
        groups=groups,
    )


def _overlap(a: float, b: float, lo: float, hi: float) -> float:
    return max(0.0, min(b, hi) - max(a, lo))


def _run_one(args: tuple[Scenario, np.random.SeedSequence]) -> Replication:
    return simulate(*args)


def replicate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int | None = None,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[Replication]:
    """Independent replications on SeedSequence(seed).spawn(R) streams, in `jobs` processes."""
    seed = scenario.seed if seed is None else seed
    reps = scenario.replications if replications is None else replications
    streams = np.random.SeedSequence(seed).spawn(reps)
    work = [(scenario, s) for s in streams]
    results: list[Replication] = []
    if jobs <= 1 or reps == 1:
        for w in work:
            results.append(_run_one(w))
            if progress:
                progress(1)
        return results
    import multiprocessing as mp

    with mp.get_context("fork").Pool(min(jobs, reps)) as pool:
        for r in pool.imap(_run_one, work):  # imap keeps the order: same seed, same output
            results.append(r)
            if progress:
                progress(1)
    return results


def _mean_ci(values: list[float | None]) -> tuple[float | None, float | None]:
    xs = [v for v in values if v is not None]
    if not xs:
        return None, None
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return mean, None
    from scipy import stats

    sd = float(np.std(xs, ddof=1))
    return mean, float(stats.t.ppf(0.975, len(xs) - 1)) * sd / math.sqrt(len(xs))


def _pooled_time(groups: list[GroupTime]) -> kpi.TimeCounts:
    total = kpi.TimeCounts()
    for g in groups:
        total += g.time_counts()
    return total


def queue_figures(t: QueueTally, agents: kpi.TimeCounts | None = None) -> dict[str, float | None]:
    """One replication's figures for one queue, computed by `hotline.reports.kpi` (KPI.md §4; `null`
    when the denominator is empty). `agents`: the time of the agents who serve the queue."""
    c = t.counts()
    return {
        "offered": c.offered,
        "answered": c.answered,
        "abandoned": c.abandoned,
        "service_level": c.service_level,
        "asa_s": c.asa_s,
        "abandon_rate": c.abandonment_rate,
        "short_abandoned": c.short_abandoned,
        "overflow_in": c.overflow_in,
        "overflow_out": c.overflow_out,
        "answer_rate": c.answer_rate,
        "aht_s": c.aht_s,
        "avg_talk_s": c.avg_talk_s,
        "avg_hold_s": c.avg_hold_s,
        "avg_acw_s": c.avg_acw_s,
        "transferred": c.transferred,
        "transfer_rate": c.transfer_rate,
        "self_served": c.self_served,
        "occupancy": None if agents is None else agents.occupancy,
    }


def summarise(scenario: Scenario, reps: list[Replication], wall_s: float) -> dict[str, Any]:
    """The `hotline sim --json` object: per-queue means over replications with 95 % half-widths."""
    queues: dict[str, Any] = {}
    for q in scenario.queues:
        serving = [k for k, g in enumerate(scenario.agents) if q.name in g.skills]
        per_rep = [
            queue_figures(
                r.queues[q.name], _pooled_time([r.groups[k] for k in serving]) if r.groups else None
            )
            for r in reps
        ]
        out: dict[str, Any] = {}
        for key in per_rep[0]:
            mean, ci = _mean_ci([f[key] for f in per_rep])
            out[key] = mean
            out[f"{key}_ci95"] = ci
        out["sl_threshold_s"] = q.sl_threshold_s
        out["sl_target"] = q.sl_target
        out["met_target"] = out["service_level"] is not None and out["service_level"] >= q.sl_target
        queues[q.name] = out
    groups = []
    for k, g in enumerate(scenario.agents):
        occ_g, ci_g = _mean_ci([r.groups[k].time_counts().occupancy for r in reps])
        groups.append(
            {"name": g.name or f"g{k}", "count": g.count, "occupancy": occ_g, "occupancy_ci95": ci_g}
        )
    occ, occ_ci = _mean_ci([_pooled_time(r.groups).occupancy for r in reps])
    contacts = sum(r.contacts for r in reps)
    return {
        "queues": queues,
        "occupancy": occ,
        "occupancy_ci95": occ_ci,
        "agent_groups": groups,
        "replications": len(reps),
        "seed": scenario.seed,
        "duration_s": scenario.duration_s,
        "warmup_s": scenario.warmup_s,
        "short_abandon_s": scenario.short_abandon_s,
        "contacts_simulated": contacts,
        "wall_s": wall_s,
        "sim_calls_per_s": contacts / wall_s if wall_s > 0 else None,
    }


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int | None = None,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Replicate and summarise: the whole `hotline sim --json` computation."""
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    t0 = time.perf_counter()
    reps = replicate(scenario, replications=replications, jobs=jobs, progress=progress)
    return summarise(scenario, reps, time.perf_counter() - t0)

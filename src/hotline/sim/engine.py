"""The discrete-event core: an event heap on virtual time that drives the live routing engine.

Pure: randomness comes from the numpy SeedSequence passed in, time is virtual, nothing is read from
the clock (the optional `pace` hook is how a wall-clock driver slows it down). One call of
`simulate` is one replication; `replicate` runs several (in processes with `jobs > 1`) and
`summarise` turns them into the JSON contract of `hotline sim`.

Model. Per queue: Poisson arrivals (constant rate, or a rate per interval of `interval_s`,
repeated), a handle-time distribution, an optional patience distribution (abandonment), a VIP
share with its priority. Agents log in at the start of each shift (or at 0) and out at its end
(after their contact, if they have one). Every routing decision is the routing engine's; the
simulator only supplies arrivals, answers (after `answer_delay_s`; with 0, sim agents auto-answer),
ends, abandons and shifts. A contact is counted in its final queue when it arrives at or after
`warmup_s`; arrivals stop at `duration_s` and the run continues until every contact that arrived is
answered or abandoned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from heapq import heappop, heappush
from typing import Any

import numpy as np

from hotline.contacts.routing import Connect, Offer, Overflow, Rejected, RoutingEngine, SetNotReady
from hotline.contacts.routing.messages import command_to_dict
from hotline.sim.scenario import Distribution, Scenario

INF = math.inf
_END, _ABANDON, _ACCEPT, _LOGIN, _LOGOUT, _READY = 0, 1, 2, 3, 4, 5
SHIFT_END = "shift_end"

Observer = Callable[[dict[str, Any]], None]


@dataclass
class QueueTally:
    """Counts for one queue in one replication (contacts arriving at or after the warm-up)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_within: int = 0
    wait_answered_s: float = 0.0
    overflow_in: int = 0
    overflow_out: int = 0


@dataclass
class Replication:
    queues: dict[str, QueueTally]
    busy_s: float
    staffed_s: float
    contacts: int  # simulated contacts, warm-up included
    wall_s: float = 0.0
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


def _contacts(
    scenario: Scenario, seed: np.random.SeedSequence
) -> tuple[list[float], list[int], list[float], list[float], list[int]]:
    """All arrivals, merged in time order: (time, queue index, handle, patience, priority).

    Each queue draws from its own three streams (arrivals, handle times, patience), so changing one
    queue in a what-if leaves the others' random numbers untouched.
    """
    times, qidx, handle, patience, prio = [], [], [], [], []
    for k, (q, ss) in enumerate(zip(scenario.queues, seed.spawn(len(scenario.queues)), strict=True)):
        r_arr, r_handle, r_pat = (np.random.default_rng(s) for s in ss.spawn(3))
        t = arrival_times(q.arrivals_per_hour, scenario.duration_s, scenario.interval_s, r_arr)
        n = len(t)
        times.append(t)
        qidx.append(np.full(n, k, dtype=np.int64))
        handle.append(draw(q.handle, r_handle, n))
        pd = q.patience_dist
        patience.append(np.full(n, INF) if pd is None else draw(pd, r_pat, n))
        if q.vip_share > 0:
            prio.append(np.where(r_pat.random(n) < q.vip_share, q.vip_priority, 0))
        else:
            prio.append(np.zeros(n, dtype=np.int64))
    t_all = np.concatenate(times)
    order = np.argsort(t_all, kind="stable")
    return (
        t_all[order].tolist(),
        np.concatenate(qidx)[order].tolist(),
        np.concatenate(handle)[order].tolist(),
        np.concatenate(patience)[order].tolist(),
        np.concatenate(prio)[order].tolist(),
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
    arr_t, arr_q, handle, patience, prio = _contacts(scenario, seed)
    n = len(arr_t)
    qnames = [q.name for q in scenario.queues]
    qindex = {name: k for k, name in enumerate(qnames)}
    thresholds = [q.sl_threshold_s for q in scenario.queues]
    short_s = scenario.short_abandon_s
    warm, dur = scenario.warmup_s, scenario.duration_s
    delay = scenario.answer_delay_s
    tallies = [QueueTally() for _ in qnames]

    eng = RoutingEngine(scenario.routing_config())
    has_timers = any(q.overflow for q in scenario.queues) or (
        delay > 0 and scenario.offer_timeout_s is not None
    )
    final_q = list(arr_q)  # the queue each contact is counted in (its last one)
    resolved = bytearray(n)
    heap: list[tuple[float, int, int, Any]] = []
    seq = 0
    busy = 0.0
    staffed = 0.0
    login_at: dict[Any, float] = {}
    logout_at: dict[Any, float] = {}  # planned end of the current shift

    # Shifts: agents without shifts are logged in for the whole run.
    for aid, group in scenario.agent_ids():
        for shift in group.shifts or ():
            if shift.start_s < dur:
                seq += 1
                heappush(heap, (shift.start_s, seq, _LOGIN, (aid, shift.end_s)))
                seq += 1
                heappush(heap, (shift.end_s, seq, _LOGOUT, aid))
        if group.shifts is None:
            login_at[aid] = 0.0
            logout_at[aid] = INF
            eng.agent_ready(0.0, aid)

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
                if emit is not None:
                    emit({"t": t, "type": "end", "contact": x})
                cmds = eng.contact_ended(t, x)
            elif kind == _ABANDON:
                if resolved[x]:
                    continue
                cmds = eng.contact_abandoned(t, x)
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
            elif kind == _LOGIN:
                aid, end_s = x
                login_at[aid] = t
                logout_at[aid] = end_s
                cmds = eng.agent_ready(t, aid)
            elif kind == _LOGOUT:
                cmds = eng.agent_not_ready(t, x, SHIFT_END)
                if eng.agent_state(x) == "not_ready":
                    staffed += _overlap(login_at.pop(x), t, warm, dur)
                    cmds += eng.agent_logged_out(t, x)
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
                ct = cmd.at
                resolved[c] = 1
                unresolved -= 1
                h = handle[c]
                seq += 1
                heappush(heap, (ct + h, seq, _END, c))
                wait = ct - arr_t[c]
                if arr_t[c] >= warm:
                    tally = tallies[final_q[c]]
                    tally.offered += 1
                    tally.answered += 1
                    tally.wait_answered_s += wait
                    if wait <= thresholds[final_q[c]]:
                        tally.answered_within += 1
                end = ct + h
                if end > warm and ct < dur:  # busy time inside [warm, dur]
                    busy += (end if end < dur else dur) - (ct if ct > warm else warm)  # noqa: FURB136 - hot
            elif kind_c is Offer:
                seq += 1
                heappush(heap, (cmd.at + delay, seq, _ACCEPT, cmd.offer_id))
            elif kind_c is Overflow:
                c = cmd.contact_id
                if cmd.to_queue != cmd.from_queue:
                    if arr_t[c] >= warm:
                        tallies[final_q[c]].overflow_out += 1
                        tallies[qindex[cmd.to_queue]].overflow_in += 1
                    final_q[c] = qindex[cmd.to_queue]
            elif kind_c is SetNotReady:
                aid = cmd.agent_id
                if cmd.reason == SHIFT_END:
                    staffed += _overlap(login_at.pop(aid), cmd.at, warm, dur)
                    eng.agent_logged_out(cmd.at, aid)
                else:  # a sim agent who let an offer ring out is ready again at once
                    seq += 1
                    heappush(heap, (cmd.at, seq, _READY, aid))
            elif kind_c is Rejected and cmd.code != "offer_closed":  # a late answer is refused: fine
                raise RuntimeError(f"simulator bug: the routing engine refused {cmd}")
        if arriving >= 0:  # a contact that did not reach an agent at once may abandon
            if not resolved[arriving]:
                seq += 1
                heappush(heap, (arr_t[arriving] + patience[arriving], seq, _ABANDON, arriving))
            arriving = -1
    for aid, since in login_at.items():
        staffed += _overlap(since, min(logout_at[aid], dur), warm, dur)
    return Replication(
        queues=dict(zip(qnames, tallies, strict=True)),
        busy_s=busy,
        staffed_s=staffed,
        contacts=n,
        wall_s=time.perf_counter() - wall0,
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


def queue_figures(t: QueueTally) -> dict[str, float | None]:
    """One replication's figures for one queue (KPI.md §4; `null` when the denominator is empty)."""
    base = t.offered - t.short_abandoned
    return {
        "offered": t.offered,
        "answered": t.answered,
        "abandoned": t.abandoned,
        "service_level": t.answered_within / base if base else None,
        "asa_s": t.wait_answered_s / t.answered if t.answered else None,
        "abandon_rate": (t.abandoned - t.short_abandoned) / base if base else None,
        "short_abandoned": t.short_abandoned,
        "overflow_in": t.overflow_in,
        "overflow_out": t.overflow_out,
    }


def summarise(scenario: Scenario, reps: list[Replication], wall_s: float) -> dict[str, Any]:
    """The `hotline sim --json` object: per-queue means over replications with 95 % half-widths."""
    queues: dict[str, Any] = {}
    for q in scenario.queues:
        per_rep = [queue_figures(r.queues[q.name]) for r in reps]
        out: dict[str, Any] = {}
        for key in per_rep[0]:
            mean, ci = _mean_ci([f[key] for f in per_rep])
            out[key] = mean
            out[f"{key}_ci95"] = ci
        out["sl_threshold_s"] = q.sl_threshold_s
        out["sl_target"] = q.sl_target
        queues[q.name] = out
    occ, occ_ci = _mean_ci([r.busy_s / r.staffed_s if r.staffed_s else None for r in reps])
    contacts = sum(r.contacts for r in reps)
    return {
        "queues": queues,
        "occupancy": occ,
        "occupancy_ci95": occ_ci,
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

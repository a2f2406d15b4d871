"""Simulator speed: hotline (the real routing engine) vs SimPy vs Ciw on the same model (issue #5).

Model: one day (86,400 s), one queue, Poisson arrivals at 3,000 calls/hour, exponential handle time
with mean 180 s, 160 agents, exponential patience with mean 120 s (the issue's minimal scenario;
`--no-patience` for plain M/M/c), FIFO. Each tool runs the model as its documentation suggests:
SimPy with a Resource and `request | timeout` reneging, Ciw with reneging distributions.

Figures: simulated calls per wall-clock second, for one replication (best of --repeat runs, the
same seed) and for R replications spread over all cores (processes), and each tool's service level (answered within 20 s / offered) and
abandonment as a check that all three simulate the same thing (Erlang A is printed beside them).
Goal: hotline >= 2x SimPy. A last line runs hotline alone on a richer model of the same day (IVR with
self-service, talk/hold/ACW, transfers, breaks: what SimPy and Ciw would need custom code for) and
prints its speed beside the plain model's, measured in the same run.

Usage: .venv/bin/python benchmarks/sim/sim_bench.py [--replications 20] [--jobs N] [--repeat 3] [--no-patience] [--skip-ciw]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import time

import numpy as np

DAY, RATE_H, AHT, AGENTS, PATIENCE, T = 86_400.0, 3000.0, 180.0, 160, 120.0, 20.0


def run_hotline(seed: int, patience: float | None) -> tuple[int, int, int, int]:
    from hotline.sim import engine
    from hotline.sim.scenario import parse

    q = {"name": "regular", "arrivals_per_hour": RATE_H, "aht_s": AHT, "sl_threshold_s": T}
    if patience:
        q["patience_s"] = patience
    sc = parse({"duration_s": DAY, "queues": [q], "agents": [{"count": AGENTS, "skills": {"regular": 1}}]})
    rep = engine.simulate(sc, np.random.SeedSequence(seed))
    t = rep.queues["regular"]
    return rep.contacts, t.offered, t.answered_within, t.abandoned


def run_simpy(seed: int, patience: float | None) -> tuple[int, int, int, int]:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    stats = [0, 0, 0]  # offered, answered within T, abandoned
    lam, mu = RATE_H / 3600.0, 1.0 / AHT

    def customer():
        arrive = env.now
        with agents.request() as req:
            if patience:
                got = yield req | env.timeout(rng.expovariate(1.0 / patience))
                if req not in got:
                    stats[0] += 1
                    stats[2] += 1
                    return
            else:
                yield req
            stats[0] += 1
            if env.now - arrive <= T:
                stats[1] += 1
            yield env.timeout(rng.expovariate(mu))

    def source():
        while True:
            yield env.timeout(rng.expovariate(lam))
            if env.now < DAY:
                env.process(customer())

    env.process(source())
    env.run(until=DAY)
    env.run(until=DAY + 3600)  # let the last callers be answered or abandon
    return stats[0], stats[0], stats[1], stats[2]


def run_ciw(seed: int, patience: float | None) -> tuple[int, int, int, int]:
    import ciw

    ciw.seed(seed)
    kwargs = {}
    if patience:
        kwargs["reneging_time_distributions"] = [ciw.dists.Exponential(rate=1.0 / patience)]
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE_H / 3600.0)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / AHT)],
        number_of_servers=[AGENTS],
        **kwargs,
    )
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(DAY)
    recs = sim.get_all_records()
    served = [r for r in recs if r.record_type == "service"]
    reneged = [r for r in recs if r.record_type == "renege"]
    within = sum(1 for r in served if r.waiting_time <= T)
    n = len(served) + len(reneged)
    return n, n, within, len(reneged)


def run_hotline_full(seed: int, patience: float | None) -> tuple[int, int, int, int]:
    """The same day and load with the richer model: IVR (a 25 % self-service branch, 20 s of IVR),
    talk 150 + hold 10 + ACW 20 s (same 180 s AHT), 5 % transfers to an expert desk, staggered breaks."""
    from hotline.sim import engine
    from hotline.sim.scenario import parse

    pat = {"patience_s": patience} if patience else {}
    split = {
        "talk": {"dist": "exponential", "mean_s": 150},
        "hold": {"dist": "exponential", "mean_s": 10},
        "acw": {"dist": "exponential", "mean_s": 20},
    }
    sc = parse(
        {
            "duration_s": DAY,
            "ivr": {
                "arrivals_per_hour": RATE_H / 0.75,
                "paths": [{"queue": "regular", "probability": 1, "self_serve": 0.25, "ivr_time_s": 20}],
            },
            "queues": [
                {
                    "name": "regular",
                    **split,
                    **pat,
                    "transfers": [{"to_queue": "expert", "probability": 0.05}],
                },
                {"name": "expert", "aht_s": 300, **pat},
            ],
            "agents": [
                {
                    "count": AGENTS,
                    "skills": {"regular": 1},
                    "breaks": [
                        {"after_s": 3 * 3600 + 12 * 3600 * k, "duration_s": 900, "stagger_s": 3600}
                        for k in range(2)
                    ],
                },
                {"count": 12, "skills": {"expert": 1}},
            ],
        }
    )
    rep = engine.simulate(sc, np.random.SeedSequence(seed))
    t = rep.queues["regular"]
    queued = rep.contacts - t.self_served  # self-served callers cost almost nothing: not counted as calls
    return queued, t.offered, t.answered_within, t.abandoned


TOOLS = {"hotline": run_hotline, "SimPy": run_simpy, "Ciw": run_ciw, "hotline-full": run_hotline_full}


def _one(args: tuple[str, int, float | None]) -> tuple[int, int, int, int]:
    name, seed, patience = args
    return TOOLS[name](seed, patience)


def measure(name: str, reps: int, jobs: int, patience: float | None) -> tuple[float, float, float]:
    """(calls per wall second, service level, abandonment) over `reps` replications in `jobs` processes."""
    work = [(name, 1000 + i, patience) for i in range(reps)]
    t0 = time.perf_counter()
    if jobs > 1 and reps > 1:
        with mp.get_context("fork").Pool(min(jobs, reps)) as pool:
            res = pool.map(_one, work)
    else:
        res = [_one(w) for w in work]
    wall = time.perf_counter() - t0
    calls = sum(r[0] for r in res)
    offered = sum(r[1] for r in res)
    return calls / wall, sum(r[2] for r in res) / offered, sum(r[3] for r in res) / offered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="single replication: best of this many runs")
    ap.add_argument("--no-patience", action="store_true", help="plain M/M/c (nobody abandons)")
    ap.add_argument("--skip-ciw", action="store_true", help="Ciw is slow: skip its 20 replications")
    args = ap.parse_args()
    patience = None if args.no_patience else PATIENCE

    from hotline.wfm import erlang

    load = RATE_H / 3600.0 * AHT
    if patience:
        ref = erlang.erlang_a(AGENTS, load, T, AHT, patience)
        ref_sl, ref_ab = ref.answered_within, ref.p_abandon
    else:
        ref_sl, ref_ab = erlang.service_level_c(AGENTS, load, T, AHT), 0.0
    model = f"M/M/{AGENTS}" + ("+M" if patience else "")
    print(
        f"model: {model}, {RATE_H:.0f} calls/h, AHT {AHT:.0f} s, patience {patience or '-'} s, one day; "
        f"{args.jobs} processes for {args.replications} replications"
    )
    print(f"exact: service level {ref_sl:.4f}, abandonment {ref_ab:.4f}\n")
    print(
        f"{'tool':8} {'1 rep calls/s':>14} {f'{args.replications} reps calls/s':>17} {'SL':>7} {'aband.':>7}"
    )
    rows = {}
    for name in ("hotline", "SimPy", "Ciw"):
        single, sl, ab = max(measure(name, 1, 1, patience) for _ in range(args.repeat))  # best of: less noise
        if name == "Ciw" and args.skip_ciw:
            many = float("nan")
        else:
            many, sl, ab = measure(name, args.replications, args.jobs, patience)
        rows[name] = (single, many)
        print(f"{name:8} {single:>14,.0f} {many:>17,.0f} {sl:>7.4f} {ab:>7.4f}", flush=True)
    hs, hm = rows["hotline"]
    ss, sm = rows["SimPy"]
    print(
        f"\nhotline / SimPy: {hs / ss:.2f}x single, {hm / sm:.2f}x with {args.replications} replications (goal >= 2x)"
    )
    full, fsl, fab = max(measure("hotline-full", 1, 1, patience) for _ in range(args.repeat))
    print(
        f"\nricher model (IVR + self-service, talk/hold/ACW, 5 % transfers, breaks), hotline only, 1 rep: "
        f"{full:,.0f} queued calls/s = {full / hs:.2f}x the plain model above, {full / ss:.2f}x SimPy's plain model "
        f"(SL {fsl:.4f}, abandonment {fab:.4f})"
    )


if __name__ == "__main__":
    main()

"""Routing decision latency and throughput, in process (issue #4, "Benchmarks").

2,000 agents logged in (3-5 skills each over 20 queues, 4 tiers, mixed skill levels, half the queues
best-skill), 200 contacts waiting across the 20 queues, VIP priorities, an overflow rule per queue.
Two phases, each timing every routing decision (one engine call that picks an agent or a contact):

* busy centre: an agent finishes a contact, is offered the best waiting contact, accepts; a new
  contact arrives and waits (the queue stays at 200);
* idle centre: 200 agents idle; a contact arrives and is offered to the best idle agent, who
  accepts, finishes and is ready again.

Usage: .venv/bin/python benchmarks/routing/engine_bench.py [--decisions 50000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import time

from hotline.contacts.routing import (
    AgentConfig,
    Offer,
    OverflowRule,
    QueueConfig,
    RoutingConfig,
    RoutingEngine,
    RoutingPolicy,
)

GOAL_P99_MS = 5.0
GOAL_RATE = 500.0
N_AGENTS, N_QUEUES, N_WAITING = 2000, 20, 200


def build(rng: random.Random) -> RoutingConfig:
    qids = [f"q{i:02d}" for i in range(N_QUEUES)]
    queues = tuple(
        QueueConfig(
            qid,
            priority=5 if i < 2 else 0,
            agent_selection="best_skill" if i % 2 else "longest_idle",
            overflow=(OverflowRule(600.0, to_queue=qids[(i + 1) % N_QUEUES]),),
        )
        for i, qid in enumerate(qids)
    )
    agents = tuple(
        AgentConfig(
            f"a{i:04d}",
            {q: rng.randint(1, 5) for q in rng.sample(qids, rng.randint(3, 5))},
            tier=rng.choice(["A", "A+", "B", "expert"]),
        )
        for i in range(N_AGENTS)
    )
    return RoutingConfig(queues=queues, agents=agents, policy=RoutingPolicy(offer_timeout_s=15.0))


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run(decisions: int, seed: int) -> None:
    rng = random.Random(seed)
    cfg = build(rng)
    qids = [q.id for q in cfg.queues]
    eng = RoutingEngine(cfg)
    now = 0.0
    n = 0
    busy: list[str] = []  # contacts with an agent
    by_contact: dict[str, str] = {}

    def arrive() -> list:
        nonlocal n
        n += 1
        return eng.contact_arrived(now, f"c{n}", rng.choice(qids), 10 if rng.random() < 0.05 else 0)

    def take(cmds: list) -> None:
        for c in cmds:
            if isinstance(c, Offer):
                eng.offer_accepted(now, c.offer_id, c.agent_id)
                busy.append(c.contact_id)
                by_contact[c.contact_id] = c.agent_id

    # Everyone logs in and takes a contact; then 200 more contacts wait.
    for a in cfg.agents:
        eng.agent_ready(now, a.id)
    while sum(eng.waiting_count(q) for q in qids) < N_WAITING:
        now += 0.001
        take(arrive())
    logged_in = sum(1 for a in cfg.agents if eng.agent_state(a.id) != "logged_out")
    print(
        f"set-up: {logged_in} agents logged in, {len(busy)} talking, "
        f"{sum(eng.waiting_count(q) for q in qids)} contacts waiting in {len(qids)} queues"
    )

    results = []
    # Phase 1: busy centre.
    lat: list[float] = []
    t_all = time.perf_counter()
    for _ in range(decisions):
        now += 0.01
        cid = busy.pop(rng.randrange(len(busy)))
        t0 = time.perf_counter()
        cmds = eng.contact_ended(now, cid)
        lat.append(time.perf_counter() - t0)
        take(cmds)
        while sum(eng.waiting_count(q) for q in qids) < N_WAITING:
            t0 = time.perf_counter()
            cmds = arrive()
            lat.append(time.perf_counter() - t0)
            take(cmds)
    wall = time.perf_counter() - t_all
    results.append(("busy centre (agent ready -> best contact)", lat, wall))

    # Phase 2: idle centre: a fresh engine, 2,000 agents ready; arrivals keep ~200 of them idle.
    eng = RoutingEngine(cfg)
    busy.clear()
    now = 0.0
    for a in cfg.agents:
        eng.agent_ready(now, a.id)
    lat = []
    t_all = time.perf_counter()
    for _ in range(decisions):
        now += 0.01
        t0 = time.perf_counter()
        cmds = arrive()
        lat.append(time.perf_counter() - t0)
        take(cmds)
        if len(busy) > N_AGENTS - N_WAITING:
            cid = busy.pop(rng.randrange(len(busy)))
            t0 = time.perf_counter()
            cmds = eng.contact_ended(now, cid)
            lat.append(time.perf_counter() - t0)
            take(cmds)
    wall = time.perf_counter() - t_all
    results.append(("idle centre (contact arrives -> best agent)", lat, wall))

    print(
        f"\n{'phase':46} {'decisions':>9} {'p50 ms':>8} {'p99 ms':>8} {'goal p99':>9} {'decisions/s':>12} {'goal':>6}"
    )
    for name, lat, wall in results:
        rate = len(lat) / wall
        print(
            f"{name:46} {len(lat):>9} {pct(lat, 0.5) * 1e3:>8.4f} {pct(lat, 0.99) * 1e3:>8.4f} "
            f"{'<= ' + str(GOAL_P99_MS):>9} {rate:>12,.0f} {'>= ' + str(int(GOAL_RATE)):>6}"
        )
    print(
        "\n(decisions/s counts the whole driver loop, accept and bookkeeping included; p50/p99 time the engine call alone)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    run(args.decisions, args.seed)


if __name__ == "__main__":
    main()

"""Work-order benchmarks, on SQLite and PostgreSQL:

1. The SLA poller's sweep time with 100,000 open timers (goal ≤ 1 s), of which --due fire now; anchor: a
   naive poller that loads every open timer and filters in Python, measured in the same run.
2. Service-level creates per second and p99 latency, 1 and 8 threads; anchor: a bare single-row INSERT
   per transaction on the same database (the floor a create cannot beat).

Usage: .venv/bin/python benchmarks/tickets/bench_tickets.py [--timers 100000] [--due 1000] [--creates 400]
       [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--no-pg]"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.audit import Actor
from hotline.core.auth import Principal
from hotline.core.clock import ManualClock
from hotline.core.db import make_engine, make_sessionmaker, transaction
from hotline.core.models import IdempotencyRecord
from hotline.org.models import OrgUnit
from hotline.tickets import jobs, schemas, service
from hotline.tickets.models import Ticket, TicketStep, TicketTimer

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def fresh(url: str | None, tmp: Path, name: str) -> Engine:
    if url is None:
        eng = make_engine(f"sqlite:///{tmp / (name + '.sqlite3')}")
    else:
        admin = make_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        eng = make_engine(url.rsplit("/", 1)[0] + "/" + name, pool_size=12)
    migrate.upgrade(eng)
    return eng


def setup_world(eng: Engine) -> tuple[Principal, int, int]:
    with transaction(make_sessionmaker(eng)) as s:
        hq = OrgUnit(kind="hq", code="B-HQ", name="总部")
        s.add(hq)
        s.flush()
        hq.path = f"/{hq.id}/"
        prov = OrgUnit(kind="province", code="B-P", name="省", parent_id=hq.id)
        s.add(prov)
        s.flush()
        prov.path = f"{hq.path}{prov.id}/"
        dept = OrgUnit(kind="department", code="B-D", name="网络部", parent_id=prov.id)
        s.add(dept)
        s.flush()
        dept.path = f"{prov.path}{dept.id}/"
        s.flush()
        service.seed_categories(db_session=s)
        phen = s.execute(select(service.TicketCategory.id).where(
            service.TicketCategory.code == "mobile.signal.no_signal")).scalar_one()
        p = Principal.build(user_id=1, username="bench", display_name="bench", roles={"agent"}, unit_path=prov.path,
                            province_path=prov.path, province_id=prov.id)
        return p, phen, dept.id


def bench_sweep(eng: Engine, n_timers: int, n_due: int) -> dict[str, float]:
    factory = make_sessionmaker(eng)
    principal, _phen, dept_id = setup_world(eng)
    n_tickets = n_timers // 3
    with eng.begin() as c:
        c.execute(insert(Ticket), [{"no": f"B{i:010d}", "type": "fault", "state": "dispatched", "priority": "normal",
                                    "sla_mode": "business", "title": "bench", "description": "", "tried": "",
                                    "org_path": principal.unit_path, "area": "", "cell_id": "", "product": "",
                                    "repeat_contacts": 0, "result": "", "resolved_by": "", "satisfaction": "",
                                    "created_at": NOW, "updated_at": NOW, "version": 1} for i in range(n_tickets)])
        first = c.execute(select(Ticket.id).order_by(Ticket.id).limit(1)).scalar_one()
        c.execute(insert(TicketStep), [{"ticket_id": first + i, "kind": "department", "dept_id": dept_id, "started_at": NOW,
                                        "limit_seconds": 28800, "sla_mode": "business", "due_at": NOW,
                                        "outcome": "", "note": "", "overdue": False, "escalation_level": 0}
                                       for i in range(n_tickets)])
        s0 = c.execute(select(TicketStep.id).order_by(TicketStep.id).limit(1)).scalar_one()
        rows = []
        for i in range(n_tickets * 3):
            due = i < n_due
            fire = NOW - timedelta(minutes=5) if due else NOW + timedelta(hours=1 + i % 500)
            rows.append({"ticket_id": first + i // 3, "step_id": s0 + i // 3, "level": 1 + i % 3,
                         "audience": "team_leader", "fire_at": fire, "fired_by": ""})
        c.execute(insert(TicketTimer), rows)
    if eng.dialect.name == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE ticket_timers"))
    clock = ManualClock(NOW)
    with factory() as s:  # the anchor: load every open timer, filter in Python (no claim, no escalation)
        t0 = time.perf_counter()
        due_naive = [r for r in s.execute(select(TicketTimer).where(TicketTimer.fired_at.is_(None))).scalars()
                     if r.fire_at <= NOW and r.cancelled_at is None]
        naive = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = jobs.sweep(factory=factory, clock=clock, batch=500)
    ours = time.perf_counter() - t0
    assert res.fired == n_due == len(due_naive), (res, len(due_naive))
    t0 = time.perf_counter()
    idle = jobs.sweep(factory=factory, clock=clock)
    idle_t = time.perf_counter() - t0
    assert idle.fired == 0
    return {"sweep_s": ours, "idle_sweep_s": idle_t, "naive_scan_s": naive, "fired": res.fired}


def bench_creates(eng: Engine, world: tuple[Principal, int, int], n: int, threads: int) -> dict[str, dict[str, float]]:
    principal, phen, _dept = world
    factory = make_sessionmaker(eng)
    actor = Actor(principal.user_id, principal.username)
    data = schemas.TicketCreate(type="fault", title="基站无信号", phenomenon_id=phen, area="长沙", cell_id="CS-1")

    def one_create() -> None:
        with transaction(factory) as s:
            service.do_create(db_session=s, principal=principal, actor=actor, now=datetime.now(UTC), data=data)

    counter = iter(range(10**9))

    def one_floor() -> None:
        with transaction(factory) as s:
            s.add(IdempotencyRecord(key=f"bench-{threads}-{next(counter)}", user_id=None, method="POST", path="/x",
                                    request_hash="h", status_code=200, response={}, created_at=datetime.now(UTC)))

    out = {}
    for name, fn in (("floor", one_floor), ("create", one_create)):
        lat: list[float] = []
        lock = threading.Lock()
        per = n // threads

        def worker(fn=fn, per=per, lock=lock, lat=lat) -> None:  # type: ignore[no-untyped-def]
            mine = []
            for _ in range(per):
                t0 = time.perf_counter()
                fn()
                mine.append(time.perf_counter() - t0)
            with lock:
                lat.extend(mine)

        t0 = time.perf_counter()
        ths = [threading.Thread(target=worker) for _ in range(threads)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        wall = time.perf_counter() - t0
        lat.sort()
        out[name] = {"per_s": len(lat) / wall, "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
                     "p50_ms": statistics.median(lat) * 1000}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timers", type=int, default=100_000)
    ap.add_argument("--due", type=int, default=1_000)
    ap.add_argument("--creates", type=int, default=400)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tkbench"))
    backends: list[tuple[str, str | None]] = [("sqlite", None)] + ([] if args.no_pg else [("postgresql", args.pg)])
    print(f"SLA poller: {args.timers:,} open timers, {args.due:,} due now (goal: sweep ≤ 1 s)")
    print(f"{'db':<11}{'sweep (ours)':>14}{'idle sweep':>12}{'naive scan (anchor)':>21}{'ratio':>8}")
    for name, url in backends:
        eng = fresh(url, tmp, "bench_tickets_sweep")
        r = bench_sweep(eng, args.timers, args.due)
        print(f"{name:<11}{r['sweep_s']:>13.3f}s{r['idle_sweep_s']:>11.3f}s{r['naive_scan_s']:>20.3f}s"
              f"{r['naive_scan_s'] / r['sweep_s']:>7.1f}×")
        eng.dispose()
    print(f"\nService-level creates ({args.creates} per run; anchor: bare one-row INSERT per transaction)")
    print(f"{'db':<11}{'threads':>8}{'creates/s':>11}{'p50 ms':>8}{'p99 ms':>8}{'floor/s':>9}{'floor p99':>10}{'create/floor':>13}")
    for name, url in backends:
        eng = fresh(url, tmp, "bench_tickets_create")
        world = setup_world(eng)
        for threads in (1, 8):
            r = bench_creates(eng, world, args.creates, threads)
            c, f = r["create"], r["floor"]
            print(f"{name:<11}{threads:>8}{c['per_s']:>11.0f}{c['p50_ms']:>8.1f}{c['p99_ms']:>8.1f}"
                  f"{f['per_s']:>9.0f}{f['p99_ms']:>10.1f}{c['per_s'] / f['per_s']:>13.2f}")
        eng.dispose()


if __name__ == "__main__":
    main()

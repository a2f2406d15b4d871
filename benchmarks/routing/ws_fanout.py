"""WebSocket fan-out (issue #4, "Benchmarks"): 1,000 agent-desktop connections on ONE server process, on loopback,
each receiving one event per second; p99 delivery latency against the goal (<= 50 ms).

* The server is the real application (`hotline.main.create_app`, the real `/api/contacts/ws` route with its
  sign-in and per-event access policy) under uvicorn, in a child process, on a seeded SQLite database.
* Every connection signs in as an agent (the demo centre's agents, several desktops each when there are fewer
  agents than connections). A publisher thread inside the server process puts `desktop.state` events for one
  agent after another on the event hub, paced so that each connection receives one event per second. The
  database is not on this path: what is measured is hub -> policy -> socket -> client.
* Latency = client receive time - publish time (same host clock), over every event in the measured window.
  The anchor is the goal itself; the same run also reports one connection alone as a baseline.

Usage: .venv/bin/python benchmarks/routing/ws_fanout.py [--connections 1000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

GOAL_P99_MS = 50.0


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, need)) if hard != resource.RLIM_INFINITY else max(soft, need)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# ---------------------------------------------------------------------------------------------- server side
def make_sessions(database_url: str, n: int) -> list[tuple[str, int, str]]:
    """n sign-in tokens for agents, round-robin over the demo agents: (token, user id, org path)."""
    from sqlalchemy import select

    from hotline.contacts import service as svc
    from hotline.core.clock import SystemClock
    from hotline.core.db import make_engine, make_sessionmaker
    from hotline.org import service as org_service
    from hotline.org.models import AuthSession

    engine = make_engine(database_url)
    now = SystemClock().now()
    out = []
    with make_sessionmaker(engine)() as db:
        agents = [u for u in svc.agent_users(db_session=db)]
        for i in range(n):
            user = agents[i % len(agents)]
            token = secrets.token_urlsafe(24)
            db.add(AuthSession(token_hash=org_service.token_digest(token), user_id=user.id,
                               csrf_token=secrets.token_urlsafe(16), created_at=now,
                               expires_at=now + timedelta(hours=2)))
            out.append((token, user.id, user.unit.path))
        db.commit()
        assert db.execute(select(AuthSession.id).limit(1)).first() is not None
    engine.dispose()
    return out


def serve(database_url: str, port: int, plan_path: str) -> None:
    """The server process: the real app, plus a publisher thread driven by the plan file."""
    import uvicorn

    from hotline.contacts import service as svc
    from hotline.core.config import Settings
    from hotline.core.events import Event
    from hotline.main import create_app

    raise_fd_limit(4096)
    app = create_app(Settings(database_url=database_url))
    hub = app.state.hub
    plan = json.loads(Path(plan_path).read_text())
    owners: list[tuple[int, str]] = [tuple(o) for o in plan["owners"]]  # type: ignore[misc]

    def publisher() -> None:
        go = Path(plan_path + ".go")
        while not go.exists():
            time.sleep(0.05)
        spec = json.loads(go.read_text())
        interval = 1.0 / len(owners)  # each owner's connections get one event per second
        t0 = time.perf_counter()
        k = 0
        while time.perf_counter() - t0 < spec["seconds"]:
            due = t0 + k * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            uid, path = owners[k % len(owners)]
            hub.publish(Event("desktop.state", {"id": uid, "bench_sent": time.time(), "seq": k}, path,
                              svc.DESKTOP, uid))
            k += 1

    threading.Thread(target=publisher, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# ---------------------------------------------------------------------------------------------- client side
async def clients(port: int, sessions: list[tuple[str, int, str]], seconds: float, warmup: float,
                  go: Path) -> tuple[list[float], int, float]:
    import websockets

    url = f"ws://127.0.0.1:{port}/api/contacts/ws?channel=desktop&last_event_id=0"
    latencies: list[float] = []
    state = {"measure_from": float("inf"), "measure_to": float("inf")}
    sockets = []
    t = time.perf_counter()
    sem = asyncio.Semaphore(50)

    async def open_one(token: str):  # type: ignore[no-untyped-def]
        async with sem:
            return await websockets.connect(url, additional_headers={"Cookie": f"hl_session={token}"},
                                            max_queue=None, open_timeout=60)

    sockets = await asyncio.gather(*(open_one(tok) for tok, _uid, _p in sessions))
    connect_s = time.perf_counter() - t

    async def reader(ws) -> None:  # type: ignore[no-untyped-def]
        try:
            async for raw in ws:
                now = time.time()
                ev = json.loads(raw)
                sent = ev.get("data", {}).get("bench_sent")
                if sent is not None and state["measure_from"] <= sent <= state["measure_to"]:
                    latencies.append((now - sent) * 1000)
        except Exception:
            return

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    start = time.time()
    state["measure_from"], state["measure_to"] = start + warmup, start + warmup + seconds
    go.write_text(json.dumps({"seconds": warmup + seconds + 1}))
    await asyncio.sleep(warmup + seconds + 1.5)
    for ws in sockets:
        await ws.close()
    for r in readers:
        r.cancel()
    return latencies, len(sockets), connect_s


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def run(database_url: str, n: int, seconds: float, warmup: float) -> dict[str, float]:
    from hotline.core.testing import free_port

    sessions = make_sessions(database_url, n)
    owners = sorted({(uid, path) for _t, uid, path in sessions})
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps({"owners": owners}))
        proc = subprocess.Popen([sys.executable, __file__, "--serve", database_url, str(port), str(plan)],
                                stderr=subprocess.PIPE)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            lat, opened, connect_s = asyncio.run(clients(port, sessions, seconds, warmup, Path(str(plan) + ".go")))
        finally:
            proc.terminate()
            proc.wait(10)
    expected = opened * seconds  # one event per connection per second
    return {"connections": opened, "agents": len(owners), "connect_s": connect_s, "events": len(lat),
            "expected": expected, "p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat, default=float("nan"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "PLAN"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    raise_fd_limit(args.connections * 2 + 256)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if not url:
            url = f"sqlite:///{tmp}/fanout.sqlite3"
            env = {**os.environ, "HOTLINE_DATABASE_URL": url}
            print("seeding a demo centre ...", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "hotline", "seed", "--customers", "20", "--json"], env=env,
                           check=True, capture_output=True)
        base = run(url, 1, min(args.seconds, 5.0), 1.0)
        big = run(url, args.connections, args.seconds, args.warmup)
    print(f"WebSocket fan-out on loopback, one server process, {big['agents']:.0f} agents, 1 event/s per connection")
    print(f"{'':28}{'connections':>12}{'delivered':>12}{'expected':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'goal p99':>10}")
    for name, r in (("baseline (1 connection)", base), ("fan-out", big)):
        print(f"{name:28}{r['connections']:>12.0f}{r['events']:>12.0f}{r['expected']:>10.0f}{r['p50']:>9.1f}"
              f"{r['p99']:>9.1f}{r['max']:>9.1f}{GOAL_P99_MS:>10.0f}")
    print(f"connect {big['connections']:.0f} sockets: {big['connect_s']:.1f} s; "
          f"p99 {big['p99']:.1f} ms vs goal <= {GOAL_P99_MS:.0f} ms: {'MET' if big['p99'] <= GOAL_P99_MS else 'NOT MET'}")


if __name__ == "__main__":
    main()

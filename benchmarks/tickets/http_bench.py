"""Work-order creates over HTTP: creates per second and latency (p50/p99) with 8 concurrent clients against a
live `hotline serve` (loopback), on SQLite and on PostgreSQL. Every create carries an Idempotency-Key, as the
agent desktop sends it. Anchor, measured in the same run against the same server: GET /api/health, the floor of
the HTTP stack (uvicorn + middleware + client) with no database work, and GET /api/tickets/notifications, an
authenticated read (session lookup, principal, one query) — what every request pays before the create itself.

Goal (issue 6): ≥ 300 creates/s with p99 ≤ 100 ms on PostgreSQL.

Usage: .venv/bin/python benchmarks/tickets/http_bench.py [--creates 1600] [--clients 8] [--servers 1]
       [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--no-pg]"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from hotline.core.db import make_engine
from hotline.core.testing import LiveServer

PW = "hotline-demo-2026"
GOAL_RATE, GOAL_P99_MS = 300.0, 100.0


def fresh_url(pg: str | None, tmp: Path) -> str:
    if pg is None:
        return f"sqlite:///{tmp / 'http_bench.sqlite3'}"
    name = f"hotline_http_bench_{os.getpid()}"
    admin = make_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg.rsplit("/", 1)[0] + "/" + name


def drop(pg: str, url: str) -> None:
    admin = make_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


async def _client(host: str, port: int, requests: list[bytes], lat: list[float], errors: list[str],
                  go: asyncio.Event) -> None:
    """One keep-alive HTTP/1.1 connection sending its requests one after another: a client that costs
    next to no CPU, so that what is measured is the server (httpx threads cost as much as a create here)."""
    reader, writer = await asyncio.open_connection(host, port)
    await go.wait()
    for req in requests:
        t0 = time.perf_counter()
        writer.write(req)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        body = await reader.readexactly(length)
        lat.append(time.perf_counter() - t0)
        if status not in (200, 201):
            errors.append(f"{status} {body[:200]!r}")
    writer.close()


def _request(method: str, path: str, token: str, body: dict[str, Any] | None = None) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n")
    if method == "POST":
        head += f"Idempotency-Key: {uuid.uuid4()}\r\n"
    return (head + "\r\n").encode() + payload


def load(base: str | list[str], token: str, *, clients: int, per_client: int, create: bool,
         read: str = "/api/health") -> tuple[float, list[float]]:
    """`clients` concurrent connections (to the servers in turn), `per_client` requests each; every create
    carries its own Idempotency-Key."""
    bases = [base] if isinstance(base, str) else base
    lat: list[float] = []
    errors: list[str] = []

    def body(n: int, i: int) -> dict[str, Any]:
        return {"type": "fault" if i % 2 else "suggestion", "title": f"压测 {n}-{i}",
                "phenomenon_id": PHEN[0] if i % 2 else None, "area": "武汉洪山", "cell_id": f"WH-{i % 50:03d}",
                "product": "宽带"}

    async def run() -> float:
        go = asyncio.Event()
        tasks = []
        for n in range(clients):
            host, port = bases[n % len(bases)].removeprefix("http://").split(":")
            reqs = [_request("POST", "/api/tickets", token, body(n, i)) if create else _request("GET", read, token)
                    for i in range(per_client)]
            tasks.append(asyncio.create_task(_client(host, int(port), reqs, lat, errors, go)))
        await asyncio.sleep(0.2)  # every connection open before the clock starts
        t0 = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - t0

    wall = asyncio.run(run())
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return wall, lat


PHEN: list[int] = []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (Linux /proc)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_pids() -> list[int]:
    """PostgreSQL's processes on this machine (backends, WAL writer, checkpointer …)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def run(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    servers = [LiveServer(url) for _ in range(args.servers)]
    servers[0].run_cli("seed", "--customers", "300", "--no-history", "--json")
    for server in servers:
        server.start()
    urls = [s.url for s in servers]
    try:
        api = httpx.Client(base_url=urls[0], timeout=30)
        token = api.post("/api/auth/login", json={"username": "agent", "password": PW}).json()["token"]
        cats = api.get("/api/tickets/categories", headers={"Authorization": f"Bearer {token}"}).json()
        PHEN[:] = [next(c["id"] for c in cats if c["level"] == 3)]
        per = max(1, args.creates // args.clients)
        load(urls, token, clients=args.clients, per_client=20, create=True)  # warm-up
        h_wall, h_lat = load(urls, token, clients=args.clients, per_client=per, create=False)
        a_wall, a_lat = load(urls, token, clients=args.clients, per_client=per, create=False,
                             read="/api/tickets/notifications")
        server_pids = [s.proc.pid for s in servers if s.proc]
        pg_pids = postgres_pids() if label == "PostgreSQL" else []
        cpu0 = cpu_seconds(server_pids), cpu_seconds(pg_pids)
        c_wall, c_lat = load(urls, token, clients=args.clients, per_client=per, create=True)
        cpu1 = cpu_seconds(server_pids), cpu_seconds(pg_pids)
    finally:
        for server in servers:
            server.stop()
    n = per * args.clients
    return {"db": label, "creates/s": n / c_wall, "p50": pct(c_lat, 0.5), "p99": pct(c_lat, 0.99),
            "health/s": n / h_wall, "h_p99": pct(h_lat, 0.99), "auth/s": n / a_wall, "a_p99": pct(a_lat, 0.99),
            "n": n, "server_ms": (cpu1[0] - cpu0[0]) * 1000 / n, "db_ms": (cpu1[1] - cpu0[1]) * 1000 / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--creates", type=int, default=1600)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--servers", type=int, default=1, help="server processes on the same database (clients "
                    "spread over them), to see how far more processes carry it")
    ap.add_argument("--pg", default=os.environ.get("HOTLINE_TEST_DATABASE_URL",
                                                  "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            rows.append(run("SQLite", fresh_url(None, Path(tmp)), args))
        if not args.no_pg:
            url = fresh_url(args.pg, Path(tmp))
            try:
                rows.append(run("PostgreSQL", url, args))
            finally:
                drop(args.pg, url)
    print(f"\nWork-order creates over HTTP, {args.clients} concurrent clients, {args.servers} server process(es), "
          f"{os.cpu_count()} CPUs, loopback. Anchors on the same "
          f"server: GET /api/health (no auth, no database) and GET /api/tickets/notifications (auth + one query)")
    print(f"{'database':<11} {'creates':>7} {'creates/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'health/s':>9} "
          f"{'p99 ms':>7} | {'auth read/s':>11} {'p99 ms':>7} | {'create/health':>13} | "
          f"goal (PostgreSQL): ≥ {GOAL_RATE:.0f}/s, p99 ≤ {GOAL_P99_MS:.0f} ms")
    for r in rows:
        verdict = ""
        if r["db"] == "PostgreSQL":
            ok = r["creates/s"] >= GOAL_RATE and r["p99"] <= GOAL_P99_MS
            verdict = "met" if ok else "NOT met"
        print(f"{r['db']:<11} {r['n']:>7} {r['creates/s']:>10.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} | "
              f"{r['health/s']:>9.1f} {r['h_p99']:>7.1f} | {r['auth/s']:>11.1f} {r['a_p99']:>7.1f} | "
              f"{r['creates/s'] / r['health/s']:>13.2f} | {verdict}")
    print("CPU per create (ms): " + ", ".join(
        f"{r['db']}: server {r['server_ms']:.2f}" + (f", PostgreSQL {r['db_ms']:.2f}" if r["db"] == "PostgreSQL" else "")
        for r in rows))


if __name__ == "__main__":
    main()

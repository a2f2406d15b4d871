"""The "what if" workflow behind the web page and its API: today's configuration of a province as an
editable scenario, edits applied to a copy, and bounded background runs of baseline and what-if.

Runs happen in a daemon thread of the server process (the pure simulator, no database); at most
`MAX_RUNNING` at once, a few replications each, so an answer comes in seconds.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from hotline.contacts import service as contacts_service
from hotline.core.auth import Principal, visible_prefix
from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.sim import engine
from hotline.sim.live import scenario_from_live
from hotline.sim.scenario import Queue, Scenario, ScenarioError, parse

READ, PLAN = "wfm.read", "wfm.plan"
RUN_REPLICATIONS = 5
MAX_CONTACTS = 1_500_000  # simulated contacts per run (both scenarios, all replications)
MAX_RUNNING = 2
KEEP_JOBS = 50
METRICS = ("service_level", "asa_s", "abandon_rate", "occupancy")


# ---------------------------------------------------------------- the baseline


def provinces(*, db_session: Session, principal: Principal) -> list[str]:
    """Codes of the provinces whose configuration the principal may read."""
    prefix = visible_prefix(principal, READ)
    if prefix is None:
        return []
    codes = contacts_service.province_codes(db_session=db_session)
    return sorted(code for path, code in codes.items() if path.startswith(prefix) or prefix.startswith(path))


def baseline(*, db_session: Session, principal: Principal, province: str | None, day: date) -> dict[str, Any]:
    """Today's configuration of a visible province (the principal's own by default) as scenario data."""
    visible = provinces(db_session=db_session, principal=principal)
    if province is None:
        own = contacts_service.province_codes(db_session=db_session).get(principal.province_path or "")
        province = own if own in visible else (visible[0] if visible else None)
    if province is None or province not in visible:
        raise NotFound(f"province {province!r} not found")
    data = scenario_from_live(
        db_session=db_session, province=province, day=day, replications=RUN_REPLICATIONS
    )
    data["province"] = province
    return data


# ---------------------------------------------------------------- edits


class QueueEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arrivals_per_hour: float | None = Field(None, ge=0)
    aht_s: float | None = Field(None, gt=0)
    patience_s: float | None = Field(None, gt=0)
    sl_threshold_s: float | None = Field(None, ge=0)


class GroupEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=0, le=100_000)
    skills: dict[str, int]
    name: str | None = None


class Edits(BaseModel):
    """What a planner changed: per queue, and the agent groups as a whole (None: unchanged)."""

    model_config = ConfigDict(extra="forbid")
    queues: dict[str, QueueEdit] = {}
    agents: list[GroupEdit] | None = None


def mean_rate(q: dict[str, Any]) -> float:
    rate = q.get("arrivals_per_hour", 0.0)
    return sum(rate) / len(rate) if isinstance(rate, list) else float(rate)


def mean_aht(q: dict[str, Any]) -> float:
    return Queue.model_validate(q).mean_handle_s


def apply(data: dict[str, Any], edits: Edits) -> dict[str, Any]:
    """A copy of the scenario data with the edits applied. A changed mean rate scales the day's
    profile; a changed AHT replaces the handle time by an exponential one with that mean."""
    out = copy.deepcopy(data)
    names = [q["name"] for q in out["queues"]]
    for name, e in edits.queues.items():
        if name not in names:
            raise InvalidInput(f"queues.{name}", f"unknown queue {name!r}")
        q = out["queues"][names.index(name)]
        if e.arrivals_per_hour is not None and abs(e.arrivals_per_hour - mean_rate(q)) > 1e-6:
            rate = q.get("arrivals_per_hour", 0.0)
            if isinstance(rate, list) and mean_rate(q) > 0:
                f = e.arrivals_per_hour / mean_rate(q)
                q["arrivals_per_hour"] = [r * f for r in rate]
            else:
                q["arrivals_per_hour"] = e.arrivals_per_hour
        if e.aht_s is not None and abs(e.aht_s - mean_aht(q)) > 0.05:
            for key in ("talk", "hold", "acw", "handle_time"):
                q.pop(key, None)
            q["aht_s"] = e.aht_s
        if e.patience_s is not None:
            q.pop("patience", None)
            q["patience_s"] = e.patience_s
        if e.sl_threshold_s is not None:
            q["sl_threshold_s"] = e.sl_threshold_s
    if edits.agents is not None:
        groups = []
        for i, g in enumerate(edits.agents):
            unknown = [s for s in g.skills if s not in names]
            if unknown:
                raise InvalidInput(f"agents.{i}.skills", f"unknown queue {unknown[0]!r}")
            if not g.skills:
                raise InvalidInput(f"agents.{i}.skills", "an agent group needs at least one skill")
            old = out["agents"][i] if i < len(out["agents"]) else {}
            groups.append(
                {**old, "name": g.name or old.get("name") or f"g{i}", "count": g.count, "skills": g.skills}
            )
        out["agents"] = groups
    return out


def to_scenario(data: dict[str, Any], field_prefix: str = "") -> Scenario:
    """Validate scenario data; errors become InvalidInput naming the field."""
    body = {k: v for k, v in data.items() if k != "province"}
    try:
        return parse(body)
    except ScenarioError as exc:
        first = str(exc).split("\n  ")[1] if "\n  " in str(exc) else str(exc)
        name, _, msg = first.partition(": ")
        raise InvalidInput(f"{field_prefix}{name}", msg or first) from None


# ---------------------------------------------------------------- background runs


@dataclass
class Job:
    id: str
    owner: int
    province: str
    replications: int
    total: int
    done: int = 0
    status: str = "running"  # running | done | failed
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    wall_s: float = 0.0
    baseline: dict[str, Any] | None = None
    whatif: dict[str, Any] | None = None

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "progress": self.progress,
            "done": self.done,
            "total": self.total,
            "replications": self.replications,
            "province": self.province,
            "error": self.error or None,
            "wall_s": self.wall_s,
            "baseline": self.baseline,
            "whatif": self.whatif,
        }


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def bounded_replications(base: Scenario, whatif: Scenario, wanted: int = RUN_REPLICATIONS) -> int:
    """Replications that keep a run under MAX_CONTACTS simulated contacts (at least 2, for a CI)."""
    per_rep = sum(_expected_contacts(s) for s in (base, whatif))
    return max(2, min(wanted, int(MAX_CONTACTS // max(per_rep, 1.0))))


def _expected_contacts(sc: Scenario) -> float:
    rates = [q.arrivals_per_hour for q in sc.queues]
    if sc.ivr is not None:
        rates.append(sc.ivr.arrivals_per_hour)
    per_hour = sum(sum(r) / len(r) if isinstance(r, list) else r for r in rates)
    return per_hour * sc.duration_s / 3600


def start(*, principal: Principal, province: str, base: Scenario, whatif: Scenario) -> Job:
    """Run baseline and what-if in a background thread; refuse when MAX_RUNNING runs are going."""
    reps = bounded_replications(base, whatif)
    with _lock:
        if sum(j.status == "running" for j in _jobs.values()) >= MAX_RUNNING:
            raise Conflict("simulations are running; try again in a few seconds", reason="sim_busy")
        job = Job(
            id=secrets.token_hex(8),
            owner=principal.user_id,
            province=province,
            replications=reps,
            total=2 * reps,
        )
        _jobs[job.id] = job
        for old in sorted(_jobs.values(), key=lambda j: j.started)[: max(0, len(_jobs) - KEEP_JOBS)]:
            if old.status != "running":
                del _jobs[old.id]
    threading.Thread(target=_run, args=(job, base, whatif), name=f"sim-{job.id}", daemon=True).start()
    return job


def _run(job: Job, base: Scenario, whatif: Scenario) -> None:
    t0 = time.perf_counter()

    def tick(k: int) -> None:
        job.done += k

    try:
        job.baseline = engine.run(base, replications=job.replications, progress=tick)
        job.whatif = engine.run(whatif, replications=job.replications, progress=tick)
        job.status = "done"
    except Exception as exc:  # noqa: BLE001 - a run must never take the server down; the page shows it
        job.error = str(exc)
        job.status = "failed"
    job.wall_s = time.perf_counter() - t0


def get(*, principal: Principal, job_id: str) -> Job:
    """One of the principal's own runs."""
    job = _jobs.get(job_id)
    if job is None or job.owner != principal.user_id:
        raise NotFound("simulation run not found")
    return job


def wait(job: Job, timeout_s: float) -> Job:
    """Block until the job is no longer running (tests, the API's ?wait=)."""
    end = time.monotonic() + timeout_s
    while job.status == "running" and time.monotonic() < end:
        time.sleep(0.05)
    return job


# ---------------------------------------------------------------- comparison


def comparison(job: Job) -> list[dict[str, Any]]:
    """Per queue: each metric for baseline and what-if, with 95 % half-widths."""
    assert job.baseline is not None and job.whatif is not None
    rows = []
    for name, b in job.baseline["queues"].items():
        w = job.whatif["queues"].get(name, {})
        row: dict[str, Any] = {
            "queue": name,
            "sl_target": b["sl_target"],
            "sl_threshold_s": w.get("sl_threshold_s"),
        }
        for m in ("offered", "aht_s", *METRICS):
            row[m] = (b.get(m), b.get(f"{m}_ci95"), w.get(m), w.get(f"{m}_ci95"))
        rows.append(row)
    return rows


def chart(
    rows: list[dict[str, Any]], metric: str, labels: tuple[str, str], scale: float = 1.0
) -> dict[str, Any]:
    """A bar chart of one metric per queue, baseline beside what-if, with 95 % CI whiskers (a boxplot
    series whose box collapses on the mean)."""
    x = [r["queue"] for r in rows]
    series: list[dict[str, Any]] = []
    whiskers: list[dict[str, Any]] = []
    for k, label in enumerate(labels):
        means, boxes = [], []
        for r in rows:
            mean, ci = r[metric][2 * k], r[metric][2 * k + 1]
            m = None if mean is None else round(mean * scale, 4)
            means.append(m)
            c = 0.0 if ci is None or m is None else ci * scale
            boxes.append([] if m is None else [round(max(0.0, m - c), 4), m, m, m, round(m + c, 4)])
        series.append({"name": label, "type": "bar", "data": means})
        whiskers.append(
            {
                "name": label,
                "type": "boxplot",
                "data": boxes,
                "boxWidth": [6, 10],
                "tooltip": {"show": False},
                "itemStyle": {"color": "rgba(0,0,0,0)", "borderColor": "#1f2937"},
            }
        )
    return {
        "option": {
            "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "legend": {"bottom": 0, "data": list(labels)},
            "grid": {"left": 48, "right": 16, "top": 16, "bottom": 64},
            "xAxis": {"type": "category", "data": x, "axisLabel": {"interval": 0, "rotate": 30}},
            "yAxis": {"type": "value"},
            "series": series + whiskers,
        }
    }

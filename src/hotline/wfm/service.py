"""Workforce services for the pages: staffing curves, forecast + staffing plan, from the pure wfm engines."""

from __future__ import annotations

import csv
import io
import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hotline.contacts.models import AgentStateLog, Contact, ContactQueue
from hotline.contacts.runtime import kpi_contact
from hotline.contacts.service import province_path
from hotline.core import audit
from hotline.core.auth import Principal, Resource, allowed, visible_prefix
from hotline.core.clock import LOCAL_TZ, to_local
from hotline.core.errors import InvalidInput, NotFound
from hotline.org.models import OrgUnit, User, UserRole, UserSkill
from hotline.reports import kpi
from hotline.wfm import erlang, intraday
from hotline.wfm import schedule as sched
from hotline.wfm.forecast import History, forecast, history_from_rows
from hotline.wfm.models import WfmActivity, WfmSchedule
from hotline.wfm.synthetic import SeriesSpec, generate


@dataclass(frozen=True)
class StaffingQuery:
    calls: float
    interval_s: int
    aht_s: float
    threshold_s: float
    target_sl: float
    patience_s: float | None
    shrinkage: float


def staffing(q: StaffingQuery) -> dict[str, Any]:
    """Minimum agents for the target (Erlang C, or Erlang A with patience) and the SL-by-agents curve."""
    load = erlang.offered_load(q.calls, q.interval_s, q.aht_s)
    try:
        if q.patience_s:
            result = erlang.staff_a(
                load, q.aht_s, q.patience_s, q.target_sl, q.threshold_s, shrinkage=q.shrinkage
            )
        else:
            result = erlang.staff_c(load, q.aht_s, q.target_sl, q.threshold_s, shrinkage=q.shrinkage)
    except ValueError as exc:
        raise InvalidInput(str(exc).split()[0], str(exc)) from None
    low = max(1, min(result.agents - 3, math.floor(load) - 2))
    high = max(result.agents + 6, low + 8)
    ns = list(range(low, high + 1))
    if q.patience_s:
        curve = [erlang.service_level_a(n, load, q.threshold_s, q.aht_s, q.patience_s) for n in ns]
        abandon = [erlang.p_abandon_a(n, load, q.aht_s, q.patience_s) for n in ns]
    else:
        curve = [erlang.service_level_c(n, load, q.threshold_s, q.aht_s) for n in ns]
        abandon = []
    return {"load": load, "result": result, "agents": ns, "sl": curve, "abandon": abandon}


def staffing_chart(data: dict[str, Any], target: float, label: Callable[[str], str] = str) -> dict[str, Any]:
    series = [
        {"name": label("Service level"), "type": "line", "data": [round(v * 100, 2) for v in data["sl"]]},
        {
            "name": label("Target"),
            "type": "line",
            "symbol": "none",
            "lineStyle": {"type": "dashed"},
            "data": [round(target * 100, 2)] * len(data["agents"]),
        },
    ]
    if data["abandon"]:
        series.append(
            {
                "name": label("Abandonment"),
                "type": "line",
                "data": [round(v * 100, 2) for v in data["abandon"]],
            }
        )
    return {
        "type": "line",
        "x": data["agents"],
        "series": series,
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
    }


# ------------------------------------------------------------------------------------------- forecasts
DEMO_SPEC = SeriesSpec(days=84, daily_calls=28_000.0, aht_s=240.0)  # a province: 25–35 thousand calls a day


@lru_cache(maxsize=4)
def demo_history(today: date) -> History:
    """Twelve weeks of realistic synthetic history ending yesterday (seeded: the same every day it is asked)."""
    spec = SeriesSpec(**{**DEMO_SPEC.__dict__, "start": today - timedelta(days=DEMO_SPEC.days)})
    rows = generate(spec, np.random.default_rng(20261125))
    return history_from_rows(rows, spec.interval_min, until=today - timedelta(days=1))


def history_from_csv(text: str, interval_min: int = 30) -> History:
    """A history CSV (`interval_start,calls[,aht_s]`, local `YYYY-MM-DD HH:MM`); errors name line and column."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"interval_start", "calls"} <= set(reader.fieldnames):
        raise InvalidInput("file", "The CSV needs the columns interval_start and calls")
    rows: list[tuple[datetime, float, float | None]] = []
    for line, row in enumerate(reader, start=2):
        try:
            ts = datetime.strptime(row["interval_start"].strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise InvalidInput("file", f"line {line}, interval_start: expected YYYY-MM-DD HH:MM") from None
        try:
            calls = float(row["calls"])
            aht = float(row["aht_s"]) if row.get("aht_s") not in (None, "") else None
        except ValueError:
            raise InvalidInput("file", f"line {line}: calls and aht_s must be numbers") from None
        rows.append((ts, calls, aht))
    if not rows:
        raise InvalidInput("file", "The CSV has no rows")
    try:
        return history_from_rows(rows, interval_min)
    except ValueError as exc:
        raise InvalidInput("file", str(exc)) from None


def plan(
    hist: History,
    *,
    horizon_days: int,
    target_sl: float,
    threshold_s: float,
    shrinkage: float,
    default_aht_s: float = 240.0,
) -> dict[str, Any]:
    """Forecast the horizon and staff every interval of its first day with Erlang C."""
    try:
        fc = forecast(hist, horizon_days=horizon_days)
    except ValueError as exc:
        raise InvalidInput("history", str(exc)) from None
    slots = hist.slots
    day0 = np.nan_to_num(fc.calls[0])
    aht0 = (
        np.nan_to_num(fc.aht[0], nan=default_aht_s) if fc.aht is not None else np.full(slots, default_aht_s)
    )
    aht0 = np.where(aht0 > 0, aht0, default_aht_s)
    interval_s = fc.interval_min * 60
    table = erlang.staff_c_many(day0 * aht0 / interval_s, aht0, target_sl, threshold_s, shrinkage=shrinkage)
    labels = [f"{(s * fc.interval_min) // 60:02d}:{(s * fc.interval_min) % 60:02d}" for s in range(slots)]
    last_week = np.nan_to_num(hist.calls[-7:]).sum(axis=1)
    daily = np.nan_to_num(fc.calls).sum(axis=1)
    return {
        "method": fc.method,
        "wape": {k: round(v, 4) for k, v in sorted(fc.backtest_wape.items(), key=lambda kv: kv[1])},
        "first_day": fc.first_day,
        "days": [d.isoformat() for d in fc.days],
        "daily": [round(float(v)) for v in daily],
        "calendar_covered": fc.calendar_covered,
        "labels": labels,
        "calls": [round(float(v), 1) for v in day0],
        "lo": [round(float(v), 1) for v in np.nan_to_num(fc.lo[0])],
        "hi": [round(float(v), 1) for v in np.nan_to_num(fc.hi[0])],
        "agents": [int(v) for v in table.agents],
        "scheduled": [int(v) for v in table.scheduled],
        "peak_agents": int(table.agents.max()) if table.agents.size else 0,
        "peak_scheduled": int(table.scheduled.max()) if table.scheduled.size else 0,
        "agent_hours": round(float(table.scheduled.sum()) * fc.interval_min / 60, 1),
        "history_days": [d.isoformat() for d in hist.days[-7:]],
        "history_daily": [round(float(v)) for v in last_week],
    }


def forecast_chart(p: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    """Calls per interval with the prediction band, and agents needed on a second axis."""
    band = [round(h - lo, 1) for lo, h in zip(p["lo"], p["hi"])]
    return {
        "option": {
            "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "legend": {"bottom": 0, "data": [label("80% band"), label("Calls"), label("Agents scheduled")]},
            "grid": {"left": 52, "right": 52, "top": 24, "bottom": 48},
            "xAxis": {"type": "category", "data": p["labels"]},
            "yAxis": [{"type": "value", "name": label("Calls")}, {"type": "value", "name": label("Agents")}],
            "series": [
                {
                    "name": "lo",
                    "type": "line",
                    "stack": "band",
                    "data": p["lo"],
                    "lineStyle": {"opacity": 0},
                    "symbol": "none",
                },
                {
                    "name": label("80% band"),
                    "type": "line",
                    "stack": "band",
                    "data": band,
                    "lineStyle": {"opacity": 0},
                    "areaStyle": {"opacity": 0.2},
                    "symbol": "none",
                },
                {"name": label("Calls"), "type": "line", "data": p["calls"], "symbol": "none"},
                {
                    "name": label("Agents scheduled"),
                    "type": "bar",
                    "yAxisIndex": 1,
                    "data": p["scheduled"],
                    "barGap": 0,
                    "itemStyle": {"opacity": 0.45},
                },
            ],
        }
    }


def daily_chart(p: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    return {
        "type": "bar",
        "x": p["history_days"] + p["days"],
        "series": [
            {"name": label("Actual"), "data": p["history_daily"] + [None] * len(p["days"])},
            {"name": label("Forecast"), "data": [None] * len(p["history_days"]) + p["daily"]},
        ],
    }


# ------------------------------------------------------------------------------ published schedules
# (R-WFM-3/4: the output of `schedule.solve` stored per unit, day and queue; intraday figures from it)
READ_PERMISSION = "wfm.read"
BACKUP_ROLES = ("qa_inspector", "trainer")
SCHEDULED_ROLES = ("agent", "expert_seat")


@dataclass(frozen=True)
class PublishReport:
    schedules: list[WfmSchedule]
    mapping: dict[str, int]  # roster agent id -> user id
    unmapped: list[str]  # roster agents no user could take (their activities are not stored)


def map_roster(agents: Sequence[sched.Agent], users: Sequence[User]) -> tuple[dict[str, int], list[str]]:
    """Roster agents -> real users, the documented mapping: agents in id order, each to the unused user who
    holds the agent's first queue as a skill at the highest level (ties: lowest user id). One user per agent
    for the whole horizon, so the roster's weekly rules stay the user's."""
    mapping: dict[str, int] = {}
    unmapped: list[str] = []
    used: set[int] = set()
    levels = {u.id: {s.skill: s.level for s in u.skills} for u in users}
    for ag in sorted(agents, key=lambda a: a.id):
        queue = ag.queues[0] if ag.queues else ""
        pick = min(
            (u for u in users if u.id not in used and queue in levels[u.id]),
            key=lambda u: (-levels[u.id][queue], u.id),
            default=None,
        )
        if pick is None:
            unmapped.append(ag.id)
        else:
            used.add(pick.id)
            mapping[ag.id] = pick.id
    return mapping, unmapped


def _users_in(db_session: Session, prefix: str, roles: Sequence[str]) -> list[User]:
    ids = select(UserRole.user_id).where(UserRole.role.in_(roles))
    stmt = (
        select(User)
        .join(OrgUnit, User.unit_id == OrgUnit.id)
        .where(User.id.in_(ids), User.active.is_(True), OrgUnit.path.startswith(prefix))
        .order_by(User.id)
    )
    return list(db_session.execute(stmt).scalars())


def publish(
    *,
    db_session: Session,
    actor: audit.Actor,
    now: datetime,
    unit_id: int,
    result: sched.ScheduleResult,
    forecast: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    principal: Principal | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> PublishReport:
    """Store a solved schedule for a unit: one plan per local day and queue (version + 1 when re-published)."""
    unit = db_session.get(OrgUnit, unit_id)
    if unit is None or (principal is not None and not allowed(principal, "wfm.plan", Resource(unit.path))):
        raise NotFound("unit not found")
    users = {u.id: u for u in _users_in(db_session, unit.path, SCHEDULED_ROLES)}
    mapping, unmapped = map_roster(result.agents, list(users.values()))
    per_day = 1440 // result.interval_min
    n_days = math.ceil(len(result.intervals) / per_day) if result.intervals else 0
    fc = forecast or {}
    saved: list[WfmSchedule] = []
    for d in range(n_days):
        day = result.intervals[d * per_day].date()
        window = slice(d * per_day, (d + 1) * per_day)
        for queue in sorted(result.required):
            row = db_session.execute(
                select(WfmSchedule).where(
                    WfmSchedule.unit_id == unit.id, WfmSchedule.day == day, WfmSchedule.queue == queue
                )
            ).scalar_one_or_none()
            if row is None:
                row = WfmSchedule(unit_id=unit.id, org_path=unit.path, day=day, queue=queue, version=0)
                db_session.add(row)
            calls, aht = fc.get(queue, ([], []))
            row.interval_min = result.interval_min
            row.forecast_calls = [round(float(v), 2) for v in list(calls)[window]]
            row.forecast_aht_s = [round(float(v), 1) for v in list(aht)[window]]
            row.required = [int(v) for v in result.required[queue][window]]
            row.scheduled = [int(v) for v in result.scheduled[queue][window]]
            row.status = result.status
            row.version += 1
            row.published_at = now
            row.published_by = actor.user_id
            row.activities = [
                WfmActivity(
                    user_id=mapping[a.agent_id],
                    org_path=users[mapping[a.agent_id]].unit.path,
                    activity=a.activity,
                    start_at=a.start.replace(tzinfo=tz).astimezone(UTC),
                    end_at=a.end.replace(tzinfo=tz).astimezone(UTC),
                    queue=a.queue,
                )
                for a in result.activities
                if a.day == day and a.queue == queue and a.agent_id in mapping
            ]
            saved.append(row)
    db_session.flush()
    audit.record(
        db_session, actor=actor, at=now, action="wfm.schedule.publish", target_type="org_unit",
        target_id=unit.id, org_path=unit.path,
        detail={"days": n_days, "queues": sorted(result.required), "agents": len(mapping), "unmapped": len(unmapped),
                "status": result.status},
    )
    return PublishReport(saved, mapping, unmapped)


def _scope(principal: Principal, db_session: Session, unit_id: int | None) -> str:
    """The org-path prefix the principal may read plans under (narrowed to a unit; out of scope -> 404)."""
    prefix = visible_prefix(principal, READ_PERMISSION)
    if prefix is None:
        raise NotFound("unit not found")
    if unit_id is None:
        return prefix
    unit = db_session.get(OrgUnit, unit_id)
    if unit is None or not allowed(principal, READ_PERMISSION, Resource(unit.path)):
        raise NotFound("unit not found")
    return unit.path


def published(
    *, db_session: Session, principal: Principal, day: date, unit_id: int | None = None
) -> list[WfmSchedule]:
    """The published plans of a day the principal may see (activities only of agents in scope)."""
    prefix = _scope(principal, db_session, unit_id)
    rows = db_session.execute(
        select(WfmSchedule)
        .where(WfmSchedule.day == day, WfmSchedule.org_path.startswith(prefix))
        .order_by(WfmSchedule.org_path, WfmSchedule.queue)
    ).scalars()
    return list(rows)


def _visible_activities(plans: Sequence[WfmSchedule], prefix: str) -> list[WfmActivity]:
    return [a for p in plans for a in p.activities if a.org_path.startswith(prefix)]


def day_activities(*, db_session: Session, prefix: str, day: date) -> list[WfmActivity] | None:
    """Every published activity of a local day under an org path, with last evening's that run into it
    (unscoped: for the demo traffic); None when no plan is published under `prefix` for that day."""
    plans = list(db_session.execute(
        select(WfmSchedule).where(WfmSchedule.day.in_([day - timedelta(days=1), day]),
                                  WfmSchedule.org_path.startswith(prefix))
    ).scalars())
    if not any(p.day == day for p in plans):
        return None
    return sorted(_visible_activities(plans, prefix), key=lambda a: (a.user_id, a.start_at))


def schedule_view(
    *, db_session: Session, principal: Principal, day: date, unit_id: int | None = None, tz: tzinfo = LOCAL_TZ
) -> dict[str, Any]:
    """A day's published plans as rows per agent (local times) and coverage per queue, JSON-ready."""
    plans = published(db_session=db_session, principal=principal, day=day, unit_id=unit_id)
    prefix = _scope(principal, db_session, unit_id)
    acts = _visible_activities(plans, prefix)
    users = _user_names(db_session, {a.user_id for a in acts})
    agents: dict[int, dict[str, Any]] = {}
    for a in sorted(acts, key=lambda a: (a.start_at, a.user_id, a.activity != "shift")):
        row = agents.setdefault(a.user_id, {"user_id": a.user_id, **users[a.user_id], "queue": a.queue,
                                             "activities": []})
        row["activities"].append({"activity": a.activity, "start": to_local(a.start_at).strftime("%Y-%m-%d %H:%M"),
                                  "end": to_local(a.end_at).strftime("%Y-%m-%d %H:%M")})
    coverage = [
        {"queue": p.queue, "unit_id": p.unit_id, "version": p.version, "status": p.status,
         "published_at": p.published_at.isoformat(), "interval_min": p.interval_min,
         "labels": _labels(p.interval_min, len(p.required)), "required": p.required, "scheduled": p.scheduled,
         "forecast_calls": p.forecast_calls}
        for p in plans
    ]
    return {"date": day.isoformat(), "plans": coverage, "agents": list(agents.values())}


def _labels(interval_min: int, n: int) -> list[str]:
    return [f"{(i * interval_min) // 60:02d}:{(i * interval_min) % 60:02d}" for i in range(n)]


def _user_names(db_session: Session, ids: set[int]) -> dict[int, dict[str, str]]:
    if not ids:
        return {}
    rows = db_session.execute(select(User).where(User.id.in_(ids))).scalars()
    return {u.id: {"name": u.display_name, "username": u.username, "team": u.unit.name} for u in rows}


def schedule_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The schedule as flat rows (one per activity) for CSV/Excel export."""
    return [
        {"date": view["date"], "employee": a["username"], "name": a["name"], "team": a["team"], "queue": a["queue"],
         "activity": act["activity"], "start": act["start"], "end": act["end"]}
        for a in view["agents"] for act in a["activities"]
    ]


SCHEDULE_COLUMNS = {"date": "日期", "employee": "工号/账号", "name": "姓名", "team": "班组", "queue": "队列",
                    "activity": "活动", "start": "开始", "end": "结束"}
ADHERENCE_COLUMNS = {"employee": "账号", "name": "姓名", "team": "班组", "scheduled_min": "已排班（分钟）",
                     "adherent_min": "遵从（分钟）", "out_min": "不遵从（分钟）", "adherence": "遵从率",
                     "planned_now": "当前计划", "state_now": "当前状态"}


def intraday_view(
    *,
    db_session: Session,
    principal: Principal,
    day: date,
    now: datetime,
    unit_id: int | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, Any]:
    """Actual vs forecast, re-forecast, staffing, adherence and the backup pool of a day, JSON-ready."""
    plans = published(db_session=db_session, principal=principal, day=day, unit_id=unit_id)
    prefix = _scope(principal, db_session, unit_id)
    start, end = intraday.day_bounds(day, tz)
    at = min(max(now, start), end)
    queues = _queue_rows(db_session, plans)
    keys = {p.id: queues[p.org_path, p.queue].key if (p.org_path, p.queue) in queues else p.queue for p in plans}
    contacts = [
        kpi_contact(c)
        for c in db_session.execute(
            select(Contact).where(Contact.queued_at >= start, Contact.queued_at < end,
                                  (Contact.overflowed_to_queue.in_(keys.values()))
                                  | ((Contact.overflowed_to_queue == "") & Contact.queue.in_(keys.values())))
        ).scalars()
    ]
    queue_days = []
    for p in plans:
        q = queues.get((p.org_path, p.queue))
        target = kpi.QueueTarget(keys[p.id], q.sl_threshold_s, q.sl_target, q.short_abandon_s) if q else (
            kpi.QueueTarget(keys[p.id], 20.0, 0.8))
        n = len(p.required)
        plan = intraday.QueuePlan(keys[p.id], day, p.interval_min, p.forecast_calls or [0.0] * n,
                                  p.forecast_aht_s or [0.0] * n, p.required, p.scheduled)
        qd = intraday.queue_day(plan, contacts, target, now=at, tz=tz)
        candidates = [
            intraday.Candidate(u.id, u.display_name, next(r.role for r in u.roles if r.role in BACKUP_ROLES),
                               next(s.level for s in u.skills if s.skill == p.queue))
            for u in _users_in(db_session, prefix, BACKUP_ROLES) if any(s.skill == p.queue for s in u.skills)
        ]
        backup = intraday.backup_pool(qd.labels, qd.required_now, qd.scheduled, candidates,
                                      start=qd.elapsed + (1 if at < end and qd.elapsed < n else 0))
        queue_days.append({**intraday.as_dict(qd), "code": p.queue, "unit_id": p.unit_id, "version": p.version,
                           "sl_target": target.sl_target, "sl_threshold_s": target.sl_threshold_s,
                           "backup": _backup_dict(backup)})
    eve = published(db_session=db_session, principal=principal, day=day - timedelta(days=1), unit_id=unit_id)
    acts = _visible_activities([*eve, *plans], prefix)  # last night's shifts run into the day
    users = _user_names(db_session, {a.user_id for a in acts})
    adherence = intraday.adherence(
        [kpi.ScheduleActivity(str(a.user_id), day, a.activity, a.start_at, a.end_at) for a in acts],
        _state_segments(db_session, {a.user_id for a in acts}, start, end, at),
        now=at, day=day, tz=tz,
    )
    rows = [{**r, **users[int(r["agent_id"])], "user_id": int(r["agent_id"])}
            for r in intraday.adherence_rows(adherence)]
    sched_s = sum(a.scheduled_s for a in adherence.values())
    adh_s = sum(a.adherent_s for a in adherence.values())
    return {"date": day.isoformat(), "now": at.astimezone(tz).isoformat(), "queues": queue_days, "adherence": rows,
            "adherence_total": None if not sched_s else round(adh_s / sched_s, 4)}


def _backup_dict(b: intraday.BackupSuggestion) -> dict[str, Any]:
    return {"needed": b.needed, "shortfall": b.shortfall,
            "gaps": [{"interval": label, "agents": g} for label, g in b.gaps],
            "people": [{"user_id": c.user_id, "name": c.name, "role": c.role, "skill_level": c.skill_level,
                        "intervals": ivs} for c, ivs in b.people]}


def _queue_rows(db_session: Session, plans: Sequence[WfmSchedule]) -> dict[tuple[str, str], ContactQueue]:
    """(unit path, queue code) -> the routing queue of the plan's province."""
    out: dict[tuple[str, str], ContactQueue] = {}
    for p in plans:
        q = db_session.execute(
            select(ContactQueue).where(ContactQueue.code == p.queue, ContactQueue.org_path == province_path(p.org_path))
        ).scalars().first()
        if q is not None:
            out[p.org_path, p.queue] = q
    return out


def _state_segments(
    db_session: Session, user_ids: set[int], start: datetime, end: datetime, now: datetime
) -> list[kpi.AgentStateSegment]:
    """The users' state-log segments touching [start, end); a segment still open runs on (the engine clips
    every segment at `now`)."""
    if not user_ids:
        return []
    rows = db_session.execute(
        select(AgentStateLog).where(
            AgentStateLog.user_id.in_(user_ids), AgentStateLog.started_at < end,
            AgentStateLog.ended_at.is_(None) | (AgentStateLog.ended_at > start),
        ).order_by(AgentStateLog.user_id, AgentStateLog.started_at)
    ).scalars()
    out: list[kpi.AgentStateSegment] = []
    for r in rows:
        stop = r.ended_at or max(end, now)
        if out and out[-1].agent_id == str(r.user_id) and out[-1].ended_at > r.started_at:  # a log overlap: cut
            prev = out.pop()
            if r.started_at > prev.started_at:
                out.append(kpi.AgentStateSegment(prev.agent_id, "", prev.state, prev.reason, prev.started_at,
                                                  r.started_at))
        if stop > r.started_at:
            out.append(kpi.AgentStateSegment(str(r.user_id), "", r.state, r.reason, r.started_at, stop))
    return out


def adherence_export_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The adherence table as flat rows for CSV/Excel export."""
    return [
        {"employee": r["username"], "name": r["name"], "team": r["team"],
         "scheduled_min": round(r["scheduled_s"] / 60, 1), "adherent_min": round(r["adherent_s"] / 60, 1),
         "out_min": round(r["out_of_adherence_s"] / 60, 1), "adherence": r["adherence"],
         "planned_now": r["planned_now"], "state_now": r["state_now"]}
        for r in view["adherence"]
    ]


# ------------------------------------------------------------------------------------------ demo data
DEMO_QUEUES = {"regular": 0.5, "billing": 0.25}  # the demo traffic's share of calls per queue (contacts.traffic)
DEMO_CALLS_PER_HOUR = 240.0  # contacts.traffic.DemoTraffic's default rate at an intensity of 1
DEMO_AHT_S = 120.0  # the demo agents' talk (lognormal, mean ~102 s) + wrap-up (5-30 s)
DEMO_SURGE = 1.15  # today's simulated history runs 15 % above the forecast, so the re-forecast has work to do


def demo_forecast(day_count: int, interval_min: int = 30) -> dict[str, tuple[list[float], list[float]]]:
    """Calls and AHT per interval for the demo queues, from the demo traffic's hourly intensity."""
    from hotline.contacts.traffic import HOURLY

    per_day = 1440 // interval_min
    out = {}
    for q, share in DEMO_QUEUES.items():
        calls = [DEMO_CALLS_PER_HOUR * HOURLY[(i % per_day) * interval_min // 60] * share * interval_min / 60
                 for i in range(per_day * day_count)]
        out[q] = (calls, [DEMO_AHT_S] * len(calls))
    return out


def plan_and_publish(
    *,
    db_session: Session,
    actor: audit.Actor,
    now: datetime,
    unit_id: int,
    first_day: date,
    forecast: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    interval_min: int = 30,
    rules: Mapping[str, Any] | None = None,
    principal: Principal | None = None,
) -> PublishReport:
    """Staff the forecast (each queue's SL standard, Erlang C), schedule it with `schedule.solve`, publish it."""
    unit = db_session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound("unit not found")
    prov = province_path(unit.path)
    required: dict[str, list[int]] = {}
    for q, (calls, aht) in forecast.items():
        row = db_session.execute(
            select(ContactQueue).where(ContactQueue.code == q, ContactQueue.org_path == prov)
        ).scalars().first()
        st = intraday.Staffing(row.sl_target, row.sl_threshold_s) if row else intraday.Staffing()
        required[q] = intraday.required_agents(calls, aht, interval_min, st)
    start = datetime(first_day.year, first_day.month, first_day.day)
    result = sched.solve(required, start, interval_min, rules)
    return publish(db_session=db_session, actor=actor, now=now, unit_id=unit_id, result=result,
                   forecast=forecast, principal=principal)


def seed_demo(*, db_session: Session, now: datetime, config: dict[str, Any]) -> None:
    """The demo province's week of schedules from today, QA/trainer backup skills, and today's simulated
    agent states and contacts up to `now` (so /wfm/schedule and /wfm/intraday show a real day)."""
    from hotline.contacts import service as contacts_service

    contacts_service.ensure_configuration(db_session=db_session, now=now)
    province = db_session.execute(
        select(OrgUnit).where(OrgUnit.code == config["provinces"][0]["code"])
    ).scalar_one_or_none()
    if province is None:
        return
    today = to_local(now).date()
    rng = random.Random(20261125)
    for u in _users_in(db_session, province.path, BACKUP_ROLES):  # QA staff are former agents: they keep a skill
        if not u.skills:
            u.skills.append(UserSkill(skill="regular", level=rng.randint(3, 5)))
            if rng.random() < 0.5:
                u.skills.append(UserSkill(skill="billing", level=rng.randint(2, 5)))
    report = plan_and_publish(db_session=db_session, actor=audit.SYSTEM, now=now, unit_id=province.id,
                              first_day=today, forecast=demo_forecast(7),
                              rules={"solver": {"time_limit_s": 1.5, "workers": 1, "seed": 0}})
    if config.get("today_history", True):
        _seed_today(db_session, [p for p in report.schedules if p.day == today], province, now, rng)


def _seed_today(db_session: Session, plans: list[WfmSchedule], province: OrgUnit, now: datetime,
                rng: random.Random) -> None:
    """Simulated state log (late logins, long breaks, a no-show) and contacts of today up to `now`."""
    minute = timedelta(minutes=1)
    by_user: dict[int, list[WfmActivity]] = {}
    for p in plans:
        for a in p.activities:
            by_user.setdefault(a.user_id, []).append(a)
    logs = []
    for user_id, acts in sorted(by_user.items()):
        shift = next(a for a in acts if a.activity == "shift")
        if shift.start_at >= now or rng.random() < 0.08:  # not started yet, or a no-show
            continue
        cuts: list[tuple[datetime, str, str]] = [(shift.start_at + rng.uniform(-3, 9) * minute, "ready", "")]
        for b in sorted((a for a in acts if a.activity != "shift"), key=lambda a: a.start_at):
            cuts.append((b.start_at + rng.uniform(-2, 4) * minute, "not_ready", "break"))
            cuts.append((b.end_at + rng.uniform(-1, 7) * minute, "ready", ""))
        cuts.append((shift.end_at + rng.uniform(0, 6) * minute, "logged_out", ""))
        for (a, state, reason), (b, _s, _r) in itertools.pairwise(cuts):
            if a < now and b > a:
                logs.append(AgentStateLog(user_id=user_id, org_path=province.path, state=state, reason=reason,
                                          started_at=a, ended_at=min(b, now)))
    db_session.add_all(logs)
    contacts: list[dict[str, Any]] = []
    base = {"channel": "voice", "state": "ended", "province_id": province.id, "org_path": province.path,
            "segment": "regular", "ivr_path": [{"simulated": True}]}
    second = timedelta(seconds=1)
    for p in plans:
        key = f"{province.code}.{p.queue}"
        shifts = [(a.user_id, a.start_at, a.end_at) for a in p.activities if a.activity == "shift"]
        start, _end = intraday.day_bounds(p.day)
        step = timedelta(minutes=p.interval_min)
        for i, f in enumerate(p.forecast_calls):
            t0 = start + i * step
            if t0 + step > now:
                break
            staff = [u for u, a, b in shifts if a <= t0 < b]
            for _k in range(_poisson(rng, f * DEMO_SURGE)):
                q_at = t0 + rng.uniform(0, p.interval_min * 60) * second
                end = q_at + rng.expovariate(1 / 25) * second
                row = {**base, "queue": key, "current_queue": key, "arrived_at": q_at - 20 * second,
                       "queued_at": q_at, "ended_at": end}
                if rng.random() < 0.05 or not staff:
                    contacts.append({**row, "abandoned_at": end, "outcome": "abandoned"})
                    continue
                talk_end = end + rng.lognormvariate(math.log(95), 0.5) * second
                acw_end = talk_end + rng.uniform(5, 30) * second
                if acw_end <= now:
                    contacts.append({**row, "offered_at": end, "answered_at": end, "talk_end_at": talk_end,
                                     "acw_end_at": acw_end, "ended_at": acw_end, "outcome": "answered",
                                     "agent_id": rng.choice(staff), "wrap_up_code": "resolved"})
    if contacts:
        db_session.execute(insert(Contact), contacts)
    db_session.flush()


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal above 30)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# ------------------------------------------------------------------------------------------ charts
ACTIVITY_COLOURS = {"shift": "#2563eb", "break": "#f59e0b", "meal": "#10b981"}
TERMS = {  # codes shown on the pages -> English msgids (translated by the catalogue)
    "shift": "Shift", "break": "Break", "meal": "Meal", "lunch": "Meal", "training": "Training",
    "ready": "Ready", "offered": "Ringing", "talking": "Talking", "hold": "On hold", "acw": "Wrap-up",
    "not_ready": "Not ready", "logged_out": "Logged out", "meeting": "Meeting", "qa": "QA", "other": "Other",
    "regular": "Regular line", "billing": "Billing desk", "vip": "VIP desk", "data": "Data desk",
    "broadband": "Broadband desk", "complaint": "Complaints desk",
}


def term(code: str) -> str:
    """The English msgid for a code (activity, agent state, reason or queue code)."""
    return TERMS.get(code, code)


def _hours(text: str, day: str) -> float:
    """'YYYY-MM-DD HH:MM' local -> hours after the day's midnight, clipped to [0, 24]."""
    t = datetime.strptime(text, "%Y-%m-%d %H:%M")
    d = datetime.strptime(day, "%Y-%m-%d")
    return min(max((t - d).total_seconds() / 3600, 0.0), 24.0)


def gantt_chart(view: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    """Agents x time of day as stacked horizontal bars: transparent gaps, then shift / break / meal pieces."""
    rows: list[list[tuple[float, str]]] = []
    names: list[str] = []
    for agent in view["agents"]:
        marks: list[tuple[float, float, str]] = []
        shifts = [a for a in agent["activities"] if a["activity"] == "shift"]
        inner = sorted((a for a in agent["activities"] if a["activity"] != "shift"), key=lambda a: a["start"])
        for sh in shifts:
            t = _hours(sh["start"], view["date"])
            for b in inner:
                bs, be = _hours(b["start"], view["date"]), _hours(b["end"], view["date"])
                if bs > t:
                    marks.append((t, bs, "shift"))
                marks.append((bs, be, b["activity"]))
                t = be
            end = _hours(sh["end"], view["date"])
            if end > t:
                marks.append((t, end, "shift"))
        pieces: list[tuple[float, str]] = []
        t = 0.0
        for a, b, kind in sorted(marks):
            if a > t:
                pieces.append((round(a - t, 3), ""))
            if b > a:
                pieces.append((round(b - a, 3), kind))
            t = max(t, b)
        rows.append(pieces)
        names.append(f"{agent['name']} · {label(term(agent['queue']))}")
    depth = max((len(r) for r in rows), default=0)
    series = []
    for k in range(depth):
        data: list[Any] = []
        for r in rows:
            if k < len(r):
                value, kind = r[k]
                colour = ACTIVITY_COLOURS.get(kind, "rgba(0,0,0,0)")
                data.append({"value": value, "itemStyle": {"color": colour}})
            else:
                data.append(None)
        series.append({"type": "bar", "stack": "day", "barWidth": 10, "data": data})
    legend = [label(term(kind)) for kind in ACTIVITY_COLOURS]
    series += [{"name": label(term(kind)), "type": "bar", "data": [], "itemStyle": {"color": colour}}
               for kind, colour in ACTIVITY_COLOURS.items()]  # empty series: the legend's colour keys
    shown = min(len(names), 18)
    return {
        "option": {
            "tooltip": {"trigger": "item", "renderMode": "richText", "formatter": "{b}: {c} h"},
            "legend": {"top": 0, "data": legend},
            "grid": {"left": 150, "right": 48, "top": 28, "bottom": 28},
            "xAxis": {"type": "value", "min": 0, "max": 24, "interval": 2, "axisLabel": {"formatter": "{value}:00"}},
            "yAxis": {"type": "category", "data": names, "inverse": True},
            "dataZoom": [{"type": "slider", "yAxisIndex": 0, "right": 8, "width": 14, "startValue": 0,
                          "endValue": max(shown - 1, 0)}, {"type": "inside", "yAxisIndex": 0}],
            "series": series,
        }
    }


def _interval_chart(labels: list[str], y_name: str, series: list[dict[str, Any]], **y_axis: Any) -> dict[str, Any]:
    """An ECharts option over the day's intervals (shared by the coverage, intraday and staffing charts)."""
    return {
        "option": {
            "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "legend": {"bottom": 0},
            "grid": {"left": 44, "right": 24, "top": 24, "bottom": 48},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value", "name": y_name, **y_axis},
            "series": series,
        }
    }


def _step_line(name: str, data: list[Any], **style: Any) -> dict[str, Any]:
    return {"name": name, "type": "line", "step": "middle", "symbol": "none", "data": data, **style}


def coverage_chart(plan: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    """Required vs scheduled agents on the phones per interval."""
    return _interval_chart(plan["labels"], label("Agents"), [
        {"name": label("Scheduled"), "type": "bar", "data": plan["scheduled"], "itemStyle": {"opacity": 0.6}},
        _step_line(label("Required"), plan["required"]),
    ], minInterval=1)


def intraday_chart(q: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    """Calls per interval: forecast, actual (ended intervals) and the re-forecast of the rest of the day."""
    k = q["elapsed"]
    rest = [None] * max(k - 1, 0) + q["reforecast_calls"][max(k - 1, 0):]
    return _interval_chart(q["labels"], label("Calls"), [
        {"name": label("Actual"), "type": "bar", "data": q["offered"], "itemStyle": {"opacity": 0.7}},
        {"name": label("Forecast"), "type": "line", "symbol": "none", "data": q["forecast_calls"]},
        {"name": label("Re-forecast"), "type": "line", "symbol": "none", "lineStyle": {"type": "dashed"},
         "data": rest},
    ])


def intraday_staffing_chart(q: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    """Agents on the phones: scheduled, required by the plan, and required by the re-forecast (rest of day)."""
    k = q["elapsed"]
    return _interval_chart(q["labels"], label("Agents"), [
        {"name": label("Scheduled"), "type": "bar", "data": q["scheduled"], "itemStyle": {"opacity": 0.5}},
        _step_line(label("Required (plan)"), q["required"]),
        _step_line(label("Required (re-forecast)"), [None] * k + q["required_now"][k:],
                   lineStyle={"type": "dashed"}),
    ], minInterval=1)

"""Intraday management (R-WFM-4), pure: actual vs forecast per interval, adherence per agent, a damped
re-forecast of the rest of the day with the staffing it implies, and the QA/trainer backup pool.

No database, no clock: the published plan, the contact records, the agent-state segments and `now` come in
as arguments; figures come out.  Contact and adherence figures are `hotline.reports.kpi`'s (KPI.md §3, §4,
§6), not a second implementation.  Method and parameters: docs/reference/wfm.md, "Intraday".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from hotline.core.clock import LOCAL_TZ
from hotline.reports import kpi
from hotline.wfm import erlang

# A schedule activity (hotline.wfm.schedule) -> the KPI.md activity whose adherence rule applies to it.
KPI_ACTIVITY = {"shift": "shift", "break": "break", "meal": "lunch", "lunch": "lunch", "training": "training"}
PRIOR_CALLS = 60.0  # evidence damping: the observed ratio counts F / (F + PRIOR_CALLS) (F = calls forecast so far)
PRIOR_ANSWERED = 30.0  # the same for the AHT ratio (by answered contacts)
DECAY = 0.9  # per interval ahead, the deviation from 1 keeps this share (30 min: half after ~3.3 h)
RATIO_BOUNDS = (0.25, 4.0)


@dataclass(frozen=True, slots=True)
class QueuePlan:
    """The published plan of one queue for one local day: per interval, forecast calls and AHT, agents
    required by the plan and agents scheduled on the phones (on shift and on no break)."""

    queue: str  # the queue key the contacts carry ("HB.regular")
    day: date
    interval_min: int
    forecast_calls: Sequence[float]
    forecast_aht_s: Sequence[float]
    required: Sequence[int]
    scheduled: Sequence[int]


@dataclass(frozen=True, slots=True)
class Staffing:
    """The service-level target the re-forecast is staffed to (Erlang C, or Erlang A with patience)."""

    target_sl: float = 0.8
    threshold_s: float = 20.0
    patience_s: float | None = None


@dataclass(frozen=True, slots=True)
class Damping:
    """Re-forecast parameters: evidence priors and the per-interval decay of the correction."""

    prior_calls: float = PRIOR_CALLS
    prior_answered: float = PRIOR_ANSWERED
    decay: float = DECAY


@dataclass(slots=True)
class QueueDay:
    """Actual vs forecast, re-forecast and staffing for one queue and day, interval by interval."""

    queue: str
    labels: list[str]  # local "HH:MM"
    elapsed: int  # intervals fully in the past at `now`
    forecast_calls: list[float]
    forecast_aht_s: list[float]
    offered: list[int | None]  # None: the interval has not ended yet
    answered: list[int | None]
    abandoned: list[int | None]
    aht_s: list[float | None]
    service_level: list[float | None]
    volume_ratio: float  # the damped observed/forecast ratio at `now`
    aht_ratio: float
    reforecast_calls: list[float]  # actual for elapsed intervals, damped re-forecast after
    reforecast_aht_s: list[float]
    required: list[int]  # the plan's required agents
    required_now: list[int]  # agents the re-forecast needs on the phones
    scheduled: list[int]
    totals: dict[str, Any] = field(default_factory=dict)


def damped_ratio(observed: float, expected: float, prior: float) -> float:
    """observed / expected shrunk towards 1 by the evidence: (observed + prior) / (expected + prior), bounded."""
    if expected <= 0 and observed <= 0:
        return 1.0
    r = (observed + prior) / (expected + prior) if prior > 0 else (observed / expected if expected > 0 else 1.0)
    return min(max(r, RATIO_BOUNDS[0]), RATIO_BOUNDS[1])


def reforecast(forecast: Sequence[float], actual: Sequence[float], *, ratio: float, decay: float) -> list[float]:
    """The elapsed intervals take their actual values; interval h (1, 2, ...) after them takes
    forecast x (1 + (ratio - 1) x decay^(h-1)): the correction fades back to the plan further ahead."""
    k = len(actual)
    out = [float(a) for a in actual]
    for h, f in enumerate(forecast[k:]):
        out.append(float(f) * (1.0 + (ratio - 1.0) * decay**h))
    return out


def required_agents(
    calls: Sequence[float], aht_s: Sequence[float], interval_min: int, staffing: Staffing
) -> list[int]:
    """Agents on the phones per interval for the target (no shrinkage: breaks are in the schedule)."""
    interval_s = interval_min * 60
    out = []
    for c, h in zip(calls, aht_s, strict=True):
        if c <= 0 or h <= 0:
            out.append(0)
            continue
        load = erlang.offered_load(c, interval_s, h)
        if staffing.patience_s:
            r = erlang.staff_a(load, h, staffing.patience_s, staffing.target_sl, staffing.threshold_s)
        else:
            r = erlang.staff_c(load, h, staffing.target_sl, staffing.threshold_s)
        out.append(int(r.agents))
    return out


def _day_start(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def queue_day(
    plan: QueuePlan,
    contacts: Iterable[kpi.Contact],
    target: kpi.QueueTarget,
    *,
    now: datetime,
    staffing: Staffing | None = None,
    damping: Damping | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> QueueDay:
    """Actual (KPI.md §4, counted in the contact's final queue by `queued_at`) vs forecast for every interval
    that has ended at `now`, the damped re-forecast of the others and the agents it needs."""
    d = damping or Damping()
    st = staffing or Staffing(target.sl_target, target.sl_threshold_s)
    n = len(plan.forecast_calls)
    if not (len(plan.forecast_aht_s) == len(plan.required) == len(plan.scheduled) == n):
        raise ValueError("plan: forecast_calls, forecast_aht_s, required and scheduled need the same length")
    step = timedelta(minutes=plan.interval_min)
    start = _day_start(plan.day, tz)
    elapsed = max(0, min(n, math.floor((now - start) / step)))
    figures = kpi.queue_interval(
        [c for c in contacts if c.queued_at is not None and c.final_queue == plan.queue],
        {plan.queue: target},
        interval_minutes=plan.interval_min,
        period=(plan.day, plan.day),
        fill=True,
        tz=tz,
    ).get(plan.queue, {})
    keys = [(start + i * step).strftime("%Y-%m-%dT%H:%M") for i in range(n)]
    counts = [figures[k].contacts if k in figures else kpi.ContactCounts() for k in keys]
    past = counts[:elapsed]
    offered = [c.offered for c in past]
    f_calls = [float(v) for v in plan.forecast_calls]
    f_aht = [float(v) for v in plan.forecast_aht_s]
    volume = damped_ratio(sum(offered), sum(f_calls[:elapsed]), d.prior_calls)
    answered = sum(c.answered for c in past)
    expected_handle = sum(c.answered * h for c, h in zip(past, f_aht, strict=False))
    aht_ratio = (
        damped_ratio(sum(c.handle_s for c in past), expected_handle, d.prior_answered * _mean(f_aht))
        if answered
        else 1.0
    )
    re_calls = reforecast(f_calls, offered, ratio=volume, decay=d.decay)
    re_aht = [(c.aht_s or f) for c, f in zip(past, f_aht, strict=False)] + reforecast(
        f_aht[elapsed:], [], ratio=aht_ratio, decay=d.decay
    )
    future = re_calls[elapsed:]
    need = [0] * elapsed + required_agents(future, re_aht[elapsed:], plan.interval_min, st)
    total = kpi.ContactCounts()
    for c in past:
        total += c
    hidden: list[None] = [None] * (n - elapsed)
    return QueueDay(
        queue=plan.queue,
        labels=[k[11:] for k in keys],
        elapsed=elapsed,
        forecast_calls=f_calls,
        forecast_aht_s=f_aht,
        offered=[*offered, *hidden],
        answered=[*(c.answered for c in past), *hidden],
        abandoned=[*(c.abandoned for c in past), *hidden],
        aht_s=[*(c.aht_s for c in past), *hidden],
        service_level=[*(c.service_level for c in past), *hidden],
        volume_ratio=volume,
        aht_ratio=aht_ratio,
        reforecast_calls=re_calls,
        reforecast_aht_s=re_aht,
        required=[int(v) for v in plan.required],
        required_now=need,
        scheduled=[int(v) for v in plan.scheduled],
        totals={
            "offered": total.offered,
            "answered": total.answered,
            "abandoned": total.abandoned,
            "forecast_so_far": sum(f_calls[:elapsed]),
            "forecast_day": sum(f_calls),
            "reforecast_day": sum(re_calls),
            "service_level": total.service_level,
            "aht_s": total.aht_s,
            "abandonment_rate": total.abandonment_rate,
        },
    )


def _mean(values: Sequence[float]) -> float:
    good = [v for v in values if v > 0]
    return sum(good) / len(good) if good else 0.0


# ------------------------------------------------------------------------------------------ adherence
@dataclass(frozen=True, slots=True)
class Adherence:
    """One agent's adherence so far today (KPI.md §6), with what the plan and the agent do at `now`."""

    agent_id: str
    scheduled_s: float
    adherent_s: float
    planned_now: str  # shift | break | lunch | training | "" (not scheduled now)
    state_now: str  # the agent state at now ("logged_out" when none)
    reason_now: str
    in_adherence_now: bool | None  # None when nothing is scheduled now

    @property
    def adherence(self) -> float | None:
        return kpi.ratio(self.adherent_s, self.scheduled_s)

    @property
    def out_of_adherence_s(self) -> float:
        return self.scheduled_s - self.adherent_s


def _clip(a: datetime, b: datetime, now: datetime) -> tuple[datetime, datetime] | None:
    b = min(b, now)
    return (a, b) if b > a else None


def adherence(
    schedule: Iterable[kpi.ScheduleActivity],
    states: Iterable[kpi.AgentStateSegment],
    *,
    now: datetime,
    day: date | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, Adherence]:
    """Per scheduled agent: KPI.md's adherence (second by second over scheduled time) up to `now`; the
    schedule's `meal` counts as KPI.md's lunch. Scheduled time after `now` is not judged yet. With `day`,
    only that local day's part of the schedule counts (KPI.md §2.5: split at local midnight), so a night
    shift from the evening before counts from 00:00, and only agents scheduled that day are listed."""
    acts = list(schedule)
    segs = list(states)
    clipped_acts = []
    for a in acts:
        span = _clip(a.start, a.end, now)
        if span:
            clipped_acts.append(kpi.ScheduleActivity(a.agent_id, a.date, KPI_ACTIVITY[a.activity], *span))
    clipped_segs = []
    for s in segs:
        span = _clip(s.started_at, s.ended_at, now)
        if span:
            clipped_segs.append(kpi.AgentStateSegment(s.agent_id, s.team, s.state, s.reason, *span))
    times = kpi.agent_time(clipped_segs, clipped_acts, calendar=kpi.Calendar(30, tz))
    out: dict[str, Adherence] = {}
    key = day.isoformat() if day else None
    lo, hi = day_bounds(day, tz) if day else (None, None)
    listed = {a.agent_id for a in acts if lo is None or hi is None or (a.start < hi and a.end > lo)}
    for agent in sorted(listed):
        mine = [tc for (ag, d), tc in times.items() if ag == agent and (key is None or d == key)]
        sched = sum(tc.scheduled_s for tc in mine)
        adh = sum(tc.adherent_s for tc in mine)
        planned = _at([(a.start, a.end, KPI_ACTIVITY[a.activity]) for a in acts if a.agent_id == agent], now)
        seg = next(
            (s for s in segs if s.agent_id == agent and s.started_at <= now < s.ended_at), None
        )
        state, reason = (seg.state, seg.reason) if seg else ("logged_out", "")
        ok = None
        if planned:
            allowed = kpi.ADHERENT[planned]
            ok = (state, None) in allowed or (state, reason) in allowed
        out[agent] = Adherence(agent, sched, adh, planned, state, reason, ok)
    return out


def _at(spans: Sequence[tuple[datetime, datetime, str]], now: datetime) -> str:
    """The activity in force at `now` (a break/lunch/training inside a shift wins over the shift)."""
    hits = [name for a, b, name in spans if a <= now < b]
    inner = [h for h in hits if h != "shift"]
    return (inner or hits or [""])[0]


# ------------------------------------------------------------------------------------------ backup pool
@dataclass(frozen=True, slots=True)
class Candidate:
    """A QA inspector or trainer who holds the queue's skill (level 1-5)."""

    user_id: int
    name: str
    role: str
    skill_level: int


@dataclass(frozen=True, slots=True)
class BackupSuggestion:
    """How many of the backup pool to call in, who, and for which remaining intervals."""

    needed: int  # the largest gap (required - scheduled) over the remaining intervals
    gaps: list[tuple[str, int]]  # (interval label, agents short) for every short remaining interval
    people: list[tuple[Candidate, list[str]]]  # each person with the intervals they cover
    shortfall: int  # gap the pool cannot fill (needed - people)


def backup_pool(
    labels: Sequence[str],
    required: Sequence[int],
    scheduled: Sequence[int],
    candidates: Iterable[Candidate],
    *,
    start: int,
) -> BackupSuggestion:
    """From interval `start` on, where required > scheduled: call in max(gap) people, highest skill level
    first (then lowest user id); person i (0-based) covers the intervals whose gap exceeds i."""
    gaps = [
        (labels[i], required[i] - scheduled[i]) for i in range(start, len(labels)) if required[i] > scheduled[i]
    ]
    needed = max((g for _l, g in gaps), default=0)
    pool = sorted(candidates, key=lambda c: (-c.skill_level, c.user_id))[:needed]
    people = [(c, [label for label, g in gaps if g > i]) for i, c in enumerate(pool)]
    return BackupSuggestion(needed, gaps, people, needed - len(pool))


def day_bounds(day: date, tz: tzinfo = LOCAL_TZ) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of a day, tz-aware."""
    start = _day_start(day, tz)
    return start, _day_start(day + timedelta(days=1), tz)


def as_dict(qd: QueueDay) -> dict[str, Any]:
    """JSON-ready figures of one queue day (ratios rounded to 4 places, calls to 0.1)."""
    r1 = lambda v: None if v is None else round(v, 1)
    r4 = lambda v: None if v is None else round(v, 4)
    return {
        "queue": qd.queue,
        "labels": qd.labels,
        "elapsed": qd.elapsed,
        "forecast_calls": [r1(v) for v in qd.forecast_calls],
        "forecast_aht_s": [r1(v) for v in qd.forecast_aht_s],
        "offered": qd.offered,
        "answered": qd.answered,
        "abandoned": qd.abandoned,
        "aht_s": [r1(v) for v in qd.aht_s],
        "service_level": [r4(v) for v in qd.service_level],
        "volume_ratio": round(qd.volume_ratio, 4),
        "aht_ratio": round(qd.aht_ratio, 4),
        "reforecast_calls": [r1(v) for v in qd.reforecast_calls],
        "reforecast_aht_s": [r1(v) for v in qd.reforecast_aht_s],
        "required": qd.required,
        "required_now": qd.required_now,
        "scheduled": qd.scheduled,
        "totals": {k: (r4(v) if isinstance(v, float) else v) for k, v in qd.totals.items()},
    }


def adherence_rows(found: Mapping[str, Adherence]) -> list[dict[str, Any]]:
    """JSON-ready adherence rows."""
    return [
        {
            "agent_id": a.agent_id,
            "scheduled_s": round(a.scheduled_s),
            "adherent_s": round(a.adherent_s),
            "out_of_adherence_s": round(a.out_of_adherence_s),
            "adherence": None if a.adherence is None else round(a.adherence, 4),
            "planned_now": a.planned_now,
            "state_now": a.state_now,
            "reason_now": a.reason_now,
            "in_adherence_now": a.in_adherence_now,
        }
        for a in found.values()
    ]

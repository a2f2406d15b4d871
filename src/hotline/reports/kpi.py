"""Every contact-centre KPI, computed once, exactly as docs/KPI.md defines it.

Pure: no database, no clock, no I/O. Records go in (contacts, agent-state segments, schedule
activities, queue targets); figures come out, each keeping its numerators and denominators
(`ContactCounts`, `TimeCounts`) so that other conventions can be rebuilt from them.

Two drivers share one counting routine:
- the batch functions (`queue_interval`, `queue_day`, `centre_day`, `agent_day`, `team_day`)
  read a whole log at once;
- `KpiAccumulator` takes one finished contact (and one state segment) at a time, in any order,
  for the live wallboard's "today so far", and yields the same figures.

Conventions (docs/reference/kpi.md): local time is Asia/Shanghai; thresholds are inclusive; an
empty denominator gives ``None`` (never 0); targets are compared unrounded.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any, Literal, Self

from hotline.core.clock import LOCAL_TZ

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

STATES = ("logged_out", "ready", "offered", "talking", "hold", "acw", "not_ready")
WORK_STATES = frozenset({"ready", "offered", "talking", "hold", "acw"})
HANDLING_STATES = frozenset({"talking", "hold", "acw"})
NOT_READY_REASONS = ("break", "training", "meeting", "qa", "other")
OUTCOMES = ("self_served", "overflowed", "transferred", "answered", "abandoned")
# Schedule activity -> the (state, reason) that adheres to it; None reason = any reason.
# `meeting` is a hotline extension (KPI.md names shift, break, lunch, training).
ADHERENT: Mapping[str, frozenset[tuple[str, str | None]]] = {
    "shift": frozenset((s, None) for s in WORK_STATES),
    "break": frozenset({("not_ready", "break")}),
    "lunch": frozenset({("not_ready", "break")}),
    "training": frozenset({("not_ready", "training")}),
    "meeting": frozenset({("not_ready", "meeting")}),
}
ACTIVITIES = tuple(ADHERENT)
DEFAULT_SHORT_ABANDON_S = 5.0
FCR_WINDOWS_S = (("fcr_24h", 24 * 3600), ("fcr_7d", 7 * 24 * 3600))
SL_COMPLIANCE_RATIO = 0.85

Scope = Literal["queue", "centre", "agent", "team"]
Period = tuple[date, date]
Value = int | float | bool | None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is empty (never 0)."""
    return numerator / denominator if denominator else None


def _micros(dt: datetime) -> int:
    """Exact integer microseconds since the epoch (so inclusive windows stay exact)."""
    return (dt - _EPOCH) // _US


def _seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """A queue's service-level threshold T, target and short-abandon limit S (seconds)."""

    queue: str
    sl_threshold_s: float
    sl_target: float
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S


@dataclass(frozen=True, slots=True)
class Contact:
    """One row of the contact log (KPI.md §1). Timestamps are tz-aware."""

    contact_id: str
    channel: str
    queue: str
    customer_id: str
    customer_segment: str
    business_type: str
    arrived_at: datetime
    queued_at: datetime | None = None
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    talk_end_at: datetime | None = None
    hold_s: float | None = None
    acw_end_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str = ""
    abandoned_at: datetime | None = None
    agent_id: str = ""
    team: str = ""
    transferred_to_queue: str = ""
    overflowed_to_queue: str = ""
    wrap_up_code: str = ""
    satisfaction: int | None = None

    @property
    def self_served(self) -> bool:
        return self.queued_at is None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def abandoned(self) -> bool:
        return self.abandoned_at is not None

    @property
    def overflowed(self) -> bool:
        return bool(self.overflowed_to_queue)

    @property
    def transferred(self) -> bool:
        """Answered and then transferred (counts in the queue that answered)."""
        return self.answered_at is not None and bool(self.transferred_to_queue)

    @property
    def final_queue(self) -> str:
        """The queue a queued contact is counted in: `overflowed_to_queue`, else `queue`."""
        return self.overflowed_to_queue or self.queue

    @property
    def derived_outcome(self) -> str:
        """The outcome implied by the timestamps, with KPI.md's precedence."""
        if self.queued_at is None:
            return "self_served"
        if self.overflowed_to_queue:
            return "overflowed"
        if self.transferred:
            return "transferred"
        return "answered" if self.answered_at is not None else "abandoned"

    @property
    def wait_s(self) -> float | None:
        """(answered_at or abandoned_at) - queued_at, from the first queue entry."""
        end = self.answered_at or self.abandoned_at
        if self.queued_at is None or end is None:
            return None
        return _seconds(self.queued_at, end)

    @property
    def talk_s(self) -> float | None:
        if self.answered_at is None or self.talk_end_at is None:
            return None
        return _seconds(self.answered_at, self.talk_end_at) - (self.hold_s or 0.0)

    @property
    def acw_s(self) -> float | None:
        if self.talk_end_at is None or self.acw_end_at is None:
            return None
        return _seconds(self.talk_end_at, self.acw_end_at)

    @property
    def handle_s(self) -> float | None:
        """talk + hold + acw = acw_end_at - answered_at (ringing is wait, not handle time)."""
        if self.answered_at is None or self.acw_end_at is None:
            return None
        return _seconds(self.answered_at, self.acw_end_at)

    def problems(self) -> list[tuple[str, str]]:
        """Inconsistencies as (column, message); empty when the row obeys KPI.md §1."""
        out: list[tuple[str, str]] = []
        for name in (
            "arrived_at",
            "queued_at",
            "offered_at",
            "answered_at",
            "talk_end_at",
            "acw_end_at",
            "ended_at",
            "abandoned_at",
        ):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                out.append((name, "timestamp needs a UTC offset"))
        if out:
            return out
        if not self.contact_id:
            out.append(("contact_id", "required"))
        if not self.queue:
            out.append(("queue", "required"))
        if self.queued_at is None:
            for name in ("answered_at", "abandoned_at", "overflowed_to_queue", "transferred_to_queue"):
                if getattr(self, name):
                    out.append((name, "a self-served contact (empty queued_at) cannot have it"))
        else:
            if self.queued_at < self.arrived_at:
                out.append(("queued_at", "before arrived_at"))
            if (self.answered_at is None) == (self.abandoned_at is None):
                out.append(("answered_at", "a queued contact is either answered or abandoned (exactly one)"))
            if self.abandoned_at is not None and self.abandoned_at < self.queued_at:
                out.append(("abandoned_at", "before queued_at"))
        if self.answered_at is not None:
            if self.queued_at is not None and self.answered_at < self.queued_at:
                out.append(("answered_at", "before queued_at"))
            if self.talk_end_at is None:
                out.append(("talk_end_at", "required for an answered contact"))
            elif self.talk_end_at < self.answered_at:
                out.append(("talk_end_at", "before answered_at"))
            elif self.hold_s is not None and not 0 <= self.hold_s <= _seconds(
                self.answered_at, self.talk_end_at
            ):
                out.append(("hold_s", "must lie inside [answered_at, talk_end_at]"))
            if self.acw_end_at is None:
                out.append(("acw_end_at", "required for an answered contact"))
            elif self.talk_end_at is not None and self.acw_end_at < self.talk_end_at:
                out.append(("acw_end_at", "before talk_end_at"))
        if self.overflowed_to_queue and self.overflowed_to_queue == self.queue:
            out.append(("overflowed_to_queue", "same as queue"))
        if self.transferred_to_queue and self.answered_at is None:
            out.append(("transferred_to_queue", "only an answered contact can be transferred"))
        if self.satisfaction is not None and not 1 <= self.satisfaction <= 5:
            out.append(("satisfaction", "must be 1-5"))
        if self.outcome and self.outcome != self.derived_outcome and not out:
            out.append(("outcome", f"the timestamps say {self.derived_outcome!r}"))
        return out


@dataclass(frozen=True, slots=True)
class AgentStateSegment:
    """One agent-state segment [started_at, ended_at); `reason` only for not_ready."""

    agent_id: str
    team: str
    state: str
    reason: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduleActivity:
    """One planned activity [start, end): `shift`, or inside it `break`, `lunch`, `training`."""

    agent_id: str
    date: date
    activity: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ProvinceResult:
    """A province's mystery-call (暗访) raw result."""

    province: str
    mystery_call_raw: float
    calls_made: int | None = None


# --------------------------------------------------------------------------------------------
# Numerators and denominators
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ContactCounts:
    """Additive contact tallies for one scope and period; every figure is derived from these."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_threshold: int = 0
    abandoned_in_threshold: int = 0
    abandoned_after_threshold: int = 0
    answered_wait_s: float = 0.0
    abandoned_wait_s: float = 0.0
    talk_sum_s: float = 0.0
    hold_sum_s: float = 0.0
    acw_sum_s: float = 0.0
    handle_s: float = 0.0
    transferred: int = 0
    overflow_in: int = 0
    overflow_out: int = 0
    self_served: int = 0
    fcr_24h_resolved: int = 0
    fcr_7d_resolved: int = 0
    satisfaction_responses: int = 0
    satisfaction_sum: int = 0
    satisfaction_top2: int = 0

    def count_queued(self, c: Contact, target: QueueTarget | None, resolved: tuple[bool, bool]) -> None:
        """Count one queued contact in this scope, judged by `target`'s T and S."""
        self.offered += 1
        wait = c.wait_s or 0.0
        if c.overflowed_to_queue:
            self.overflow_in += 1
        if c.answered_at is not None:
            self.answered += 1
            self.answered_wait_s += wait
            if target is not None and wait <= target.sl_threshold_s:
                self.answered_in_threshold += 1
            hold = c.hold_s or 0.0
            talk_end = c.talk_end_at or c.answered_at
            acw_end = c.acw_end_at or talk_end
            self.talk_sum_s += _seconds(c.answered_at, talk_end) - hold
            self.hold_sum_s += hold
            self.acw_sum_s += _seconds(talk_end, acw_end)
            self.handle_s += _seconds(c.answered_at, acw_end)
            if c.transferred_to_queue:
                self.transferred += 1
            self.fcr_24h_resolved += resolved[0]
            self.fcr_7d_resolved += resolved[1]
            if c.satisfaction is not None:
                self.satisfaction_responses += 1
                self.satisfaction_sum += c.satisfaction
                self.satisfaction_top2 += c.satisfaction >= 4
        else:
            self.abandoned += 1
            self.abandoned_wait_s += wait
            if target is not None:
                if wait <= target.short_abandon_s:
                    self.short_abandoned += 1
                if wait <= target.sl_threshold_s:
                    self.abandoned_in_threshold += 1
                else:
                    self.abandoned_after_threshold += 1

    def unresolve(self, window: int) -> None:
        """A later contact showed that one counted answered contact was not resolved in window 0/1."""
        if window == 0:
            self.fcr_24h_resolved -= 1
        else:
            self.fcr_7d_resolved -= 1

    def __iadd__(self, other: ContactCounts) -> Self:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def service_level(self) -> float | None:
        """Primary: A_T / (N - Bs)."""
        return ratio(self.answered_in_threshold, self.offered - self.short_abandoned)

    @property
    def service_level_variant_b(self) -> float | None:
        """A_T / (A + B_>T)."""
        return ratio(self.answered_in_threshold, self.answered + self.abandoned_after_threshold)

    @property
    def answer_rate(self) -> float | None:
        """人工接通率: A / (N - Bs)."""
        return ratio(self.answered, self.offered - self.short_abandoned)

    @property
    def abandonment_rate(self) -> float | None:
        """(B - Bs) / (N - Bs)."""
        return ratio(self.abandoned - self.short_abandoned, self.offered - self.short_abandoned)

    @property
    def asa_s(self) -> float | None:
        return ratio(self.answered_wait_s, self.answered)

    @property
    def aht_s(self) -> float | None:
        return ratio(self.handle_s, self.answered)

    @property
    def avg_talk_s(self) -> float | None:
        return ratio(self.talk_sum_s, self.answered)

    @property
    def avg_hold_s(self) -> float | None:
        return ratio(self.hold_sum_s, self.answered)

    @property
    def avg_acw_s(self) -> float | None:
        return ratio(self.acw_sum_s, self.answered)

    @property
    def avg_abandon_wait_s(self) -> float | None:
        return ratio(self.abandoned_wait_s, self.abandoned)

    @property
    def transfer_rate(self) -> float | None:
        return ratio(self.transferred, self.answered)

    @property
    def fcr_24h(self) -> float | None:
        return ratio(self.fcr_24h_resolved, self.answered)

    @property
    def fcr_7d(self) -> float | None:
        return ratio(self.fcr_7d_resolved, self.answered)

    @property
    def satisfaction_mean(self) -> float | None:
        return ratio(self.satisfaction_sum, self.satisfaction_responses)

    @property
    def satisfaction_top2_share(self) -> float | None:
        return ratio(self.satisfaction_top2, self.satisfaction_responses)


@dataclass(slots=True)
class TimeCounts:
    """Additive agent-time tallies (seconds) for one scope and day."""

    state_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    not_ready_reason_s: dict[str, float] = field(default_factory=dict)
    scheduled_s: float = 0.0
    adherent_s: float = 0.0

    def add_state(self, state: str, reason: str, seconds: float) -> None:
        self.state_s[state] += seconds
        if state == "not_ready":
            key = reason or "other"
            self.not_ready_reason_s[key] = self.not_ready_reason_s.get(key, 0.0) + seconds

    def __iadd__(self, other: TimeCounts) -> Self:
        for k, v in other.state_s.items():
            self.state_s[k] += v
        for k, v in other.not_ready_reason_s.items():
            self.not_ready_reason_s[k] = self.not_ready_reason_s.get(k, 0.0) + v
        self.scheduled_s += other.scheduled_s
        self.adherent_s += other.adherent_s
        return self

    @property
    def logged_in_s(self) -> float:
        return sum(v for k, v in self.state_s.items() if k != "logged_out")

    @property
    def handling_time_s(self) -> float:
        """talking + hold + acw from state time."""
        return sum(self.state_s[s] for s in HANDLING_STATES)

    @property
    def available_s(self) -> float:
        """ready + offered + talking + hold + acw (not_ready is out)."""
        return sum(self.state_s[s] for s in WORK_STATES)

    @property
    def occupancy(self) -> float | None:
        return ratio(self.handling_time_s, self.available_s)

    @property
    def utilisation(self) -> float | None:
        return ratio(self.handling_time_s, self.logged_in_s)

    @property
    def adherence(self) -> float | None:
        return ratio(self.adherent_s, self.scheduled_s)


_QUEUE_KEYS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "answered_in_threshold",
    "abandoned_in_threshold",
    "abandoned_after_threshold",
    "service_level",
    "service_level_variant_b",
    "answer_rate",
    "abandonment_rate",
    "asa_s",
    "aht_s",
    "avg_talk_s",
    "avg_hold_s",
    "avg_acw_s",
    "avg_abandon_wait_s",
    "answered_wait_s",
    "abandoned_wait_s",
    "talk_sum_s",
    "hold_sum_s",
    "acw_sum_s",
    "handle_s",
    "transferred",
    "transfer_rate",
    "overflow_in",
    "overflow_out",
    "self_served",
    "fcr_24h",
    "fcr_7d",
    "fcr_24h_resolved",
    "fcr_7d_resolved",
    "satisfaction_responses",
    "satisfaction_sum",
    "satisfaction_top2",
    "satisfaction_mean",
    "satisfaction_top2_share",
)
_ANSWERED_KEYS = (
    "answered",
    "asa_s",
    "aht_s",
    "avg_talk_s",
    "avg_hold_s",
    "avg_acw_s",
    "answered_wait_s",
    "talk_sum_s",
    "hold_sum_s",
    "acw_sum_s",
    "handle_s",
    "transferred",
    "transfer_rate",
    "fcr_24h",
    "fcr_7d",
    "fcr_24h_resolved",
    "fcr_7d_resolved",
    "satisfaction_responses",
    "satisfaction_sum",
    "satisfaction_top2",
    "satisfaction_mean",
    "satisfaction_top2_share",
)
_TIME_KEYS = (
    "logged_in_s",
    "handling_time_s",
    "available_s",
    "scheduled_s",
    "adherent_s",
    "occupancy",
    "utilisation",
    "adherence",
)


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure for one scope (queue, centre, agent or team) and one day or interval."""

    scope: Scope
    key: str  # queue id, agent id, team id; "" for the centre
    period: str  # local day "2026-03-02" or interval start "2026-03-02T09:30"
    contacts: ContactCounts
    time: TimeCounts | None = None
    target: QueueTarget | None = None

    @property
    def met_target(self) -> bool | None:
        """service_level >= sl_target, unrounded; no offered contact means not met."""
        if self.target is None:
            return None
        sl = self.contacts.service_level
        return sl is not None and sl >= self.target.sl_target

    def as_dict(self) -> dict[str, Value]:
        """The figures by name (the keys of expected.json), numerators and denominators included."""
        c = self.contacts
        keys = _ANSWERED_KEYS if self.scope in ("agent", "team") else _QUEUE_KEYS
        out: dict[str, Value] = {k: getattr(c, k) for k in keys}
        if self.scope == "queue" and self.target is not None:
            out["sl_threshold_s"] = self.target.sl_threshold_s
            out["short_abandon_s"] = self.target.short_abandon_s
            out["sl_target"] = self.target.sl_target
            out["met_target"] = self.met_target
        if self.scope == "centre":
            out["overflowed"] = c.overflow_in
        if self.time is not None:
            t = self.time
            out.update({f"{s}_s": v for s, v in t.state_s.items()})
            out.update({k: getattr(t, k) for k in _TIME_KEYS})
        return out

    def __getitem__(self, name: str) -> Value:
        return self.as_dict()[name]


# --------------------------------------------------------------------------------------------
# Local calendar
# --------------------------------------------------------------------------------------------


class Calendar:
    """Local day and interval keys (Asia/Shanghai by default), memoised per UTC minute."""

    def __init__(self, interval_minutes: int = 30, tz: tzinfo = LOCAL_TZ) -> None:
        if interval_minutes <= 0 or 1440 % interval_minutes:
            raise ValueError("interval_minutes must divide a day (15, 30, 60 ...)")
        self.interval_minutes = interval_minutes
        self.tz = tz
        self._cache: dict[int, tuple[str, str]] = {}

    def keys(self, dt: datetime) -> tuple[str, str]:
        """(local day, local interval start) of an instant."""
        if dt.tzinfo is None:
            raise ValueError(f"naive timestamp {dt.isoformat()}: a UTC offset is required")
        minute = math.floor(dt.timestamp() / 60)
        hit = self._cache.get(minute)
        if hit is None:
            local = dt.astimezone(self.tz)
            m = local.hour * 60 + local.minute
            m -= m % self.interval_minutes
            day = local.date().isoformat()
            hit = (day, f"{day}T{m // 60:02d}:{m % 60:02d}")
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[minute] = hit
        return hit

    def day(self, dt: datetime) -> str:
        return self.keys(dt)[0]

    def intervals_of(self, day: str) -> list[str]:
        step = self.interval_minutes
        return [f"{day}T{m // 60:02d}:{m % 60:02d}" for m in range(0, 1440, step)]

    def split_at_midnight(self, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
        """Cut [start, end) at each local midnight: [(local day, piece start, piece end)]."""
        out: list[tuple[str, datetime, datetime]] = []
        while start < end:
            local = start.astimezone(self.tz)
            midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=self.tz)
            cut = min(end, midnight)
            out.append((local.date().isoformat(), start, cut))
            start = cut
        return out


def _days(period: Period) -> list[str]:
    start, end = period
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _span(days: Iterable[str]) -> Period | None:
    ds = sorted(set(days))
    return (date.fromisoformat(ds[0]), date.fromisoformat(ds[-1])) if ds else None


# --------------------------------------------------------------------------------------------
# First-contact resolution (KPI.md §5)
# --------------------------------------------------------------------------------------------


def _fcr_key(c: Contact) -> tuple[str, str] | None:
    return (c.customer_id, c.business_type) if c.customer_id else None


def fcr_flags(contacts: Iterable[Contact]) -> dict[str, tuple[bool, bool]]:
    """contact_id -> (resolved within 24 h, within 7 d) for every answered contact.

    Resolved unless the same customer comes back about the same business type with
    0 < next.arrived_at - this.arrived_at <= W, in any channel and outcome. No end-of-data
    correction. Contacts without a customer id can neither repeat nor be repeated.
    """
    arrivals: dict[tuple[str, str], list[int]] = defaultdict(list)
    answered: list[tuple[str, list[int], int]] = []
    out: dict[str, tuple[bool, bool]] = {}
    for c in contacts:
        if not c.customer_id:
            if c.answered_at is not None:
                out[c.contact_id] = (True, True)
            continue
        ts, t = arrivals[c.customer_id, c.business_type], _micros(c.arrived_at)
        ts.append(t)
        if c.answered_at is not None:
            answered.append((c.contact_id, ts, t))
    for ts in arrivals.values():
        if len(ts) > 1:
            ts.sort()
    w24, w7 = (w * 1_000_000 for _, w in FCR_WINDOWS_S)
    for contact_id, ts, t in answered:
        i = bisect_right(ts, t)
        gap = ts[i] - t if i < len(ts) else None
        out[contact_id] = (gap is None or gap > w24, gap is None or gap > w7)
    return out


class FcrTracker:
    """Incremental FCR: contacts arrive in any order; earlier counts are corrected when a repeat
    shows up. Gives the same resolved counts as `fcr_flags` once all contacts are in."""

    def __init__(self) -> None:
        self._arrivals: dict[tuple[str, str], list[int]] = {}
        # per key, per window: sorted (arrival, seq) of answered contacts still counted as resolved
        self._pending: dict[tuple[str, str], tuple[list[tuple[int, int]], ...]] = {}
        self._touched: dict[int, list[ContactCounts]] = {}
        self._seq = 0
        self._windows = tuple(w * 1_000_000 for _, w in FCR_WINDOWS_S)

    def observe(self, c: Contact, touched: Sequence[ContactCounts]) -> None:
        """Record contact `c`; `touched` are the tallies where `c` (if answered) counted resolved."""
        k = _fcr_key(c)
        if k is None:
            return
        t = _micros(c.arrived_at)
        arrivals = self._arrivals.setdefault(k, [])
        pending = self._pending.setdefault(k, tuple([] for _ in self._windows))
        for wi, w in enumerate(self._windows):  # earlier answered contacts that `c` repeats
            pend = pending[wi]
            lo, hi = bisect_left(pend, (t - w, -1)), bisect_left(pend, (t, -1))
            for _, seq in pend[lo:hi]:
                for counts in self._touched[seq]:
                    counts.unresolve(wi)
            del pend[lo:hi]
        insort(arrivals, t)
        if c.answered_at is None:
            return
        i = bisect_right(arrivals, t)
        gap = arrivals[i] - t if i < len(arrivals) else None
        self._seq += 1
        self._touched[self._seq] = list(touched)
        for wi, w in enumerate(self._windows):
            if gap is not None and gap <= w:
                for counts in touched:
                    counts.unresolve(wi)
            else:
                insort(pending[wi], (t, self._seq))

    def forget_before(self, when: datetime) -> None:
        """Drop history of contacts that arrived before `when` (their counts stay as they are)."""
        cut = _micros(when)
        for k in list(self._arrivals):
            arr = self._arrivals[k]
            del arr[: bisect_left(arr, cut)]
            for pend in self._pending[k]:
                n = bisect_left(pend, (cut, -1))
                for _, seq in pend[:n]:
                    self._touched.pop(seq, None)
                del pend[:n]
            if not arr and not any(self._pending[k]):
                del self._arrivals[k], self._pending[k]


# --------------------------------------------------------------------------------------------
# Attribution (KPI.md §2): one routine shared by the batch functions and the accumulator
# --------------------------------------------------------------------------------------------

_ALL_SCOPES = frozenset({"queue_interval", "queue_day", "centre_day", "agent_day", "team_day"})


class MissingTarget(KeyError):
    """A contact's final queue has no target and no default target was given."""


class _Tally:
    """Contact tallies per (scope, key, period), filled by `add`."""

    def __init__(
        self,
        targets: Mapping[str, QueueTarget],
        default_target: QueueTarget | None,
        calendar: Calendar,
        scopes: frozenset[str] = _ALL_SCOPES,
        agent_teams: Mapping[str, str] | None = None,
    ) -> None:
        self.targets = targets
        self.default_target = default_target
        self.cal = calendar
        self.scopes = scopes
        self.agent_teams = agent_teams or {}
        self.queue_day: dict[tuple[str, str], ContactCounts] = defaultdict(ContactCounts)
        self.queue_interval: dict[tuple[str, str], ContactCounts] = defaultdict(ContactCounts)
        self.centre_day: dict[str, ContactCounts] = defaultdict(ContactCounts)
        self.agent_day: dict[tuple[str, str], ContactCounts] = defaultdict(ContactCounts)
        self.team_day: dict[tuple[str, str], ContactCounts] = defaultdict(ContactCounts)
        self.queues: set[str] = set(targets)

    def target(self, queue: str) -> QueueTarget | None:
        t = self.targets.get(queue)
        if t is None and self.default_target is not None:
            t = QueueTarget(
                queue,
                self.default_target.sl_threshold_s,
                self.default_target.sl_target,
                self.default_target.short_abandon_s,
            )
        return t

    def add(self, c: Contact, resolved: tuple[bool, bool]) -> list[ContactCounts]:
        """Count one contact everywhere it belongs; return the tallies where it counts answered."""
        s = self.scopes
        if c.queued_at is None:  # self-served: apart, per queue and day of arrived_at
            day, interval = self.cal.keys(c.arrived_at)
            self.queues.add(c.queue)
            if "queue_day" in s:
                self.queue_day[c.queue, day].self_served += 1
            if "queue_interval" in s:
                self.queue_interval[c.queue, interval].self_served += 1
            if "centre_day" in s:
                self.centre_day[day].self_served += 1
            return []
        day, interval = self.cal.keys(c.queued_at)
        final = c.overflowed_to_queue or c.queue
        self.queues.add(final)
        target = self.target(final)
        if target is None and s & {"queue_day", "queue_interval", "centre_day"}:
            raise MissingTarget(f"no target for queue {final!r} (contact {c.contact_id})")
        touched: list[ContactCounts] = []
        if "queue_day" in s:
            touched.append(self.queue_day[final, day])
        if "queue_interval" in s:
            touched.append(self.queue_interval[final, interval])
        if "centre_day" in s:
            touched.append(self.centre_day[day])
        if c.overflowed_to_queue:  # the first queue counts it as overflow_out, on the day queued
            self.queues.add(c.queue)
            if "queue_day" in s:
                self.queue_day[c.queue, day].overflow_out += 1
            if "queue_interval" in s:
                self.queue_interval[c.queue, interval].overflow_out += 1
            if "centre_day" in s:
                self.centre_day[day].overflow_out += 1
        if c.answered_at is not None and c.agent_id:
            if "agent_day" in s:
                touched.append(self.agent_day[c.agent_id, day])
            team = c.team or self.agent_teams.get(c.agent_id, "")
            if "team_day" in s and team:
                touched.append(self.team_day[team, day])
        for counts in touched:
            counts.count_queued(c, target, resolved)
        return touched if c.answered_at is not None else []


# --------------------------------------------------------------------------------------------
# Agent time (KPI.md §6)
# --------------------------------------------------------------------------------------------


def _flatten_schedule(acts: Sequence[ScheduleActivity]) -> list[tuple[datetime, datetime, str]]:
    """Non-overlapping (start, end, activity): breaks, lunch and training override the shift."""
    events: list[tuple[datetime, int, str]] = []
    for a in acts:
        if a.end > a.start:
            events += [(a.start, 1, a.activity), (a.end, -1, a.activity)]
    events.sort(key=lambda e: e[0])
    active: dict[str, int] = defaultdict(int)
    out: list[tuple[datetime, datetime, str]] = []
    i = 0
    while i < len(events):
        t = events[i][0]
        while i < len(events) and events[i][0] == t:
            active[events[i][2]] += events[i][1]
            i += 1
        if i == len(events):
            break
        inner = [a for a, n in active.items() if n > 0 and a != "shift"]
        if len(inner) > 1:
            raise ValueError(
                f"overlapping schedule activities {sorted(inner)} at {t.isoformat()} "
                f"for agent {acts[0].agent_id}"
            )
        current = inner[0] if inner else ("shift" if active["shift"] > 0 else None)
        if current is not None:
            nxt = events[i][0]
            if out and out[-1][1] == t and out[-1][2] == current:
                out[-1] = (out[-1][0], nxt, current)
            else:
                out.append((t, nxt, current))
    return out


def _adherence(
    acts: Sequence[ScheduleActivity], segs: Sequence[AgentStateSegment], cal: Calendar
) -> dict[str, tuple[float, float]]:
    """local day -> (scheduled seconds, adherent seconds) for one agent."""
    plan = [
        (d, a, b, act) for s, e, act in _flatten_schedule(acts) for d, a, b in cal.split_at_midnight(s, e)
    ]
    states = sorted((s for s in segs if s.ended_at > s.started_at), key=lambda s: s.started_at)
    for prev, nxt in pairwise(states):
        if nxt.started_at < prev.ended_at:
            raise ValueError(
                f"overlapping state segments for agent {nxt.agent_id} at {nxt.started_at.isoformat()}"
            )
    out: dict[str, tuple[float, float]] = {}
    j = 0
    for day, a, b, act in plan:
        sched, adh = out.get(day, (0.0, 0.0))
        sched += _seconds(a, b)
        allowed = ADHERENT[act]
        while j < len(states) and states[j].ended_at <= a:
            j += 1
        k = j
        while k < len(states) and states[k].started_at < b:
            st = states[k]
            if (st.state, None) in allowed or (st.state, st.reason) in allowed:
                adh += _seconds(max(a, st.started_at), min(b, st.ended_at))
            k += 1
        out[day] = (sched, adh)
    return out


def agent_time(
    states: Iterable[AgentStateSegment],
    schedule: Iterable[ScheduleActivity] = (),
    *,
    calendar: Calendar | None = None,
) -> dict[tuple[str, str], TimeCounts]:
    """(agent, local day) -> state seconds, scheduled and adherent seconds, split at local midnight."""
    cal = calendar or Calendar()
    out: dict[tuple[str, str], TimeCounts] = defaultdict(TimeCounts)
    by_agent: dict[str, list[AgentStateSegment]] = defaultdict(list)
    for seg in states:
        by_agent[seg.agent_id].append(seg)
        for day, a, b in cal.split_at_midnight(seg.started_at, seg.ended_at):
            out[seg.agent_id, day].add_state(seg.state, seg.reason, _seconds(a, b))
    plans: dict[str, list[ScheduleActivity]] = defaultdict(list)
    for act in schedule:
        plans[act.agent_id].append(act)
    for agent, acts in plans.items():
        for day, (sched, adh) in _adherence(acts, by_agent.get(agent, []), cal).items():
            tc = out[agent, day]
            tc.scheduled_s += sched
            tc.adherent_s += adh
    return dict(out)


def _team_of(
    states: Iterable[AgentStateSegment], cal: Calendar, agent_teams: Mapping[str, str] | None = None
) -> dict[tuple[str, str], str]:
    """(agent, day) -> team from the agent's first state segment that day; (agent, "*") -> fallback
    team (the explicit mapping, else the agent's first segment with a team)."""
    out: dict[tuple[str, str], str] = {}
    for seg in sorted(states, key=lambda s: s.started_at):
        if seg.team:
            out.setdefault((seg.agent_id, "*"), seg.team)
            out.setdefault((seg.agent_id, cal.day(seg.started_at)), seg.team)
    out.update({(agent, "*"): team for agent, team in (agent_teams or {}).items()})
    return out


def _group_time(
    states: Sequence[AgentStateSegment],
    schedule: Sequence[ScheduleActivity],
    cal: Calendar,
    agent_teams: Mapping[str, str] | None = None,
) -> tuple[dict[tuple[str, str], TimeCounts], dict[tuple[str, str], TimeCounts], dict[str, TimeCounts]]:
    """Agent, team and centre time tallies per day (teams and centre sum seconds)."""
    per_agent = agent_time(states, schedule, calendar=cal)
    teams = _team_of(states, cal, agent_teams)
    team_day: dict[tuple[str, str], TimeCounts] = defaultdict(TimeCounts)
    centre: dict[str, TimeCounts] = defaultdict(TimeCounts)
    for seg in states:  # state seconds follow the segment's own team
        for day, a, b in cal.split_at_midnight(seg.started_at, seg.ended_at):
            if seg.team:
                team_day[seg.team, day].add_state(seg.state, seg.reason, _seconds(a, b))
    for (agent, day), tc in per_agent.items():
        centre[day] += tc
        team = teams.get((agent, day)) or teams.get((agent, "*"))
        if team and tc.scheduled_s:
            team_day[team, day].scheduled_s += tc.scheduled_s
            team_day[team, day].adherent_s += tc.adherent_s
    return per_agent, dict(team_day), dict(centre)


# --------------------------------------------------------------------------------------------
# Assembling rows
# --------------------------------------------------------------------------------------------


def _queue_rows(
    tally: _Tally, counts: Mapping[tuple[str, str], ContactCounts], periods: list[str]
) -> dict[str, dict[str, Figures]]:
    out: dict[str, dict[str, Figures]] = {}
    for q in sorted(tally.queues):
        target = tally.target(q)
        out[q] = {
            p: Figures("queue", q, p, counts.get((q, p)) or ContactCounts(), None, target) for p in periods
        }
    return out


def _queue_day_rows(tally: _Tally, period: Period | None) -> dict[str, dict[str, Figures]]:
    span = period or _span(d for _, d in tally.queue_day)
    return _queue_rows(tally, tally.queue_day, _days(span) if span else [])


def _queue_interval_rows(tally: _Tally, period: Period | None, fill: bool) -> dict[str, dict[str, Figures]]:
    if fill:
        span = period or _span(i[:10] for _, i in tally.queue_interval)
        keys = [i for d in (_days(span) if span else []) for i in tally.cal.intervals_of(d)]
        return _queue_rows(tally, tally.queue_interval, keys)
    allowed = set(_days(period)) if period else None
    out: dict[str, dict[str, Figures]] = {}
    for (q, i), counts in sorted(tally.queue_interval.items()):
        if allowed is None or i[:10] in allowed:
            out.setdefault(q, {})[i] = Figures("queue", q, i, counts, None, tally.target(q))
    return out


def _in(period: Period | None, day: str) -> bool:
    return period is None or period[0].isoformat() <= day <= period[1].isoformat()


def _centre_rows(
    tally: _Tally, centre_time: Mapping[str, TimeCounts], period: Period | None
) -> dict[str, Figures]:
    span = period or _span([*tally.centre_day, *centre_time])
    return {
        d: Figures(
            "centre", "", d, tally.centre_day.get(d) or ContactCounts(), centre_time.get(d) or TimeCounts()
        )
        for d in (_days(span) if span else [])
    }


def _keyed_rows(
    scope: Scope,
    counts: Mapping[tuple[str, str], ContactCounts],
    times: Mapping[tuple[str, str], TimeCounts],
    period: Period | None,
) -> dict[str, dict[str, Figures]]:
    out: dict[str, dict[str, Figures]] = {}
    for k, d in sorted({*counts, *times}):
        if _in(period, d):
            out.setdefault(k, {})[d] = Figures(
                scope, k, d, counts.get((k, d)) or ContactCounts(), times.get((k, d)) or TimeCounts()
            )
    return out


# --------------------------------------------------------------------------------------------
# Batch functions
# --------------------------------------------------------------------------------------------


def _batch(
    contacts: Iterable[Contact],
    targets: Mapping[str, QueueTarget] | None,
    default_target: QueueTarget | None,
    cal: Calendar,
    scopes: frozenset[str],
    agent_teams: Mapping[str, str] | None = None,
) -> _Tally:
    contacts = contacts if isinstance(contacts, Sequence) else list(contacts)
    flags = fcr_flags(contacts)
    tally = _Tally(targets or {}, default_target, cal, scopes, agent_teams)
    for c in contacts:
        tally.add(c, flags.get(c.contact_id, (True, True)))
    return tally


def queue_interval(
    contacts: Iterable[Contact],
    targets: Mapping[str, QueueTarget],
    *,
    interval_minutes: int = 30,
    period: Period | None = None,
    fill: bool = False,
    default_target: QueueTarget | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, dict[str, Figures]]:
    """queue -> local interval start -> figures (only intervals with activity unless `fill`)."""
    cal = Calendar(interval_minutes, tz)
    tally = _batch(contacts, targets, default_target, cal, frozenset({"queue_interval"}))
    return _queue_interval_rows(tally, period, fill)


def queue_day(
    contacts: Iterable[Contact],
    targets: Mapping[str, QueueTarget],
    *,
    period: Period | None = None,
    default_target: QueueTarget | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, dict[str, Figures]]:
    """queue -> local day -> figures, for every queue (targets and data) and every day of the period.

    The period defaults to the first to the last day that has a contact; days without an offered
    contact are present (service_level None, met_target False).
    """
    tally = _batch(contacts, targets, default_target, Calendar(30, tz), frozenset({"queue_day"}))
    return _queue_day_rows(tally, period)


def centre_day(
    contacts: Iterable[Contact],
    targets: Mapping[str, QueueTarget],
    *,
    states: Sequence[AgentStateSegment] = (),
    schedule: Sequence[ScheduleActivity] = (),
    period: Period | None = None,
    default_target: QueueTarget | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, Figures]:
    """local day -> centre figures: every contact pooled once, each by its own queue's T and S."""
    cal = Calendar(30, tz)
    tally = _batch(contacts, targets, default_target, cal, frozenset({"centre_day"}))
    _, _, centre = _group_time(states, schedule, cal)
    return _centre_rows(tally, centre, period)


def agent_day(
    contacts: Iterable[Contact],
    *,
    states: Sequence[AgentStateSegment] = (),
    schedule: Sequence[ScheduleActivity] = (),
    period: Period | None = None,
    targets: Mapping[str, QueueTarget] | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, dict[str, Figures]]:
    """agent -> local day -> figures of the contacts the agent answered (by day of queued_at)
    and of the agent's time (split at local midnight)."""
    cal = Calendar(30, tz)
    tally = _batch(contacts, targets, None, cal, frozenset({"agent_day"}))
    per_agent, _, _ = _group_time(states, schedule, cal)
    return _keyed_rows("agent", tally.agent_day, per_agent, period)


def team_day(
    contacts: Iterable[Contact],
    *,
    states: Sequence[AgentStateSegment] = (),
    schedule: Sequence[ScheduleActivity] = (),
    period: Period | None = None,
    targets: Mapping[str, QueueTarget] | None = None,
    agent_teams: Mapping[str, str] | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> dict[str, dict[str, Figures]]:
    """team -> local day -> figures (teams sum counts and seconds, then divide).

    A contact counts in its `team` column (else `agent_teams[agent_id]`); state seconds in the
    segment's team; scheduled and adherent seconds in the agent's team of that day.
    """
    cal = Calendar(30, tz)
    tally = _batch(contacts, targets, None, cal, frozenset({"team_day"}), agent_teams)
    _, per_team, _ = _group_time(states, schedule, cal, agent_teams)
    return _keyed_rows("team", tally.team_day, per_team, period)


# --------------------------------------------------------------------------------------------
# Live accumulator
# --------------------------------------------------------------------------------------------


class KpiAccumulator:
    """Today-so-far for the wallboard: add finished contacts one at a time (any order, each once)
    and state segments as they close; read the same figures as the batch functions at any time.

    It is centre-wide rather than one object per queue because FCR looks across queues and
    channels and overflow moves a contact between queues; `queue(name, period)` reads one queue.
    """

    def __init__(
        self,
        targets: Mapping[str, QueueTarget],
        *,
        default_target: QueueTarget | None = None,
        interval_minutes: int = 30,
        tz: tzinfo = LOCAL_TZ,
        agent_teams: Mapping[str, str] | None = None,
    ) -> None:
        self._cal = Calendar(interval_minutes, tz)
        self._agent_teams = dict(agent_teams or {})
        self._tally = _Tally(targets, default_target, self._cal, _ALL_SCOPES, self._agent_teams)
        self._fcr = FcrTracker()
        self._seen: dict[str, str] = {}  # contact_id -> day it was counted on
        self._states: list[AgentStateSegment] = []
        self._schedule: list[ScheduleActivity] = []

    def add_contact(self, contact: Contact) -> bool:
        """Count one finished contact; False (and nothing counted) if it was already added."""
        if contact.contact_id in self._seen:
            return False
        touched = self._tally.add(contact, (True, True))
        self._fcr.observe(contact, touched)
        self._seen[contact.contact_id] = self._cal.day(contact.queued_at or contact.arrived_at)
        return True

    def add_state(self, segment: AgentStateSegment) -> None:
        """Record one closed agent-state segment."""
        self._states.append(segment)

    def set_schedule(self, activities: Iterable[ScheduleActivity]) -> None:
        """Replace the schedule that adherence is measured against."""
        self._schedule = list(activities)

    def queue(self, queue: str, period: str) -> Figures:
        """One queue's figures for a local day ("2026-03-02") or interval ("2026-03-02T09:30")."""
        counts = (self._tally.queue_interval if "T" in period else self._tally.queue_day).get((queue, period))
        return Figures("queue", queue, period, counts or ContactCounts(), None, self._tally.target(queue))

    def queue_day(self, *, period: Period | None = None) -> dict[str, dict[str, Figures]]:
        return _queue_day_rows(self._tally, period)

    def queue_interval(
        self, *, period: Period | None = None, fill: bool = False
    ) -> dict[str, dict[str, Figures]]:
        return _queue_interval_rows(self._tally, period, fill)

    def centre_day(self, *, period: Period | None = None) -> dict[str, Figures]:
        _, _, centre = _group_time(self._states, self._schedule, self._cal)
        return _centre_rows(self._tally, centre, period)

    def agent_day(self, *, period: Period | None = None) -> dict[str, dict[str, Figures]]:
        per_agent, _, _ = _group_time(self._states, self._schedule, self._cal)
        return _keyed_rows("agent", self._tally.agent_day, per_agent, period)

    def team_day(self, *, period: Period | None = None) -> dict[str, dict[str, Figures]]:
        _, per_team, _ = _group_time(self._states, self._schedule, self._cal, self._agent_teams)
        return _keyed_rows("team", self._tally.team_day, per_team, period)

    def forget_before(self, day: date) -> None:
        """Drop tallies, segments and FCR history before local `day` (keeps a long-running board small)."""
        cut = day.isoformat()
        t = self._tally
        for table in (t.queue_day, t.queue_interval, t.agent_day, t.team_day):
            for k in [k for k in table if k[1][:10] < cut]:
                del table[k]
        for d in [d for d in t.centre_day if d < cut]:
            del t.centre_day[d]
        self._seen = {k: d for k, d in self._seen.items() if d >= cut}
        start = datetime.combine(day, time(0), tzinfo=self._cal.tz)
        self._fcr.forget_before(start - timedelta(seconds=FCR_WINDOWS_S[-1][1]))
        self._states = [s for s in self._states if s.ended_at > start]


# --------------------------------------------------------------------------------------------
# Group scoring rules (KPI.md §7)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compliance:
    """Daily SL compliance of one queue over a period."""

    queue: str
    days_met: tuple[str, ...]
    days_in_period: int
    compliance_ratio: float | None
    compliance_score: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "days_met": list(self.days_met),
            "days_in_period": self.days_in_period,
            "compliance_ratio": self.compliance_ratio,
            "compliance_score": self.compliance_score,
        }


def sl_compliance(
    queue_days: Mapping[str, Mapping[str, Figures]],
    *,
    ratio_needed: float = SL_COMPLIANCE_RATIO,
    full_marks: float = 1.0,
) -> dict[str, Compliance]:
    """Per queue: days met / days in the period (from `queue_day` rows); full marks when >= 0.85."""
    out: dict[str, Compliance] = {}
    for q, days in queue_days.items():
        met = tuple(sorted(d for d, f in days.items() if f.met_target))
        r = ratio(len(met), len(days))
        score = None if r is None else (full_marks if r >= ratio_needed else 0.0)
        out[q] = Compliance(q, met, len(days), r, score)
    return out


@dataclass(frozen=True, slots=True)
class MysteryCallScores:
    """Mystery-call (暗访) score per province, uncapped, with the capped-at-weight figure beside it."""

    national_min: float | None
    national_mean: float | None
    score: dict[str, float | None]
    score_capped: dict[str, float | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "national_min": self.national_min,
            "national_mean": self.national_mean,
            "score": self.score,
            "score_capped": self.score_capped,
        }


def mystery_call_scores(results: Iterable[ProvinceResult], *, weight: float = 1.0) -> MysteryCallScores:
    """weight x (raw - national min) / (national mean - national min); min and simple mean."""
    rows = list(results)
    if not rows:
        return MysteryCallScores(None, None, {}, {})
    raws = [r.mystery_call_raw for r in rows]
    lo, mean = min(raws), sum(raws) / len(raws)
    score: dict[str, float | None] = {}
    for r in rows:
        x = ratio(r.mystery_call_raw - lo, mean - lo)
        score[r.province] = None if x is None else weight * x
    capped = {p: None if s is None else min(s, weight) for p, s in score.items()}
    return MysteryCallScores(lo, mean, score, capped)

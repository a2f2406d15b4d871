"""24x7 shift scheduling: shifts, meal and rest breaks, days off, weekly hours, rest between shifts,
night-shift limits, skills per queue (分品牌排班), availability and preferences.

Pure: requirements and rules in, a schedule out (no I/O, no clock).  Two stages:

* covering: n[d, t, k, q] = how many shifts of template t with break pattern k start on day d for queue
  q, minimising the band objective (_Weights: short beyond the +-5 % band >> intervals outside the band
  >> over beyond it >> any deviation >> shifts): HiGHS LP + fix-and-solve, then an iterated local search;
* rostering: those shifts to agents (greedy, then CP-SAT when needed) under every per-agent rule.

Rules and their defaults are in DEFAULT_RULES and docs/reference/wfm.md.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

DEFAULT_RULES: dict[str, Any] = {
    "shifts": {
        # 8.5 h on site (8 h paid + 30 min unpaid meal), and 6 h / 4 h part-time shifts (兼职); starts
        # on the quarter hour, like the 15-minute forecast intervals (30-minute starts leave every other
        # interval of a ramp out of the +-5 % band)
        "lengths_min": [510, 360, 240],
        "start_step_min": 15,
        "earliest_start": "00:00",
        "latest_start": "23:45",
    },
    # a meal in every shift of at least min_shift_min, starting earliest..latest after the shift start
    "meal": {
        "duration_min": 30,
        "earliest_after_min": 180,
        "latest_after_min": 300,
        "step_min": 30,
        "paid": False,
        "min_shift_min": 361,
    },
    # rests (paid, off the phones): with a meal, the first ends `before_meal_min` before it and the
    # second starts `after_meal_min` after it; without a meal, one rest near the middle of the shift
    "rests": {"duration_min": 15, "before_meal_min": 105, "after_meal_min": 135},
    "week": {"max_days": 5, "max_paid_minutes": 2400, "min_rest_between_shifts_min": 660},
    "night": {"start": "22:00", "end": "06:00", "max_shifts_per_week": 3},
    # agents: "auto" sizes a pool per queue from the requirements; or a list of
    # {id, queues: [...], unavailable: ["YYYY-MM-DD", ...], prefer_start: ["HH:MM", "HH:MM"]}
    "agents": "auto",
    # per (queue, interval): the band is +-tolerance of required, rounded down to whole agents (so an
    # exact count below 20 required); under/over are per agent beyond the band, outside per interval
    # outside it, band_under/band_over per agent of any deviation, shift per shift (cost).  One agent
    # short beyond the band outweighs all (<= 34) intervals that one more shift can push out of it.
    "objective": {
        "under": 10000,
        "outside": 100,
        "over": 10,
        "band_under": 2,
        "band_over": 1,
        "shift": 1,
        "preference": 1,
        "tolerance": 0.05,
    },
    "solver": {"time_limit_s": 50.0, "workers": 2, "seed": 0},
}


def merged_rules(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """DEFAULT_RULES with the given sections/keys replaced; unknown sections are an error."""
    rules = copy.deepcopy(DEFAULT_RULES)
    for key, value in (overrides or {}).items():
        if key not in rules:
            raise ValueError(f"unknown rules section {key!r}; known: {', '.join(DEFAULT_RULES)}")
        if isinstance(rules[key], dict) and isinstance(value, Mapping):
            unknown = set(value) - set(rules[key])
            if unknown:
                raise ValueError(f"unknown key(s) in rules.{key}: {', '.join(sorted(unknown))}")
            rules[key].update(value)
        else:
            rules[key] = value
    return rules


def _hm(text: str, where: str) -> int:
    try:
        h, m = str(text).split(":")
        v = int(h) * 60 + int(m)
    except ValueError:
        raise ValueError(f"{where} must be HH:MM, got {text!r}") from None
    if not 0 <= v < 1440:
        raise ValueError(f"{where} must be between 00:00 and 23:59, got {text!r}")
    return v


@dataclass(frozen=True)
class Agent:
    id: str
    queues: tuple[str, ...]
    unavailable: frozenset[date] = frozenset()
    prefer_start: tuple[int, int] | None = None  # minutes of day window


@dataclass(frozen=True)
class Template:
    start_min: int  # minute of the day
    length_min: int


@dataclass(frozen=True)
class Activity:
    agent_id: str
    day: date
    activity: str  # shift | meal | break
    start: datetime
    end: datetime
    queue: str


@dataclass
class ScheduleResult:
    status: str
    activities: list[Activity]
    interval_min: int
    intervals: list[datetime]
    required: dict[str, list[int]]
    scheduled: dict[str, list[int]]
    solve_s: float
    agents: list[Agent] = field(default_factory=list)

    def within_share(self, tolerance: float = 0.05) -> float:
        """Share of (queue, interval) cells whose scheduled count is within +-tolerance of required."""
        hits = total = 0
        for q, req in self.required.items():
            for r, s in zip(req, self.scheduled[q], strict=True):
                total += 1
                hits += abs(s - r) <= tolerance * r + 1e-9
        return hits / total if total else 1.0

    def summary(self) -> dict[str, Any]:
        shifts = [a for a in self.activities if a.activity == "shift"]
        under = sum(
            max(0, r - s)
            for q in self.required
            for r, s in zip(self.required[q], self.scheduled[q], strict=True)
        )
        over = sum(
            max(0, s - r)
            for q in self.required
            for r, s in zip(self.required[q], self.scheduled[q], strict=True)
        )
        return {
            "status": self.status,
            "within_5pct_share": self.within_share(0.05),
            "intervals": sum(len(v) for v in self.required.values()),
            "under_agent_intervals": under,
            "over_agent_intervals": over,
            "agents_available": len(self.agents),
            "agents_used": len({a.agent_id for a in shifts}),
            "shifts": len(shifts),
            "solve_s": self.solve_s,
        }


def _agents(
    rules: dict[str, Any], queues: Sequence[str], req_minutes: dict[str, float], n_days: int
) -> list[Agent]:
    spec = rules["agents"]
    if spec == "auto":
        # an agent's paid minutes in the horizon: the week's, or fewer days of the longest shift
        longest = max(paid_minutes(t, rules) for t in _templates(rules))
        days = min(n_days, int(rules["week"]["max_days"]))
        paid = min(int(rules["week"]["max_paid_minutes"]), days * longest)
        out = []
        for q in queues:
            n = math.ceil(req_minutes[q] / (0.85 * paid) * 1.4) + 2
            out += [Agent(id=f"{q or 'A'}-{i + 1:03d}", queues=(q,)) for i in range(n)]
        return out
    if not isinstance(spec, list) or not spec:
        raise ValueError("rules.agents must be 'auto' or a non-empty list of agents")
    out = []
    for i, item in enumerate(spec):
        if not isinstance(item, Mapping) or "id" not in item:
            raise ValueError(f"rules.agents[{i}] needs an id")
        qs = tuple(str(q) for q in item.get("queues", queues)) or tuple(queues)
        bad = set(qs) - set(queues)
        if bad:
            raise ValueError(f"rules.agents[{i}] has queues without requirements: {', '.join(sorted(bad))}")
        un = frozenset(date.fromisoformat(str(d)) for d in item.get("unavailable", []))
        pref = item.get("prefer_start")
        window = (_hm(pref[0], "prefer_start"), _hm(pref[1], "prefer_start")) if pref else None
        out.append(Agent(id=str(item["id"]), queues=qs, unavailable=un, prefer_start=window))
    if len({a.id for a in out}) != len(out):
        raise ValueError("rules.agents ids must be unique")
    return out


def _templates(rules: dict[str, Any]) -> list[Template]:
    s = rules["shifts"]
    first, last = (
        _hm(s["earliest_start"], "shifts.earliest_start"),
        _hm(s["latest_start"], "shifts.latest_start"),
    )
    step = int(s["start_step_min"])
    if step <= 0:
        raise ValueError("shifts.start_step_min must be > 0")
    return [Template(st, int(length)) for length in s["lengths_min"] for st in range(first, last + 1, step)]


def break_patterns(template: Template, rules: dict[str, Any]) -> list[list[tuple[str, int, int]]]:
    """Each pattern: [(activity, start offset, end offset)] in minutes from the shift start."""
    meal, rest = rules["meal"], rules["rests"]
    out = []
    rest_len = int(rest["duration_min"])
    if template.length_min < int(meal["min_shift_min"]):
        if rest_len <= 0:
            return [[]]
        mid = template.length_min // 2
        for off in range(mid - 60, mid + 31, int(meal["step_min"])):
            if 0 < off and off + rest_len < template.length_min:
                out.append([("break", off, off + rest_len)])
        if not out:
            raise ValueError(f"no rest placement fits inside a {template.length_min}-minute shift")
        return out
    lo, hi, step = int(meal["earliest_after_min"]), int(meal["latest_after_min"]), int(meal["step_min"])
    for off in range(lo, hi + 1, step):
        m_end = off + int(meal["duration_min"])
        r1 = off - int(rest["before_meal_min"]) - int(rest["duration_min"])
        r2 = m_end + int(rest["after_meal_min"])
        parts = [("meal", off, m_end)]
        if int(rest["duration_min"]) > 0:
            parts += [
                ("break", r1, r1 + int(rest["duration_min"])),
                ("break", r2, r2 + int(rest["duration_min"])),
            ]
        if all(0 < a and b < template.length_min for _n, a, b in parts):
            out.append(sorted(parts, key=lambda p: p[1]))
    if not out:
        raise ValueError(f"no meal/rest placement fits inside a {template.length_min}-minute shift")
    return out


def _is_night(t: Template, rules: dict[str, Any]) -> bool:
    ns, ne = _hm(rules["night"]["start"], "night.start"), _hm(rules["night"]["end"], "night.end")
    for minute in range(t.start_min, t.start_min + t.length_min):
        m = minute % 1440
        if (ns <= m or m < ne) if ns > ne else (ns <= m < ne):
            return True
    return False


def paid_minutes(template: Template, rules: dict[str, Any]) -> int:
    meal = rules["meal"]
    unpaid = not meal["paid"] and template.length_min >= int(meal["min_shift_min"])
    return template.length_min - (int(meal["duration_min"]) if unpaid else 0)


def _greedy_roster(
    need: dict[tuple[int, int, str], int],
    agents: list[Agent],
    days: list[date],
    temps: list[Template],
    night: set[int],
    rules: dict[str, Any],
) -> set[tuple[int, int, int, str]]:
    """A feasible roster: day by day, latest starts first, each shift to the eligible agent with the most
    days left (so that late-week days still find people), then the latest previous end."""
    wk = rules["week"]
    days_left = [int(wk["max_days"])] * len(agents)
    paid_left = [int(wk["max_paid_minutes"])] * len(agents)
    nights_left = [int(rules["night"]["max_shifts_per_week"])] * len(agents)
    prev_end: list[int | None] = [None] * len(
        agents
    )  # end of yesterday's shift, minutes from yesterday 00:00
    out: set[tuple[int, int, int, str]] = set()
    for d, day in enumerate(days):
        todays = sorted(
            ((ti, q) for (d2, ti, q), c in need.items() if d2 == d for _ in range(c)),
            key=lambda tq: -temps[tq[0]].start_min,
        )
        busy: set[int] = set()
        ends: dict[int, int] = {}
        for ti, q in todays:
            t = temps[ti]
            pay = paid_minutes(t, rules)
            best, best_key = None, None
            for ai, ag in enumerate(agents):
                if ai in busy or q not in ag.queues or day in ag.unavailable or days_left[ai] <= 0:
                    continue
                if paid_left[ai] < pay or (ti in night and nights_left[ai] <= 0):
                    continue
                pe = prev_end[ai]
                if pe is not None and 1440 + t.start_min - pe < int(wk["min_rest_between_shifts_min"]):
                    continue
                pref = ag.prefer_start is None or ag.prefer_start[0] <= t.start_min <= ag.prefer_start[1]
                key = (days_left[ai], pref, -1 if pe is None else pe, -ai)
                if best_key is None or key > best_key:
                    best, best_key = ai, key
            if best is None:
                continue
            busy.add(best)
            days_left[best] -= 1
            paid_left[best] -= pay
            nights_left[best] -= ti in night
            ends[best] = t.start_min + t.length_min
            out.add((best, d, ti, q))
        prev_end = [ends.get(ai) for ai in range(len(agents))]
    return out


@dataclass(frozen=True)
class _Weights:
    """Per-cell cost of a coverage count c against required r with band t = floor(tolerance * r):
    under * (under-coverage beyond t) + outside * [|c - r| > t] + over * (over-coverage beyond t)
    + band_under * (all under-coverage) + band_over * (all over-coverage)."""

    under: float
    outside: float
    over: float
    band_under: float
    band_over: float

    @classmethod
    def of(cls, rules: dict[str, Any]) -> _Weights:
        o = rules["objective"]
        return cls(*(float(o[k]) for k in ("under", "outside", "over", "band_under", "band_over")))

    def cost(self, cov: Any, target: Any, tol: Any) -> Any:
        import numpy as np

        d = cov - target
        under, over = np.maximum(-d, 0.0), np.maximum(d, 0.0)
        return (
            self.under * np.maximum(under - tol, 0.0)
            + self.over * np.maximum(over - tol, 0.0)
            + self.outside * (np.abs(d) > tol + 1e-9)
            + self.band_under * under
            + self.band_over * over
        )


def _cover_matrix(
    keys: list[tuple[int, int, int, str]],
    cover: dict[tuple[int, int], list[int]],
    queues: list[str],
    n_int: int,
    per_day: int,
) -> Any:
    """Sparse (queue x interval cell, column) matrix: 1 where a shift of column (day, template, break
    pattern, queue) is on the phone; cell = queue index * n_int + interval."""
    from scipy.sparse import coo_matrix

    rows, cols = [], []
    for j, (d, ti, k, q) in enumerate(keys):
        base = queues.index(q) * n_int + d * per_day
        cells = [base + i for i in cover[ti, k] if d * per_day + i < n_int]
        rows += cells
        cols += [j] * len(cells)
    return coo_matrix(([1.0] * len(rows), (rows, cols)), shape=(len(queues) * n_int, len(keys))).tocsc()


def _repair_roster(
    plan: dict[int, dict[int, tuple[int, int, str]]],
    keys: list[tuple[int, int, int, str]],
    cover: dict[tuple[int, int], list[int]],
    agents: list[Agent],
    days: list[date],
    temps: list[Template],
    night: set[int],
    req: dict[str, list[int]],
    per_day: int,
    rules: dict[str, Any],
    deadline: float,
) -> None:
    """Give agents with room left (every per-agent rule re-checked) the shift that most lowers the band
    objective, while one does: fills what the roster could not staff (PARTIAL) or the covering missed."""
    import time

    import numpy as np

    queues = sorted(req)
    n_int = len(req[queues[0]])
    a_cov = _cover_matrix(keys, cover, queues, n_int, per_day)
    a_t = a_cov.T.tocsr()
    target = np.array([v for q in queues for v in req[q]], dtype=float)
    tol = np.floor(float(rules["objective"]["tolerance"]) * target + 1e-9)
    w, w_s = _Weights.of(rules), float(rules["objective"]["shift"])
    wk, max_nights = rules["week"], int(rules["night"]["max_shifts_per_week"])
    index = {key: j for j, key in enumerate(keys)}
    x = np.zeros(len(keys))
    for shifts in plan.values():
        for d, (ti, k, q) in shifts.items():
            x[index[d, ti, k, q]] += 1
    cov = a_cov @ x

    def can_take(ai: int, d: int, ti: int, q: str) -> bool:
        mine, ag, t = plan.get(ai, {}), agents[ai], temps[ti]
        if q not in ag.queues or days[d] in ag.unavailable or d in mine or len(mine) >= int(wk["max_days"]):
            return False
        paid = sum(paid_minutes(temps[t2], rules) for t2, _k, _q in mine.values())
        if paid + paid_minutes(t, rules) > int(wk["max_paid_minutes"]):
            return False
        if ti in night and sum(t2 in night for t2, _k, _q in mine.values()) >= max_nights:
            return False
        rest = int(wk["min_rest_between_shifts_min"])
        before, after = mine.get(d - 1), mine.get(d + 1)
        if before and 1440 + t.start_min - temps[before[0]].start_min - temps[before[0]].length_min < rest:
            return False
        return not (after and 1440 + temps[after[0]].start_min - t.start_min - t.length_min < rest)

    while time.perf_counter() < deadline:
        here = w.cost(cov, target, tol)
        gains = w_s + a_t @ (w.cost(cov + 1, target, tol) - here)
        placed = False
        for j in np.argsort(gains)[: int((gains < -1e-9).sum())]:
            d, ti, k, q = keys[j]
            ai = next((ai for ai in range(len(agents)) if can_take(ai, d, ti, q)), None)
            if ai is not None:
                plan.setdefault(ai, {})[d] = (ti, k, q)
                cov[a_cov.indices[a_cov.indptr[j] : a_cov.indptr[j + 1]]] += 1
                placed = True
                break
        if not placed:
            return


def _stage1(
    keys: list[tuple[int, int, int, str]],
    cover: dict[tuple[int, int], list[int]],
    temps: list[Template],
    req: dict[str, list[int]],
    queues: list[str],
    skilled: dict[tuple[int, str], int],
    available: list[int],
    n_agents: int,
    n_int: int,
    per_day: int,
    night: set[int],
    rules: dict[str, Any],
    seconds: float,
) -> tuple[dict[tuple[int, int, int, str], int] | None, str]:
    """Shift counts per (day, template, break pattern, queue) minimising the band objective (_Weights)."""
    import time

    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    obj, wk = rules["objective"], rules["week"]
    w, w_s = _Weights.of(rules), float(obj["shift"])
    nk = len(keys)
    cells = [(q, g) for q in queues for g in range(n_int)]
    cell_ix = {c: i for i, c in enumerate(cells)}
    nc = len(cells)
    target = np.array([req[q][g] for q, g in cells], dtype=float)
    tol = np.floor(float(obj["tolerance"]) * target + 1e-9)
    # variables: n (nk) | under in band | under beyond | over in band | over beyond (nc each)
    on_phone = _cover_matrix(keys, cover, queues, n_int, per_day).tocoo()
    rows, cols, vals = on_phone.row.tolist(), on_phone.col.tolist(), on_phone.data.tolist()
    for i in range(nc):  # coverage + under - over == required
        rows += [i] * 4
        cols += [nk + i, nk + nc + i, nk + 2 * nc + i, nk + 3 * nc + i]
        vals += [1.0, 1.0, -1.0, -1.0]
    extra_rows: list[tuple[list[int], list[float], float]] = []
    n_days = max(d for d, *_ in keys) + 1 if keys else 0
    for d in range(n_days):
        for q in queues:
            extra_rows.append(
                ([j for j, key in enumerate(keys) if key[0] == d and key[3] == q], [], skilled[d, q])
            )
        extra_rows.append(([j for j, key in enumerate(keys) if key[0] == d], [], available[d]))
    extra_rows.append((list(range(nk)), [], int(wk["max_days"]) * n_agents))
    paid = [float(paid_minutes(temps[key[1]], rules)) for key in keys]
    extra_rows.append((list(range(nk)), paid, int(wk["max_paid_minutes"]) * n_agents))
    if night:
        extra_rows.append(
            (
                [j for j, key in enumerate(keys) if key[1] in night],
                [],
                int(rules["night"]["max_shifts_per_week"]) * n_agents,
            )
        )
    r0 = nc
    ub_extra = []
    for r, (js, ws, ub) in enumerate(extra_rows):
        rows += [r0 + r] * len(js)
        cols += js
        vals += ws or [1.0] * len(js)
        ub_extra.append(ub)
    nv = nk + 4 * nc
    a = coo_matrix((vals, (rows, cols)), shape=(nc + len(extra_rows), nv)).tocsr()
    lb = np.concatenate([target, np.full(len(extra_rows), -np.inf)])
    ub = np.concatenate([target, np.array(ub_extra, dtype=float)])
    # the LP charges `outside` per agent beyond the band (exact when the miss is one agent, which is
    # the usual case); the local search and CP-SAT below count intervals exactly
    c = np.concatenate(
        [
            np.full(nk, w_s),
            np.full(nc, w.band_under),
            np.full(nc, w.band_under + w.under + w.outside),
            np.full(nc, w.band_over),
            np.full(nc, w.band_over + w.over + w.outside),
        ]
    )
    upper = np.concatenate(
        [[skilled[key[0], key[3]] for key in keys], tol, target - tol, tol, np.full(nc, np.inf)]
    )
    bounds = Bounds(np.zeros(nv), upper)
    cons = LinearConstraint(a, lb, ub)
    integrality = np.concatenate([np.ones(nk), np.zeros(4 * nc)])
    t_start = time.perf_counter()
    relaxed = milp(c, constraints=cons, integrality=np.zeros(nv), bounds=bounds)
    if relaxed.x is None:
        return None, "INFEASIBLE" if relaxed.status == 2 else "UNKNOWN"
    a_cov = a[:nc, :nk].tocsc()
    ext = a[nc:, :nk].T.toarray()  # (shift column, pool row): days, paid minutes, nights used
    ub_ext = np.array(ub_extra, dtype=float)
    cols = [a_cov.indices[a_cov.indptr[j] : a_cov.indptr[j + 1]] for j in range(nk)]
    lp_n = relaxed.x[:nk]
    # fix-and-solve: every shift count may only move to the floor or ceiling of its LP value, which
    # leaves a smaller MIP (the fractional columns), solved within a tenth of the time; kept when better
    # than the plain floor (on a short budget its first solutions can be far worse)
    lo_n, hi_n = np.floor(lp_n + 1e-7), np.ceil(lp_n - 1e-7)
    n = lo_n.copy()
    small = milp(
        c,
        constraints=cons,
        integrality=integrality,
        bounds=Bounds(np.concatenate([lo_n, np.zeros(4 * nc)]), np.concatenate([hi_n, upper[nk:]])),
        options={"time_limit": max(1.0, 0.1 * seconds)},
    )

    def exact(x: Any) -> float:
        return float(w_s * x.sum() + w.cost(a_cov @ x, target, tol).sum())

    if small.x is not None and exact(np.round(small.x[:nk])) < exact(n):
        n = np.round(small.x[:nk])
    cov = a_cov @ n
    used = ext.T @ n
    upper_n = upper[:nk]

    # A column covers a contiguous span of cells minus its break cells, so the cost change of one more
    # (or one fewer) shift is a prefix-sum difference minus a few break cells: vectorised over columns.
    span = {  # (first on-phone interval, end, break intervals between) from the shift's day start
        tk: (min(iv), max(iv) + 1, sorted(set(range(min(iv), max(iv) + 1)) - set(iv)))
        for tk, iv in cover.items()
    }
    lo, hi = np.zeros(nk, dtype=int), np.zeros(nk, dtype=int)
    brk = np.full((nk, max(len(x[2]) for x in span.values())), nc)  # nc: a dummy cell costing 0
    for j, (d, ti, k, q) in enumerate(keys):
        first, end, gap = span[ti, k]
        base, room = cell_ix[q, 0] + d * per_day, n_int - d * per_day  # cells left in the horizon
        lo[j], hi[j] = base + min(first, room), base + min(end, room)
        inside = [base + x for x in gap if x < room]
        brk[j, : len(inside)] = inside
    up, down = np.zeros(nc + 1), np.zeros(nc + 1)  # marginal cost of one more / one fewer agent
    pre_up, pre_down = np.zeros(nc + 1), np.zeros(nc + 1)

    def refresh(cj: Any) -> None:
        now, tg, tl = cov[cj], target[cj], tol[cj]
        here = w.cost(now, tg, tl)
        up[cj] = w.cost(now + 1, tg, tl) - here
        down[cj] = np.where(now > 0, w.cost(now - 1, tg, tl) - here, 0.0)
        pre_up[1:] = np.cumsum(up[:nc])
        pre_down[1:] = np.cumsum(down[:nc])

    def gains(js: Any, sign: float) -> Any:  # objective change of one more (+1) or one fewer (-1) shift
        pre, per = (pre_up, up) if sign > 0 else (pre_down, down)
        return sign * w_s + pre[hi[js]] - pre[lo[js]] - per[brk[js]].sum(axis=-1)

    def fitting(js: Any) -> Any:
        return (n[js] < upper_n[js]) & np.all(ext[js] <= ub_ext - used + 1e-9, axis=-1)

    def apply(j: int, sign: float) -> None:
        n[j] += sign
        cov[cols[j]] += sign
        used[:] += sign * ext[j]
        refresh(cols[j])

    refresh(np.arange(nc))
    # neighbours of a column: the same day and queue, another break pattern, a start 1-2 steps away,
    # or another length with the same start
    group: dict[tuple[int, int, str], list[int]] = {}
    for j, (d, ti, _k, q) in enumerate(keys):
        group.setdefault((d, ti, q), []).append(j)
    step = int(rules["shifts"]["start_step_min"])
    by_start = {(t.start_min, t.length_min): ti for ti, t in enumerate(temps)}
    lengths = sorted({t.length_min for t in temps})
    neighbours = []
    for j, (d, ti, _k, q) in enumerate(keys):
        t = temps[ti]
        near = [ti] + [by_start.get((t.start_min + dt * step, t.length_min)) for dt in (-2, -1, 1, 2)]
        near += [by_start.get((t.start_min, length)) for length in lengths if length != t.length_min]
        js = [j2 for ti2 in near if ti2 is not None for j2 in group.get((d, ti2, q), []) if j2 != j]
        neighbours.append(np.array(js, dtype=int))

    def descend(cand: Any, until: float) -> None:  # add, remove or move single shifts while that improves
        while time.perf_counter() - t_start < until:
            changed = False
            g_add = gains(cand, 1.0)
            for j in cand[np.argsort(g_add)[: int((g_add < -1e-9).sum())]]:
                if gains(j, 1.0) < -1e-9 and fitting(j):
                    apply(j, 1.0)
                    changed = True
            for j in cand[n[cand] > 0]:
                if gains(j, -1.0) < -1e-9:
                    apply(j, -1.0)
                    changed = True
                    continue
                apply(j, -1.0)  # move one unit to the best neighbour
                nb = neighbours[j]
                g = np.where(fitting(nb), gains(nb, 1.0), np.inf) if len(nb) else np.zeros(0)
                best = int(np.argmin(g)) if len(nb) else -1
                if best >= 0 and g[best] < gains(j, 1.0) - 1e-9:
                    apply(int(nb[best]), 1.0)
                    changed = True
                else:
                    apply(j, 1.0)
            if not changed:
                return

    def outside() -> Any:
        return np.flatnonzero(np.abs(cov - target) > tol + 1e-9)

    descend(np.arange(nk), 2 * seconds)  # the first descent may overrun a short budget: it is the rounding
    # iterated local search aimed at the cells outside their band: force one shift out of (or into) a
    # random such cell, descend among the shifts that overlap it, keep the result when it is no worse
    a_rows = a[:nc, :nk].tocsr()
    cell_cols = [a_rows.indices[a_rows.indptr[g] : a_rows.indptr[g + 1]] for g in range(nc)]
    rng = random.Random(int(rules["solver"]["seed"]))
    best_cost = float(w_s * n.sum() + w.cost(cov, target, tol).sum())
    stale = 0
    while time.perf_counter() - t_start < seconds and stale < max(200, 10 * nc) and len(miss := outside()):
        g = int(miss[rng.randrange(len(miss))])
        sign = -1.0 if cov[g] > target[g] else 1.0
        js = cell_cols[g][n[cell_cols[g]] > 0] if sign < 0 else cell_cols[g][fitting(cell_cols[g])]
        stale += 1
        if not len(js):
            continue
        saved = (n.copy(), cov.copy(), used.copy(), up.copy(), down.copy(), pre_up.copy(), pre_down.copy())
        kick = int(js[rng.randrange(len(js))])
        apply(kick, sign)
        near = np.unique(np.concatenate([cell_cols[x] for x in cols[kick]]))
        descend(near[near != kick] if sign < 0 else near, seconds)
        cost = float(w_s * n.sum() + w.cost(cov, target, tol).sum())
        if cost < best_cost - 1e-9:
            stale = 0
        if cost <= best_cost + 1e-9:
            best_cost = cost
        else:
            n[:], cov[:], used[:], up[:], down[:], pre_up[:], pre_down[:] = saved
    counts = {key: int(n[j]) for j, key in enumerate(keys) if n[j] > 0}
    return counts, "FEASIBLE"


def solve(
    required: Mapping[str, Sequence[int]],
    start: datetime,
    interval_min: int,
    rules: Mapping[str, Any] | None = None,
) -> ScheduleResult:
    """Schedule agents to cover `required[queue][i]` agents in interval i (from `start`, every interval_min)."""
    import time

    from ortools.sat.python import cp_model

    rules_ = merged_rules(rules)
    if interval_min <= 0 or 1440 % interval_min:
        raise ValueError(f"interval_min must divide a day, got {interval_min}")
    if start.hour * 60 + start.minute:
        raise ValueError("requirements must start at 00:00 of a day")
    queues = sorted(required)
    n_int = len(required[queues[0]])
    if any(len(required[q]) != n_int for q in queues):
        raise ValueError("every queue needs the same intervals")
    per_day = 1440 // interval_min
    n_days = math.ceil(n_int / per_day)
    days = [start.date() + timedelta(days=d) for d in range(n_days)]
    req = {q: [int(v) for v in required[q]] for q in queues}
    if any(v < 0 for q in queues for v in req[q]):
        raise ValueError("required agents must be >= 0")
    req_minutes = {q: float(sum(req[q]) * interval_min) for q in queues}
    agents = _agents(rules_, queues, req_minutes, n_days)
    # starts off the requirement's interval grid (15-minute starts with 30-minute intervals) are left out
    temps = [t for t in _templates(rules_) if t.start_min % interval_min == 0]
    if not temps or any(t.length_min % interval_min for t in temps):
        raise ValueError("shift starts and lengths must be multiples of the interval")
    patterns = [break_patterns(t, rules_) for t in temps]
    wk, obj = rules_["week"], rules_["objective"]

    # on-phone intervals of (template, break pattern), as interval indices from the shift's day start
    cover: dict[tuple[int, int], list[int]] = {}
    for ti, t in enumerate(temps):
        for k, pat in enumerate(patterns[ti]):
            off = {
                i
                for _n, a, b in pat
                for i in range((t.start_min + a) // interval_min, -(-(t.start_min + b) // interval_min))
            }
            cover[ti, k] = [
                i
                for i in range(t.start_min // interval_min, (t.start_min + t.length_min) // interval_min)
                if i not in off
            ]
    night = {ti for ti, t in enumerate(temps) if _is_night(t, rules_)}
    sp = rules_["solver"]
    t_total = float(sp["time_limit_s"])
    t0 = time.perf_counter()

    def run(model: Any, seconds: float) -> tuple[Any, int]:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(1.0, seconds)
        solver.parameters.num_workers = int(sp["workers"])
        solver.parameters.random_seed = int(sp["seed"])
        return solver, solver.solve(model)

    # ---- stage 1: how many shifts of each template and break pattern, per day and queue.  This is an
    # LP-tight covering MIP; HiGHS (scipy.optimize.milp) proves it optimal in seconds where CP-SAT on 2
    # workers did not converge in 30 s (docs/reference/wfm.md).
    intervals = [start + timedelta(minutes=interval_min * g) for g in range(n_int)]
    skilled = {
        (d, q): sum(1 for ag in agents if q in ag.queues and day not in ag.unavailable)
        for d, day in enumerate(days)
        for q in queues
    }
    available = [sum(1 for ag in agents if day not in ag.unavailable) for day in days]
    keys = [
        (d, ti, k, q)
        for d in range(n_days)
        for ti in range(len(temps))
        for k in range(len(patterns[ti]))
        for q in queues
        if skilled[d, q]
    ]
    counts, status1 = _stage1(
        keys,
        cover,
        temps,
        req,
        queues,
        skilled,
        available,
        len(agents),
        n_int,
        per_day,
        night,
        rules_,
        0.8 * t_total,
    )
    if counts is None:
        empty = {q: [0] * n_int for q in queues}
        return ScheduleResult(
            status1, [], interval_min, intervals, req, empty, time.perf_counter() - t0, agents
        )

    # ---- stage 2: give those shifts to agents (skills, availability, days off, hours, rest, nights)
    need: dict[tuple[int, int, str], int] = {}
    for (d, ti, _k, q), c in counts.items():
        need[d, ti, q] = need.get((d, ti, q), 0) + c
    greedy = _greedy_roster(need, agents, days, temps, night, rules_)
    roster_optimal = len(greedy) == sum(need.values()) and not any(ag.prefer_start for ag in agents)
    if roster_optimal:  # every shift placed and no preferences: nothing left for CP-SAT to improve
        assigned = greedy
    else:
        stage2 = cp_model.CpModel()
        y: dict[tuple[int, int, int, str], Any] = {}
        by_shift: dict[tuple[int, int, str], list[Any]] = {key: [] for key in need}
        for ai, ag in enumerate(agents):
            for d, ti, q in need:
                if q in ag.queues and days[d] not in ag.unavailable:
                    v = y[ai, d, ti, q] = stage2.new_bool_var(f"y{ai}_{d}_{ti}_{q}")
                    by_shift[d, ti, q].append(v)
                    stage2.add_hint(v, (ai, d, ti, q) in greedy)
        missing = []
        for key, c in need.items():
            miss = stage2.new_int_var(0, c, f"miss{key}")
            stage2.add(sum(by_shift[key]) + miss == c)
            stage2.add_hint(miss, c - sum(1 for g in greedy if g[1:] == key))
            missing.append(miss)
        by_ad: dict[tuple[int, int], list[tuple[int, Any]]] = {}
        for (ai, d, ti, _q), v in y.items():
            by_ad.setdefault((ai, d), []).append((ti, v))
        big = 3 * 1440
        pref_terms = []
        for ai, ag in enumerate(agents):
            cells = [by_ad.get((ai, d), []) for d in range(n_days)]
            works = [sum(v for _ti, v in cell) for cell in cells]
            for w in works:
                stage2.add(w <= 1)
            mine = [tv for cell in cells for tv in cell]
            stage2.add(sum(works) <= int(wk["max_days"]))
            stage2.add(
                sum(paid_minutes(temps[ti], rules_) * v for ti, v in mine) <= int(wk["max_paid_minutes"])
            )
            if night:
                stage2.add(
                    sum(v for ti, v in mine if ti in night) <= int(rules_["night"]["max_shifts_per_week"])
                )
            for d in range(n_days - 1):  # rest: next start - this end >= min rest when both days are worked
                if not cells[d] or not cells[d + 1]:
                    continue
                end_d = sum((temps[ti].start_min + temps[ti].length_min) * v for ti, v in cells[d])
                start_n = sum((1440 + temps[ti].start_min) * v for ti, v in cells[d + 1])
                stage2.add(
                    start_n - end_d
                    >= int(wk["min_rest_between_shifts_min"]) - big * (2 - works[d] - works[d + 1])
                )
            if ag.prefer_start:
                lo, hi = ag.prefer_start
                pref_terms += [v for ti, v in mine if not lo <= temps[ti].start_min <= hi]
        stage2.minimize(int(obj["under"]) * 20 * sum(missing) + int(obj["preference"]) * sum(pref_terms))
        solver2, status2 = run(stage2, t_total - (time.perf_counter() - t0))
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            assigned = {key for key, v in y.items() if solver2.value(v)}
        else:  # CP-SAT found nothing in time: keep the greedy roster (feasible by construction)
            assigned = greedy
    status = status1  # FEASIBLE: the covering is a heuristic, so optimality is not claimed
    plan: dict[int, dict[int, tuple[int, int, str]]] = {}  # agent -> day -> (template, break pattern, queue)
    for (d, ti, q), _c in sorted(need.items()):
        who = [ai for ai in range(len(agents)) if (ai, d, ti, q) in assigned]
        ks = [k for k in range(len(patterns[ti])) for _ in range(counts.get((d, ti, k, q), 0))]
        for ai, k in zip(who, ks, strict=False):  # unassignable shifts (if any) are dropped
            plan.setdefault(ai, {})[d] = (ti, k, q)
    if len(assigned) < sum(need.values()):
        status = "PARTIAL"  # some stage-1 shifts could not be given to anyone
    deadline = time.perf_counter() + max(0.5, 0.05 * t_total)
    _repair_roster(plan, keys, cover, agents, days, temps, night, req, per_day, rules_, deadline)

    activities: list[Activity] = []
    scheduled = {q: [0] * n_int for q in queues}
    for ai, shifts in plan.items():
        for d, (ti, k, q) in shifts.items():
            t, day, agent_id = temps[ti], days[d], agents[ai].id
            s0 = datetime(day.year, day.month, day.day) + timedelta(minutes=t.start_min)
            activities.append(Activity(agent_id, day, "shift", s0, s0 + timedelta(minutes=t.length_min), q))
            for name, a, b in patterns[ti][k]:
                activities.append(
                    Activity(agent_id, day, name, s0 + timedelta(minutes=a), s0 + timedelta(minutes=b), q)
                )
            for i in cover[ti, k]:
                if d * per_day + i < n_int:
                    scheduled[q][d * per_day + i] += 1
    elapsed = time.perf_counter() - t0
    activities.sort(key=lambda a: (a.agent_id, a.start, a.activity != "shift"))
    return ScheduleResult(status, activities, interval_min, intervals, req, scheduled, elapsed, agents)

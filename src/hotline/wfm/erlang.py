"""Erlang B, C and A (M/M/n/n, M/M/n, M/M/n+M) computed exactly and stably; staffing and shrinkage.

Pure: no I/O, no clock. Every formula and convention is written down in ``docs/reference/erlang.md``.

Notation
--------
``servers`` (n) is the number of agents on the phones, an integer >= 0.  ``load`` (a) is the offered
load in Erlangs: calls per second x average handle time in seconds (see :func:`offered_load`).
Times (``threshold_s``, ``aht_s``, ``patience_s``) are in seconds.

Numerics
--------
* Erlang B is evaluated in log space: for n >= a as ``log pmf(n; a) - log cdf(n; a)`` of a Poisson(a)
  variable (log-gamma plus the regularised upper incomplete gamma function, where the cdf is at least
  about one half), and for n < a by the terminating backward series ``1/B = sum_j prod_i (n-i)/a``
  whose terms fall geometrically.  There is no factorial, no overflow and no underflow of anything but
  the final answer, from 1 to millions of servers.
* Erlang A uses the closed forms of Mandelbaum & Zeltyn with the lower incomplete gamma function
  P(x, y) when the queue tail grows (y > x + 1) and the convergent Kummer series otherwise, so that no
  ratio of two underflowed numbers is ever taken.
* Staffing searches monotone predicates with a galloping bracket and bisection: O(log n) evaluations of
  O(1) (or O(sqrt n) vectorised) cost.
* Shrinkage and occupancy ceilings use exact rational arithmetic on the decimal values the user
  typed, so 21 agents at 30 % shrinkage is exactly 30 scheduled (21 / 0.7 is 30.000000000000004 in
  floating point).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from numbers import Integral, Real

import numpy as np
from scipy import special

__all__ = [
    "ErlangAMetrics",
    "StaffingResult",
    "StaffingTable",
    "asa_a",
    "asa_c",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "log_erlang_b",
    "mean_wait_a",
    "occupancy_a",
    "occupancy_c",
    "offered_load",
    "p_abandon_a",
    "p_abandon_within_a",
    "p_wait_a",
    "p_wait_c",
    "scheduled_with_shrinkage",
    "service_level_a",
    "service_level_a_answered",
    "service_level_a_excl_short_abandons",
    "service_level_a_wait",
    "service_level_c",
    "staff_a",
    "staff_c",
    "staff_c_many",
    "wait_exceeds_c",
]

MAX_SERVERS = 1_000_000
SL_CONVENTIONS_A = ("offered", "answered", "excl_short_abandons", "wait")

# --------------------------------------------------------------------------------------------------
# validation and exact helpers


def _servers(servers: object, name: str = "servers") -> int:
    if isinstance(servers, bool):
        n = -1  # refused below: True is not a head count
    elif isinstance(servers, Integral):
        n = int(servers)
    elif isinstance(servers, Real) and float(servers).is_integer():
        n = int(float(servers))
    else:
        raise ValueError(f"{name} must be an integer >= 0, got {servers!r}")
    if n < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {servers!r}")
    if n > MAX_SERVERS:
        raise ValueError(f"{name} must be at most {MAX_SERVERS}, got {n}")
    return n


def _nonneg(value: object, name: str) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _positive(value: object, name: str) -> float:
    v = _nonneg(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def _probability_open(value: object, name: str) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (0.0 < v < 1.0):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v


def _dec(x: float | Fraction) -> Fraction:
    """The exact decimal the user meant: the shortest decimal that round-trips to this float."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, Integral):
        return Fraction(int(x))
    return Fraction(repr(float(x)))


def _ceil_exact(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _near_integer(q: float) -> bool:
    return abs(q - round(q)) <= 1e-9 * max(1.0, abs(q))


def _ceil_quotient(num: float, den: float, *, complement: bool = False) -> int:
    """ceil(num / den) -- or ceil(num / (1 - den)) -- exactly for the decimals typed.

    Floating point decides unless the quotient is within 1e-9 of an integer; there the exact rational
    answer on the shortest round-tripping decimals decides (21 / (1 - 0.3) = 30, not 31)."""
    q = num / (1.0 - den) if complement else num / den
    if not _near_integer(q):
        return math.ceil(q)
    d = 1 - _dec(den) if complement else _dec(den)
    return _ceil_exact(_dec(num) / d)


def offered_load(calls: float, interval_s: float, aht_s: float) -> float:
    """Offered load in Erlangs = calls x AHT / interval, correctly rounded from the decimal inputs."""
    c = _nonneg(calls, "calls")
    i = _positive(interval_s, "interval_s")
    h = _positive(aht_s, "aht_s")
    if c.is_integer() and h.is_integer() and c * h < 2.0**53:
        return c * h / i  # exact product, one correctly rounded division
    return float(_dec(c) * _dec(h) / _dec(i))


def scheduled_with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that `agents` remain after shrinkage: ceil(agents / (1 - s)), exactly."""
    n = _servers(agents, "agents")
    s = _nonneg(shrinkage, "shrinkage")
    if s >= 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    return _ceil_quotient(float(n), s, complement=True) if n else 0


# --------------------------------------------------------------------------------------------------
# Erlang B


def log_erlang_b(servers: int, load: float) -> float:
    """Natural log of the Erlang B blocking probability B(n, a); -inf when it is exactly 0."""
    n = _servers(servers)
    a = _nonneg(load, "load")
    return _log_b(n, a)


_LOG_2PI = math.log(2.0 * math.pi)


def _stirlerr(n: float) -> float:
    """log(n!) - log(sqrt(2 pi n) (n/e)^n), accurate to full relative precision (Loader 2000)."""
    if n <= 15:
        return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - 0.5 * _LOG_2PI
    nn = n * n
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - (1 / 1188) / nn) / nn) / nn) / nn) / n


def _bd0(x: float, m: float) -> float:
    """x log(x/m) + m - x without cancellation (Loader 2000)."""
    if abs(x - m) < 0.1 * (x + m):
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej = 2.0 * x * v
        v2 = v * v
        for j in range(1, 1000):
            ej *= v2
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
        return s
    return x * math.log(x / m) + m - x


def _log_poisson_pmf(n: int, a: float) -> float:
    """log P(X = n), X ~ Poisson(a), n >= 1, a > 0, to full relative precision of the pmf."""
    return -_stirlerr(n) - _bd0(float(n), a) - 0.5 * (_LOG_2PI + math.log(n))


def _log_b(n: int, a: float) -> float:
    if n == 0:
        return 0.0
    if a == 0.0:
        return -math.inf
    if n >= a:
        # B = pmf(n) / cdf(n) for X ~ Poisson(a); cdf(n) = Q(n+1, a) >= ~1/2 here.
        cdf = float(special.gammaincc(n + 1, a))
        return _log_poisson_pmf(n, a) - math.log(cdf)
    # 1/B = sum_{j=0}^{n} prod_{i=0}^{j-1} (n-i)/a ; every factor < 1, terms fall at least as
    # fast as exp(-j^2 / 2a), so ~12 sqrt(a) terms reach machine precision.
    k = min(n, int(12.0 * math.sqrt(a)) + 60)
    ratio = n / a
    if ratio < 0.5:
        k = min(k, int(40.0 / -math.log(ratio)) + 2) if ratio > 0 else 1
    factors = np.arange(n, n - k, -1, dtype=float) / a
    inv = 1.0 + float(np.cumprod(factors).sum())
    return -math.log(inv)


def erlang_b(servers: int, load: float) -> float:
    """Erlang B: probability that an arrival finds all `servers` busy in a loss system (M/M/n/n)."""
    return math.exp(log_erlang_b(servers, load))


# --------------------------------------------------------------------------------------------------
# Erlang C (M/M/n, infinite patience)


def _c(n: int, a: float) -> float:
    if a == 0.0:
        return 0.0
    if n <= a:
        return 1.0
    b = math.exp(_log_b(n, a))
    return min(1.0, n * b / ((n - a) + a * b))


def erlang_c(servers: int, load: float) -> float:
    """Erlang C: probability that an arrival waits, P(W > 0). Exactly 1 when servers <= load."""
    return _c(_servers(servers), _nonneg(load, "load"))


p_wait_c = erlang_c


def wait_exceeds_c(servers: int, load: float, threshold_s: float, aht_s: float) -> float:
    """Erlang C: P(W > threshold) = C(n, a) exp(-(n - a) T / AHT); 1 when servers <= load."""
    n = _servers(servers)
    a = _nonneg(load, "load")
    t = _nonneg(threshold_s, "threshold_s")
    h = _positive(aht_s, "aht_s")
    return _tail_c(n, a, t, h)


def _tail_c(n: int, a: float, t: float, h: float) -> float:
    if a == 0.0:
        return 0.0
    if n <= a:
        return 1.0
    return _c(n, a) * math.exp(-(n - a) * t / h)


def service_level_c(servers: int, load: float, threshold_s: float, aht_s: float) -> float:
    """Erlang C service level: P(W <= threshold) = 1 - C(n, a) exp(-(n - a) T / AHT); 0 if n <= a."""
    return 1.0 - wait_exceeds_c(servers, load, threshold_s, aht_s)


def asa_c(servers: int, load: float, aht_s: float) -> float:
    """Erlang C average speed of answer (mean wait of all calls), seconds; inf when servers <= load."""
    n = _servers(servers)
    a = _nonneg(load, "load")
    h = _positive(aht_s, "aht_s")
    if a == 0.0:
        return 0.0
    if n <= a:
        return math.inf
    return _c(n, a) * h / (n - a)


def occupancy_c(servers: int, load: float) -> float:
    """Erlang C occupancy = load / servers, capped at 1 (an unstable queue keeps everyone busy)."""
    n = _servers(servers)
    a = _nonneg(load, "load")
    if a == 0.0:
        return 0.0
    if n == 0:
        return 1.0
    return min(1.0, a / n)


# --------------------------------------------------------------------------------------------------
# Erlang A (M/M/n+M, Palm / Garnett-Mandelbaum-Reiman)
#
# With mu = 1/AHT, theta = 1/patience, x = n mu/theta, y = lambda/theta (= a mu/theta) the queue tail
# sum is  S(x, y) = sum_{j>=0} prod_{i=1..j} y/(x+i) = x e^y y^-x gamma(x, y)  (lower incomplete gamma).


def _series_terms(x: float, y: float) -> np.ndarray:
    """prod_{i=1..j} y/(x+i) for j = 1..K, for y <= x + 1 (non-increasing terms)."""
    k = int(10.0 * math.sqrt(x + 1.0)) + 60
    ratio = y / (x + 1.0)
    if 0 < ratio < 0.5:
        k = min(k, int(40.0 / -math.log(ratio)) + 2)
    i = np.arange(1, k + 1, dtype=float)
    return np.cumprod(y / (x + i))


def _tail(x: float, y: float) -> tuple[float, float]:
    """(log S(x, y), (S - 1)/S) computed without cancellation."""
    if y == 0.0:
        return 0.0, 0.0
    if y <= x + 1.0:
        sm1 = float(_series_terms(x, y).sum())
        return math.log1p(sm1), sm1 / (1.0 + sm1)
    # log S = log Gamma(x+1) - x log y + y + log P(x, y), the first three terms without cancellation
    log_s = (
        _stirlerr(x) + 0.5 * (_LOG_2PI + math.log(x)) + _bd0(x, y) + math.log(float(special.gammainc(x, y)))
    )
    return log_s, -math.expm1(-log_s)


def _ratio_s(x: float, z: float, y: float, log_s_xy: float) -> float:
    """S(x, z) / S(x, y) for z <= y, where log S(x, y) is given; both in the series regime."""
    return math.exp(math.log1p(float(_series_terms(x, z).sum())) - log_s_xy) if z > 0 else math.exp(-log_s_xy)


@dataclass(frozen=True)
class ErlangAMetrics:
    """Steady-state measures of one M/M/n+M queue (probabilities are fractions of offered calls)."""

    servers: int
    load: float
    p_wait: float  # P(an arrival finds all agents busy)
    p_abandon: float  # P(an arrival abandons)
    answered_within: float  # P(answered and waited <= threshold)
    abandoned_within: float  # P(abandoned after waiting <= threshold)
    wait_within: float  # P(W <= threshold), W = min(offered wait, patience)
    occupancy: float

    @property
    def service_level(self) -> float:
        """Answered within threshold / offered (abandons are misses) -- the default convention."""
        return self.answered_within

    @property
    def service_level_answered(self) -> float:
        """Answered within threshold / answered."""
        answered = 1.0 - self.p_abandon
        return 1.0 if answered <= 0 else min(1.0, self.answered_within / answered)

    @property
    def service_level_excl_short_abandons(self) -> float:
        """Answered within threshold / (offered - abandoned within threshold)."""
        denom = 1.0 - self.abandoned_within
        return 1.0 if denom <= 0 else min(1.0, self.answered_within / denom)

    @property
    def service_level_wait(self) -> float:
        """P(W <= threshold): answered or abandoned within the threshold both count as met."""
        return self.wait_within

    def as_dict(self) -> dict[str, float]:
        d = asdict(self)
        d.update(
            service_level=self.service_level,
            service_level_answered=self.service_level_answered,
            service_level_excl_short_abandons=self.service_level_excl_short_abandons,
            service_level_wait=self.service_level_wait,
        )
        return d


def _erlang_a(n: int, a: float, t: float, h: float, p: float) -> ErlangAMetrics:
    if a == 0.0:
        return ErlangAMetrics(n, a, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0)
    if n == 0:
        # nobody answers: everyone waits until they abandon
        within = -math.expm1(-t / p)
        return ErlangAMetrics(n, a, 1.0, 1.0, 0.0, within, within, 1.0)
    r = p / h  # mu / theta
    x, y = n * r, a * r
    log_b = _log_b(n, a)
    e_b = math.exp(log_b)
    log_s, sm1_over_s = _tail(x, y)
    # P(wait) = S B / (1 + (S - 1) B), in a form that neither overflows nor cancels
    u = -log_s - log_b  # log(1 / (S B))
    if u > 0:
        eu = math.exp(-u)
        p_wait = eu / (eu + (1.0 - e_b))
    else:
        p_wait = 1.0 / (1.0 + (1.0 - e_b) * math.exp(u))
    served_given_wait = min(1.0, (x / y) * sm1_over_s)  # 1/rho (1 - 1/S)
    qt = t / p  # theta T
    gamma_regime = y > x + 1.0
    if gamma_regime:
        pxy = float(special.gammainc(x, y))
        yq = y * math.exp(-qt)
        late = (x / y) * float(special.gammainc(x + 1.0, yq)) / pxy
        exceed = math.exp(-qt) * float(special.gammainc(x, yq)) / pxy
    else:
        yq = y * math.exp(-qt)
        log_f = -(x + 1.0) * qt - y * math.expm1(-qt)  # log(q^{x+1} e^{y(1-q)})
        # late = q^{x+1} e^{y(1-q)} M(x+1, yq) / M(x, y),  M(x, z) = S(x, z) / x
        s_x1_yq = 1.0 + (float(_series_terms(x + 1.0, yq).sum()) if yq > 0 else 0.0)
        late = math.exp(log_f + math.log(x / (x + 1.0)) + math.log(s_x1_yq) - log_s)
        exceed = math.exp(log_f) * _ratio_s(x, yq, y, log_s)
    late = min(late, served_given_wait)
    exceed = min(1.0, exceed)
    answered_within_w = max(0.0, served_given_wait - late)
    abandoned_within_w = max(0.0, (1.0 - exceed) - answered_within_w)
    p_ab = p_wait * (1.0 - served_given_wait)
    answered_within = (1.0 - p_wait) + p_wait * answered_within_w
    return ErlangAMetrics(
        servers=n,
        load=a,
        p_wait=p_wait,
        p_abandon=p_ab,
        answered_within=min(1.0, answered_within),
        abandoned_within=p_wait * abandoned_within_w,
        wait_within=min(1.0, 1.0 - p_wait * exceed),
        occupancy=min(1.0, a * (1.0 - p_ab) / n),
    )


def erlang_a(
    servers: int, load: float, threshold_s: float, aht_s: float, patience_s: float
) -> ErlangAMetrics:
    """All Erlang A measures at once for `servers` agents, offered `load`, mean patience `patience_s`."""
    return _erlang_a(
        _servers(servers),
        _nonneg(load, "load"),
        _nonneg(threshold_s, "threshold_s"),
        _positive(aht_s, "aht_s"),
        _positive(patience_s, "patience_s"),
    )


def p_wait_a(servers: int, load: float, aht_s: float, patience_s: float) -> float:
    """Erlang A probability that an arrival has to wait (finds all agents busy)."""
    return erlang_a(servers, load, 0.0, aht_s, patience_s).p_wait


def p_abandon_a(servers: int, load: float, aht_s: float, patience_s: float) -> float:
    """Erlang A probability that an arrival abandons before being answered."""
    return erlang_a(servers, load, 0.0, aht_s, patience_s).p_abandon


def p_abandon_within_a(
    servers: int, load: float, threshold_s: float, aht_s: float, patience_s: float
) -> float:
    """Erlang A probability that an arrival abandons after waiting at most `threshold_s`."""
    return erlang_a(servers, load, threshold_s, aht_s, patience_s).abandoned_within


def service_level_a(servers: int, load: float, threshold_s: float, aht_s: float, patience_s: float) -> float:
    """Erlang A service level = answered within threshold / offered (abandons count as misses)."""
    return erlang_a(servers, load, threshold_s, aht_s, patience_s).service_level


def service_level_a_answered(
    servers: int, load: float, threshold_s: float, aht_s: float, patience_s: float
) -> float:
    """Erlang A service level = answered within threshold / answered (abandons ignored)."""
    return erlang_a(servers, load, threshold_s, aht_s, patience_s).service_level_answered


def service_level_a_excl_short_abandons(
    servers: int, load: float, threshold_s: float, aht_s: float, patience_s: float
) -> float:
    """Erlang A service level = answered within threshold / (offered - abandoned within threshold)."""
    return erlang_a(servers, load, threshold_s, aht_s, patience_s).service_level_excl_short_abandons


def service_level_a_wait(
    servers: int, load: float, threshold_s: float, aht_s: float, patience_s: float
) -> float:
    """Erlang A P(W <= threshold): answered or abandoned within the threshold count as met."""
    return erlang_a(servers, load, threshold_s, aht_s, patience_s).service_level_wait


def occupancy_a(servers: int, load: float, aht_s: float, patience_s: float) -> float:
    """Erlang A occupancy = carried load / servers = load (1 - P(abandon)) / servers."""
    return erlang_a(servers, load, 0.0, aht_s, patience_s).occupancy


def mean_wait_a(servers: int, load: float, aht_s: float, patience_s: float) -> float:
    """Erlang A mean wait of all offered calls (answered and abandoned) = P(abandon) x patience."""
    return p_abandon_a(servers, load, aht_s, patience_s) * _positive(patience_s, "patience_s")


def asa_a(servers: int, load: float, aht_s: float, patience_s: float) -> float:
    """Erlang A average speed of answer: mean wait of the answered calls, seconds."""
    n = _servers(servers)
    a = _nonneg(load, "load")
    h = _positive(aht_s, "aht_s")
    p = _positive(patience_s, "patience_s")
    if a == 0.0:
        return 0.0
    if n == 0:
        return math.nan  # nobody is ever answered
    base = _erlang_a(n, a, 0.0, h, p)
    answered = 1.0 - base.p_abandon
    if base.p_wait == 0.0 or answered <= 0.0:
        return 0.0

    return base.p_wait * _answered_wait_given_wait(n * p / h, a * p / h, p) / answered


def _answered_wait_given_wait(x: float, y: float, patience: float) -> float:
    """E[W; answered | wait] in seconds, in closed form.

    E[W; answered | wait] = integral_0^inf gamma(x+1, y e^{-t/p}) / (y gamma(x, y)) dt
                          = (p x / y) sum_{k>=0} R_k / (x + 1 + k),   R_k = P(x+1+k, y) / P(x, y),
    and with tau_j = prod_{i=1..j} y / (x+i) (the terms of S), R_k = sum_{j>k} tau_j / sum_{j>=0} tau_j.
    The tau_j are taken in log space relative to their largest, so nothing overflows."""
    k = int(max(0.0, y - x) + 12.0 * math.sqrt(max(x, y) + 1.0)) + 60
    i = np.arange(1, k + 1, dtype=float)
    log_tau = np.cumsum(math.log(y) - np.log(x + i))
    top = max(0.0, float(log_tau.max()))
    tau = np.exp(log_tau - top)
    total = math.exp(-top) + float(tau.sum())
    tails = np.cumsum(tau[::-1])[::-1]  # tails[k] = sum_{j >= k+1} tau_j
    weighted = float((tails / (x + 1.0 + np.arange(k, dtype=float))).sum())
    return patience * (x / y) * weighted / total


# --------------------------------------------------------------------------------------------------
# staffing


@dataclass(frozen=True)
class StaffingResult:
    """Minimum agents on the phones and the figures they achieve."""

    model: str
    load: float
    agents: int
    scheduled: int
    shrinkage: float
    service_level: float
    p_wait: float
    asa_s: float
    occupancy: float
    p_abandon: float | None = None
    binding: str = "service_level"  # which constraint set the answer

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        if d["p_abandon"] is None:
            del d["p_abandon"]
        return d


def _min_true(pred: Callable[[int], bool], start: int, floor: int = 0) -> int:
    """Smallest n >= floor with pred(n) true, for a monotone pred, galloping from `start`."""
    start = max(start, floor)
    if pred(start):
        hi = start
        lo, step = start, 1
        while True:  # gallop down to a failing point
            cand = max(floor, hi - step)
            if cand == hi:
                return hi
            if pred(cand):
                hi = cand
                if cand == floor:
                    return floor
                step *= 2
            else:
                lo = cand
                break
    else:
        lo, step = start, 1
        while True:
            hi = lo + step
            if hi > MAX_SERVERS:
                raise ValueError(f"no staffing up to {MAX_SERVERS} agents meets the target")
            if pred(hi):
                break
            lo = hi
            step *= 2
    while hi - lo > 1:  # pred(lo) false, pred(hi) true
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _staff_c_sl(a: float, h: float, target: float, t: float, *, start: int) -> tuple[int, float | None]:
    """Smallest n > a with service_level_c >= target, or `start` if that already meets it (n >= start).

    Walks up from `start` with the forward Erlang B recurrence B(n) = a B(n-1) / (n + a B(n-1)) (stable,
    two flops a step) and falls back to galloping search after 64 steps; a result whose service level
    lies within 1e-12 of the target is confirmed with the direct formula, so that it agrees exactly
    with service_level_c.  Returns (n, Erlang C at n when the walk computed it, else None)."""

    def ok(k: int) -> bool:
        return 1.0 - _tail_c(k, a, t, h) >= target

    stable = math.floor(a) + 1
    n = start
    b = math.exp(_log_b(n, a))
    prev_sl = -1.0
    for _ in range(64):
        c = n * b / ((n - a) + a * b)
        sl = 1.0 - c * math.exp(-(n - a) * t / h)
        if sl >= target:
            if abs(sl - target) <= 1e-12 or abs(prev_sl - target) <= 1e-12:
                return _min_true(ok, n, floor=start), None
            return n, c
        prev_sl = sl
        n += 1
        b = a * b / (n + a * b)
    return _min_true(ok, n, floor=max(stable, start)), None


def _occupancy_floor(a: float, max_occupancy: float | None) -> int:
    if max_occupancy is None:
        return 0
    return _ceil_quotient(a, max_occupancy)


def staff_c(
    load: float,
    aht_s: float,
    target_sl: float,
    threshold_s: float,
    *,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingResult:
    """Erlang C: minimum agents with service_level_c >= target_sl (and load/agents <= max_occupancy)."""
    a = _nonneg(load, "load")
    h = _positive(aht_s, "aht_s")
    target = _probability_open(target_sl, "target_sl")
    t = _nonneg(threshold_s, "threshold_s")
    if max_occupancy is not None:
        max_occupancy = _positive(max_occupancy, "max_occupancy")
        if max_occupancy > 1:
            raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    s = _nonneg(shrinkage, "shrinkage")
    c_walk: float | None = None
    if a == 0.0:
        n = 0
        binding = "service_level"
    else:
        n_occ = _occupancy_floor(a, max_occupancy)
        n, c_walk = _staff_c_sl(a, h, target, t, start=max(math.floor(a) + 1, n_occ))
        binding = "occupancy" if n == n_occ > math.floor(a) + 1 else "service_level"
    c = _c(n, a) if c_walk is None else c_walk
    return StaffingResult(
        model="c",
        load=a,
        agents=n,
        scheduled=scheduled_with_shrinkage(n, s),
        shrinkage=s,
        service_level=1.0 if a == 0 else 1.0 - c * math.exp(-(n - a) * t / h),
        p_wait=c,
        asa_s=0.0 if a == 0 else c * h / (n - a),
        occupancy=0.0 if a == 0 else min(1.0, a / n),
        binding=binding,
    )


@dataclass(frozen=True)
class StaffingTable:
    """Erlang C staffing for many intervals/queues at once (numpy arrays, one entry per input)."""

    load: np.ndarray
    agents: np.ndarray
    scheduled: np.ndarray
    service_level: np.ndarray
    p_wait: np.ndarray
    asa_s: np.ndarray
    occupancy: np.ndarray


_STIRLERR_SMALL = np.array([0.0] + [_stirlerr(k) for k in range(1, 16)])


def _stirlerr_v(n: np.ndarray) -> np.ndarray:
    small = n <= 15
    nn = n * n
    big = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - (1 / 1188) / nn) / nn) / nn) / nn) / n
    return np.where(small, _STIRLERR_SMALL[np.minimum(n, 15).astype(np.int64)], big)


def _bd0_v(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    d = x - m
    near = np.abs(d) < 0.1 * (x + m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = x * np.log(x / m) + m - x
    v = d / (x + m)
    v2 = v * v
    series = d * v
    ej = 2.0 * x * v
    for j in range(1, 14):  # |v| < 0.1: 13 terms reach 1e-26 relative
        ej = ej * v2
        series = series + ej / (2 * j + 1)
    return np.where(near, series, direct)


def _sl_c_v(n: np.ndarray, a: np.ndarray, t: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(service level, P(wait)) of Erlang C for arrays with n > a > 0."""
    log_pmf = -_stirlerr_v(n) - _bd0_v(n, a) - 0.5 * (_LOG_2PI + np.log(n))
    b = np.exp(log_pmf - np.log(special.gammaincc(n + 1.0, a)))
    c = np.minimum(1.0, n * b / ((n - a) + a * b))
    return 1.0 - c * np.exp(-(n - a) * t / h), c


def _ceil_quotient_v(num: np.ndarray, den: float, *, complement: bool) -> np.ndarray:
    """Vectorised `_ceil_quotient`: exact rational arithmetic only where the quotient is near an integer."""
    q = num / ((1.0 - den) if complement else den)
    out = np.ceil(q)
    near = np.abs(q - np.round(q)) <= 1e-9 * np.maximum(1.0, np.abs(q))
    for i in np.flatnonzero(near):
        out[i] = _ceil_quotient(float(num[i]), den, complement=complement)
    return out


def staff_c_many(
    loads: np.ndarray | list[float],
    aht_s: np.ndarray | list[float] | float,
    target_sl: float,
    threshold_s: float,
    *,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingTable:
    """Vectorised `staff_c` for many loads (e.g. 96 intervals x 20 queues) in one call; same answers."""
    a = np.asarray(loads, dtype=float).ravel()
    h = np.broadcast_to(np.asarray(aht_s, dtype=float), a.shape).astype(float)
    if a.size and (not np.all(np.isfinite(a)) or a.min() < 0):
        raise ValueError("loads must be finite numbers >= 0")
    if h.size and (not np.all(np.isfinite(h)) or h.min() <= 0):
        raise ValueError("aht_s must be > 0")
    target = _probability_open(target_sl, "target_sl")
    t_s = _nonneg(threshold_s, "threshold_s")
    if max_occupancy is not None:
        max_occupancy = _positive(max_occupancy, "max_occupancy")
        if max_occupancy > 1:
            raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    s = _nonneg(shrinkage, "shrinkage")
    if s >= 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    busy = a > 0
    ab, hb = a[busy], h[busy]
    tb = np.full_like(ab, t_s)
    start = np.floor(ab) + 1.0
    if max_occupancy is not None:
        start = np.maximum(start, _ceil_quotient_v(ab, max_occupancy, complement=False))

    def ok(n: np.ndarray) -> np.ndarray:
        return _sl_c_v(n, ab, tb, hb)[0] >= target

    lo, hi, step = start - 1.0, start.copy(), np.ones_like(start)
    good = ok(hi)
    while not good.all():  # gallop up
        lo = np.where(good, lo, hi)
        hi = np.where(good, hi, hi + step)
        step = np.where(good, step, 2.0 * step)
        good = good | ok(hi)
    while True:  # bisect: ok(hi) holds, ok(lo) fails (or lo is below the admissible start)
        active = hi - lo > 1
        if not active.any():
            break
        mid = np.floor((lo + hi) / 2)
        m = ok(np.where(active, mid, hi))
        hi = np.where(active & m, mid, hi)
        lo = np.where(active & ~m, mid, lo)
    agents = np.zeros_like(a)
    agents[busy] = hi
    sl = np.ones_like(a)
    pw = np.zeros_like(a)
    asa = np.zeros_like(a)
    occ_out = np.zeros_like(a)
    if ab.size:
        sl[busy], pw[busy] = _sl_c_v(hi, ab, tb, hb)
        asa[busy] = pw[busy] * hb / (hi - ab)
        occ_out[busy] = np.minimum(1.0, ab / hi)
    sched = _ceil_quotient_v(agents, s, complement=True)
    return StaffingTable(
        load=a,
        agents=agents.astype(np.int64),
        scheduled=sched.astype(np.int64),
        service_level=sl,
        p_wait=pw,
        asa_s=asa,
        occupancy=occ_out,
    )


def _sl_a(m: ErlangAMetrics, convention: str) -> float:
    if convention == "offered":
        return m.service_level
    if convention == "answered":
        return m.service_level_answered
    if convention == "excl_short_abandons":
        return m.service_level_excl_short_abandons
    if convention == "wait":
        return m.service_level_wait
    raise ValueError(f"sl_convention must be one of {', '.join(SL_CONVENTIONS_A)}, got {convention!r}")


def staff_a(
    load: float,
    aht_s: float,
    patience_s: float,
    target_sl: float,
    threshold_s: float,
    *,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
    sl_convention: str = "offered",
) -> StaffingResult:
    """Erlang A: minimum agents meeting the SL target (default convention: answered within T / offered),
    with P(abandon) <= max_abandon and occupancy <= max_occupancy when given."""
    a = _nonneg(load, "load")
    h = _positive(aht_s, "aht_s")
    p = _positive(patience_s, "patience_s")
    target = _probability_open(target_sl, "target_sl")
    t = _nonneg(threshold_s, "threshold_s")
    if sl_convention not in SL_CONVENTIONS_A:
        raise ValueError(f"sl_convention must be one of {', '.join(SL_CONVENTIONS_A)}, got {sl_convention!r}")
    if max_abandon is not None:
        max_abandon = _probability_open(max_abandon, "max_abandon")
    if max_occupancy is not None:
        max_occupancy = _positive(max_occupancy, "max_occupancy")
        if max_occupancy > 1:
            raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    s = _nonneg(shrinkage, "shrinkage")
    if a == 0.0:
        m = _erlang_a(0, 0.0, t, h, p)
        return StaffingResult("a", a, 0, 0, s, 1.0, 0.0, 0.0, 0.0, 0.0)

    cache: dict[int, ErlangAMetrics] = {}

    def metrics(k: int) -> ErlangAMetrics:
        if k not in cache:
            cache[k] = _erlang_a(k, a, t, h, p)
        return cache[k]

    guess = max(1, int(a))
    n_sl = _min_true(lambda k: _sl_a(metrics(k), sl_convention) >= target, guess, floor=1)
    n = n_sl
    binding = "service_level"
    if max_abandon is not None:
        n_ab = _min_true(lambda k: metrics(k).p_abandon <= max_abandon, n, floor=1)
        if n_ab > n:
            n, binding = n_ab, "abandonment"
    if max_occupancy is not None:
        n_occ = _min_true(lambda k: metrics(k).occupancy <= max_occupancy, n, floor=1)
        if n_occ > n:
            n, binding = n_occ, "occupancy"
    m = metrics(n)
    return StaffingResult(
        model="a",
        load=a,
        agents=n,
        scheduled=scheduled_with_shrinkage(n, s),
        shrinkage=s,
        service_level=_sl_a(m, sl_convention),
        p_wait=m.p_wait,
        asa_s=asa_a(n, a, h, p),
        occupancy=m.occupancy,
        p_abandon=m.p_abandon,
        binding=binding,
    )

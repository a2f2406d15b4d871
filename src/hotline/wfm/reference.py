"""Arbitrary-precision (mpmath) reference values for Erlang B, C and A, for tests and benchmarks only.

Slow and deliberately naive: direct finite sums where possible, the textbook closed forms otherwise,
evaluated with 50 significant digits so that nothing overflows, underflows or cancels.  Needs the
``test`` or ``bench`` extra (mpmath).  Not used by the production code.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp

DPS = 50


def erlang_b(n: int, a: float) -> mp.mpf:
    """B(n, a) from 1/B = sum_{j=0}^{n} n! / ((n-j)! a^j), a direct finite sum."""
    with mp.workdps(DPS):
        if n == 0:
            return mp.mpf(1)
        if a == 0:
            return mp.mpf(0)
        am = mp.mpf(a)
        total, term = mp.mpf(0), mp.mpf(1)
        for j in range(n + 1):
            total += term
            term = term * (n - j) / am
        return 1 / total


def erlang_c(n: int, a: float) -> mp.mpf:
    """P(W > 0) for M/M/n: 1 when n <= a."""
    with mp.workdps(DPS):
        if a == 0:
            return mp.mpf(0)
        if n <= a:
            return mp.mpf(1)
        b = erlang_b(n, a)
        am = mp.mpf(a)
        return n * b / (n - am * (1 - b))


def service_level_c(n: int, a: float, t: float, h: float) -> mp.mpf:
    """P(W <= T) for M/M/n."""
    with mp.workdps(DPS):
        if a == 0:
            return mp.mpf(1)
        if n <= a:
            return mp.mpf(0)
        return 1 - erlang_c(n, a) * mp.exp(-(n - mp.mpf(a)) * mp.mpf(t) / mp.mpf(h))


@dataclass(frozen=True)
class RefA:
    p_wait: mp.mpf
    p_abandon: mp.mpf
    answered_within: mp.mpf
    abandoned_within: mp.mpf
    wait_within: mp.mpf


def erlang_a(n: int, a: float, t: float, h: float, p: float) -> RefA:
    """M/M/n+M measures from the Mandelbaum-Zeltyn closed forms with lower incomplete gamma functions."""
    with mp.workdps(DPS):
        am, tm, hm, pm = (mp.mpf(v) for v in (a, t, h, p))
        r = pm / hm
        x, y = n * r, am * r
        b = erlang_b(n, a)

        def lower(s: mp.mpf, z: mp.mpf) -> mp.mpf:  # unregularised lower incomplete gamma
            return mp.gammainc(s, 0, z)

        gxy = lower(x, y)
        s_tail = x * mp.exp(y) * y ** (-x) * gxy
        p_wait = s_tail * b / (1 + (s_tail - 1) * b)
        served = (1 - 1 / s_tail) * x / y
        q = mp.exp(-tm / pm)
        late = lower(x + 1, y * q) / (y * gxy)
        exceed = q * lower(x, y * q) / gxy
        ans_w = served - late
        return RefA(
            p_wait=p_wait,
            p_abandon=p_wait * (1 - served),
            answered_within=(1 - p_wait) + p_wait * ans_w,
            abandoned_within=p_wait * ((1 - exceed) - ans_w),
            wait_within=1 - p_wait * exceed,
        )


def asa_a(n: int, a: float, h: float, p: float) -> mp.mpf:
    """Mean wait of answered calls: p_wait * integral_0^inf P(answered, W > t | wait) dt / P(answered)."""
    with mp.workdps(30):
        am, hm, pm = (mp.mpf(v) for v in (a, h, p))
        r = pm / hm
        x, y = n * r, am * r
        b = erlang_b(n, a)
        gxy = mp.gammainc(x, 0, y)
        s_tail = x * mp.exp(y) * y ** (-x) * gxy
        p_wait = s_tail * b / (1 + (s_tail - 1) * b)
        served = (1 - 1 / s_tail) * x / y
        # integral over t of lower(x+1, y e^{-t/p}) / (y gxy); substitute v = y e^{-t/p}: dt = p dv / v
        integral = pm * mp.quad(lambda v: mp.gammainc(x + 1, 0, v) / v, [0, y]) / (y * gxy)
        answered = 1 - p_wait * (1 - served)
        return p_wait * integral / answered

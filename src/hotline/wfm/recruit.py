"""Recruiting need: agents to hire each month so a staffing plan is met despite turnover and training.

Pure.  Model (monthly steps, expected values, documented in docs/reference/wfm.md):

* The plan gives, for each month t, the productive headcount required (already including shrinkage,
  e.g. the monthly peak of ``scheduled`` from :func:`hotline.wfm.erlang.staff_c`).
* ``monthly_turnover`` of everyone on the payroll (trainees included) leaves during each month, so a
  group of k people starting month 0 has k (1 - s)^t left at the start of month t.
* A hire starts pre-job training at the start of a month and is unproductive for
  ``ceil(training_hours / class_hours_per_month)`` months (315 class hours at 174 h/month = 2 months),
  then works at ``ramp_up[0]``, ``ramp_up[1]``, ... of full productivity, then at 1.
* Greedy, month by month: if the expected productive FTE of month t falls short, hire the fewest
  people at the latest start month that can still help, t - training_months, so that they reach the
  floor in month t.  A shortfall that no hire can reach in time (t < training_months) is reported as
  ``gap`` and hired for as early as possible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction

__all__ = ["RecruitMonth", "RecruitPlan", "recruiting_plan", "training_months"]

_EPS = 1e-9


@dataclass(frozen=True)
class RecruitMonth:
    """One month of the plan (expected values; `hires` start training at the start of this month)."""

    month: int
    label: str
    required: float
    hires: int
    headcount: float  # on the payroll at the start of the month, trainees included
    in_training: float
    effective_fte: float  # productive FTE at the start of the month
    leavers: float  # expected to leave during the month
    gap: float  # required - effective_fte when positive


@dataclass(frozen=True)
class RecruitPlan:
    """A month-by-month hiring plan."""

    training_months: int
    total_hires: int
    months: tuple[RecruitMonth, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "training_months": self.training_months,
            "total_hires": self.total_hires,
            "months": [asdict(m) for m in self.months],
        }


def training_months(training_hours: float, class_hours_per_month: float) -> int:
    """Whole months of pre-job training: ceil(hours / hours per month), exactly (315 h / 174 h -> 2)."""
    if not (math.isfinite(training_hours) and training_hours >= 0):
        raise ValueError(f"training_hours must be a finite number >= 0, got {training_hours!r}")
    if not (math.isfinite(class_hours_per_month) and class_hours_per_month > 0):
        raise ValueError(f"class_hours_per_month must be > 0, got {class_hours_per_month!r}")
    q = Fraction(repr(float(training_hours))) / Fraction(repr(float(class_hours_per_month)))
    return -((-q.numerator) // q.denominator)


def _productivity(age: int, train: int, ramp_up: Sequence[float]) -> float:
    """Productivity of someone hired `age` months ago (0 while training)."""
    k = age - train
    if k < 0:
        return 0.0
    return float(ramp_up[k]) if k < len(ramp_up) else 1.0


def recruiting_plan(
    *,
    required: Sequence[float],
    current_headcount: float,
    monthly_turnover: float = 0.05,
    training_hours: float = 315.0,
    class_hours_per_month: float = 174.0,
    ramp_up: Sequence[float] = (0.5, 0.8),
    labels: Sequence[str] | None = None,
) -> RecruitPlan:
    """Hires per month so that expected productive FTE meets `required` every month (greedy, latest start)."""
    req = [float(r) for r in required]
    if not req:
        raise ValueError("required must list at least one month")
    if any(not math.isfinite(r) or r < 0 for r in req):
        raise ValueError("required must be finite numbers >= 0")
    if not (math.isfinite(current_headcount) and current_headcount >= 0):
        raise ValueError(f"current_headcount must be >= 0, got {current_headcount!r}")
    if not (0.0 <= monthly_turnover < 1.0):
        raise ValueError(f"monthly_turnover must be in [0, 1), got {monthly_turnover!r}")
    if any(not (0.0 < float(p) <= 1.0) for p in ramp_up):
        raise ValueError("ramp_up values must be in (0, 1]")
    if labels is not None and len(labels) != len(req):
        raise ValueError("labels must have one entry per month of required")
    train = training_months(training_hours, class_hours_per_month)
    keep = 1.0 - monthly_turnover
    horizon = len(req)
    hires = [0] * horizon

    def effective(t: int) -> float:
        fte = current_headcount * keep**t
        for h in range(t + 1):
            if hires[h]:
                fte += hires[h] * keep ** (t - h) * _productivity(t - h, train, ramp_up)
        return fte

    for t in range(horizon):
        short = req[t] - effective(t)
        if short <= _EPS:
            continue
        start = t - train
        if start < 0:
            continue  # nobody hired now can be productive by month t: reported as a gap
        per_hire = keep**train * _productivity(train, train, ramp_up)
        hires[start] += math.ceil(short / per_hire - _EPS)

    months = []
    for t in range(horizon):
        headcount = current_headcount * keep**t + sum(hires[h] * keep ** (t - h) for h in range(t + 1))
        training = sum(hires[h] * keep ** (t - h) for h in range(max(0, t - train + 1), t + 1))
        eff = effective(t)
        months.append(
            RecruitMonth(
                month=t,
                label=labels[t] if labels is not None else str(t + 1),
                required=req[t],
                hires=hires[t],
                headcount=headcount,
                in_training=training,
                effective_fte=eff,
                leavers=headcount * monthly_turnover,
                gap=max(0.0, req[t] - eff) if req[t] - eff > _EPS else 0.0,
            )
        )
    return RecruitPlan(training_months=train, total_hires=sum(hires), months=tuple(months))

"""Recruiting need: turnover, pre-job training and ramp-up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.wfm.recruit import recruiting_plan, training_months


def test_training_months_is_an_exact_ceiling() -> None:
    assert training_months(315, 174) == 2
    assert training_months(348, 174) == 2
    assert training_months(348.1, 174) == 3
    assert training_months(0, 174) == 0
    with pytest.raises(ValueError, match="class_hours_per_month"):
        training_months(315, 0)


def test_no_turnover_and_enough_staff_needs_no_hires() -> None:
    plan = recruiting_plan(required=[100, 100, 90], current_headcount=100, monthly_turnover=0.0)
    assert plan.total_hires == 0
    assert all(m.gap == 0 for m in plan.months)


def test_gansu_turnover_is_replaced() -> None:
    # 5 % a month (Gansu); a flat plan of 200 needs replacements once the trained hires can arrive
    plan = recruiting_plan(required=[200] * 12, current_headcount=200, monthly_turnover=0.05, ramp_up=())
    assert plan.training_months == 2
    assert plan.months[0].gap == 0
    assert plan.months[1].gap == pytest.approx(10.0)  # nobody can be trained in time for month 2
    assert all(m.effective_fte >= 200 - 1e-9 for m in plan.months[2:])
    # one hire per ~0.9 FTE lost to turnover: about 5 % x 200 / 0.95^2 a month, give or take rounding
    assert 90 <= plan.total_hires <= 130


def test_ramp_up_costs_extra_hires() -> None:
    base = {"required": [100, 100, 130, 130, 130], "current_headcount": 100, "monthly_turnover": 0.0}
    full = recruiting_plan(**base, ramp_up=())
    slow = recruiting_plan(**base, ramp_up=(0.5,))
    assert full.total_hires == 30
    assert slow.total_hires == 60
    assert slow.months[0].hires == 60 and slow.months[0].in_training == 60


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 500), min_size=1, max_size=18),
    st.floats(0, 500),
    st.floats(0, 0.2),
    st.floats(0, 600),
    st.lists(st.floats(0.1, 1.0), max_size=3),
)
def test_plan_meets_every_reachable_month(
    required: list[float], current: float, turnover: float, hours: float, ramp: list[float]
) -> None:
    plan = recruiting_plan(
        required=required,
        current_headcount=current,
        monthly_turnover=turnover,
        training_hours=hours,
        ramp_up=ramp,
    )
    for m in plan.months:
        if m.month >= plan.training_months:
            assert m.effective_fte >= m.required - 1e-6
            assert m.gap == 0
        assert m.headcount >= m.in_training >= 0
    assert plan.total_hires == sum(m.hires for m in plan.months)

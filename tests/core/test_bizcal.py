"""Business-hours calendar: Chinese holidays and make-up workdays, add/elapsed maths and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.core.bizcal import BUSINESS_HOURS, LOCAL_TZ, TWENTY_FOUR_SEVEN, BusinessCalendar
from hotline.core.holidays_cn import HOLIDAYS, MAKEUP_WORKDAYS, is_workday


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def test_holidays_and_makeup_days() -> None:
    assert not is_workday(date(2025, 10, 8))  # 国庆中秋 8 days in 2025
    assert is_workday(date(2025, 9, 28)) and date(2025, 9, 28).weekday() == 6  # 调休 Sunday
    assert is_workday(date(2026, 2, 14)) and not is_workday(date(2026, 2, 23))  # 2026 春节
    assert not is_workday(date(2024, 6, 10)) and is_workday(date(2024, 6, 11))
    assert not is_workday(date(2026, 3, 7)) and is_workday(date(2026, 3, 9))  # ordinary weekend / Monday
    assert not set(HOLIDAYS) & set(MAKEUP_WORKDAYS)
    assert all(d.weekday() >= 5 for d in MAKEUP_WORKDAYS)


def test_add_skips_lunch_nights_holidays_and_counts_makeup_saturday() -> None:
    # Friday 2026-02-13 09:00 + 8 business hours: 3 h morning + 4 h afternoon, then make-up Saturday 08:30 + 1 h
    assert BUSINESS_HOURS.add(local(2026, 2, 13, 9), timedelta(hours=8)) == local(2026, 2, 14, 9, 30)
    # Saturday 2026-02-14 17:00 + 1 h: the Spring Festival holiday runs to 02-23, so Tuesday 02-24 09:00
    assert BUSINESS_HOURS.add(local(2026, 2, 14, 17), timedelta(hours=1)) == local(2026, 2, 24, 9, 0)
    # from lunch time the clock starts at 13:30
    assert BUSINESS_HOURS.add(local(2026, 3, 2, 12, 10), timedelta(minutes=30)) == local(2026, 3, 2, 14, 0)
    # ending exactly at a close gives the close, not the next opening
    assert BUSINESS_HOURS.add(local(2026, 3, 2, 11), timedelta(hours=1)) == local(2026, 3, 2, 12, 0)


def test_elapsed_and_suspension() -> None:
    start, end = local(2026, 3, 2, 8, 30), local(2026, 3, 3, 8, 30)
    assert BUSINESS_HOURS.elapsed(start, end) == timedelta(hours=7.5)
    pause = [(local(2026, 3, 2, 10), local(2026, 3, 2, 14))]  # 2 h morning + 0.5 h afternoon stopped
    assert BUSINESS_HOURS.elapsed(start, end, suspended=pause) == timedelta(hours=5)
    assert BUSINESS_HOURS.add(start, timedelta(hours=2), suspended=pause) == local(2026, 3, 2, 14, 30)
    assert TWENTY_FOUR_SEVEN.elapsed(start, end, suspended=pause) == timedelta(hours=20)
    with pytest.raises(ValueError, match="no open time"):  # a suspension still running never ends
        TWENTY_FOUR_SEVEN.add(start, timedelta(hours=3), suspended=[(local(2026, 3, 2, 9), None)])
    assert BUSINESS_HOURS.elapsed(end, start) == timedelta(0)


def test_results_are_utc_and_naive_refused() -> None:
    due = BUSINESS_HOURS.add(local(2026, 3, 2, 9), timedelta(hours=1))
    assert due.tzinfo == UTC
    with pytest.raises(ValueError, match="start"):
        BUSINESS_HOURS.add(datetime(2026, 3, 2, 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="hours"):
        BusinessCalendar(hours=((local(1, 1, 1, 12).timetz().replace(tzinfo=None), local(1, 1, 1, 9).time()),))


instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda d: d.replace(tzinfo=LOCAL_TZ)
)
durations = st.integers(min_value=0, max_value=60 * 60 * 200).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from([BUSINESS_HOURS, TWENTY_FOUR_SEVEN])
suspensions = st.lists(st.tuples(instants, durations), max_size=3).map(lambda xs: [(s, s + d) for s, d in xs])


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations, durations, suspensions)
def test_adding_durations_composes(cal: BusinessCalendar, t: datetime, a: timedelta, b: timedelta, sus) -> None:
    assert cal.add(cal.add(t, a, suspended=sus), b, suspended=sus) == cal.add(t, a + b, suspended=sus)


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations, suspensions)
def test_elapsed_inverts_add(cal: BusinessCalendar, t: datetime, d: timedelta, sus) -> None:
    due = cal.add(t, d, suspended=sus)
    assert cal.elapsed(t, due, suspended=sus) == d
    assert due >= t
    if d > timedelta(0):  # earliest: a second earlier, not yet enough open time
        assert cal.elapsed(t, due - timedelta(seconds=1), suspended=sus) < d


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations, durations)
def test_elapsed_is_additive(cal: BusinessCalendar, t: datetime, a: timedelta, b: timedelta) -> None:
    m, e = t + a, t + a + b
    assert cal.elapsed(t, e) == cal.elapsed(t, m) + cal.elapsed(m, e)
    assert cal.elapsed(t, e) <= e - t

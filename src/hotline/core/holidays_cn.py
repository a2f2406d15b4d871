"""Chinese public holidays (法定节假日) and make-up workdays (调休上班) as data, 2024–2027.

Shared by every domain that counts working days (work-order SLA, WFM forecasting). Sources: the State
Council General Office notices 国办发明电〔2023〕7号 (2024), 〔2024〕12号 (2025), 〔2025〕7号 (2026).
2027 is PROVISIONAL: only the statutory days (by the 2024 rules: 元旦 1, 春节 4 incl. 除夕, 清明 1,
劳动节 2, 端午 1, 中秋 1, 国庆 3) are listed, without bridging days or make-up workdays, because the
notice is not published yet; replace the 2027 block when it is.
"""

from __future__ import annotations

from datetime import date, timedelta


def _span(first: str, last: str, name: str) -> dict[date, str]:
    d, end = date.fromisoformat(first), date.fromisoformat(last)
    out: dict[date, str] = {}
    while d <= end:
        out[d] = name
        d += timedelta(days=1)
    return out


def _days(name: str, *isodays: str) -> dict[date, str]:
    return {date.fromisoformat(x): name for x in isodays}


#: Days off (including weekend days inside the holiday block), date -> holiday name.
HOLIDAYS: dict[date, str] = {
    # 2024
    **_days("元旦", "2024-01-01"),
    **_span("2024-02-10", "2024-02-17", "春节"),
    **_span("2024-04-04", "2024-04-06", "清明节"),
    **_span("2024-05-01", "2024-05-05", "劳动节"),
    **_days("端午节", "2024-06-10"),
    **_span("2024-09-15", "2024-09-17", "中秋节"),
    **_span("2024-10-01", "2024-10-07", "国庆节"),
    # 2025
    **_days("元旦", "2025-01-01"),
    **_span("2025-01-28", "2025-02-04", "春节"),
    **_span("2025-04-04", "2025-04-06", "清明节"),
    **_span("2025-05-01", "2025-05-05", "劳动节"),
    **_span("2025-05-31", "2025-06-02", "端午节"),
    **_span("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    # 2026
    **_span("2026-01-01", "2026-01-03", "元旦"),
    **_span("2026-02-15", "2026-02-23", "春节"),
    **_span("2026-04-04", "2026-04-06", "清明节"),
    **_span("2026-05-01", "2026-05-05", "劳动节"),
    **_span("2026-06-19", "2026-06-21", "端午节"),
    **_span("2026-09-25", "2026-09-27", "中秋节"),
    **_span("2026-10-01", "2026-10-07", "国庆节"),
    # 2027 (provisional: statutory days only)
    **_days("元旦", "2027-01-01"),
    **_span("2027-02-05", "2027-02-08", "春节"),
    **_days("清明节", "2027-04-05"),
    **_span("2027-05-01", "2027-05-02", "劳动节"),
    **_days("端午节", "2027-06-09"),
    **_days("中秋节", "2027-09-15"),
    **_span("2027-10-01", "2027-10-03", "国庆节"),
}

#: Weekend days that are working days (调休上班), date -> the holiday they pay for.
MAKEUP_WORKDAYS: dict[date, str] = {
    **_days("春节", "2024-02-04", "2024-02-18"),
    **_days("清明节", "2024-04-07"),
    **_days("劳动节", "2024-04-28", "2024-05-11"),
    **_days("中秋节", "2024-09-14"),
    **_days("国庆节", "2024-09-29", "2024-10-12"),
    **_days("春节", "2025-01-26", "2025-02-08"),
    **_days("劳动节", "2025-04-27"),
    **_days("国庆节、中秋节", "2025-09-28", "2025-10-11"),
    **_days("元旦", "2026-01-04"),
    **_days("春节", "2026-02-14", "2026-02-28"),
    **_days("劳动节", "2026-05-09"),
    **_days("国庆节", "2026-09-20", "2026-10-10"),
}

FIRST_YEAR, LAST_YEAR = 2024, 2027
PROVISIONAL_YEARS = frozenset({2027})


def is_workday(day: date) -> bool:
    """A working day in mainland China: Mon–Fri that is not a holiday, or a make-up Saturday/Sunday."""
    if day in MAKEUP_WORKDAYS:
        return True
    if day in HOLIDAYS:
        return False
    return day.weekday() < 5


def holiday_name(day: date) -> str | None:
    """The holiday a day belongs to, or None."""
    return HOLIDAYS.get(day)

"""Business-hours calendar (PURE): Asia/Shanghai working hours on Chinese working days (holidays and
make-up workdays from `holidays_cn`), or a 24×7 clock. Add business time to an instant, measure the
business time between two instants, both excluding suspended periods (the clock stops while suspended).

All instants are tz-aware; results are UTC. Local time only decides which hours are open."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.core.holidays_cn import is_workday

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
Window = tuple[time, time]
Period = tuple[datetime, datetime | None]  # a suspension; None = still suspended
DEFAULT_HOURS: tuple[Window, ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
_MAX_DAYS = 3700  # search horizon: a calendar with no open day must not loop forever
_ZERO = timedelta(0)


def _aware(dt: datetime, name: str) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"{name}: tz-aware datetime required")
    return dt.astimezone(UTC)


def merge_periods(periods: Iterable[Period], *, open_end: datetime) -> list[tuple[datetime, datetime]]:
    """Sort and merge suspension periods into disjoint UTC intervals (an open one ends at `open_end`)."""
    spans = sorted((_aware(s, "suspended"), _aware(e, "suspended") if e else open_end) for s, e in periods)
    out: list[tuple[datetime, datetime]] = []
    for s, e in spans:
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _subtract(a: datetime, b: datetime, holes: Sequence[tuple[datetime, datetime]]) -> Iterator[tuple[datetime, datetime]]:
    for s, e in holes:
        if e <= a:
            continue
        if s >= b:
            break
        if s > a:
            yield a, s
        a = max(a, e)
        if a >= b:
            return
    if a < b:
        yield a, b


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours on working days; `always_open` makes it a 24×7 clock."""

    hours: tuple[Window, ...] = DEFAULT_HOURS
    always_open: bool = False
    tz: ZoneInfo = LOCAL_TZ
    workday: Callable[[date], bool] = is_workday

    def __post_init__(self) -> None:
        prev = time(0)
        for start, end in self.hours:
            if not (prev <= start < end):
                raise ValueError("hours: windows must be increasing and non-overlapping within a day")
            prev = end

    @classmethod
    def twenty_four_seven(cls) -> BusinessCalendar:
        """A calendar that is always open (SLA counted on the wall clock)."""
        return cls(hours=(), always_open=True)

    def _day_windows(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if self.always_open:
            start = datetime.combine(day, time(0), self.tz)
            yield start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
        elif self.workday(day):
            for a, b in self.hours:
                yield datetime.combine(day, a, self.tz).astimezone(UTC), datetime.combine(day, b, self.tz).astimezone(UTC)

    def open_intervals(
        self, start: datetime, suspended: Sequence[tuple[datetime, datetime]] = ()
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open (counting) intervals from `start` onwards, in order, suspended time removed."""
        start = _aware(start, "start")
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(_MAX_DAYS):
            for a, b in self._day_windows(day):
                if b <= start:
                    continue
                yield from _subtract(max(a, start), b, suspended)
            day += timedelta(days=1)
        raise ValueError("calendar has no open time within ten years")

    def is_open(self, at: datetime) -> bool:
        """Is the clock running at this instant?"""
        at = _aware(at, "at")
        return any(a <= at < b for a, b in self._day_windows(at.astimezone(self.tz).date()))

    def add(self, start: datetime, duration: timedelta, *, suspended: Iterable[Period] = ()) -> datetime:
        """The earliest instant at which `duration` of open time has passed since `start`."""
        start = _aware(start, "start")
        if duration < _ZERO:
            raise ValueError("duration: must not be negative")
        if duration == _ZERO:
            return start
        holes = merge_periods(suspended, open_end=datetime.max.replace(tzinfo=UTC))
        if self.always_open and not holes:
            return start + duration
        left = duration
        for a, b in self.open_intervals(start, holes):
            if b - a >= left:
                return a + left
            left -= b - a
        raise AssertionError("unreachable")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime, *, suspended: Iterable[Period] = ()) -> timedelta:
        """Open time between two instants (zero when end <= start)."""
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start:
            return _ZERO
        holes = merge_periods(suspended, open_end=end)
        if self.always_open and not holes:
            return end - start
        total = _ZERO
        for a, b in self.open_intervals(start, holes):
            if a >= end:
                break
            total += min(b, end) - a
        return total


BUSINESS_HOURS = BusinessCalendar()
TWENTY_FOUR_SEVEN = BusinessCalendar.twenty_four_seven()

"""Read and write the contact-log CSV (KPI.md §1) and the agent-state, schedule, target and
province CSVs. A bad row raises `ContactLogError` naming the file, line number and column."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, datetime, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import IO, Any, TypeVar

from hotline.core.clock import LOCAL_TZ
from hotline.core.errors import InvalidInput
from hotline.reports.kpi import (
    ACTIVITIES,
    NOT_READY_REASONS,
    OUTCOMES,
    STATES,
    AgentStateSegment,
    Contact,
    ProvinceResult,
    QueueTarget,
    ScheduleActivity,
)

CONTACT_COLUMNS = tuple(f.name for f in fields(Contact))
STATE_COLUMNS = ("agent_id", "team", "state", "reason", "started_at", "ended_at")
SCHEDULE_COLUMNS = ("agent_id", "date", "activity", "start", "end")
TARGET_COLUMNS = ("queue", "sl_threshold_s", "sl_target", "short_abandon_s")
PROVINCE_COLUMNS = ("province", "mystery_call_raw", "calls_made")

Source = str | Path | IO[str]
T = TypeVar("T")


class ContactLogError(InvalidInput):
    """A CSV row that breaks the format: names the file, the line (header = 1) and the column."""

    code = "contact_log_invalid"

    def __init__(self, path: str, line: int, column: str, msg: str) -> None:
        super().__init__(column, f"{path}: line {line}, column {column!r}: {msg}", path=path, line=line)
        self.path, self.line, self.column, self.reason = path, line, column, msg


# --------------------------------------------------------------------------------------------
# Cell parsers: each raises ValueError with a short reason
# --------------------------------------------------------------------------------------------


def _text(v: str) -> str:
    return v.strip()


def _required(v: str) -> str:
    if not v.strip():
        raise ValueError("required")
    return v.strip()


def _ts(v: str) -> datetime | None:
    v = v.strip()
    if not v:
        return None
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {v!r}") from None
    if dt.tzinfo is None:
        raise ValueError(f"timestamp {v!r} needs a UTC offset (e.g. +08:00)")
    return dt


def _ts_required(v: str) -> datetime:
    dt = _ts(v)
    if dt is None:
        raise ValueError("required")
    return dt


def _number(v: str) -> float | None:
    v = v.strip()
    if not v:
        return None
    try:
        x = float(v)
    except ValueError:
        raise ValueError(f"not a number: {v!r}") from None
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"must be a finite number >= 0: {v!r}")
    return x


def _number_required(v: str) -> float:
    x = _number(v)
    if x is None:
        raise ValueError("required")
    return x


def _int(v: str) -> int | None:
    v = v.strip()
    if not v:
        return None
    try:
        return int(v)
    except ValueError:
        raise ValueError(f"not a whole number: {v!r}") from None


def _date(v: str) -> date:
    try:
        return date.fromisoformat(v.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {v!r}") from None


def _one_of(choices: Sequence[str], *, blank: bool = False) -> Callable[[str], str]:
    def parse(v: str) -> str:
        v = v.strip()
        if (blank and not v) or v in choices:
            return v
        raise ValueError(f"{v!r} is not one of {', '.join(choices)}")

    return parse


_CONTACT_PARSERS: dict[str, Callable[[str], Any]] = {
    **{c: _text for c in CONTACT_COLUMNS},
    "contact_id": _required,
    "queue": _required,
    "arrived_at": _ts_required,
    **{
        c: _ts
        for c in (
            "queued_at",
            "offered_at",
            "answered_at",
            "talk_end_at",
            "acw_end_at",
            "ended_at",
            "abandoned_at",
        )
    },
    "hold_s": _number,
    "outcome": _one_of(OUTCOMES, blank=True),
    "satisfaction": _int,
}
_STATE_PARSERS: dict[str, Callable[[str], Any]] = {
    "agent_id": _required,
    "team": _text,
    "state": _one_of(STATES),
    "reason": _one_of(NOT_READY_REASONS, blank=True),
    "started_at": _ts_required,
    "ended_at": _ts_required,
}
_SCHEDULE_PARSERS: dict[str, Callable[[str], Any]] = {
    "agent_id": _required,
    "date": _date,
    "activity": _one_of(ACTIVITIES),
    "start": _ts_required,
    "end": _ts_required,
}
_TARGET_PARSERS: dict[str, Callable[[str], Any]] = {
    "queue": _required,
    "sl_threshold_s": _number_required,
    "sl_target": _number_required,
    "short_abandon_s": _number,
}
_PROVINCE_PARSERS: dict[str, Callable[[str], Any]] = {
    "province": _required,
    "mystery_call_raw": _number_required,
    "calls_made": _int,
}


# --------------------------------------------------------------------------------------------
# Generic reader / writer
# --------------------------------------------------------------------------------------------


@contextmanager
def _open(source: Source, mode: str) -> Iterator[tuple[IO[str], str]]:
    if isinstance(source, str | Path):
        with open(source, mode, encoding="utf-8-sig" if mode == "r" else "utf-8", newline="") as fh:
            yield fh, str(source)
    else:
        yield source, getattr(source, "name", "<stream>")


def _rows(
    source: Source,
    columns: Sequence[str],
    parsers: dict[str, Callable[[str], Any]],
    optional: Sequence[str] = (),
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Yield (path, line, parsed row); errors name the line and column."""
    with _open(source, "r") as (fh, path):
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        for col in columns:
            if col not in header and col not in optional:
                raise ContactLogError(path, 1, col, "column missing from the header")
        for raw in reader:
            line = reader.line_num
            if None in raw:
                raise ContactLogError(path, line, "-", "more cells than header columns")
            row: dict[str, Any] = {}
            for col in columns:
                cell = raw.get(col)
                if cell is None and col not in optional and col in header:
                    raise ContactLogError(path, line, col, "row has fewer cells than the header")
                try:
                    row[col] = parsers[col](cell or "")
                except ValueError as exc:
                    raise ContactLogError(path, line, col, str(exc)) from None
            yield path, line, row


def _fmt(v: object, tz: tzinfo) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.astimezone(tz).isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _write(dest: Source, columns: Sequence[str], records: Iterable[object], tz: tzinfo) -> None:
    with _open(dest, "w") as (fh, _):
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in records:
            w.writerow([_fmt(getattr(r, c), tz) for c in columns])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def iter_contacts(source: Source) -> Iterator[Contact]:
    """Contacts one by one, each checked against KPI.md §1 (duplicate ids are an error)."""
    seen: dict[str, int] = {}
    for path, line, row in _rows(source, CONTACT_COLUMNS, _CONTACT_PARSERS):
        c = Contact(**row)
        for column, msg in c.problems():
            raise ContactLogError(path, line, column, msg)
        if c.contact_id in seen:
            raise ContactLogError(path, line, "contact_id", f"duplicate of line {seen[c.contact_id]}")
        seen[c.contact_id] = line
        yield c


def read_contacts(source: Source) -> list[Contact]:
    """The whole contact log."""
    return list(iter_contacts(source))


def write_contacts(dest: Source, contacts: Iterable[Contact], *, tz: tzinfo = LOCAL_TZ) -> None:
    """Write the contact log; timestamps in local time with their offset."""
    _write(dest, CONTACT_COLUMNS, contacts, tz)


def read_agent_states(source: Source) -> list[AgentStateSegment]:
    """Agent-state segments; a segment must not end before it starts nor overlap the agent's previous one."""
    out: list[AgentStateSegment] = []
    path = str(source)
    spans: dict[str, list[tuple[datetime, datetime, int]]] = {}
    for path, line, row in _rows(source, STATE_COLUMNS, _STATE_PARSERS):
        seg = AgentStateSegment(**row)
        if seg.ended_at < seg.started_at:
            raise ContactLogError(path, line, "ended_at", "before started_at")
        if seg.reason and seg.state != "not_ready":
            raise ContactLogError(path, line, "reason", "only a not_ready state has a reason")
        spans.setdefault(seg.agent_id, []).append((seg.started_at, seg.ended_at, line))
        out.append(seg)
    for agent, items in spans.items():
        items.sort()
        for (_, end, line_a), (start, _, line_b) in pairwise(items):
            if start < end:
                raise ContactLogError(
                    path, line_b, "started_at", f"agent {agent} overlaps the segment on line {line_a}"
                )
    return out


def write_agent_states(dest: Source, segments: Iterable[AgentStateSegment], *, tz: tzinfo = LOCAL_TZ) -> None:
    _write(dest, STATE_COLUMNS, segments, tz)


def read_schedule(source: Source) -> list[ScheduleActivity]:
    """Schedule activities: `shift` and, inside it, `break`, `lunch`, `training` (and `meeting`)."""
    out: list[ScheduleActivity] = []
    for path, line, row in _rows(source, SCHEDULE_COLUMNS, _SCHEDULE_PARSERS):
        act = ScheduleActivity(**row)
        if act.end <= act.start:
            raise ContactLogError(path, line, "end", "not after start")
        out.append(act)
    return out


def write_schedule(dest: Source, activities: Iterable[ScheduleActivity], *, tz: tzinfo = LOCAL_TZ) -> None:
    _write(dest, SCHEDULE_COLUMNS, activities, tz)


def read_targets(source: Source) -> dict[str, QueueTarget]:
    """queue -> target; `short_abandon_s` may be left empty (5 s)."""
    out: dict[str, QueueTarget] = {}
    lines: dict[str, int] = {}
    for path, line, row in _rows(source, TARGET_COLUMNS, _TARGET_PARSERS, optional=("short_abandon_s",)):
        if not row["sl_target"] <= 1:
            raise ContactLogError(path, line, "sl_target", "a share between 0 and 1 (0.80, not 80)")
        if row["queue"] in out:
            raise ContactLogError(path, line, "queue", f"duplicate of line {lines[row['queue']]}")
        if row.get("short_abandon_s") is None:
            row.pop("short_abandon_s", None)
        out[row["queue"]] = QueueTarget(**row)
        lines[row["queue"]] = line
    return out


def write_targets(dest: Source, targets: Iterable[QueueTarget]) -> None:
    _write(dest, TARGET_COLUMNS, targets, LOCAL_TZ)


def read_provinces(source: Source) -> list[ProvinceResult]:
    """Mystery-call raw results per province."""
    out: list[ProvinceResult] = []
    lines: dict[str, int] = {}
    for path, line, row in _rows(source, PROVINCE_COLUMNS, _PROVINCE_PARSERS, optional=("calls_made",)):
        if row["province"] in lines:
            raise ContactLogError(path, line, "province", f"duplicate of line {lines[row['province']]}")
        lines[row["province"]] = line
        out.append(ProvinceResult(**row))
    return out


def contacts_to_csv(contacts: Iterable[Contact], *, tz: tzinfo = LOCAL_TZ) -> str:
    """The contact log as a string."""
    buf = io.StringIO()
    write_contacts(buf, contacts, tz=tz)
    return buf.getvalue()

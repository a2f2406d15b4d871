"""Arrival-rate profiles for a scenario from a forecast CSV or a recorded day (a contact log).

Both give calls per local interval; a profile is a list of calls per hour, one per `interval_s`
from local midnight of the chosen day (the form of a queue's `arrivals_per_hour` list).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from hotline.core.clock import LOCAL_TZ

Profiles = dict[str | None, list[float]]  # queue (None: the file has no queue column) -> calls/hour


class ProfileError(ValueError):
    """A profile file cannot be used; the message names the file, line and column."""


def _local(text: str) -> datetime:
    """'2026-03-02 09:30' or ISO 8601 (with or without an offset) as a naive local time."""
    dt = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    return dt.astimezone(LOCAL_TZ).replace(tzinfo=None) if dt.tzinfo else dt


def bucket(
    rows: Iterable[tuple[datetime, float, str | None]], *, day: str | None, interval_s: float
) -> tuple[str, Profiles]:
    """(local start, calls, queue) rows -> the chosen day (default: the first) and its profiles."""
    items = sorted(rows, key=lambda r: r[0])
    if not items:
        raise ProfileError("no rows")
    the_day = date.fromisoformat(day) if day else items[0][0].date()
    slots = max(1, round(86400 / interval_s))
    per_hour = 3600.0 / interval_s
    out: dict[str | None, list[float]] = defaultdict(lambda: [0.0] * slots)
    for start, calls, queue in items:
        if start.date() != the_day:
            continue
        k = int((start.hour * 3600 + start.minute * 60 + start.second) // interval_s)
        out[queue][min(k, slots - 1)] += calls * per_hour
    if not out:
        raise ProfileError(f"no rows on {the_day.isoformat()}")
    return the_day.isoformat(), dict(out)


def from_forecast(path: str | Path, *, day: str | None, interval_s: float) -> tuple[str, Profiles]:
    """A `hotline wfm forecast` CSV: `interval_start,calls[,queue]` (local `YYYY-MM-DD HH:MM`)."""
    rows: list[tuple[datetime, float, str | None]] = []
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not {"interval_start", "calls"} <= set(reader.fieldnames or []):
                raise ProfileError(f"{path}: needs columns interval_start,calls (optional queue)")
            for line, row in enumerate(reader, start=2):
                col = "interval_start"
                try:
                    start = _local(row["interval_start"])
                    col = "calls"
                    calls = float(row["calls"])
                    if not calls >= 0:
                        raise ValueError("negative")
                except (TypeError, ValueError) as exc:
                    raise ProfileError(f"{path}: line {line}, column {col!r}: {exc}") from None
                rows.append((start, calls, (row.get("queue") or "").strip() or None))
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from None
    return bucket(rows, day=day, interval_s=interval_s)


def from_contact_log(path: str | Path, *, day: str | None, interval_s: float) -> tuple[str, Profiles]:
    """A recorded day: queued contacts per first queue and local interval of `queued_at` (KPI.md §2)."""
    from hotline.reports import contactlog

    try:
        contacts = contactlog.read_contacts(str(path))
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from None
    except contactlog.ContactLogError as exc:
        raise ProfileError(str(exc)) from None
    rows = [
        (c.queued_at.astimezone(LOCAL_TZ).replace(tzinfo=None), 1.0, c.queue)
        for c in contacts
        if c.queued_at is not None
    ]
    return bucket(rows, day=day, interval_s=interval_s)

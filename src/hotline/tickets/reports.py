"""Hotspots (R-TKT-7) and department timeliness (超时考核), with a CSV export that neutralises formula cells."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.auth import Principal, visible_prefix
from hotline.core.bizcal import LOCAL_TZ
from hotline.core.errors import Forbidden, InvalidInput
from hotline.org.models import OrgUnit
from hotline.tickets.models import Ticket, TicketCategory, TicketStep

DIMENSIONS = ("area", "cell_id", "product", "type", "phenomenon", "cause")
BUCKETS = ("day", "week", "month")


def _scope(principal: Principal) -> tuple[str | None, str | None]:
    """(ticket org-path prefix, department path prefix) the principal's reports may cover."""
    tickets = visible_prefix(principal, "reports.read")
    dept = visible_prefix(principal, "tickets.dept")
    if tickets is None and dept is None:
        raise Forbidden(permission="reports.read")
    return tickets, dept


def _ticket_filter(principal: Principal, start: datetime, end: datetime, type: str) -> Any:
    prefix, dept = _scope(principal)
    conds = [Ticket.created_at >= start, Ticket.created_at < end]
    if prefix is not None:
        conds.append(Ticket.org_path.startswith(prefix))
    else:
        conds.append(Ticket.dept_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(dept or "\x00"))))
    if type:
        conds.append(Ticket.type == type)
    return conds


def _ancestor_names(db_session: Session, level: int) -> dict[int, str]:
    """Category id → the name of its ancestor at `level` (the category itself if shallower)."""
    cats = {c.id: c for c in db_session.execute(select(TicketCategory)).scalars()}
    out: dict[int, str] = {}
    for cid, c in cats.items():
        node = c
        while node.level > level and node.parent_id in cats:
            node = cats[node.parent_id]
        out[cid] = node.name
    return out


@dataclass(frozen=True)
class Hotspot:
    key: str
    count: int
    share: float


def hotspots(*, db_session: Session, principal: Principal, start: datetime, end: datetime, by: str = "area",
             level: int = 3, type: str = "", top: int = 10) -> list[Hotspot]:
    """Top-N of orders in [start, end) by area, cell/site, product, type, phenomenon or cause (at a level)."""
    if by not in DIMENSIONS:
        raise InvalidInput("by", f"one of {', '.join(DIMENSIONS)}")
    if not 1 <= level <= 3:
        raise InvalidInput("level", "1, 2 or 3")
    column = {"phenomenon": Ticket.phenomenon_id, "cause": Ticket.cause_id}.get(by, getattr(Ticket, by, None))
    rows = db_session.execute(select(column).where(*_ticket_filter(principal, start, end, type))).scalars()
    if by in ("phenomenon", "cause"):
        names = _ancestor_names(db_session, level)
        counts = Counter(names.get(v, "") if v is not None else "" for v in rows)
    else:
        counts = Counter(v or "" for v in rows)
    counts.pop("", None)
    total = sum(counts.values()) or 1
    return [Hotspot(k, n, round(n / total, 4)) for k, n in counts.most_common(max(top, 1))]


def _bucket(dt: datetime, bucket: str) -> str:
    local = dt.astimezone(LOCAL_TZ).date()
    if bucket == "month":
        return f"{local:%Y-%m}"
    if bucket == "week":
        monday = local - timedelta(days=local.weekday())
        return monday.isoformat()
    return local.isoformat()


def trend(*, db_session: Session, principal: Principal, start: datetime, end: datetime, bucket: str = "day",
          by: str = "", keys: Sequence[str] = (), type: str = "") -> dict[str, dict[str, int]]:
    """Orders per local day/week/month, optionally split by a dimension's keys: {series: {bucket: count}}."""
    if bucket not in BUCKETS:
        raise InvalidInput("bucket", f"one of {', '.join(BUCKETS)}")
    if by and by not in ("area", "cell_id", "product", "type"):
        raise InvalidInput("by", "area, cell_id, product or type")
    cols = [Ticket.created_at] + ([getattr(Ticket, by)] if by else [])
    series: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db_session.execute(select(*cols).where(*_ticket_filter(principal, start, end, type))):
        name = (row[1] or "") if by else "all"
        if keys and name not in keys:
            continue
        series[name][_bucket(row[0], bucket)] += 1
    return {k: dict(sorted(v.items())) for k, v in series.items()}


@dataclass(frozen=True)
class Timeliness:
    dept_id: int
    dept: str
    due: int  # department steps whose deadline fell in the period (and has passed)
    on_time: int  # of those, answered (replied, returned or passed on) by the deadline
    overdue: int  # due - on_time: answered late or still open past the deadline
    escalated: int  # steps the poller escalated
    answered: int  # steps answered in the period
    mean_hours: float | None  # mean business time per answered step, suspensions excluded
    on_time_rate: float | None


def timeliness(*, db_session: Session, principal: Principal, start: datetime, end: datetime,
               now: datetime) -> list[Timeliness]:
    """On-time rate per department = steps answered by their deadline / steps due; mean time; overdue counts."""
    prefix, dept = _scope(principal)
    q = (select(TicketStep, OrgUnit.name).join(OrgUnit, OrgUnit.id == TicketStep.dept_id)
         .join(Ticket, Ticket.id == TicketStep.ticket_id)
         .where(TicketStep.kind == "department",
                ((TicketStep.due_at >= start) & (TicketStep.due_at < end))
                | ((TicketStep.ended_at >= start) & (TicketStep.ended_at < end))
                | (TicketStep.overdue.is_(True) & (TicketStep.due_at >= start))))
    q = q.where(Ticket.org_path.startswith(prefix)) if prefix is not None else q.where(OrgUnit.path.startswith(dept))
    acc: dict[int, dict[str, Any]] = {}
    horizon = min(end, now)
    for step, name in db_session.execute(q):
        a = acc.setdefault(step.dept_id, {"dept": name, "due": 0, "on_time": 0, "escalated": 0, "secs": []})
        # a step the poller found overdue counts as due even if its deadline is past the report's horizon
        if (start <= step.due_at < end and step.due_at <= horizon) or (step.overdue and step.due_at >= start):
            a["due"] += 1
            a["on_time"] += int(step.ended_at is not None and step.ended_at <= step.due_at and not step.overdue)
        a["escalated"] += int(step.escalation_level > 0)
        if step.ended_at is not None and start <= step.ended_at < end and step.business_seconds is not None:
            a["secs"].append(step.business_seconds)
    out = []
    for dept_id, a in acc.items():
        secs = a["secs"]
        out.append(Timeliness(
            dept_id, a["dept"], a["due"], a["on_time"], a["due"] - a["on_time"], a["escalated"], len(secs),
            round(sum(secs) / len(secs) / 3600, 2) if secs else None,
            round(a["on_time"] / a["due"], 4) if a["due"] else None))
    return sorted(out, key=lambda r: (r.on_time_rate if r.on_time_rate is not None else 2, r.dept))


# ---------------------------------------------------------------- CSV
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(rows: Iterable[Any], columns: Sequence[str], headers: Sequence[str] | None = None) -> str:
    """CSV text (UTF-8 with BOM for Excel) of dataclass or dict rows, formula cells neutralised."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for h in (headers or columns)])
    for row in rows:
        data = asdict(row) if hasattr(row, "__dataclass_fields__") else dict(row)
        writer.writerow([neutralise("" if data.get(c) is None else data.get(c)) for c in columns])
    return buf.getvalue()


# ---------------------------------------------------------------- Excel
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOTSPOT_COLUMNS = {"key": "对象", "count": "工单数", "share": "占比"}
TIMELINESS_COLUMNS = {"dept": "处理部门", "due": "到期环节", "on_time": "按时", "overdue": "超时", "escalated": "升级",
                      "answered": "已处理", "mean_hours": "平均每环节用时（小时）", "on_time_rate": "按时率"}
PERCENT_COLUMNS = frozenset({"share", "on_time_rate"})


def to_xlsx(rows: Iterable[Any], columns: dict[str, str], *, sheet: str, title: str = "") -> bytes:
    """An Excel workbook of dataclass or dict rows. Formula cells are neutralised: every text cell is stored as
    a string (never a formula) and one a spreadsheet would read as a formula also gets the quote prefix, so it
    shows as typed and stays text when edited."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    if title:
        _text_cell(ws.cell(row=1, column=1), title).font = Font(bold=True)
    head = 2 if title else 1
    for i, label in enumerate(columns.values(), start=1):
        _text_cell(ws.cell(row=head, column=i), label).font = Font(bold=True)
    for r, row in enumerate(rows, start=head + 1):
        data = asdict(row) if hasattr(row, "__dataclass_fields__") else dict(row)
        for i, name in enumerate(columns, start=1):
            value = data.get(name)
            cell = ws.cell(row=r, column=i)
            if isinstance(value, str):
                _text_cell(cell, value)
            else:
                cell.value = value
                if name in PERCENT_COLUMNS and value is not None:
                    cell.number_format = "0.0%"
    for i, label in enumerate(columns.values(), start=1):
        ws.column_dimensions[ws.cell(row=head, column=i).column_letter].width = max(10, 2 * len(label) + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text_cell(cell: Any, value: str) -> Any:
    cell.value = value
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    if value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell

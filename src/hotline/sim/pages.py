"""The "what if" page: today's configuration as an editable form, a bounded background run of baseline
and what-if, and the two side by side (table and charts with 95 % CI)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hotline.core.auth import Principal
from hotline.core.clock import to_local
from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.sim import whatif
from hotline.web.deps import AppClock, CurrentPrincipal, DbSession, require
from hotline.web.templating import _, current_locale, render, request_locale

router = APIRouter(include_in_schema=False)
JOB_ID = re.compile(r"^[0-9a-f]{16}$")
PROVINCE = re.compile(r"^[A-Z0-9-]{1,16}$")
SKILL = re.compile(r"^([\w.-]+)(?:[:：=](\d))?$")


def _province(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not PROVINCE.match(value):
        raise NotFound("province not found")
    return value


def _number(form: dict[str, str], key: str, *, integer: bool = False) -> Any:
    text = form.get(key, "").strip()
    if not text:
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        raise InvalidInput(key, _("Not a number")) from None


def parse_skills(text: str, field: str) -> dict[str, int]:
    """'regular:4 billing:3' (or 'regular billing', level 1) -> {queue: level}."""
    out: dict[str, int] = {}
    for part in re.split(r"[,，;；\s]+", text.strip()):
        if not part:
            continue
        m = SKILL.match(part)
        if m is None:
            raise InvalidInput(field, _("Skills are written queue:level, e.g. regular:3 billing:2"))
        out[m.group(1)] = int(m.group(2) or 1)
    return out


def edits_from_form(data: dict[str, Any], form: dict[str, str]) -> whatif.Edits:
    """The planner's edits from the form fields q.<queue>.<field> and g.<i>.<field>."""
    queues = {
        q["name"]: whatif.QueueEdit(
            arrivals_per_hour=_number(form, f"q.{q['name']}.arrivals"),
            aht_s=_number(form, f"q.{q['name']}.aht"),
            patience_s=_number(form, f"q.{q['name']}.patience"),
            sl_threshold_s=_number(form, f"q.{q['name']}.sl"),
        )
        for q in data["queues"]
    }
    groups = []
    for i, g in enumerate(data["agents"]):
        count = _number(form, f"g.{i}.count", integer=True)
        skills = form.get(f"g.{i}.skills")
        groups.append(
            whatif.GroupEdit(
                name=g["name"],
                count=g["count"] if count is None else count,
                skills=g["skills"] if skills is None else parse_skills(skills, f"g.{i}.skills"),
            )
        )
    return whatif.Edits(queues=queues, agents=groups)


def _rows(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "queues": [
            {
                "name": q["name"],
                "arrivals": round(whatif.mean_rate(q), 1),
                "aht": round(whatif.mean_aht(q), 1),
                "patience": q.get("patience_s"),
                "sl": q.get("sl_threshold_s", 20.0),
                "target": q.get("sl_target"),
            }
            for q in data["queues"]
        ],
        "groups": [
            {
                "name": g["name"],
                "count": g["count"],
                "skills": " ".join(f"{k}:{v}" for k, v in g["skills"].items()),
            }
            for g in data["agents"]
        ],
    }


@contextmanager
def _locale(request: Request) -> Iterator[None]:
    """Texts built before rendering (chart titles and legends, form errors) in the request's language."""
    token = current_locale.set(request_locale(request))
    try:
        yield
    finally:
        current_locale.reset(token)


def _today(clock: AppClock) -> date:
    return to_local(clock.now()).date()


def _job_context(job: whatif.Job) -> dict[str, Any]:
    ctx: dict[str, Any] = {"job": job}
    if job.status == "done":
        rows = whatif.comparison(job)
        labels = (_("Baseline"), _("What if"))
        ctx["rows"] = rows
        ctx["charts"] = [
            (_("Service level (%)"), whatif.chart(rows, "service_level", labels, 100)),
            (_("ASA (s)"), whatif.chart(rows, "asa_s", labels)),
            (_("Abandonment (%)"), whatif.chart(rows, "abandon_rate", labels, 100)),
            (_("Occupancy (%)"), whatif.chart(rows, "occupancy", labels, 100)),
        ]
    return ctx


@router.get("/sim", dependencies=[require(whatif.READ)])
def whatif_page(
    request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock, province: str | None = None
) -> Response:
    data = whatif.baseline(
        db_session=db, principal=principal, province=_province(province), day=_today(clock)
    )
    return render(
        request,
        "sim/index.html",
        {
            "data": data,
            **_rows(data),
            "provinces": whatif.provinces(db_session=db, principal=principal),
            "can_run": principal.can(whatif.PLAN),
            "day": _today(clock).isoformat(),
        },
    )


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def start_from_form(db: DbSession, principal: Principal, day: date, form: dict[str, str]) -> whatif.Job:
    """Baseline from today's configuration, what-if from the form; start the run."""
    data = whatif.baseline(
        db_session=db, principal=principal, province=_province(form.get("province")), day=day
    )
    changed = whatif.apply(data, edits_from_form(data, form))
    base = whatif.to_scenario(data)
    other = whatif.to_scenario(changed)
    return whatif.start(principal=principal, province=data["province"], base=base, whatif=other)


@router.post("/sim/run", dependencies=[require(whatif.PLAN)])
async def run_action(
    request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock
) -> Response:
    form = await _form(request)
    with _locale(request):
        try:
            job = start_from_form(db, principal, _today(clock), form)
        except InvalidInput as exc:
            return render(request, "sim/_error.html", {"error": f"{exc.details.get('field', '')}: {exc.msg}"})
        except Conflict as exc:
            return render(request, "sim/_error.html", {"error": _(exc.msg)})
        ctx = _job_context(job)
    return render(request, "sim/_job.html", ctx)


@router.get("/sim/jobs/{job_id}", dependencies=[require(whatif.PLAN)])
def job_fragment(request: Request, job_id: str, principal: CurrentPrincipal) -> Response:
    if not JOB_ID.match(job_id):
        raise NotFound("simulation run not found")
    job = whatif.get(principal=principal, job_id=job_id)
    with _locale(request):
        ctx = _job_context(job)
    return render(request, "sim/_job.html", ctx)

"""A scenario taken from the live configuration of a centre (`hotline sim --from-live HB`).

Queues come from the contacts domain (the province's queues, with priority and overflow as the live
routing uses them) with their service-level threshold and target from the org standards; agents are
the province's users who take contacts, grouped by tier and skill set; arrivals, handle times and
patience come from the recorded contacts of a day when there are any, else from the demo traffic's
configuration. The result is plain data: `scenario.parse` validates it, `yaml.safe_dump` saves it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.contacts import service as contacts_service
from hotline.core.clock import LOCAL_TZ
from hotline.core.errors import InvalidInput, NotFound
from hotline.org import service as org_service
from hotline.org.models import OrgUnit

INTERVAL_S = 1800
DEFAULT_PATIENCE_S = 120.0  # the demo traffic's callers (exponential)
MIN_RECORDED = 20  # contacts of a queue needed before its recorded times are used


class UnknownProvince(NotFound):
    code = "province_not_found"
    msg = "No province with this code"


def _province(db_session: Session, code: str) -> OrgUnit:
    unit = db_session.execute(
        select(OrgUnit).where(OrgUnit.code == code, OrgUnit.kind == "province")
    ).scalar_one_or_none()
    if unit is None:
        raise UnknownProvince(code=code)
    return unit


def _standards() -> dict[str, str]:
    """Queue code -> the org standard that sets its service level (demo plan and contacts config)."""
    from hotline.seed import load_config

    own = contacts_service.contacts_config()
    return {q["code"]: q["standard"] for q in [*load_config()["queues"], *own["extra_queues"]]}


def _queues(db_session: Session, unit: OrgUnit) -> list[dict[str, Any]]:
    standards = _standards()
    prefix = f"{unit.code}."
    out = []
    for q in contacts_service.queues(db_session=db_session):
        if not q.key.startswith(prefix):
            continue
        std = (
            org_service.effective_standard(db_session=db_session, unit=unit, key=standards[q.code])
            if q.code in standards
            else None
        ) or {}
        item: dict[str, Any] = {
            "name": q.code,
            "sl_threshold_s": float(std.get("threshold_s", q.sl_threshold_s)),
            "sl_target": float(std.get("target", q.sl_target)),
            "priority": q.priority,
        }
        if q.abandon_cap is not None:
            item["abandon_cap"] = q.abandon_cap
        rules = [
            {"after_s": float(r["after_s"]), "to_queue": r["to_queue"].removeprefix(prefix)}
            for r in q.overflow
            if r.get("to_queue", "").startswith(prefix)
        ]
        if rules:
            item["overflow"] = rules
        out.append(item)
    return out


def _agents(db_session: Session, unit: OrgUnit, queues: set[str]) -> list[dict[str, Any]]:
    """Agent groups: users of the province by skill set, each skill at the group's median level; the
    tier is kept when the whole group shares it (the live queues have no tier restrictions)."""
    groups: dict[tuple[str, ...], list[tuple[str, dict[str, int]]]] = defaultdict(list)
    for u in contacts_service.agent_users(db_session=db_session):
        if not u.unit.path.startswith(unit.path):
            continue
        skills = {s.skill: max(1, min(5, s.level)) for s in u.skills if s.skill in queues}
        if skills:
            groups[tuple(sorted(skills))].append((u.tier or "", skills))
    out = []
    for names, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        tiers = {t for t, _ in members}
        out.append(
            {
                "name": "+".join(names),
                "count": len(members),
                "tier": tiers.pop() if len(tiers) == 1 else "",
                "skills": {s: round(median(m[s] for _, m in members)) for s in names},
            }
        )
    return out


def _recorded(db_session: Session, unit: OrgUnit, day: date) -> list[tuple[Any, ...]]:
    """(queue code, seconds since local midnight, wait, (talk, hold, acw) or None, abandoned) of the
    day's queued contacts."""
    from hotline.contacts.models import Contact  # no service lists a day's contacts yet

    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    rows = db_session.execute(
        select(
            Contact.queue,
            Contact.queued_at,
            Contact.answered_at,
            Contact.abandoned_at,
            Contact.talk_end_at,
            Contact.hold_s,
            Contact.acw_end_at,
        ).where(
            Contact.org_path.startswith(unit.path),
            Contact.queued_at >= start,
            Contact.queued_at < start + timedelta(days=1),
            Contact.parent_id.is_(None),  # transfer legs are modelled by the transfer itself
        )
    ).all()
    out = []
    prefix = f"{unit.code}."
    for queue, queued, answered, abandoned, talk_end, hold, acw_end in rows:
        end = answered or abandoned
        wait = (end - queued).total_seconds() if end else None
        times = None
        if answered and talk_end and acw_end:
            h = hold or 0.0
            times = ((talk_end - answered).total_seconds() - h, h, (acw_end - talk_end).total_seconds())
        out.append(
            (queue.removeprefix(prefix), (queued - start).total_seconds(), wait, times, abandoned is not None)
        )
    return out


def _apply_recorded(queues: list[dict[str, Any]], rows: list[tuple[Any, ...]]) -> None:
    slots = 86400 // INTERVAL_S
    per_hour = 3600 / INTERVAL_S
    by_queue: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_queue[r[0]].append(r)
    for q in queues:
        mine = by_queue.get(q["name"], [])
        profile = [0.0] * slots
        for _, at, *_rest in mine:
            profile[min(int(at // INTERVAL_S), slots - 1)] += per_hour
        q["arrivals_per_hour"] = profile
        times = [r[3] for r in mine if r[3] is not None]
        if len(times) >= MIN_RECORDED:  # else the typical handle time stays
            hold, acw = (sum(t[k] for t in times) / len(times) for k in (1, 2))
            del q["aht_s"]
            q["talk"] = {"dist": "empirical", "values_s": sorted(round(max(0.0, t[0]), 1) for t in times)}
            if hold > 0:
                q["hold"] = {"dist": "constant", "mean_s": round(hold, 1)}
            if acw > 0:
                q["acw"] = {"dist": "constant", "mean_s": round(acw, 1)}
        abandons = sum(1 for r in mine if r[4])
        waited = sum(r[2] for r in mine if r[2] is not None)
        if abandons >= 5 and waited > 0:  # exponential patience, censored by answers: total wait / abandons
            q["patience_s"] = round(waited / abandons, 1)


def _typical_aht(db_session: Session, queues: list[dict[str, Any]]) -> None:
    """Each queue's handle time: the mean typical talk time of the business types routed to it."""
    talk: dict[str, list[int]] = defaultdict(list)
    for bt in contacts_service.business_types(db_session=db_session).values():
        talk[bt.queue_code].append(bt.typical_talk_s)
    for q in queues:
        typical = talk.get(q["name"])
        q["aht_s"] = float(sum(typical) / len(typical)) if typical else 180.0
        q["patience_s"] = DEFAULT_PATIENCE_S


def _apply_demo(queues: list[dict[str, Any]]) -> None:
    """The demo traffic's arrivals (`hotline demo`): its hourly shape and queue shares."""
    from hotline.contacts.traffic import CHOICES, HOURLY, DemoTraffic

    rate = DemoTraffic.__init__.__kwdefaults__["calls_per_hour"]
    share: Counter[str] = Counter()
    for queue, _btype, weight in CHOICES:
        share[queue] += weight
    total = sum(share.values())
    for q in queues:
        s = share.get(q["name"], 0.0) / total
        q["arrivals_per_hour"] = [round(rate * s * HOURLY[k // 2], 3) for k in range(48)]


def scenario_from_live(
    *, db_session: Session, province: str, day: date, replications: int = 10, seed: int = 1
) -> dict[str, Any]:
    """The plain-data scenario of a province's live configuration on a local day."""
    unit = _province(db_session, province)
    queues = _queues(db_session, unit)
    if not queues:  # the live server creates the queues at its first start: use them, write nothing
        savepoint = db_session.begin_nested()
        try:
            contacts_service.ensure_configuration(db_session=db_session, now=datetime.now(LOCAL_TZ))
            queues = _queues(db_session, unit)
        finally:
            savepoint.rollback()
    if not queues:
        raise InvalidInput("province", f"province {province!r} has no queues")
    agents = _agents(db_session, unit, {q["name"] for q in queues})
    rows = _recorded(db_session, unit, day)
    _typical_aht(db_session, queues)
    if rows:
        _apply_recorded(queues, rows)
    else:
        _apply_demo(queues)
    short = (
        org_service.effective_standard(db_session=db_session, unit=unit, key="short_abandon_s") or {}
    ).get("max", 0)
    return {
        "description": f"{unit.code} {unit.name} {day.isoformat()}: arrivals "
        + ("recorded" if rows else "from the demo configuration"),
        "duration_s": 86400.0,
        "interval_s": float(INTERVAL_S),
        "seed": seed,
        "replications": replications,
        "short_abandon_s": float(short),
        "queues": queues,
        "agents": agents or [{"name": "none", "count": 0, "skills": {queues[0]["name"]: 1}}],
    }

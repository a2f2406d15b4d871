"""Work-order rules (PURE): the transition table as data, priority, SLA limits per step, escalation times,
joint status of linked orders. No Session, no clock reads, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from hotline.core.bizcal import BUSINESS_HOURS, TWENTY_FOUR_SEVEN, BusinessCalendar, Period
from hotline.core.errors import IllegalTransition, InvalidInput

TYPES = ("consultation", "business", "fault", "complaint", "suggestion")
TYPE_NAMES = {"consultation": "咨询", "business": "业务办理", "fault": "故障申告", "complaint": "投诉", "suggestion": "建议"}
STATES = (
    "created",  # 受理: taken by the agent
    "frontline_tried",  # 一线预处理: the agent tried and recorded what was tried, not solved
    "expert",  # 专家座席预处理: in the expert seat queue
    "dispatched",  # 已派单: at a back-office department
    "returned",  # 退单: the department returned it to the centre with a reason
    "replied",  # 已回单 / 已解决: cause and result recorded, waiting for the callback
    "called_back",  # 已回访: the customer was called back, satisfaction recorded
    "archived",  # 已归档
    "suspended",  # 挂起: legitimate wait, the clock stops
)
STATE_NAMES = {
    "created": "已受理", "frontline_tried": "一线预处理", "expert": "专家预处理", "dispatched": "已派单",
    "returned": "已退单", "replied": "已回单", "called_back": "已回访", "archived": "已归档", "suspended": "挂起",
}
OPEN_STATES = frozenset(STATES) - {"archived"}
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_NAMES = {"low": "低", "normal": "普通", "high": "高", "urgent": "紧急"}
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied", "unreachable")
SATISFACTION_NAMES = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unreachable": "联系不上"}
SLA_MODE_NAMES = {"business": "工作时间计时", "24x7": "7×24 小时计时"}
RESOLVED_BY_NAMES = {"frontline": "一线", "expert": "专家座席", "centre": "中心", "department": "处理部门"}
LINK_KINDS = ("single_point", "network_linkage", "central_feedback", "tracking")
LINK_NAMES = {"single_point": "一点投诉", "network_linkage": "全网联动", "central_feedback": "集中反馈", "tracking": "持续跟踪"}
EXPERT_REQUIRED = frozenset({"fault", "complaint"})  # R-TKT-2: only what the expert cannot solve is dispatched
PREVIOUS = "<previous>"  # resume goes back to the state held before the suspension


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str
    types: frozenset[str] = frozenset(TYPES)


def _moves(action: str, sources: str, target: str, types: frozenset[str] = frozenset(TYPES)) -> list[Move]:
    return [Move(action, s, target, types) for s in sources.split()]


#: THE transition table. Anything not listed is illegal.
TRANSITIONS: tuple[Move, ...] = tuple(
    _moves("frontline_try", "created", "frontline_tried")
    + _moves("solve", "created frontline_tried expert returned", "replied")
    + _moves("to_expert", "frontline_tried returned", "expert")
    + _moves("dispatch", "expert returned", "dispatched")
    + _moves("dispatch", "frontline_tried", "dispatched", frozenset(TYPES) - EXPERT_REQUIRED)
    + _moves("redispatch", "dispatched", "dispatched")
    + _moves("return", "dispatched", "returned")
    + _moves("reply", "dispatched", "replied")
    + _moves("callback", "replied", "called_back")
    + _moves("archive", "called_back", "archived")
    + _moves("reopen", "called_back archived", "expert")
    + _moves("suspend", "created frontline_tried expert dispatched returned replied", "suspended")
    + _moves("resume", "suspended", PREVIOUS)
)
ACTIONS = tuple(dict.fromkeys(m.action for m in TRANSITIONS))
_INDEX = {(m.action, m.source): m for m in TRANSITIONS}


def next_state(*, type: str, state: str, action: str, previous: str | None = None) -> str:
    """The state after `action`, or IllegalTransition."""
    move = _INDEX.get((action, state))
    if move is None or type not in move.types:
        raise IllegalTransition(
            f"'{action}' is not allowed for a {type} order in state '{state}'", state=state, action=action
        )
    if move.target == PREVIOUS:
        if previous not in OPEN_STATES or previous == "suspended":
            raise IllegalTransition("no state to resume to", state=state, action=action)
        return previous
    return move.target


def allowed_actions(*, type: str, state: str) -> list[str]:
    """Actions the table allows from a state (for buttons)."""
    return [m.action for m in TRANSITIONS if m.source == state and type in m.types]


# --- priority -----------------------------------------------------------------------------------------
_TYPE_BASE = {"suggestion": 0, "consultation": 1, "business": 1, "fault": 2, "complaint": 2}
VIP_BONUS = {"": 0, "silver": 1, "gold": 1, "diamond": 2}


def priority(*, type: str, segment: str = "regular", vip_level: str = "", repeat_contacts: int = 0) -> str:
    """Priority from the type, the customer segment (VIP) and repeat contacts about the same problem."""
    if type not in _TYPE_BASE:
        raise InvalidInput("type", f"unknown work-order type {type!r}")
    score = _TYPE_BASE[type]
    if segment == "vip":
        score += max(1, VIP_BONUS.get(vip_level, 1))
    score += 2 if repeat_contacts >= 3 else 1 if repeat_contacts >= 1 else 0
    return PRIORITIES[min(score, len(PRIORITIES) - 1)]


# --- SLA ----------------------------------------------------------------------------------------------
StepKind = Literal["frontline", "expert", "department", "callback"]
STEP_KINDS: tuple[str, ...] = ("frontline", "expert", "department", "callback")
STATE_STEP: dict[str, str] = {
    "created": "frontline", "frontline_tried": "frontline", "returned": "frontline", "expert": "expert",
    "dispatched": "department", "replied": "callback",
}
_H = timedelta(hours=1)
#: Business-hours limits per step for a 'normal' order, by type (hours).
SLA_HOURS: dict[str, dict[str, float]] = {
    "consultation": {"frontline": 4, "expert": 8, "department": 16, "callback": 8},
    "business": {"frontline": 4, "expert": 8, "department": 16, "callback": 8},
    "fault": {"frontline": 2, "expert": 4, "department": 8, "callback": 4},
    "complaint": {"frontline": 2, "expert": 4, "department": 16, "callback": 4},
    "suggestion": {"frontline": 8, "expert": 16, "department": 40, "callback": 16},
}
PRIORITY_FACTOR = {"low": 1.5, "normal": 1.0, "high": 0.5, "urgent": 0.25}
CALENDARS: dict[str, BusinessCalendar] = {"business": BUSINESS_HOURS, "24x7": TWENTY_FOUR_SEVEN}
#: Escalation levels: (level, who is told, fraction of the step's limit after the due time).
ESCALATION = ((1, "team_leader", 0.0), (2, "department_head", 0.5), (3, "centre_manager", 1.0))


def calendar_mode(*, type: str, priority: str) -> str:
    """Urgent faults and complaints run on the 24×7 clock; everything else on business hours."""
    return "24x7" if priority == "urgent" and type in EXPERT_REQUIRED else "business"


def sla_limit(*, type: str, priority: str, step: str) -> timedelta:
    """The time limit of one step (counted on the order's calendar)."""
    try:
        hours = SLA_HOURS[type][step] * PRIORITY_FACTOR[priority]
    except KeyError as exc:
        raise InvalidInput("step", f"no SLA for {type}/{priority}/{step}") from exc
    return hours * _H


@dataclass(frozen=True)
class Deadline:
    level: int
    audience: str
    fire_at: datetime


def escalations(
    *, started_at: datetime, limit: timedelta, mode: str, suspended: tuple[Period, ...] = ()
) -> list[Deadline]:
    """The timer rows of a step: level 1 at the due time, then later levels on the same calendar."""
    cal = CALENDARS[mode]
    return [
        Deadline(level, who, cal.add(started_at, limit * (1 + frac), suspended=suspended))
        for level, who, frac in ESCALATION
    ]


def business_elapsed(*, mode: str, start: datetime, end: datetime, suspended: tuple[Period, ...] = ()) -> timedelta:
    """Time a step has run on the order's calendar, suspensions excluded."""
    return CALENDARS[mode].elapsed(start, end, suspended=suspended)


# --- linked orders --------------------------------------------------------------------------------------
def joint_status(states: list[str]) -> str:
    """The joint status of the orders a complaint spawned: open / replied / closed (or none)."""
    if not states:
        return "none"
    if all(s == "archived" for s in states):
        return "closed"
    if all(s in ("replied", "called_back", "archived") for s in states):
        return "replied"
    return "open"


def after_callback(satisfaction: str) -> str:
    """What follows a callback: dissatisfaction reopens the order, anything else archives it."""
    if satisfaction not in SATISFACTION:
        raise InvalidInput("satisfaction", f"one of {', '.join(SATISFACTION)}")
    return "reopen" if satisfaction == "dissatisfied" else "archive"

"""PURE guided diagnostic flows (question → answers → next question or a final answer).

A flow is a list of steps; the first step is where a run starts:
    {"id": "s1", "question": "光猫LOS灯是否红灯闪烁？",
     "answers": [{"label": "是", "final": "光纤中断，受理报修"}, {"label": "否", "next": "s2"}]}
Every answer either points to another step (`next`) or ends the run with a final answer text (`final`).
Validation errors are InvalidInput whose field names the step (`flow.s2`)."""

from __future__ import annotations

import re
from typing import Any

from hotline.core.errors import InvalidInput

STEP_ID = re.compile(r"^[\w\-]{1,32}$")
MAX_ANSWERS = 12


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def validate(raw: list[Any]) -> list[dict[str, Any]]:
    """Normalise a flow and check it: unique ids, a question and answers per step, known targets, no loops,
    every step reachable from the first."""
    steps: list[dict[str, Any]] = []
    for i, s in enumerate(raw, start=1):
        sid = _text(s.get("id")) if isinstance(s, dict) else ""
        field = f"flow.{sid or i}"
        if not isinstance(s, dict):
            raise InvalidInput(field, f"step {i} must be an object")
        if not STEP_ID.match(sid):
            raise InvalidInput(field, f"step {i} needs an id of letters, digits, - or _ (at most 32)")
        if any(p["id"] == sid for p in steps):
            raise InvalidInput(field, f"step {sid}: the id is used twice")
        question = _text(s.get("question"))
        if not question or len(question) > 500:
            raise InvalidInput(field, f"step {sid}: a question (at most 500 characters) is required")
        answers = s.get("answers")
        if not isinstance(answers, list) or not answers or len(answers) > MAX_ANSWERS:
            raise InvalidInput(field, f"step {sid}: between 1 and {MAX_ANSWERS} answers are required")
        clean = []
        for j, a in enumerate(answers, start=1):
            a = a if isinstance(a, dict) else {}
            label, nxt, final = _text(a.get("label")), _text(a.get("next")), _text(a.get("final"))
            if not label or len(label) > 200:
                raise InvalidInput(field, f"step {sid}: answer {j} needs a label (at most 200 characters)")
            if bool(nxt) == bool(final):
                raise InvalidInput(field, f"step {sid}: answer {j} goes either to a next step or to a final answer")
            if len(final) > 2000:
                raise InvalidInput(field, f"step {sid}: answer {j}'s final answer has at most 2000 characters")
            clean.append({"label": label, "next": nxt} if nxt else {"label": label, "final": final})
        steps.append({"id": sid, "question": question, "answers": clean})
    by_id = {s["id"]: s for s in steps}
    for s in steps:
        for j, a in enumerate(s["answers"], start=1):
            if "next" in a and a["next"] not in by_id:
                raise InvalidInput(f"flow.{s['id']}", f"step {s['id']}: answer {j} points to an unknown step {a['next']}")
    _check_graph(steps, by_id)
    return steps


def _check_graph(steps: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> None:
    if not steps:
        return
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(sid: str) -> None:
        state[sid] = 1
        for a in by_id[sid]["answers"]:
            nxt = a.get("next")
            if nxt is None:
                continue
            if state.get(nxt) == 1:
                raise InvalidInput(f"flow.{sid}", f"step {sid}: going to {nxt} makes a loop")
            if nxt not in state:
                visit(nxt)
        state[sid] = 2

    visit(steps[0]["id"])
    for s in steps:
        if s["id"] not in state:
            raise InvalidInput(f"flow.{s['id']}", f"step {s['id']} cannot be reached from the first step")


def current_step(steps: list[dict[str, Any]], path: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The step a run's path leads to (the first step for an empty path; None once a final answer is reached)."""
    by_id = {s["id"]: s for s in steps}
    step = steps[0] if steps else None
    for choice in path:
        if step is None or choice.get("step") != step["id"]:
            return None
        step = by_id.get(choice.get("next") or "")
    return step


def choose(step: dict[str, Any], answer: int) -> dict[str, Any]:
    """The path entry for choosing answer number `answer` (0-based) at a step."""
    if not 0 <= answer < len(step["answers"]):
        raise InvalidInput("answer", f"step {step['id']} has no answer {answer + 1}")
    a = step["answers"][answer]
    return {"step": step["id"], "question": step["question"], "answer": a["label"],
            "next": a.get("next", ""), "final": a.get("final", "")}

"""Knowledge-base pages: search (the same ranking as the API), the article with its plain-language answer
and feedback, the editor with its review queue, best-practice submission, and the usage report."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from hotline.core.auth import Principal, Resource, allowed
from hotline.core.errors import HotlineError, InvalidInput, NotFound
from hotline.knowledge import api, flows, rules, service
from hotline.knowledge.ranking import Context
from hotline.knowledge.schemas import parse_article
from hotline.web.deps import MAX_ID, AppClock, CurrentPrincipal, DbSession, require
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)
REF = re.compile(r"^[\w.\-:]{1,64}$")
BUSINESS_TYPES = ("mobile", "broadband", "fixed")
ContactId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FLOW_KEY = re.compile(r"^flow-(\d{1,3})-(?:(id|question)|(\d{1,2})-(label|next|final))$")


def _ref(ref: str) -> str:
    if not REF.match(ref):
        raise NotFound("article not found")
    return ref


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


def _split(value: str) -> list[str]:
    return [x for x in re.split(r"[,，;；\s]+", value) if x]


@router.get("/kb", dependencies=[require("kb.read")])
def search_page(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock, q: str = "",
                business_type: str = "", contact_id: ContactId = None) -> Response:
    q = q[:200]
    ctx = Context(business_type=business_type if business_type in BUSINESS_TYPES else None)
    typing = request.headers.get("hx-trigger") == "kb-q"  # as-you-type results are not logged as searches
    hits = service.search(db, query=q, at=clock.now(), limit=10, principal=principal, context=ctx, snippets=True,
                          log=not typing) if q.strip() else []
    template = "knowledge/_results.html" if request.headers.get("hx-request") == "true" else "knowledge/search.html"
    return render(request, template, {"q": q, "hits": hits, "business_type": business_type,
                                      "business_types": BUSINESS_TYPES, "contact_id": contact_id})


def _article(request: Request, db: DbSession, principal: Principal, ref: str, *, message: str = "",
             error: str = "", status_code: int = 200, contact_id: int | None = None) -> Response:
    art = service.get_article(db, principal=principal, ref=_ref(ref))
    data = api.read(db, art, principal)
    editor = allowed(principal, service.EDIT, Resource(art.org_path))
    return render(request, "knowledge/article.html", {
        "a": data, "editor": editor, "message": message, "error": error,
        "can_feedback": principal.can(service.FEEDBACK) and art.state in rules.LIVE_STATES,
        "can_run": art.kind == "flow" and art.state in rules.LIVE_STATES, "contact_id": contact_id,
    }, status_code=status_code)


@router.get("/kb/articles/{ref}", dependencies=[require("kb.read")])
def article_page(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                 done: str = "", contact_id: ContactId = None) -> Response:
    art = service.get_article(db, principal=principal, ref=_ref(ref))
    if art.state in rules.LIVE_STATES and not done:
        service.record_view(db, principal=principal, at=clock.now(), ref=art.ref,
                            contact_ref=str(contact_id) if contact_id else "")
    message = {"vote": "Thank you for the feedback", "flag": "Reported to the editors"}.get(done, "")
    return _article(request, db, principal, ref, message=message, contact_id=contact_id)


# -- guided-flow runner -----------------------------------------------------------------------------
def _id(value: str) -> int | None:
    """An optional id from a form field; anything else is a 422."""
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise InvalidInput("id", "not a valid id")
    return int(value)


def _runner(request: Request, db: DbSession, principal: Principal, ref: str, *, run_id: int | None,
            contact_id: int | None, error: str = "", status_code: int = 200) -> Response:
    art, snap = service.live_flow(db, principal=principal, ref=_ref(ref))
    run = service.flow_run(db, principal=principal, run_id=run_id) if run_id else None
    if run is not None and run.article_ref != art.ref:
        raise NotFound("flow run not found")
    steps = snap.get("flow", [])
    path = run.path if run else []
    step = flows.current_step(steps, path)
    context = {"ref": art.ref, "title": snap.get("title", art.title), "steps": steps, "path": path, "step": step,
               "final": path[-1]["final"] if path and step is None else "", "run": run, "error": error,
               "contact_id": contact_id if run is None else (run.contact_ref or None)}
    fragment = request.headers.get("hx-request") == "true"
    return render(request, "knowledge/_runner.html" if fragment else "knowledge/run.html", context,
                  status_code=status_code)


@router.get("/kb/articles/{ref}/run", dependencies=[require("kb.read")])
def run_page(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal,
             contact_id: ContactId = None, run: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """The runner: one question at a time (an htmx fragment, or a whole page when opened directly)."""
    return _runner(request, db, principal, ref, run_id=run, contact_id=contact_id)


@router.post("/kb/articles/{ref}/run", dependencies=[require("kb.read")])
async def run_action(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal,
                     clock: AppClock) -> Response:
    """Record a choice (the first one starts a run, on the contact when one is given) and show what follows."""
    form = await _form(request)
    run_id, contact_id = _id(form.get("run", "")), _id(form.get("contact_id", ""))
    try:
        with db.begin_nested():
            run = service.record_flow_choice(
                db, principal=principal, at=clock.now(), ref=_ref(ref), step=form.get("step", ""),
                answer=int(form.get("answer", "-1")), run_id=run_id, contact_ref=str(contact_id) if contact_id else "")
    except (InvalidInput, ValueError) as exc:
        msg = exc.msg if isinstance(exc, InvalidInput) else "invalid choice"
        return _runner(request, db, principal, ref, run_id=run_id, contact_id=contact_id, error=msg,
                       status_code=422)
    if request.headers.get("hx-request") == "true":
        return _runner(request, db, principal, ref, run_id=run.id, contact_id=contact_id)
    return RedirectResponse(f"/kb/articles/{run.article_ref}/run?run={run.id}", status_code=303)


@router.post("/kb/articles/{ref}/feedback", dependencies=[require("kb.feedback")])
async def feedback_action(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal,
                          clock: AppClock) -> Response:
    form = await _form(request)
    service.vote(db, principal=principal, at=clock.now(), ref=_ref(ref), helpful=form.get("helpful") == "yes",
                 contact_ref=form.get("contact_ref", "")[:64])
    return RedirectResponse(f"/kb/articles/{ref}?done=vote", status_code=303)


@router.post("/kb/articles/{ref}/flag", dependencies=[require("kb.feedback")])
async def flag_action(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal,
                      clock: AppClock) -> Response:
    form = await _form(request)
    try:
        with db.begin_nested():
            service.flag(db, principal=principal, at=clock.now(), ref=_ref(ref), kind=form.get("kind", "error"),
                         comment=form.get("comment", ""))
    except HotlineError as exc:
        return _article(request, db, principal, ref, error=exc.msg, status_code=422)
    return RedirectResponse(f"/kb/articles/{ref}?done=flag", status_code=303)


# -- best practice ----------------------------------------------------------------------------------
@router.get("/kb/submit", dependencies=[require("kb.feedback")])
def submit_page(request: Request, done: str = "") -> Response:
    return render(request, "knowledge/submit.html", {"done": bool(done), "error": "", "form": {}})


@router.post("/kb/submit", dependencies=[require("kb.feedback")])
async def submit_action(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> Response:
    form = await _form(request)
    try:
        with db.begin_nested():
            service.submit_best_practice(db, principal=principal, at=clock.now(), title=form.get("title", ""),
                                         body=form.get("body", ""))
    except HotlineError as exc:
        return render(request, "knowledge/submit.html", {"done": False, "error": exc.msg, "form": form},
                      status_code=422)
    return RedirectResponse("/kb/submit?done=1", status_code=303)


# -- editor ---------------------------------------------------------------------------------------
@router.get("/kb/editor", dependencies=[require("kb.edit")])
def queue_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    return render(request, "knowledge/queue.html", {"queue": api.queue(db, principal), "states": rules.STATES})


def _flow_in(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The flow steps of an editor form (`flow-<i>-id`, `flow-<i>-question`, `flow-<i>-<j>-label|next|final`),
    in order; answers without a label are the blank rows and are dropped."""
    steps: dict[int, dict[str, Any]] = {}
    for key, value in form.items():
        m = FLOW_KEY.match(key)
        if not m or not isinstance(value, str):
            continue
        step = steps.setdefault(int(m[1]), {"id": "", "question": "", "answers": {}})
        if m[2]:
            step[m[2]] = value
        else:
            step["answers"].setdefault(int(m[3]), {})[m[4]] = value
    return [{"id": st["id"], "question": st["question"],
             "answers": [{"label": a["label"], "next": a["next"]} if a.get("next")
                         else {"label": a["label"], "final": a.get("final", "")}
                         for _, a in sorted(st["answers"].items()) if a.get("label")]}
            for _, st in sorted(steps.items())]


def _flow_op(steps: list[dict[str, Any]], op: str) -> list[dict[str, Any]]:
    """Add a blank step (with a fresh id) or remove step number i; the editor re-renders without saving."""
    if op == "add":
        ids = {st["id"] for st in steps}
        n = next(i for i in range(len(steps) + 1, len(steps) + 1000) if f"s{i}" not in ids)
        return [*steps, {"id": f"s{n}", "question": "", "answers": []}]
    if op.startswith("remove-") and op[7:].isdigit():
        return [st for i, st in enumerate(steps) if i != int(op[7:])]
    return steps


def _article_in(form: dict[str, Any]) -> Any:
    flow = [st for st in form.get("flow", []) if st["question"] or st["answers"]]
    return parse_article({
        "flow": flow if form.get("kind") == "flow" else [],
        "id": form.get("id") or None, "title": form.get("title", ""), "kind": form.get("kind", "qa"),
        "question": form.get("question", ""), "body": form.get("body", ""), "answer_plain": form.get("answer_plain", ""),
        "category": [form.get(f"category_l{i}", "") for i in (1, 2, 3)], "keywords": _split(form.get("keywords", "")),
        "business_types": _split(form.get("business_types", "")), "related": _split(form.get("related", "")),
        "effective_from": form.get("effective_from") or None, "effective_to": form.get("effective_to") or None,
    })


def _editor(request: Request, db: DbSession, principal: Principal, ref: str | None, *, form: dict[str, Any] | None = None,
            error: str = "", status_code: int = 200) -> Response:
    a = history = None
    if ref:
        art = service.get_article(db, principal=principal, ref=_ref(ref), permission=service.EDIT)
        a = api.read(db, art, principal)
        history = service.versions(db, principal=principal, ref=art.ref)
    if form is None:
        form = {} if a is None else {
            **a.model_dump(), "keywords": " ".join(a.keywords), "business_types": " ".join(a.business_types),
            "related": " ".join(a.related), **{f"category_l{i + 1}": c for i, c in enumerate(a.category)},
            "effective_from": a.effective_from.date().isoformat() if a.effective_from else "",
            "effective_to": a.effective_to.date().isoformat() if a.effective_to else "",
        }
    if not form.get("flow") and form.get("kind") == "flow":
        form = {**form, "flow": _flow_op([], "add")}
    return render(request, "knowledge/editor.html", {"a": a, "form": form, "history": history, "error": error,
                                                     "kinds": rules.KINDS}, status_code=status_code)


async def _editor_form(request: Request) -> dict[str, Any]:
    form: dict[str, Any] = await _form(request)
    return {**form, "flow": _flow_in(form)}


def _message(exc: Exception) -> str:
    """An editor error naming its field (`flow.s2: …` names the step)."""
    if isinstance(exc, HotlineError):
        field = exc.details.get("field", "")
        return f"{field}: {exc.msg}" if field else exc.msg
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"])
    return str(exc)


@router.get("/kb/editor/new", dependencies=[require("kb.edit")])
def new_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    return _editor(request, db, principal, None)


@router.post("/kb/editor/new", dependencies=[require("kb.edit")])
async def create_action(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> Response:
    form = await _editor_form(request)
    if form.get("flow_op"):
        return _editor(request, db, principal, None, form={**form, "flow": _flow_op(form["flow"], form["flow_op"])})
    try:
        with db.begin_nested():
            art = service.create_article(db, principal=principal, at=clock.now(), data=_article_in(form))
    except (HotlineError, ValidationError) as exc:
        return _editor(request, db, principal, None, form=form, error=_message(exc), status_code=422)
    return RedirectResponse(f"/kb/editor/{art.ref}", status_code=303)


@router.get("/kb/editor/{ref}", dependencies=[require("kb.edit")])
def edit_page(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal) -> Response:
    return _editor(request, db, principal, ref)


@router.post("/kb/editor/{ref}", dependencies=[require("kb.edit")])
async def save_action(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal,
                      clock: AppClock) -> Response:
    form = await _editor_form(request)
    if form.get("flow_op"):
        return _editor(request, db, principal, ref, form={**form, "flow": _flow_op(form["flow"], form["flow_op"])})
    try:
        with db.begin_nested():
            version = int(form.get("version", "0") or 0)
            service.update_article(db, principal=principal, at=clock.now(), ref=_ref(ref), data=_article_in(form),
                                   expected_version=version)
    except (HotlineError, ValidationError, ValueError) as exc:
        if isinstance(exc, NotFound):
            raise
        return _editor(request, db, principal, ref, form=form, error=_message(exc), status_code=422)
    return RedirectResponse(f"/kb/editor/{ref}", status_code=303)


@router.post("/kb/editor/{ref}/act/{action}", dependencies=[require("kb.edit")])
async def act_action(request: Request, ref: str, action: str, db: DbSession, principal: CurrentPrincipal,
                     clock: AppClock) -> Response:
    form = await _form(request)
    if action not in rules.ACTIONS:
        raise NotFound("no such action")
    try:
        with db.begin_nested():
            service.act(db, principal=principal, at=clock.now(), ref=_ref(ref), action=action,
                        note=form.get("note", "")[:500])
    except HotlineError as exc:
        if isinstance(exc, NotFound):
            raise
        return _editor(request, db, principal, ref, error=exc.msg, status_code=exc.http_status)
    return RedirectResponse(f"/kb/editor/{ref}", status_code=303)


@router.post("/kb/editor/submissions/{submission_id}/accept", dependencies=[require("kb.edit")])
def accept_action(submission_id: int, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> Response:
    art = service.accept_submission(db, principal=principal, at=clock.now(), submission_id=submission_id)
    return RedirectResponse(f"/kb/editor/{art.ref}", status_code=303)


# -- usage report ---------------------------------------------------------------------------------
@router.get("/kb/report", dependencies=[require("kb.report")])
def report_page(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                days: int = 30) -> Response:
    rep = service.usage_report(db, principal=principal, at=clock.now(), days=max(1, min(days, 366)))
    return render(request, "knowledge/report.html", {"r": rep, "days": days})

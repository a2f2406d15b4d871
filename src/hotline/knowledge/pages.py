"""Knowledge-base pages: search (the same ranking as the API), the article with its plain-language answer
and feedback, the editor with its review queue, best-practice submission, and the usage report."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from hotline.core.auth import Principal, Resource, allowed
from hotline.core.errors import HotlineError, NotFound
from hotline.knowledge import api, rules, service
from hotline.knowledge.ranking import Context
from hotline.knowledge.schemas import parse_article
from hotline.web.deps import AppClock, CurrentPrincipal, DbSession, require
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)
REF = re.compile(r"^[\w.\-:]{1,64}$")
BUSINESS_TYPES = ("mobile", "broadband", "fixed")


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
                business_type: str = "") -> Response:
    q = q[:200]
    ctx = Context(business_type=business_type if business_type in BUSINESS_TYPES else None)
    typing = request.headers.get("hx-trigger") == "kb-q"  # as-you-type results are not logged as searches
    hits = service.search(db, query=q, at=clock.now(), limit=10, principal=principal, context=ctx, snippets=True,
                          log=not typing) if q.strip() else []
    template = "knowledge/_results.html" if request.headers.get("hx-request") == "true" else "knowledge/search.html"
    return render(request, template, {"q": q, "hits": hits, "business_type": business_type,
                                      "business_types": BUSINESS_TYPES})


def _article(request: Request, db: DbSession, principal: Principal, ref: str, *, message: str = "",
             error: str = "", status_code: int = 200) -> Response:
    art = service.get_article(db, principal=principal, ref=_ref(ref))
    data = api.read(db, art, principal)
    editor = allowed(principal, service.EDIT, Resource(art.org_path))
    return render(request, "knowledge/article.html", {
        "a": data, "editor": editor, "message": message, "error": error,
        "can_feedback": principal.can(service.FEEDBACK) and art.state in rules.LIVE_STATES,
    }, status_code=status_code)


@router.get("/kb/articles/{ref}", dependencies=[require("kb.read")])
def article_page(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                 done: str = "") -> Response:
    art = service.get_article(db, principal=principal, ref=_ref(ref))
    if art.state in rules.LIVE_STATES and not done:
        service.record_view(db, principal=principal, at=clock.now(), ref=art.ref)
    message = {"vote": "Thank you for the feedback", "flag": "Reported to the editors"}.get(done, "")
    return _article(request, db, principal, ref, message=message)


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


def _article_in(form: dict[str, str]) -> Any:
    return parse_article({
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
    return render(request, "knowledge/editor.html", {"a": a, "form": form, "history": history, "error": error,
                                                     "kinds": rules.KINDS}, status_code=status_code)


@router.get("/kb/editor/new", dependencies=[require("kb.edit")])
def new_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    return _editor(request, db, principal, None)


@router.post("/kb/editor/new", dependencies=[require("kb.edit")])
async def create_action(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> Response:
    form = await _form(request)
    try:
        with db.begin_nested():
            art = service.create_article(db, principal=principal, at=clock.now(), data=_article_in(form))
    except (HotlineError, ValidationError) as exc:
        msg = exc.msg if isinstance(exc, HotlineError) else str(exc.errors()[0]["msg"])
        field = exc.details.get("field", "") if isinstance(exc, HotlineError) else ""
        return _editor(request, db, principal, None, form=form, error=f"{field}: {msg}" if field else msg,
                       status_code=422)
    return RedirectResponse(f"/kb/editor/{art.ref}", status_code=303)


@router.get("/kb/editor/{ref}", dependencies=[require("kb.edit")])
def edit_page(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal) -> Response:
    return _editor(request, db, principal, ref)


@router.post("/kb/editor/{ref}", dependencies=[require("kb.edit")])
async def save_action(request: Request, ref: str, db: DbSession, principal: CurrentPrincipal,
                      clock: AppClock) -> Response:
    form = await _form(request)
    try:
        with db.begin_nested():
            version = int(form.get("version", "0") or 0)
            service.update_article(db, principal=principal, at=clock.now(), ref=_ref(ref), data=_article_in(form),
                                   expected_version=version)
    except (HotlineError, ValidationError, ValueError) as exc:
        if isinstance(exc, NotFound):
            raise
        msg = exc.msg if isinstance(exc, HotlineError) else str(exc)
        return _editor(request, db, principal, ref, form=form, error=msg, status_code=422)
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

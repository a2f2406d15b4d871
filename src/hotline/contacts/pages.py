"""Contacts pages: the agent desktop, the wallboard, the caller's softphone and web chat, the IVR editor."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hotline.contacts import service as svc
from hotline.core.auth import Principal
from hotline.core.errors import HotlineError, InvalidInput
from hotline.org import service as org_service
from hotline.web.deps import MAX_ID, AppClock, CurrentPrincipal, DbSession, IdPath, RequestActor, require
from hotline.web.templating import render

router = APIRouter()


@router.get("/desktop", dependencies=[require("contacts.desktop")])
def desktop_page(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    """The agent desktop: everything live comes from the snapshot API and the WebSocket."""
    return render(request, "contacts/desktop.html", {})


@router.get("/wallboard", dependencies=[require("wallboard.read")])
def wallboard_page(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    """The live wallboard of the principal's scope."""
    return render(request, "contacts/wallboard.html", {})


@router.get("/softphone")
def softphone_page(request: Request) -> HTMLResponse:
    """A caller's browser phone: dial, hear the IVR as text, press digits, wait, talk by text."""
    return render(request, "contacts/caller.html", {"channel": "voice"})


@router.get("/chat")
def chat_page(request: Request) -> HTMLResponse:
    """The customer's web chat widget (the same IVR menu as buttons, the same routing)."""
    return render(request, "contacts/caller.html", {"channel": "chat"})


# ---------------------------------------------------------------- IVR menu editor
def _ivr_context(db: Session, principal: Principal) -> dict[str, Any]:
    """Menus grouped by (unit, name), newest version first, with the unit names."""
    menus = svc.list_menus(db_session=db, principal=principal)
    units = {u.id: u for u in org_service.list_units(db_session=db, principal=principal)}
    groups: dict[tuple[int, str], list[Any]] = {}
    for m in menus:
        groups.setdefault((m.unit_id, m.name), []).append(m)
    return {"groups": [{"unit": units.get(uid), "unit_id": uid, "name": name,
                        "versions": sorted(vs, key=lambda m: -m.version),
                        "live": next((m for m in vs if m.status == "published"), None)}
                       for (uid, name), vs in sorted(groups.items())],
            "units": [u for u in units.values() if u.kind in ("hq", "province")]}


@router.get("/ivr", dependencies=[require("contacts.manage")])
def ivr_page(request: Request, db: DbSession, principal: CurrentPrincipal, edit: int | None = None) -> HTMLResponse:
    """IVR menus: the live tree, every version, and a YAML editor that saves a new draft."""
    ctx = _ivr_context(db, principal)
    chosen = next((m for g in ctx["groups"] for m in g["versions"] if m.id == edit), None)
    if chosen is None and ctx["groups"]:
        g = ctx["groups"][0]
        chosen = g["live"] or g["versions"][0]
    ctx.update(chosen=chosen, draft_yaml=yaml.safe_dump(chosen.tree, allow_unicode=True, sort_keys=False)
               if chosen else "", form_unit=chosen.unit_id if chosen else None, form_name=chosen.name if chosen else "")
    return render(request, "contacts/ivr.html", ctx)


@router.post("/ivr", dependencies=[require("contacts.manage")])
def ivr_save(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock, actor: RequestActor,
             unit_id: int = Form(..., ge=1, le=MAX_ID), name: str = Form(..., min_length=1, max_length=40),
             tree: str = Form(..., max_length=200_000)) -> Response:
    """Save the edited tree as a new draft version (validated; errors name the node)."""
    try:
        parsed = yaml.safe_load(tree)
        if not isinstance(parsed, dict):
            raise InvalidInput("tree", "The tree must be a mapping with a kind")
        menu = svc.do_save_ivr_draft(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                     unit_id=unit_id, name=name, tree=parsed)
    except yaml.YAMLError as exc:
        return _ivr_error(request, db, principal, unit_id, name, tree, f"YAML: {exc}".splitlines()[0])
    except HotlineError as exc:
        return _ivr_error(request, db, principal, unit_id, name, tree, f"{exc.details.get('field', '')}: {exc.msg}")
    return RedirectResponse(f"/ivr?edit={menu.id}", status_code=303)


def _ivr_error(request: Request, db: Session, principal: Principal, unit_id: int, name: str, tree: str,
               error: str) -> HTMLResponse:
    ctx = _ivr_context(db, principal)
    ctx.update(chosen=None, draft_yaml=tree, form_unit=unit_id, form_name=name, error=error)
    return render(request, "contacts/ivr.html", ctx, status_code=422)


@router.post("/ivr/{menu_id}/publish", dependencies=[require("contacts.manage")])
def ivr_publish(menu_id: IdPath, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                actor: RequestActor) -> Response:
    """Publish a version: a draft goes live, an older version is a rollback."""
    menu = svc.do_publish_ivr(db_session=db, principal=principal, actor=actor, now=clock.now(), menu_id=menu_id)
    return RedirectResponse(f"/ivr?edit={menu.id}", status_code=303)

"""Contacts pages: the agent desktop, the wallboard, and the caller's softphone and web-chat pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hotline.web.deps import CurrentPrincipal, require
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

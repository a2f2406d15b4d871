"""In a real browser: an agent finds a customer, verifies identity, changes the package; a supervisor sees the
audit entry. Screenshots go to $HOTLINE_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from hotline.core.security import find_unmasked
from hotline.core.testing import browser_login

PW = "hotline-demo-2026"



@pytest.mark.e2e
def test_agent_changes_package_and_supervisor_sees_audit(live_server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    # pick a customer with a set (non-initial) password through the API, as a supervisor would
    api = httpx.Client(base_url=base)
    token = api.post("/api/auth/login", json={"username": "supervisor", "password": PW}).json()["token"]
    api.headers["Authorization"] = f"Bearer {token}"
    candidates = api.get("/api/customers", params={"q": "王", "limit": 50}).json()
    target = next(c for c in candidates if c["status"] == "active"
                  and not api.get(f"/api/customers/{c['id']}").json()["password_is_initial"])
    view = api.get(f"/api/customers/{target['id']}").json()
    number = api.post(f"/api/customers/{target['id']}/reveal", json={"field": "number", "reason": "e2e 测试"}).json()["value"]

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(page, base, "agent")
    page.screenshot(path=str(shots / "home-agent.png"))
    page.goto(base + "/customers")
    page.fill("input[name=q]", number)
    page.click("form[action='/customers'] button[type=submit]")
    page.click(f"a[href='/customers/{target['id']}']")
    assert find_unmasked(page.content()) == [], "the 360 view shows masked numbers only"
    page.fill("#verify-panel input[name=password]", "135790")
    page.click("#verify-panel button[type=submit]")
    page.wait_for_selector("#verified")
    options = page.locator("select[name=package_code] option").all()
    new_code = next(o.get_attribute("value") for o in options if o.get_attribute("value") != view["package"]["code"])
    page.select_option("select[name=package_code]", new_code)
    page.click("form:has(input[value=change_package]) button[type=submit]")
    page.wait_for_selector(f"#package:has-text('{new_code}')")
    page.screenshot(path=str(shots / "customer-360.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors

    sup = context.new_page()
    sup.context.clear_cookies()
    browser_login(sup, base, "supervisor")
    sup.goto(base + f"/audit?target_type=customer&target_id={target['id']}")
    row = sup.locator("tr:has(code:text('bss.change_package'))")
    assert row.count() == 1
    assert "agent" in row.inner_text() and new_code in row.inner_text()
    sup.screenshot(path=str(shots / "audit.png"), full_page=True)
    context.close()

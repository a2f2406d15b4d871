"""In a real browser (Debian's chromium): an agent takes a complaint from a call for a customer, tries and
cannot solve it, the expert cannot either and dispatches it to 网络部, the department replies in its portal, the
centre calls back and the customer is satisfied → archived. Then an overdue department step escalates (the SLA
poller is run by the CLI with its clock moved ten days on) and shows in the portal and in the department's
timeliness report. Screenshots go to $HOTLINE_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

PW = "hotline-demo-2026"


def _page(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def _act(page, action: str, **fields: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"form[action$='/act/{action}']").first
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value) if not value.isdigit() else control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _api(base: str, username: str) -> httpx.Client:
    api = httpx.Client(base_url=base, timeout=30)
    api.headers["Authorization"] = "Bearer " + api.post(
        "/api/auth/login", json={"username": username, "password": PW}).json()["token"]
    return api


@pytest.mark.e2e
@pytest.mark.slow
def test_complaint_closed_loop_and_overdue_escalation_in_browser(live_tickets, chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = live_tickets.url
    sup = _api(base, "supervisor")
    customer = sup.get("/api/customers", params={"q": "王", "limit": 5}).json()[0]

    # the agent takes the complaint from the call, for the customer
    agent = _page(chromium, base, "agent")
    agent.goto(f"{base}/tickets/new?customer_id={customer['id']}&contact_id=call-e2e-1")
    assert agent.locator("html").get_attribute("lang", timeout=2000) in ("zh-CN", "zh")
    agent.select_option("select[name=type]", "complaint")
    agent.fill("input[name=title]", "SP 业务未订购被扣费")
    sp = agent.locator("select[name=phenomenon_id] option", has_text="SP扣费争议").first.get_attribute("value")
    agent.select_option("select[name=phenomenon_id]", sp)
    agent.fill("textarea[name=description]", "客户称未订购任何 SP 业务，本月被扣 10 元")
    agent.fill("input[name=area]", "武汉洪山")
    agent.fill("input[name=cell_id]", "WH-0731")
    agent.click("form[action='/tickets/new'] button[type=submit]")
    agent.wait_for_url(f"{base}/tickets/*")
    tid = int(agent.url.rsplit("/", 1)[1])
    assert "已受理" in agent.inner_text("table.facts") and "call-e2e-1" in agent.inner_text("table.facts")
    _act(agent, "frontline_try", note="核实定制关系，无法在一线退订")
    _act(agent, "to_expert", note="转专家座席")
    assert "专家预处理" in agent.inner_text("table.facts")

    # the expert cannot solve it either and dispatches it to 网络部
    expert = _page(chromium, base, "expert")
    expert.goto(f"{base}/tickets/{tid}")
    _act(expert, "dispatch", dept_id="网络部", note="需网络部核查 SP 平台")
    facts = expert.inner_text("table.facts")
    assert "已派单" in facts and "网络部" in facts

    # the department replies in its portal
    bo = _page(chromium, base, "backoffice")
    bo.goto(base + "/tickets/portal")
    row = bo.locator("tr", has_text="SP 业务未订购被扣费")
    assert row.count() == 1
    bo.screenshot(path=str(shots / "tickets-portal.png"), full_page=True)
    cause = row.locator("form[action$='/act/reply'] select[name=cause_id] option", has_text="SP违规定制").first
    row.locator("form[action$='/act/reply'] select[name=cause_id]").select_option(cause.get_attribute("value"))
    row.locator("form[action$='/act/reply'] input[name=result]").fill("SP 违规定制，已退订并退费 10 元")
    row.locator("form[action$='/act/reply'] button[type=submit]").click()
    bo.wait_for_url(base + "/tickets/portal")
    assert bo.locator("tr", has_text="SP 业务未订购被扣费").count() == 0

    # the centre calls back: satisfied → archived
    expert.goto(f"{base}/tickets/{tid}")
    assert "已回单" in expert.inner_text("table.facts")
    _act(expert, "callback", satisfaction="满意", note="客户认可处理结果")
    facts = expert.inner_text("table.facts")
    assert "已归档" in facts and "满意" in facts
    history = expert.locator("section").last.inner_text()
    for word in ("受理", "派单", "回单", "回访", "归档"):
        assert word in history, (word, history)
    expert.screenshot(path=str(shots / "tickets-detail.png"), full_page=True)

    # an overdue department step: the poller, run with its clock ten days on, escalates it once
    api_agent, api_expert = _api(base, "agent"), _api(base, "expert")
    t = api_agent.post("/api/tickets", json={"type": "business", "title": "宽带提速未生效", "area": "武汉洪山"}).json()
    t = api_agent.post(f"/api/tickets/{t['id']}/actions/frontline_try", json={"version": t["version"], "note": "已重启"}).json()
    expert.goto(f"{base}/tickets/{t['id']}")
    _act(expert, "dispatch", dept_id="网络部")
    assert api_expert.get(f"/api/tickets/{t['id']}").json()["state"] == "dispatched"
    later = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    fired = json.loads(live_tickets.run_cli("tickets", "sweep", "--at", later, "--json"))["fired"]
    assert fired >= 3  # the three escalation levels of the new department step (at least)
    again = json.loads(live_tickets.run_cli("tickets", "sweep", "--at", later, "--json"))["fired"]
    assert again == 0  # exactly once
    hist = api_agent.get(f"/api/tickets/{t['id']}/history").json()
    assert [h["changes"]["escalation_level"][1] for h in hist if h["action"] == "escalate"] == [1, 2, 3]
    bo.goto(base + "/tickets/portal")
    row = bo.locator("tr", has_text="宽带提速未生效")
    assert "超时" in row.inner_text() and "已升级 3" in row.inner_text()
    bo.screenshot(path=str(shots / "tickets-portal-overdue.png"), full_page=True)
    manager = _page(chromium, base, "manager")
    manager.goto(base + "/tickets/hotspots?by=area&days=30")
    network = manager.locator("table.grid tr", has_text="网络部").last.inner_text().split("\t")
    assert network[0].strip() == "网络部" and int(network[3]) >= 1 and int(network[4]) >= 1, network  # overdue, escalated
    manager.wait_for_timeout(500)
    manager.screenshot(path=str(shots / "tickets-hotspots.png"), full_page=True)
    agent.goto(base + "/tickets")
    assert "SP 业务未订购被扣费" in agent.inner_text("table.grid")
    agent.screenshot(path=str(shots / "tickets-list.png"), full_page=True)
    for p in (agent, expert, bo, manager):
        assert not [e for e in p.errors if "Content Security Policy" in e], p.errors


"""Playwright in Debian's chromium against a live server: a caller in the softphone reaches an agent's desktop
through the IVR, the agent answers, transfers to an expert, the expert ends with ACW, and the wallboard counts it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
PASSWORD = "hotline-demo-2026"


def _sign_in(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_softphone_to_desktop_transfer_acw_and_wallboard(live, regular_number, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    shots = Path(os.environ.get("HOTLINE_SHOTS", tmp_path))
    agent = _sign_in(browser, live.url, "agent")
    expert = _sign_in(browser, live.url, "expert")
    board = _sign_in(browser, live.url, "supervisor")
    for page in (agent, expert):
        page.goto(live.url + "/desktop")
        page.click("#btn-login")
        expect(page.locator("#btn-ready")).to_be_enabled()
        page.click("#btn-ready")
        expect(page.locator("#state")).to_have_class(re.compile("s-ready"))
    board.goto(live.url + "/wallboard")
    expect(board.locator('#queues tr[data-queue="HB.regular"]')).to_be_visible()

    caller = browser.new_context(viewport={"width": 700, "height": 900}).new_page()
    caller.goto(live.url + "/softphone")
    caller.fill("#number", regular_number)
    caller.click("#btn-dial")
    expect(caller.locator("#log")).to_contain_text("人工服务请按0")
    caller.click('[data-key="0"]')

    expect(agent.locator("#offer-actions")).to_be_visible(timeout=10_000)
    expect(agent.locator("#c-ivr")).to_contain_text("root:0")
    agent.click("#btn-accept")
    expect(agent.locator("#talk-actions")).to_be_visible()
    expect(agent.locator("#btn-ready")).to_be_disabled()  # the state buttons follow the state machine
    expect(agent.locator("#btn-logout")).to_be_disabled()
    expect(caller.locator("#status")).to_have_attribute("data-state", "talking", timeout=5000)
    caller.fill("#talk-text", "我要投诉信号太差")
    caller.click("#btn-talk")
    expect(agent.locator("#messages")).to_contain_text("我要投诉信号太差", timeout=5000)
    agent.fill("#say-text", "好的，为您转接投诉专席")
    agent.click("#btn-say")
    expect(caller.locator("#log")).to_contain_text("为您转接投诉专席", timeout=5000)
    agent.wait_for_timeout(500)
    agent.screenshot(path=str(shots / "desktop.png"), full_page=True)

    agent.select_option("#transfer-target", "expert")
    agent.click("#btn-transfer")
    expect(agent.locator("#wrapup")).to_be_visible()
    agent.select_option("#wrap-code", "transfer")
    agent.click("#btn-wrapup")
    expect(agent.locator("#state")).to_have_class(re.compile("s-ready"))

    expect(expert.locator("#offer-actions")).to_be_visible(timeout=10_000)
    expert.click("#btn-accept")
    expect(expert.locator("#talk-actions")).to_be_visible()
    expect(caller.locator("#status")).to_have_attribute("data-state", "talking", timeout=5000)
    expert.click("#btn-hold")
    expect(expert.locator("#btn-unhold")).to_be_visible()
    expert.click("#btn-unhold")
    expert.click("#btn-end")
    expect(expert.locator("#wrapup")).to_be_visible()
    expect(expert.locator("#state")).to_have_class(re.compile("s-acw"))
    expert.select_option("#wrap-code", "resolved")
    expert.click("#btn-wrapup")
    expect(expert.locator("#state")).to_have_class(re.compile("s-ready"))

    answered = board.locator('#queues tr[data-queue="HB.regular"] td').nth(4)
    expect(answered).to_have_text("1", timeout=5000)
    expect(board.locator('#queues tr[data-queue="HB.complaint"] td').nth(4)).to_have_text("1", timeout=5000)
    expect(board.locator('[data-sl="HB.regular"]')).to_have_text("100.0%")
    expect(board.locator("#agents")).to_contain_text("王晓燕")
    board.wait_for_timeout(1200)
    board.screenshot(path=str(shots / "wallboard.png"), full_page=True)
    for page in (agent, expert, board):
        page.context.close()

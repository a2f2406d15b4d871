"""In a real browser: a planner opens the what-if page, cuts the agents, runs, and sees the result
beside the baseline with its four charts drawn. Screenshots go to $HOTLINE_SCREENSHOTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PW = "hotline-demo-2026"


@pytest.mark.e2e
@pytest.mark.slow
def test_planner_runs_a_what_if(sim_live, sim_browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = sim_live.url
    errors: list[str] = []
    page = sim_browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.click("a[href='/sim']")  # the nav tile
    page.wait_for_selector("#sim-queues")
    assert page.locator("h1").inner_text() == "假设分析仿真"
    page.fill("input[name='q.regular.arrivals']", "400")
    for i in range(3):
        page.fill(f"input[name='g.{i}.count']", "4")
    page.screenshot(path=str(shots / "sim-form.png"), full_page=True)
    page.click("#sim-run")
    page.wait_for_selector("#sim-compare", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 4", timeout=10_000)
    page.screenshot(path=str(shots / "sim-result.png"), full_page=True)
    rows = page.locator("#sim-compare tbody tr")
    assert rows.count() >= 6
    regular = page.locator("#sim-compare tbody tr", has_text="regular").first.inner_text()
    assert "%" in regular and "±" in regular
    assert not errors, errors

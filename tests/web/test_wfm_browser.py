"""In a real browser on a seeded `hotline serve` (whose seed publishes the demo province's week): a planner
opens /wfm/schedule and /wfm/intraday and every chart is drawn. Screenshots go to $HOTLINE_SCREENSHOTS
(default: the test's tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hotline.core.testing import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DRAWN = "[...document.querySelectorAll('[data-chart]')].every(e => e.querySelector('canvas'))"


def test_planner_sees_schedule_and_intraday_charts(live_server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS", tmp_path))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(page, live_server.url, "planner")
    page.goto(live_server.url + "/wfm")
    page.click("text=已发布排班")
    page.wait_for_function(DRAWN)
    assert page.locator("#gantt canvas").count() == 1
    assert page.locator("[data-chart]").count() >= 3  # Gantt + coverage of the demo's two queues
    assert page.locator("table.grid tbody tr").count() > 5  # the demo province's agents
    page.screenshot(path=str(shots / "wfm-schedule.png"), full_page=True)
    page.click("text=日内管理")
    page.wait_for_function(DRAWN)
    assert page.locator("[data-chart] canvas").count() == 4  # calls and staffing for each queue
    assert page.locator("table.adherence tbody tr").count() > 5
    page.screenshot(path=str(shots / "wfm-intraday.png"), full_page=True)
    assert errors == []
    page.close()

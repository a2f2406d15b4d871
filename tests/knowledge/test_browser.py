"""In a real browser: an editor publishes an article with a plain-language answer, an agent finds it with a
colloquial query and marks it helpful, the usage report counts it. Screenshots go to $HOTLINE_SCREENSHOTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hotline.core.testing import browser_login

PW = "hotline-demo-2026"



@pytest.mark.e2e
def test_editor_publishes_agent_finds_and_rates_report_counts(kb_live, kb_browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = kb_live.url
    errors: list[str] = []

    editor = kb_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    editor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(editor, base, "editor")
    editor.goto(base + "/kb/editor/new")
    editor.fill("input[name=title]", "宽带光猫LOS红灯闪烁处理")
    editor.fill("input[name=question]", "家里光猫亮红灯上不了网")
    editor.fill("textarea[name=answer_plain]", "光猫闪红灯说明光纤断了，我现在给您登记报修，师傅24小时内上门。")
    editor.fill("textarea[name=body]", "LOS灯红灯闪烁表示光信号中断，指导客户检查光纤后受理报修。")
    editor.fill("input[name=category_l1]", "宽带")
    editor.fill("input[name=category_l2]", "故障")
    editor.fill("input[name=category_l3]", "光猫")
    editor.fill("input[name=keywords]", "光猫红灯 LOS")
    editor.click("#save")
    editor.click("#act-review")
    editor.click("#act-publish")
    assert "已发布" in editor.content() or "published" in editor.content()
    editor.screenshot(path=str(shots / "kb-editor-published.png"), full_page=True)

    agent = kb_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    agent.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(agent, base, "agent")
    agent.goto(base + "/kb")
    agent.fill("#kb-q", "猫一直闪红灯")
    agent.press("#kb-q", "Enter")
    agent.locator("ol.kb-results li a").first.wait_for()
    # the demo knowledge base has its own LOS article too: ours must be among the top three
    top3 = [t.strip() for t in agent.locator("ol.kb-results li a").all_inner_texts()[:3]]
    assert "宽带光猫LOS红灯闪烁处理" in top3, top3
    assert agent.locator("ol.kb-results mark").count() > 0
    agent.screenshot(path=str(shots / "kb-search.png"), full_page=True)
    agent.get_by_role("link", name="宽带光猫LOS红灯闪烁处理", exact=True).click()
    assert "师傅24小时内上门" in agent.locator("#answer-plain").inner_text()
    agent.click("#helpful-yes")
    agent.wait_for_url("**done=vote")
    agent.screenshot(path=str(shots / "kb-article.png"), full_page=True)

    editor.goto(base + "/kb/report")
    assert int(editor.locator("#kpi-helpful").inner_text()) >= 1
    assert int(editor.locator("#kpi-views").inner_text()) >= 1
    editor.wait_for_function("document.querySelectorAll('.chart canvas').length >= 3")
    editor.screenshot(path=str(shots / "kb-report.png"), full_page=True)
    assert errors == []

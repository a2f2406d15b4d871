"""Knowledge API and pages against the seeded demo centre: an editor publishes, an agent finds it with a
colloquial query and marks it helpful, the usage report counts it; role and scope checks; pages render."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.knowledge import service
from hotline.knowledge.schemas import ArticleIn
from hotline.org.models import OrgUnit

ARTICLE = {"title": "翼享会员权益领取办法", "question": "客户问送的会员怎么领",
           "body": "办理指定套餐的客户可在掌上营业厅“我的-权益”中领取视频会员，每月1日刷新，当月有效。",
           "answer_plain": "您打开掌上营业厅，点“我的”里面的“权益”，就能领视频会员，每个月1号可以领一次。",
           "keywords": ["会员权益", "领会员"], "category": ["服务", "权益", "领取"], "business_types": ["mobile"]}


def _publish(editor, body: dict) -> dict:  # type: ignore[no-untyped-def]
    r = editor.post("/api/kb/articles", json=body)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["state"] == "drafted" and "review" in a["actions"]
    for action in ("review", "publish"):
        r = editor.post(f"/api/kb/articles/{a['id']}/actions/{action}", json={})
        assert r.status_code == 200, r.text
    return r.json()


def test_editor_publishes_agent_finds_and_rates_report_counts(login) -> None:  # type: ignore[no-untyped-def]
    editor, agent = login("editor"), login("agent")
    ref = f"kb-web-{uuid.uuid4().hex[:8]}"
    a = _publish(editor, {**ARTICLE, "id": ref})
    assert a["state"] == "published" and a["published_version"] == 1
    before = editor.get("/api/kb/report").json()["totals"]
    hits = agent.get("/api/kb/search", params={"q": "送的会员咋领"}).json()
    assert hits[0]["id"] == ref and "<mark>" in hits[0]["snippet"] and hits[0]["answer_plain"].startswith("您打开")
    page = agent.get(f"/kb/articles/{ref}")
    assert page.status_code == 200 and "您打开掌上营业厅" in page.text and 'id="helpful-yes"' in page.text
    r = agent.post(f"/api/kb/articles/{ref}/feedback", json={"helpful": True, "contact_ref": "call-1"})
    assert r.status_code == 200 and r.json()["helpful"] == 1
    after = editor.get("/api/kb/report").json()
    assert after["totals"]["helpful"] == before["helpful"] + 1
    assert after["totals"]["views"] == before["views"] + 1
    assert ref in [x["ref"] for x in after["articles"]]
    report = editor.get("/kb/report")
    assert report.status_code == 200 and 'data-chart="' in report.text


def test_an_agent_cannot_write_or_publish(login) -> None:  # type: ignore[no-untyped-def]
    editor, agent = login("editor"), login("agent")
    r = editor.post("/api/kb/articles", json={**ARTICLE, "id": f"kb-web-{uuid.uuid4().hex[:8]}"})
    ref = r.json()["id"]
    editor.post(f"/api/kb/articles/{ref}/actions/review", json={})
    assert agent.post("/api/kb/articles", json=ARTICLE).status_code == 403
    assert agent.post(f"/api/kb/articles/{ref}/actions/publish", json={}).status_code == 403
    assert agent.get(f"/api/kb/articles/{ref}").status_code == 404  # not live: readers cannot see drafts
    assert agent.get("/api/kb/report").status_code == 403
    assert agent.get("/kb/editor").status_code == 403
    trainer = login("trainer")
    assert trainer.post(f"/api/kb/articles/{ref}/actions/publish", json={}).status_code == 403
    assert editor.post(f"/api/kb/articles/{ref}/actions/publish", json={}).status_code == 200


def test_articles_of_another_province_are_not_found(login, seeded: Engine) -> None:  # type: ignore[no-untyped-def]
    ref = f"kb-other-{uuid.uuid4().hex[:8]}"
    with Session(seeded) as db, db.begin():
        provinces = db.execute(select(OrgUnit).where(OrgUnit.kind == "province").order_by(OrgUnit.id)).scalars().all()
        service.import_articles(db, records=[ArticleIn(**{**ARTICLE, "id": ref})], at=datetime.now(UTC),
                                org_path=provinces[1].path)
    agent, editor = login("agent"), login("editor")
    assert agent.get(f"/api/kb/articles/{ref}").status_code == 404
    assert agent.get(f"/kb/articles/{ref}").status_code == 404
    assert editor.post(f"/api/kb/articles/{ref}/actions/retire", json={}).status_code == 404
    assert ref not in [h["id"] for h in agent.get("/api/kb/search", params={"q": "会员权益"}).json()]


def test_editor_pages_flow_and_every_page_renders(login) -> None:  # type: ignore[no-untyped-def]
    editor, agent = login("editor"), login("agent")
    ref = f"kb-page-{uuid.uuid4().hex[:8]}"
    form = {"id": ref, "title": "靓号低消协议说明", "kind": "qa", "question": "靓号每个月最少要花多少",
            "answer_plain": "这个靓号每月最低消费88元，协议期两年。", "body": "靓号须签订最低消费协议。",
            "category_l1": "号码", "category_l2": "靓号", "category_l3": "低消", "keywords": "靓号 低消",
            "business_types": "mobile", "related": "", "effective_from": "", "effective_to": ""}
    r = editor.post("/kb/editor/new", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/kb/editor/{ref}"
    for action in ("review", "publish"):
        r = editor.post(f"/kb/editor/{ref}/act/{action}", data={}, follow_redirects=False)
        assert r.status_code == 303
    bad = editor.post("/kb/editor/new", data={**form, "id": "", "title": ""})
    assert bad.status_code == 422 and "title" in bad.text
    found = agent.get("/kb", params={"q": "靓号最低消费"})
    assert found.status_code == 200 and f"/kb/articles/{ref}" in found.text
    assert agent.post("/kb/submit", data={"title": "老人查话费", "body": "先按1再按2"},
                      follow_redirects=False).status_code == 303
    queue = editor.get("/kb/editor")
    assert queue.status_code == 200 and "老人查话费" in queue.text
    pages = {"agent": ["/kb", "/kb?q=话费", f"/kb/articles/{ref}", "/kb/submit"],
             "editor": ["/kb", "/kb/editor", "/kb/editor/new", f"/kb/editor/{ref}", "/kb/report", f"/kb/articles/{ref}"],
             "supervisor": ["/kb", "/kb/report"], "trainer": ["/kb/editor", "/kb/report"]}
    for who, urls in pages.items():
        client = login(who)
        for url in urls:
            r = client.get(url)
            assert r.status_code == 200, (who, url, r.text[:300])
            assert "<html" in r.text and "<script>" not in r.text and " style=" not in r.text
    assert agent.get("/kb", headers={"HX-Request": "true"}, params={"q": "靓号"}).text.lstrip().startswith("<ol")


def test_only_explicit_searches_count_for_the_gaps_report(login) -> None:  # type: ignore[no-untyped-def]
    agent, editor = login("agent"), login("editor")
    word = f"无人机航拍{uuid.uuid4().hex[:4]}"
    agent.get("/kb", params={"q": word[:4]}, headers={"HX-Request": "true", "HX-Trigger": "kb-q"})
    agent.get("/api/kb/search", params={"q": word[:5], "log": "false"})
    agent.get("/kb", params={"q": word})
    gaps = [g["query"] for g in editor.get("/api/kb/report").json()["gaps"]]
    assert word in gaps and word[:4] not in gaps and word[:5] not in gaps


def test_editors_extend_the_synonym_dictionary(login) -> None:  # type: ignore[no-untyped-def]
    editor, agent = login("editor"), login("agent")
    ref = f"kb-syn-{uuid.uuid4().hex[:8]}"
    _publish(editor, {**ARTICLE, "id": ref, "title": "翼支付账户冻结处理", "keywords": ["翼支付"],
                      "question": "翼支付用不了", "body": "翼支付账户冻结需在APP内申请解冻。"})
    assert ref not in [h["id"] for h in agent.get("/api/kb/search", params={"q": "橙分期钱包冻住了"}).json()[:3]]
    assert agent.post("/api/kb/synonyms", json={"terms": ["翼支付", "橙分期钱包"]}).status_code == 403
    r = editor.post("/api/kb/synonyms", json={"terms": ["翼支付", "橙分期钱包"]})
    assert r.status_code == 201 and r.json()["terms"] == ["翼支付", "橙分期钱包"]
    assert ["翼支付", "橙分期钱包"] in [g["terms"] for g in editor.get("/api/kb/synonyms").json()["groups"]]
    assert agent.get("/api/kb/search", params={"q": "橙分期钱包冻住了"}).json()[0]["id"] == ref

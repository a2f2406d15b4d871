"""Guided flows: the editor's validation names the step, a run records the path in order (on a contact when
given), an agent may run a flow but not edit it, and the runner pages render without inline code."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.core.clock import ManualClock
from hotline.core.errors import InvalidInput, NotFound
from hotline.knowledge import flows, service
from hotline.knowledge.models import KbArticle, KbEvent, KbFlowRun, KbIndexDoc, KbVersion
from hotline.knowledge.schemas import parse_article

FLOW = [
    {"id": "s1", "question": "光猫LOS灯是否红灯闪烁？",
     "answers": [{"label": "是", "final": "光纤中断，马上为您报修"}, {"label": "否", "next": "s2"}]},
    {"id": "s2", "question": "重启光猫和路由器后能上网吗？",
     "answers": [{"label": "能", "final": "问题已解决"}, {"label": "不能", "next": "s3"}]},
    {"id": "s3", "question": "是否欠费停机？",
     "answers": [{"label": "是", "final": "缴费后自动恢复"}, {"label": "否", "final": "受理故障报修工单"}]},
]
ARTICLE = {"title": "宽带断网排查流程", "kind": "flow", "question": "家里宽带上不了网", "body": "按步骤排查。",
           "category": ["宽带", "故障", "断网"], "business_types": ["broadband"], "flow": FLOW}

# published into the shared seeded database by the web tests: words no search test looks for
WEB_ARTICLE = {"title": "演示引导流程甲", "kind": "flow", "body": "演示。", "category": ["演示", "流程", "引导"], "flow": FLOW}


def _with(step: str, **change: object) -> list[dict]:
    return [{**s, **change} if s["id"] == step else s for s in FLOW]


@pytest.mark.parametrize(("flow", "step", "words"), [
    (_with("s2", answers=[{"label": "能", "next": "s9"}]), "s2", "unknown step s9"),
    (_with("s3", answers=[{"label": "再试", "next": "s1"}]), "s3", "loop"),
    (_with("s2", answers=[]), "s2", "answers"),
    (_with("s2", question=" "), "s2", "question"),
    (_with("s1", answers=[{"label": "是", "final": "报修", "next": "s2"}]), "s1", "either"),
    ([*FLOW, {"id": "s1", "question": "重复", "answers": [{"label": "x", "final": "y"}]}], "s1", "twice"),
    ([*FLOW, {"id": "orphan", "question": "孤立", "answers": [{"label": "x", "final": "y"}]}], "orphan", "reached"),
])
def test_validation_names_the_step(flow: list[dict], step: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_article({**ARTICLE, "flow": flow})
    assert err.value.details["field"] == f"flow.{step}" and words in err.value.msg


def test_a_valid_flow_is_normalised_and_walked() -> None:
    steps = parse_article({**ARTICLE, "flow": _with("s1", question="  光猫LOS灯是否红灯闪烁？ ")}).flow
    assert steps == FLOW
    path = [flows.choose(steps[0], 1), flows.choose(steps[1], 1)]
    assert flows.current_step(steps, path)["id"] == "s3"
    assert flows.current_step(steps, [*path, flows.choose(steps[2], 0)]) is None
    with pytest.raises(InvalidInput):
        flows.choose(steps[2], 2)


def test_a_run_records_the_path_in_order(db: Session, clock: ManualClock, make_principal) -> None:  # type: ignore[no-untyped-def]
    agent, other = make_principal("agent", user_id=21), make_principal("agent", user_id=22)
    service.import_articles(db, records=[parse_article({**ARTICLE, "id": "flow-bb"})], at=clock.now(), org_path="/1/2/")
    run = service.record_flow_choice(db, principal=agent, at=clock.now(), ref="flow-bb", step="s1", answer=1,
                                     contact_ref="4711")
    with pytest.raises(InvalidInput):  # the run is at s2 now, not s1
        service.record_flow_choice(db, principal=agent, at=clock.now(), ref="flow-bb", step="s1", answer=0, run_id=run.id)
    with pytest.raises(NotFound):  # another agent's run
        service.record_flow_choice(db, principal=other, at=clock.now(), ref="flow-bb", step="s2", answer=1, run_id=run.id)
    for step, answer in (("s2", 1), ("s3", 1)):
        clock.advance(seconds=30)
        service.record_flow_choice(db, principal=agent, at=clock.now(), ref="flow-bb", step=step, answer=answer,
                                   run_id=run.id)
    runs = service.flow_runs(db, principal=agent, contact_ref="4711")
    assert [r.id for r in runs] == [run.id]
    assert [(c["step"], c["answer"]) for c in runs[0].path] == [("s1", "否"), ("s2", "不能"), ("s3", "否")]
    assert runs[0].path[-1]["final"] == "受理故障报修工单" and runs[0].finished_at == clock.now()
    assert runs[0].user_id == 21 and runs[0].article_version == 1 and runs[0].started_at < runs[0].finished_at
    assert service.flow_runs(db, principal=other, contact_ref="4711") == []
    with pytest.raises(InvalidInput):  # finished
        service.record_flow_choice(db, principal=agent, at=clock.now(), ref="flow-bb", step="s3", answer=0, run_id=run.id)


@pytest.fixture
def flow_ref(login, seeded: Engine):  # type: ignore[no-untyped-def]
    """A flow published by the demo editor; removed afterwards so its views do not count in other tests."""
    editor, ref = login("editor"), f"kb-flow-{uuid.uuid4().hex[:8]}"
    r = editor.post("/api/kb/articles", json={**WEB_ARTICLE, "id": ref})
    assert r.status_code == 201, r.text
    for action in ("review", "publish"):
        assert editor.post(f"/api/kb/articles/{ref}/actions/{action}", json={}).status_code == 200
    yield ref
    with Session(seeded) as db, db.begin():
        art_id = db.scalar(select(KbArticle.id).where(KbArticle.ref == ref))
        for model in (KbEvent, KbVersion, KbIndexDoc):
            db.execute(delete(model).where(model.article_id == art_id))
        db.execute(delete(KbFlowRun).where(KbFlowRun.article_ref == ref))
        db.execute(delete(KbArticle).where(KbArticle.id == art_id))


def _clean(html: str) -> bool:
    return "<script>" not in html and " style=" not in html


def test_an_agent_runs_a_flow_on_a_contact_but_cannot_edit_it(login, seeded: Engine, flow_ref: str) -> None:  # type: ignore[no-untyped-def]
    agent, ref = login("agent"), flow_ref
    page = agent.get(f"/kb/articles/{ref}", params={"contact_id": 4242})
    assert page.status_code == 200 and 'id="run-flow"' in page.text and "/run?contact_id=4242" in page.text
    assert _clean(page.text)
    full = agent.get(f"/kb/articles/{ref}/run", params={"contact_id": 4242})
    assert full.status_code == 200 and "<html" in full.text and FLOW[0]["question"] in full.text and _clean(full.text)
    frag = agent.get(f"/kb/articles/{ref}/run", params={"contact_id": 4242}, headers={"HX-Request": "true"})
    assert frag.status_code == 200 and frag.text.lstrip().startswith('<section class="card flow-runner"')
    hx = {"HX-Request": "true"}
    r = agent.post(f"/kb/articles/{ref}/run", data={"step": "s1", "answer": "1", "contact_id": "4242"}, headers=hx)
    assert r.status_code == 200 and FLOW[1]["question"] in r.text
    with Session(seeded) as db:
        run_id = db.scalar(select(KbFlowRun.id).where(KbFlowRun.article_ref == ref))
    bad = agent.post(f"/kb/articles/{ref}/run", data={"step": "s1", "answer": "0", "run": str(run_id)}, headers=hx)
    assert bad.status_code == 422
    r = agent.post(f"/kb/articles/{ref}/run", data={"step": "s2", "answer": "0", "run": str(run_id)}, headers=hx)
    assert r.status_code == 200 and 'id="flow-final"' in r.text and "问题已解决" in r.text
    with Session(seeded) as db:
        run = db.get(KbFlowRun, run_id)
        assert run is not None and run.contact_ref == "4242" and run.finished_at is not None
        assert [c["answer"] for c in run.path] == ["否", "能"]
    runs = agent.get("/api/kb/flow-runs", params={"contact_ref": "4242"}).json()
    assert [(r["article_ref"], [c["step"] for c in r["path"]]) for r in runs if r["id"] == run_id] == [(ref, ["s1", "s2"])]
    assert login("editor").get("/api/kb/flow-runs", params={"contact_ref": "4242"}).json() == []  # the agent's own
    assert agent.get(f"/kb/editor/{ref}").status_code == 403
    assert agent.post(f"/kb/editor/{ref}", data={"title": "x", "kind": "flow", "version": "1"}).status_code == 403
    assert agent.post(f"/kb/articles/{ref}/run", data={"step": "s1", "answer": "0", "run": "99999999999"}).status_code == 422


def test_the_editor_adds_removes_and_validates_steps(login, flow_ref: str) -> None:  # type: ignore[no-untyped-def]
    editor, ref = login("editor"), flow_ref
    page = editor.get(f"/kb/editor/{ref}")
    assert page.status_code == 200 and 'name="flow-2-question"' in page.text and _clean(page.text)
    version = int(re.search(r'name="version" value="(\d+)"', page.text)[1])
    form = {"title": WEB_ARTICLE["title"], "kind": "flow", "body": "演示。", "version": str(version),
            "flow-0-id": "s1", "flow-0-question": "光猫亮红灯吗？", "flow-0-0-label": "是", "flow-0-0-final": "报修",
            "flow-0-1-label": "否", "flow-0-1-next": "s2",
            "flow-1-id": "s2", "flow-1-question": "重启后好了吗？", "flow-1-0-label": "好了", "flow-1-0-final": "结束"}
    added = editor.post(f"/kb/editor/{ref}", data={**form, "flow_op": "add"})
    assert added.status_code == 200 and 'id="flow-step-2"' in added.text and 'value="s3"' in added.text
    removed = editor.post(f"/kb/editor/{ref}", data={**form, "flow_op": "remove-1"})
    assert removed.status_code == 200 and 'id="flow-step-1"' not in removed.text
    bad = editor.post(f"/kb/editor/{ref}", data={**form, "flow-1-0-label": ""})
    assert bad.status_code == 422 and "flow.s2" in bad.text
    ok = editor.post(f"/kb/editor/{ref}", data=form, follow_redirects=False)
    assert ok.status_code == 303, ok.text[:500]
    saved = editor.get(f"/api/kb/articles/{ref}").json()
    assert saved["version"] == version + 1 and saved["state"] == "updated"
    assert saved["flow"][1] == {"id": "s2", "question": "重启后好了吗？", "answers": [{"label": "好了", "final": "结束"}]}

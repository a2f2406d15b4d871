"""Work-order API and pages against the seeded demo centre: the closed loop through HTTP, idempotency,
stale versions, scoping (404), every page rendered."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from hotline.core.db import make_sessionmaker
from hotline.org.models import OrgUnit, User
from hotline.tickets import service


@pytest.fixture(scope="module")
def ids(seeded: Engine) -> dict[str, int]:
    with make_sessionmaker(seeded)() as s, s.begin():
        service.seed_categories(db_session=s)
        bo = s.execute(select(User).where(User.username == "backoffice")).scalar_one()
        dept = s.get(OrgUnit, bo.unit_id)
        other = s.execute(select(OrgUnit).where(OrgUnit.kind == "department", OrgUnit.parent_id == dept.parent_id,
                                                OrgUnit.id != dept.id)).scalars().first()
        from hotline.tickets.models import TicketCategory

        phen = s.execute(select(TicketCategory.id).where(TicketCategory.code == "mobile.tariff.sp_charge")).scalar_one()
        cause = s.execute(select(TicketCategory.id).where(TicketCategory.code == "platform.sp.sp_unsolicited")).scalar_one()
        return {"dept": dept.id, "other": other.id, "phen": phen, "cause": cause}


def _act(client, t: dict, action: str, **body):  # type: ignore[no-untyped-def]
    r = client.post(f"/api/tickets/{t['id']}/actions/{action}", json={"version": t["version"], **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_closed_loop_over_http_with_portal(login, ids) -> None:  # type: ignore[no-untyped-def]
    agent, expert, bo = login("agent"), login("expert"), login("backoffice")
    key = str(uuid.uuid4())
    body = {"type": "complaint", "title": "SP 扣费投诉", "phenomenon_id": ids["phen"], "area": "武汉",
            "cell_id": "WH-001", "product": "神州行", "contact_ids": ["call-77"]}
    r1 = agent.post("/api/tickets", json=body, headers={"Idempotency-Key": key})
    r2 = agent.post("/api/tickets", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == r2.status_code == 201 and r1.json()["id"] == r2.json()["id"]
    t = r1.json()
    assert t["state"] == "created" and t["due_at"] and "frontline_try" in t["actions"]
    t = _act(agent, t, "frontline_try", note="核实定制记录，无法退订")
    t = _act(agent, t, "to_expert")
    stale = expert.post(f"/api/tickets/{t['id']}/actions/dispatch", json={"version": t["version"] - 1,
                                                                           "dept_id": ids["dept"]})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    illegal = expert.post(f"/api/tickets/{t['id']}/actions/archive", json={"version": t["version"]})
    assert illegal.status_code == 422 and illegal.json()["details"]["field"] == "action"
    t = _act(expert, t, "dispatch", dept_id=ids["dept"], note="转网络部")
    queue = bo.get("/api/tickets/portal/queue").json()
    assert t["id"] in [q["ticket"]["id"] for q in queue]
    page = bo.get("/tickets/portal")
    assert page.status_code == 200 and t["no"] in page.text
    t = _act(bo, t, "reply", cause_id=ids["cause"], result="已退订并退费")
    wrong = expert.post(f"/api/tickets/{t['id']}/actions/reply", json={"version": t["version"],
                                                                        "cause_id": ids["cause"], "result": "x"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "illegal_transition"
    t = _act(expert, t, "callback", satisfaction="satisfied", note="客户满意")
    assert t["state"] == "archived"
    hist = agent.get(f"/api/tickets/{t['id']}/history").json()
    assert [h["action"] for h in hist] == ["create", "frontline_try", "to_expert", "dispatch", "reply", "callback",
                                           "archive"]
    detail = agent.get(f"/tickets/{t['id']}")
    assert detail.status_code == 200 and "已归档" in detail.text and "已退订并退费" in detail.text


def test_scope_404_and_permissions(login, ids) -> None:  # type: ignore[no-untyped-def]
    agent, bo, trainer = login("agent"), login("backoffice"), login("trainer")
    t = agent.post("/api/tickets", json={"type": "suggestion", "title": "<script>alert(1)</script>"}).json()
    assert bo.get(f"/api/tickets/{t['id']}").status_code == 404  # not at their department
    assert bo.post(f"/api/tickets/{t['id']}/actions/reply", json={"version": t["version"], "cause_id": ids["cause"],
                                                                   "result": "x"}).status_code == 404
    assert trainer.get("/api/tickets").status_code == 403
    assert trainer.post("/api/tickets", json={"type": "suggestion", "title": "x"}).status_code == 403
    page = agent.get(f"/tickets/{t['id']}")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    bad = agent.post("/api/tickets", json={"type": "fault", "title": "无信号"})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "phenomenon_id"
    assert bad.json()["msg"] == "请选择三级分类"  # Chinese first; English with the hl_lang cookie
    english = agent.post("/api/tickets", json={"type": "fault", "title": "无信号"}, cookies={"hl_lang": "en"})
    assert english.json()["msg"] == "choose a level-3 category"


def test_pages_render(login, ids) -> None:  # type: ignore[no-untyped-def]
    agent, manager = login("agent"), login("manager")
    for path in ("/tickets", "/tickets/new", "/tickets?state=archived&type=complaint"):
        r = agent.get(path)
        assert r.status_code == 200, (path, r.text[:300])
    r = manager.get("/tickets/hotspots?by=phenomenon&level=2")
    assert r.status_code == 200 and "data-chart" in r.text
    csv = manager.get("/api/tickets/reports/hotspots.csv?by=area")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert manager.get("/api/tickets/reports/timeliness").status_code == 200
    form = agent.get("/tickets/new")
    assert "移动/小灵通 / 资费 / SP扣费争议" in form.text


def test_html_forms_create_and_act(login, ids) -> None:  # type: ignore[no-untyped-def]
    agent = login("agent")
    r = agent.post("/tickets/new", data={"type": "fault", "title": "宽带无法上网", "phenomenon_id": "",
                                         "area": "武汉"}, follow_redirects=False)
    assert r.status_code == 422 and "phenomenon_id" in r.text  # the form comes back with the field named
    r = agent.post("/tickets/new", data={"type": "complaint", "title": "表单投诉", "phenomenon_id": str(ids["phen"]),
                                         "contact_id": "call-9"}, follow_redirects=False)
    assert r.status_code == 303
    tid = int(r.headers["location"].rsplit("/", 1)[1])
    t = agent.get(f"/api/tickets/{tid}").json()
    r = agent.post(f"/tickets/{tid}/act/frontline_try", data={"version": str(t["version"]), "note": "已试"},
                   follow_redirects=False)
    assert r.status_code == 303
    r = agent.post(f"/tickets/{tid}/act/frontline_try", data={"version": str(t["version"]), "note": "again"})
    assert r.status_code == 409  # stale version, shown on the page
    assert agent.get(f"/api/tickets/{tid}").json()["state"] == "frontline_tried"


def test_excel_exports_over_http(login, ids) -> None:  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook

    agent, manager = login("agent"), login("manager")
    agent.post("/api/tickets", json={"type": "suggestion", "title": "导出", "area": "=cmd|' /C calc'!A0"})
    r = manager.get("/api/tickets/reports/hotspots.xlsx?by=area&top=1000")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    evil = cells["=cmd|' /C calc'!A0"]
    assert evil.data_type == "s" and evil.quotePrefix and "工单数" in cells
    r = manager.get("/api/tickets/reports/timeliness.xlsx")
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.content)).active["A2"].value == "处理部门"
    assert manager.get("/api/tickets/reports/hotspots.pdf").status_code in (404, 422)

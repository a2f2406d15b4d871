"""`hotline sim --from-live`: a scenario from the live configuration of a seeded centre."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.cli import app
from hotline.contacts import service as contacts_service
from hotline.contacts.models import Contact
from hotline.core.clock import LOCAL_TZ
from hotline.org import service as org_service
from hotline.org.models import OrgUnit
from hotline.sim import engine
from hotline.sim.live import UnknownProvince, scenario_from_live
from hotline.sim.scenario import parse

DAY = date(2026, 3, 2)


def _unit(db, code):
    return db.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one()


def test_from_live_builds_queues_agents_and_demo_arrivals(seeded, db):
    data = scenario_from_live(db_session=db, province="HB", day=DAY)
    sc = parse(data)
    queues = {q.name: q for q in sc.queues}
    assert {"vip", "regular", "billing", "complaint"} <= set(queues)
    hb = _unit(db, "HB")
    for code, key in (("vip", "sl.vip"), ("regular", "sl.regular")):
        std = org_service.effective_standard(db_session=db, unit=hb, key=key)
        assert queues[code].sl_threshold_s == std["threshold_s"] and queues[code].sl_target == std["target"]
    assert queues["vip"].priority > queues["regular"].priority
    assert [(o.after_s, o.to_queue) for o in queues["billing"].overflow] == [(90, "regular")]
    # every agent of the province with a skill on its queues, once
    hb_agents = [
        u
        for u in contacts_service.agent_users(db_session=db)
        if u.unit.path.startswith(hb.path) and any(s.skill in queues for s in u.skills)
    ]
    assert sum(g.count for g in sc.agents) == len(hb_agents) > 0
    assert all(set(g.skills) <= set(queues) for g in sc.agents)
    assert "demo configuration" in (sc.description or "")
    assert (
        isinstance(queues["regular"].arrivals_per_hour, list) and sum(queues["regular"].arrivals_per_hour) > 0
    )
    short = sc.model_copy(update={"duration_s": 4 * 3600.0, "replications": 2})
    r = engine.run(short)
    assert r["queues"]["regular"]["offered"] > 0 and r["replications"] == 2


def test_from_live_uses_the_provinces_own_standards(seeded, db):
    fj = {q["name"]: q for q in scenario_from_live(db_session=db, province="FJ", day=DAY)["queues"]}
    std = org_service.effective_standard(db_session=db, unit=_unit(db, "FJ"), key="sl.regular")
    assert fj["regular"]["sl_threshold_s"] == std["threshold_s"] == 15  # Quanzhou tightens 20 s to 15 s
    assert fj["regular"]["sl_target"] == std["target"] == 0.9


def test_from_live_takes_arrivals_and_times_from_recorded_contacts(seeded, db):
    hb = _unit(db, "HB")
    contacts_service.ensure_configuration(db_session=db, now=datetime.now(LOCAL_TZ))
    t0 = datetime(2026, 3, 3, 10, 0, tzinfo=LOCAL_TZ)
    for k in range(30):
        at = t0 + timedelta(seconds=50 * k)  # 10:00-10:25 local
        answered = k % 5 != 0
        db.add(
            Contact(
                channel="voice",
                state="ended",
                org_path=hb.path,
                province_id=hb.id,
                queue="HB.billing",
                arrived_at=at,
                queued_at=at,
                answered_at=at + timedelta(seconds=10) if answered else None,
                talk_end_at=at + timedelta(seconds=130) if answered else None,
                hold_s=20.0 if answered else 0.0,
                acw_end_at=at + timedelta(seconds=160) if answered else None,
                abandoned_at=None if answered else at + timedelta(seconds=30),
                outcome="answered" if answered else "abandoned",
            )
        )
    db.flush()
    data = scenario_from_live(db_session=db, province="HB", day=date(2026, 3, 3))
    assert "recorded" in data["description"]
    billing = {q["name"]: q for q in data["queues"]}["billing"]
    assert billing["arrivals_per_hour"][20] == 60.0 and sum(billing["arrivals_per_hour"]) == 60.0
    assert billing["hold"]["mean_s"] == 20.0 and billing["acw"]["mean_s"] == 30.0
    assert set(billing["talk"]["values_s"]) == {100.0}
    # patience: exponential MLE = total wait / abandons = (24 x 10 + 6 x 30) / 6
    assert billing["patience_s"] == pytest.approx((24 * 10 + 6 * 30) / 6, abs=0.1)
    assert {q.name: q for q in parse(data).queues}["billing"].mean_handle_s == pytest.approx(150.0)


def test_unknown_province_is_not_found(seeded, db):
    with pytest.raises(UnknownProvince):
        scenario_from_live(db_session=db, province="XX", day=DAY)


def test_cli_from_live_writes_an_editable_scenario(seeded, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    out = tmp_path / "hb.yaml"
    res = CliRunner().invoke(
        app,
        [
            "sim",
            "--from-live",
            "HB",
            "--date",
            "2026-03-02",
            "--write-scenario",
            str(out),
            "--json",
            "--replications",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert "regular" in result["queues"] and result["replications"] == 1
    saved = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert parse(saved).queues[0].name == "vip"
    again = CliRunner().invoke(app, ["sim", "--scenario", str(out), "--json", "--replications", "1"])
    assert again.exit_code == 0 and json.loads(again.stdout)["queues"].keys() == result["queues"].keys()
    bad = CliRunner().invoke(app, ["sim", "--from-live", "XX", "--json"])
    assert bad.exit_code == 2 and "--from-live" in bad.stderr
    neither = CliRunner().invoke(app, ["sim", "--json"])
    assert neither.exit_code == 2 and "--scenario" in neither.stderr

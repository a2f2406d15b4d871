"""The "what if" page and API: planners edit and run, readers see, agents are refused."""

from __future__ import annotations

import re
import time

import pytest

from hotline.sim import whatif


def _wait_fragment(client, html: str, timeout_s: float = 60) -> str:
    end = time.monotonic() + timeout_s
    while 'hx-get="/sim/jobs/' in html and time.monotonic() < end:
        job = re.search(r'hx-get="/sim/jobs/([0-9a-f]{16})"', html).group(1)
        time.sleep(0.2)
        r = client.get(f"/sim/jobs/{job}", headers={"HX-Request": "true"})
        assert r.status_code == 200
        html = r.text
    return html


def test_page_renders_today_configuration_for_a_planner(login):
    c = login("planner")
    r = c.get("/sim")
    assert r.status_code == 200, r.text
    html = r.text
    assert 'name="q.regular.arrivals"' in html and 'name="g.0.count"' in html
    assert 'hx-post="/sim/run"' in html and "<script>" not in html and "style=" not in html
    assert 'id="sim-run"' in html  # a planner may run


def test_page_is_refused_to_an_agent(login):
    c = login("agent")
    assert c.get("/sim").status_code == 403
    assert c.post("/sim/run", data={"province": "HB"}).status_code == 403
    assert c.get("/api/sim/baseline").status_code == 403


def test_unknown_province_and_job_are_not_found(login):
    c = login("planner")
    assert c.get("/sim", params={"province": "FJ"}).status_code == 404  # out of the planner's scope
    assert c.get("/sim/jobs/0123456789abcdef").status_code == 404
    assert c.get("/sim/jobs/nothex").status_code == 404


def test_a_run_returns_results_beside_the_baseline(login):
    c = login("planner")
    page = c.get("/sim").text
    form = dict(re.findall(r'<input name="([^"]+)" type="number"[^>]*value="([^"]*)"', page))
    skills = dict(re.findall(r'<textarea name="(g\.\d+\.skills)"[^>]*>([^<]*)</textarea>', page))
    assert form and skills
    form.update(skills)
    form["province"] = "HB"
    form["q.regular.arrivals"] = str(float(form["q.regular.arrivals"]) * 3)  # a surge on the regular queue
    r = c.post("/sim/run", data=form, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    assert "<progress" in r.text or 'id="sim-compare"' in r.text
    job_id = re.search(r'data-job="([0-9a-f]{16})"', r.text).group(1)
    html = _wait_fragment(c, r.text)
    assert 'id="sim-compare"' in html and html.count('data-chart="') == 4
    job = whatif._jobs[job_id]
    assert job.status == "done" and job.progress == 1.0
    b, w = job.baseline["queues"]["regular"], job.whatif["queues"]["regular"]
    assert w["offered"] > 2 * b["offered"]  # the what-if has the surge, the baseline not
    assert job.baseline["queues"]["billing"]["offered"] > 0


def test_bad_form_values_name_the_field(login):
    c = login("planner")
    r = c.post("/sim/run", data={"province": "HB", "q.regular.aht": "lots"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "q.regular.aht" in r.text and 'class="alert"' in r.text
    r = c.post("/sim/run", data={"province": "HB", "g.0.skills": "nowhere:3"}, headers={"HX-Request": "true"})
    assert "agents.0.skills" in r.text


def test_api_runs_and_returns_both_scenarios(login):
    c = login("planner")
    base = c.get("/api/sim/baseline").json()
    assert base["province"] == "HB" and base["queues"]
    r = c.post("/api/sim/runs", json={"edits": {"queues": {"regular": {"sl_threshold_s": 60}}}})
    assert r.status_code == 202, r.text
    job = r.json()
    done = c.get(f"/api/sim/runs/{job['id']}", params={"wait_s": 30}).json()
    assert done["status"] == "done", done
    assert done["whatif"]["queues"]["regular"]["sl_threshold_s"] == 60
    assert done["baseline"]["queues"]["regular"]["sl_threshold_s"] == base["queues"][1]["sl_threshold_s"]
    assert done["whatif"]["replications"] == done["replications"] >= 2
    assert c.post("/api/sim/runs", json={"edits": {"queues": {"nowhere": {}}}}).status_code == 422


def test_edits_scale_the_profile_and_replace_the_handle_time():
    data = {
        "duration_s": 86400,
        "queues": [
            {
                "name": "q",
                "arrivals_per_hour": [10.0, 30.0],
                "talk": {"dist": "constant", "mean_s": 100},
                "acw": {"dist": "constant", "mean_s": 20},
            }
        ],
        "agents": [{"name": "a", "count": 3, "skills": {"q": 1}}],
    }
    same = whatif.apply(data, whatif.Edits(queues={"q": whatif.QueueEdit(arrivals_per_hour=20, aht_s=120)}))
    assert same == data  # unchanged values leave the scenario as it is
    out = whatif.apply(data, whatif.Edits(queues={"q": whatif.QueueEdit(arrivals_per_hour=40, aht_s=200)}))
    assert out["queues"][0]["arrivals_per_hour"] == [20.0, 60.0] and out["queues"][0]["aht_s"] == 200
    assert "talk" not in out["queues"][0] and data["queues"][0]["talk"]  # a copy
    sc = whatif.to_scenario(out)
    assert whatif.bounded_replications(sc, sc) == whatif.RUN_REPLICATIONS
    big = whatif.to_scenario({**out, "queues": [{**out["queues"][0], "arrivals_per_hour": 50_000}]})
    assert whatif.bounded_replications(big, big) == 2
    with pytest.raises(Exception, match="unknown queue"):
        whatif.apply(data, whatif.Edits(agents=[whatif.GroupEdit(count=1, skills={"x": 1})]))


def test_chart_texts_follow_the_request_language(login):
    c = login("planner")
    c.cookies.set("hl_lang", "en")
    r = c.post("/sim/run", data={"province": "HB"}, headers={"HX-Request": "true"})
    html = _wait_fragment(c, r.text)
    assert "Service level (%)" in html and "&#34;Baseline&#34;" in html and "基线" not in html
    c.cookies.clear()
    html = _wait_fragment(c, c.post("/sim/run", data={"province": "HB"}, headers={"HX-Request": "true"}).text)
    assert "服务水平(%)" in html and "基线" in html

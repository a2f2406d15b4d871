"""The workforce page: staffing calculator, forecast with staffing plan, CSV upload — on a real app."""

from __future__ import annotations

from hotline.wfm import erlang


def test_planner_sees_calculator_and_plan(login) -> None:  # type: ignore[no-untyped-def]
    client = login("planner")
    r = client.get("/wfm", params={"calls": 600, "interval_s": 1800, "aht_s": 240, "threshold_s": 20,
                                   "target_sl": 0.8, "shrinkage": 0.3})
    assert r.status_code == 200
    expected = erlang.staff_c(erlang.offered_load(600, 1800, 240), 240, 0.8, 20, shrinkage=0.3)
    assert f'<div class="v">{expected.agents}</div>' in r.text
    assert f'<div class="v">{expected.scheduled}</div>' in r.text
    assert r.text.count("data-chart=") == 3 and "人力测算" in r.text
    with_patience = client.get("/wfm", params={"calls": 600, "patience_s": 120})
    assert "Erlang A" in with_patience.text


def test_bad_numbers_name_the_field(login) -> None:  # type: ignore[no-untyped-def]
    r = login("planner").get("/wfm", params={"target_sl": 1.5})
    assert r.status_code == 422 and "target_sl" in r.text


def test_agents_may_not_plan(login) -> None:  # type: ignore[no-untyped-def]
    assert login("agent").get("/wfm").status_code == 403


def test_upload_history_csv(login) -> None:  # type: ignore[no-untyped-def]
    rows = ["interval_start,calls,aht_s"]
    for day in range(1, 29):
        for slot in range(16, 40):  # 08:00–20:00
            rows.append(f"2026-02-{day:02d} {slot // 2:02d}:{(slot % 2) * 30:02d},{40 + (slot % 7) * 5},200")
    client = login("planner")
    ok = client.post("/wfm/forecast", files={"file": ("history.csv", "\n".join(rows), "text/csv")})
    assert ok.status_code == 200 and "history.csv" in ok.text and "2026-03-01" in ok.text
    bad = client.post("/wfm/forecast", files={"file": ("bad.csv", "interval_start,calls\n2026-02-01 8am,3\n",
                                                       "text/csv")})
    assert bad.status_code == 422 and "line 2" in bad.text

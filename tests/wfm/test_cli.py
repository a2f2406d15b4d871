"""Contract tests for `hotline wfm erlang|staff|recruit` (JSON keys, exit codes, error messages)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.wfm import erlang as E

runner = CliRunner()

BASE = ["--calls", "100", "--interval-s", "1800", "--aht-s", "180", "--threshold-s", "20"]


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_erlang_c_json_contract() -> None:
    out = _json(["wfm", "erlang", "--model", "c", *BASE, "--agents", "12", "--json"])
    assert {"p_wait", "service_level", "asa_s", "occupancy"} <= out.keys()
    assert "p_abandon" not in out
    assert out["p_wait"] == pytest.approx(E.erlang_c(12, 10.0))
    assert out["service_level"] == pytest.approx(E.service_level_c(12, 10.0, 20, 180))
    assert out["asa_s"] == pytest.approx(E.asa_c(12, 10.0, 180))
    assert out["occupancy"] == pytest.approx(10 / 12)


def test_erlang_c_unstable_queue_prints_null_asa() -> None:
    out = _json(["wfm", "erlang", "--model", "c", *BASE, "--agents", "10", "--json"])
    assert out["p_wait"] == 1.0
    assert out["service_level"] == 0.0
    assert out["asa_s"] is None


def test_erlang_a_json_contract() -> None:
    out = _json(["wfm", "erlang", "--model", "a", *BASE, "--agents", "12", "--patience-s", "60", "--json"])
    assert {"p_wait", "service_level", "asa_s", "occupancy", "p_abandon"} <= out.keys()
    m = E.erlang_a(12, 10.0, 20, 180, 60)
    assert out["p_abandon"] == pytest.approx(m.p_abandon)
    assert out["service_level"] == pytest.approx(m.service_level)


def test_staff_c_json_contract_with_shrinkage() -> None:
    out = _json(["wfm", "staff", "--model", "c", *BASE, "--target-sl", "0.8", "--shrinkage", "0.3", "--json"])
    assert {"agents", "scheduled", "service_level"} <= out.keys()
    assert out["agents"] == 14
    assert out["scheduled"] == 20  # ceil(14 / 0.7) exactly
    assert out["service_level"] >= 0.8


def test_staff_shrinkage_rounds_exactly() -> None:
    # 21 agents on the phones at 30 % shrinkage is 30 scheduled, not 31
    calls = next(
        c for c in range(100, 400) if E.staff_c(E.offered_load(c, 1800, 180), 180, 0.8, 20).agents == 21
    )
    out = _json([*_staff_args(calls=str(calls), shrinkage="0.3"), "--json"])
    assert (out["agents"], out["scheduled"]) == (21, 30)


def test_staff_a_json_contract_with_abandon_cap() -> None:
    args = ["wfm", "staff", "--model", "a", *BASE, "--target-sl", "0.8", "--patience-s", "60"]
    free = _json([*args, "--json"])
    capped = _json([*args, "--max-abandon", "0.01", "--json"])
    assert {"agents", "scheduled", "service_level", "p_abandon"} <= capped.keys()
    assert capped["p_abandon"] <= 0.01
    assert capped["agents"] >= free["agents"]


def test_human_output_without_json() -> None:
    result = runner.invoke(app, ["wfm", "staff", "--model", "c", *BASE, "--target-sl", "0.8"])
    assert result.exit_code == 0
    assert "agents: 14" in result.stdout


def _staff_args(model: str = "c", **overrides: str) -> list[str]:
    opts = {"calls": "100", "interval-s": "1800", "aht-s": "180", "threshold-s": "20", "target-sl": "0.8"}
    opts.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return ["wfm", "staff", "--model", model, *[x for k, v in opts.items() for x in (f"--{k}", v)]]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (_staff_args(calls="-5"), "--calls"),
        (_staff_args(aht_s="0"), "--aht-s"),
        (_staff_args(aht_s="-10"), "--aht-s"),
        (_staff_args(interval_s="0"), "--interval-s"),
        (_staff_args(threshold_s="-1"), "--threshold-s"),
        (_staff_args(target_sl="1"), "--target-sl"),
        (_staff_args(target_sl="0"), "--target-sl"),
        (_staff_args(target_sl="1.5"), "--target-sl"),
        (_staff_args(shrinkage="1"), "--shrinkage"),
        (_staff_args(max_occupancy="0"), "--max-occupancy"),
        (_staff_args("a"), "--patience-s"),
        (_staff_args("a", patience_s="-3"), "--patience-s"),
        (_staff_args("a", patience_s="60", max_abandon="1"), "--max-abandon"),
        (_staff_args(max_abandon="0.05"), "--max-abandon"),
        (["wfm", "erlang", "--model", "c", *BASE, "--agents", "-1"], "--agents"),
        (["wfm", "erlang", "--model", "x", *BASE, "--agents", "3"], "--model"),
        (["wfm", "recruit", "--current", "10", "--required", "10,x"], "--required"),
        (["wfm", "recruit", "--current", "10", "--required", "10", "--turnover", "1.2"], "--turnover"),
    ],
)
def test_bad_input_is_a_clear_usage_error(args: list[str], option: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert option in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_recruit_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.csv"
    plan.write_text("month,required\n2026-01,300\n2026-02,300\n2026-03,330\n2026-04,360\n", encoding="utf-8")
    out = _json(["wfm", "recruit", "--current", "300", "--plan", str(plan), "--turnover", "0.05", "--json"])
    assert out["training_months"] == 2  # 315 class hours at 174 h a month
    months = out["months"]
    assert [m["label"] for m in months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert out["total_hires"] == sum(m["hires"] for m in months) > 0
    for m in months[2:]:
        assert m["effective_fte"] >= m["required"] - 1e-9

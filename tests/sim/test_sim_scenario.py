"""Scenario parsing: the issue's minimal form is accepted; bad scenarios name the field."""

from __future__ import annotations

import textwrap

import pytest

from hotline.sim.scenario import ScenarioError, load, parse

MINIMAL = textwrap.dedent(
    """\
    duration_s: 86400
    seed: 7
    replications: 20
    queues:
      - name: regular
        arrivals_per_hour: 3000
        aht_s: 180            # exponential handle time with this mean
        patience_s: 120       # mean of exponential patience; omit for no abandonment
        sl_threshold_s: 20
    agents:
      - count: 160
        skills: {regular: 1}
    """
)


def base(**queue) -> dict:
    q = {"name": "regular", "arrivals_per_hour": 100, "aht_s": 180, **queue}
    return {"duration_s": 3600, "queues": [q], "agents": [{"count": 2, "skills": {"regular": 1}}]}


def test_the_issue_minimal_scenario_loads(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL)
    sc = load(path)
    assert sc.duration_s == 86400 and sc.seed == 7 and sc.replications == 20
    q = sc.queues[0]
    assert q.handle.dist == "exponential" and q.handle.mean == 180
    assert q.patience_dist is not None and q.patience_dist.mean == 120
    cfg = sc.routing_config()
    assert len(cfg.agents) == 160 and all(a.auto_answer for a in cfg.agents)


def test_omitting_patience_means_no_abandonment():
    assert parse(base()).queues[0].patience_dist is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**base(), "duration_s": 0}, "duration_s"),
        ({k: v for k, v in base().items() if k != "agents"}, "agents"),
        (base(aht_s=-5), "queues.0.aht_s"),
        (base(aht_s=None), "queues.0.aht_s"),
        (base(handle_time={"dist": "lognormal", "mean_s": 180}, aht_s=None), "queues.0.handle_time.sd_s"),
        (base(handle_time={"dist": "empirical"}, aht_s=None), "queues.0.handle_time.values_s"),
        (base(arrivals_per_hour="lots"), "queues.0.arrivals_per_hour"),
        (base(sl_target=1.5), "queues.0.sl_target"),
        (base(overflow=[{"after_s": 30, "to_queue": "nowhere"}]), "queues.0.overflow.0.to_queue"),
        (base(colour="red"), "queues.0.colour"),
        ({**base(), "agents": [{"count": 2, "skills": {"vip": 1}}]}, "agents.0.skills.vip"),
        ({**base(), "agents": [{"count": 2, "skills": {"regular": 6}}]}, "agents.0.skills.regular"),
        (
            {
                **base(),
                "agents": [
                    {
                        "count": 1,
                        "skills": {"regular": 1},
                        "shifts": [{"start_s": 0, "end_s": 100}, {"start_s": 50, "end_s": 200}],
                    }
                ],
            },
            "agents.0.shifts.1.start_s",
        ),
        ({**base(), "warmup_s": 3600}, "warmup_s"),
    ],
)
def test_bad_scenarios_name_the_field(data, field):
    with pytest.raises(ScenarioError) as info:
        parse(data)
    assert f"\n  {field}: " in str(info.value), str(info.value)


def test_unreadable_and_non_mapping_files_are_clear_errors(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ScenarioError, match="mapping"):
        load(bad)

"""The simulator against exact queueing formulas (hotline.wfm.erlang), over 20 replications.

M/M/c (no abandonment): service level within ±1 pp and ASA within ±5 % of Erlang C.
M/M/c+M (exponential patience): service level and abandonment within ±1 pp of Erlang A.

How the runs are sized. Each replication starts empty; the first 10 AHT (30 min) are a warm-up whose
arrivals are not counted (at these loads the queue forgets its empty start within a few AHT).
Arrivals then run for `calls` expected contacts. A test also asserts that the 95 % half-width of
the 20-replication mean is well inside the tolerance, so a pass is not a lucky seed. What makes
runs long is not the number of agents but how slowly the queue length mean-reverts: without
abandonment, the error of a 20-replication mean falls with simulated time in AHT units, so large
centres need many more calls for the same precision (about 3 million for the SL at 500 Erlangs).
ASA is the noisiest figure (waits are zero for most calls and long in bursts); its ±5 % check is
run where 20 replications can honestly resolve it. Abandonment makes the queue forget quickly,
so Erlang A checks are cheap at every size. The heavier cases are marked slow.
"""

from __future__ import annotations

import pytest

from hotline.sim import engine
from hotline.sim.scenario import parse
from hotline.wfm import erlang

AHT = 180.0
T = 20.0
REPS = 20
WARMUP = 10 * AHT


def scenario(load: float, agents: int, calls: int, patience: float | None = None):
    rate = load / AHT  # per second
    queue = {"name": "q", "arrivals_per_hour": rate * 3600, "aht_s": AHT, "sl_threshold_s": T}
    if patience is not None:
        queue["patience_s"] = patience
    return parse(
        {
            "duration_s": WARMUP + calls / rate,
            "warmup_s": WARMUP,
            "seed": 2026,
            "replications": REPS,
            "queues": [queue],
            "agents": [{"count": agents, "skills": {"q": 1}}],
        }
    )


def within(measured: float, ci: float, reference: float, tol: float) -> None:
    assert abs(measured - reference) <= tol, (
        f"measured {measured:.5f} reference {reference:.5f} tolerance {tol}"
    )
    assert ci <= 0.6 * tol, f"95 % half-width {ci:.5f} too wide to judge a tolerance of {tol}"


@pytest.mark.parametrize(
    ("load", "agents", "calls", "check_asa", "jobs"),
    [
        pytest.param(5, 8, 50_000, True, 1, id="5E-8"),
        pytest.param(20, 24, 150_000, False, 2, id="20E-24", marks=pytest.mark.slow),
        pytest.param(50, 60, 80_000, False, 2, id="50E-60", marks=pytest.mark.slow),
        pytest.param(500, 525, 160_000, False, 2, id="500E-525", marks=pytest.mark.slow),
    ],
)
def test_mmc_matches_erlang_c(load, agents, calls, check_asa, jobs):
    q = engine.run(scenario(load, agents, calls), jobs=jobs)["queues"]["q"]
    assert q["abandoned"] == 0
    within(q["service_level"], q["service_level_ci95"], erlang.service_level_c(agents, load, T, AHT), 0.01)
    if check_asa:
        ref = erlang.asa_c(agents, load, AHT)
        within(q["asa_s"] / ref, q["asa_s_ci95"] / ref, 1.0, 0.05)


@pytest.mark.parametrize(
    ("load", "agents", "patience", "calls", "jobs"),
    [
        pytest.param(5, 5, 120, 20_000, 1, id="5E-5"),
        pytest.param(50, 50, 120, 60_000, 2, id="50E-50", marks=pytest.mark.slow),
        pytest.param(500, 480, 120, 60_000, 2, id="500E-480", marks=pytest.mark.slow),
    ],
)
def test_mmc_plus_m_matches_erlang_a(load, agents, patience, calls, jobs):
    q = engine.run(scenario(load, agents, calls, patience), jobs=jobs)["queues"]["q"]
    ref = erlang.erlang_a(agents, load, T, AHT, patience)
    within(q["service_level"], q["service_level_ci95"], ref.answered_within, 0.01)
    within(q["abandon_rate"], q["abandon_rate_ci95"], ref.p_abandon, 0.01)

"""Queue x day KPI figures for N generated contacts: hotline.reports.kpi vs a straightforward
pandas groupby (the anchor), measured in the same run, with a check that both agree.

    .venv/bin/python benchmarks/reports/kpi_bench.py            # 1,000,000 contacts
    .venv/bin/python benchmarks/reports/kpi_bench.py --n 100000

pandas is a bench extra (`pip install -e .[bench]`), not a dependency of hotline.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from hotline.reports import kpi

TARGETS = {
    "vip": kpi.QueueTarget("vip", 15, 0.85, 5),
    "regular": kpi.QueueTarget("regular", 20, 0.75, 5),
    "broadband": kpi.QueueTarget("broadband", 20, 0.80, 5),
}
QUEUES = np.array(list(TARGETS))
QNAMES = list(TARGETS)  # plain str for the records
BTYPES = np.array(["billing", "plan_change", "roaming", "broadband_fault"])
BTYPES_S = BTYPES.tolist()
START = datetime(2026, 3, 1, tzinfo=UTC)
TZ = "Asia/Shanghai"


def generate(n: int, seed: int) -> dict[str, np.ndarray]:
    """Columns of a plausible log over 14 days (seconds since START; -1 = empty)."""
    rng = np.random.default_rng(seed)
    arrived = rng.integers(0, 14 * 86400, n)
    kind = rng.choice(3, n, p=[0.08, 0.77, 0.15])  # self-served, answered, abandoned
    queued = np.where(kind == 0, -1, arrived + rng.integers(5, 60, n))
    wait = rng.gamma(1.5, 12, n).astype(np.int64)
    answered = np.where(kind == 1, queued + wait, -1)
    abandoned = np.where(kind == 2, queued + wait, -1)
    talk = rng.gamma(2.0, 110, n).astype(np.int64)
    hold = np.where(rng.random(n) < 0.15, np.minimum(talk, rng.integers(5, 90, n)), 0)
    talk_end = np.where(kind == 1, answered + talk + hold, -1)
    acw_end = np.where(kind == 1, talk_end + rng.integers(0, 60, n), -1)
    queue = rng.integers(0, len(QUEUES), n)
    overflow = np.where((kind != 0) & (rng.random(n) < 0.05), (queue + 1) % len(QUEUES), -1)
    return {
        "arrived": arrived,
        "queued": queued,
        "answered": answered,
        "abandoned": abandoned,
        "talk_end": talk_end,
        "hold": hold,
        "acw_end": acw_end,
        "queue": queue,
        "overflow": overflow,
        "customer": rng.integers(0, n // 3 + 1, n),
        "btype": rng.integers(0, len(BTYPES), n),
        "transferred": (kind == 1) & (rng.random(n) < 0.06),
        "satisfaction": np.where((kind == 1) & (rng.random(n) < 0.4), rng.integers(1, 6, n), 0),
    }


def to_contacts(cols: dict[str, np.ndarray]) -> list[kpi.Contact]:
    stamps: dict[int, datetime] = {}

    def ts(x: int) -> datetime | None:
        if x < 0:
            return None
        d = stamps.get(x)
        if d is None:
            d = stamps[x] = START + timedelta(seconds=x)
        return d

    customers: dict[int, str] = {}
    out = []
    rows = zip(
        *(
            cols[k].tolist()
            for k in (
                "arrived",
                "queued",
                "answered",
                "abandoned",
                "talk_end",
                "hold",
                "acw_end",
                "queue",
                "overflow",
                "customer",
                "btype",
                "transferred",
                "satisfaction",
            )
        ),
        strict=True,
    )
    for i, (arr, q, ans, ab, te, hold, acw, qu, ov, cust, bt, tr, sat) in enumerate(rows):
        cid = customers.get(cust) or customers.setdefault(cust, f"C{cust}")
        out.append(
            kpi.Contact(
                f"K{i}",
                "voice",
                QNAMES[qu],
                cid,
                "regular",
                BTYPES_S[bt],
                ts(arr),
                ts(q),
                None,
                ts(ans),
                ts(te),
                float(hold) if ans >= 0 else None,
                ts(acw),
                None,
                "",
                ts(ab),
                "A1" if ans >= 0 else "",
                "T1" if ans >= 0 else "",
                "complaint_expert" if tr else "",
                QNAMES[ov] if ov >= 0 else "",
                "",
                sat or None,
            )
        )
    return out


def pandas_queue_day(df: pd.DataFrame) -> pd.DataFrame:
    """The anchor: the same figures with plain pandas (vectorised columns, groupby, merge)."""
    t = pd.DataFrame(
        {q: [x.sl_threshold_s, x.short_abandon_s] for q, x in TARGETS.items()}, index=["T", "S"]
    ).T
    queued = df[df.queued >= 0].copy()
    local = pd.to_datetime(queued.queued + START.timestamp(), unit="s", utc=True).dt.tz_convert(TZ)
    queued["day"] = local.dt.strftime("%Y-%m-%d")
    queued["final"] = queued.overflow.where(queued.overflow != "", queued.queue)
    queued = queued.join(t, on="final")
    is_ans = queued.answered >= 0
    wait = np.where(is_ans, queued.answered, queued.abandoned) - queued.queued
    queued["answered_n"] = is_ans.astype(int)
    queued["abandoned_n"] = (~is_ans).astype(int)
    queued["in_t"] = (is_ans & (wait <= queued["T"])).astype(int)
    queued["short"] = (~is_ans & (wait <= queued["S"])).astype(int)
    queued["ab_after_t"] = (~is_ans & (wait > queued["T"])).astype(int)
    queued["wait_ans"] = np.where(is_ans, wait, 0)
    queued["handle"] = np.where(is_ans, queued.acw_end - queued.answered, 0)
    queued["xfer"] = (is_ans & queued.transferred).astype(int)
    queued["ov_in"] = (queued.overflow != "").astype(int)
    queued["sat_n"] = (queued.satisfaction > 0).astype(int)
    # FCR: next strictly later arrival of the same customer and business type (any outcome)
    u = df[["customer", "btype", "arrived"]].drop_duplicates().sort_values(["customer", "btype", "arrived"])
    u["next"] = u.groupby(["customer", "btype"]).arrived.shift(-1)
    queued = queued.merge(u, on=["customer", "btype", "arrived"], how="left")
    gap = queued["next"] - queued.arrived
    queued["fcr24"] = (is_ans.to_numpy() & ~(gap <= 86400)).astype(int)
    queued["fcr7"] = (is_ans.to_numpy() & ~(gap <= 7 * 86400)).astype(int)
    g = queued.groupby(["final", "day"]).agg(
        offered=("queued", "size"),
        answered=("answered_n", "sum"),
        abandoned=("abandoned_n", "sum"),
        answered_in_threshold=("in_t", "sum"),
        short_abandoned=("short", "sum"),
        abandoned_after_threshold=("ab_after_t", "sum"),
        answered_wait_s=("wait_ans", "sum"),
        handle_s=("handle", "sum"),
        transferred=("xfer", "sum"),
        overflow_in=("ov_in", "sum"),
        fcr_24h_resolved=("fcr24", "sum"),
        fcr_7d_resolved=("fcr7", "sum"),
        satisfaction_responses=("sat_n", "sum"),
        satisfaction_sum=("satisfaction", "sum"),
    )
    out = g.rename_axis(["queue", "day"])
    out["service_level"] = out.answered_in_threshold / (out.offered - out.short_abandoned).replace(0, np.nan)
    out["answer_rate"] = out.answered / (out.offered - out.short_abandoned).replace(0, np.nan)
    out["asa_s"] = out.answered_wait_s / out.answered.replace(0, np.nan)
    out["aht_s"] = out.handle_s / out.answered.replace(0, np.nan)
    out["fcr_24h"] = out.fcr_24h_resolved / out.answered.replace(0, np.nan)
    ovo = queued[queued.overflow != ""].groupby(["queue", "day"]).size().rename("overflow_out")
    ss = df[df.queued < 0]
    ss_day = (
        pd.to_datetime(ss.arrived + START.timestamp(), unit="s", utc=True)
        .dt.tz_convert(TZ)
        .dt.strftime("%Y-%m-%d")
    )
    sso = ss.groupby([ss.queue, ss_day.rename("day")]).size().rename("self_served")
    return out.join(ovo, how="outer").join(sso, how="outer").fillna({"overflow_out": 0, "self_served": 0})


def to_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    df = pd.DataFrame({k: v for k, v in cols.items() if k not in ("queue", "overflow", "customer", "btype")})
    df["queue"] = QUEUES[cols["queue"]]
    df["overflow"] = np.where(cols["overflow"] >= 0, QUEUES[np.maximum(cols["overflow"], 0)], "")
    df["customer"] = cols["customer"]
    df["btype"] = cols["btype"]
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    cols = generate(args.n, args.seed)
    t0 = time.perf_counter()
    contacts = to_contacts(cols)
    t_records = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = to_frame(cols)
    t_frame = time.perf_counter() - t0

    t0 = time.perf_counter()
    ours = kpi.queue_day(contacts, TARGETS)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    anchor = pandas_queue_day(df)
    t_pandas = time.perf_counter() - t0

    checked = 0
    for (q, day), row in anchor.iterrows():
        f = ours[q][day].as_dict()
        for key in (
            "offered",
            "answered",
            "abandoned",
            "answered_in_threshold",
            "short_abandoned",
            "abandoned_after_threshold",
            "answered_wait_s",
            "handle_s",
            "transferred",
            "overflow_in",
            "overflow_out",
            "self_served",
            "fcr_24h_resolved",
            "fcr_7d_resolved",
            "satisfaction_responses",
            "satisfaction_sum",
        ):
            assert f[key] == row[key], (q, day, key, f[key], row[key])
        for key in ("service_level", "answer_rate", "asa_s", "aht_s", "fcr_24h"):
            assert (f[key] is None and np.isnan(row[key])) or abs(f[key] - row[key]) < 1e-9, (q, day, key)
        checked += 1
    fcr = sum(f.contacts.answered - f.contacts.fcr_24h_resolved for d in ours.values() for f in d.values())

    n = args.n
    print(
        f"queue x day KPI figures, {n:,} contacts, {checked} queue-days agree "
        f"(16 tallies and 5 ratios each; {fcr:,} answered contacts with a 24 h repeat)"
    )
    print(f"{'implementation':<38}{'seconds':>10}{'rows/s':>14}")
    print(f"{'hotline.reports.kpi.queue_day':<38}{t_ours:>10.2f}{n / t_ours:>14,.0f}")
    print(f"{'pandas groupby (anchor)':<38}{t_pandas:>10.2f}{n / t_pandas:>14,.0f}")
    print(f"{'ratio ours / pandas (rows/s)':<38}{'':>10}{t_pandas / t_ours:>14.2f}")
    print(
        f"input preparation (not timed above): Contact records {t_records:.2f} s, DataFrame {t_frame:.2f} s"
    )


if __name__ == "__main__":
    main()

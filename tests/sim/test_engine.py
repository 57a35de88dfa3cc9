"""The twin end to end, on scenarios small enough to compute on paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shulu.model import DemandRegion, Link, Network, PowerSupply, Scenario, Signals, Site, Workload
from shulu.policies import LocalPolicy
from shulu.sim.engine import simulate
from shulu.sim.policy import JobBatch, Placement, Policy, SimContext, SiteState

T0 = pd.Timestamp("2025-01-01T00:00Z")


def two_site_network(cap_a: float = 100.0, cap_b: float = 50.0) -> Network:
    flat = {"pue_temp_coef_per_c": 0.0, "pue_light_load_coef": 0.0}
    a = Site(id="a", name="A", role="east", lat_deg=30, lon_deg=120, it_capacity_kw=cap_a, server_idle_frac=0.0,
             pue_design=1.5, **flat)
    b = Site(id="b", name="B", role="west", lat_deg=38, lon_deg=105, it_capacity_kw=cap_b, server_idle_frac=0.5,
             pue_design=1.2, supply=PowerSupply(green_purchase_frac=0.5), **flat)
    regions = (DemandRegion(id="r0", name="R0", lat_deg=31, lon_deg=121, weight_frac=0.5),
               DemandRegion(id="r1", name="R1", lat_deg=37, lon_deg=106, weight_frac=0.5))
    links = (Link(a="r0", b="a", latency_ms=2.0), Link(a="r0", b="b", latency_ms=30.0),
             Link(a="r1", b="a", latency_ms=40.0), Link(a="r1", b="b", latency_ms=3.0))
    return Network(sites=(a, b), demand_regions=regions, links=links)


def constant_signals(net: Network, hours: int, step_s: int = 3600) -> Signals:
    idx = pd.date_range(T0, periods=hours * 3600 // step_s, freq=pd.Timedelta(seconds=step_s))
    frames = {"intensity_g_per_kwh": pd.DataFrame({"a": 500.0, "b": 100.0}, index=idx),
              "price_cny_per_kwh": pd.DataFrame({"a": 0.8, "b": 0.4}, index=idx)}
    return Signals.build(frames, step_s=step_s, sites=net.site_ids)


def jobs_frame(rows: list[dict[str, object]]) -> Workload:
    base = {"tenant": "t", "device": "cpu", "slack_s": 0.0, "max_latency_ms": 10.0, "data_gb": 0.0,
            "interruptible": False, "job_class": "realtime"}
    df = pd.DataFrame([{**base, "job_id": i, **r} for i, r in enumerate(rows)])
    return Workload.from_frame(df)


def scenario(net: Network, wl: Workload, hours: int = 4, step_s: int = 3600) -> Scenario:
    return Scenario(name="hand", network=net, signals=constant_signals(net, hours, step_s), workload=wl, start=T0,
                    end=T0 + pd.Timedelta(hours=hours), step_s=step_s)


def test_two_site_constant_case_by_hand() -> None:
    net = two_site_network()
    wl = jobs_frame([
        {"origin": "r0", "submit_time": T0, "duration_s": 7200.0, "power_kw": 10.0},
        {"origin": "r1", "submit_time": T0 + pd.Timedelta(minutes=30), "duration_s": 3600.0, "power_kw": 20.0},
    ])
    res = simulate(scenario(net, wl), LocalPolicy())
    s = res.summary
    # Site A: 10 kW for 2 h, no idle draw, PUE 1.5 -> 30 kWh facility; 500 g/kWh, 0.8 CNY/kWh.
    # Site B: job 20 kW from 00:30 to 01:30 -> 10 kW average in steps 0 and 1; idle 0.5 x (50 - 10) = 20 kW,
    #   IT 30, 30, 25, 25 kW -> 110 kWh; facility x1.2 = 132 kWh; 100 g/kWh; green purchase 50%.
    assert s["energy_jobs_kwh"] == pytest.approx(40.0)
    assert s["energy_it_kwh"] == pytest.approx(20.0 + 110.0)
    assert s["energy_facility_kwh"] == pytest.approx(30.0 + 132.0)
    assert s["grid_import_kwh"] == pytest.approx(162.0)
    assert s["emissions_location_kg"] == pytest.approx(30 * 0.5 + 132 * 0.1)
    assert s["emissions_market_kg"] == pytest.approx(30 * 0.5 + 132 * 0.5 * 0.1)
    assert s["cost_cny"] == pytest.approx(30 * 0.8 + 132 * 0.4)
    assert s["jobs_late"] == 0 and s["latency_violations"] == 0 and s["mean_wait_s"] == 0.0
    jobs = res.jobs.set_index("job_id")
    assert list(jobs["site"]) == ["a", "b"]
    assert jobs.loc[1, "end_time"] == T0 + pd.Timedelta(minutes=90)
    assert list(jobs["latency_ms"]) == [2.0, 3.0]
    it_b = res.site_series("it_kw")["b"].to_numpy()
    np.testing.assert_allclose(it_b, [30.0, 30.0, 25.0, 25.0])


def test_queueing_when_full() -> None:
    net = two_site_network(cap_a=10.0)
    wl = jobs_frame([
        {"origin": "r0", "submit_time": T0, "duration_s": 3600.0, "power_kw": 10.0, "slack_s": 7200.0},
        {"origin": "r0", "submit_time": T0 + pd.Timedelta(minutes=10), "duration_s": 1800.0, "power_kw": 10.0},
    ])
    res = simulate(scenario(net, wl), LocalPolicy())
    jobs = res.jobs.set_index("job_id")
    # earliest deadline first: the second job (deadline 00:40) runs 00:10-00:40; the first (deadline 03:00) would
    # overfill step 0 (10 kW x 1 h + 10 kW x 0.5 h > 10 kWh), so it waits for step 1 and runs 01:00-02:00, on time
    assert jobs.loc[1, "start_time"] == T0 + pd.Timedelta(minutes=10) and jobs.loc[1, "wait_s"] == 0.0
    assert jobs.loc[0, "start_time"] == T0 + pd.Timedelta(hours=1)
    assert jobs["deadline_met"].all() and res.summary["jobs_late"] == 0
    assert res.summary["mean_wait_s"] == pytest.approx(1800.0)
    assert (res.sites["reserved_kw"] <= 10.0 + 1e-9).all()


def test_lateness_when_truly_full() -> None:
    net = two_site_network(cap_a=10.0)
    wl = jobs_frame([
        {"origin": "r0", "submit_time": T0, "duration_s": 3600.0, "power_kw": 10.0},
        {"origin": "r0", "submit_time": T0 + pd.Timedelta(minutes=10), "duration_s": 1800.0, "power_kw": 10.0},
    ])
    res = simulate(scenario(net, wl), LocalPolicy())
    jobs = res.jobs.set_index("job_id")
    # no slack for either: the second (deadline 00:40) is earlier and runs 00:10-00:40; the first (deadline 01:00)
    # no longer fits in step 0 and starts at 01:00, late
    assert jobs.loc[1, "start_time"] == T0 + pd.Timedelta(minutes=10)
    assert jobs.loc[0, "start_time"] == T0 + pd.Timedelta(hours=1)
    assert jobs.loc[0, "wait_s"] == pytest.approx(3600.0) and res.summary["jobs_late"] == 1


def test_latency_violation_recorded() -> None:
    net = two_site_network()
    wl = jobs_frame([{"origin": "r0", "submit_time": T0, "duration_s": 60.0, "power_kw": 1.0, "max_latency_ms": 1.0}])
    res = simulate(scenario(net, wl), LocalPolicy())
    assert res.summary["latency_violations"] == 1
    assert not bool(res.jobs["latency_ok"].iloc[0])


class PauseFirstSteps(Policy):
    name = "pause-test"

    def pause_mask(self, ctx: SimContext) -> np.ndarray:
        mask = np.zeros((ctx.n_steps, len(ctx.site_ids)), dtype=bool)
        mask[:2, :] = True
        return mask

    def place(self, batch: JobBatch, state: SiteState | None, ctx: SimContext) -> Placement:
        return Placement(np.zeros(len(batch), dtype=np.int64), batch.arrival_step.copy())


def test_interruptible_pause_respects_deadline() -> None:
    net = two_site_network()
    wl = jobs_frame([
        # may wait 2 h: held back for the two paused steps, runs 02:00-03:00
        {"origin": "r0", "submit_time": T0, "duration_s": 3600.0, "power_kw": 5.0, "slack_s": 7200.0,
         "interruptible": True},
        # only 1 h of slack: paused for step 0, then must run in step 1 to finish by 02:00
        {"origin": "r0", "submit_time": T0, "duration_s": 3600.0, "power_kw": 5.0, "slack_s": 3600.0,
         "interruptible": True},
        # not interruptible: runs at once
        {"origin": "r0", "submit_time": T0, "duration_s": 3600.0, "power_kw": 5.0, "slack_s": 7200.0},
    ])
    res = simulate(scenario(net, wl), PauseFirstSteps())
    jobs = res.jobs.set_index("job_id")
    assert jobs.loc[0, "start_time"] == T0 + pd.Timedelta(hours=2)
    assert jobs.loc[1, "start_time"] == T0 + pd.Timedelta(hours=1)
    assert jobs.loc[2, "start_time"] == T0
    assert jobs["deadline_met"].all()


def test_unfinished_at_horizon_end() -> None:
    net = two_site_network()
    wl = jobs_frame([{"origin": "r0", "submit_time": T0 + pd.Timedelta(hours=3), "duration_s": 7200.0,
                      "power_kw": 4.0, "slack_s": 0.0}])
    res = simulate(scenario(net, wl), LocalPolicy())
    assert res.summary["jobs_unfinished"] == 1
    assert res.summary["energy_jobs_kwh"] == pytest.approx(4.0)  # one hour of it falls inside the horizon
    assert res.summary["jobs_late"] == 0  # its deadline (05:00) lies beyond the horizon


def test_five_minute_steps_energy_is_power_times_step() -> None:
    net = two_site_network()
    wl = jobs_frame([{"origin": "r0", "submit_time": T0 + pd.Timedelta(minutes=7), "duration_s": 600.0,
                      "power_kw": 12.0}])
    res = simulate(scenario(net, wl, hours=1, step_s=300), LocalPolicy())
    job_kw = res.site_series("job_it_kw")["a"].to_numpy()
    # 12 kW from 00:07 to 00:17: steps 00:05 (3 min), 00:10 (5 min), 00:15 (2 min)
    np.testing.assert_allclose(job_kw[1:4], [12 * 3 / 5, 12.0, 12 * 2 / 5])
    assert res.summary["energy_jobs_kwh"] == pytest.approx(2.0)


def test_deterministic() -> None:
    from factories import make_scenario

    scn = make_scenario(n_sites=3, n_regions=2, hours=24, n_jobs=30, seed=3)
    a = simulate(scn, LocalPolicy())
    b = simulate(scn, LocalPolicy())
    assert a.jobs.equals(b.jobs) and a.sites.equals(b.sites)
    assert {k: v for k, v in a.summary.items() if k != "wall_s"} == {
        k: v for k, v in b.summary.items() if k != "wall_s"}


@st.composite
def random_case(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(0, 40))
    hours = draw(st.integers(2, 12))
    step_s = draw(st.sampled_from([300, 900, 3600]))
    cap_a = draw(st.floats(5.0, 60.0))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    net = two_site_network(cap_a=cap_a, cap_b=draw(st.floats(5.0, 60.0)))
    rows = [{"origin": "r0" if rng.random() < 0.5 else "r1",
             "submit_time": T0 + pd.Timedelta(seconds=float(rng.uniform(0, hours * 3600 - 1))),
             "duration_s": float(rng.uniform(1, 3 * 3600)), "power_kw": float(rng.uniform(0.5, 5.0)),
             "slack_s": float(rng.uniform(0, 4 * 3600)), "interruptible": bool(rng.random() < 0.5)}
            for _ in range(n)]
    wl = jobs_frame(rows) if rows else Workload.empty()
    return scenario(net, wl, hours=hours, step_s=step_s)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scn=random_case())
def test_engine_invariants(scn: Scenario) -> None:
    res = simulate(scn, LocalPolicy())
    cap = {s.id: s.it_capacity_kw for s in scn.network.sites}
    sites = res.sites
    # capacity: reserved and average job power never exceed the site's IT capacity
    assert (sites["reserved_kw"] <= sites["site"].map(cap) * (1 + 1e-9) + 1e-9).all()
    assert (sites["job_it_kw"] <= sites["site"].map(cap) * (1 + 1e-9) + 1e-9).all()
    jobs = res.jobs
    started = jobs["start_time"].notna()
    assert (jobs.loc[started, "start_time"] >= jobs.loc[started, "submit_time"]).all()
    fin = jobs["finished"]
    # a finished job drew exactly power x duration
    np.testing.assert_allclose(jobs.loc[fin, "energy_it_kwh"], jobs.loc[fin, "power_kw"]
                               * jobs.loc[fin, "duration_s"] / 3600, rtol=1e-9)
    # job energy per site and step adds up to the per-job totals
    step_h = scn.step_s / 3600
    assert sites["job_it_kw"].sum() * step_h == pytest.approx(jobs["energy_it_kwh"].sum(), rel=1e-9, abs=1e-9)
    # a finished job that was never paused ran exactly its duration
    np.testing.assert_allclose(
        ((jobs["end_time"] - jobs["start_time"]).dt.total_seconds() - jobs["paused_s"])[fin],
        jobs.loc[fin, "duration_s"], rtol=1e-9, atol=1e-6)
    # energy balance every step: supply = uses
    supply = sites["solar_kw"] + sites["wind_kw"] + sites["battery_discharge_kw"] + sites["grid_import_kw"] \
        + sites["unserved_kw"]
    uses = sites["demand_kw"] + sites["battery_charge_kw"] + sites["battery_grid_charge_kw"] \
        + sites["grid_export_kw"] + sites["curtailed_kw"]
    np.testing.assert_allclose(supply, uses, rtol=1e-9, atol=1e-9)


def test_location_and_market_never_summed() -> None:
    from factories import make_scenario

    res = simulate(make_scenario(n_sites=2, hours=12, n_jobs=10), LocalPolicy())
    keys = [*res.summary, *res.sites.columns]
    # no field mixes the two scope-2 methods, and neither equals their sum
    assert not any("location" in k and "market" in k for k in keys)
    loc, mkt = res.summary["emissions_location_kg"], res.summary["emissions_market_kg"]
    assert not any(np.isclose(v, loc + mkt) for v in res.summary.values() if isinstance(v, float) and loc > 0)
    assert res.sites["emissions_location_kg"].sum() == pytest.approx(loc)
    assert res.sites["emissions_market_kg"].sum() == pytest.approx(mkt)

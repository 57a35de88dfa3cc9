"""Attribution: a hand-computed case, and sums that close on random scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from factories import hand_accounts_scenario as hand_scenario
from factories import random_scenario
from shulu import units
from shulu.accounts.attribution import ADDITIVE, attribute
from shulu.model import Scenario
from shulu.policies import get_policy
from shulu.sim.engine import simulate


def test_attribution_by_hand() -> None:
    # hour 0: jobs 8 kW + idle 0.5 x 2 = 9 kW IT x 1.5 = 13.5 kWh; the 5.5 kWh beyond the jobs' own IT goes 2:6.
    #   A: 2 + 5.5 x 2/8 = 3.375 kWh, B: 6 + 5.5 x 6/8 = 10.125 kWh; emissions at 0.1 kg/kWh: 0.3375 and 1.0125 kg.
    # hour 1: A alone: 2 + 0.5 x 8 = 6 kW IT x 1.5 = 9 kWh, all A's: 2.7 kg at 0.3 kg/kWh.
    # embodied 1 kg/kW/h x 10 kW = 10 kg per hour. Own: A 2 kW x 2 h = 4 kg, B 6 kg. Unreserved capacity:
    #   hour 0 2 kg split 2:6 (A 0.5, B 1.5), hour 1 8 kg to A. A: 4 + 0.5 + 8 = 12.5 kg, B: 6 + 1.5 = 7.5 kg.
    res = simulate(hand_scenario(), get_policy("local"))
    att = attribute(res)
    att.check()
    j = att.jobs.set_index("job_id")
    assert j.loc[0, "energy_it_kwh"] == pytest.approx(4.0)
    assert j.loc[0, "energy_kwh"] == pytest.approx(3.375 + 9.0)
    assert j.loc[1, "energy_kwh"] == pytest.approx(10.125)
    assert j.loc[0, "emissions_location_kg"] == pytest.approx(0.3375 + 2.7)
    assert j.loc[1, "emissions_location_kg"] == pytest.approx(1.0125)
    assert j.loc[0, "embodied_server_kg"] == pytest.approx(4.0)
    assert j.loc[0, "embodied_idle_kg"] == pytest.approx(8.5)
    assert j.loc[1, "embodied_kg"] == pytest.approx(7.5)
    assert j.loc[0, "cost_cny"] == pytest.approx(12.375)
    # GPU-hours: 2 kW for 2 h at 0.7 kW per GPU (the lifecycle dataset's H100 figure)
    assert j.loc[0, "gpu_hours"] == pytest.approx(4.0 / 0.7)
    assert j.loc[1, "gpu_hours"] == 0.0
    # recycling credit: servers 22.3% recycled x 30% credit -> net = gross x (1 - 0.0669)
    assert j.loc[1, "embodied_net_kg"] == pytest.approx(7.5 * (1 - 0.223 * 0.3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scn=random_scenario())
def test_attribution_closes_and_reconstructs_the_engine(scn: Scenario) -> None:
    for policy in ("local", "wait-awhile", "spatio-temporal"):
        res = simulate(scn, get_policy(policy))
        att = attribute(res)
        att.check(rtol=1e-6)
        j = att.jobs
        # each job's IT energy by use equals what the engine metered
        np.testing.assert_allclose(j["energy_it_kwh"], res.jobs["energy_it_kwh"], rtol=1e-9, atol=1e-9)
        # and per site the jobs' IT energy equals the site's job IT series
        step_h = scn.step_s / units.SECONDS_PER_HOUR
        site_jobs = res.sites.groupby("site")["job_it_kw"].sum() * step_h
        got = j.groupby("site")["energy_it_kwh"].sum().reindex(site_jobs.index, fill_value=0.0)
        np.testing.assert_allclose(got, site_jobs, rtol=1e-9, atol=1e-9)
        assert (j[list(ADDITIVE)].to_numpy() >= -1e-9).all()
        assert (j["energy_kwh"] >= j["energy_it_kwh"] - 1e-9).all()
        # the site totals are the simulator's
        assert att.site_totals["emissions_location_kg"].sum() == pytest.approx(
            res.summary["emissions_location_kg"], rel=1e-9, abs=1e-9)
        assert att.site_totals["energy_kwh"].sum() == pytest.approx(res.summary["energy_demand_kwh"], rel=1e-9,
                                                                    abs=1e-9)


def test_old_results_without_site_info_are_refused() -> None:
    from shulu.errors import InputError

    res = simulate(hand_scenario(), get_policy("local"))
    res.provenance.pop("site_info")
    with pytest.raises(InputError, match="site_info"):
        attribute(res)


def test_requests_travel_from_workload_to_attribution(tmp_path: object) -> None:
    from shulu.io import load_scenario, save_scenario
    from shulu.model import Workload

    scn = hand_scenario()
    f = scn.workload.frame.copy()
    f["requests"] = [1000.0, 0.0]
    scn = load_scenario(save_scenario(scn.replace(workload=Workload.from_frame(f)), f"{tmp_path}/scn"))
    att = attribute(simulate(scn, get_policy("local")))
    assert att.jobs.set_index("job_id")["requests"].tolist() == [1000.0, 0.0]
    with pytest.raises(Exception, match="requests"):
        Workload.from_frame(f.assign(requests=[-1.0, 0.0]))

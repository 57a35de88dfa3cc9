"""The built-in China network against its sources, with expectations derived independently of the code."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from shulu.data.china import build_china_scenario, site_profiles, year_bounds
from shulu.data.workload_synth import synthesize_workload
from shulu.model import Scenario
from shulu.timeindex import make_index

DATASET = Path(__file__).resolve().parents[2] / "src" / "shulu" / "data" / "builtin" / "china_hubs.yaml"
RAW = yaml.safe_load(DATASET.read_text(encoding="utf-8"))
SITES = {s["id"]: s for s in RAW["sites"]}


@pytest.fixture(scope="module")
def scn() -> Scenario:
    return build_china_scenario(2025, n_jobs=3000, seed=11)


def test_ten_clusters_eight_hubs_and_demand_regions(scn: Scenario) -> None:
    assert len(scn.network.sites) == 10
    assert len({s.hub for s in scn.network.sites}) == 8
    for name in ("beijing", "shanghai", "guangzhou-shenzhen", "chengdu", "chongqing-city", "hangzhou", "wuhan",
                 "xian"):
        assert name in scn.network.region_ids
    assert scn.n_steps == 8760 and str(scn.start) == "2024-12-31 16:00:00+00:00"


def test_every_number_has_a_source() -> None:
    sources = RAW["sources"]
    for site in RAW["sites"]:
        for key, entry in site.items():
            if isinstance(entry, dict):
                src = str(entry["source"])
                assert src.startswith("EST") or src.split(" ")[0] in sources, (site["id"], key, src)


def test_sources_travel_into_the_scenario(scn: Scenario) -> None:
    s = scn.network.site("tianfu")
    assert "mee-2023" in s.sources["lon_deg"] or s.sources["lon_deg"].startswith("EST")
    assert s.sources["pue_design"].startswith("ndrc-2021")


@pytest.mark.parametrize("site_id", sorted(SITES))
def test_generation_weighted_intensity_matches_source_factor(site_id: str) -> None:
    start, end = year_bounds(2025)
    idx = make_index(start, step_s=3600, end=end)
    from shulu.data.china import china_network

    net = china_network(1000.0)
    i = net.site_ids.index(site_id)
    prof = site_profiles(i, net.sites[i], idx, seed=11)
    gen_total = prof["generation"].sum(axis=1).to_numpy()
    weighted = float(np.sum(prof["intensity_g_per_kwh"] * gen_total) / np.sum(gen_total))
    factor = SITES[site_id]["grid_factor_g_per_kwh"]["value"]
    assert weighted == pytest.approx(factor, rel=0.01)
    # capacity factors within 1% of their targets
    assert float(prof["solar_cf"].mean()) == pytest.approx(SITES[site_id]["solar_target_cf"]["value"], rel=0.01)
    assert float(prof["wind_cf"].mean()) == pytest.approx(SITES[site_id]["wind_target_cf"]["value"], rel=0.01)
    # the hourly (unweighted) mean stays close too, and the series has a real daily shape
    assert float(prof["intensity_g_per_kwh"].mean()) == pytest.approx(factor, rel=0.06)
    assert float(np.std(prof["intensity_g_per_kwh"])) > 0.01 * factor


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def test_latency_of_known_pairs_by_hand(scn: Scenario) -> None:
    # Zhongwei (37.51 N, 105.19 E) - Beijing (39.90 N, 116.40 E): haversine ~1,007.6 km, x1.5 / 200 km/ms
    expected = haversine_km(37.51, 105.19, 39.90, 116.40) * 1.5 / 200.0
    assert expected == pytest.approx(7.56, abs=0.01)  # the shared reference quotes 7.6 ms
    link = scn.network.link_between("zhongwei", "beijing")
    assert link is not None and link.latency_ms == pytest.approx(expected, abs=1e-3)
    # Gui'an - Guangzhou/Shenzhen midpoint and Horinger - Beijing (reference: 5.9 and 2.9 ms for the city pairs)
    assert scn.network.link_between("horinger", "beijing").latency_ms == pytest.approx(2.95, abs=0.01)  # type: ignore[union-attr]


def test_east_west_and_latency_tiers(scn: Scenario) -> None:
    lat = scn.network.latency_matrix_ms()
    # every demand region has a site within the 20 ms cross-hub tier, and all links are under 20 ms one way
    assert (lat.min(axis=1) <= 20.0).all()
    roles = {s.id: s.role for s in scn.network.sites}
    assert sum(r == "west" for r in roles.values()) == 4


def test_capacity_sizing_rule(scn: Scenario) -> None:
    wl = scn.workload
    largest_kw = float(wl.frame["power_kw"].max())
    for s in scn.network.sites:
        assert s.it_capacity_kw >= 3 * largest_kw - 1e-9
    mean_kw = float(wl.energy_kwh().sum()) / 8760
    total = sum(s.it_capacity_kw for s in scn.network.sites)
    assert mean_kw / total <= 0.627 + 1e-9  # never fuller than the published network fill


def test_deterministic_for_a_seed() -> None:
    a = build_china_scenario(2025, n_jobs=200, seed=5)
    b = build_china_scenario(2025, n_jobs=200, seed=5)
    c = build_china_scenario(2025, n_jobs=200, seed=6)
    assert a.equals(b) and a.content_hash() == b.content_hash()
    assert not a.signals.equals(c.signals)


def test_custom_workload_is_kept() -> None:
    from shulu.data.china import china_network

    start, end = year_bounds(2025)
    wl = synthesize_workload(china_network(1.0), start=start, end=end, n_jobs=50, seed=1)
    scn = build_china_scenario(2025, workload=wl, seed=1)
    assert scn.workload.equals(wl)

"""Grid generation mix and carbon intensity: hand-computed cases, exact calibration, shares, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shulu.data import grid
from shulu.errors import InputError

YEAR_H = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")
TYPES = ["coal", "gas", "hydro", "nuclear", "wind", "solar"]


def shapes(index: pd.DatetimeIndex, lon: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cheap stand-ins for solar and wind capacity factors (no pvlib): a daylight bump and a noisy level."""
    rng = np.random.default_rng(seed)
    solar_h = (index.hour.to_numpy() + index.minute.to_numpy() / 60 + lon / 15) % 24
    sol = np.clip(np.sin(np.pi * (solar_h - 6) / 12), 0, None) * rng.uniform(0.3, 1.0, len(index))
    wnd = np.clip(0.3 + 0.2 * rng.standard_normal(len(index)), 0, 1)
    return sol, wnd


def weighted_mean(intensity: np.ndarray, gen: pd.DataFrame) -> float:
    total = gen.to_numpy().sum(axis=1)
    return float(np.sum(intensity * total) / np.sum(total))


def test_carbon_intensity_coal_and_wind_by_hand() -> None:
    # step 0: 2 coal; step 1: 1 coal + 1 wind. sum(I G) / sum(G) = ef x 3 / 4 = 600 -> ef = 800;
    # I0 = 800 x 2 / 2 = 800, I1 = 800 x 1 / 2 = 400.
    gen = pd.DataFrame({"coal": [2.0, 1.0], "wind": [0.0, 1.0]})
    i, ef = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=600.0)
    assert ef == pytest.approx(800.0, rel=1e-12)
    np.testing.assert_allclose(i, [800.0, 400.0], rtol=1e-12)


def test_carbon_intensity_with_gas_by_hand() -> None:
    # step 0: 1 coal + 1 gas; step 1: 2 wind. Emissions = ef x (1 + 0.45) over 4 units of energy:
    # 300 = ef x 1.45 / 4 -> ef = 827.586...; I0 = ef x 1.45 / 2 = 600, I1 = 0.
    gen = pd.DataFrame({"coal": [1.0, 0.0], "gas": [1.0, 0.0], "wind": [0.0, 2.0]})
    i, ef = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=300.0)
    assert grid.GAS_TO_COAL_FACTOR == 0.45
    assert ef == pytest.approx(300.0 * 4 / 1.45, rel=1e-12)
    np.testing.assert_allclose(i, [600.0, 0.0], rtol=1e-12, atol=1e-12)
    # custom relative factors: gas as dirty as coal -> 300 = ef x 2 / 4 -> ef = 600
    i, ef = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=300.0,
                                            relative_factors={"coal": 1.0, "gas": 1.0})
    assert ef == pytest.approx(600.0, rel=1e-12)
    np.testing.assert_allclose(i, [600.0, 0.0], rtol=1e-12, atol=1e-12)


def test_cfe_frac_by_hand() -> None:
    gen = pd.DataFrame({"coal": [2.0, 1.0, 0.0, 0.0], "gas": [0.0, 1.0, 0.0, 0.0], "hydro": [0.0, 2.0, 3.0, 0.0]})
    np.testing.assert_allclose(grid.cfe_frac(gen), [0.0, 0.5, 1.0, 0.0])


MIXES = {
    "tianfu (hydro 80%)": (104.1, {"coal": 0.14, "gas": 0.02, "hydro": 0.80, "wind": 0.03, "solar": 0.01}, 156.4),
    "zhongwei (wind+solar)": (105.19, {"coal": 0.64, "hydro": 0.03, "wind": 0.17, "solar": 0.16}, 618.7),
    "yrd (nuclear, gas)": (120.9, {"coal": 0.66, "gas": 0.08, "hydro": 0.03, "nuclear": 0.12, "wind": 0.06,
                                   "solar": 0.05}, 551.3),
}


@pytest.mark.parametrize("name", sorted(MIXES))
def test_mix_shares_and_exact_calibration(name: str) -> None:
    lon, shares, factor = MIXES[name]
    sol, wnd = shapes(YEAR_H, lon, seed=1)
    gen = grid.generation_mix(YEAR_H, lon_deg=lon, shares=shares, solar_cf=sol, wind_cf=wnd,
                              rng=np.random.default_rng(2))
    assert list(gen.columns) == TYPES
    assert gen.index.equals(YEAR_H)
    values = gen.to_numpy()
    assert values.min() >= 0.0
    total = values.sum(axis=1)
    assert total.min() > 0.0
    share = gen.sum() / total.sum()
    # fossil types keep their nominal annual share (documented: exact, the non-fossil total too)
    for k in ("coal", "gas"):
        assert share[k] == pytest.approx(shares.get(k, 0.0), abs=1e-9)
    clean_nominal = sum(v for k, v in shares.items() if k not in ("coal", "gas"))
    assert share[["hydro", "nuclear", "wind", "solar"]].sum() == pytest.approx(clean_nominal, abs=1e-9)
    # each non-fossil type stays close to its share
    for k in ("hydro", "nuclear", "wind", "solar"):
        assert share[k] == pytest.approx(shares.get(k, 0.0), abs=0.01)
    # generation-weighted intensity equals the factor (calibrated, so to float precision)
    i, ef = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=factor)
    assert weighted_mean(i, gen) == pytest.approx(factor, rel=1e-9)
    # and each step's intensity is ef x (coal + 0.45 gas) / total, computed here independently
    np.testing.assert_allclose(i, ef * (gen["coal"] + 0.45 * gen["gas"]).to_numpy() / total, rtol=1e-12)
    np.testing.assert_allclose(grid.cfe_frac(gen), 1.0 - (gen["coal"] + gen["gas"]).to_numpy() / total, atol=1e-12)


def test_surplus_hours_burn_no_fossil_and_hydro_is_wet_in_summer() -> None:
    lon, shares, factor = MIXES["tianfu (hydro 80%)"]
    sol, wnd = shapes(YEAR_H, lon, seed=3)
    gen = grid.generation_mix(YEAR_H, lon_deg=lon, shares=shares, solar_cf=sol, wind_cf=wnd,
                              rng=np.random.default_rng(4))
    months = YEAR_H.month.to_numpy()
    summer, winter = np.isin(months, [7, 8]), np.isin(months, [1, 2])
    assert gen["hydro"][summer].mean() > 1.2 * gen["hydro"][winter].mean()
    fossil = (gen["coal"] + gen["gas"]).to_numpy()
    assert np.any(fossil == 0.0)  # wet-season surplus: exported/curtailed, no fossil in those hours
    i, _ = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=factor)
    assert i[summer].mean() < i[winter].mean()
    assert np.all(i[fossil == 0.0] == 0.0)


def test_solar_generation_follows_its_shape() -> None:
    sol, wnd = shapes(YEAR_H, 110.0, seed=5)
    gen = grid.generation_mix(YEAR_H, lon_deg=110.0, shares={"coal": 0.7, "solar": 0.2, "wind": 0.1},
                              solar_cf=sol, wind_cf=wnd, rng=np.random.default_rng(6))
    assert np.all(gen["solar"].to_numpy()[sol == 0.0] == 0.0)
    assert float(np.corrcoef(gen["solar"], sol)[0, 1]) > 0.99
    assert np.all(gen["nuclear"] == 0.0) and np.all(gen["hydro"] == 0.0)


def test_no_fossil_mix() -> None:
    sol, wnd = shapes(YEAR_H[:480], 104.0, seed=7)
    gen = grid.generation_mix(YEAR_H[:480], lon_deg=104.0, shares={"hydro": 0.9, "wind": 0.1}, solar_cf=sol,
                              wind_cf=wnd, rng=np.random.default_rng(8))
    assert float(gen[["coal", "gas"]].to_numpy().sum()) == 0.0
    np.testing.assert_allclose(grid.cfe_frac(gen), 1.0)
    i, ef = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=0.0)
    assert ef == 0.0 and not i.any()
    with pytest.raises(InputError) as err:
        grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=100.0)
    assert err.value.field == "annual_factor_g_per_kwh"


def test_deterministic_for_a_seed() -> None:
    sol, wnd = shapes(YEAR_H, 110.0, seed=9)
    kw = {"lon_deg": 110.0, "shares": {"coal": 0.6, "hydro": 0.3, "wind": 0.1}, "solar_cf": sol, "wind_cf": wnd}
    a = grid.generation_mix(YEAR_H, rng=np.random.default_rng(1), **kw)
    b = grid.generation_mix(YEAR_H, rng=np.random.default_rng(1), **kw)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(("shares", "match"), [({"coal": 0.5}, "summing to 1"),
                                               ({"coal": 0.5, "oil": 0.5}, "unknown generation type"),
                                               ({"coal": 1.2, "hydro": -0.2}, ">= 0"),
                                               ({"coal": float("nan"), "hydro": 1.0}, ">= 0")])
def test_bad_shares_rejected(shares: dict[str, float], match: str) -> None:
    sol, wnd = shapes(YEAR_H[:48], 110.0, seed=0)
    with pytest.raises(InputError, match=match) as err:
        grid.generation_mix(YEAR_H[:48], lon_deg=110.0, shares=shares, solar_cf=sol, wind_cf=wnd,
                            rng=np.random.default_rng(0))
    assert err.value.field == "shares"


def test_bad_shapes_index_and_factors_rejected() -> None:
    sol, wnd = shapes(YEAR_H[:48], 110.0, seed=0)
    shares = {"coal": 0.9, "solar": 0.1}
    with pytest.raises(InputError) as err:
        grid.generation_mix(YEAR_H[:48], lon_deg=110.0, shares=shares, solar_cf=sol[:47], wind_cf=wnd,
                            rng=np.random.default_rng(0))
    assert err.value.field == "solar_cf"
    with pytest.raises(InputError) as err:
        grid.generation_mix(YEAR_H[:48], lon_deg=110.0, shares=shares, solar_cf=sol, wind_cf=-wnd - 1,
                            rng=np.random.default_rng(0))
    assert err.value.field == "wind_cf"
    with pytest.raises(InputError, match="timezone-aware"):
        grid.generation_mix(pd.date_range("2025-01-01", periods=48, freq="h"), lon_deg=110.0, shares=shares,
                            solar_cf=sol, wind_cf=wnd, rng=np.random.default_rng(0))
    gen = pd.DataFrame({"coal": [1.0, 2.0]})
    with pytest.raises(InputError) as err:
        grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=-1.0)
    assert err.value.field == "annual_factor_g_per_kwh"
    with pytest.raises(InputError) as err:
        grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=500.0, relative_factors={"coal": -1.0})
    assert err.value.field == "relative_factors"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), factor=st.floats(50.0, 900.0), fossil=st.floats(0.1, 0.95))
def test_any_mix_is_calibrated_exactly(seed: int, factor: float, fossil: float) -> None:
    rng = np.random.default_rng(seed)
    clean = rng.dirichlet(np.ones(4)) * (1.0 - fossil)
    gas_part = rng.uniform(0.0, 0.3)
    shares = {"coal": fossil * (1 - gas_part), "gas": fossil * gas_part,
              **dict(zip(["hydro", "nuclear", "wind", "solar"], clean.tolist(), strict=True))}
    idx = YEAR_H[: 24 * 120]
    sol, wnd = shapes(idx, 105.0, seed=seed % 1000)
    gen = grid.generation_mix(idx, lon_deg=105.0, shares=shares, solar_cf=sol, wind_cf=wnd, rng=rng)
    assert gen.to_numpy().min() >= 0.0
    share = gen.sum() / gen.to_numpy().sum()
    # the fossil share is kept exactly unless no boost <= MAX_CLEAN_BOOST can deliver the non-fossil share (the
    # module's documented deviation, e.g. a mostly-solar clean part at high share): then fossil ends above it
    got = share["coal"] + share["gas"]
    assert got >= fossil - 1e-6
    if fossil >= 0.7:  # a clean part of <= 30% never needs more than the maximum boost (sun is up > 30% of hours)
        assert got == pytest.approx(fossil, abs=1e-6)
    i, _ = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=factor)
    assert weighted_mean(i, gen) == pytest.approx(factor, rel=1e-9)
    cfe = grid.cfe_frac(gen)
    assert cfe.min() >= 0.0 and cfe.max() <= 1.0


@settings(max_examples=25, deadline=None)
@given(floor=st.floats(0.05, 0.9), name=st.sampled_from(sorted(MIXES)), seed=st.integers(0, 10_000))
def test_must_run_floor_holds_and_shares_stay(floor: float, name: str, seed: int) -> None:
    lon, shares, _ = MIXES[name]
    sol, wnd = shapes(YEAR_H, lon, seed=seed)
    gen = grid.generation_mix(YEAR_H, lon_deg=lon, shares=shares, solar_cf=sol, wind_cf=wnd,
                              rng=np.random.default_rng(seed), fossil_min_frac=floor)
    fossil = (gen["coal"] + gen["gas"]).to_numpy()
    # never below the floor: floor x the fossil share of mean demand (generation equals demand in every step)
    total = gen.to_numpy().sum(axis=1)
    fossil_share = shares.get("coal", 0.0) + shares.get("gas", 0.0)
    assert fossil.min() >= floor * fossil_share * total.mean() * (1 - 1e-9)
    # the floor can only raise the fossil share; up to half the mean output it is kept exactly (the non-fossil
    # boost makes up for the room the floor takes in these mixes)
    share = fossil.sum() / total.sum()
    assert share >= fossil_share - 1e-9
    if floor <= 0.5:
        assert share == pytest.approx(fossil_share, abs=1e-9)


def test_must_run_floor_lifts_the_cleanest_hours() -> None:
    # Without a floor the hydro-heavy zone has hours with no fossil at all (intensity 0); with a floor of 0.4 of
    # mean fossil output, the cleanest hour has fossil = 0.4 x 16% of demand, so its intensity is at least
    # ef x 0.4 x 0.16 x (coal 14/16 + 0.45 gas 2/16) / 1 — computed here from the floor's definition.
    lon, shares, factor = MIXES["tianfu (hydro 80%)"]
    sol, wnd = shapes(YEAR_H, lon, seed=3)
    kw = {"lon_deg": lon, "shares": shares, "solar_cf": sol, "wind_cf": wnd}
    free = grid.generation_mix(YEAR_H, rng=np.random.default_rng(4), **kw)
    held = grid.generation_mix(YEAR_H, rng=np.random.default_rng(4), fossil_min_frac=0.4, **kw)
    i_free, _ = grid.carbon_intensity_g_per_kwh(free, annual_factor_g_per_kwh=factor)
    i_held, ef = grid.carbon_intensity_g_per_kwh(held, annual_factor_g_per_kwh=factor)
    assert i_free.min() == 0.0
    total = held.to_numpy().sum(axis=1)
    floor_kwh = 0.4 * 0.16 * total.mean()
    want_min = ef * floor_kwh * (0.14 / 0.16 + 0.45 * 0.02 / 0.16) / total
    assert np.all(i_held >= want_min * (1 - 1e-9))
    assert i_held.min() == pytest.approx(float(want_min[np.argmin(i_held)]), rel=1e-9)  # the floor binds somewhere
    # same annual factor, smaller daily swings
    day = YEAR_H.floor("D")
    swing = [pd.Series(i).groupby(day).agg(lambda x: x.max() - x.min()).median() for i in (i_free, i_held)]
    assert swing[1] < swing[0]
    assert weighted_mean(i_held, held) == pytest.approx(factor, rel=1e-9)


def test_must_run_floor_must_be_a_fraction() -> None:
    sol, wnd = shapes(YEAR_H[:48], 110.0, seed=0)
    with pytest.raises(InputError, match="fossil_min_frac"):
        grid.generation_mix(YEAR_H[:48], lon_deg=110.0, shares={"coal": 0.5, "wind": 0.5}, solar_cf=sol,
                            wind_cf=wnd, rng=np.random.default_rng(0), fossil_min_frac=1.0)

"""Learned forecasters: registered by name, no look-ahead, batching changes nothing, they learn what is there."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from shulu.errors import InputError
from shulu.forecast import FORECASTERS, GBMForecaster, LinearForecaster, SeasonalNaive, get_forecaster
from shulu.model import Scenario

DAY = 24


def series(days: int = 24, sites: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days * DAY)[:, None]
    daily = 100 * np.sin(2 * np.pi * t / DAY + np.arange(sites))
    walk = np.cumsum(rng.normal(0, 5, (t.size, sites)), axis=0)
    return 400 + daily + walk + rng.normal(0, 3, (t.size, sites))


def small_gbm() -> GBMForecaster:
    return GBMForecaster(min_train_h=7 * DAY, refit_h=7 * DAY, max_iter=15, max_lead_h=30)


MAKERS: list[Callable[[], LinearForecaster | GBMForecaster]] = [
    lambda: LinearForecaster(min_train_h=7 * DAY), small_gbm]


def test_registered_by_name() -> None:
    assert {"linear", "gbm"} <= set(FORECASTERS)
    assert isinstance(get_forecaster("linear"), LinearForecaster)
    assert isinstance(get_forecaster("gbm", max_iter=5), GBMForecaster)
    with pytest.raises(InputError):
        LinearForecaster(refit_h=0)


def test_policies_take_them_by_name(scenario_factory: Callable[..., Scenario]) -> None:
    from shulu.runner import simulate

    scn = scenario_factory(hours=48, n_jobs=6)
    for name in ("linear", "gbm"):
        res = simulate(scn, "wait-awhile", forecast=name)
        assert res.summary["emissions_location_kg"] > 0
        assert "forecast" in str(res.provenance) and name in str(res.provenance)


@pytest.mark.parametrize("make", MAKERS)
def test_no_look_ahead(make: Callable[[], LinearForecaster | GBMForecaster]) -> None:
    truth = series()
    issued = 16 * DAY + 5
    spoiled = truth.copy()
    spoiled[issued + 1:] = 1e6  # the future is garbage: nothing may change
    a = make().predict(truth, issued, 36, step_s=3600)
    b = make().predict(spoiled, issued, 36, step_s=3600)
    assert np.array_equal(a, b)
    assert a.shape == (36, 2) and np.array_equal(a[0], truth[issued])  # the nowcast is observed


@pytest.mark.parametrize("make", MAKERS)
def test_batched_sequential_calls_equal_single_calls(make: Callable[[], LinearForecaster | GBMForecaster]) -> None:
    truth = series()
    seq = make()
    got = [seq.predict(truth, t, 50, step_s=3600) for t in range(8 * DAY, 8 * DAY + 30)]
    for k in (0, 7, 29):
        one = make().predict(truth, 8 * DAY + k, 50, step_s=3600)
        assert np.allclose(got[k], one, rtol=0, atol=1e-9)


def test_before_enough_history_it_is_seasonal_naive() -> None:
    truth = series()
    f = LinearForecaster(min_train_h=10 * DAY).predict(truth, 3 * DAY, 30, step_s=3600)
    assert np.array_equal(f, SeasonalNaive(24).predict(truth, 3 * DAY, 30, step_s=3600))


def test_linear_beats_persistence_on_a_daily_cycle() -> None:
    truth = series(days=30, seed=1)
    lin = LinearForecaster(min_train_h=7 * DAY)
    err_lin, err_pers = [], []
    for t in range(10 * DAY, 28 * DAY, 7):
        f = lin.predict(truth, t, 24, step_s=3600)
        y = truth[t:t + 24]
        err_lin.append(np.abs(f[1:] - y[1:]).mean())
        err_pers.append(np.abs(truth[t] - y[1:]).mean())
    assert np.mean(err_lin) < 0.5 * np.mean(err_pers)


def test_gbm_refits_only_on_schedule() -> None:
    g = small_gbm()
    assert g.cutoff(7 * DAY - 1, 3600) is None
    assert g.cutoff(7 * DAY, 3600) == g.cutoff(14 * DAY - 1, 3600) == 7 * DAY
    assert g.cutoff(14 * DAY, 3600) == 14 * DAY


def test_gbm_repeats_the_last_day_beyond_its_leads() -> None:
    truth = series()
    g = small_gbm()  # trees predict up to 30 h; 31 steps including the nowcast
    f = g.predict(truth, 10 * DAY, 80, step_s=3600)
    assert np.array_equal(f[31:55], f[7:31]) and np.array_equal(f[55:79], f[31:55])

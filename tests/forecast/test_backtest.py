"""Back-testing: scores of a hand-checkable case, pinball loss by hand, model parsing."""

from __future__ import annotations

import numpy as np
import pytest

from shulu.errors import InputError
from shulu.forecast import Persistence
from shulu.forecast.backtest import backtest, parse_models, pinball


def test_pinball_by_hand() -> None:
    # q = 0.9: under-forecast by 5 costs 0.9 x 5 = 4.5, over-forecast by 2 costs 0.1 x 2 = 0.2
    assert pinball(np.array([10.0, 20.0]), np.array([12.0, 15.0]), 0.9) == pytest.approx((0.2 + 4.5) / 2)


def test_persistence_on_a_ramp_by_hand() -> None:
    # y_t = 100 + t; persistence misses lead 1 by 1 and lead 2 by 2 every time
    truth = (100.0 + np.arange(30.0)).reshape(-1, 1)
    df = backtest(truth, {"persistence": Persistence()}, step_s=3600, sites=["a"], horizon_h=2, every_h=1,
                  start_h=0, calib_frac=0.5)
    row = df[df["site"] == "a"].iloc[0]
    # issue steps 0..27 (the horizon must fit); the first 14 calibrate, 14..27 are scored
    ev = np.arange(14, 28)
    assert row["n_forecasts"] == 14
    assert row["mae"] == pytest.approx(1.5) and row["rmse"] == pytest.approx(np.sqrt(2.5))
    mape = np.mean(np.concatenate([1.0 / (101.0 + ev), 2.0 / (102.0 + ev)]))
    assert row["mape_frac"] == pytest.approx(mape)
    # residuals are constant per lead: the band has zero width around the point forecast
    assert row["pinball_q10"] == pytest.approx(0.1 * 1.5) and row["pinball_q50"] == pytest.approx(0.75)
    assert row["pinball_q90"] == pytest.approx(0.9 * 1.5) and row["coverage_80_frac"] == 0.0
    assert df["site"].tolist() == ["a", "all"]


def test_perfect_scores_zero_and_model_parsing() -> None:
    truth = np.random.default_rng(0).uniform(100, 200, (24 * 10, 3))
    models = parse_models("perfect, seasonal-naive:period_h=24")
    assert list(models) == ["perfect", "seasonal-naive:period_h=24"]
    df = backtest(truth, models, step_s=3600, sites=["x", "y", "z"], start_h=24, every_h=12)
    perfect = df[df["model"] == "perfect"]
    assert (perfect["mae"] == 0).all() and (perfect["pinball_mean"] == 0).all()
    assert len(df) == 2 * 4
    with pytest.raises(InputError):
        parse_models("seasonal-naive:period_h")
    with pytest.raises(InputError):
        backtest(truth, models, step_s=3600, sites=["x", "y", "z"], start_h=24 * 9)

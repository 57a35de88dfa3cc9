import numpy as np
import pytest

from shulu.errors import InputError
from shulu.forecast import NoisyPerfect, Perfect, Persistence, SeasonalNaive, get_forecaster


def test_seasonal_naive_uses_only_the_past() -> None:
    truth = np.arange(100.0).reshape(-1, 1)
    f = SeasonalNaive(period_h=24).predict(truth, 50, 30, step_s=3600)
    # target 50 is the nowcast; 51..74 take the value a day earlier; 75..79 two days earlier
    assert f[0, 0] == 50
    assert f[1, 0] == 27 and f[24, 0] == 50 and f[25, 0] == 27
    assert (f <= 50).all()


def test_persistence_and_perfect() -> None:
    truth = np.arange(10.0).reshape(-1, 1)
    assert Persistence().predict(truth, 4, 3, step_s=3600).ravel().tolist() == [4.0, 4.0, 4.0]
    assert Perfect().predict(truth, 8, 4, step_s=3600).ravel().tolist() == [8.0, 9.0, 9.0, 9.0]


@pytest.mark.parametrize("mape", [0.05, 0.2])
def test_noisy_has_the_requested_mape(mape: float) -> None:
    truth = np.full((20_000, 2), 400.0)
    f = NoisyPerfect(mape=mape, seed=3).predict(truth, 0, 20_000, step_s=3600)
    err = np.abs(f[1:] - truth[1:]) / truth[1:]
    assert float(err.mean()) == pytest.approx(mape, rel=0.05)
    assert np.array_equal(f[0], truth[0])  # the nowcast is observed


def test_noisy_is_deterministic_per_target_step() -> None:
    truth = np.random.default_rng(0).uniform(100, 500, (50, 1))
    f = NoisyPerfect(mape=0.1, seed=1)
    a = f.predict(truth, 10, 5, step_s=3600)
    b = f.predict(truth, 11, 5, step_s=3600)
    assert np.allclose(a[2:], b[1:4])


def test_unknown_forecaster() -> None:
    with pytest.raises(InputError, match="perfect"):
        get_forecaster("tea-leaves")

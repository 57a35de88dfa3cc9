"""Simple forecasters: perfect, persistence, seasonal-naive (day or week) and perfect-plus-noise.

A forecaster sees the true (T x S) series of a signal and, issued at step ``t``, returns
its belief about steps ``t .. t + horizon - 1``. Only values at or before ``t`` may be
used by the non-perfect ones (the value at ``t`` is the nowcast, assumed observed).
Steps past the end of the series repeat the last belief.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from shulu.errors import InputError

FloatArray = npt.NDArray[np.float64]


class Forecaster(ABC):
    """Predicts a (time x site) signal from step ``issued`` for ``horizon`` steps."""

    name: ClassVar[str] = "forecaster"

    @abstractmethod
    def predict(self, truth: FloatArray, issued: int, horizon: int, *, step_s: float) -> FloatArray:
        """A (horizon x S) forecast issued at step ``issued``."""

    def params(self) -> dict[str, float | str]:
        """Parameters for provenance."""
        return {"forecast": self.name}


def _pad(block: FloatArray, horizon: int) -> FloatArray:
    if block.shape[0] >= horizon:
        return block[:horizon]
    return np.vstack([block, np.repeat(block[-1:], horizon - block.shape[0], axis=0)])


class Perfect(Forecaster):
    """The truth (the oracle's knowledge).

    Examples
    --------
    >>> Perfect().predict(np.arange(5.0).reshape(5, 1), 3, 4, step_s=3600).ravel().tolist()
    [3.0, 4.0, 4.0, 4.0]
    """

    name: ClassVar[str] = "perfect"

    def predict(self, truth: FloatArray, issued: int, horizon: int, *, step_s: float) -> FloatArray:
        """Truth over the horizon."""
        return _pad(truth[issued:issued + horizon], horizon)


class Persistence(Forecaster):
    """Tomorrow looks like now: the value at the issue step, held.

    Examples
    --------
    >>> Persistence().predict(np.arange(5.0).reshape(5, 1), 2, 3, step_s=3600).ravel().tolist()
    [2.0, 2.0, 2.0]
    """

    name: ClassVar[str] = "persistence"

    def predict(self, truth: FloatArray, issued: int, horizon: int, *, step_s: float) -> FloatArray:
        """The nowcast repeated."""
        return np.repeat(truth[issued:issued + 1], horizon, axis=0)


class SeasonalNaive(Forecaster):
    """The value one season (a day or a week) before each target step, from the latest season observed.

    Parameters
    ----------
    period_h : float
        Season length [h] (24 for daily, 168 for weekly).

    Examples
    --------
    >>> truth = np.tile(np.array([1.0, 2.0, 3.0]), 3).reshape(-1, 1)  # period of 3 steps
    >>> SeasonalNaive(period_h=3).predict(truth, 4, 4, step_s=3600).ravel().tolist()
    [2.0, 3.0, 1.0, 2.0]
    """

    name: ClassVar[str] = "seasonal-naive"

    def __init__(self, period_h: float = 24.0) -> None:
        if period_h <= 0:
            raise InputError(f"expected period_h > 0, got {period_h}", field="period_h")
        self.period_h = period_h

    def predict(self, truth: FloatArray, issued: int, horizon: int, *, step_s: float) -> FloatArray:
        """Each target step takes the observed value a whole number of seasons earlier (at or before ``issued``)."""
        period = max(1, round(self.period_h * 3600.0 / step_s))
        target = issued + np.arange(horizon)
        back = np.ceil(np.maximum(target - issued, 0) / period).astype(np.int64)
        back = np.maximum(back, (target > issued).astype(np.int64))
        src = target - back * period
        src = np.where(src < 0, issued, src)  # before the series starts: fall back to persistence
        src = np.minimum(src, issued)
        return truth[src]

    def params(self) -> dict[str, float | str]:
        """Parameters."""
        return {"forecast": self.name, "period_h": self.period_h}


class NoisyPerfect(Forecaster):
    """The truth times (1 + e), e ~ Normal(0, sigma) with sigma = MAPE x sqrt(pi / 2), so that E|e| = MAPE.

    The error of each target step is fixed by the seed (the same step gets the same error whenever it is
    forecast), so a forecast error can be measured and compared across policies.

    Parameters
    ----------
    mape : float
        Mean absolute percentage error as a fraction (0.1 = 10%).
    seed : int
        Seed of the errors.
    """

    name: ClassVar[str] = "noisy"

    def __init__(self, mape: float = 0.1, seed: int = 0) -> None:
        if not 0.0 <= mape < 1.0:
            raise InputError(f"expected mape in [0, 1), got {mape}", field="mape")
        self.mape = mape
        self.seed = seed
        self._noise: FloatArray | None = None

    def predict(self, truth: FloatArray, issued: int, horizon: int, *, step_s: float) -> FloatArray:
        """Truth with the fixed error of each step (the nowcast is exact)."""
        if self._noise is None or self._noise.shape != truth.shape:
            rng = np.random.default_rng(self.seed)
            self._noise = np.clip(rng.normal(0.0, self.mape * np.sqrt(np.pi / 2.0), truth.shape), -0.95, None)
        block = _pad(truth[issued:issued + horizon] * (1.0 + self._noise[issued:issued + horizon]), horizon)
        block[0] = truth[issued]
        return np.maximum(block, 0.0)

    def params(self) -> dict[str, float | str]:
        """Parameters."""
        return {"forecast": self.name, "mape": self.mape, "seed": self.seed}


FORECASTERS: dict[str, type[Forecaster]] = {c.name: c for c in (Perfect, Persistence, SeasonalNaive, NoisyPerfect)}


def get_forecaster(name: str, **params: float) -> Forecaster:
    """A forecaster by name (``perfect``, ``persistence``, ``seasonal-naive``, ``noisy``; ``linear`` and ``gbm`` once
    :mod:`shulu.forecast` is imported)."""
    if name not in FORECASTERS:
        raise InputError(f"unknown forecast {name!r}; expected one of {sorted(FORECASTERS)}", field="forecast")
    try:
        return FORECASTERS[name](**params)
    except TypeError as exc:
        raise InputError(f"bad parameters for forecast {name!r}: {exc}", field="forecast") from None

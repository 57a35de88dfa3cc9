"""Layer 4, forecasts: what a policy believes about future signals (one verb: ``predict``).

Simple forecasters (``perfect``, ``persistence``, ``seasonal-naive``, ``noisy``) live in
:mod:`shulu.forecast.simple`; learned ones (``linear``, ``gbm``) in :mod:`shulu.forecast.learned`, registered in the
same :data:`FORECASTERS` table so every policy can use them by name; :mod:`shulu.forecast.backtest` scores them.
"""

from shulu.forecast.learned import GBMForecaster, LinearForecaster
from shulu.forecast.simple import (
    FORECASTERS,
    Forecaster,
    NoisyPerfect,
    Perfect,
    Persistence,
    SeasonalNaive,
    get_forecaster,
)

FORECASTERS.update({c.name: c for c in (LinearForecaster, GBMForecaster)})

__all__ = ["FORECASTERS", "Forecaster", "GBMForecaster", "LinearForecaster", "NoisyPerfect", "Perfect", "Persistence",
           "SeasonalNaive", "get_forecaster"]

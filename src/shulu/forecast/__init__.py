"""Layer 4, forecasts: what a policy believes about future signals (one verb: ``predict``)."""

from shulu.forecast.simple import (
    FORECASTERS,
    Forecaster,
    NoisyPerfect,
    Perfect,
    Persistence,
    SeasonalNaive,
    get_forecaster,
)

__all__ = ["FORECASTERS", "Forecaster", "NoisyPerfect", "Perfect", "Persistence", "SeasonalNaive", "get_forecaster"]

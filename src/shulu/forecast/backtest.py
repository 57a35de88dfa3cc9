"""Back-testing forecasters: rolling-origin forecasts scored by MAPE, MAE, RMSE and pinball loss.

Forecasts are issued every ``every_h`` hours from ``start_h`` on, each ``horizon_h`` hours ahead, exactly as a policy
would receive them (only the past is visible). The nowcast (lead 0) is observed and left out of every score.

Quantile forecasts, for the pinball loss, are the point forecast plus the spread of that model's own residuals at
the same lead and site over a *calibration* window (the first ``calib_frac`` of the issue steps): the residuals'
q-quantile minus their median, so the median forecast is the point forecast itself (``pinball_q50`` = MAE / 2) and
no bias is corrected behind the model's back. All scores are computed on the remaining (evaluation) issue steps
only, so every model, simple or learned, is scored by the same rule.

``mape_frac`` skips targets whose magnitude is below 5 % of the site's mean (night-time solar would otherwise
dominate it); ``nmae_frac`` (MAE over the mean magnitude) has no such gap and suits solar and wind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.forecast.simple import Forecaster, get_forecaster

FloatArray = npt.NDArray[np.float64]
#: Targets below this share of a site's mean magnitude are left out of the MAPE.
MAPE_FLOOR_FRAC: float = 0.05
#: Quantiles scored by the pinball loss.
QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


class Metric(NamedTuple):
    """One column of backtest.csv: name, unit, description."""

    name: str
    unit: str
    description: str


#: Columns of ``backtest.csv`` besides ``model``, ``var`` and ``site``.
BACKTEST_COLUMNS: tuple[Metric, ...] = (
    Metric("n_forecasts", "-", "Forecasts scored (evaluation issue steps x sites)"),
    Metric("horizon_h", "h", "Hours ahead each forecast covers (lead 0, the nowcast, is not scored)"),
    Metric("mape_frac", "fraction", "Mean absolute percentage error (targets >= 5% of the site's mean magnitude)"),
    Metric("nmae_frac", "fraction", "Mean absolute error over the mean magnitude of the truth"),
    Metric("mae", "signal unit", "Mean absolute error"),
    Metric("rmse", "signal unit", "Root mean square error"),
    Metric("pinball_q10", "signal unit", "Pinball loss of the 10% quantile forecast"),
    Metric("pinball_q50", "signal unit", "Pinball loss of the median forecast (= MAE / 2: the median is the point)"),
    Metric("pinball_q90", "signal unit", "Pinball loss of the 90% quantile forecast"),
    Metric("pinball_mean", "signal unit", "Mean pinball loss over the 10/50/90% quantiles"),
    Metric("coverage_80_frac", "fraction", "Share of targets inside the 10..90% band (0.8 if calibrated)"),
)


def pinball(y: FloatArray, q_forecast: FloatArray, q: float) -> float:
    """Mean pinball (quantile) loss of a quantile forecast.

    Examples
    --------
    >>> pinball(np.array([10.0]), np.array([8.0]), 0.9)  # under-forecast by 2 at q=0.9
    1.8
    >>> round(pinball(np.array([10.0]), np.array([12.0]), 0.9), 12)  # over-forecast by 2
    0.2
    """
    d = y - q_forecast
    return float(np.mean(np.maximum(q * d, (q - 1.0) * d)))


def parse_models(spec: str) -> dict[str, Forecaster]:
    """Forecasters from ``name[:key=value...],...``, e.g. ``persistence,seasonal-naive:period_h=168,gbm``."""
    out: dict[str, Forecaster] = {}
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        name, *kvs = item.split(":")
        params: dict[str, float] = {}
        for kv in kvs:
            if "=" not in kv:
                raise InputError(f"expected key=value after ':' in {item!r}", field="--models")
            k, v = kv.split("=", 1)
            try:
                params[k] = float(v)
            except ValueError:
                raise InputError(f"expected a number in {kv!r}", field="--models") from None
        out[item] = get_forecaster(name, **params)
    if not out:
        raise InputError("expected at least one model", field="--models")
    return out


def issue_steps(n_steps: int, step_s: float, *, horizon_h: float, every_h: float, start_h: float) -> npt.NDArray[
        np.int64]:
    """Issue steps from ``start_h`` every ``every_h`` whose whole horizon lies inside the series."""
    per_h = units.SECONDS_PER_HOUR / step_s
    h = max(1, round(horizon_h * per_h))
    every = max(1, round(every_h * per_h))
    first = round(start_h * per_h)
    return np.arange(first, n_steps - h, every, dtype=np.int64)


def backtest(truth: FloatArray, models: Mapping[str, Forecaster], *, step_s: float, sites: Sequence[str],
             var: str = "signal", horizon_h: float = 24.0, every_h: float = 24.0, start_h: float = 28 * 24.0,
             calib_frac: float = 0.25) -> pd.DataFrame:
    """Score forecasters on one signal.

    Parameters
    ----------
    truth : (T x S) array
        The signal.
    models : mapping
        Label -> forecaster.
    step_s : float
        Step [s].
    sites : sequence of str
        Column labels of ``truth``.
    var : str
        Signal name (for the output).
    horizon_h, every_h, start_h : float
        Forecast length, spacing of issue steps and first issue step [h].
    calib_frac : float
        Share of the issue steps that calibrates the quantile forecasts (not scored).

    Returns
    -------
    pandas.DataFrame
        One row per model and site, plus ``site = "all"``; columns ``model``, ``var``, ``site`` and
        :data:`BACKTEST_COLUMNS`.
    """
    truth = np.asarray(truth, dtype=np.float64)
    if truth.ndim != 2 or truth.shape[1] != len(sites):
        raise InputError(f"expected a (time x {len(sites)}) array, got shape {truth.shape}", field="truth")
    if not 0.0 < calib_frac < 1.0:
        raise InputError(f"expected calib_frac in (0, 1), got {calib_frac}", field="calib_frac")
    issues = issue_steps(truth.shape[0], step_s, horizon_h=horizon_h, every_h=every_h, start_h=start_h)
    n_cal = int(np.floor(len(issues) * calib_frac))
    if n_cal < 1 or len(issues) - n_cal < 1:
        raise InputError(f"too few issue steps ({len(issues)}) for calibration and evaluation: use a longer series, "
                         f"an earlier start or more frequent issues", field="start_h")
    h = max(1, round(horizon_h * units.SECONDS_PER_HOUR / step_s))
    lead = np.arange(1, h + 1)
    y = truth[issues[:, None] + lead[None, :]]  # (I x H x S)
    scale = np.abs(truth[: issues[n_cal]]).mean(axis=0)
    rows = []
    for label, model in models.items():
        f = np.stack([model.predict(truth, int(t), h + 1, step_s=step_s)[1:] for t in issues])
        resid = y - f
        cal, ev = slice(0, n_cal), slice(n_cal, None)
        med = np.quantile(resid[cal], 0.5, axis=0)
        band = {q: np.quantile(resid[cal], q, axis=0) - med for q in QUANTILES}  # (H x S), centred on the point
        for j, site in enumerate([*sites, "all"]):
            cols = slice(None) if site == "all" else slice(j, j + 1)
            yy, ff = y[ev][..., cols], f[ev][..., cols]
            sc = scale[cols][None, None, :]
            err = np.abs(yy - ff)
            ok = np.abs(yy) >= MAPE_FLOOR_FRAC * sc
            row: dict[str, object] = {
                "model": label, "var": var, "site": site, "n_forecasts": int(yy.shape[0] * yy.shape[2]),
                "horizon_h": horizon_h,
                "mape_frac": float(np.mean(err[ok] / np.abs(yy[ok]))) if ok.any() else float("nan"),
                "nmae_frac": float(err.mean() / max(np.abs(yy).mean(), 1e-12)),
                "mae": float(err.mean()), "rmse": float(np.sqrt(np.mean((yy - ff) ** 2))),
            }
            qf = {q: ff + band[q][None, :, cols] for q in QUANTILES}
            for q in QUANTILES:
                row[f"pinball_q{round(q * 100):02d}"] = pinball(yy, qf[q], q)
            row["pinball_mean"] = float(np.mean([row[f"pinball_q{round(q * 100):02d}"] for q in QUANTILES]))
            row["coverage_80_frac"] = float(np.mean((yy >= qf[0.1]) & (yy <= qf[0.9])))
            rows.append(row)
    return pd.DataFrame(rows, columns=["model", "var", "site", *[c.name for c in BACKTEST_COLUMNS]])

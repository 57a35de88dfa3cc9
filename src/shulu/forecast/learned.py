"""Learned forecasters: a linear model and gradient-boosted trees on lags and calendar features.

Both are *direct* multi-step models: one fit predicts every lead at once from what is known at the issue step
``t`` — the nowcast ``y[t]``, the step before it, the day's mean, the seasonal-naive value one day and one week
back (the latest observed), the lead, and the target step's phase within the day and the week. The forecaster
sees a regular series, not timestamps, so "calendar" means the phase counted from the series' start; within one
series that is the hour of day and the day of week up to a fixed shift, which a fit absorbs.

No look-ahead: a model used at issue step ``t`` was fitted on ``truth[: r + 1]`` with ``r <= t`` (the last refit
point, every ``refit_h`` hours after ``min_train_h`` hours of history); before the first refit point the forecast is
seasonal-naive. As for every forecaster, the value at ``t`` is the nowcast, assumed observed.

* ``linear`` — least squares (a little ridge) per site and lead band, on the features above plus two daily
  harmonics; fast, and a strong baseline for smooth signals.
* ``gbm`` — scikit-learn's histogram gradient boosting, one model pooled over sites (the site is a categorical
  feature; values are scaled by each site's mean), predicting the departure from the seasonal-naive value.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from shulu import units
from shulu.errors import InputError
from shulu.forecast.simple import Forecaster, SeasonalNaive

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Lead bands of the linear model [h]: one set of coefficients per band [lo, hi).
LEAD_BANDS_H: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0, 72.0, 120.0,
                                   168.0, np.inf)
#: Most (issue x lead) training rows per site and fit; issue steps are thinned to stay below.
MAX_ROWS_PER_SITE: int = 60_000
#: Most training rows of one pooled gradient-boosting fit (all sites together).
MAX_ROWS_POOLED: int = 20_000
#: When forecasts are asked for consecutive issue steps (a policy stepping through time), this many issue steps are
#: predicted in one batch — each still only from the values up to its own issue step — and served from a cache.
BLOCK_ISSUES: int = 48


def _periods(step_s: float) -> tuple[int, int]:
    day = max(1, round(units.SECONDS_PER_DAY / step_s))
    return day, day * units.DAYS_PER_WEEK


def _seasonal_src(issue: IntArray, target: IntArray, period: int) -> IntArray:
    """Index of the latest observed value a whole number of periods before each target (the nowcast for lead 0)."""
    ahead = np.maximum(target - issue, 0)
    back = np.maximum(np.ceil(ahead / period).astype(np.int64), (target > issue).astype(np.int64))
    src = target - back * period
    return np.where(src < 0, issue, src)


def features(truth: FloatArray, issue: IntArray, lead: IntArray, step_s: float) -> dict[str, FloatArray]:
    """Features of each (issue, lead) pair for every site, from ``truth[: issue + 1]`` only.

    Parameters
    ----------
    truth : (T x S) array
        The series.
    issue, lead : int arrays of the same shape
        Issue steps and leads [steps].
    step_s : float
        Step [s].

    Returns
    -------
    dict
        Arrays of shape ``issue.shape + (S,)`` (lags) or ``issue.shape`` (lead and phases).
    """
    day, week = _periods(step_s)
    target = issue + lead
    now = truth[issue]
    prev = truth[np.maximum(issue - 1, 0)]
    f_day = truth[_seasonal_src(issue, target, day)]
    src_week = _seasonal_src(issue, target, week)
    f_week = np.where((issue >= week - 1)[..., None], truth[src_week], f_day)
    csum = np.vstack([np.zeros((1, truth.shape[1])), np.cumsum(truth, axis=0)])
    lo = np.maximum(issue + 1 - day, 0)
    mean_day = (csum[issue + 1] - csum[lo]) / (issue + 1 - lo)[..., None]
    return {"now": now, "prev": prev, "day": f_day, "week": f_week, "mean_day": mean_day,
            "lead_h": lead * step_s / units.SECONDS_PER_HOUR,
            "phase_day": (target % day) / day, "phase_week": (target % week) / week}


class _Learned(Forecaster):
    """Shared machinery: refit schedule, per-series cache, fallback and clipping."""

    name: ClassVar[str] = "learned"

    def __init__(self, refit_h: float = 168.0, min_train_h: float = 336.0, max_lead_h: float = 240.0,
                 seed: int = 0) -> None:
        for label, v in (("refit_h", refit_h), ("min_train_h", min_train_h), ("max_lead_h", max_lead_h)):
            if not (np.isfinite(v) and v > 0):
                raise InputError(f"expected {label} > 0 [h], got {v}", field=label)
        self.refit_h, self.min_train_h, self.max_lead_h, self.seed = refit_h, min_train_h, max_lead_h, seed
        self._key: tuple[Any, ...] | None = None
        self._models: dict[int, Any] = {}
        self._block: dict[int, FloatArray] = {}
        self._block_h = 0
        self._last_issued = -2
        self._fallback = SeasonalNaive(period_h=units.HOURS_PER_DAY)

    def params(self) -> dict[str, float | str]:
        """Parameters for provenance."""
        return {"forecast": self.name, "refit_h": self.refit_h, "min_train_h": self.min_train_h,
                "max_lead_h": self.max_lead_h, "seed": self.seed}

    # --- schedule and cache --------------------------------------------------------------------------------
    def _steps(self, hours: float, step_s: float) -> int:
        return max(1, round(hours * units.SECONDS_PER_HOUR / step_s))

    def cutoff(self, issued: int, step_s: float) -> int | None:
        """The last refit point at or before ``issued`` (None before the first)."""
        first = self._steps(self.min_train_h, step_s)
        if issued < first:
            return None
        every = self._steps(self.refit_h, step_s)
        return first + (issued - first) // every * every

    def _series_key(self, truth: FloatArray, step_s: float) -> tuple[Any, ...]:
        head = np.ascontiguousarray(truth[: min(len(truth), 64)]).tobytes()
        return (id(truth), truth.shape, step_s, hashlib.sha1(head).hexdigest())

    def model_at(self, truth: FloatArray, r: int, step_s: float) -> Any:
        """The model fitted on ``truth[: r + 1]`` (cached per series)."""
        key = self._series_key(truth, step_s)
        if key != self._key:
            self._key, self._models, self._block, self._block_h = key, {}, {}, 0
        if r not in self._models:
            self._models[r] = self.fit(truth[: r + 1], step_s)
        return self._models[r]

    def training_pairs(self, n: int, step_s: float) -> tuple[IntArray, IntArray]:
        """(issue, lead) pairs whose target lies within a history of ``n`` steps, thinned to a row budget."""
        day, _ = _periods(step_s)
        max_lead = min(self._steps(self.max_lead_h, step_s), max(1, n - day - 1))
        first = min(day, n - 2)
        issues = np.arange(max(first, 0), n - 1, dtype=np.int64)
        leads = np.arange(1, max_lead + 1, dtype=np.int64)
        stride = max(1, int(np.ceil(issues.size * leads.size / MAX_ROWS_PER_SITE)))
        rng = np.random.default_rng(self.seed)
        offset = int(rng.integers(stride)) if stride > 1 else 0
        issues = issues[offset::stride]
        ii, ll = np.meshgrid(issues, leads, indexing="ij")
        ok = ii + ll < n
        return ii[ok], ll[ok]

    # --- the verb ------------------------------------------------------------------------------------------
    def predict(self, truth: FloatArray, issued: int, horizon: int, *, step_s: float) -> FloatArray:
        """A (horizon x S) forecast from ``truth[: issued + 1]``."""
        r = self.cutoff(issued, step_s)
        if r is None:
            return self._fallback.predict(truth, issued, horizon, step_s=step_s)
        model = self.model_at(truth, r, step_s)
        cached = self._block.get(issued) if self._block_h >= horizon else None
        if cached is None:
            n_block = BLOCK_ISSUES if self._last_issued == issued - 1 else 1
            next_fit = r + self._steps(self.refit_h, step_s)
            end = max(issued + 1, min(issued + n_block, len(truth), next_fit))
            issues = np.arange(issued, end, dtype=np.int64)
            direct = min(horizon, self.direct_leads(step_s))
            lead = np.tile(np.arange(direct, dtype=np.int64), issues.size)
            pred = self.apply(model, truth[:end], np.repeat(issues, direct), lead, step_s)
            pred = pred.reshape(issues.size, direct, -1)
            if direct < horizon:  # beyond the directly modelled leads: repeat the last modelled day
                day, _ = _periods(step_s)
                period = min(day, direct)
                far = np.arange(direct, horizon)
                src = far - np.ceil((far - direct + 1) / period).astype(np.int64) * period
                pred = np.concatenate([pred, pred[:, src]], axis=1)
            self._block = {int(i): pred[k] for k, i in enumerate(issues)}
            self._block_h = horizon
            cached = self._block[issued]
        self._last_issued = issued
        lo, hi = model["bounds"]
        out = np.clip(cached[:horizon], lo[None, :], hi[None, :])
        out[0] = truth[issued]
        return out

    def direct_leads(self, step_s: float) -> int:
        """Leads [steps] the model predicts itself; longer ones repeat its last predicted day."""
        return 2**62

    def fit(self, history: FloatArray, step_s: float) -> dict[str, Any]:
        """Fit on a history (T' x S)."""
        raise NotImplementedError

    def apply(self, model: dict[str, Any], history: FloatArray, issue: IntArray, lead: IntArray,
              step_s: float) -> FloatArray:
        """(H x S) predictions for the given (issue, lead) pairs."""
        raise NotImplementedError

    @staticmethod
    def _bounds(history: FloatArray) -> tuple[FloatArray, FloatArray]:
        lo, hi = history.min(axis=0), history.max(axis=0)
        span = hi - lo
        return lo - 0.1 * span * (lo < 0), hi + 0.25 * span


def _linear_design(f: dict[str, FloatArray], s: int) -> FloatArray:
    ang = 2 * np.pi * f["phase_day"]
    return np.column_stack([np.ones_like(ang), f["now"][..., s], f["prev"][..., s], f["day"][..., s],
                            f["week"][..., s], f["mean_day"][..., s], np.sin(ang), np.cos(ang), np.sin(2 * ang),
                            np.cos(2 * ang)])


class LinearForecaster(_Learned):
    """Least squares per site and lead band on lags and daily harmonics (name ``linear``).

    Parameters
    ----------
    refit_h : float
        Hours between refits [h].
    min_train_h : float
        History before the first fit [h]; earlier forecasts are seasonal-naive.
    max_lead_h : float
        Longest lead trained [h]; longer leads use the last band.
    ridge : float
        Ridge penalty relative to the design's scale.
    seed : int
        Seed of the thinning of training rows.

    Examples
    --------
    >>> t = np.arange(24 * 30)
    >>> truth = (300 + 50 * np.sin(2 * np.pi * t / 24)).reshape(-1, 1)
    >>> f = LinearForecaster(min_train_h=24 * 14, ridge=0.0).predict(truth, 24 * 20, 6, step_s=3600)
    >>> bool(np.allclose(f, truth[24 * 20: 24 * 20 + 6], atol=1e-3))
    True
    """

    name: ClassVar[str] = "linear"

    def __init__(self, refit_h: float = 168.0, min_train_h: float = 336.0, max_lead_h: float = 240.0,
                 ridge: float = 1e-3, seed: int = 0) -> None:
        super().__init__(refit_h, min_train_h, max_lead_h, seed)
        if not ridge >= 0:
            raise InputError(f"expected ridge >= 0, got {ridge}", field="ridge")
        self.ridge = ridge

    def params(self) -> dict[str, float | str]:
        """Parameters."""
        return {**super().params(), "ridge": self.ridge}

    def _band(self, lead_h: FloatArray) -> IntArray:
        return np.clip(np.searchsorted(np.asarray(LEAD_BANDS_H), lead_h, side="right") - 1, 0,
                       len(LEAD_BANDS_H) - 2).astype(np.int64)

    def fit(self, history: FloatArray, step_s: float) -> dict[str, Any]:
        """Coefficients per (site, band)."""
        n, n_sites = history.shape
        issue, lead = self.training_pairs(n, step_s)
        f = features(history, issue, lead, step_s)
        y = history[issue + lead]
        band = self._band(f["lead_h"])
        n_bands = len(LEAD_BANDS_H) - 1
        coef = np.zeros((n_sites, n_bands, 10))
        for s in range(n_sites):
            x_all = _linear_design(f, s)
            scale = max(float(np.abs(history[:, s]).mean()), 1e-9)
            prev_c = np.zeros(10)
            prev_c[3] = 1.0  # seasonal-naive until a band has data
            for b in range(n_bands):
                m = band == b
                if m.sum() < 20:
                    coef[s, b] = prev_c
                    continue
                x, t = x_all[m], y[m, s]
                lam = self.ridge * len(t) * scale ** 2
                a = x.T @ x + lam * np.eye(10)
                a[0, 0] -= lam  # no penalty on the intercept
                prev_c = coef[s, b] = np.linalg.lstsq(a, x.T @ t, rcond=None)[0]
        return {"coef": coef, "bounds": self._bounds(history)}

    def apply(self, model: dict[str, Any], history: FloatArray, issue: IntArray, lead: IntArray,
              step_s: float) -> FloatArray:
        """Linear predictions."""
        f = features(history, issue, lead, step_s)
        band = self._band(f["lead_h"])
        coef = model["coef"]
        out = np.empty((issue.size, history.shape[1]))
        for s in range(history.shape[1]):
            out[:, s] = np.einsum("ij,ij->i", _linear_design(f, s), coef[s, band])
        return out


class GBMForecaster(_Learned):
    """Histogram gradient-boosted trees pooled over sites (name ``gbm``).

    Parameters
    ----------
    refit_h : float
        Hours between refits [h] (default four weeks: a fit takes about a second).
    min_train_h : float
        History before the first fit [h].
    max_lead_h : float
        Longest lead the trees predict [h]; further leads repeat the last predicted day.
    max_iter : int
        Boosting rounds.
    learning_rate : float
        Shrinkage.
    seed : int
        Random state.
    """

    name: ClassVar[str] = "gbm"

    def __init__(self, refit_h: float = 672.0, min_train_h: float = 336.0, max_lead_h: float = 48.0,
                 max_iter: int = 80, learning_rate: float = 0.1, seed: int = 0) -> None:
        super().__init__(refit_h, min_train_h, max_lead_h, seed)
        if max_iter < 1 or not learning_rate > 0:
            raise InputError(f"expected max_iter >= 1 and learning_rate > 0, got {max_iter}, {learning_rate}",
                             field="max_iter")
        self.max_iter, self.learning_rate = int(max_iter), float(learning_rate)

    def params(self) -> dict[str, float | str]:
        """Parameters."""
        return {**super().params(), "max_iter": self.max_iter, "learning_rate": self.learning_rate}

    def direct_leads(self, step_s: float) -> int:
        """Leads up to ``max_lead_h`` (trees are costly to evaluate; further out the daily shape repeats)."""
        return self._steps(self.max_lead_h, step_s) + 1

    @staticmethod
    def _design(f: dict[str, FloatArray], scale: FloatArray) -> tuple[FloatArray, FloatArray]:
        n, n_sites = f["now"].shape
        site = np.broadcast_to(np.arange(n_sites, dtype=np.float64), (n, n_sites))
        cols = [f["now"] / scale, f["prev"] / scale, f["day"] / scale, f["week"] / scale, f["mean_day"] / scale,
                np.broadcast_to(f["lead_h"][:, None], (n, n_sites)),
                np.broadcast_to(f["phase_day"][:, None], (n, n_sites)),
                np.broadcast_to(f["phase_week"][:, None], (n, n_sites)), site]
        x = np.stack([c.reshape(-1) for c in cols], axis=1)
        return x, (f["day"] / scale).reshape(-1)

    def fit(self, history: FloatArray, step_s: float) -> dict[str, Any]:
        """One pooled model of (y - seasonal naive) / site scale."""
        from sklearn.ensemble import HistGradientBoostingRegressor
        from threadpoolctl import threadpool_limits

        n, n_sites = history.shape
        issue, lead = self.training_pairs(n, step_s)
        if issue.size * n_sites > MAX_ROWS_POOLED:  # pooled over sites: keep the total within the budget
            keep = np.random.default_rng(self.seed).permutation(issue.size)[: max(1, MAX_ROWS_POOLED // n_sites)]
            keep.sort()
            issue, lead = issue[keep], lead[keep]
        scale = np.maximum(np.abs(history).mean(axis=0), 1e-9)
        f = features(history, issue, lead, step_s)
        x, base = self._design(f, scale)
        y = (history[issue + lead] / scale).reshape(-1) - base
        model = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, categorical_features=[x.shape[1] - 1], early_stopping=False,
            random_state=self.seed)
        with threadpool_limits(1):  # small problems: threads cost more than they give (badly so on a busy machine)
            model.fit(x, y)
        return {"model": model, "scale": scale, "bounds": self._bounds(history)}

    def apply(self, model: dict[str, Any], history: FloatArray, issue: IntArray, lead: IntArray,
              step_s: float) -> FloatArray:
        """Tree predictions."""
        from threadpoolctl import threadpool_limits

        scale = model["scale"]
        f = features(history, issue, lead, step_s)
        f["lead_h"] = np.minimum(f["lead_h"], self.max_lead_h)
        x, base = self._design(f, scale)
        with threadpool_limits(1):
            pred = model["model"].predict(x) + base
        return np.asarray(pred.reshape(issue.size, -1) * scale[None, :], dtype=np.float64)

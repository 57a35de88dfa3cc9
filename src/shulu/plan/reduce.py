"""Representative days: shrink a year of hours to ``k`` real days chosen by clustering.

Each day becomes a feature vector — its 24 hourly values of every site's solar and wind capacity factor, price,
carbon intensity, grid carbon-free share and facility factor, and of the network's demand per class — with each
(variable, site) block scaled by its standard deviation over the year. k-means (k-means++ start, fixed seed)
groups the days; each group is represented by its *medoid*, the real day nearest the group's centre, weighted by
the group's size. So that the horizon's energy is kept, each (region, class)'s demand and each site's solar and
wind capacity factors on the chosen days are rescaled to their totals — by default every chosen day alike
(capacity factors clipped at 1; work of a class absent from every chosen day is spread evenly over them), or,
``rescale="medoids"``, the medoid days only: scaled, never above the series' largest value in the horizon, what
that cap leaves short added evenly to their hours up to it, and the peak days kept as they were. Rescaling every
day inflates the very peaks the peak days stand for (on the national case's first quarter the network's peak
hour by 35%, one class's by 4.4 times): conservative, and it pushed the estimate far above the hourly optimum
there; keeping them real brings the estimate close but leaves more for the calibration on the full year
(docs/planning.md). The battery state of charge returns to its start over each representative day, and
shiftable work moves within it.

Examples
--------
>>> import numpy as np
>>> x = np.r_[np.zeros((5, 2)), np.ones((3, 2)) * 10]
>>> med, lab = kmedoids(x, 2, seed=0)
>>> sorted(np.bincount(lab).tolist())
[3, 5]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from shulu.errors import InputError
from shulu.plan.inputs import STEPS_PER_DAY, PlanInputs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: How the chosen days keep the horizon's energy (see :func:`representative_days`).
RESCALE: tuple[str, ...] = ("all", "medoids")
#: Signal variables that enter the day features.
FEATURE_VARS: tuple[str, ...] = ("solar_cf", "wind_cf", "price_cny_per_kwh", "intensity_g_per_kwh", "grid_cfe_frac",
                                 "facility_factor")


def day_features(inp: PlanInputs) -> FloatArray:
    """(days x features) matrix of standardised hourly values (see the module docstring)."""
    n_t = inp.signals.sizes["time"]
    if n_t % STEPS_PER_DAY:
        raise InputError(f"expected a horizon of whole days for representative days, got {n_t} hours",
                         field="days")
    n_d = n_t // STEPS_PER_DAY
    blocks = []
    for v in FEATURE_VARS:
        a = inp.signals[v].transpose("time", "site").to_numpy()
        sd = a.std(axis=0)
        a = (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        blocks.append(a.reshape(n_d, STEPS_PER_DAY * a.shape[1]))
    d = inp.demand_kw.sum("region").transpose("time", "cls").to_numpy()
    sd = d.std(axis=0)
    d = (d - d.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    blocks.append(d.reshape(n_d, -1))
    return np.asarray(np.concatenate(blocks, axis=1))


def kmedoids(x: FloatArray, k: int, *, seed: int = 0, iterations: int = 100) -> tuple[IntArray, IntArray]:
    """Cluster rows of ``x`` with k-means (k-means++ start) and return each cluster's medoid row and row labels.

    Parameters
    ----------
    x : array (n, f)
        Feature rows.
    k : int
        Number of clusters, 1..n.
    seed : int
        Seed of the k-means++ start.
    iterations : int
        Most Lloyd iterations.

    Returns
    -------
    (medoids, labels)
        ``medoids[j]`` is the row nearest cluster ``j``'s centre; ``labels[i]`` the cluster of row ``i``.
    """
    n = x.shape[0]
    if not 1 <= k <= n:
        raise InputError(f"expected between 1 and {n} representative days, got {k}", field="days")
    rng = np.random.default_rng(seed)
    centres = [x[int(rng.integers(n))]]
    for _ in range(1, k):
        d2 = np.min(((x[:, None, :] - np.asarray(centres)[None, :, :]) ** 2).sum(axis=2), axis=1)
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
        centres.append(x[int(rng.choice(n, p=p))])
    c = np.asarray(centres, dtype=np.float64)
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iterations):
        dist = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        new = np.argmin(dist, axis=1).astype(np.int64)
        if it and np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
            else:  # an empty cluster takes the row farthest from its centre
                far = int(np.argmax(dist[np.arange(n), labels]))
                c[j] = x[far]
                labels[far] = j
    medoids = np.empty(k, dtype=np.int64)
    for j in range(k):
        idx = np.flatnonzero(labels == j)
        dj = ((x[idx] - c[j]) ** 2).sum(axis=1)
        medoids[j] = idx[int(np.argmin(dj))]
    return medoids, labels


def _rescale_medoids(x: xr.DataArray, total: xr.DataArray, cap: xr.DataArray, w: xr.DataArray,
                     is_peak: xr.DataArray, iterations: int = 60) -> xr.DataArray:
    """``x`` on the chosen days with its weighted sum over them brought to ``total`` (per series) by changing the
    medoid days only, never above ``cap`` (the series' largest value in the horizon); peak days unchanged.

    The medoid days are first scaled (capped); what capping leaves short is added evenly to their hours up to
    the cap (a water level found by bisection). This always fits, since the medoid days stand for every day that
    is not a peak day. Where the peak days alone hold more than the total, every chosen day is scaled alike.
    """
    med = ~is_peak
    xw = x * w
    rest = total - xw.where(is_peak, 0.0).sum("time")
    med_part = xw.where(med, 0.0).sum("time")
    scale = (rest / med_part.where((med_part > 0) & (rest > 0))).fillna(0.0)
    y = xr.where(med, np.minimum(x * scale, cap), 0.0)
    short = rest - (y * w).sum("time")
    lo = xr.zeros_like(short)
    hi = xr.zeros_like(short) + cap
    need = short > 1e-12 * abs(total) + 1e-300
    if bool(need.any()):
        for _ in range(iterations):
            mid = (lo + hi) / 2
            got = (xr.where(med, np.minimum(y + mid, cap), 0.0) * w).sum("time") - (y * w).sum("time")
            lo = xr.where(got < short, mid, lo)
            hi = xr.where(got < short, hi, mid)
        level = xr.where(need, hi, 0.0)
        filled = xr.where(med, np.minimum(y + level, cap), 0.0)
        # the last bisection step's residual, spread pro rata so the total is exact
        got = (filled * w).sum("time")
        fix = (rest / got.where(got > 0)).fillna(1.0)
        y = filled * xr.where(need, fix, 1.0)
    fitted = xr.where(is_peak, x, y)
    all_part = xw.sum("time")
    everywhere = x * (total / all_part.where(all_part > 0)).fillna(1.0)
    return xr.where(rest > 0, fitted, everywhere).transpose(*x.dims)


def representative_days(inp: PlanInputs, k: int, *, seed: int = 0, peak_days: bool = True,
                        rescale: str = "all") -> tuple[PlanInputs, pd.DataFrame]:
    """Reduce hourly inputs to ``k`` representative days (plus, with ``peak_days``, the days holding the peak hour
    of the network's demand, of each class's and of each region's, each with weight one day: capacity is sized for
    peaks that an average day would miss).

    ``rescale`` chooses how the chosen days keep the horizon's energy: ``all`` scales every chosen day alike (peak
    days too: conservative, it inflates peaks), ``medoids`` only the medoid days, capped at each series' largest
    value, peak days kept real (closer to the hourly optimum's cost, see docs/planning.md).

    Returns
    -------
    (reduced, days)
        The reduced inputs, and a table of the chosen days: ``day`` (index in the horizon), ``weight_days``.
    """
    if rescale not in RESCALE:
        raise InputError(f"expected rescale in {RESCALE}, got {rescale!r}", field="rescale")
    n_d = inp.signals.sizes["time"] // STEPS_PER_DAY
    if float(inp.weight.min()) != 1.0 or float(inp.weight.max()) != 1.0:
        raise InputError("expected full hourly inputs (every weight 1) to reduce", field="days")
    x = day_features(inp)
    medoids, labels = kmedoids(x, k, seed=seed)
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    n_peak = 0
    if peak_days:  # the day of each class's and each region's peak hour joins, weight 1, taken from its cluster
        hourly = inp.demand_kw.transpose("time", "region", "cls").to_numpy()
        n_t = hourly.shape[0]
        series = [hourly.sum(axis=(1, 2))] + [hourly[:, :, c].sum(axis=1) for c in range(hourly.shape[2])] + [
            hourly[:, r, :].sum(axis=1) for r in range(hourly.shape[1])]
        extra: list[int] = []
        for ser in series:
            if ser.max() <= 0:
                continue
            day = int(np.argmax(ser[: n_t - n_t % STEPS_PER_DAY])) // STEPS_PER_DAY
            if day not in medoids.tolist() and day not in extra:
                extra.append(day)
        for day in extra:
            j = int(labels[day])
            if sizes[j] > 1:
                sizes[j] -= 1
        n_peak = len(extra)
        medoids = np.r_[medoids, np.array(extra, dtype=np.int64)]
        sizes = np.r_[sizes, np.ones(len(extra))]
        k = medoids.size
    steps = (medoids[:, None] * STEPS_PER_DAY + np.arange(STEPS_PER_DAY)[None, :]).reshape(-1)
    n_new = steps.size
    time = pd.Index(np.arange(n_new), name="time")
    weight = np.repeat(sizes, STEPS_PER_DAY)
    w = xr.DataArray(weight, coords=[time])
    # peak days stay the real days they are (rescaling them would inflate the very peaks they are there for); the
    # medoid days carry the rest of the horizon's energy
    is_peak = xr.DataArray(np.repeat(np.arange(k) >= k - n_peak, STEPS_PER_DAY), coords=[time])
    sig = inp.signals.isel(time=steps).assign_coords(time=time)
    dem = inp.demand_kw.isel(time=steps).assign_coords(time=time)
    if rescale == "medoids":
        for v in ("solar_cf", "wind_cf"):
            full_v = inp.signals[v]
            sig[v] = _rescale_medoids(sig[v], full_v.sum("time"), full_v.max("time"), w, is_peak).clip(0.0, 1.0)
        dem = _rescale_medoids(dem, inp.demand_kw.sum("time"), inp.demand_kw.max("time"), w, is_peak)
    else:
        for v in ("solar_cf", "wind_cf"):
            full = inp.signals[v].sum("time")
            red = (sig[v] * w).sum("time")
            sig[v] = (sig[v] * (full / red.where(red > 0)).fillna(1.0)).clip(0.0, 1.0)
        full_d = inp.demand_kw.sum("time")
        red_d = (dem * w).sum("time")
        dem = dem * (full_d / red_d.where(red_d > 0)).fillna(1.0)
        # a (region, class) with work in the horizon but none on the chosen days gets it spread evenly over them
        dem = dem + full_d.where(red_d <= 0, 0.0) / float(w.sum())
    period = xr.DataArray(np.repeat(np.arange(k), STEPS_PER_DAY), coords=[time])
    reduced = inp.replace(signals=sig, demand_kw=dem, weight=w, period=period, cycle=period.copy())
    days = pd.DataFrame({"day": medoids, "weight_days": sizes.astype(np.int64)},
                        index=pd.Index(np.arange(k), name="cluster"))
    del n_d
    return reduced, days

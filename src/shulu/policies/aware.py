"""Carbon-, cost- and latency-aware policies, all driven by the greedy planner over forecasts.

Every policy here is online: each step it plans that step's arrivals with forecasts
issued at that step, within each job's latency limit and deadline and within a
capacity plan (so the engine can run every job when planned). They differ in what a
kWh costs where and when (``W``), in extra per-job costs and in how long jobs may wait:

==================== ============================================ =========== =====================
policy               cost of a kWh of job energy at (site, step)  may wait    sites
==================== ============================================ =========== =====================
lowest-latency       0 (extra: latency [ms])                      no          within latency limit
greenest-now         intensity now x PUE                          no          within latency limit
wait-awhile          intensity x PUE over the run                 slack       nearest (others if full)
spatio-temporal      intensity x PUE (+ data transfer emissions)  slack       within latency limit
renewable-following  as spatio-temporal, less the share of the    slack       within latency limit
                     site's forecast renewable surplus
cost                 price x PUE                                  slack       within latency limit
weighted             price x PUE + carbon price x emissions       slack       within latency limit
                     (+ latency weight x latency)
mpc                  as spatio-temporal; decisions re-planned     slack       within latency limit
                     every step (first come, first served)
                     until a job's best start is now
==================== ============================================ =========== =====================

"PUE" here is the marginal facility power of one more kW of jobs:
``(1 - server_idle_frac) x (pue_design + pue_light_load_coef / 2)`` — a job replaces
idle draw, and the light-load term is taken at half load.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numba
import numpy as np
import numpy.typing as npt

from shulu import units
from shulu.errors import InputError
from shulu.forecast import Forecaster, get_forecaster
from shulu.policies.planner import SPILL_PENALTY as SPILL_PENALTY  # re-exported
from shulu.policies.planner import place_batch
from shulu.sim.policy import DEFER, JobBatch, Placement, Policy, SimContext, SiteState

FloatArray = npt.NDArray[np.float64]

#: Longest forecast horizon a planner looks ahead [h] (a week covers the cold class's slack).
MAX_HORIZON_H = 7 * 24 + 72
#: At most this many candidate start steps per job and site (longer windows are strided).
MAX_CANDIDATES = 192
#: Share of a site's capacity that jobs able to wait may plan into by default. 1.0 keeps no headroom for real-time
#: work: on the China year (100,000 to 600,000 jobs) headroom of 0.2 raised emissions 2-3% and no job was late
#: without it, because real-time work spills to another site within its latency limit (docs/scheduling.md). Lower it
#: where real-time work has nowhere else to go (one site per region, tight capacity).
FLEX_CAP_FRAC = 1.0


@numba.njit(cache=True)
def _carbon_w(intensity_g_per_kwh: FloatArray, marginal_pue: FloatArray) -> FloatArray:  # pragma: no cover
    """kgCO2 per kWh of job energy: marginal PUE x intensity / 1000 (elementwise, as numpy would)."""
    h, n_sites = intensity_g_per_kwh.shape
    out = np.empty((h, n_sites))
    for u in range(h):
        for s in range(n_sites):
            out[u, s] = marginal_pue[s] * intensity_g_per_kwh[u, s] / units.G_PER_KG
    return out


@numba.njit(cache=True)
def _renewable_w(intensity_g_per_kwh: FloatArray, solar_cf: FloatArray, wind_cf: FloatArray,
                 marginal_pue: FloatArray, solar_kw: FloatArray, wind_kw: FloatArray, idle_facility_kw: FloatArray,
                 job_room_kw: FloatArray) -> FloatArray:  # pragma: no cover - compiled
    """kgCO2 per kWh of job energy less the share of a job's power the forecast surplus covers (see
    :meth:`RenewableFollowing.weights`)."""
    h, n_sites = intensity_g_per_kwh.shape
    out = np.empty((h, n_sites))
    for u in range(h):
        for s in range(n_sites):
            surplus = solar_cf[u, s] * solar_kw[s] + wind_cf[u, s] * wind_kw[s] - idle_facility_kw[s]
            free = surplus / job_room_kw[s]
            if free < 0.0:
                free = 0.0
            elif free > 1.0:
                free = 1.0
            out[u, s] = marginal_pue[s] * intensity_g_per_kwh[u, s] / units.G_PER_KG * (1.0 - free)
    return out


@numba.njit(cache=True)
def _transfer_kg(data_gb: FloatArray, origin: npt.NDArray[np.int64], transfer_kwh_per_gb: FloatArray,
                 now_g_per_kwh: FloatArray, nearest_site: npt.NDArray[np.int64]) -> FloatArray:  # pragma: no cover
    """(J x S) data_gb x transfer kWh/GB x the origin's nearest site's intensity now / 1000 [kg]."""
    n_sites = transfer_kwh_per_gb.shape[1]
    out = np.empty((data_gb.shape[0], n_sites))
    for j in range(data_gb.shape[0]):
        o = origin[j]
        g = now_g_per_kwh[nearest_site[o]]
        for s in range(n_sites):
            out[j, s] = data_gb[j] * transfer_kwh_per_gb[o, s] * g / units.G_PER_KG
    return out


@numba.njit(cache=True)
def _commit(planned_kw: FloatArray, site: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
            chosen: npt.NDArray[np.bool_], submit_s: FloatArray, duration_s: FloatArray, power_kw: FloatArray,
            step_s: float) -> None:  # pragma: no cover - compiled
    """Add each chosen job's power to ``planned_kw`` in every step its run touches (as the planner commits)."""
    n_steps = planned_kw.shape[0]
    for j in range(site.shape[0]):
        if not chosen[j]:
            continue
        end = max(start[j] * step_s, submit_s[j]) + duration_s[j]
        last = min(n_steps, math.ceil(end / step_s - 1e-9))
        for u in range(start[j], last):
            planned_kw[u, site[j]] += power_kw[j]


def _f64(a: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(a, dtype=np.float64)


class PlanningPolicy(Policy):
    """Base of the planner-driven policies.

    Parameters
    ----------
    forecast : str
        Forecaster name (``perfect``, ``persistence``, ``seasonal-naive``, ``noisy``).
    mape : float
        Forecast error for ``noisy`` (fraction).
    period_h : float
        Season for ``seasonal-naive`` [h].
    forecast_seed : int
        Seed of ``noisy`` forecast errors.
    flex_cap_frac : float
        Share of a site's free capacity that jobs able to wait may plan into (fraction, default 1.0); the rest is
        headroom for real-time work, which may use all of it. Jobs that find no room within the share try again
        with the whole capacity before queueing.
    """

    online: ClassVar[bool] = True
    may_wait: ClassVar[bool] = True
    nearest_only: ClassVar[bool] = False
    pauses: ClassVar[bool] = False  # True if pause_mask may pause interruptible jobs
    first_come: ClassVar[bool] = False  # plan in order of submission rather than deadline

    def __init__(self, forecast: str = "perfect", mape: float = 0.1, period_h: float = 24.0,
                 forecast_seed: int = 0, flex_cap_frac: float = FLEX_CAP_FRAC) -> None:
        if not 0.0 < flex_cap_frac <= 1.0:
            raise InputError(f"expected flex_cap_frac in (0, 1], got {flex_cap_frac}", field="flex_cap_frac")
        self.flex_cap_frac = float(flex_cap_frac)
        kw: dict[str, Any] = {}
        if forecast == "noisy":
            kw = {"mape": mape, "seed": forecast_seed}
        elif forecast == "seasonal-naive":
            kw = {"period_h": period_h}
        self.forecaster: Forecaster = get_forecaster(forecast, **kw)

    def params(self) -> dict[str, Any]:
        """Parameters for provenance."""
        return {**self.forecaster.params(), "flex_cap_frac": self.flex_cap_frac}

    # --- set-up -----------------------------------------------------------------------------------------
    def prepare(self, ctx: SimContext) -> None:
        """Precompute per-site constants and an empty capacity plan."""
        sites = ctx.scenario.network.sites
        idle = np.array([s.server_idle_frac for s in sites])
        pue = np.array([s.pue_design + s.pue_light_load_coef / 2 for s in sites])
        self.marginal_pue = (1.0 - idle) * pue
        self.idle_facility_kw = idle * ctx.capacity_kw * pue
        self.solar_kw = np.array([s.supply.solar_kw for s in sites])
        self.wind_kw = np.array([s.supply.wind_kw for s in sites])
        self.cap_free_kw = np.ascontiguousarray(ctx.capacity_kw[None, :] - ctx.signals["it_load_kw"])
        self.planned_kw = np.zeros((ctx.n_steps, len(sites)))
        self.horizon = max(1, min(ctx.n_steps, int(MAX_HORIZON_H * units.SECONDS_PER_HOUR // ctx.step_s)))
        self.nearest_site = np.ascontiguousarray(np.argmin(ctx.latency_ms, axis=1), dtype=np.int64)
        self.latency_ms = _f64(ctx.latency_ms)
        self.transfer_kwh_per_gb = _f64(ctx.transfer_kwh_per_gb)
        self.job_room_kw = np.maximum(self.marginal_pue * ctx.capacity_kw, 1e-9)

    # --- what a policy defines ------------------------------------------------------------------------
    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """(h x S) cost per kWh of job energy from step t."""
        raise NotImplementedError

    def extra_cost(self, batch: JobBatch, ctx: SimContext, t: int) -> FloatArray:
        """(J x S) per-job cost of each site (transfer, latency)."""
        return np.zeros((len(batch), len(ctx.site_ids)))

    # --- helpers -------------------------------------------------------------------------------------
    def fc(self, ctx: SimContext, name: str, t: int, h: int) -> FloatArray:
        """Forecast of a signal issued at step t for h steps."""
        return self.forecaster.predict(ctx.signals[name], t, h, step_s=ctx.step_s)

    def carbon_w(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """kgCO2 per kWh of job energy."""
        return _carbon_w(_f64(self.fc(ctx, "intensity_g_per_kwh", t, h)), self.marginal_pue)

    def transfer_kg(self, batch: JobBatch, ctx: SimContext, t: int) -> FloatArray:
        """(J x S) emissions of moving each job's data to each site [kg], at the origin's nearest site's intensity."""
        return _transfer_kg(_f64(batch.data_gb), batch.origin, self.transfer_kwh_per_gb,
                            _f64(ctx.signals["intensity_g_per_kwh"][t]), self.nearest_site)

    # --- the verb --------------------------------------------------------------------------------------
    def place(self, batch: JobBatch, state: SiteState | None, ctx: SimContext) -> Placement:
        """Plan the batch from the current step (one compiled call: :func:`shulu.policies.planner.place_batch`)."""
        t = state.step if state is not None else 0
        h = min(self.horizon, ctx.n_steps - t)
        w = np.ascontiguousarray(self.weights(ctx, t, h), dtype=np.float64)
        extra = np.ascontiguousarray(self.extra_cost(batch, ctx, t), dtype=np.float64)
        site, start = place_batch(t, ctx.n_steps, float(ctx.step_s), units.SECONDS_PER_HOUR, w, batch.origin,
                                  batch.submit_s, batch.duration_s, batch.power_kw, batch.slack_s,
                                  batch.max_latency_ms, batch.interruptible, self.latency_ms, extra,
                                  self.nearest_site, self.may_wait, self.nearest_only, self.pauses,
                                  self.flex_cap_frac, MAX_CANDIDATES, self.cap_free_kw, self.plan_into(t, h, batch),
                                  ctx.n_steps, self.first_come)
        return self.release(t, site, start, batch)

    def plan_into(self, t: int, h: int, batch: JobBatch) -> FloatArray:
        """The capacity plan this call plans into (and commits every plan to): the policy's own, by default."""
        return self.planned_kw

    def release(self, t: int, site: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                batch: JobBatch) -> Placement:
        """The placement from each job's planned site and start step."""
        return Placement(site, start)


class LowestLatency(PlanningPolicy):
    """The lowest-latency site with room now (spills to the next-nearest when full); no waiting."""

    name: ClassVar[str] = "lowest-latency"
    may_wait: ClassVar[bool] = False

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """Energy is free; only latency counts."""
        return np.zeros((h, len(ctx.site_ids)))

    def extra_cost(self, batch: JobBatch, ctx: SimContext, t: int) -> FloatArray:
        """Latency [ms]."""
        return np.asarray(ctx.latency_ms[batch.origin], dtype=np.float64)


class GreenestNow(PlanningPolicy):
    """Spatial only: the site with the lowest carbon intensity right now (x marginal PUE); start at once."""

    name: ClassVar[str] = "greenest-now"
    may_wait: ClassVar[bool] = False

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """Today's intensity, held over the run."""
        now = self.carbon_w(ctx, t, 1)
        return np.repeat(now, h, axis=0)


class WaitAwhile(PlanningPolicy):
    """Temporal: at the nearest site, start in the greenest window within the slack; interruptible jobs also
    pause in the steps whose forecast intensity is above the site's day-ahead median. When the nearest site has no
    room in time, the job spills to the next site within its latency limit rather than run late."""

    name: ClassVar[str] = "wait-awhile"
    nearest_only: ClassVar[bool] = True
    pauses: ClassVar[bool] = True

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """Emissions per kWh over the run."""
        return self.carbon_w(ctx, t, h)

    def pause_mask(self, ctx: SimContext) -> npt.NDArray[np.bool_]:
        """Pause where the day-ahead forecast (issued at each local-day start) is above that day's median."""
        per_day = max(1, int(units.SECONDS_PER_DAY // ctx.step_s))
        truth = ctx.signals["intensity_g_per_kwh"]
        mask = np.zeros(truth.shape, dtype=np.bool_)
        for t in range(0, ctx.n_steps, per_day):
            h = min(per_day, ctx.n_steps - t)
            f = self.forecaster.predict(truth, t, h, step_s=ctx.step_s)
            mask[t:t + h] = f > np.median(f, axis=0, keepdims=True)
        return mask


class SpatioTemporal(PlanningPolicy):
    """Best site x start window by forecast emissions, counting the emissions of moving the job's data."""

    name: ClassVar[str] = "spatio-temporal"

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """Emissions per kWh over the run."""
        return self.carbon_w(ctx, t, h)

    def extra_cost(self, batch: JobBatch, ctx: SimContext, t: int) -> FloatArray:
        """Data-transfer emissions [kg]."""
        return self.transfer_kg(batch, ctx, t)


class RenewableFollowing(SpatioTemporal):
    """Prefer sites and hours whose wind and sun would otherwise be curtailed or exported.

    The forecast renewable surplus of a site (its solar and wind less its idle facility draw) covers a share of a
    job's power at no emissions; the rest is charged at the grid's intensity.
    """

    name: ClassVar[str] = "renewable-following"

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """Emissions per kWh, less the share covered by forecast surplus."""
        solar = _f64(self.fc(ctx, "solar_cf", t, h))
        wind = _f64(self.fc(ctx, "wind_cf", t, h))
        return _renewable_w(_f64(self.fc(ctx, "intensity_g_per_kwh", t, h)), solar, wind, self.marginal_pue,
                            self.solar_kw, self.wind_kw, self.idle_facility_kw, self.job_room_kw)


class CostAware(PlanningPolicy):
    """Cheapest site x start window by forecast time-of-use price."""

    name: ClassVar[str] = "cost"

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """CNY per kWh of job energy."""
        return self.marginal_pue[None, :] * self.fc(ctx, "price_cny_per_kwh", t, h)


class Weighted(PlanningPolicy):
    """Price plus a carbon price (and optionally a latency weight): sweep ``carbon_price_cny_per_t`` for the
    carbon/cost trade-off curve.

    Parameters
    ----------
    carbon_price_cny_per_t : float
        Carbon price [CNY/tCO2].
    latency_weight_cny_per_ms : float
        Cost of each millisecond of latency per job [CNY/ms].
    """

    name: ClassVar[str] = "weighted"

    def __init__(self, carbon_price_cny_per_t: float = 100.0, latency_weight_cny_per_ms: float = 0.0,
                 **kw: Any) -> None:
        super().__init__(**kw)
        if carbon_price_cny_per_t < 0 or latency_weight_cny_per_ms < 0:
            raise InputError("expected non-negative weights", field="carbon_price_cny_per_t")
        self.carbon_price_cny_per_t = float(carbon_price_cny_per_t)
        self.latency_weight_cny_per_ms = float(latency_weight_cny_per_ms)

    def params(self) -> dict[str, Any]:
        """Parameters."""
        return {**super().params(), "carbon_price_cny_per_t": self.carbon_price_cny_per_t,
                "latency_weight_cny_per_ms": self.latency_weight_cny_per_ms}

    def weights(self, ctx: SimContext, t: int, h: int) -> FloatArray:
        """CNY per kWh: price + carbon price x emissions."""
        cny_per_kg = self.carbon_price_cny_per_t / units.KG_PER_T
        return (self.marginal_pue[None, :] * self.fc(ctx, "price_cny_per_kwh", t, h)
                + self.carbon_w(ctx, t, h) * cny_per_kg)

    def extra_cost(self, batch: JobBatch, ctx: SimContext, t: int) -> FloatArray:
        """Transfer emissions at the carbon price, plus latency at its weight [CNY]."""
        cny_per_kg = self.carbon_price_cny_per_t / units.KG_PER_T
        return (self.transfer_kg(batch, ctx, t) * cny_per_kg
                + self.latency_weight_cny_per_ms * ctx.latency_ms[batch.origin])


class MPC(SpatioTemporal):
    """Rolling-horizon re-optimisation: every step, all undecided jobs are re-planned over the next
    ``horizon_h`` hours with forecasts issued that step; a job is released when its best start is now, otherwise
    its decision is deferred (and re-made next step with fresher forecasts).

    Parameters
    ----------
    horizon_h : float
        Look-ahead [h].
    forecast : str
        Default ``noisy`` (10% MAPE): MPC is the policy for imperfect forecasts.
    """

    name: ClassVar[str] = "mpc"
    #: Undecided jobs are re-planned in order of submission, so a newcomer cannot take the hour an earlier job
    #: had planned (in deadline order, newcomers with earlier deadlines pushed earlier jobs to worse hours: 4.7%
    #: above the best on-time schedule on the China year instead of 1.8%).
    first_come: ClassVar[bool] = True

    def __init__(self, horizon_h: float = 48.0, forecast: str = "noisy", **kw: Any) -> None:
        super().__init__(forecast=forecast, **kw)
        if horizon_h <= 0:
            raise InputError(f"expected horizon_h > 0, got {horizon_h}", field="horizon_h")
        self.horizon_h = float(horizon_h)

    def params(self) -> dict[str, Any]:
        """Parameters."""
        return {**super().params(), "horizon_h": self.horizon_h}

    def prepare(self, ctx: SimContext) -> None:
        """As the base, with the MPC horizon and a scratch copy of the capacity plan."""
        super().prepare(ctx)
        self.horizon = max(1, min(ctx.n_steps, int(self.horizon_h * units.SECONDS_PER_HOUR // ctx.step_s)))
        self.tentative_kw = np.zeros_like(self.planned_kw)
        self.step_s = float(ctx.step_s)

    def plan_into(self, t: int, h: int, batch: JobBatch) -> FloatArray:
        """A scratch copy of the committed plan over the steps this call's runs can reach: the undecided jobs
        plan into it together, each seeing the tentative plans of those before it."""
        n_steps = self.planned_kw.shape[0]
        longest = float(batch.duration_s.max()) if len(batch) else 0.0
        last = min(n_steps, t + h + math.ceil(longest / self.step_s) + 2)
        self.tentative_kw[t:last] = self.planned_kw[t:last]
        return self.tentative_kw

    def release(self, t: int, site: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                batch: JobBatch) -> Placement:
        """Release jobs whose best start is now (and commit them to the plan); defer the rest."""
        now = start <= t
        _commit(self.planned_kw, site, start, now, batch.submit_s, batch.duration_s, batch.power_kw, self.step_s)
        return Placement(site, np.where(now, t, DEFER).astype(np.int64))


ALL: tuple[type[PlanningPolicy], ...] = (LowestLatency, GreenestNow, WaitAwhile, SpatioTemporal, RenewableFollowing,
                                         CostAware, Weighted, MPC)

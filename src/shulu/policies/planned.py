"""``planned``: follow a layout plan — send each job to a site by the plan's shares, then follow the renewables.

A plan (``shulu plan``) writes into its scenario's ``settings["plan"]["allocation"]`` the share of each demand
region's work of each class (``job_class`` and latency limit, e.g. ``warm-50ms``) that each site serves. This
policy draws each job's site from those shares — deterministically: the jobs of a (region, class) are put in a
seeded random order and cut by cumulative energy at the shares, so each site gets its share of the energy spread
over the whole horizon. Within that one site the job then starts in the window of its slack where the site's
forecast surplus of sun and wind is largest (as ``renewable-following``). Jobs of a class the plan did not see go
to their nearest site within the latency limit. A site beyond a job's latency limit is never used.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from shulu.errors import InputError
from shulu.policies.aware import SPILL_PENALTY, RenewableFollowing
from shulu.sim.policy import JobBatch, SimContext, nearest_feasible_site

FloatArray = npt.NDArray[np.float64]


def class_key(job_class: str, max_latency_ms: float) -> str:
    """The plan's name of a demand class, e.g. ``warm-50ms``.

    Examples
    --------
    >>> class_key("realtime", 10.0)
    'realtime-10ms'
    """
    return f"{job_class}-{max_latency_ms:g}ms"


def assign_sites(ctx: SimContext, allocation: list[dict[str, Any]], seed: int) -> npt.NDArray[np.int64]:
    """Site index of every job in the scenario's workload, by the plan's shares (-1 where the plan has none)."""
    f = ctx.scenario.workload.frame
    n = len(f)
    out = np.full(n, -1, dtype=np.int64)
    if not n:
        return out
    site_pos = {s: i for i, s in enumerate(ctx.site_ids)}
    shares: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for i, row in enumerate(allocation):
        try:
            key = (str(row["region"]), str(row["cls"]))
            s = site_pos[str(row["site"])]
            share = float(row["share_frac"])
        except (KeyError, TypeError, ValueError):
            raise InputError("expected region, cls, site (a known site id) and share_frac",
                             field=f"settings.plan.allocation[{i}]") from None
        if share > 0:
            shares.setdefault(key, []).append((s, share))
    origin = f["origin"].astype(str).to_numpy()
    keys = np.array([class_key(c, v) for c, v in zip(f["job_class"].astype(str), f["max_latency_ms"], strict=True)],
                    dtype=object)
    energy = (f["power_kw"] * f["duration_s"]).to_numpy(dtype=np.float64)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    for (region, cls), parts in shares.items():
        idx = order[(origin[order] == region) & (keys[order] == cls)]
        if not idx.size:
            continue
        sites = np.array([p[0] for p in parts], dtype=np.int64)
        cum_share = np.cumsum([p[1] for p in parts])
        cum_share = cum_share / cum_share[-1]
        e = energy[idx]
        mid = (np.cumsum(e) - e / 2.0) / max(float(e.sum()), 1e-12)  # each job's energy midpoint, in [0, 1]
        pick = np.minimum(np.searchsorted(cum_share, mid, side="right"), len(sites) - 1)
        out[idx] = sites[pick]
    return out


class PlannedPolicy(RenewableFollowing):
    """Sites by the plan's shares (``settings["plan"]["allocation"]``); start times by forecast renewable surplus.

    Parameters
    ----------
    seed : int
        Seed of the order in which a class's jobs are cut at the shares.
    **kw
        As :class:`~shulu.policies.aware.PlanningPolicy` (forecast, mape, ...).

    Examples
    --------
    >>> PlannedPolicy().name
    'planned'
    """

    name: ClassVar[str] = "planned"

    def __init__(self, seed: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        self.seed = int(seed)

    def params(self) -> dict[str, Any]:
        """Parameters."""
        return {**super().params(), "seed": self.seed}

    def prepare(self, ctx: SimContext) -> None:
        """Assign every job its planned site."""
        super().prepare(ctx)
        plan = ctx.scenario.settings.get("plan", {}) if isinstance(ctx.scenario.settings, dict) else {}
        allocation = plan.get("allocation", []) if isinstance(plan, dict) else []
        self.assigned = assign_sites(ctx, list(allocation), self.seed)

    def extra_cost(self, batch: JobBatch, ctx: SimContext, t: int) -> FloatArray:
        """Every site but the planned one is out of bounds (jobs the plan did not see: all but the nearest)."""
        base = super().extra_cost(batch, ctx, t)
        site = self.assigned[batch.index]
        unplanned = site < 0
        if unplanned.any():
            site = site.copy()
            site[unplanned] = nearest_feasible_site(batch.take(unplanned), ctx)
        feasible = ctx.feasible_sites(batch)
        ok = feasible[np.arange(len(batch)), site]
        site = np.where(ok, site, nearest_feasible_site(batch, ctx))  # a stale plan never breaks a latency limit
        away = np.ones(base.shape, dtype=bool)
        away[np.arange(len(batch)), site] = False
        return np.asarray(base + np.where(away, SPILL_PENALTY, 0.0))

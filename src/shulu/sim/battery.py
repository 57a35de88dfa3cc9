"""Battery dispatch: a pluggable rule with one verb, ``dispatch``; the recurrence is numba-compiled.

Conventions (all arrays are (time x site), float64):

* ``surplus_kw`` — renewable power left after serving demand directly;
* ``deficit_kw`` — demand left after direct renewables;
* charging stores ``charge x eta_c x dt``; discharging delivers ``drawn x eta_d``
  where ``eta_c = eta_d = sqrt(round-trip efficiency)``; ``charge_kw`` and
  ``discharge_kw`` are measured at the battery's AC terminals (what the site
  gives and gets);
* ``soc_kwh`` is the stored energy at the *end* of each step, always within
  ``[soc_min_frac, soc_max_frac] x energy_kwh``.

Rules:

* ``self-consumption`` (default): charge from renewable surplus only (within power
  and headroom), discharge against the deficit (within power and the energy above
  the minimum);
* ``none``: the battery stays idle;
* ``carbon-aware``: self-consumption, plus, in *clean* steps, charging from the
  grid with whatever power the surplus left (within headroom and under the site's
  grid import limit), and no discharge in clean steps (energy is held for dirtier
  ones). A step is clean for a site when its intensity ``I`` satisfies
  ``I <= q_low`` and ``I < RTE x q_high``, where ``q_low`` and ``q_high`` are the
  ``low_quantile`` and ``1 - low_quantile`` quantiles of that site's intensity over
  the whole horizon (perfect foresight of the horizon's distribution, not of the
  order of steps) and ``RTE = eta_c x eta_d``: energy bought at ``I`` and given back
  at a high-quantile step must save carbon after losses. A flat intensity has no
  clean step, so the rule is then plain self-consumption. Grid charging is reported
  as ``grid_charge_kw`` (extra grid import, counted in cost and emissions of the
  step it is bought in).

Renewable origin (for the carbon-free share): the store tracks how much of its
energy came from renewable surplus; a discharge carries the store's renewable share
at that moment. The initial state of charge counts as renewable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numba
import numpy as np
import numpy.typing as npt

from shulu import units
from shulu.errors import InputError
from shulu.model.site import Site

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BatteryArrays:
    """Per-site battery parameters as vectors (S,)."""

    energy_kwh: FloatArray
    power_kw: FloatArray
    eta_charge: FloatArray
    eta_discharge: FloatArray
    soc_min_frac: FloatArray
    soc_max_frac: FloatArray
    soc_initial_frac: FloatArray
    #: grid connection limit [kW] (inf = unlimited); bounds grid charging. None = unlimited.
    grid_import_limit_kw: FloatArray | None = None

    @classmethod
    def from_sites(cls, sites: Sequence[Site]) -> BatteryArrays:
        """Vectors from the sites' power supplies (efficiency split evenly: sqrt of round trip)."""
        sup = [s.supply for s in sites]
        eta = np.sqrt(np.array([p.battery_rte_frac for p in sup]))
        return cls(energy_kwh=np.array([p.battery_energy_kwh for p in sup]),
                   power_kw=np.array([p.battery_power_kw for p in sup]), eta_charge=eta, eta_discharge=eta.copy(),
                   soc_min_frac=np.array([p.battery_soc_min_frac for p in sup]),
                   soc_max_frac=np.array([p.battery_soc_max_frac for p in sup]),
                   soc_initial_frac=np.array([p.battery_soc_initial_frac for p in sup]),
                   grid_import_limit_kw=np.array([np.inf if p.grid_import_limit_kw is None
                                                  else p.grid_import_limit_kw for p in sup]))


@dataclass(frozen=True)
class BatteryResult:
    """Dispatch outcome, (time x site) arrays."""

    charge_kw: FloatArray  #: charging from renewable surplus [kW]
    grid_charge_kw: FloatArray  #: charging from the grid [kW]
    discharge_kw: FloatArray  #: delivered to the site [kW]
    soc_kwh: FloatArray  #: stored energy at the end of the step [kWh]
    renewable_discharge_kw: FloatArray  #: part of the discharge that came from renewable charging [kW]


@numba.njit(cache=True)
def _dispatch(surplus: FloatArray, deficit: FloatArray, grid_ok: BoolArray, grid_room: FloatArray, hold: BoolArray,
              energy: FloatArray, power: FloatArray, eta_c: FloatArray, eta_d: FloatArray, soc_min: FloatArray,
              soc_max: FloatArray, soc0: FloatArray, dt_h: float
              ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    n_t, n_s = surplus.shape
    charge = np.zeros((n_t, n_s))
    gcharge = np.zeros((n_t, n_s))
    discharge = np.zeros((n_t, n_s))
    soc = np.zeros((n_t, n_s))
    green_dis = np.zeros((n_t, n_s))
    for s in range(n_s):
        lo = soc_min[s] * energy[s]
        hi = soc_max[s] * energy[s]
        e = soc0[s] * energy[s]
        green = e  # renewable-origin energy in store (initial charge counted as renewable: documented)
        p = power[s]
        for t in range(n_t):
            if energy[s] <= 0.0 or p <= 0.0:
                soc[t, s] = e
                continue
            # charge from surplus
            room_kw = (hi - e) / (eta_c[s] * dt_h)
            c = min(surplus[t, s], p, max(room_kw, 0.0))
            if c > 0.0:
                e += c * eta_c[s] * dt_h
                green += c * eta_c[s] * dt_h
                charge[t, s] = c
            # grid charge (carbon-aware rule)
            if grid_ok[t, s]:
                room_kw = (hi - e) / (eta_c[s] * dt_h)
                g = min(p - c, max(room_kw, 0.0), grid_room[t, s])
                if g > 0.0:
                    e += g * eta_c[s] * dt_h
                    gcharge[t, s] = g
            # discharge against deficit (never in a step that charged)
            if c <= 0.0 and gcharge[t, s] <= 0.0 and not hold[t, s] and deficit[t, s] > 0.0:
                avail_kw = (e - lo) * eta_d[s] / dt_h
                d = min(deficit[t, s], p, max(avail_kw, 0.0))
                if d > 0.0:
                    drawn = d / eta_d[s] * dt_h
                    share = green / e if e > 0.0 else 0.0
                    e -= drawn
                    green -= drawn * share
                    discharge[t, s] = d
                    green_dis[t, s] = d * share
            # clamp float noise
            if e < lo:
                e = lo
            if e > hi:
                e = hi
            if green > e:
                green = e
            if green < 0.0:
                green = 0.0
            soc[t, s] = e
    return charge, gcharge, discharge, soc, green_dis


class DispatchRule(ABC):
    """A battery dispatch rule: one verb."""

    name: ClassVar[str] = "rule"

    @abstractmethod
    def dispatch(self, surplus_kw: FloatArray, deficit_kw: FloatArray, intensity_g_per_kwh: FloatArray,
                 price_cny_per_kwh: FloatArray, params: BatteryArrays, step_s: float) -> BatteryResult:
        """Charge and discharge for every step and site."""


def _run(surplus: FloatArray, deficit: FloatArray, grid_ok: BoolArray, hold: BoolArray, p: BatteryArrays,
         step_s: float) -> BatteryResult:
    deficit = np.ascontiguousarray(deficit, dtype=np.float64)
    limit = np.full(deficit.shape[1], np.inf) if p.grid_import_limit_kw is None else p.grid_import_limit_kw
    # grid charging happens only in steps without discharge, so the import left for it is limit - deficit
    grid_room = np.maximum(limit[None, :] - deficit, 0.0)
    out = _dispatch(np.ascontiguousarray(surplus, dtype=np.float64), deficit, np.ascontiguousarray(grid_ok),
                    grid_room, np.ascontiguousarray(hold), p.energy_kwh, p.power_kw,
                    p.eta_charge, p.eta_discharge, p.soc_min_frac, p.soc_max_frac, p.soc_initial_frac,
                    step_s / units.SECONDS_PER_HOUR)
    return BatteryResult(*out)


class SelfConsumption(DispatchRule):
    """Charge from renewable surplus, discharge against deficit (the default)."""

    name: ClassVar[str] = "self-consumption"

    def dispatch(self, surplus_kw: FloatArray, deficit_kw: FloatArray, intensity_g_per_kwh: FloatArray,
                 price_cny_per_kwh: FloatArray, params: BatteryArrays, step_s: float) -> BatteryResult:
        """See the module docstring."""
        no = np.zeros(surplus_kw.shape, dtype=np.bool_)
        return _run(surplus_kw, deficit_kw, no, no, params, step_s)


class NoBattery(DispatchRule):
    """The battery stays idle at its initial state of charge."""

    name: ClassVar[str] = "none"

    def dispatch(self, surplus_kw: FloatArray, deficit_kw: FloatArray, intensity_g_per_kwh: FloatArray,
                 price_cny_per_kwh: FloatArray, params: BatteryArrays, step_s: float) -> BatteryResult:
        """All flows zero; state of charge constant."""
        z = np.zeros(surplus_kw.shape)
        soc = np.broadcast_to(params.soc_initial_frac * params.energy_kwh, surplus_kw.shape).copy()
        return BatteryResult(z, z.copy(), z.copy(), soc, z.copy())


class CarbonAware(DispatchRule):
    """Self-consumption plus grid charging in the cleanest steps, holding charge for dirtier ones.

    Parameters
    ----------
    low_quantile : float
        Steps at or below this quantile of a site's intensity over the horizon (and cheaper in carbon than the
        ``1 - low_quantile`` quantile after round-trip losses) are "clean" [0..1]; see the module docstring.
    """

    name: ClassVar[str] = "carbon-aware"

    def __init__(self, low_quantile: float = 0.2) -> None:
        if not 0.0 < low_quantile < 1.0:
            raise InputError(f"expected low_quantile in (0, 1), got {low_quantile}", field="low_quantile")
        self.low_quantile = low_quantile

    def dispatch(self, surplus_kw: FloatArray, deficit_kw: FloatArray, intensity_g_per_kwh: FloatArray,
                 price_cny_per_kwh: FloatArray, params: BatteryArrays, step_s: float) -> BatteryResult:
        """See the module docstring."""
        inten = np.asarray(intensity_g_per_kwh, dtype=np.float64)
        if inten.shape[0] == 0:
            clean = np.zeros(inten.shape, dtype=np.bool_)
        else:
            q_low = np.quantile(inten, self.low_quantile, axis=0)[None, :]
            q_high = np.quantile(inten, 1.0 - self.low_quantile, axis=0)[None, :]
            rte = (params.eta_charge * params.eta_discharge)[None, :]
            clean = (inten <= q_low) & (inten < rte * q_high)
        return _run(surplus_kw, deficit_kw, clean, clean, params, step_s)


DISPATCH_RULES: dict[str, DispatchRule] = {r.name: r for r in (SelfConsumption(), NoBattery(), CarbonAware())}


def get_dispatch_rule(name: str) -> DispatchRule:
    """A dispatch rule by name.

    Raises
    ------
    InputError
        For an unknown name, listing the known ones.
    """
    if name not in DISPATCH_RULES:
        raise InputError(f"unknown dispatch rule {name!r}; expected one of {sorted(DISPATCH_RULES)}",
                         field="dispatch")
    return DISPATCH_RULES[name]

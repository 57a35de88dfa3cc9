"""The power balance of every site and step, vectorised over (time x site) arrays.

Pure functions over arrays; the battery recurrence is delegated to a
:class:`~shulu.sim.battery.DispatchRule`. See ``docs/simulation.md`` for the
equations. The balance identity, every step and site::

    solar + wind + battery_discharge + grid_import + unserved
        == demand + battery_charge + battery_grid_charge + grid_export + curtailed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from shulu import units
from shulu.errors import InputError
from shulu.model.site import Site, pue
from shulu.sim.battery import BatteryArrays, DispatchRule

FloatArray = npt.NDArray[np.float64]

#: Share of IT electricity that becomes recoverable waste heat (shared reference: ~90%; EST).
WASTE_HEAT_FRAC = 0.9


def heat_recovery_kw(it_kw: FloatArray, recovery_frac: FloatArray, cop: FloatArray
                     ) -> tuple[FloatArray, FloatArray]:
    """Heat delivered by recovery and the heat pump's electricity.

    ``heat_in = WASTE_HEAT_FRAC x it x recovery_frac``; the heat pump lifts it using
    ``heat_in / (COP - 1)`` of electricity and delivers ``heat_in x COP / (COP - 1)``.

    Parameters
    ----------
    it_kw : array
        IT power [kW].
    recovery_frac : array
        Share of waste heat recovered [0..1].
    cop : array
        Heat-pump coefficient of performance [-] (> 1).

    Returns
    -------
    (heat_delivered_kw, heat_pump_kw)

    Examples
    --------
    >>> d, hp = heat_recovery_kw(np.array([100.0]), np.array([0.5]), np.array([5.0]))
    >>> float(d[0]), float(hp[0])
    (56.25, 11.25)
    """
    heat_in = WASTE_HEAT_FRAC * it_kw * recovery_frac
    hp = np.where(recovery_frac > 0, heat_in / np.maximum(cop - 1.0, 1e-12), 0.0)
    return heat_in + hp, hp


@dataclass(frozen=True)
class SiteArrays:
    """Per-site parameters as vectors (S,)."""

    it_capacity_kw: FloatArray
    pue_design: FloatArray
    pue_temp_coef_per_c: FloatArray
    pue_ref_temp_c: FloatArray
    pue_light_load_coef: FloatArray
    solar_kw: FloatArray
    wind_kw: FloatArray
    green_purchase_frac: FloatArray
    heat_recovery_frac: FloatArray
    heat_pump_cop: FloatArray
    grid_export_allowed: npt.NDArray[np.bool_]
    grid_import_limit_kw: FloatArray
    battery: BatteryArrays

    @classmethod
    def from_sites(cls, sites: Sequence[Site]) -> SiteArrays:
        """Vectors from site records.

        Raises
        ------
        InputError
            If a site recovers heat with a heat pump of COP <= 1 (it would need infinite electricity).
        """
        for i, site in enumerate(sites):
            if site.heat_recovery_frac > 0 and site.heat_pump_cop <= 1.0:
                raise InputError(f"expected heat_pump_cop > 1 when heat_recovery_frac > 0 (site {site.id!r}), "
                                 f"got {site.heat_pump_cop}", field=f"sites[{i}].heat_pump_cop")

        def v(attr: str) -> FloatArray:
            return np.array([float(getattr(s, attr)) for s in sites])

        sup = [s.supply for s in sites]
        return cls(it_capacity_kw=v("it_capacity_kw"), pue_design=v("pue_design"),
                   pue_temp_coef_per_c=v("pue_temp_coef_per_c"), pue_ref_temp_c=v("pue_ref_temp_c"),
                   pue_light_load_coef=v("pue_light_load_coef"), solar_kw=np.array([p.solar_kw for p in sup]),
                   wind_kw=np.array([p.wind_kw for p in sup]),
                   green_purchase_frac=np.array([p.green_purchase_frac for p in sup]),
                   heat_recovery_frac=v("heat_recovery_frac"), heat_pump_cop=v("heat_pump_cop"),
                   grid_export_allowed=np.array([p.grid_export_allowed for p in sup]),
                   grid_import_limit_kw=np.array([np.inf if p.grid_import_limit_kw is None
                                                  else p.grid_import_limit_kw for p in sup]),
                   battery=BatteryArrays.from_sites(sites))


@dataclass(frozen=True)
class PowerFlows:
    """Every flow of every site and step, (time x site) arrays; powers are step averages [kW]."""

    it_kw: FloatArray
    pue: FloatArray
    facility_kw: FloatArray
    heat_pump_kw: FloatArray
    demand_kw: FloatArray
    solar_kw: FloatArray
    wind_kw: FloatArray
    renewable_used_kw: FloatArray
    battery_charge_kw: FloatArray
    battery_grid_charge_kw: FloatArray
    battery_discharge_kw: FloatArray
    soc_kwh: FloatArray
    grid_import_kw: FloatArray
    grid_export_kw: FloatArray
    curtailed_kw: FloatArray
    unserved_kw: FloatArray
    heat_recovered_kw: FloatArray
    cost_cny: FloatArray
    emissions_location_kg: FloatArray
    emissions_market_kg: FloatArray
    cfe_frac: FloatArray

    def energy_balance_residual_kw(self) -> FloatArray:
        """Supply minus uses per step and site [kW]; zero up to float rounding."""
        supply = self.solar_kw + self.wind_kw + self.battery_discharge_kw + self.grid_import_kw + self.unserved_kw
        uses = self.demand_kw + self.battery_charge_kw + self.battery_grid_charge_kw + self.grid_export_kw \
            + self.curtailed_kw
        return np.asarray(supply - uses)

    @classmethod
    def names(cls) -> list[str]:
        """Field names."""
        return [f.name for f in fields(cls)]


def site_power(it_kw: FloatArray, temp_c: FloatArray, solar_cf: FloatArray, wind_cf: FloatArray,
               intensity_g_per_kwh: FloatArray, price_cny_per_kwh: FloatArray, grid_cfe_frac: FloatArray,
               sites: SiteArrays, step_s: float, dispatch: DispatchRule) -> PowerFlows:
    """Balance power for every site and step.

    Parameters
    ----------
    it_kw : array (T, S)
        IT power, idle draw included [kW].
    temp_c : array (T, S)
        Outdoor temperature [°C].
    solar_cf, wind_cf : array (T, S)
        Capacity factors [0..1].
    intensity_g_per_kwh : array (T, S)
        Grid carbon intensity [gCO2/kWh].
    price_cny_per_kwh : array (T, S)
        Grid price [CNY/kWh].
    grid_cfe_frac : array (T, S)
        Carbon-free share of grid generation [0..1].
    sites : SiteArrays
        Per-site parameters.
    step_s : float
        Step length [s].
    dispatch : DispatchRule
        Battery rule.

    Returns
    -------
    PowerFlows

    Examples
    --------
    >>> from shulu.model import Site
    >>> from shulu.sim.battery import get_dispatch_rule
    >>> s = Site(id="a", name="A", role="east", lat_deg=0, lon_deg=0, it_capacity_kw=1000, pue_design=1.2,
    ...          pue_light_load_coef=0, pue_temp_coef_per_c=0)
    >>> one = np.ones((1, 1))
    >>> f = site_power(1000 * one, 10 * one, 0 * one, 0 * one, 500 * one, 0.5 * one, 0 * one,
    ...                SiteArrays.from_sites([s]), 3600.0, get_dispatch_rule("none"))
    >>> float(f.facility_kw[0, 0]), float(f.emissions_location_kg[0, 0]), float(f.cost_cny[0, 0])
    (1200.0, 600.0, 600.0)
    """
    step_h = step_s / units.SECONDS_PER_HOUR
    load_frac = it_kw / sites.it_capacity_kw[None, :]
    p = pue(temp_c, load_frac, pue_design=sites.pue_design[None, :],  # type: ignore[arg-type]
            pue_temp_coef_per_c=sites.pue_temp_coef_per_c[None, :],  # type: ignore[arg-type]
            pue_ref_temp_c=sites.pue_ref_temp_c[None, :],  # type: ignore[arg-type]
            pue_light_load_coef=sites.pue_light_load_coef[None, :])  # type: ignore[arg-type]
    facility = it_kw * p
    heat, hp = heat_recovery_kw(it_kw, sites.heat_recovery_frac[None, :], sites.heat_pump_cop[None, :])
    demand = facility + hp
    solar = solar_cf * sites.solar_kw[None, :]
    wind = wind_cf * sites.wind_kw[None, :]
    renewable = solar + wind
    direct = np.minimum(demand, renewable)
    surplus = renewable - direct
    deficit = demand - direct
    bat = dispatch.dispatch(surplus, deficit, intensity_g_per_kwh, price_cny_per_kwh, sites.battery, step_s)
    rest = surplus - bat.charge_kw
    export = np.where(sites.grid_export_allowed[None, :], rest, 0.0)
    curtailed = rest - export
    need = deficit - bat.discharge_kw + bat.grid_charge_kw
    limit = sites.grid_import_limit_kw[None, :]
    grid_import = np.minimum(need, limit)
    unserved = need - grid_import
    import_kwh = grid_import * step_h
    cost = import_kwh * price_cny_per_kwh
    em_loc = import_kwh * intensity_g_per_kwh / units.G_PER_KG
    em_mkt = import_kwh * (1.0 - sites.green_purchase_frac[None, :]) * intensity_g_per_kwh / units.G_PER_KG
    # carbon-free supply to the demand: direct renewables, renewable battery energy, the grid's clean share.
    # Grid import that charged the battery is not demand; battery energy from the grid counts at the grid share.
    grid_to_demand = grid_import - bat.grid_charge_kw
    fossil_dis = bat.discharge_kw - bat.renewable_discharge_kw
    cfe_kw = direct + bat.renewable_discharge_kw + (np.maximum(grid_to_demand, 0.0) + fossil_dis) * grid_cfe_frac
    with np.errstate(invalid="ignore", divide="ignore"):
        cfe = np.where(demand > 0, np.clip(cfe_kw / demand, 0.0, 1.0), 1.0)
    return PowerFlows(it_kw=it_kw, pue=p, facility_kw=facility, heat_pump_kw=hp, demand_kw=demand, solar_kw=solar,
                      wind_kw=wind, renewable_used_kw=direct + bat.charge_kw, battery_charge_kw=bat.charge_kw,
                      battery_grid_charge_kw=bat.grid_charge_kw, battery_discharge_kw=bat.discharge_kw,
                      soc_kwh=bat.soc_kwh, grid_import_kw=grid_import, grid_export_kw=export, curtailed_kw=curtailed,
                      unserved_kw=unserved, heat_recovered_kw=heat, cost_cny=cost, emissions_location_kg=em_loc,
                      emissions_market_kg=em_mkt, cfe_frac=cfe)

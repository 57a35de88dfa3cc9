"""Data-center sites (clusters), their power supply, and the PUE and server power models.

Pure functions (:func:`pue`, :func:`server_power_kw`) come first; the records
(:class:`PowerSupply`, :class:`Site`) hold the numbers.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import model_validator

from shulu.model.schema import Record, quantity, text

FloatArray = npt.NDArray[np.float64]


def pue(temp_c: FloatArray | float, load_frac: FloatArray | float, *, pue_design: float,
        pue_temp_coef_per_c: float, pue_ref_temp_c: float, pue_light_load_coef: float) -> FloatArray:
    """Power usage effectiveness as a function of outdoor temperature and IT load.

    ``PUE = pue_design + pue_temp_coef_per_c * max(0, T - pue_ref_temp_c)
    + pue_light_load_coef * (1 - load_frac)``: design PUE at full load and at or
    below the reference temperature (free cooling), rising with hotter air
    (chillers) and at light load (fixed overheads spread over less IT power).

    Parameters
    ----------
    temp_c : array or float
        Outdoor dry-bulb temperature [°C].
    load_frac : array or float
        IT load as a fraction of IT capacity [0..1].
    pue_design : float
        PUE at full load and reference temperature [-].
    pue_temp_coef_per_c : float
        PUE increase per degree above the reference [1/°C].
    pue_ref_temp_c : float
        Free-cooling reference temperature [°C].
    pue_light_load_coef : float
        PUE added at zero load [-].

    Returns
    -------
    numpy.ndarray
        PUE [-], >= 1.

    Examples
    --------
    >>> float(pue(30.0, 0.5, pue_design=1.2, pue_temp_coef_per_c=0.01, pue_ref_temp_c=20.0,
    ...           pue_light_load_coef=0.1))
    1.35
    """
    t = np.asarray(temp_c, dtype=np.float64)
    u = np.clip(np.asarray(load_frac, dtype=np.float64), 0.0, 1.0)
    out = pue_design + pue_temp_coef_per_c * np.maximum(0.0, t - pue_ref_temp_c) + pue_light_load_coef * (1.0 - u)
    return np.maximum(out, 1.0)


def server_power_kw(utilisation_frac: FloatArray | float, *, peak_kw: float, idle_frac: float) -> FloatArray:
    """Linear server power model P = P_idle + (P_peak - P_idle) * u.

    Parameters
    ----------
    utilisation_frac : array or float
        Utilisation [0..1].
    peak_kw : float
        Power at full utilisation [kW].
    idle_frac : float
        Idle power as a fraction of peak [0..1].

    Returns
    -------
    numpy.ndarray
        Power [kW].

    Examples
    --------
    >>> round(float(server_power_kw(0.5, peak_kw=0.4, idle_frac=0.45)), 9)
    0.29
    """
    u = np.clip(np.asarray(utilisation_frac, dtype=np.float64), 0.0, 1.0)
    idle = idle_frac * peak_kw
    return idle + (peak_kw - idle) * u


class PowerSupply(Record):
    """What powers a site besides the grid: contracted solar and wind, a battery, green purchases."""

    solar_kw: float = quantity("kW", "Contracted or on-site solar capacity (AC peak)", 0.0, ge=0)
    wind_kw: float = quantity("kW", "Contracted or on-site wind capacity", 0.0, ge=0)
    battery_energy_kwh: float = quantity("kWh", "Usable battery energy capacity", 0.0, ge=0)
    battery_power_kw: float = quantity("kW", "Battery charge/discharge power limit", 0.0, ge=0)
    battery_rte_frac: float = quantity("fraction 0..1", "Battery round-trip efficiency", 0.9, gt=0, le=1)
    battery_soc_min_frac: float = quantity("fraction 0..1", "Lowest allowed state of charge", 0.1, ge=0, le=1)
    battery_soc_max_frac: float = quantity("fraction 0..1", "Highest allowed state of charge", 1.0, ge=0, le=1)
    battery_soc_initial_frac: float = quantity("fraction 0..1", "State of charge at the start", 0.5, ge=0, le=1)
    green_purchase_frac: float = quantity(
        "fraction 0..1", "Share of grid import covered by green certificates/PPAs (market-based)", 0.0, ge=0, le=1)
    grid_import_limit_kw: float | None = quantity("kW", "Grid connection limit (None = unlimited)", None, ge=0)
    grid_export_allowed: bool = text("Whether surplus renewable power may be exported", True)

    @model_validator(mode="after")
    def _soc_order(self) -> PowerSupply:
        if not self.battery_soc_min_frac <= self.battery_soc_initial_frac <= self.battery_soc_max_frac:
            raise ValueError(
                "expected battery_soc_min_frac <= battery_soc_initial_frac <= battery_soc_max_frac, got "
                f"{self.battery_soc_min_frac} / {self.battery_soc_initial_frac} / {self.battery_soc_max_frac}")
        return self


class Site(Record):
    """A data-center cluster: where work can run."""

    id: str = text("Unique site id (lowercase, no spaces)", pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str = text("Display name")
    hub: str = text("Hub (national computing hub) the cluster belongs to", "")
    role: Literal["east", "west"] = text("east: near demand, real-time work; west: renewable-rich, latency-tolerant")
    province: str = text("Province or state", "")
    grid_zone: str = text("Grid zone whose carbon intensity and prices apply", "")
    lat_deg: float = quantity("degree", "Latitude (WGS84)", ge=-90, le=90)
    lon_deg: float = quantity("degree", "Longitude (WGS84)", ge=-180, le=180)
    it_capacity_kw: float = quantity("kW", "Installed IT capacity (peak IT power of all servers)", gt=0)
    server_idle_frac: float = quantity("fraction 0..1", "Server idle power as a fraction of peak", 0.45, ge=0, le=1)
    pue_design: float = quantity("-", "PUE at full load and at/below the reference temperature", 1.25, ge=1)
    pue_temp_coef_per_c: float = quantity("1/°C", "PUE increase per °C above the reference", 0.008, ge=0)
    pue_ref_temp_c: float = quantity("°C", "Free-cooling reference outdoor temperature", 15.0)
    pue_light_load_coef: float = quantity("-", "PUE added at zero IT load", 0.1, ge=0)
    embodied_kgco2e_per_kw: float = quantity(
        "kgCO2e/kW", "Embodied (manufacturing) carbon of IT equipment per kW of IT capacity", 1750.0, ge=0)
    server_lifetime_years: float = quantity("year", "Service life over which embodied carbon is amortised", 4.0, gt=0)
    heat_recovery_frac: float = quantity("fraction 0..1", "Share of waste heat recovered", 0.0, ge=0, le=1)
    heat_pump_cop: float = quantity("-", "Coefficient of performance of the heat-recovery heat pump", 4.9, ge=1)
    supply: PowerSupply = text("Renewables, battery and green purchases", PowerSupply())
    sources: dict[str, str] = text("Source and year of each number, or 'EST'", {})

    def pue(self, temp_c: FloatArray | float, load_frac: FloatArray | float) -> FloatArray:
        """PUE at outdoor temperature [°C] and IT load fraction [0..1]; see :func:`pue`."""
        return pue(temp_c, load_frac, pue_design=self.pue_design, pue_temp_coef_per_c=self.pue_temp_coef_per_c,
                   pue_ref_temp_c=self.pue_ref_temp_c, pue_light_load_coef=self.pue_light_load_coef)

"""Costs for planning: annualisation (capital recovery) and the sourced constants of ``plan_costs.yaml``.

Pure functions first; :class:`PlanCosts` then holds every constant the layout model uses, read from
``data/builtin/plan_costs.yaml`` (each ``{value, source}``), optionally overridden by a user file of the same
layout. Capital is annualised with the capital recovery factor; embodied carbon is spread evenly over the
equipment's life (servers, batteries) or charged per MWh generated (solar, wind: life-cycle factors).

Examples
--------
>>> round(capital_recovery_factor(0.08, 20), 6)
0.101852
>>> capital_recovery_factor(0.0, 4)
0.25
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from shulu import units
from shulu.errors import InputError

COSTS_FILE = "plan_costs.yaml"


def capital_recovery_factor(rate_frac: float, lifetime_years: float) -> float:
    """Share of an investment paid each year to recover it with interest: ``r (1+r)^n / ((1+r)^n - 1)``.

    Parameters
    ----------
    rate_frac : float
        Discount rate per year [fraction], >= 0.
    lifetime_years : float
        Economic life [year], > 0.

    Returns
    -------
    float
        Capital recovery factor [1/year].

    Examples
    --------
    >>> round(capital_recovery_factor(0.1, 1), 9)
    1.1
    """
    if lifetime_years <= 0:
        raise InputError(f"expected a lifetime > 0 years, got {lifetime_years}", field="lifetime_years")
    if rate_frac < 0:
        raise InputError(f"expected a discount rate >= 0, got {rate_frac}", field="discount_rate_frac")
    if rate_frac == 0:
        return 1.0 / lifetime_years
    g = (1.0 + rate_frac) ** lifetime_years
    return rate_frac * g / (g - 1.0)


def annualised_cost(capex: float, rate_frac: float, lifetime_years: float, om_frac_per_year: float = 0.0) -> float:
    """Yearly cost of a unit of capacity: capital recovery plus fixed O&M.

    Parameters
    ----------
    capex : float
        Investment per unit [CNY/unit].
    rate_frac : float
        Discount rate [fraction/year].
    lifetime_years : float
        Life [year].
    om_frac_per_year : float
        Fixed operation and maintenance as a share of capex per year [fraction/year].

    Returns
    -------
    float
        [CNY/(unit x year)].

    Examples
    --------
    >>> round(annualised_cost(1000.0, 0.0, 10.0, 0.02), 9)
    120.0
    """
    return capex * (capital_recovery_factor(rate_frac, lifetime_years) + om_frac_per_year)


def embodied_per_year(embodied_kg: float, lifetime_years: float) -> float:
    """Embodied carbon spread evenly over the life [kgCO2e/year].

    Examples
    --------
    >>> embodied_per_year(1750.0, 4.0)
    437.5
    """
    return embodied_kg / lifetime_years


def generation_embodied_kg_per_kw_year(kg_per_mwh: float, capacity_factor: float) -> float:
    """Life-cycle carbon of a kW of solar or wind per year, from a per-MWh factor and its capacity factor.

    Parameters
    ----------
    kg_per_mwh : float
        Life-cycle (embodied) carbon per MWh generated [kgCO2e/MWh].
    capacity_factor : float
        Mean output per unit of capacity [0..1].

    Returns
    -------
    float
        [kgCO2e/(kW x year)].

    Examples
    --------
    >>> round(generation_embodied_kg_per_kw_year(55.0, 0.2), 3)
    96.36
    """
    return kg_per_mwh * capacity_factor * units.HOURS_PER_YEAR / units.KWH_PER_MWH


def uhv_capex_cny_per_kw(length_km: float, *, fixed_cny_per_kw: float, per_km_cny_per_kw: float) -> float:
    """Investment of a UHV DC line per kW of capacity: converter stations plus line length.

    Examples
    --------
    >>> uhv_capex_cny_per_kw(1000.0, fixed_cny_per_kw=1500.0, per_km_cny_per_kw=1.2)
    2700.0
    """
    return fixed_cny_per_kw + per_km_cny_per_kw * length_km


def _value(entry: Any) -> Any:
    return entry["value"] if isinstance(entry, dict) and "value" in entry else entry


@cache
def _builtin() -> dict[str, Any]:
    text = resources.files("shulu.data").joinpath(f"builtin/{COSTS_FILE}").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _merge(base: dict[str, Any], over: dict[str, Any], path: str, file: str) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        where = f"{path}.{k}" if path else str(k)
        if k not in base:
            raise InputError(f"unknown key; expected one of {sorted(base)}", file=file, field=where)
        if isinstance(base[k], dict) and "value" not in base[k] and isinstance(v, dict):
            out[k] = _merge(base[k], v, where, file)
        else:
            out[k] = v
    return out


def load_cost_data(override: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The raw cost dataset (``{value, source}`` entries), with an optional override file merged in."""
    data = _builtin()
    if override is None:
        return data
    path = Path(override)
    try:
        over = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=str(path)) from None
    if not isinstance(over, dict):
        raise InputError("expected a mapping of sections (finance, it, solar, ...)", file=str(path))
    return _merge(data, over, "", str(path))


@dataclass(frozen=True)
class PlanCosts:
    """Every constant of the layout model (values only; :meth:`table` lists them with their sources)."""

    discount_rate_frac: float
    carbon_price_cny_per_t: float
    server_capex_cny_per_kw: float
    server_lifetime_years: float
    server_embodied_kgco2e_per_kw: float
    facility_capex_cny_per_kw: float
    facility_lifetime_years: float
    it_om_frac_per_year: float
    solar_capex_cny_per_kw: float
    solar_lifetime_years: float
    solar_om_frac_per_year: float
    solar_embodied_kgco2e_per_mwh: float
    wind_capex_cny_per_kw: float
    wind_lifetime_years: float
    wind_om_frac_per_year: float
    wind_embodied_kgco2e_per_mwh: float
    battery_energy_capex_cny_per_kwh: float
    battery_power_capex_cny_per_kw: float
    battery_lifetime_years: float
    battery_om_frac_per_year: float
    battery_embodied_kgco2e_per_kwh: float
    battery_rte_frac: float
    battery_soc_min_frac: float
    pue_target_east: float
    pue_target_west: float
    util_max_frac: float
    load_frac: float
    green_margin_frac: float
    link_capex_cny_per_gbps_year: float
    uhv_utilisation_frac: float
    uhv_green_frac: float
    uhv_loss_frac_per_km: float
    uhv_thermal_intensity_g_per_kwh: float
    uhv_lifetime_years: float
    uhv_om_frac_per_year: float
    uhv_capex_fixed_cny_per_kw: float
    uhv_capex_cny_per_kw_km: float
    uhv_route_factor: float
    uhv_lines: tuple[dict[str, Any], ...] = ()

    # --- annualised unit costs [CNY/(unit x year)] --------------------------------------------------------------
    @property
    def it_cny_per_kw_year(self) -> float:
        """New IT capacity: servers plus facility, with O&M [CNY/(kW x year)]."""
        r = self.discount_rate_frac
        return (annualised_cost(self.server_capex_cny_per_kw, r, self.server_lifetime_years, self.it_om_frac_per_year)
                + annualised_cost(self.facility_capex_cny_per_kw, r, self.facility_lifetime_years,
                                  self.it_om_frac_per_year))

    @property
    def it_embodied_kg_per_kw_year(self) -> float:
        """Embodied carbon of servers per kW and year [kgCO2e/(kW x year)]."""
        return embodied_per_year(self.server_embodied_kgco2e_per_kw, self.server_lifetime_years)

    @property
    def solar_cny_per_kw_year(self) -> float:
        """[CNY/(kW x year)]."""
        return annualised_cost(self.solar_capex_cny_per_kw, self.discount_rate_frac, self.solar_lifetime_years,
                               self.solar_om_frac_per_year)

    @property
    def wind_cny_per_kw_year(self) -> float:
        """[CNY/(kW x year)]."""
        return annualised_cost(self.wind_capex_cny_per_kw, self.discount_rate_frac, self.wind_lifetime_years,
                               self.wind_om_frac_per_year)

    @property
    def battery_cny_per_kwh_year(self) -> float:
        """Battery energy [CNY/(kWh x year)]."""
        return annualised_cost(self.battery_energy_capex_cny_per_kwh, self.discount_rate_frac,
                               self.battery_lifetime_years, self.battery_om_frac_per_year)

    @property
    def battery_cny_per_kw_year(self) -> float:
        """Battery power [CNY/(kW x year)]."""
        return annualised_cost(self.battery_power_capex_cny_per_kw, self.discount_rate_frac,
                               self.battery_lifetime_years, self.battery_om_frac_per_year)

    @property
    def battery_embodied_kg_per_kwh_year(self) -> float:
        """[kgCO2e/(kWh x year)]."""
        return embodied_per_year(self.battery_embodied_kgco2e_per_kwh, self.battery_lifetime_years)

    def uhv_capex_cny_per_kw(self, length_km: float) -> float:
        """Generic ±800 kV line investment for a length [CNY/kW]."""
        return uhv_capex_cny_per_kw(length_km, fixed_cny_per_kw=self.uhv_capex_fixed_cny_per_kw,
                                    per_km_cny_per_kw=self.uhv_capex_cny_per_kw_km)

    def uhv_cny_per_kw_year(self, capex_cny_per_kw: float) -> float:
        """Line capacity per year [CNY/(kW x year)]."""
        return annualised_cost(capex_cny_per_kw, self.discount_rate_frac, self.uhv_lifetime_years,
                               self.uhv_om_frac_per_year)

    def pue_target(self, role: str) -> float:
        """Hub PUE target of a site's role ('east' or 'west') [-]."""
        return self.pue_target_east if role == "east" else self.pue_target_west

    def replace(self, **changes: Any) -> PlanCosts:
        """A copy with some constants changed."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        kw.update(changes)
        return PlanCosts(**kw)


#: (field, section, key) of every scalar constant in the data file.
_LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("discount_rate_frac", "finance", "discount_rate_frac"),
    ("carbon_price_cny_per_t", "finance", "carbon_price_cny_per_t"),
    ("server_capex_cny_per_kw", "it", "server_capex_cny_per_kw"),
    ("server_lifetime_years", "it", "server_lifetime_years"),
    ("server_embodied_kgco2e_per_kw", "it", "server_embodied_kgco2e_per_kw"),
    ("facility_capex_cny_per_kw", "it", "facility_capex_cny_per_kw"),
    ("facility_lifetime_years", "it", "facility_lifetime_years"),
    ("it_om_frac_per_year", "it", "om_frac_per_year"),
    ("solar_capex_cny_per_kw", "solar", "capex_cny_per_kw"),
    ("solar_lifetime_years", "solar", "lifetime_years"),
    ("solar_om_frac_per_year", "solar", "om_frac_per_year"),
    ("solar_embodied_kgco2e_per_mwh", "solar", "embodied_kgco2e_per_mwh"),
    ("wind_capex_cny_per_kw", "wind", "capex_cny_per_kw"),
    ("wind_lifetime_years", "wind", "lifetime_years"),
    ("wind_om_frac_per_year", "wind", "om_frac_per_year"),
    ("wind_embodied_kgco2e_per_mwh", "wind", "embodied_kgco2e_per_mwh"),
    ("battery_energy_capex_cny_per_kwh", "battery", "energy_capex_cny_per_kwh"),
    ("battery_power_capex_cny_per_kw", "battery", "power_capex_cny_per_kw"),
    ("battery_lifetime_years", "battery", "lifetime_years"),
    ("battery_om_frac_per_year", "battery", "om_frac_per_year"),
    ("battery_embodied_kgco2e_per_kwh", "battery", "embodied_kgco2e_per_kwh"),
    ("battery_rte_frac", "battery", "rte_frac"),
    ("battery_soc_min_frac", "battery", "soc_min_frac"),
    ("pue_target_east", "pue_target", "east"),
    ("pue_target_west", "pue_target", "west"),
    ("util_max_frac", "planning", "util_max_frac"),
    ("load_frac", "planning", "load_frac"),
    ("green_margin_frac", "planning", "green_margin_frac"),
    ("link_capex_cny_per_gbps_year", "planning", "link_capex_cny_per_gbps_year"),
    ("uhv_utilisation_frac", "uhv", "utilisation_frac"),
    ("uhv_green_frac", "uhv", "green_frac"),
    ("uhv_loss_frac_per_km", "uhv", "loss_frac_per_km"),
    ("uhv_thermal_intensity_g_per_kwh", "uhv", "thermal_intensity_g_per_kwh"),
    ("uhv_lifetime_years", "uhv", "lifetime_years"),
    ("uhv_om_frac_per_year", "uhv", "om_frac_per_year"),
    ("uhv_capex_fixed_cny_per_kw", "uhv", "capex_fixed_cny_per_kw"),
    ("uhv_capex_cny_per_kw_km", "uhv", "capex_cny_per_kw_km"),
    ("uhv_route_factor", "uhv", "route_factor"),
)
_FRACTIONS = {"discount_rate_frac", "battery_rte_frac", "battery_soc_min_frac", "util_max_frac", "load_frac",
              "green_margin_frac", "uhv_utilisation_frac", "uhv_green_frac"}


def load_costs(override: str | os.PathLike[str] | None = None) -> PlanCosts:
    """The planning constants: the built-in file, with an optional override file (same layout, any subset).

    Raises
    ------
    InputError
        For an unknown key, a missing or non-numeric value, or a value out of range.
    """
    data = load_cost_data(override)
    file = str(override) if override is not None else COSTS_FILE
    kw: dict[str, Any] = {}
    for name, section, key in _LAYOUT:
        try:
            raw = _value(data[section][key])
            v = float(raw)
        except (KeyError, TypeError, ValueError):
            raise InputError("expected a number", file=file, field=f"{section}.{key}") from None
        if not v >= 0 or v != v:
            raise InputError(f"expected a value >= 0, got {v}", file=file, field=f"{section}.{key}")
        if name in _FRACTIONS and v > 1:
            raise InputError(f"expected a fraction in [0, 1], got {v}", file=file, field=f"{section}.{key}")
        if (name.endswith("lifetime_years") or name in ("battery_rte_frac", "util_max_frac")) and v <= 0:
            raise InputError(f"expected a value > 0, got {v}", file=file, field=f"{section}.{key}")
        kw[name] = v
    kw["uhv_lines"] = tuple(dict(line) for line in data.get("uhv", {}).get("lines", []) or [])
    return PlanCosts(**kw)


def costs_table(override: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every constant with its value and full source text (for docs and ``summary.json``)."""
    data = load_cost_data(override)
    srcs: dict[str, str] = data.get("sources", {})
    rows = []
    for name, section, key in _LAYOUT:
        entry = data[section][key]
        src = str(entry.get("source", "EST")) if isinstance(entry, dict) else "EST"
        head = src.split(" ", 1)[0]
        full = f"{src}: {srcs[head]}" if head in srcs else src
        rows.append({"name": name, "section": section, "key": key, "value": float(_value(entry)), "source": full})
    return pd.DataFrame(rows)

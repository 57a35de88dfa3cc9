"""Hardware lifecycle numbers for carbon accounts (``data/builtin/lifecycle.yaml``), each with its source."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class EndOfLife:
    """What happens to an asset at the end of its life."""

    recycled_frac: float  #: share of units formally recycled [0..1]
    recycling_credit_frac: float  #: share of a recycled unit's embodied carbon avoided [0..1]

    def net_factor(self) -> float:
        """Net / gross embodied carbon after the recycling credit [-].

        Examples
        --------
        >>> EndOfLife(0.5, 0.3).net_factor()
        0.85
        """
        return 1.0 - self.recycled_frac * self.recycling_credit_frac


@dataclass(frozen=True)
class Lifecycle:
    """Embodied carbon and end of life of the assets sites do not describe themselves."""

    server_eol: EndOfLife
    battery_embodied_kgco2e_per_kwh: float  #: [kgCO2e/kWh of capacity]
    battery_lifetime_years: float  #: [years]
    battery_eol: EndOfLife
    gpu_kw_per_gpu: float  #: IT power per GPU, to count GPU-hours [kW]
    sources: dict[str, str]


@functools.cache
def load_lifecycle() -> Lifecycle:
    """The built-in lifecycle dataset.

    Examples
    --------
    >>> load_lifecycle().battery_embodied_kgco2e_per_kwh
    83.5
    """
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("shulu.data").joinpath("builtin/lifecycle.yaml").read_text(encoding="utf-8"))
    a = raw["assets"]

    def v(node: dict[str, Any]) -> float:
        return float(node["value"])

    return Lifecycle(
        server_eol=EndOfLife(v(a["server"]["recycled_frac"]), v(a["server"]["recycling_credit_frac"])),
        battery_embodied_kgco2e_per_kwh=v(a["battery"]["embodied_kgco2e_per_kwh"]),
        battery_lifetime_years=v(a["battery"]["lifetime_years"]),
        battery_eol=EndOfLife(v(a["battery"]["recycled_frac"]), v(a["battery"]["recycling_credit_frac"])),
        gpu_kw_per_gpu=v(raw["functional_units"]["gpu_kw_per_gpu"]), sources=dict(raw["sources"]))

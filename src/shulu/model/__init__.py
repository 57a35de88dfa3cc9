"""Layer 2, the domain model: plain typed data and its validation (imports only units/timeindex/errors)."""

from shulu.model.network import DemandRegion, Link, Network, fibre_latency_ms, great_circle_km
from shulu.model.scenario import Scenario
from shulu.model.signals import SIGNAL_VARS, Signals
from shulu.model.site import PowerSupply, Site, pue, server_power_kw
from shulu.model.workload import JOB_COLUMNS, Workload

__all__ = [
    "JOB_COLUMNS", "SIGNAL_VARS", "DemandRegion", "Link", "Network", "PowerSupply", "Scenario", "Signals", "Site",
    "Workload", "fibre_latency_ms", "great_circle_km", "pue", "server_power_kw",
]

"""shulu (数绿): make computing follow green power.

Model a network of data centers, simulate it, schedule work in space and time,
and keep carbon accounts. See the README for the concepts.
"""

from shulu.errors import InputError, ShuluError
from shulu.io import load_scenario, save_scenario
from shulu.model import DemandRegion, Link, Network, PowerSupply, Scenario, Signals, Site, Workload

__version__ = "0.1.0"

__all__ = [
    "DemandRegion", "InputError", "Link", "Network", "PowerSupply", "Scenario", "ShuluError", "Signals", "Site",
    "Workload", "__version__", "load_scenario", "save_scenario",
]

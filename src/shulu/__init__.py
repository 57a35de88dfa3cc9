"""shulu (数绿): make computing follow green power.

Model a network of data centers, simulate it, schedule work in space and time,
and keep carbon accounts. See the README for the concepts.
"""

from shulu.errors import InputError, ShuluError
from shulu.io import load_scenario, save_scenario
from shulu.model import DemandRegion, Link, Network, PowerSupply, Scenario, Signals, Site, Workload

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """Lazy access to ``shulu.simulate`` (keeps ``import shulu`` light)."""
    if name == "simulate":
        from shulu.runner import simulate

        return simulate
    raise AttributeError(name)

__all__ = [
    "DemandRegion", "InputError", "Link", "Network", "PowerSupply", "Scenario", "ShuluError", "Signals", "Site",
    "Workload", "__version__", "load_scenario", "save_scenario", "simulate",
]

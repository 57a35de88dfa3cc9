"""Top-level entry points: ``shulu.simulate`` with a policy given by name or object, scenarios by path or object."""

from __future__ import annotations

import os
from typing import Any

from shulu.io import load_scenario
from shulu.model.scenario import Scenario
from shulu.policies import get_policy
from shulu.sim.engine import simulate as _simulate
from shulu.sim.policy import Policy
from shulu.sim.result import Result


def simulate(scenario: Scenario | str | os.PathLike[str], policy: Policy | str = "local", *,
             dispatch: str = "self-consumption", seed: int | None = None, **policy_params: Any) -> Result:
    """Simulate a scenario under a policy.

    Parameters
    ----------
    scenario : Scenario or path
        A scenario, or a scenario folder to load.
    policy : Policy or str
        A policy object or a registered policy name (``"local"``, ...).
    dispatch : str
        Battery dispatch rule (``"self-consumption"``, ``"none"``, ``"carbon-aware"``).
    seed : int, optional
        Seed recorded in provenance (defaults to the scenario's).
    **policy_params
        Parameters for a policy given by name.

    Returns
    -------
    Result

    Examples
    --------
    >>> import shulu
    >>> from shulu.data.microgrid import build_microgrid_scenario
    >>> res = shulu.simulate(build_microgrid_scenario(days=2), "local")
    >>> res.summary["jobs_total"], res.summary["grid_import_kwh"] > 0
    (0, True)
    """
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    pol = policy if isinstance(policy, Policy) else get_policy(policy, **policy_params)
    return _simulate(scn, pol, dispatch=dispatch, seed=seed)

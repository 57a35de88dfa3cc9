"""Layer 6, policies: one interface (:class:`shulu.sim.policy.Policy`), many policies, looked up by name."""

from __future__ import annotations

from typing import Any

from shulu.errors import InputError
from shulu.policies.aware import ALL as _AWARE
from shulu.policies.local import LocalPolicy
from shulu.policies.oracle import OraclePolicy
from shulu.policies.planned import PlannedPolicy
from shulu.sim.policy import Policy

POLICIES: dict[str, type[Policy]] = {LocalPolicy.name: LocalPolicy, **{p.name: p for p in _AWARE},
                                     OraclePolicy.name: OraclePolicy, PlannedPolicy.name: PlannedPolicy}


def get_policy(name: str, **params: Any) -> Policy:
    """A policy by name, with parameters.

    Raises
    ------
    InputError
        For an unknown name (listing the known ones) or bad parameters.
    """
    if name not in POLICIES:
        raise InputError(f"unknown policy {name!r}; expected one of {sorted(POLICIES)}", field="policy")
    try:
        return POLICIES[name](**params)
    except TypeError as exc:
        raise InputError(f"bad parameters for policy {name!r}: {exc}", field="policy") from None


__all__ = ["POLICIES", "LocalPolicy", "Policy", "get_policy"]

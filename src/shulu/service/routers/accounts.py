"""``/v1/accounts``: the calling tenant's carbon account and statements."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, status

from shulu.accounts.tenants import balances, budget_warnings, statement
from shulu.errors import InputError
from shulu.service.deps import State, Tenant
from shulu.service.schemas import AccountPublic, MonthPublic

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


@router.get("/me", response_model=AccountPublic)
def my_account(svc: State, tenant: Tenant) -> AccountPublic:
    """Balances by month (scope 2 location- and market-based, embodied, SCI, budget use) and warnings."""
    try:
        b = balances(svc.engine, tenant)
    except InputError:
        return AccountPublic(tenant=tenant, months=[], warnings=[])
    months = [MonthPublic(month=str(r["month"]), jobs=float(r["jobs"]), energy_kwh=float(r["energy_kwh"]),
                          emissions_location_kg=float(r["emissions_location_kg"]),
                          emissions_market_kg=float(r["emissions_market_kg"]), embodied_kg=float(r["embodied_kg"]),
                          sci_kg_per_job=_num(r["sci_kg_per_job"]),
                          budget_location_used_frac=_num(r["budget_location_used_frac"]))
              for _, r in b.iterrows()]
    return AccountPublic(tenant=tenant, months=months, warnings=budget_warnings(svc.engine, tenant))


@router.get("/me/statements/{month}", responses={404: {"description": "No entries that month"}})
def my_statement(month: str, svc: State, tenant: Tenant) -> dict[str, Any]:
    """The monthly statement (as ``shulu accounts statement`` writes it as JSON)."""
    try:
        st = statement(svc.engine, tenant, month)
    except InputError as exc:
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if "YYYY-MM" in str(exc) else status.HTTP_404_NOT_FOUND
        raise HTTPException(code, str(exc)) from None
    return st

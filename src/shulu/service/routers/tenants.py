"""``/v1/tenants``: admin routes for tenants and their API keys."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from shulu.accounts.tenants import set_tenant, tenant_info
from shulu.service.deps import Admin, State
from shulu.service.schemas import KeyPublic, TenantCreate, TenantPublic
from shulu.service.security import KEY_PREFIX
from shulu.service.tenants_store import issue_key, list_tenants

router = APIRouter(prefix="/v1/tenants", tags=["admin"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TenantPublic)
def create_tenant(body: TenantCreate, svc: State, _: Admin) -> TenantPublic:
    """Create or update a tenant (admin)."""
    set_tenant(svc.engine, body.id, name=body.name, budget_location_kg_per_month=body.budget_location_kg_per_month,
               budget_market_kg_per_month=body.budget_market_kg_per_month)
    return TenantPublic(**body.model_dump())


@router.get("", response_model=list[TenantPublic])
def get_tenants(svc: State, _: Admin) -> list[TenantPublic]:
    """Every tenant (admin)."""
    return [TenantPublic(**r) for r in list_tenants(svc.engine)]


@router.post("/{tenant_id}/keys", status_code=status.HTTP_201_CREATED, response_model=KeyPublic,
             responses={404: {"description": "No such tenant"}})
def create_key(tenant_id: str, svc: State, _: Admin) -> KeyPublic:
    """Issue an API key for a tenant (admin); the key is shown once and stored only as a hash."""
    if tenant_info(svc.engine, tenant_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such tenant")
    key = issue_key(svc.engine, tenant_id)
    return KeyPublic(tenant=tenant_id, key=key, prefix=key[:len(KEY_PREFIX) + 4])

"""Request dependencies (``Annotated``): the service state, the calling tenant, the admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from shulu.service.security import hash_key, same
from shulu.service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The running service's state."""
    svc: ServiceState = request.app.state.svc
    return svc


State = Annotated[ServiceState, Depends(get_state)]


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.startswith("Bearer ") or len(authorization) < 8:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "send an API key as 'Authorization: Bearer KEY'",
                            headers={"WWW-Authenticate": "Bearer"})
    return authorization[7:].strip()


def _limit(request: Request, key: str) -> None:
    if not request.app.state.limiter.allow(hash_key(key)):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "rate limit exceeded", headers={"Retry-After": "1"})


async def current_tenant(request: Request,
                   authorization: Annotated[str | None, Header(description="Bearer API key")] = None) -> str:
    """The tenant whose API key was sent (401 otherwise)."""
    key = _bearer(authorization)
    hashed = hash_key(key)
    if not request.app.state.limiter.allow(hashed):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "rate limit exceeded", headers={"Retry-After": "1"})
    tenant = request.app.state.key_cache.get(hashed)
    if tenant is None:
        from shulu.service.tenants_store import tenant_for_key

        tenant = tenant_for_key(request.app.state.svc.engine, hashed)
        if tenant is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key",
                                headers={"WWW-Authenticate": "Bearer"})
        request.app.state.key_cache[hashed] = tenant
    return tenant


async def require_admin(request: Request,
                  authorization: Annotated[str | None, Header(description="Bearer admin key")] = None) -> None:
    """Only the admin key (``SHULU_ADMIN_KEY``) passes."""
    key = _bearer(authorization)
    _limit(request, key)
    admin = request.app.state.settings.admin_key
    if not admin or not same(key, admin):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin only")


Tenant = Annotated[str, Depends(current_tenant)]
Admin = Annotated[None, Depends(require_admin)]

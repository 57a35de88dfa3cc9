"""Helpers for the service tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

ADMIN = "admin-key-for-tests"


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def tenant_key(client: TestClient, tenant: str) -> dict[str, str]:
    """Create a tenant and return headers with its new key."""
    assert client.post("/v1/tenants", json={"id": tenant}, headers=admin()).status_code == 201
    r = client.post(f"/v1/tenants/{tenant}/keys", headers=admin())
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.json()['key']}"}

"""Schemathesis over the whole native API (``/v1``, health, metrics): whatever it sends, with a tenant's key or the
admin's, the answer is never a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories import make_scenario
from shulu.accounts.ledger import connect
from shulu.service.app import create_app
from shulu.service.settings import Settings
from shulu.service.state import ServiceState

ADMIN = "fuzz-admin"


@pytest.mark.parametrize("who", ["tenant", "admin"])
def test_native_api_never_fails_with_5xx(who: str, tmp_path: Path) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from fastapi.testclient import TestClient
    from hypothesis import HealthCheck, given, settings

    state = ServiceState(make_scenario(n_sites=2, n_regions=2, hours=48, n_jobs=1),
                         connect(f"sqlite:///{tmp_path / 'fuzz.db'}"))
    app = create_app(Settings(admin_key=ADMIN, rate_limit_per_s=1e6, rate_burst=1_000_000), state=state)
    with TestClient(app) as c:  # a tenant with a key, and one job of theirs, so some ids exist
        adm = {"Authorization": f"Bearer {ADMIN}"}
        assert c.post("/v1/tenants", json={"id": "acme"}, headers=adm).status_code == 201
        key = c.post("/v1/tenants/acme/keys", headers=adm).json()["key"]
    auth = {"Authorization": f"Bearer {ADMIN if who == 'admin' else key}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/(v1|healthz|readyz|metrics)")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    seen: set[int] = set()
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            headers = {**(case.headers or {}), **auth}
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text)
            seen.add(response.status_code)

        check()
    assert {200, 201} & seen  # the key was accepted: not only 401s

"""The native API ``/v1``: placement by hand, idempotency, isolation, auth, validation, accounts, restart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import make_scenario
from shulu.accounts.ledger import connect, verify
from shulu.model import Scenario
from shulu.service.app import create_app
from shulu.service.settings import Settings
from shulu.service.state import ServiceState
from tests_service_helpers import admin, tenant_key

T3 = "2025-01-01T03:00:00Z"


def job(**kw: object) -> dict[str, object]:
    return {"origin": "r0", "duration_s": 3600.0, "power_kw": 10.0, "slack_s": 0.0, "max_latency_ms": 100.0,
            "job_class": "realtime", "submit_time": T3, **kw}


def marginal_pue(scn: Scenario) -> np.ndarray:
    return np.array([(1 - s.server_idle_frac) * (s.pue_design + s.pue_light_load_coef / 2)
                     for s in scn.network.sites])


def test_placement_by_hand(client: TestClient, served: Scenario) -> None:
    h = tenant_key(client, "acme")
    r = client.post("/v1/jobs", json=job(), headers={**h, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    p = r.json()
    # no slack: start now, at the site with the lowest intensity x marginal PUE in hour 3 (both within 100 ms)
    inten = served.signals.frames["intensity_g_per_kwh"].iloc[3]
    mp = marginal_pue(served)
    best = int(np.argmin(inten.to_numpy() * mp))
    assert p["site"] == served.network.site_ids[best]
    assert pd.Timestamp(p["start_time"]) == pd.Timestamp(T3)
    assert p["expected_energy_kwh"] == pytest.approx(10.0 * mp[best])
    assert p["expected_emissions_kg"] == pytest.approx(10.0 * mp[best] * inten.iloc[best] / 1000)
    assert p["latency_ms"] == pytest.approx(5.0 + best)  # links r0-s{i}: 5 + i ms
    assert r.headers["Location"] == f"/v1/jobs/{p['id']}"
    assert client.get(f"/v1/jobs/{p['id']}", headers=h).json() == p


def test_waits_for_the_greenest_hour(client: TestClient, served: Scenario) -> None:
    h = tenant_key(client, "acme")
    p = client.post("/v1/jobs", json=job(slack_s=5 * 3600.0, max_latency_ms=5.5),
                    headers={**h, "Idempotency-Key": "w"}).json()
    # only s0 is within 5.5 ms of r0; the job may start in hours 3..8: the greenest of them
    hours = served.signals.frames["intensity_g_per_kwh"]["s0"].iloc[3:9]
    assert p["site"] == "s0"
    assert pd.Timestamp(p["start_time"]) == hours.idxmin()


def test_idempotency(client: TestClient) -> None:
    h = tenant_key(client, "acme")
    a = client.post("/v1/jobs", json=job(), headers={**h, "Idempotency-Key": "same"})
    b = client.post("/v1/jobs", json=job(), headers={**h, "Idempotency-Key": "same"})
    assert a.status_code == 201 and b.status_code == 200 and a.json() == b.json()
    c = client.post("/v1/jobs", json=job(power_kw=3.0), headers={**h, "Idempotency-Key": "same"})
    assert c.status_code == 409
    # the same key from another tenant is another job
    h2 = tenant_key(client, "other")
    d = client.post("/v1/jobs", json=job(), headers={**h2, "Idempotency-Key": "same"})
    assert d.status_code == 201 and d.json()["id"] != a.json()["id"]


def test_tenant_isolation(client: TestClient) -> None:
    ha, hb = tenant_key(client, "a"), tenant_key(client, "b")
    pa = client.post("/v1/jobs", json=job(), headers={**ha, "Idempotency-Key": "1"}).json()
    assert client.get(f"/v1/jobs/{pa['id']}", headers=hb).status_code == 404
    assert client.post(f"/v1/jobs/{pa['id']}/complete", json={"energy_it_kwh": 5.0}, headers=hb).status_code == 404
    assert client.post(f"/v1/jobs/{pa['id']}/complete", json={"energy_it_kwh": 5.0}, headers=ha).status_code == 200
    assert client.get("/v1/accounts/me", headers=hb).json()["months"] == []
    assert len(client.get("/v1/accounts/me", headers=ha).json()["months"]) == 1
    assert client.get("/v1/accounts/me/statements/2025-01", headers=hb).status_code == 404
    assert client.get("/v1/tenants", headers=ha).status_code == 403


def test_auth(client: TestClient) -> None:
    assert client.post("/v1/jobs", json=job(), headers={"Idempotency-Key": "x"}).status_code == 401
    assert client.post("/v1/jobs", json=job(), headers={"Idempotency-Key": "x",
                                                         "Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/v1/tenants", json={"id": "x"}, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert client.post("/v1/tenants/ghost/keys", headers=admin()).status_code == 404


@pytest.mark.parametrize(("change", "where"), [
    ({"power_kw": -1.0}, "power_kw"), ({"origin": "atlantis"}, "origin"),
    ({"submit_time": "2031-01-01T00:00:00Z"}, "time"), ({"submit_time": "2025-01-01T03:00:00"}, "submit_time"),
    ({"colour": "green"}, "colour"), ({"job_class": "lukewarm"}, "job_class")])
def test_validation_is_422_with_details(client: TestClient, change: dict[str, object], where: str) -> None:
    h = tenant_key(client, "acme")
    r = client.post("/v1/jobs", json=job(**change), headers={**h, "Idempotency-Key": "v"})
    assert r.status_code == 422, r.text
    assert where in r.text


def test_body_limit_and_missing_key(client: TestClient) -> None:
    h = tenant_key(client, "acme")
    r = client.post("/v1/jobs", content=b"{" + b" " * 70_000 + b"}",
                    headers={**h, "Idempotency-Key": "big", "Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.post("/v1/jobs", json=job(), headers=h).status_code == 422  # Idempotency-Key is required


def test_complete_posts_to_the_ledger_once(client: TestClient, served: Scenario) -> None:
    h = tenant_key(client, "acme")
    p = client.post("/v1/jobs", json=job(), headers={**h, "Idempotency-Key": "c"}).json()
    r = client.post(f"/v1/jobs/{p['id']}/complete", json={"energy_it_kwh": 8.0}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "completed"
    s = served.network.site_ids.index(p["site"])
    inten = served.signals.frames["intensity_g_per_kwh"].iloc[3, s]
    want = 8.0 * marginal_pue(served)[s] * inten / 1000
    assert r.json()["actual_emissions_kg"] == pytest.approx(want)
    again = client.post(f"/v1/jobs/{p['id']}/complete", json={"energy_it_kwh": 99.0}, headers=h)
    assert again.json()["actual_emissions_kg"] == pytest.approx(want)
    acct = client.get("/v1/accounts/me", headers=h).json()
    assert acct["months"][0]["emissions_location_kg"] == pytest.approx(want)
    st = client.get("/v1/accounts/me/statements/2025-01", headers=h)
    assert st.status_code == 200 and st.json()["ledger"]["verified"] is True
    assert client.get("/v1/accounts/me/statements/2025-13", headers=h).status_code == 422
    assert verify(client.app.state.svc.engine).ok  # type: ignore[attr-defined]


def test_capacity_is_never_overbooked_and_survives_a_restart(served: Scenario, service_db: str) -> None:
    state = ServiceState(served, connect(service_db))
    app = create_app(Settings(admin_key="adm", rate_limit_per_s=1e4, rate_burst=10_000), state=state)
    with TestClient(app) as c:
        c.post("/v1/tenants", json={"id": "t"}, headers={"Authorization": "Bearer adm"})
        key = c.post("/v1/tenants/t/keys", headers={"Authorization": "Bearer adm"}).json()["key"]
        h = {"Authorization": f"Bearer {key}"}
        sites = []
        for i in range(30):  # 30 x 100 kW fill 1,000 + 2,000 kW exactly
            r = c.post("/v1/jobs", json=job(power_kw=100.0), headers={**h, "Idempotency-Key": f"j{i}"})
            assert r.status_code == 201
            sites.append(r.json()["site"])
        full = c.post("/v1/jobs", json=job(power_kw=100.0), headers={**h, "Idempotency-Key": "one-too-many"})
        assert full.status_code == 409 and "room" in full.text
        plan = state.policy.planned_kw.copy()
    cap = np.array([s.it_capacity_kw for s in served.network.sites])
    assert (plan <= cap[None, :] + 1e-9).all()
    assert plan[3].sum() == pytest.approx(3000.0) and sites.count("s0") == 10 and sites.count("s1") == 20
    again = ServiceState(served, connect(service_db))  # a restart: the plan comes back from the database
    np.testing.assert_allclose(again.policy.planned_kw, plan)


def test_sites_health_metrics_openapi(client: TestClient, served: Scenario) -> None:
    sites = client.get("/v1/sites").json()
    assert [s["id"] for s in sites] == served.network.site_ids
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    m = client.get("/metrics").text
    assert "shulu_http_requests_total" in m and 'route="/v1/sites"' in m
    spec = client.get("/openapi.json").json()
    assert "/v1/jobs" in spec["paths"] and "/emissions/bylocation" in spec["paths"]


def test_rate_limit(served: Scenario, tmp_path: object) -> None:
    state = ServiceState(served, connect(f"sqlite:///{tmp_path}/rl.db"))  # type: ignore[str-bytes-safe]
    with TestClient(create_app(Settings(admin_key="adm", rate_limit_per_s=0.01, rate_burst=2), state=state)) as c:
        codes = [c.get("/v1/tenants", headers={"Authorization": "Bearer adm"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_only_planner_policies_serve(served: Scenario, tmp_path: object) -> None:
    from shulu.errors import InputError

    with pytest.raises(InputError, match="planner policy"):
        ServiceState(served, connect(f"sqlite:///{tmp_path}/p.db"), policy="local")  # type: ignore[str-bytes-safe]
    assert make_scenario  # the factory is the served network's source

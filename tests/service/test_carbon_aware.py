"""The Carbon Aware SDK compatible routes, checked by hand against the served scenario's signal table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import make_scenario
from shulu.accounts.ledger import connect
from shulu.model import Scenario
from shulu.service.app import create_app
from shulu.service.routers import carbon_aware
from shulu.service.settings import Settings
from shulu.service.state import ServiceState

START = pd.Timestamp("2025-01-01T00:00Z")
EMISSIONS_DATA = {"location", "time", "rating", "duration"}
FORECAST_DTO = {"generatedAt", "requestedAt", "location", "dataStartAt", "dataEndAt", "windowSize",
                "optimalDataPoints", "forecastData"}
DATA_DTO = {"location", "timestamp", "duration", "value"}
CARBON_INTENSITY_DTO = {"location", "startTime", "endTime", "carbonIntensity"}


def iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(hours: float) -> pd.Timestamp:
    return START + pd.Timedelta(hours=hours)


@pytest.fixture
def scn() -> Scenario:
    """Three sites, two days of hourly intensities."""
    return make_scenario(n_sites=3, n_regions=2, hours=48, n_jobs=1)


@pytest.fixture
def frame(scn: Scenario) -> pd.DataFrame:
    return scn.signals.frames["intensity_g_per_kwh"]


@pytest.fixture
def state(scn: Scenario, tmp_path: Path) -> Iterator[ServiceState]:
    svc = ServiceState(scn, connect(f"sqlite:///{tmp_path / 'db.sqlite'}"), policy="spatio-temporal")
    svc.now = lambda: pd.Timestamp("2030-06-01T00:00Z")  # type: ignore[method-assign]  # outside the horizon
    yield svc
    svc.engine.dispose()


@pytest.fixture
def client(state: ServiceState) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(admin_key="admin"), state=state)) as c:
        yield c


def minutely(frame: pd.DataFrame, site: str) -> pd.Series:
    """The intensity minute by minute: an independent way to take time-weighted means over any minute span."""
    idx = pd.date_range(frame.index[0], periods=len(frame) * 60, freq="min")
    return pd.Series(np.repeat(frame[site].to_numpy(), 60), index=idx)


def minute_mean(frame: pd.DataFrame, site: str, a: pd.Timestamp, b: pd.Timestamp) -> float:
    m = minutely(frame, site)
    return float(m[(m.index >= a) & (m.index < b)].mean())


def assert_problem(r: Any, *keys: str) -> dict[str, Any]:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 400 and body["title"] and body["detail"]
    for key in keys:
        assert key in body["errors"], body
    return dict(body)


# --- /locations ------------------------------------------------------------------------------------------------------
def test_locations(client: TestClient, scn: Scenario) -> None:
    r = client.get("/locations")
    assert r.status_code == 200
    assert r.json() == {s.id: {"latitude": s.lat_deg, "longitude": s.lon_deg, "name": s.id}
                        for s in scn.network.sites}


# --- /emissions/bylocation(s) ----------------------------------------------------------------------------------------
def test_bylocation_one_point(client: TestClient, frame: pd.DataFrame) -> None:
    r = client.get("/emissions/bylocation", params={"location": "s1", "time": "2025-01-01T03:30:00Z"})
    assert r.status_code == 200, r.text
    [p] = r.json()
    assert set(p) == EMISSIONS_DATA
    assert p["location"] == "s1"
    assert pd.Timestamp(p["time"]) == at(3)
    assert p["rating"] == frame.loc[at(3), "s1"]
    assert p["duration"] == "01:00:00"


def test_bylocations_period(client: TestClient, frame: pd.DataFrame) -> None:
    # [03:00, 05:30) overlaps the hours 3, 4 and 5; location-major, time ascending
    r = client.get("/emissions/bylocations",
                   params={"location": ["s2", "s0"], "time": iso(at(3)), "toTime": "2025-01-01T05:30:00Z"})
    assert r.status_code == 200, r.text
    got = [(p["location"], pd.Timestamp(p["time"]), p["rating"]) for p in r.json()]
    assert got == [(s, at(h), frame.loc[at(h), s]) for s in ("s2", "s0") for h in (3, 4, 5)]


def test_duration_minutes_and_older_names(client: TestClient) -> None:
    base = client.get("/emissions/bylocation", params={"location": "s0", "time": iso(at(3)), "toTime": iso(at(6))})
    assert len(base.json()) == 3
    by_duration = client.get("/emissions/bylocation",
                             params={"location": "s0", "time": iso(at(3)), "durationMinutes": 180})
    by_old_names = client.get("/emissions/bylocation",
                              params={"location": "s0", "startTime": iso(at(3)), "endTime": iso(at(6))})
    assert by_duration.json() == base.json() == by_old_names.json()


def test_naive_times_are_utc(client: TestClient) -> None:
    a = client.get("/emissions/bylocation", params={"location": "s0", "time": "2025-01-01T03:00:00"})
    b = client.get("/emissions/bylocation", params={"location": "s0", "time": "2025-01-01T11:00:00+08:00"})
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()
    assert pd.Timestamp(a.json()[0]["time"]) == at(3)


def test_best_location_and_time(client: TestClient, frame: pd.DataFrame) -> None:
    # one instant: the greenest site then
    r = client.get("/emissions/bylocations/best",
                   params={"location": ["s0", "s1", "s2"], "time": "2025-01-01T07:10:00Z"})
    assert r.status_code == 200, r.text
    [p] = r.json()
    assert p["location"] == frame.loc[at(7)].idxmin()
    assert p["rating"] == frame.loc[at(7)].min()
    # a period: the greenest (site, hour) of all, found by brute force
    window = frame.loc[at(10):at(19), ["s0", "s2"]]
    hour, site = window.stack().idxmin()
    r = client.get("/emissions/bylocations/best",
                   params={"location": ["s0", "s2"], "time": iso(at(10)), "toTime": iso(at(20))})
    [p] = r.json()
    assert (p["location"], pd.Timestamp(p["time"]), p["rating"]) == (site, hour, window.to_numpy().min())


def test_now_is_the_default_time(client: TestClient, state: ServiceState, frame: pd.DataFrame) -> None:
    state.now = lambda: at(9.75)  # type: ignore[method-assign]
    [p] = client.get("/emissions/bylocation", params={"location": "s0"}).json()
    assert pd.Timestamp(p["time"]) == at(9) and p["rating"] == frame.loc[at(9), "s0"]


@pytest.mark.parametrize("params", [
    {"location": "s0"},  # now (2030) is outside the served horizon
    {"location": "s0", "time": "2024-12-31T23:59:59Z"},
    {"location": "s0", "time": "2025-01-03T00:00:00Z"},  # the horizon's end is exclusive
    {"location": "s0", "time": "2024-01-01T00:00:00Z", "toTime": "2024-12-31T00:00:00Z"},
    {"location": "s0", "time": "9999-12-31T23:59:59Z"},
    {"location": "s0", "time": "0001-01-01T00:00:00+23:59"},
])
@pytest.mark.parametrize("path", ["/emissions/bylocation", "/emissions/bylocations", "/emissions/bylocations/best"])
def test_no_data_is_204(client: TestClient, path: str, params: dict[str, str]) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 204, r.text
    assert r.content == b""


@pytest.mark.parametrize(("params", "key"), [
    ({"location": "s0", "time": "yesterday"}, "time"),
    ({"location": "s0", "time": iso(at(3)), "toTime": "2025-13-01T00:00:00Z"}, "toTime"),
    ({"location": "nowhere", "time": iso(at(3))}, "location"),
    ({"location": "", "time": iso(at(3))}, "location"),
    ({"time": iso(at(3))}, "location"),
    ({"location": "s0", "time": iso(at(5)), "toTime": iso(at(3))}, "time"),
    ({"location": "s0", "toTime": iso(at(3))}, "time"),
    ({"location": "s0", "time": iso(at(3)), "durationMinutes": -1}, "durationMinutes"),
    ({"location": "s0", "time": iso(at(3)), "durationMinutes": "ten"}, "durationMinutes"),
])
@pytest.mark.parametrize("path", ["/emissions/bylocation", "/emissions/bylocations", "/emissions/bylocations/best"])
def test_bad_emissions_queries_are_400(client: TestClient, path: str, params: dict[str, str], key: str) -> None:
    assert_problem(client.get(path, params=params), key)


def test_too_many_locations(client: TestClient) -> None:
    names = ["s0"] * (carbon_aware.MAX_LOCATIONS + 1)
    for path in ("/emissions/bylocations", "/emissions/bylocations/best", "/emissions/forecasts/current"):
        assert_problem(client.get(path, params={"location": names, "time": iso(at(3))}), "location")


def test_too_many_points(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(carbon_aware, "MAX_POINTS", 10)
    params = {"location": ["s0", "s1"], "time": iso(at(0)), "toTime": iso(at(6))}
    assert_problem(client.get("/emissions/bylocations", params=params), "toTime")
    params["toTime"] = iso(at(5))
    assert client.get("/emissions/bylocations", params=params).status_code == 200


# --- /emissions/forecasts ------------------------------------------------------------------------------------------
def test_current_forecast_best_window_by_brute_force(client: TestClient, state: ServiceState,
                                                     frame: pd.DataFrame) -> None:
    state.now = lambda: at(5.3)  # type: ignore[method-assign]
    r = client.get("/emissions/forecasts/current", params={"location": ["s1", "s2"], "windowSize": 180})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["location"] for f in body] == ["s1", "s2"]
    for f in body:
        assert set(f) == FORECAST_DTO
        assert pd.Timestamp(f["generatedAt"]) == at(5)  # issued at the step holding now
        assert pd.Timestamp(f["requestedAt"]) == at(5.3)
        assert pd.Timestamp(f["dataStartAt"]) == at(5) and pd.Timestamp(f["dataEndAt"]) == at(48)
        assert f["windowSize"] == 180
        # every 3-hour window from 05:00 stepping by an hour, the last ending at the horizon's end
        rolling = frame[f["location"]].iloc[5:].rolling(3).mean().dropna()
        starts = rolling.index - pd.Timedelta(hours=2)
        assert [pd.Timestamp(p["timestamp"]) for p in f["forecastData"]] == list(starts)
        assert [p["value"] for p in f["forecastData"]] == pytest.approx(rolling.to_list(), rel=1e-12)
        assert all(set(p) == DATA_DTO and p["duration"] == 180 and p["location"] == f["location"]
                   for p in f["forecastData"])
        [best] = f["optimalDataPoints"]
        assert pd.Timestamp(best["timestamp"]) == starts[int(np.argmin(rolling.to_numpy()))]
        assert best["value"] == pytest.approx(rolling.min(), rel=1e-12)
        assert best["duration"] == 180


def test_forecast_points_without_window_size(client: TestClient, frame: pd.DataFrame) -> None:
    # now (2030) is outside the served horizon: the forecast is issued at its start
    r = client.get("/emissions/forecasts/current",
                   params={"location": "s0", "dataStartAt": "2025-01-01T02:30:00Z", "dataEndAt": iso(at(8))})
    [f] = r.json()
    assert pd.Timestamp(f["generatedAt"]) == START
    assert f["windowSize"] == 60
    # the forecast's own hourly points overlapping [02:30, 08:00): hours 2..7
    assert [pd.Timestamp(p["timestamp"]) for p in f["forecastData"]] == [at(h) for h in range(2, 8)]
    assert [p["value"] for p in f["forecastData"]] == frame["s0"].iloc[2:8].to_list()
    hour = frame["s0"].iloc[2:8].idxmin()
    assert [pd.Timestamp(p["timestamp"]) for p in f["optimalDataPoints"]] == [hour]


def test_forecast_windows_off_the_hour(client: TestClient, frame: pd.DataFrame) -> None:
    # 90-minute windows from 06:30, stepping by an hour, inside [06:30, 12:00]: starts 06:30 .. 10:30
    r = client.get("/emissions/forecasts/current", params={
        "location": "s2", "dataStartAt": "2025-01-01T06:30:00Z", "dataEndAt": iso(at(12)), "windowSize": 90})
    [f] = r.json()
    starts = [at(6.5 + k) for k in range(5)]
    assert [pd.Timestamp(p["timestamp"]) for p in f["forecastData"]] == starts
    want = [minute_mean(frame, "s2", s, s + pd.Timedelta(minutes=90)) for s in starts]
    assert [p["value"] for p in f["forecastData"]] == pytest.approx(want, rel=1e-12)
    assert pd.Timestamp(f["optimalDataPoints"][0]["timestamp"]) == starts[int(np.argmin(want))]
    # by hand, the first: half of hour 6 and all of hour 7
    assert want[0] == pytest.approx((0.5 * frame.loc[at(6), "s2"] + frame.loc[at(7), "s2"]) / 1.5)


def test_window_longer_than_the_data(client: TestClient) -> None:
    r = client.get("/emissions/forecasts/current",
                   params={"location": "s0", "dataStartAt": iso(at(1)), "dataEndAt": iso(at(3)), "windowSize": 181})
    assert r.status_code == 200
    [f] = r.json()
    assert f["forecastData"] == [] and f["optimalDataPoints"] == []


def test_forecast_is_cut_at_the_forecast_horizon(tmp_path: Path) -> None:
    scn = make_scenario(n_sites=1, n_regions=1, hours=100, n_jobs=1)
    svc = ServiceState(scn, connect(f"sqlite:///{tmp_path / 'long.sqlite'}"), policy="spatio-temporal")
    svc.now = lambda: at(10)  # type: ignore[method-assign]
    with TestClient(create_app(Settings(admin_key="admin"), state=svc)) as c:
        [f] = c.get("/emissions/forecasts/current", params={"location": "s0"}).json()
    svc.engine.dispose()
    n = int(carbon_aware.FORECAST_HORIZON_H)
    assert len(f["forecastData"]) == n
    assert pd.Timestamp(f["dataEndAt"]) == at(10 + n)


def test_the_forecaster_is_used(client: TestClient, state: ServiceState, frame: pd.DataFrame,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert carbon_aware.FORECASTER == "perfect"
    monkeypatch.setattr(carbon_aware, "FORECASTER", "persistence")
    carbon_aware._forecaster.cache_clear()
    try:
        state.now = lambda: at(4)  # type: ignore[method-assign]
        [f] = client.get("/emissions/forecasts/current", params={"location": "s1"}).json()
    finally:
        monkeypatch.undo()
        carbon_aware._forecaster.cache_clear()
    assert {p["value"] for p in f["forecastData"]} == {frame.loc[at(4), "s1"]}  # the nowcast, held


def test_forecast_batch(client: TestClient, frame: pd.DataFrame) -> None:
    body = [{"requestedAt": "2025-01-01T10:15:00Z", "location": "s0", "dataEndAt": iso(at(16)), "windowSize": 120},
            {"requestedAt": "2025-01-02T00:00:00Z", "location": "s2", "dataStartAt": iso(at(30)),
             "dataEndAt": iso(at(34))}]
    r = client.post("/emissions/forecasts/batch", json=body)
    assert r.status_code == 200, r.text
    first, second = r.json()
    assert pd.Timestamp(first["generatedAt"]) == at(10) and pd.Timestamp(first["requestedAt"]) == at(10.25)
    assert pd.Timestamp(first["dataStartAt"]) == at(10) and pd.Timestamp(first["dataEndAt"]) == at(16)
    rolling = frame["s0"].iloc[10:16].rolling(2).mean().dropna()  # 2-hour windows from 10:00 ending by 16:00
    assert [p["value"] for p in first["forecastData"]] == pytest.approx(rolling.to_list(), rel=1e-12)
    assert pd.Timestamp(first["optimalDataPoints"][0]["timestamp"]) == rolling.idxmin() - pd.Timedelta(hours=1)
    assert pd.Timestamp(second["generatedAt"]) == at(24) and second["location"] == "s2"
    assert [p["value"] for p in second["forecastData"]] == frame["s2"].iloc[30:34].to_list()
    assert client.post("/emissions/forecasts/batch", json=[]).json() == []


@pytest.mark.parametrize(("params", "key"), [
    ({"location": "s0", "windowSize": 0}, "windowSize"),
    ({"location": "s0", "windowSize": -30}, "windowSize"),
    ({"location": "s0", "windowSize": "half an hour"}, "windowSize"),
    ({"location": "s0", "windowSize": 2**31}, "windowSize"),
    ({"location": "s0", "dataStartAt": iso(at(5)), "dataEndAt": iso(at(3))}, "dataStartAt"),
    ({"location": "s0", "dataStartAt": iso(at(5)), "dataEndAt": iso(at(5))}, "dataStartAt"),
    ({"location": "s0", "dataStartAt": "2024-01-01T00:00:00Z"}, "dataStartAt"),
    ({"location": "s0", "dataEndAt": "2031-01-01T00:00:00Z"}, "dataEndAt"),  # after the forecast's end
    ({"location": "s0", "dataStartAt": "not a time"}, "dataStartAt"),
    ({"location": "x"}, "location"),
    ({}, "location"),
])
def test_bad_forecast_queries_are_400(client: TestClient, params: dict[str, Any], key: str) -> None:
    assert_problem(client.get("/emissions/forecasts/current", params=params), key)


@pytest.mark.parametrize(("item", "key"), [
    ({"requestedAt": "2024-01-01T00:00:00Z", "location": "s0"}, "[1].requestedAt"),
    ({"location": "s0"}, "[1].requestedAt"),
    ({"requestedAt": iso(at(3)), "location": "nowhere"}, "[1].location"),
    ({"requestedAt": iso(at(3)), "location": "s0", "windowSize": 0}, "[1].windowSize"),
    ({"requestedAt": iso(at(3)), "location": "s0", "dataStartAt": iso(at(2))}, "[1].dataStartAt"),
    ({"requestedAt": iso(at(3)), "location": "s0", "color": "green"}, "[1].color"),
])
def test_bad_forecast_batches_are_400(client: TestClient, item: dict[str, Any], key: str) -> None:
    ok = {"requestedAt": iso(at(3)), "location": "s0"}
    assert_problem(client.post("/emissions/forecasts/batch", json=[ok, item]), key)


@pytest.mark.parametrize(("path", "item"), [
    ("/emissions/forecasts/batch", {"requestedAt": "2025-01-01T03:00:00Z", "location": "s0"}),
    ("/emissions/average-carbon-intensity/batch",
     {"location": "s0", "startTime": "2025-01-01T01:00:00Z", "endTime": "2025-01-01T02:00:00Z"}),
])
def test_bad_batch_bodies_are_400(client: TestClient, path: str, item: dict[str, str]) -> None:
    assert client.post(path, json=[item]).status_code == 200
    assert_problem(client.post(path, content=b"[{", headers={"Content-Type": "application/json"}))
    assert_problem(client.post(path, json=item))  # not an array
    assert_problem(client.post(path, json=[item] * (carbon_aware.MAX_BATCH + 1)), "$")


# --- /emissions/average-carbon-intensity -----------------------------------------------------------------------------
def test_average_carbon_intensity(client: TestClient, frame: pd.DataFrame) -> None:
    r = client.get("/emissions/average-carbon-intensity",
                   params={"location": "s1", "startTime": "2025-01-01T03:30:00Z", "endTime": "2025-01-01T07:15:00Z"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == CARBON_INTENSITY_DTO
    assert body["location"] == "s1"
    assert pd.Timestamp(body["startTime"]) == at(3.5) and pd.Timestamp(body["endTime"]) == at(7.25)
    assert body["carbonIntensity"] == pytest.approx(minute_mean(frame, "s1", at(3.5), at(7.25)), rel=1e-12)
    by_hand = (0.5 * frame.loc[at(3), "s1"] + frame.loc[at(4):at(6), "s1"].sum() + 0.25 * frame.loc[at(7), "s1"]) / 3.75
    assert body["carbonIntensity"] == pytest.approx(by_hand, rel=1e-12)
    # whole hours: the plain mean; the whole horizon is allowed
    whole = client.get("/emissions/average-carbon-intensity",
                       params={"location": "s0", "startTime": iso(at(0)), "endTime": iso(at(48))}).json()
    assert whole["carbonIntensity"] == pytest.approx(frame["s0"].mean(), rel=1e-12)


def test_average_batch(client: TestClient, frame: pd.DataFrame) -> None:
    body = [{"location": "s0", "startTime": "2025-01-01T01:00:00", "endTime": "2025-01-01T04:00:00"},
            {"location": "s2", "startTime": "2025-01-02T10:00:00Z", "endTime": "2025-01-02T10:20:00Z"}]
    r = client.post("/emissions/average-carbon-intensity/batch", json=body)
    assert r.status_code == 200, r.text
    first, second = r.json()
    assert set(first) == CARBON_INTENSITY_DTO
    assert first["carbonIntensity"] == pytest.approx(frame["s0"].iloc[1:4].mean(), rel=1e-12)
    assert second["location"] == "s2" and pd.Timestamp(second["startTime"]) == at(34)
    assert second["carbonIntensity"] == pytest.approx(frame.loc[at(34), "s2"], rel=1e-12)
    assert client.post("/emissions/average-carbon-intensity/batch", json=[]).json() == []


@pytest.mark.parametrize(("params", "key"), [
    ({"location": "s0", "startTime": iso(at(3))}, "endTime"),
    ({"location": "s0", "startTime": "soon", "endTime": iso(at(4))}, "startTime"),
    ({"location": "s0", "startTime": iso(at(4)), "endTime": iso(at(3))}, "startTime"),
    ({"location": "s0", "startTime": iso(at(4)), "endTime": iso(at(4))}, "startTime"),
    ({"location": "s0", "startTime": "2024-12-31T23:00:00Z", "endTime": iso(at(4))}, "startTime"),
    ({"location": "s0", "startTime": iso(at(40)), "endTime": iso(at(49))}, "endTime"),
    ({"location": "s0", "startTime": "0001-01-01T00:00:00+23:59", "endTime": "9999-12-31T23:59:59-23:59"},
     "startTime"),
    ({"location": "s9", "startTime": iso(at(3)), "endTime": iso(at(4))}, "location"),
])
def test_bad_average_queries_are_400(client: TestClient, params: dict[str, str], key: str) -> None:
    assert_problem(client.get("/emissions/average-carbon-intensity", params=params), key)


def test_bad_average_batch_names_the_item(client: TestClient) -> None:
    ok = {"location": "s0", "startTime": iso(at(1)), "endTime": iso(at(2))}
    bad = {"location": "s0", "startTime": iso(at(2)), "endTime": iso(at(1))}
    assert_problem(client.post("/emissions/average-carbon-intensity/batch", json=[ok, bad]), "[1].startTime")
    assert_problem(client.post("/emissions/average-carbon-intensity/batch", json=[ok, {"location": "s0"}]),
                   "[1].startTime", "[1].endTime")


# --- the published contract -------------------------------------------------------------------------------------------
def test_openapi_matches_the_sdk(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ops = {(m.upper(), p): op for p, item in spec["paths"].items() for m, op in item.items()}
    want = {("GET", "/emissions/bylocation"): ({"location", "time", "toTime"}, "GetEmissionsDataForLocationByTime"),
            ("GET", "/emissions/bylocations"): ({"location", "time", "toTime"}, "GetEmissionsDataForLocationsByTime"),
            ("GET", "/emissions/bylocations/best"): ({"location", "time", "toTime"},
                                                     "GetBestEmissionsDataForLocationsByTime"),
            ("GET", "/emissions/forecasts/current"): ({"location", "dataStartAt", "dataEndAt", "windowSize"},
                                                      "GetCurrentForecastData"),
            ("GET", "/emissions/average-carbon-intensity"): ({"location", "startTime", "endTime"},
                                                             "GetAverageCarbonIntensity"),
            ("POST", "/emissions/forecasts/batch"): (set(), "BatchForecastDataAsync"),
            ("POST", "/emissions/average-carbon-intensity/batch"): (set(), "GetAverageCarbonIntensityBatch"),
            ("GET", "/locations"): (set(), "GetAllLocations")}
    for key, (params, op_id) in want.items():
        op = ops[key]
        assert op["operationId"] == op_id
        assert params <= {p["name"] for p in op.get("parameters", [])}, key
        assert "400" in op["responses"] or key == ("GET", "/locations")
    schemas = spec["components"]["schemas"]
    assert set(schemas["EmissionsData"]["properties"]) == EMISSIONS_DATA
    assert set(schemas["EmissionsForecastDTO"]["properties"]) == FORECAST_DTO
    assert set(schemas["EmissionsDataDTO"]["properties"]) == DATA_DTO
    assert set(schemas["CarbonIntensityDTO"]["properties"]) == CARBON_INTENSITY_DTO
    assert set(schemas["CarbonIntensityBatchParametersDTO"]["properties"]) == {"location", "startTime", "endTime"}
    assert set(schemas["EmissionsForecastBatchParametersDTO"]["properties"]) == {
        "requestedAt", "location", "dataStartAt", "dataEndAt", "windowSize"}
    assert set(schemas["Location"]["properties"]) == {"latitude", "longitude", "name"}
    assert ops[("GET", "/emissions/bylocations")]["parameters"][0]["schema"]["type"] == "array"


def test_timespan() -> None:
    assert carbon_aware._timespan(3600) == "01:00:00"
    assert carbon_aware._timespan(900) == "00:15:00"
    assert carbon_aware._timespan(86_400 + 5 * 60 + 7) == "1.00:05:07"



# --- property tests: no input gives a 5xx ----------------------------------------------------------------------------
def _never_5xx(case_call: Any) -> None:
    response = case_call()
    assert response.status_code < 500, response.text
    assert response.status_code in {200, 204, 400}, response.text


def test_sdk_routes_never_fail_with_5xx_schemathesis(state: ServiceState) -> None:
    """Schemathesis over the app's OpenAPI for /emissions and /locations (its pytest plugin is not used: its
    ``from_fixture`` does not run under pytest 9)."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    state.now = lambda: at(6.5)  # type: ignore[method-assign]
    app = create_app(Settings(admin_key="admin"), state=state)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/(emissions|locations)")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            _never_5xx(case.call)

        check()


def test_near_miss_queries_never_fail_with_5xx(client: TestClient, state: ServiceState) -> None:
    """Known and unknown locations, times around the horizon's edges, odd windows: 200, 204 or 400, never 5xx."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    state.now = lambda: at(47.5)  # type: ignore[method-assign]
    times = st.one_of(st.none(), st.integers(-120, 49 * 60).map(lambda m: iso(START + pd.Timedelta(minutes=m))))
    paths = st.sampled_from(["/emissions/bylocation", "/emissions/bylocations", "/emissions/bylocations/best",
                             "/emissions/forecasts/current", "/emissions/average-carbon-intensity"])

    @given(path=paths, location=st.lists(st.sampled_from(["s0", "s1", "s2", "", "S0", "zz"]), min_size=1, max_size=3),
           t0=times, t1=times, window=st.one_of(st.none(), st.integers(-5, 4000)))
    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(path: str, location: list[str], t0: str | None, t1: str | None, window: int | None) -> None:
        names = {"/emissions/forecasts/current": ("dataStartAt", "dataEndAt"),
                 "/emissions/average-carbon-intensity": ("startTime", "endTime")}.get(path, ("time", "toTime"))
        params: dict[str, Any] = {"location": location[0] if path.endswith(("bylocation", "intensity")) else location}
        params.update({k: v for k, v in zip(names, (t0, t1), strict=True) if v is not None})
        if window is not None:
            params["windowSize" if "forecasts" in path else "durationMinutes"] = window
        _never_5xx(lambda: client.get(path, params=params))

    check()

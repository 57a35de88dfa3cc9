"""API clients and the provider chain, on recorded answers served by httpx.MockTransport (no network)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pandas as pd
import pytest

from samples import CARBON
from shulu.errors import InputError
from shulu.ingest.carbon.electricitymaps import ElectricityMapsClient
from shulu.ingest.carbon.providers import (
    ElectricityMapsProvider,
    FileProvider,
    ProviderChain,
    WattTimeProvider,
    chain_from_config,
)
from shulu.ingest.carbon.watttime import WattTimeClient
from shulu.ingest.http import HttpClient, ProviderError

Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str) -> dict[str, object]:
    return json.loads((CARBON / name).read_text(encoding="utf-8"))


def transport(handler: Handler, log: list[httpx.Request]) -> httpx.MockTransport:
    def wrapped(request: httpx.Request) -> httpx.Response:
        log.append(request)
        return handler(request)

    return httpx.MockTransport(wrapped)


def no_sleep(_: float) -> None:
    return None


# --- Electricity Maps ----------------------------------------------------------------------------------------------
def em_handler(request: httpx.Request) -> httpx.Response:
    if request.headers.get("auth-token") != "KEY":
        return httpx.Response(401, json={"message": "Invalid auth-token"})
    path = request.url.path
    if path.endswith("/carbon-intensity/history"):
        return httpx.Response(200, json=recorded("em_history_DE.json"))
    if path.endswith("/carbon-intensity/forecast"):
        return httpx.Response(200, json=recorded("em_forecast_DE.json"))
    if path.endswith("/carbon-intensity/past-range"):
        return httpx.Response(200, json=recorded("em_past_range_DE.json"))
    return httpx.Response(404, json={"message": "not found"})


def test_electricitymaps_client_history_forecast_past_range() -> None:
    log: list[httpx.Request] = []
    c = ElectricityMapsClient("KEY", transport=transport(em_handler, log), sleep=no_sleep)
    assert c.history("DE")["intensity_g_per_kwh"].tolist() == [412.0, 398.0, 385.0]
    assert c.forecast("DE")["intensity_g_per_kwh"].tolist() == [371.0, 366.0, 380.0, 402.0]
    df = c.past_range("DE", "2025-01-01T00:00Z", "2025-01-01T03:00Z")
    assert df["intensity_g_per_kwh"].tolist() == [301.0, 296.0, 290.0]  # the 03:00 value is outside [start, end)
    q = log[-1].url.params
    assert q["zone"] == "DE" and q["emissionFactorType"] == "direct" and q["start"].startswith("2025-01-01T00:00")
    assert log[0].url.host == "api.electricitymap.org" and log[0].url.path == "/v3/carbon-intensity/history"


def test_electricitymaps_past_range_is_split_into_ten_day_requests() -> None:
    log: list[httpx.Request] = []
    c = ElectricityMapsClient("KEY", transport=transport(em_handler, log), sleep=no_sleep)
    c.past_range("DE", "2025-01-01T00:00Z", "2025-01-01T04:00Z")
    assert len(log) == 1
    log.clear()
    # 25 days asked: three requests (10 + 10 + 5 days); the recording answers the same 4 hours each time
    df = ElectricityMapsClient("KEY", transport=transport(em_handler, log), sleep=no_sleep).past_range(
        "DE", "2025-01-01T00:00Z", "2025-01-26T00:00Z")
    assert len(df) == 4  # de-duplicated
    starts = [r.url.params["start"][:10] for r in log]
    assert starts == ["2025-01-01", "2025-01-11", "2025-01-21"]


def test_wrong_key_fails_at_once_with_a_hint() -> None:
    log: list[httpx.Request] = []
    c = ElectricityMapsClient("WRONG", transport=transport(em_handler, log), sleep=no_sleep)
    with pytest.raises(ProviderError, match=r"401.*Invalid auth-token.*credentials"):
        c.history("DE")
    assert len(log) == 1  # no retry on 401


def test_retries_transient_errors_with_backoff() -> None:
    waits: list[float] = []
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "5"}),
                    httpx.Response(200, json={"ok": 1})])
    http = HttpClient("https://x.test", transport=httpx.MockTransport(lambda r: next(answers)), sleep=waits.append,
                      backoff_s=1.0)
    assert http.get_json("a") == {"ok": 1}
    assert waits == [1.0, 5.0]  # doubled to 2.0, then raised to the server's Retry-After


def test_gives_up_after_the_last_attempt() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    http = HttpClient("https://x.test", transport=httpx.MockTransport(boom), sleep=no_sleep, attempts=3)
    with pytest.raises(ProviderError, match="after 3 attempts"):
        http.get_json("a")


# --- WattTime ------------------------------------------------------------------------------------------------------
class WattTimeServer:
    """Replays the recordings; the first token expires after one use to exercise the renewal."""

    def __init__(self) -> None:
        self.logins = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            expected = "Basic " + base64.b64encode(b"ada:secret").decode()
            if request.headers.get("authorization") != expected:
                return httpx.Response(401, json={"error": "bad login"})
            self.logins += 1  # the first answer is the recorded one; the renewal gets a fresh token
            return httpx.Response(200, json=recorded("wt_login.json") if self.logins == 1 else {"token": "t2"})
        if request.headers.get("authorization") != "Bearer t2" and self.logins < 2:
            return httpx.Response(401, json={"error": "token expired"})
        if request.url.path == "/v3/historical":
            assert request.url.params["signal_type"] == "co2_moer"
            return httpx.Response(200, json=recorded("wt_historical_CAISO_NORTH.json"))
        if request.url.path == "/v3/forecast":
            return httpx.Response(200, json=recorded("wt_forecast_CAISO_NORTH.json"))
        return httpx.Response(404)


def test_watttime_login_token_renewal_and_conversion() -> None:
    server = WattTimeServer()
    c = WattTimeClient("ada", "secret", transport=httpx.MockTransport(server), sleep=no_sleep)
    df = c.historical("CAISO_NORTH", "2025-06-01T00:00Z", "2025-06-01T00:30Z")
    assert server.logins == 2  # the first token was refused once and renewed
    assert df["intensity_g_per_kwh"].iloc[0] == pytest.approx(900.0 * 0.45359237)
    fc = c.forecast("CAISO_NORTH")
    assert fc["intensity_g_per_kwh"].tolist() == pytest.approx([v * 0.45359237 for v in (820.0, 815.5, 790.0)])


def test_watttime_bad_login() -> None:
    c = WattTimeClient("ada", "wrong", transport=httpx.MockTransport(WattTimeServer()), sleep=no_sleep)
    with pytest.raises(ProviderError, match=r"login.*401"):
        c.login()


# --- the provider chain --------------------------------------------------------------------------------------------
def test_chain_falls_back_in_order_and_caches(tmp_path: Path) -> None:
    em = ElectricityMapsProvider(ElectricityMapsClient("WRONG", transport=httpx.MockTransport(em_handler),
                                                       sleep=no_sleep), zones={"nw": "DE"})
    wt = WattTimeProvider(WattTimeClient("ada", "secret", transport=httpx.MockTransport(WattTimeServer()),
                                         sleep=no_sleep), zones={"nw": "CAISO_NORTH"})
    chain = ProviderChain([em, wt], cache_dir=tmp_path / "cache")
    df = chain.fetch("nw", "2025-06-01T00:00Z", "2025-06-01T00:30Z")
    assert [name for name, _ in chain.log] == ["electricitymaps", "watttime"]
    assert "401" in chain.log[0][1] and chain.log[1][1] == "ok"
    assert (df["zone"] == "nw").all() and len(df) == 6
    # a second fetch needs no network: every provider would now fail
    dead = httpx.MockTransport(lambda r: httpx.Response(500))
    em2 = ElectricityMapsProvider(ElectricityMapsClient("WRONG", transport=dead, sleep=no_sleep), zones={"nw": "DE"})
    wt2 = WattTimeProvider(WattTimeClient("ada", "secret", transport=dead, sleep=no_sleep),
                           zones={"nw": "CAISO_NORTH"})
    again = ProviderChain([em2, wt2], cache_dir=tmp_path / "cache").fetch("nw", "2025-06-01T00:00Z",
                                                                          "2025-06-01T00:30Z")
    assert again["intensity_g_per_kwh"].tolist() == df["intensity_g_per_kwh"].tolist()


def test_chain_skips_a_file_that_does_not_cover_the_range() -> None:
    short = FileProvider(CARBON / "em_older_DE_hourly.csv", "electricitymaps-csv")
    chain = ProviderChain([short])
    with pytest.raises(ProviderError, match=r"covers .* only"):
        chain.fetch("DE", "2022-01-01T00:00Z", "2022-01-02T00:00Z")
    ok = chain.fetch("DE", "2022-01-01T01:00Z", "2022-01-01T04:00Z")
    assert ok["intensity_g_per_kwh"].tolist() == [298.0, 310.25, 322.0]


def test_chain_from_config_names_missing_credentials(tmp_path: Path) -> None:
    cfg = {"cache_dir": "cache", "providers": [
        {"name": "electricitymaps", "api_key_env": "EM_KEY_FOR_TEST"},
        {"name": "file", "format": "electricitymaps-csv", "path": str(CARBON / "em_older_DE_hourly.csv")}]}
    chain = chain_from_config(cfg, env={}, base=tmp_path)
    df = chain.fetch("DE", pd.Timestamp("2022-01-01T00:00Z"), pd.Timestamp("2022-01-01T06:00Z"))
    assert len(df) == 6 and "export EM_KEY_FOR_TEST" in chain.log[0][1]
    assert list((tmp_path / "cache").glob("file-DE-*.parquet"))
    with pytest.raises(InputError, match="unknown provider"):
        chain_from_config({"providers": [{"name": "oracle-of-delphi"}]}, env={})

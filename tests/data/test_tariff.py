"""Time-of-use prices at known local times, NDRC ratios, critical peak, custom periods, bad input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from shulu.data import tariff
from shulu.errors import InputError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*local: str) -> pd.DatetimeIndex:
    """Beijing-time instants as a UTC index."""
    return pd.DatetimeIndex([pd.Timestamp(t) for t in local]).tz_convert("UTC")


def test_periods_at_known_local_times() -> None:
    idx = at("2025-01-01T03:00+08:00", "2025-01-01T06:55+08:00", "2025-01-01T07:00+08:00",
             "2025-01-01T08:00+08:00", "2025-01-01T10:55+08:00", "2025-01-01T11:00+08:00",
             "2025-01-01T14:00+08:00", "2025-01-01T17:00+08:00", "2025-01-01T21:55+08:00",
             "2025-01-01T22:00+08:00", "2025-01-01T23:00+08:00", "2025-01-01T23:30+08:00")
    p = tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6)
    v, f, k = 0.6 * 0.4, 0.6, 0.6 * 1.5
    np.testing.assert_allclose(p, [v, v, f, k, k, f, f, k, k, f, v, v], rtol=1e-12)


def test_utc_and_local_inputs_agree() -> None:
    utc = pd.date_range("2025-03-01T00:00Z", periods=24 * 7, freq="h")
    a = tariff.tou_price_cny_per_kwh(utc, flat_cny_per_kwh=0.5)
    b = tariff.tou_price_cny_per_kwh(utc.tz_convert("Asia/Shanghai"), flat_cny_per_kwh=0.5)
    np.testing.assert_array_equal(a, b)
    # 2025-01-01T03:00+08:00 is 2024-12-31T19:00Z: valley
    assert tariff.tou_price_cny_per_kwh(pd.DatetimeIndex(["2024-12-31T19:00Z"]), flat_cny_per_kwh=1.0)[0] == 0.4


def test_full_year_matches_a_hand_schedule_and_ndrc_ratio() -> None:
    idx = pd.date_range("2024-12-31T16:00Z", periods=8760, freq="h")
    p = tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.7)
    expected = []
    for ts in idx:
        h = ts.to_pydatetime().astimezone(SHANGHAI).hour
        if h >= 23 or h < 7:
            expected.append(0.7 * 0.4)
        elif 8 <= h < 11 or 17 <= h < 22:
            expected.append(0.7 * 1.5)
        else:
            expected.append(0.7)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    # 8 valley, 8 peak and 8 flat hours a day
    assert float(p.mean()) == pytest.approx(0.7 * (8 * 0.4 + 8 * 1.5 + 8 * 1.0) / 24)
    assert p.max() / p.min() >= tariff.NDRC_MIN_PEAK_VALLEY_RATIO  # NDRC 2021: peak:valley >= 3:1
    assert p.max() / 0.7 == pytest.approx(1.5) and p.min() / 0.7 == pytest.approx(0.4)


def test_critical_peak_in_summer_only() -> None:
    idx = at("2025-07-15T20:00+08:00", "2025-08-01T19:00+08:00", "2025-07-15T21:00+08:00",
             "2025-01-15T20:00+08:00", "2025-09-15T20:00+08:00")
    p = tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.5, critical_ratio=1.8)
    np.testing.assert_allclose(p, [0.9, 0.9, 0.75, 0.75, 0.75], rtol=1e-12)
    assert tariff.NDRC_MIN_CRITICAL_OVER_PEAK <= 1.8 / 1.5  # the ratio used above obeys NDRC 2021
    # without a critical ratio those hours are plain peak
    np.testing.assert_allclose(tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.5), 0.75, rtol=1e-12)
    assert list(tariff.tou_period(idx[:1])) == ["critical"]


def test_custom_periods_wrap_midnight_and_fractional_hours() -> None:
    periods = {"valley": ((22.0, 6.0), (11.5, 13.0)), "peak": ((18.0, 22.0),)}
    idx = at("2025-05-01T22:00+08:00", "2025-05-01T05:55+08:00", "2025-05-01T06:00+08:00",
             "2025-05-01T11:25+08:00", "2025-05-01T11:30+08:00", "2025-05-01T12:55+08:00", "2025-05-01T13:00+08:00",
             "2025-05-01T18:00+08:00")
    p = tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=1.0, peak_ratio=2.0, valley_ratio=0.5, periods=periods)
    np.testing.assert_allclose(p, [0.5, 0.5, 1.0, 1.0, 0.5, 0.5, 1.0, 2.0])


def test_other_time_zone() -> None:
    # the same UTC instant is 03:00 on 2 January in Shanghai (valley) and 19:00 in London (peak)
    idx = pd.DatetimeIndex(["2025-01-01T19:00Z"])
    assert tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=1.0)[0] == pytest.approx(0.4)
    assert tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=1.0, tz="Europe/London")[0] == pytest.approx(1.5)


def test_bad_input_rejected() -> None:
    idx = at("2025-01-01T03:00+08:00")
    with pytest.raises(InputError, match="timezone-aware"):
        tariff.tou_price_cny_per_kwh(pd.DatetimeIndex([datetime(2025, 1, 1, 3)]), flat_cny_per_kwh=0.6)
    with pytest.raises(InputError) as err:
        tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=-0.1)
    assert err.value.field == "flat_cny_per_kwh"
    for name in ("peak_ratio", "valley_ratio", "critical_ratio"):
        with pytest.raises(InputError) as err:
            tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6, **{name: 0.0})
        assert err.value.field == name
    with pytest.raises(InputError) as err:
        tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6, periods={"peak": ((8.0, 25.0),)})
    assert err.value.field == "periods.peak"
    with pytest.raises(InputError, match="unknown period"):
        tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6, periods={"shoulder": ((8.0, 9.0),)})

import pandas as pd
import pytest

from shulu import units
from shulu.errors import InputError
from shulu.timeindex import check_index, check_step, energy_kwh, make_index, series_to_utc, to_utc


def test_naive_timestamp_rejected_with_field() -> None:
    with pytest.raises(InputError) as exc:
        to_utc("2025-01-01 00:00", field="start", file="scenario.yaml")
    assert exc.value.field == "start" and exc.value.file == "scenario.yaml"
    assert "naive" in str(exc.value) and "timezone" in str(exc.value)


def test_offset_converted_to_utc() -> None:
    assert to_utc("2025-01-01T08:00+08:00") == pd.Timestamp("2025-01-01T00:00Z")


def test_series_names_first_naive_row() -> None:
    with pytest.raises(InputError) as exc:
        series_to_utc(["2025-01-01T00:00Z", "2025-01-01T01:00"], field="submit_time")
    assert exc.value.row == 1 and exc.value.field == "submit_time"


def test_naive_datetime_column_rejected() -> None:
    with pytest.raises(InputError, match="naive"):
        series_to_utc(pd.Series(pd.date_range("2025-01-01", periods=3, freq="h")))


def test_make_index_periods_and_end_agree() -> None:
    a = make_index("2025-01-01T00:00Z", step_s=900, periods=8)
    b = make_index("2025-01-01T00:00Z", step_s=900, end="2025-01-01T02:00Z")
    assert a.equals(b) and len(a) == 8 and str(a.tz) == "UTC"


@pytest.mark.parametrize("step", [299, 301, 700, 7200, 1.5])
def test_bad_steps(step: float) -> None:
    with pytest.raises(InputError, match="step"):
        check_step(step)


@pytest.mark.parametrize("step", [300, 600, 900, 1800, 3600])
def test_good_steps(step: int) -> None:
    assert check_step(step) == step


def test_check_index_names_gap_and_duplicate() -> None:
    idx = pd.DatetimeIndex(["2025-01-01T00:00Z", "2025-01-01T01:00Z", "2025-01-01T01:00Z"])
    with pytest.raises(InputError, match="duplicate") as exc:
        check_index(idx, step_s=3600)
    assert exc.value.row == 2
    idx = pd.DatetimeIndex(["2025-01-01T00:00Z", "2025-01-01T01:00Z", "2025-01-01T03:00Z"])
    with pytest.raises(InputError, match="gap"):
        check_index(idx, step_s=3600)


def test_energy_is_power_times_step() -> None:
    # 12 kW for 5 minutes = 1 kWh; 12 kW for one hour = 12 kWh
    assert energy_kwh(12.0, 300) == pytest.approx(1.0)
    assert energy_kwh(12.0, 3600) == pytest.approx(12.0)
    assert units.energy_kwh(12.0, 300) == pytest.approx(1.0)


def test_units_factors() -> None:
    assert pytest.approx(0.45359237) == units.LBS_PER_MWH_TO_G_PER_KWH
    assert units.SECONDS_PER_HOUR == 3600 and units.HOURS_PER_YEAR == 8760

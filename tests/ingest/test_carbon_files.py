"""Carbon-intensity importers on their samples (expected values read off the sample rows by hand) and on malformed
inputs (each error names the file, row and column)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from samples import CARBON
from shulu.errors import InputError
from shulu.ingest.carbon import read_carbon
from shulu.ingest.carbon.generic import ColumnMapping

UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC) if "+" not in text and not text.endswith("Z") else pd.Timestamp(text)


# --- the samples ---------------------------------------------------------------------------------------------------
def test_electricitymaps_csv_older_columns() -> None:
    df = read_carbon("electricitymaps-csv", CARBON / "em_older_DE_hourly.csv")
    assert len(df) == 6 and set(df["zone"]) == {"DE"}
    first = df.iloc[0]
    assert first["time"] == ts("2022-01-01T00:00Z")  # 'Datetime (UTC)' declares UTC
    assert first["intensity_g_per_kwh"] == 301.5 and first["intensity_direct_g_per_kwh"] == 301.5
    assert first["intensity_lca_g_per_kwh"] == 352.25
    assert first["cfe_frac"] == pytest.approx(0.551) and first["renewable_frac"] == pytest.approx(0.483)
    assert df["is_estimated"].tolist() == [False, False, True, False, False, False]
    assert df.iloc[2]["estimation_method"] == "TIME_SLICER_AVERAGE"
    assert (df["emission_factor_type"] == "direct").all() and (df["provider"] == "electricitymaps").all()
    lca = read_carbon("electricitymaps-csv", CARBON / "em_older_DE_hourly.csv", basis="lifecycle")
    assert lca["intensity_g_per_kwh"].tolist() == [352.25, 349.0, 360.5, 371.75, 380.0, 368.25]


def test_electricitymaps_csv_newer_columns() -> None:
    df = read_carbon("electricitymaps-csv", CARBON / "em_newer_SE-SE3_hourly.csv")
    assert df["zone"].tolist() == ["SE-SE3"] * 4
    assert df["time"].tolist() == [ts("2024-03-10T22:00Z"), ts("2024-03-10T23:00Z"), ts("2024-03-11T00:00Z"),
                                   ts("2024-03-11T01:00Z")]
    assert df["intensity_g_per_kwh"].tolist() == [8.4, 9.1, 10.0, 7.6]
    assert df["intensity_lca_g_per_kwh"].tolist() == [31.2, 32.0, 33.5, 30.4]
    assert df["cfe_frac"].iloc[0] == pytest.approx(0.986)
    assert df["is_estimated"].tolist() == [False, False, True, False]


def test_electricitymaps_api_history_and_forecast() -> None:
    hist = read_carbon("electricitymaps-json", CARBON / "em_history_DE.json")
    assert hist["intensity_g_per_kwh"].tolist() == [412.0, 398.0, 385.0]
    assert hist["time"].iloc[0] == ts("2025-03-01T10:00Z")
    assert (hist["emission_factor_type"] == "lifecycle").all()
    assert hist["is_estimated"].tolist() == [False, False, True]
    fc = read_carbon("electricitymaps-json", CARBON / "em_forecast_DE.json")
    assert fc["zone"].tolist() == ["DE"] * 4  # from the answer's top level
    assert fc["intensity_g_per_kwh"].tolist() == [371.0, 366.0, 380.0, 402.0]


def test_watttime_converts_lbs_per_mwh() -> None:
    df = read_carbon("watttime-json", CARBON / "wt_historical_CAISO_NORTH.json")
    lbs = [900.0, 880.0, 1000.0, 500.0, 0.0, 750.5]
    # by hand: 1 lb = 453.59237 g, 1 MWh = 1000 kWh
    assert df["intensity_g_per_kwh"].to_numpy() == pytest.approx([v * 453.59237 / 1000.0 for v in lbs])
    assert df["intensity_g_per_kwh"].iloc[2] == pytest.approx(453.59237)
    assert (df["zone"] == "CAISO_NORTH").all() and (df["emission_factor_type"] == "marginal").all()
    assert (df["duration_s"] == 300.0).all()
    assert df["time"].iloc[1] == ts("2025-06-01T00:05Z")


def test_casdk_emissions_file() -> None:
    df = read_carbon("casdk-json", CARBON / "casdk_emissions.json")
    east = df[df["zone"] == "eastus"]
    west = df[df["zone"] == "westus"]
    assert east["intensity_g_per_kwh"].tolist() == [410.5, 395.0, 380.25]
    assert west["time"].tolist() == [ts("2025-04-07T07:00Z"), ts("2025-04-07T08:00Z")]  # -07:00 -> UTC
    assert (df["duration_s"] == 3600.0).all()
    lbs = read_carbon("casdk-json", CARBON / "casdk_emissions.json", unit="lbs/MWh")
    assert lbs["intensity_g_per_kwh"].iloc[0] == pytest.approx(410.5 * 0.45359237)


def test_generic_csv_with_mapping_and_unit_from_name() -> None:
    m = ColumnMapping(time="timestamp", value="ci_kg_per_kwh", zone_column="region")
    df = read_carbon("csv", CARBON / "generic_kg_per_kwh.csv", mapping=m)
    zw = df[df["zone"] == "zhongwei"]
    assert zw["time"].iloc[0] == ts("2025-01-01T00:00Z")  # 08:00+08:00
    assert zw["intensity_g_per_kwh"].to_numpy() == pytest.approx([581.6, 570.2, 548.8])


def test_generic_parquet_and_naive_times_with_declared_zone(tmp_path: Path) -> None:
    p = tmp_path / "ci.parquet"
    pd.DataFrame({"t": pd.date_range("2025-01-01 08:00", periods=3, freq="h"), "v": [0.5, 0.6, 0.7]}).to_parquet(p)
    df = read_carbon("csv", p, mapping=ColumnMapping(time="t", value="v", zone="cn", unit="kg/kWh",
                                                     tz="Asia/Shanghai"))
    assert df["time"].iloc[0] == ts("2025-01-01T00:00Z")
    assert df["intensity_g_per_kwh"].to_numpy() == pytest.approx([500.0, 600.0, 700.0])


# --- malformed inputs ----------------------------------------------------------------------------------------------
def _em_lines() -> list[str]:
    return (CARBON / "em_older_DE_hourly.csv").read_text(encoding="utf-8").splitlines()


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _err(fmt: str, path: Path, **kw: object) -> InputError:
    with pytest.raises(InputError) as info:
        read_carbon(fmt, path, **kw)  # type: ignore[arg-type]
    return info.value


def test_bad_header_missing_time_column(tmp_path: Path) -> None:
    lines = _em_lines()
    lines[0] = lines[0].replace("Datetime (UTC)", "When")
    err = _err("electricitymaps-csv", _write(tmp_path, "x.csv", lines))
    assert err.field == "When" and "unexpected column" in str(err) and "x.csv" in str(err)


def test_bad_unit_in_header(tmp_path: Path) -> None:
    lines = _em_lines()
    lines[0] = lines[0].replace("gCO₂eq/kWh (direct)", "gCO₂eq/MJ (direct)")
    err = _err("electricitymaps-csv", _write(tmp_path, "x.csv", lines))
    assert "unknown unit" in str(err) and "MJ" in str(err.field)


def test_bad_unit_watttime(tmp_path: Path) -> None:
    body = json.loads((CARBON / "wt_historical_CAISO_NORTH.json").read_text())
    body["meta"]["units"] = "kg_co2_per_mj"
    p = tmp_path / "wt.json"
    p.write_text(json.dumps(body))
    err = _err("watttime-json", p)
    assert err.field == "meta.units" and "kg_co2_per_mj" in str(err)


def test_no_unit_in_generic_value_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "g.csv", ["time,zone,ci", "2025-01-01T00:00Z,a,1"])
    err = _err("csv", p, mapping=ColumnMapping(value="ci"))
    assert err.field == "ci" and "unit" in str(err)


def test_gap_names_row_and_column(tmp_path: Path) -> None:
    lines = _em_lines()
    del lines[4]  # drop 03:00: data rows are now 00, 01, 02, 04, 05
    err = _err("electricitymaps-csv", _write(tmp_path, "gap.csv", lines))
    assert err.row == 3 and err.field == "Datetime (UTC)" and "gap" in str(err)
    assert "row 3, Datetime (UTC)" in str(err)


def test_duplicate_timestamp_names_both_rows(tmp_path: Path) -> None:
    lines = _em_lines()
    lines.insert(3, lines[2])  # data row 1 (01:00) repeated as data row 2
    err = _err("electricitymaps-csv", _write(tmp_path, "dup.csv", lines))
    assert err.row == 2 and err.field == "Datetime (UTC)" and "duplicate" in str(err) and "row 1" in str(err)


def test_naive_time_is_an_error(tmp_path: Path) -> None:
    body = json.loads((CARBON / "casdk_emissions.json").read_text())
    body["Emissions"][1]["Time"] = "2025-04-07T01:00:00"
    p = tmp_path / "c.json"
    p.write_text(json.dumps(body))
    err = _err("casdk-json", p)
    assert err.row == 1 and err.field == "Time" and "naive" in str(err)


def test_naive_time_in_generic_csv(tmp_path: Path) -> None:
    p = _write(tmp_path, "g.csv", ["time,zone,intensity_g_per_kwh", "2025-01-01T00:00Z,a,1",
                                   "2025-01-01 01:00,a,2"])
    err = _err("csv", p)
    assert err.row == 1 and err.field == "time" and "naive" in str(err)


def test_bad_value_and_negative_value(tmp_path: Path) -> None:
    lines = _em_lines()
    lines[5] = lines[5].replace("330.5", "lots")
    err = _err("electricitymaps-csv", _write(tmp_path, "v.csv", lines))
    assert err.row == 4 and err.field == "Carbon Intensity gCO₂eq/kWh (direct)" and "'lots'" in str(err)
    body = json.loads((CARBON / "wt_historical_CAISO_NORTH.json").read_text())
    body["data"][3]["value"] = -5
    p = tmp_path / "neg.json"
    p.write_text(json.dumps(body))
    err = _err("watttime-json", p)
    assert err.row == 3 and err.field == "value"


def test_malformed_json_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "m.json", ['{"zone": "DE",', '  "history": [}'])
    err = _err("electricitymaps-json", p)
    assert "line 2" in str(err)


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="electricitymaps-csv"):
        read_carbon("tea-leaves", CARBON / "em_history_DE.json")


def test_sorted_and_regular_per_zone() -> None:
    df = read_carbon("casdk-json", CARBON / "casdk_emissions.json")
    for _, g in df.groupby("zone"):
        d = np.diff(pd.DatetimeIndex(g["time"]).asi8)
        assert (d == d[0]).all() and d[0] > 0

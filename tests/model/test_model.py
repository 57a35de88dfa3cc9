import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from shulu.errors import InputError
from shulu.model import DemandRegion, Link, Network, PowerSupply, Site, Workload, pue
from shulu.model.network import fibre_latency_ms, great_circle_km


def site(**kw: object) -> Site:
    base: dict[str, object] = {"id": "a", "name": "A", "role": "east", "lat_deg": 30.0, "lon_deg": 120.0,
                              "it_capacity_kw": 100.0}
    base.update(kw)
    return Site(**base)  # type: ignore[arg-type]


def test_negative_capacity_rejected() -> None:
    with pytest.raises(ValidationError, match="it_capacity_kw"):
        site(it_capacity_kw=-5)


def test_wrong_unit_name_explained() -> None:
    with pytest.raises(ValidationError, match=r"wrong unit in field name 'it_capacity_mw': expected 'it_capacity_kw'"):
        Site(id="a", name="A", role="east", lat_deg=30.0, lon_deg=120.0, it_capacity_mw=1.0)  # type: ignore[call-arg]


def test_soc_order_checked() -> None:
    with pytest.raises(ValidationError, match="battery_soc_min_frac"):
        PowerSupply(battery_soc_min_frac=0.6, battery_soc_initial_frac=0.5)


def test_unknown_site_in_link() -> None:
    s = site()
    r = DemandRegion(id="r", name="R", lat_deg=31.0, lon_deg=121.0, weight_frac=1.0)
    with pytest.raises(ValidationError, match=r"links\[0\]\.b: unknown site or region 'nowhere'"):
        Network(sites=(s,), demand_regions=(r,), links=(Link(a="r", b="nowhere", latency_ms=1.0),))


def test_duplicate_ids() -> None:
    with pytest.raises(ValidationError, match="duplicate id"):
        Network(sites=(site(), site()), demand_regions=())


def test_latency_matrix() -> None:
    s = site()
    r = DemandRegion(id="r", name="R", lat_deg=31.0, lon_deg=121.0, weight_frac=1.0)
    net = Network(sites=(s,), demand_regions=(r,), links=(Link(a="a", b="r", latency_ms=3.5),))
    assert net.latency_matrix_ms().loc["r", "a"] == 3.5


def test_great_circle_by_hand() -> None:
    # one degree of latitude along a meridian = 2*pi*R/360 km
    expected = 2 * np.pi * 6371.0088 / 360
    assert great_circle_km(10.0, 20.0, 11.0, 20.0) == pytest.approx(expected, rel=1e-12)
    # 2,000 km x 1.5 / 200 km/ms = 15 ms
    assert fibre_latency_ms(2000.0, route_factor=1.5, fibre_km_per_ms=200.0) == pytest.approx(15.0)


def test_pue_formula_by_hand() -> None:
    # design 1.2, +0.01/°C above 15 °C, +0.1 at zero load: T=25, load 0.6 -> 1.2 + 0.1 + 0.04 = 1.34
    got = pue(25.0, 0.6, pue_design=1.2, pue_temp_coef_per_c=0.01, pue_ref_temp_c=15.0, pue_light_load_coef=0.1)
    assert float(got) == pytest.approx(1.34)
    # below the reference temperature only the load term applies
    got = pue(5.0, 1.0, pue_design=1.2, pue_temp_coef_per_c=0.01, pue_ref_temp_c=15.0, pue_light_load_coef=0.1)
    assert float(got) == pytest.approx(1.2)


def jobs(**over: object) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "job_id": [1, 2], "tenant": ["a", "b"], "origin": ["r", "r"],
        "submit_time": ["2025-01-01T00:00Z", "2025-01-01T01:00Z"], "duration_s": [60.0, 120.0],
        "power_kw": [1.0, 2.0], "device": ["cpu", "gpu"], "slack_s": [0.0, 10.0], "max_latency_ms": [10.0, 50.0],
        "data_gb": [0.0, 1.0], "interruptible": [False, True], "job_class": ["realtime", "warm"]}
    base.update(over)  # type: ignore[arg-type]
    return pd.DataFrame(base)


def test_workload_ok_and_deadline() -> None:
    wl = Workload.from_frame(jobs(), regions=["r"])
    assert wl.deadline().iloc[1] == pd.Timestamp("2025-01-01T01:02:10Z")
    assert float(wl.energy_kwh().sum()) == pytest.approx(60 / 3600 + 240 / 3600)


def test_workload_missing_column() -> None:
    df = jobs().drop(columns=["power_kw"])
    with pytest.raises(InputError, match="missing column") as exc:
        Workload.from_frame(df, file="workload.csv")
    assert exc.value.field == "power_kw" and exc.value.file == "workload.csv"


@pytest.mark.parametrize(("col", "vals", "msg"), [
    ("duration_s", [60.0, -1.0], "> 0"),
    ("submit_time", ["2025-01-01T00:00Z", "2025-01-01 01:00"], "naive"),
    ("job_class", ["realtime", "lukewarm"], "expected one of"),
    ("origin", ["r", "mars"], "unknown demand region"),
    ("job_id", [1, 1], "duplicate job_id"),
    ("interruptible", [True, "maybe"], "true/false"),
])
def test_workload_bad_values_name_row_and_column(col: str, vals: list[object], msg: str) -> None:
    with pytest.raises(InputError, match=msg) as exc:
        Workload.from_frame(jobs(**{col: vals}), regions=["r"])
    assert exc.value.field == col and exc.value.row == 1

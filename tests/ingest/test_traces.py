"""Trace importers on their samples (expected jobs worked out by hand from the sample rows and the assumptions:
5 W per core, GPU board powers V100 300 W / T4 70 W / MISC 250 W, 500 W per Google NCU), chunked reading, and
malformed inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samples import TRACES
from shulu.errors import InputError
from shulu.ingest.assumptions import load_assumptions
from shulu.ingest.traces import TraceOptions, import_trace, read_trace
from shulu.model.workload import COLUMN_NAMES, Workload

H = 3600.0


def at(t0: str, seconds: float) -> pd.Timestamp:
    return pd.Timestamp(t0).tz_convert("UTC") + pd.Timedelta(seconds=seconds)


def test_assumptions_have_sources() -> None:
    a = load_assumptions()
    assert a.cpu_w_per_core == 5.0 and a.gpu_watts("T4") == 70.0 and a.gpu_watts("H200-unknown") == 300.0
    assert a.classes["realtime"].slack_s == 0.0 and a.classes["realtime"].max_latency_ms == 20.0


def test_alibaba2018_batch_task() -> None:
    wl, rep = read_trace("alibaba2018", TRACES / "alibaba2018_batch_task.csv")
    f = wl.frame
    t0 = "2025-01-01T00:00+08:00"
    # rows 0, 1, 3 kept; 2 (Failed) and 5 (Running) by status, 4 (no run time), 6 (no plan_cpu) skipped
    assert f["submit_time"].tolist() == [at(t0, 86400), at(t0, 90000), at(t0, 3600)]
    assert f["duration_s"].tolist() == [3600.0, 1800.0, 3600.0]
    # cores = instance_num x plan_cpu / 100: 1, 4 x 0.5 = 2, 10 x 2 = 20; x 5 W
    assert f["power_kw"].tolist() == pytest.approx([0.005, 0.010, 0.100])
    assert set(f["job_class"]) == {"warm"} and set(f["device"]) == {"cpu"} and set(f["tenant"]) == {"alibaba2018"}
    assert f["slack_s"].tolist() == [21600.0] * 3
    assert rep.rows == 7 and rep.jobs == 3
    assert dict(rep.skipped) == {"status not finished": 2, "no run time": 1, "no CPU figure": 1}


def test_alibaba2018_batch_instance() -> None:
    wl, rep = read_trace("alibaba2018", TRACES / "alibaba2018_batch_instance.csv")
    f = wl.frame
    assert f["duration_s"].tolist() == [300.0, 90.0]
    # cpu_max 98 -> 0.98 core; second has no cpu_max: cpu_avg 45 -> 0.45 core
    assert f["power_kw"].tolist() == pytest.approx([0.98 * 5 / 1000, 0.45 * 5 / 1000])
    assert dict(rep.skipped) == {"status not finished": 1}


def test_pai2020_task_table() -> None:
    wl, rep = read_trace("pai2020", TRACES / "pai2020_task_table.csv")
    f = wl.frame
    t0 = "2025-01-02T00:00Z"
    assert f["submit_time"].iloc[0] == at(t0, 1739162)
    # Unix-epoch convention: trace second 1739162 read in UTC+8 is 11:06:02 local; so is ours
    assert f["submit_time"].iloc[0].tz_convert("Asia/Shanghai").strftime("%H:%M:%S") == "11:06:02"
    assert f["duration_s"].tolist() == [38.0, 3600.0, 3600.0, 7200.0, 86400.0]
    # 1 x (6 x 5 + 0.5 x 250) = 155 W; 2 x (4 x 5 + 1 x 300) = 640 W; 6 x 5 = 30 W;
    # 2 x 5 + 0.25 x 70 = 27.5 W; 8 x (8 x 5 + 8 x 300) = 19520 W
    assert f["power_kw"].tolist() == pytest.approx([0.155, 0.640, 0.030, 0.0275, 19.52])
    assert f["device"].tolist() == ["gpu", "gpu", "cpu", "gpu", "gpu"]
    assert f["job_class"].tolist() == ["cold", "cold", "cold", "realtime", "cold"]
    assert dict(rep.skipped) == {"status not finished": 2}


def test_google2019_instance_events_json() -> None:
    wl, rep = read_trace("google2019", TRACES / "google2019_instance_events.json")
    f = wl.frame
    t0 = "2025-01-01T00:00+08:00"
    # runs in order of their end events: (100,0) FINISH, (100,1) EVICT, (100,1) FINISH, (200,0) KILL
    assert f["submit_time"].tolist() == [at(t0, 600), at(t0, 600), at(t0, 1400), at(t0, 0)]
    assert f["duration_s"].tolist() == [60.0, 600.0, 1800.0, 7200.0]
    # cpus x 500 W: 0.02 -> 10 W; 0.05 -> 25 W; updated to 0.1 before scheduling -> 50 W; 0.5 -> 250 W
    assert f["power_kw"].tolist() == pytest.approx([0.010, 0.025, 0.050, 0.250])
    assert f["job_class"].tolist() == ["realtime", "warm", "warm", "cold"]
    assert dict(rep.skipped) == {"alloc-set events": 1, "runs that ended before they started": 1,
                                 "runs with no end event in the file": 1}


def test_google2019_csv_export() -> None:
    wl, _ = read_trace("google2019", TRACES / "google2019_instance_events.csv")
    f = wl.frame
    assert f["duration_s"].tolist() == [60.0, 900.0]
    assert f["power_kw"].tolist() == pytest.approx([0.010, 0.020])
    assert f["job_class"].tolist() == ["realtime", "warm"]


def test_azure_vmtable() -> None:
    wl, rep = read_trace("azure", TRACES / "azure_vmtable.csv")
    f = wl.frame
    assert f["duration_s"].tolist() == [3600.0, 86400.0, 3600.0, 2589600.0]
    # cores 2, 8, >24 -> 32, 24; x 5 W
    assert f["power_kw"].tolist() == pytest.approx([0.010, 0.040, 0.160, 0.120])
    assert f["job_class"].tolist() == ["realtime", "cold", "warm", "realtime"]
    assert f["tenant"].tolist() == ["sub-1f2e", "sub-1f2e", "sub-4d5c", "sub-4d5c"]
    assert f["interruptible"].tolist() == [False, True, False, False]
    assert dict(rep.skipped) == {"no lifetime": 1}


def test_origins_horizon_and_limit() -> None:
    opts = TraceOptions(time_zero="2025-01-01T00:00Z", origins=["bj", "sh"], weights=[0.0, 1.0],
                        start="2025-01-01T00:00Z", end="2025-01-01T00:30Z")
    wl, rep = read_trace("azure", TRACES / "azure_vmtable.csv", opts)
    assert wl.frame["origin"].tolist() == ["sh", "sh", "sh"]  # weight 0 for bj
    assert rep.skipped["after the horizon"] == 1  # vm-4e5f6a at 40 min
    wl2, _ = read_trace("azure", TRACES / "azure_vmtable.csv", TraceOptions(limit=2))
    assert wl2.frame["job_id"].tolist() == [0, 1]


SAMPLE_FILES = [("alibaba2018", "alibaba2018_batch_task.csv"), ("pai2020", "pai2020_task_table.csv"),
                ("google2019", "google2019_instance_events.json"), ("azure", "azure_vmtable.csv")]


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES)
@given(chunk=st.integers(min_value=1, max_value=9), seed=st.integers(0, 3))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_chunked_equals_whole(fmt: str, name: str, chunk: int, seed: int) -> None:
    opts = {"origins": ["a", "b", "c"], "weights": [1.0, 2.0, 3.0], "seed": seed}
    whole, rep_w = read_trace(fmt, TRACES / name, TraceOptions(chunk_rows=10_000, **opts))  # type: ignore[arg-type]
    parts, rep_p = read_trace(fmt, TRACES / name, TraceOptions(chunk_rows=chunk, **opts))  # type: ignore[arg-type]
    assert whole.equals(parts)
    assert rep_w.skipped == rep_p.skipped and rep_w.rows == rep_p.rows


@given(rows=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 10_000),
                               st.sampled_from(["Interactive", "Delay-insensitive", "Unknown"]),
                               st.sampled_from(["2", "4", "8", "24", ">24"])), min_size=1, max_size=40),
       chunk=st.integers(1, 15))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_chunked_equals_whole_generated(tmp_path_factory: pytest.TempPathFactory,
                                        rows: list[tuple[int, int, str, str]], chunk: int) -> None:
    path = tmp_path_factory.mktemp("az") / "vmtable.csv"
    path.write_text("".join(f"vm{i},s{i % 3},d,{c},{c + d},50,20,40,{cat},{b},8\n"
                            for i, (c, d, cat, b) in enumerate(rows)))
    whole, _ = read_trace("azure", path, TraceOptions(chunk_rows=1000, origins=["x", "y"]))
    parts, _ = read_trace("azure", path, TraceOptions(chunk_rows=chunk, origins=["x", "y"]))
    assert whole.equals(parts) and len(whole) == len(rows)
    # energy is conserved by hand: cores x 5 W x lifetime
    cores = {"2": 2, "4": 4, "8": 8, "24": 24, ">24": 32}
    expected_kwh = sum(cores[b] * 5.0 / 1000 * d / H for _, d, _, b in rows)
    assert float(whole.energy_kwh().sum()) == pytest.approx(expected_kwh)


def test_import_writes_parquet_that_loads_as_a_workload(tmp_path: Path) -> None:
    out = tmp_path / "jobs.parquet"
    rep = import_trace("pai2020", TRACES / "pai2020_task_table.csv", out, TraceOptions(chunk_rows=2))
    df = pd.read_parquet(out)
    assert list(df.columns) == list(COLUMN_NAMES) and len(df) == rep.jobs == 5
    wl = Workload.from_frame(df)
    assert wl.frame["power_kw"].tolist() == pytest.approx([0.155, 0.640, 0.030, 0.0275, 19.52])


# --- malformed traces: clear error naming row and column, nothing written -----------------------------------------
def _fails(fmt: str, path: Path, tmp_path: Path) -> InputError:
    out = tmp_path / "out" / "jobs.parquet"
    with pytest.raises(InputError) as info:
        import_trace(fmt, path, out, TraceOptions(chunk_rows=2))
    assert not out.exists()
    assert not list(out.parent.iterdir()) if out.parent.exists() else True  # no temporary file left
    return info.value


def _copy_with(tmp_path: Path, name: str, edit: dict[int, str]) -> Path:
    lines = (TRACES / name).read_text().splitlines()
    for i, text in edit.items():
        lines[i] = text
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def test_wrong_field_count_names_row(tmp_path: Path) -> None:
    p = _copy_with(tmp_path, "alibaba2018_batch_task.csv", {4: "M1,1,j_103,1,Terminated,5000,5000,100,0.2,extra"})
    err = _fails("alibaba2018", p, tmp_path)
    assert err.row == 4 and err.field == "(columns)" and "found 10" in str(err)


def test_non_numeric_time_names_row_and_column(tmp_path: Path) -> None:
    p = _copy_with(tmp_path, "azure_vmtable.csv", {3: "vm-3d4e5f,sub-4d5c,dep-5a90,soon,4800,100.0,60.0,95.0,"
                                                       "Unknown,>24,>64"})
    err = _fails("azure", p, tmp_path)
    assert err.row == 3 and err.field == "vmcreated" and "'soon'" in str(err)


def test_bad_header(tmp_path: Path) -> None:
    p = tmp_path / "pai.csv"
    text = (TRACES / "pai2020_task_table.csv").read_text()
    p.write_text("job,task,instances,state,begin,finish,cpu,mem,gpu,kind\n" + text)
    err = _fails("pai2020", p, tmp_path)
    assert err.row == 0 and "bad header" in str(err)
    # the real header (shipped separately) is accepted
    p.write_text("job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type\n" + text)
    wl, _ = read_trace("pai2020", p)
    assert len(wl) == 5


def test_unknown_category_is_a_bad_unit_error(tmp_path: Path) -> None:
    p = _copy_with(tmp_path, "azure_vmtable.csv", {1: "vm-1b2c3d,sub-1f2e,dep-77a1,300,86700,50.0,10.0,40.0,"
                                                       "Delay-insensitive,16 cores,32"})
    err = _fails("azure", p, tmp_path)
    assert err.row == 1 and err.field == "vmcorecountbucket"


def test_google_bad_json_line_and_missing_field(tmp_path: Path) -> None:
    p = _copy_with(tmp_path, "google2019_instance_events.json", {5: '{"time": "661000000", "type": '})
    err = _fails("google2019", p, tmp_path)
    assert err.row == 5 and "JSON" in str(err)
    p = _copy_with(tmp_path, "google2019_instance_events.json",
                   {2: '{"time":"600000000","type":"0","instance_index":"0"}'})
    err = _fails("google2019", p, tmp_path)
    assert err.row == 2 and err.field == "collection_id"


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_text("")
    err = _fails("azure", p, tmp_path)
    assert "empty" in str(err)


def test_error_in_a_late_chunk_leaves_nothing(tmp_path: Path) -> None:
    p = _copy_with(tmp_path, "alibaba2018_batch_task.csv", {6: "M2,1,j_105,1,Terminated,7300,later,,0.2"})
    err = _fails("alibaba2018", p, tmp_path)  # rows 0..5 were fine and already streamed
    assert err.row == 6 and err.field == "end_time"
    assert np.isfinite(err.row)

"""Scenario folders: ``scenario.yaml`` (static data, units in field names) + signal and workload tables.

Layout::

    my-scenario/
      scenario.yaml       # name, horizon, step, sites, demand_regions, links, settings, file names
      signals.parquet     # time, site, intensity_g_per_kwh, price_cny_per_kwh, solar_cf, ... (or .csv)
      workload.parquet    # one row per job (or .csv)

Saving writes into a temporary folder and renames it into place, so a failed
save never leaves a half-written scenario. Save -> load is an identity.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from shulu.errors import InputError
from shulu.io.atomic import replace_folder
from shulu.model.network import DemandRegion, Link, Network
from shulu.model.scenario import Scenario
from shulu.model.schema import Record, quantity, text
from shulu.model.signals import Signals
from shulu.model.site import Site
from shulu.model.workload import Workload
from shulu.timeindex import check_step, to_utc

SCENARIO_FILE = "scenario.yaml"
FORMAT_VERSION = 1


class ScenarioFiles(Record):
    """Names of the tables beside ``scenario.yaml`` (Parquet or CSV by extension)."""

    signals: str = text("Signals table", "signals.parquet", pattern=r"^[^/\\]+\.(parquet|csv)$")
    workload: str = text("Workload table", "workload.parquet", pattern=r"^[^/\\]+\.(parquet|csv)$")


class ScenarioSpec(Record):
    """The contents of ``scenario.yaml``."""

    shulu_scenario: int = text("File format version", FORMAT_VERSION)
    name: str = text("Scenario name")
    description: str = text("Free text", "")
    start: str = text("Start of the horizon, ISO 8601 with timezone")
    end: str = text("End of the horizon (exclusive), ISO 8601 with timezone")
    step_s: int = quantity("s", "Step length (300..3600, divides an hour)")
    seed: int = text("Seed", 0)
    settings: dict[str, Any] = text("Free-form settings", {})
    files: ScenarioFiles = text("Table file names", ScenarioFiles())
    sites: tuple[Site, ...] = text("Data-center sites")
    demand_regions: tuple[DemandRegion, ...] = text("Demand regions")
    links: tuple[Link, ...] = text("Links", ())


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_to_input_error(exc: ValidationError, file: str) -> InputError:
    """Turn a pydantic error into an :class:`InputError` naming the file and every field path."""
    lines = []
    first_field = None
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        field = _loc(loc) or "(top level)"
        first_field = first_field or field
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        show_got = err["type"] not in ("missing", "value_error") and not isinstance(got, dict | list)
        lines.append(f"{field}: {msg}" + (f" (got {got!r})" if show_got else ""))
    if len(lines) == 1:
        return InputError(lines[0].split(": ", 1)[1] if ": " in lines[0] else lines[0], file=file, field=first_field)
    return InputError(f"{len(lines)} problems:\n  " + "\n  ".join(lines), file=file)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text_ = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no {SCENARIO_FILE} here; expected a scenario folder", file=str(path)) from None
    try:
        data = yaml.safe_load(text_)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"malformed YAML: {where}{problem}", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping at the top level, got {type(data).__name__}", file=str(path))
    return data


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError("file not found (named in scenario.yaml 'files')", file=str(path))
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"could not read table: {exc}", file=str(path)) from None


def load_scenario(folder: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario folder.

    Parameters
    ----------
    folder : path
        A folder holding ``scenario.yaml`` and its tables.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Naming the file, field or row/column and what was expected.
    """
    folder = Path(folder)
    ypath = folder / SCENARIO_FILE
    data = _read_yaml(ypath)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_to_input_error(exc, str(ypath)) from None
    try:
        network = Network(sites=spec.sites, demand_regions=spec.demand_regions, links=spec.links)
    except ValidationError as exc:
        raise validation_to_input_error(exc, str(ypath)) from None
    start = to_utc(spec.start, field="start", file=str(ypath))
    end = to_utc(spec.end, field="end", file=str(ypath))
    step_s = check_step(spec.step_s, file=str(ypath))
    spath = folder / spec.files.signals
    signals = Signals.from_long(_read_table(spath), step_s=step_s, sites=network.site_ids, file=str(spath))
    wpath = folder / spec.files.workload
    workload = Workload.from_frame(_read_table(wpath), file=str(wpath), regions=network.region_ids)
    try:
        return Scenario(name=spec.name, network=network, signals=signals, workload=workload, start=start, end=end,
                        step_s=step_s, seed=spec.seed, description=spec.description, settings=dict(spec.settings))
    except InputError as exc:
        raise exc.with_file(str(ypath)) from None


def scenario_to_yaml_dict(scn: Scenario, files: ScenarioFiles | None = None) -> dict[str, Any]:
    """The ``scenario.yaml`` mapping of a scenario (defaults included, for a self-describing file)."""
    spec = ScenarioSpec(name=scn.name, description=scn.description, start=scn.start.isoformat(),
                        end=scn.end.isoformat(), step_s=scn.step_s, seed=scn.seed, settings=scn.settings,
                        files=files or ScenarioFiles(), sites=scn.network.sites,
                        demand_regions=scn.network.demand_regions, links=scn.network.links)
    return spec.model_dump(mode="json")


def save_scenario(scn: Scenario, folder: str | os.PathLike[str], *, table_format: str = "parquet",
                  overwrite: bool = True) -> Path:
    """Write a scenario folder atomically.

    Parameters
    ----------
    scn : Scenario
    folder : path
        Target folder; replaced as a whole if it already holds a scenario.
    table_format : {"parquet", "csv"}
        Format of the signal and workload tables.
    overwrite : bool
        Replace an existing scenario folder.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    if table_format not in ("parquet", "csv"):
        raise InputError(f"expected table format 'parquet' or 'csv', got {table_format!r}", field="table_format")
    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            raise InputError("expected a folder path, found a file", file=str(folder))
        if any(folder.iterdir()) and not (folder / SCENARIO_FILE).exists():
            raise InputError("refusing to replace a non-empty folder that is not a scenario", file=str(folder))
        if not overwrite and (folder / SCENARIO_FILE).exists():
            raise InputError("scenario exists (use overwrite)", file=str(folder))
    files = ScenarioFiles(signals=f"signals.{table_format}", workload=f"workload.{table_format}")
    with replace_folder(folder) as tmp:
        with open(tmp / SCENARIO_FILE, "w", encoding="utf-8") as fh:
            yaml.safe_dump(scenario_to_yaml_dict(scn, files), fh, sort_keys=False, allow_unicode=True, width=110)
        sig = scn.signals.to_long()
        wl = scn.workload.frame
        if table_format == "parquet":
            sig.to_parquet(tmp / files.signals, index=False)
            wl.to_parquet(tmp / files.workload, index=False)
        else:
            sig.assign(time=sig["time"].map(lambda t: t.isoformat())).to_csv(tmp / files.signals, index=False,
                                                                             float_format="%.17g")
            wl.assign(submit_time=wl["submit_time"].map(lambda t: t.isoformat())).to_csv(
                tmp / files.workload, index=False, float_format="%.17g")
    return folder

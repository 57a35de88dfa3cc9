"""The ``SWEEP.yaml`` schema and its expansion into cells.

A sweep file names one scenario, a grid of axes and fixed policy parameters::

    name: china-policies
    scenario:                 # the built-in China network ...
      builtin: china
      year: 2025
      jobs: 5000
      days: 28                # optional: simulate only the first 28 days
    # scenario: china-2025    # ... or a scenario folder (relative to this file)
    grid:
      policy: [local, spatio-temporal]
      forecast: [perfect, noisy]
      mape: [0.1, 0.2]
      seed: [1, 2]
      carbon_price_cny_per_t: [50, 200]   # any other key: a policy-parameter axis
    params:                   # fixed parameters by policy name
      spatio-temporal: {flex_cap_frac: 0.7}
    retries: 2

The grid is the Cartesian product of its axes. An axis that does not apply to a policy is dropped for that
policy's cells (``local`` takes no forecast; ``mape`` applies only to the ``noisy`` forecast; a parameter axis only
to the policies that take that parameter), and cells that become identical are run once. Every cell has a stable
id: a hash of its parameters (:func:`cell_id`), so a sweep can be extended or resumed.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from shulu.errors import InputError
from shulu.forecast import FORECASTERS
from shulu.io.scenario_files import validation_to_input_error
from shulu.policies import POLICIES, get_policy
from shulu.sim.battery import DISPATCH_RULES
from shulu.sim.result import SUMMARY_FIELDS

#: Grid axes with a meaning of their own; any other grid key is a policy-parameter axis.
CORE_AXES: tuple[str, ...] = ("policy", "forecast", "mape", "seed", "dispatch")
#: Columns of a result row besides the summary fields and the parameter axes.
ROW_META: tuple[str, ...] = ("cell_id", "scenario", "scenario_hash", *CORE_AXES, "policy_params")
#: Columns appended after the summary fields.
ROW_TAIL: tuple[str, ...] = ("cell_wall_s", "worker", "finished_utc")
#: Policy parameters the sweep sets itself from the core axes.
_FORECAST_PARAMS = ("forecast", "mape", "forecast_seed")


class BuiltinScenario(BaseModel):
    """The built-in China network, synthesised on each worker (deterministic by seed)."""

    model_config = ConfigDict(extra="forbid")

    builtin: Literal["china"]
    year: int = Field(2025, ge=1900, le=2200)
    jobs: int = Field(20_000, ge=0, description="Synthetic jobs over the whole year")
    seed: int | None = Field(None, description="Fixed seed of profiles and workload; default: each cell's seed")
    step_s: int = Field(3600, ge=300, le=3600, description="Step length [s]")
    days: int | None = Field(None, gt=0, description="Simulate only the first N days [day]")


class FolderScenario(BaseModel):
    """A scenario folder (``shulu data ...`` output); a relative path is relative to the sweep file."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1)
    days: int | None = Field(None, gt=0, description="Simulate only the first N days [day]")


def _as_list(v: Any) -> Any:
    return v if isinstance(v, list) else [v]


class Grid(BaseModel):
    """Axes of the sweep (scalars count as one-element lists). Extra keys are policy-parameter axes."""

    model_config = ConfigDict(extra="allow")

    policy: list[str] = Field(min_length=1)
    forecast: list[str] | None = None
    mape: list[float] | None = None
    seed: list[int] = Field(default_factory=lambda: [0], min_length=1)
    dispatch: list[str] = Field(default_factory=lambda: ["self-consumption"], min_length=1)

    @field_validator("policy", "forecast", "mape", "seed", "dispatch", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return None if v is None else _as_list(v)

    @field_validator("policy", "forecast", "mape", "seed", "dispatch")
    @classmethod
    def _once(cls, v: list[Any] | None) -> list[Any] | None:
        if v is not None and len(set(map(json.dumps, v))) != len(v):
            raise ValueError(f"each value once, please (got {v})")
        return v

    @field_validator("mape")
    @classmethod
    def _fractions(cls, v: list[float] | None) -> list[float] | None:
        for m in v or []:
            if not 0.0 <= m < 1.0:
                raise ValueError(f"expected fractions in [0, 1), got {m}")
        return v

    @model_validator(mode="after")
    def _check(self) -> Grid:
        for name, values in (self.model_extra or {}).items():
            if isinstance(values, list) and not values:
                raise ValueError(f"{name}: expected at least one value")
            if isinstance(values, list) and len({json.dumps(x, default=str) for x in values}) != len(values):
                raise ValueError(f"{name}: each value once, please (got {values})")
        return self

    def param_axes(self) -> dict[str, list[Any]]:
        """The policy-parameter axes (grid keys other than :data:`CORE_AXES`), in file order."""
        return {k: _as_list(v) for k, v in (self.model_extra or {}).items()}


class SweepSpec(BaseModel):
    """A sweep: one scenario, a grid of axes, fixed parameters by policy, retries per cell."""

    model_config = ConfigDict(extra="forbid")

    name: str = "sweep"
    scenario: BuiltinScenario | FolderScenario
    grid: Grid
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    retries: int = Field(2, ge=0, le=20, description="Reruns of a cell that raised (a lost worker always reruns)")
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("scenario", mode="before")
    @classmethod
    def _scenario_path(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"path": v}
        if isinstance(v, dict) and "builtin" not in v and "path" not in v:
            raise ValueError("expected a folder path, {path: FOLDER} or {builtin: china, year, jobs, seed}")
        return v

    @property
    def base_dir(self) -> Path:
        """Folder that relative scenario paths start from (the sweep file's)."""
        return self._base_dir

    def with_base_dir(self, base: str | Path) -> SweepSpec:
        """This spec with relative scenario paths resolved against ``base``."""
        self._base_dir = Path(base)
        return self


class Cell(BaseModel):
    """One run of a sweep: a scenario, a policy with its parameters, a dispatch rule and a seed.

    ``forecast`` and ``mape`` hold what the policy actually uses (``None`` where they do not apply); ``params``
    holds the other policy parameters (fixed ones and parameter axes).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: dict[str, Any]
    policy: str
    forecast: str | None = None
    mape: float | None = None
    seed: int = 0
    dispatch: str = "self-consumption"
    params: dict[str, Any] = Field(default_factory=dict)
    axes: dict[str, Any] = Field(default_factory=dict, description="Values of the parameter axes (None: n/a)")
    location: str | None = Field(None, description="Resolved scenario folder (not part of the id)")

    @property
    def id(self) -> str:
        """The stable cell id (:func:`cell_id`)."""
        return cell_id(self)

    def policy_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`shulu.policies.get_policy`."""
        kw: dict[str, Any] = {}
        if self.forecast is not None:
            kw["forecast"] = self.forecast
        if self.forecast == "noisy":
            kw["mape"] = self.mape
            kw["forecast_seed"] = self.seed
        kw.update(self.params)
        return kw


def cell_id(cell: Cell) -> str:
    """A stable id for a cell: the first 16 hex digits of SHA-256 over its canonical JSON parameters.

    Examples
    --------
    >>> c = Cell(scenario={"path": "x"}, policy="local", seed=1)
    >>> cell_id(c) == cell_id(Cell(scenario={"path": "x"}, policy="local", seed=1, location="/elsewhere/x"))
    True
    >>> len(cell_id(c))
    16
    """
    payload = {"scenario": cell.scenario, "policy": cell.policy, "forecast": cell.forecast, "mape": cell.mape,
               "seed": cell.seed, "dispatch": cell.dispatch, "params": cell.params}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _policy_signature(name: str) -> tuple[set[str], dict[str, Any]]:
    """Parameter names a policy's constructor takes (through ``**kw`` up its bases) and their defaults."""
    names: set[str] = set()
    defaults: dict[str, Any] = {}
    for klass in POLICIES[name].__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        sig = inspect.signature(init)
        more = False
        for p in list(sig.parameters.values())[1:]:
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                more = True
            elif p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
                names.add(p.name)
                if p.default is not inspect.Parameter.empty:
                    defaults.setdefault(p.name, p.default)
        if not more:
            break
    return names, defaults


def read_spec(path: str | Path) -> SweepSpec:
    """Read and validate a ``SWEEP.yaml``.

    Raises
    ------
    InputError
        Naming the file and the YAML field (``grid.policy[1]: unknown policy ...``), for malformed YAML, a
        schema violation, an unknown policy, forecast or dispatch rule, a parameter no policy takes, or a
        scenario folder that is not there.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such sweep file", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("expected a sweep YAML file, got a folder", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise InputError(f"malformed YAML: {where}{getattr(exc, 'problem', None) or exc}", file=str(path)) from None
    spec = parse_spec(data, file=str(path)).with_base_dir(path.resolve().parent)
    try:
        expand(spec)
        check_scenario(spec)
    except InputError as exc:
        raise exc.with_file(str(path)) from None
    return spec


def parse_spec(data: Any, *, file: str | None = None) -> SweepSpec:
    """Validate a sweep given as a mapping (the parsed YAML).

    Raises
    ------
    InputError
        Naming the field, for anything the schema rejects.
    """
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping with scenario and grid, got {type(data).__name__}", file=file)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_to_input_error(exc, file or "") from None
    return spec


def _scenario_key(spec: SweepSpec, seed: int) -> tuple[dict[str, Any], str | None]:
    """The scenario part of a cell (hashed) and the resolved folder (not hashed)."""
    scn = spec.scenario
    if isinstance(scn, BuiltinScenario):
        key = scn.model_dump()
        key["seed"] = seed if scn.seed is None else scn.seed
        return key, None
    folder = Path(scn.path)
    folder = folder if folder.is_absolute() else spec.base_dir / folder
    return scn.model_dump(), str(folder)


def expand(spec: SweepSpec) -> list[Cell]:
    """Expand a sweep into its cells, in grid order, without duplicates.

    Returns
    -------
    list of Cell

    Raises
    ------
    InputError
        Naming the grid or params field that names an unknown policy, forecast or dispatch rule, a parameter
        that no policy in the grid takes, an axis that no cell uses, or bad parameter values.

    Examples
    --------
    >>> spec = parse_spec({"scenario": "x", "grid": {"policy": ["local", "greenest-now"],
    ...                    "forecast": ["perfect", "noisy"], "mape": [0.1, 0.2], "seed": [1, 2]}})
    >>> len(expand(spec))  # local: 2 seeds; greenest-now: (perfect + noisy x 2 mape) x 2 seeds
    8
    """
    g = spec.grid
    for i, name in enumerate(g.policy):
        if name not in POLICIES:
            raise InputError(f"unknown policy {name!r}; expected one of {sorted(POLICIES)}", field=f"grid.policy[{i}]")
    for i, name in enumerate(g.forecast or []):
        if name not in FORECASTERS:
            raise InputError(f"unknown forecast {name!r}; expected one of {sorted(FORECASTERS)}",
                             field=f"grid.forecast[{i}]")
    for i, name in enumerate(g.dispatch):
        if name not in DISPATCH_RULES:
            raise InputError(f"unknown dispatch rule {name!r}; expected one of {sorted(DISPATCH_RULES)}",
                             field=f"grid.dispatch[{i}]")
    sigs = {p: _policy_signature(p) for p in g.policy}
    for pol, fixed in spec.params.items():
        if pol not in POLICIES:
            raise InputError(f"unknown policy {pol!r}; expected one of {sorted(POLICIES)}", field=f"params.{pol}")
        if pol not in g.policy:
            raise InputError(f"policy {pol!r} is not in grid.policy {g.policy}", field=f"params.{pol}")
        for k in fixed:
            if k in _FORECAST_PARAMS[:2]:
                raise InputError(f"set {k} as a grid axis (grid.{k}), not as a fixed parameter",
                                 field=f"params.{pol}.{k}")
            if k not in sigs[pol][0]:
                raise InputError(f"policy {pol!r} takes no parameter {k!r}; it takes {sorted(sigs[pol][0])}",
                                 field=f"params.{pol}.{k}")
    axes = g.param_axes()
    reserved = set(ROW_META) | set(ROW_TAIL) | {f[0] for f in SUMMARY_FIELDS} | set(_FORECAST_PARAMS)
    for name in axes:
        if name in reserved:
            raise InputError(f"{name!r} cannot be a parameter axis (it is a column or set by the sweep)",
                             field=f"grid.{name}")
        if not any(name in sigs[p][0] for p in g.policy):
            raise InputError(f"no policy in grid.policy takes parameter {name!r}", field=f"grid.{name}")
    if not g.policy:  # pragma: no cover - the schema asks for one
        return []

    cells: dict[str, Cell] = {}
    used_mape = False
    checked: set[str] = set()
    axis_names = list(axes)
    for pol in g.policy:
        takes, defaults = sigs[pol]
        takes_forecast = "forecast" in takes
        forecasts: list[str | None] = [*g.forecast] if g.forecast else [None]
        mapes: list[float | None] = [*g.mape] if g.mape else [None]
        for forecast, mape, seed, dispatch, *values in itertools.product(
                forecasts, mapes, g.seed, g.dispatch, *axes.values()):
            eff_forecast = eff_mape = None
            if takes_forecast:
                eff_forecast = forecast if forecast is not None else defaults.get("forecast")
                if eff_forecast == "noisy":
                    eff_mape = float(mape if mape is not None else defaults.get("mape", 0.1))
                    used_mape = used_mape or mape is not None
            params = dict(spec.params.get(pol, {}))
            axis_vals: dict[str, Any] = {}
            for name, v in zip(axis_names, values, strict=True):
                if name in takes:
                    params[name] = v
                    axis_vals[name] = v
                else:
                    axis_vals[name] = None
            key, location = _scenario_key(spec, seed)
            cell = Cell(scenario=key, policy=pol, forecast=eff_forecast, mape=eff_mape, seed=seed,
                        dispatch=dispatch, params=params, axes=axis_vals, location=location)
            ident = json.dumps([pol, params, eff_forecast, eff_mape], sort_keys=True, default=str)
            if ident not in checked:
                checked.add(ident)
                try:
                    get_policy(pol, **cell.policy_kwargs())
                except InputError as exc:
                    where = f"params.{pol}" if pol in spec.params else "grid"
                    raise InputError(f"policy {pol!r} with {cell.policy_kwargs()}: {exc.message}",
                                     field=f"{where}.{exc.field}" if exc.field else where) from None
            cells.setdefault(cell.id, cell)
    if g.mape is not None and not used_mape:
        raise InputError("no cell uses it: mape applies to the 'noisy' forecast only (add noisy to grid.forecast)",
                         field="grid.mape")
    return list(cells.values())


def check_scenario(spec: SweepSpec) -> None:
    """Check that a folder scenario is there (as seen from this machine).

    Raises
    ------
    InputError
        Naming ``scenario.path`` when the folder has no ``scenario.yaml``.
    """
    if isinstance(spec.scenario, FolderScenario):
        folder = _scenario_key(spec, 0)[1]
        if folder is None or not (Path(folder) / "scenario.yaml").is_file():
            raise InputError(f"no scenario folder at {folder} (expected scenario.yaml in it)", field="scenario.path")

"""The assumptions trace importers fill in (power per core and GPU, slack, latency limit, data per class).

They live in ``shulu/data/builtin/trace_assumptions.yaml``, every number as ``{value, source}`` with a source of the
file's ``sources`` or ``EST``. :func:`load_assumptions` reads and checks that file (or a user's copy).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shulu.errors import InputError
from shulu.model.workload import JOB_CLASSES

BUILTIN = "trace_assumptions.yaml"


@dataclass(frozen=True)
class ClassDefaults:
    """What a trace job of one latency class gets: slack [s], latency limit [ms], pausable, input data [GB]."""

    slack_s: float
    max_latency_ms: float
    interruptible: bool
    data_gb: float


@dataclass(frozen=True)
class TraceAssumptions:
    """Assumption values (sources stripped; see the YAML for them)."""

    classes: dict[str, ClassDefaults]
    cpu_w_per_core: float
    gpu_w: dict[str, float]
    google_w_per_ncu: float
    formats: dict[str, dict[str, Any]]
    sources: dict[str, str]

    def gpu_watts(self, gpu_type: str) -> float:
        """Power of one GPU of a type at full load [W] (the table's ``default`` for unknown types)."""
        return self.gpu_w.get(gpu_type, self.gpu_w["default"])

    def fmt(self, name: str, key: str) -> Any:
        """A per-format value."""
        return self.formats[name][key]


def _value(node: Any, where: str, sources: dict[str, str], file: str) -> Any:
    if not isinstance(node, dict) or set(node) != {"value", "source"}:
        raise InputError("expected {value, source}", file=file, field=where)
    src = node["source"]
    if src != "EST" and src not in sources:
        raise InputError(f"unknown source {src!r}; expected EST or one of {sorted(sources)}", file=file, field=where)
    return node["value"]


def _num(node: Any, where: str, sources: dict[str, str], file: str, *, lower: float = 0.0) -> float:
    v = _value(node, where, sources, file)
    if isinstance(v, bool) or not isinstance(v, int | float) or not v >= lower:
        raise InputError(f"expected a number >= {lower:g}, got {v!r}", file=file, field=where)
    return float(v)


def load_assumptions(path: str | os.PathLike[str] | None = None) -> TraceAssumptions:
    """Read and check the trace assumptions (default: the built-in file).

    Raises
    ------
    InputError
        Naming the field that is missing, has no source, or holds a bad value.
    """
    if path is None:
        return _builtin()
    return _load(path)


@lru_cache(maxsize=1)
def _builtin() -> TraceAssumptions:
    return _load(None)


def _load(path: str | os.PathLike[str] | None) -> TraceAssumptions:
    if path is None:
        ref = resources.files("shulu").joinpath("data", "builtin", BUILTIN)
        text = ref.read_text(encoding="utf-8")
        file = f"shulu/data/builtin/{BUILTIN}"
    else:
        file = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("file not found", file=file) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=file) from None
    if not isinstance(raw, dict):
        raise InputError("expected a mapping", file=file)
    try:
        sources = dict(raw["sources"])
        classes = {}
        for c in JOB_CLASSES:
            node = raw["classes"][c]
            w = f"classes.{c}"
            interruptible = _value(node["interruptible"], f"{w}.interruptible", sources, file)
            if not isinstance(interruptible, bool):
                raise InputError(f"expected true/false, got {interruptible!r}", file=file, field=f"{w}.interruptible")
            classes[c] = ClassDefaults(
                slack_s=_num(node["slack_s"], f"{w}.slack_s", sources, file),
                max_latency_ms=_num(node["max_latency_ms"], f"{w}.max_latency_ms", sources, file, lower=1e-9),
                interruptible=interruptible,
                data_gb=_num(node["data_gb"], f"{w}.data_gb", sources, file))
        power = raw["power"]
        gpu_w = {str(k): _num(v, f"power.gpu_w.{k}", sources, file, lower=1e-9) for k, v in power["gpu_w"].items()}
        if "default" not in gpu_w:
            raise InputError("missing the 'default' GPU power", file=file, field="power.gpu_w.default")
        formats = {str(name): {str(k): _value(v, f"formats.{name}.{k}", sources, file) for k, v in spec.items()}
                   for name, spec in raw["formats"].items()}
        return TraceAssumptions(
            classes=classes,
            cpu_w_per_core=_num(power["cpu_w_per_core"], "power.cpu_w_per_core", sources, file, lower=1e-9),
            gpu_w=gpu_w,
            google_w_per_ncu=_num(power["google_w_per_ncu"], "power.google_w_per_ncu", sources, file, lower=1e-9),
            formats=formats, sources=sources)
    except KeyError as exc:
        raise InputError(f"missing key {exc.args[0]!r}", file=file) from None
    except (TypeError, AttributeError) as exc:
        raise InputError(f"unexpected structure: {exc}", file=file) from None

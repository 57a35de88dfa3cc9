"""Schema as data: every model attribute carries its unit and description.

:func:`quantity` declares a field with its unit; :class:`Record` is the base of
every static model object (frozen, unknown fields rejected, wrong unit names
explained). :func:`glossary_rows` lists every attribute for ``docs/glossary.md``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Unit suffixes a quantity name may end with, and the unit each denotes.
UNIT_SUFFIXES: dict[str, str] = {
    "_g_per_kwh": "g/kWh",
    "_kg_per_kwh": "kg/kWh",
    "_kgco2e_per_kw": "kgCO2e/kW",
    "_kgco2e_per_kwh": "kgCO2e/kWh",
    "_kwh_per_gb": "kWh/GB",
    "_cny_per_kwh": "CNY/kWh",
    "_per_c": "1/°C",
    "_kwh": "kWh",
    "_mwh": "MWh",
    "_gwh": "GWh",
    "_wh": "Wh",
    "_kw": "kW",
    "_mw": "MW",
    "_gw": "GW",
    "_w": "W",
    "_ms": "ms",
    "_s": "s",
    "_min": "min",
    "_h": "h",
    "_years": "year",
    "_frac": "fraction 0..1",
    "_pct": "%",
    "_deg": "degree",
    "_km": "km",
    "_c": "°C",
    "_gbps": "Gbit/s",
    "_gb": "GB",
    "_cop": "-",
}


def split_unit(name: str) -> tuple[str, str | None]:
    """Split a quantity name into its stem and unit suffix.

    Examples
    --------
    >>> split_unit("it_capacity_kw")
    ('it_capacity', '_kw')
    >>> split_unit("name")
    ('name', None)
    """
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, None


def quantity(unit: str, description: str, default: Any = ..., **constraints: Any) -> Any:
    """Declare a model field with its unit and description (schema as data)."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **constraints)


def text(description: str, default: Any = ..., **kw: Any) -> Any:
    """Declare a non-numeric model field."""
    return Field(default, description=description, json_schema_extra={"unit": "-"}, **kw)


class Record(BaseModel):
    """Base of every static model record: frozen, strict about unknown fields and units."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _explain_wrong_units(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = set(cls.model_fields)
        by_stem: dict[str, str] = {}
        for f in known:
            stem, suffix = split_unit(f)
            if suffix:
                by_stem[stem] = f
        for key in data:
            if not isinstance(key, str) or key in known:
                continue
            stem, suffix = split_unit(key)
            if suffix and stem in by_stem:
                good = by_stem[stem]
                unit = UNIT_SUFFIXES[split_unit(good)[1] or ""]
                raise ValueError(
                    f"wrong unit in field name {key!r}: expected {good!r} [{unit}]"
                )
        return data


def glossary_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    """(field, unit, default, description) for every field of ``model``."""
    rows = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit = str(extra.get("unit", "-"))
        if info.is_required():
            default = "required"
        elif isinstance(info.default, BaseModel):
            default = f"see {type(info.default).__name__}"
        else:
            default = repr(info.default)
        rows.append((name, unit, default, info.description or ""))
    return rows

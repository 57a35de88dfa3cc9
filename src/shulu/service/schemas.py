"""Request (Create) and response (Public) schemas of the native API ``/v1``; units in every field name."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class JobCreate(BaseModel):
    """A job to place."""

    model_config = ConfigDict(extra="forbid")
    origin: str = Field(..., min_length=1, max_length=128, description="Demand region the job comes from")
    duration_s: float = Field(..., gt=0, le=30 * 86_400, description="Run time at full power [s]")
    power_kw: float = Field(..., gt=0, le=10_000, description="IT power [kW]")
    slack_s: float = Field(0.0, ge=0, le=30 * 86_400, description="How long the job may wait [s]")
    max_latency_ms: float = Field(1_000.0, gt=0, le=1e6, description="Latency limit to the origin [ms]")
    data_gb: float = Field(0.0, ge=0, le=1e6, description="Data moved to the site [GB]")
    job_class: Literal["realtime", "warm", "cold"] = "warm"
    interruptible: bool = False
    submit_time: AwareDatetime | None = Field(None, description="Submission time (UTC); default now")


class JobPublic(BaseModel):
    """A placement: where and when, and what it is expected to cost in energy and carbon."""

    id: str
    tenant: str
    status: Literal["placed", "completed"]
    origin: str
    job_class: str
    site: str
    submitted_at: datetime
    start_time: datetime
    power_kw: float
    duration_s: float
    expected_energy_kwh: float = Field(description="Facility energy at the site's PUE [kWh]")
    expected_emissions_kg: float = Field(description="Expected location-based emissions [kgCO2]")
    latency_ms: float
    actual_energy_kwh: float | None = None
    actual_emissions_kg: float | None = None


class JobComplete(BaseModel):
    """What the job actually used."""

    model_config = ConfigDict(extra="forbid")
    energy_it_kwh: float = Field(..., ge=0, le=1e9, description="Metered IT energy [kWh]")


class TenantCreate(BaseModel):
    """A tenant (admin only)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field("", max_length=256)
    budget_location_kg_per_month: float | None = Field(None, ge=0)
    budget_market_kg_per_month: float | None = Field(None, ge=0)


class TenantPublic(BaseModel):
    """A tenant."""

    id: str
    name: str
    budget_location_kg_per_month: float | None
    budget_market_kg_per_month: float | None


class KeyPublic(BaseModel):
    """A new API key: shown once, stored only as a hash."""

    tenant: str
    key: str
    prefix: str


class MonthPublic(BaseModel):
    """A tenant's figures for one month."""

    month: str
    jobs: float
    energy_kwh: float
    emissions_location_kg: float
    emissions_market_kg: float
    embodied_kg: float
    sci_kg_per_job: float | None
    budget_location_used_frac: float | None


class AccountPublic(BaseModel):
    """The calling tenant's carbon account."""

    tenant: str
    months: list[MonthPublic]
    warnings: list[str]


class SitePublic(BaseModel):
    """A site's live state at the service's current time."""

    id: str
    hub: str
    lat_deg: float
    lon_deg: float
    it_capacity_kw: float
    planned_kw: float = Field(description="IT power of placed jobs in the current step [kW]")
    intensity_g_per_kwh: float
    renewable_share_frac: float = Field(description="Carbon-free share of the site's supply now (on-site + grid)")

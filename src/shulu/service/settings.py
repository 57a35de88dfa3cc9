"""Service settings from the environment (``SHULU_*``), with pydantic-settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything ``shulu serve`` can be told; each field is read from ``SHULU_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SHULU_", extra="ignore")

    database_url: str | None = Field(None, description="SQLAlchemy URL; default a SQLite file in the user data "
                                                       "folder (as the CLI)")
    scenario: Path | None = Field(None, description="Scenario folder to serve; default the built-in China network "
                                                    "for the current year")
    year: int | None = Field(None, description="Year of the built-in network when no scenario is given")
    policy: str = Field("spatio-temporal", description="Placement policy (any planner policy name)")
    admin_key: str | None = Field(None, description="The admin's API key (creates tenants and their keys)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_body_bytes: int = Field(65_536, ge=1024, description="Largest request body accepted [bytes]")
    rate_limit_per_s: float = Field(500.0, gt=0, description="Sustained requests per second per API key")
    rate_burst: int = Field(1000, ge=1, description="Burst size per API key [requests]")

"""Paths of the sample files (written for shulu, in each source's format)."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
CARBON = SAMPLES / "carbon"
TRACES = SAMPLES / "traces"

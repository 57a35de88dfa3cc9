"""Shared tiny planning cases."""

from __future__ import annotations

import pandas as pd
import pytest

from shulu.data.china import build_china_scenario
from shulu.model import Scenario
from shulu.model.workload import Workload


@pytest.fixture(scope="session")
def china_fortnight() -> Scenario:
    """The built-in China network over its first 14 days, 3,000 jobs of the year (those submitted then)."""
    scn = build_china_scenario(2025, n_jobs=3000, seed=3)
    end = scn.start + pd.Timedelta(days=14)
    f = scn.workload.frame
    wl = Workload.from_frame(f[f["submit_time"] < end].reset_index(drop=True))
    return scn.replace(end=end, signals=scn.signals.slice(scn.start, end), workload=wl)

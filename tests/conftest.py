"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from factories import make_scenario
from shulu.model import Scenario


@pytest.fixture
def scenario_factory() -> Callable[..., Scenario]:
    return make_scenario

"""The one policy interface the engine drives: given arrivals, state and forecasts, place each job.

A :class:`Policy` has one verb, :meth:`Policy.place`: for a batch of arriving
jobs it returns a site and a *release step* (the step from which the job may
start; the engine then runs it as capacity allows). Offline policies
(``online = False``) are called once with every job; online policies are called
every step with that step's arrivals and the live :class:`SiteState`.
Concrete policies live in :mod:`shulu.policies`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from shulu.model.scenario import Scenario
from shulu.model.workload import JOB_CLASSES

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class JobBatch:
    """Arriving jobs as arrays (times in seconds from the horizon start)."""

    index: IntArray  #: positions in the workload table
    origin: IntArray  #: demand region index
    job_class: IntArray  #: index into JOB_CLASSES (0 realtime, 1 warm, 2 cold)
    arrival_step: IntArray  #: step the job arrives in
    submit_s: FloatArray  #: [s] from horizon start
    duration_s: FloatArray  #: [s]
    power_kw: FloatArray  #: [kW]
    slack_s: FloatArray  #: [s]
    max_latency_ms: FloatArray  #: [ms]
    data_gb: FloatArray  #: [GB]
    interruptible: BoolArray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def take(self, mask_or_idx: npt.NDArray[Any]) -> JobBatch:
        """A sub-batch."""
        return JobBatch(**{k: getattr(self, k)[mask_or_idx] for k in self.__dataclass_fields__})

    @property
    def deadline_s(self) -> FloatArray:
        """Latest end [s from horizon start]."""
        return self.submit_s + self.slack_s + self.duration_s


@dataclass(frozen=True)
class SimContext:
    """What every policy may know before the run: the network and its signals."""

    scenario: Scenario
    step_s: int
    n_steps: int
    site_ids: list[str]
    region_ids: list[str]
    capacity_kw: FloatArray  #: (S,) IT capacity [kW]
    latency_ms: FloatArray  #: (R, S) one-way latency [ms], inf if no link
    transfer_kwh_per_gb: FloatArray  #: (R, S) network energy of moving data [kWh/GB]
    signals: dict[str, FloatArray]  #: (T, S) arrays of each signal over the horizon (the truth)

    def feasible_sites(self, batch: JobBatch) -> BoolArray:
        """(jobs x sites) mask of sites within each job's latency limit."""
        return self.latency_ms[batch.origin] <= batch.max_latency_ms[:, None]


@dataclass(frozen=True)
class SiteState:
    """Live state an online policy sees at a step."""

    step: int
    free_kw: FloatArray  #: (S,) capacity not reserved in the previous step [kW]
    queue_len: IntArray  #: (S,) jobs waiting


#: Release step meaning "decide later": an online policy is asked again about the job next step.
DEFER: int = -1


class Placement(NamedTuple):
    """A decision per job: site index and release step (>= arrival step), or :data:`DEFER` (online policies)."""

    site: IntArray
    release_step: IntArray


class Policy(ABC):
    """Places jobs in space (site) and time (release step)."""

    name: ClassVar[str] = "policy"
    online: ClassVar[bool] = False

    def prepare(self, ctx: SimContext) -> None:  # noqa: B027 - optional hook
        """Called once before the run (precompute from the context)."""

    def pause_mask(self, ctx: SimContext) -> BoolArray | None:
        """Optional (T, S) mask: steps in which interruptible jobs should pause (deadlines permitting)."""
        return None

    @abstractmethod
    def place(self, batch: JobBatch, state: SiteState | None, ctx: SimContext) -> Placement:
        """Choose a site and release step for each job of ``batch``."""

    def params(self) -> dict[str, Any]:
        """Parameters recorded in provenance."""
        return {}


def nearest_feasible_site(batch: JobBatch, ctx: SimContext) -> IntArray:
    """Index of the lowest-latency site for each job (the nearest; if it breaks the limit, none is within it)."""
    lat = ctx.latency_ms[batch.origin]
    return np.asarray(np.argmin(lat, axis=1), dtype=np.int64)


CLASS_INDEX: dict[str, int] = {c: i for i, c in enumerate(JOB_CLASSES)}

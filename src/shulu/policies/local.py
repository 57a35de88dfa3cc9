"""``local``: the carbon-agnostic baseline — nearest site that meets the latency limit, start now."""

from __future__ import annotations

from typing import ClassVar

from shulu.sim.policy import JobBatch, Placement, Policy, SimContext, SiteState, nearest_feasible_site


class LocalPolicy(Policy):
    """Nearest site to the job's origin (lowest latency, so within the limit whenever any site is); no delay.

    Examples
    --------
    >>> LocalPolicy().name
    'local'
    """

    name: ClassVar[str] = "local"
    online: ClassVar[bool] = False

    def place(self, batch: JobBatch, state: SiteState | None, ctx: SimContext) -> Placement:
        """Nearest site; release at the arrival step."""
        return Placement(nearest_feasible_site(batch, ctx), batch.arrival_step.copy())

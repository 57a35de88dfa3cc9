"""What the running service holds: the served network and its signals, the policy, and the capacity plan.

Live placement uses the simulator's own policy objects: a planner policy is prepared on the served scenario's
context once, and every request is one :class:`~shulu.sim.policy.JobBatch` of one job placed from the request's
step. The capacity plan (IT power of placed jobs per site and step) lives in the database as the placed jobs'
rows; at start it is rebuilt from them, so a restart loses nothing. Placements are serialised by a lock: the plan
is updated, the row committed, and only then is the answer sent — a placement whose commit fails is taken back out
of the plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shulu import units
from shulu.errors import InputError
from shulu.model.scenario import Scenario
from shulu.model.workload import JOB_CLASSES
from shulu.policies import get_policy
from shulu.policies.aware import PlanningPolicy
from shulu.service import tables
from shulu.service.writer import GroupWriter
from shulu.sim.engine import make_context
from shulu.sim.policy import JobBatch, SimContext, SiteState


def _utc(when: datetime | str) -> datetime:
    """A tz-aware time (or ISO string) as a UTC :class:`datetime`; naive times are refused."""
    t = when if isinstance(when, datetime) else pd.Timestamp(when).to_pydatetime()
    if t.tzinfo is None:
        raise InputError(f"time {t.isoformat()} has no time zone; send UTC (e.g. 2025-03-02T08:00:00Z)",
                         field="time")
    return t.astimezone(UTC)


class ConflictError(Exception):
    """An idempotency key reused with a different request."""


class NoCapacityError(Exception):
    """No site within the job's latency limit has room for it before its deadline."""


@dataclass
class Decision:
    """A placement booked in the capacity plan, with the row that stores it."""

    row: dict[str, Any]
    site: int
    start_step: int
    end_step: int
    power_kw: float


@dataclass
class Placed:
    """A placement and whether it was new."""

    row: dict[str, Any]
    created: bool


class ServiceState:
    """The served network, its policy and capacity plan, and the database."""

    def __init__(self, scenario: Scenario, engine: Engine, policy: str = "spatio-temporal") -> None:
        self.scenario = scenario
        self.engine = engine
        self.ctx: SimContext = make_context(scenario)
        pol = get_policy(policy)
        if not isinstance(pol, PlanningPolicy):
            raise InputError(f"policy {policy!r} cannot place live jobs; use a planner policy such as "
                             "spatio-temporal, greenest-now, wait-awhile or lowest-latency", field="policy")
        self.policy = pol
        pol.prepare(self.ctx)
        self.lock = threading.Lock()
        sites = scenario.network.sites
        self.site_index = {s.id: i for i, s in enumerate(sites)}
        self.region_index = {r: i for i, r in enumerate(self.ctx.region_ids)}
        idle = np.array([s.server_idle_frac for s in sites])
        self.marginal_pue = (1.0 - idle) * np.array([s.pue_design + s.pue_light_load_coef / 2 for s in sites])
        self._no_queue = np.zeros(len(sites), np.int64)
        self._start_dt, self._end_dt = _utc(scenario.start), _utc(scenario.end)
        self.writer = GroupWriter(engine, tables.jobs)
        self.rebuild()
        self.warm_up()

    # --- time ------------------------------------------------------------------------------------------------
    @property
    def start(self) -> pd.Timestamp:
        """Start of the served horizon."""
        return self.scenario.start

    def step_of(self, when: datetime | str) -> int:
        """The step holding ``when`` (tz-aware); :class:`InputError` outside the served horizon."""
        t = _utc(when)
        if not self._start_dt <= t < self._end_dt:
            raise InputError(f"time {t.isoformat()} is outside the served horizon "
                             f"[{self._start_dt.isoformat()}, {self._end_dt.isoformat()})", field="time")
        return int((t - self._start_dt).total_seconds() // self.ctx.step_s)

    def time_of(self, step: int) -> pd.Timestamp:
        """Start of a step."""
        return self.scenario.start + pd.Timedelta(seconds=step * self.ctx.step_s)

    def now(self) -> pd.Timestamp:
        """The current time (UTC)."""
        return pd.Timestamp.now(tz="UTC")

    # --- the capacity plan -------------------------------------------------------------------------------------
    def rebuild(self) -> int:
        """Rebuild the plan from the placed jobs in the database; returns how many."""
        planned = np.zeros_like(self.policy.planned_kw)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.jobs.c.site, tables.jobs.c.start_step, tables.jobs.c.end_step,
                                          tables.jobs.c.power_kw)).all()
        for site, a, b, p in rows:
            if site in self.site_index:
                planned[int(a):int(b), self.site_index[site]] += float(p)
        self.policy.planned_kw[:] = planned
        return len(rows)

    # --- placing -----------------------------------------------------------------------------------------------
    def _batch(self, req: dict[str, Any], submit: datetime) -> JobBatch:
        if req["origin"] not in self.region_index:
            raise InputError(f"unknown origin {req['origin']!r}; expected one of {sorted(self.region_index)}",
                             field="origin")
        submit_s = (submit - self._start_dt).total_seconds()
        return JobBatch(index=np.zeros(1, dtype=np.int64), origin=np.array([self.region_index[req["origin"]]]),
                        job_class=np.array([JOB_CLASSES.index(req["job_class"])]),
                        arrival_step=np.array([self.step_of(submit)]), submit_s=np.array([submit_s]),
                        duration_s=np.array([float(req["duration_s"])]), power_kw=np.array([float(req["power_kw"])]),
                        slack_s=np.array([float(req["slack_s"])]),
                        max_latency_ms=np.array([float(req["max_latency_ms"])]),
                        data_gb=np.array([float(req["data_gb"])]),
                        interruptible=np.array([bool(req["interruptible"])]))

    def decide(self, tenant: str, idempotency_key: str, req: dict[str, Any]) -> Decision:
        """Choose site and start for a request and book it in the capacity plan (not yet stored).

        The booking must be followed by :meth:`store` (or :meth:`undo` when storing fails).
        """
        body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in req.items()}
        request_hash = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        submit = _utc(req["submit_time"]) if req.get("submit_time") else _utc(self.now())
        batch = self._batch(req, submit)
        with self.lock:
            t = int(batch.arrival_step[0])
            site, release = self.policy.place(batch, SiteState(step=t, free_kw=self.ctx.capacity_kw,
                                                               queue_len=self._no_queue), self.ctx)
            s, k = int(site[0]), max(int(release[0]), t)
            start_s = max(k * self.ctx.step_s, float(batch.submit_s[0]))
            end_s = start_s + float(batch.duration_s[0])
            hold_s = float(batch.deadline_s[0]) if batch.interruptible[0] and self.policy.pauses else end_s
            last = min(self.ctx.n_steps, math.ceil(max(end_s, hold_s) / self.ctx.step_s - 1e-9))
            power_kw = float(batch.power_kw[0])
            free = self.policy.cap_free_kw[k:last, s]
            if (self.policy.planned_kw[k:last, s] > free + 1e-9).any():  # the planner found no room: refuse
                self.policy.planned_kw[k:last, s] -= power_kw
                raise NoCapacityError("no site within the job's latency limit has room for it before its deadline")
        row = self._row(tenant, idempotency_key, request_hash, req, batch, s, k, last, start_s, submit)
        return Decision(row, s, k, last, power_kw)

    def warm_up(self) -> None:
        """Make one decision and take it back, so the first real request does not pay for first-call set-up."""
        req = {"origin": self.ctx.region_ids[0], "duration_s": float(self.ctx.step_s), "power_kw": 1e-6,
               "slack_s": 0.0, "max_latency_ms": 1e6, "data_gb": 0.0, "job_class": JOB_CLASSES[0],
               "interruptible": False, "submit_time": self._start_dt}
        before = self.policy.planned_kw.copy()
        with contextlib.suppress(NoCapacityError):
            self.decide("warm-up", "warm-up", req)
        self.policy.planned_kw[:] = before

    def undo(self, d: Decision) -> None:
        """Take a booking back out of the capacity plan."""
        with self.lock:
            self.policy.planned_kw[d.start_step:d.end_step, d.site] -= d.power_kw

    def resolve(self, d: Decision, exc: BaseException | None) -> Placed:
        """The answer for a decision once its row was stored (``exc`` None) or refused."""
        if exc is None:
            return Placed(d.row, True)
        self.undo(d)
        if isinstance(exc, sa.exc.IntegrityError):  # the key was used before (unique per tenant)
            prior = self.get_by_key(d.row["tenant"], d.row["idempotency_key"])
            if prior is not None:
                return Placed(prior, False) if prior["request_hash"] == d.row["request_hash"] else self._conflict()
        raise exc

    def place(self, tenant: str, idempotency_key: str, req: dict[str, Any]) -> Placed:
        """Place a job (or return the placement already made under the same idempotency key); stored on return."""
        d = self.decide(tenant, idempotency_key, req)
        try:
            with self.engine.begin() as conn:
                conn.execute(tables.jobs.insert(), d.row)
        except Exception as exc:
            return self.resolve(d, exc)
        return Placed(d.row, True)

    async def place_async(self, tenant: str, idempotency_key: str, req: dict[str, Any]) -> Placed:
        """:meth:`place` for the event loop: the row joins the next group commit, and is stored on return."""
        d = self.decide(tenant, idempotency_key, req)
        exc = await self.writer.write(d.row)
        return self.resolve(d, exc)

    def _conflict(self) -> Placed:
        raise ConflictError("this Idempotency-Key was used with a different request")

    def _row(self, tenant: str, key: str, request_hash: str, req: dict[str, Any], batch: JobBatch, s: int, k: int,
             last: int, start_s: float, submit: datetime) -> dict[str, Any]:
        dur_h = float(batch.duration_s[0]) / units.SECONDS_PER_HOUR
        energy = float(batch.power_kw[0]) * dur_h * float(self.marginal_pue[s])
        inten = self.ctx.signals["intensity_g_per_kwh"][k:max(last, k + 1), s]
        emissions = energy * float(inten.mean()) / units.G_PER_KG if inten.size else 0.0
        return {"id": str(uuid.uuid4()), "tenant": tenant, "idempotency_key": key, "request_hash": request_hash,
                "status": "placed", "origin": req["origin"], "job_class": req["job_class"],
                "site": self.ctx.site_ids[s], "submitted_at": submit.isoformat(),
                "start_time": (self._start_dt + timedelta(seconds=start_s)).isoformat(), "start_step": k,
                "end_step": last, "power_kw": float(batch.power_kw[0]), "duration_s": float(batch.duration_s[0]),
                "expected_energy_kwh": energy, "expected_emissions_kg": emissions,
                "latency_ms": float(self.ctx.latency_ms[int(batch.origin[0]), s]), "actual_energy_kwh": None,
                "actual_emissions_kg": None}

    # --- reading -----------------------------------------------------------------------------------------------
    def get_by_key(self, tenant: str, key: str) -> dict[str, Any] | None:
        """The job a tenant placed under an idempotency key."""
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(tables.jobs).where(tables.jobs.c.tenant == tenant,
                                                          tables.jobs.c.idempotency_key == key)).mappings().first()
        return dict(r) if r else None

    def get(self, tenant: str, job_id: str) -> dict[str, Any] | None:
        """A tenant's job (None for another tenant's: they are indistinguishable from missing)."""
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(tables.jobs).where(tables.jobs.c.id == job_id,
                                                          tables.jobs.c.tenant == tenant)).mappings().first()
        return dict(r) if r else None

    def complete(self, tenant: str, job_id: str, energy_it_kwh: float) -> dict[str, Any] | None:
        """Record a job's metered IT energy and post its footprint to the ledger (idempotent)."""
        from shulu.accounts.ledger import post_entries

        job = self.get(tenant, job_id)
        if job is None or job["status"] == "completed":  # completing twice changes nothing
            return job
        s = self.site_index[job["site"]]
        energy = energy_it_kwh * float(self.marginal_pue[s])
        a, b = int(job["start_step"]), max(int(job["end_step"]), int(job["start_step"]) + 1)
        inten = float(self.ctx.signals["intensity_g_per_kwh"][a:b, s].mean())
        cfe = float(self.ctx.signals["grid_cfe_frac"][a:b, s].mean())
        site = self.scenario.network.sites[s]
        loc = energy * inten / units.G_PER_KG
        month = str(job["start_time"])[:7]
        post_entries(self.engine, [{
            "kind": "job", "tenant": tenant, "month": month, "job_id": job_id, "site": job["site"],
            "origin": job["origin"], "job_class": job["job_class"], "reference": "service",
            "energy_it_kwh": energy_it_kwh, "energy_kwh": energy, "emissions_location_kg": loc,
            "emissions_market_kg": loc * (1.0 - site.supply.green_purchase_frac), "cfe_kwh": energy * cfe,
            "grid_import_kwh": energy, "embodied_kg": site.embodied_kgco2e_per_kw * float(job["power_kw"])
            * float(job["duration_s"]) / units.SECONDS_PER_HOUR / (site.server_lifetime_years * units.HOURS_PER_YEAR),
            "hours_reserved": float(job["duration_s"]) / units.SECONDS_PER_HOUR}], source=f"service job {job_id}")
        # the ledger posting is idempotent by content, so a retry after a crash between the two writes is safe
        with self.engine.begin() as conn:
            conn.execute(tables.jobs.update().where(tables.jobs.c.id == job_id).values(
                status="completed", actual_energy_kwh=energy, actual_emissions_kg=loc))
        return self.get(tenant, job_id)

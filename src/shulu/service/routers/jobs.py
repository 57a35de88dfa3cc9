"""``/v1/jobs``: place a job, read it, complete it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response, status

from shulu.service.deps import State, Tenant
from shulu.service.schemas import JobComplete, JobCreate, JobPublic
from shulu.service.state import ConflictError, NoCapacityError

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def public(row: dict[str, Any]) -> JobPublic:
    """A stored row as the public schema."""
    return JobPublic(**{k: row[k] for k in JobPublic.model_fields})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobPublic,
             responses={200: {"description": "Already placed under this Idempotency-Key"},
                        409: {"description": "Idempotency-Key reused with a different request, or no capacity "
                                              "within the job's latency limit before its deadline"}})
async def place_job(body: JobCreate, svc: State, tenant: Tenant, response: Response,
              idempotency_key: Annotated[str, Header(min_length=1, max_length=128,
                                                     description="Unique per job; a retry returns the same "
                                                                 "placement")]) -> JobPublic:
    """Place a job: site, start time, expected energy, emissions and latency (durable before the answer).

    The decision runs on the event loop (placements are serialised anyway); the row joins a group commit shared
    with the requests that arrive meanwhile, and the answer waits for that commit.
    """
    try:
        placed = await svc.place_async(tenant, idempotency_key, body.model_dump())
    except (ConflictError, NoCapacityError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if not placed.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/jobs/{placed.row['id']}"
    return public(placed.row)


@router.get("/{job_id}", response_model=JobPublic, responses={404: {"description": "No such job"}})
def get_job(job_id: str, svc: State, tenant: Tenant) -> JobPublic:
    """One of the caller's jobs (another tenant's job is 404, never 403)."""
    row = svc.get(tenant, job_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such job")
    return public(row)


@router.post("/{job_id}/complete", response_model=JobPublic, responses={404: {"description": "No such job"}})
def complete_job(job_id: str, body: JobComplete, svc: State, tenant: Tenant) -> JobPublic:
    """Report the metered IT energy; the job's footprint is posted to the tenant's carbon account (once)."""
    row = svc.complete(tenant, job_id, body.energy_it_kwh)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such job")
    return public(row)

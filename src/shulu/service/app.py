"""The FastAPI application: routers, limits, errors, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from shulu import __version__
from shulu.errors import InputError
from shulu.service.middleware import LimitsAndMetrics
from shulu.service.security import RateLimiter
from shulu.service.settings import Settings
from shulu.service.state import ServiceState


def load_state(settings: Settings) -> ServiceState:
    """Open the database (migrating it) and the served scenario."""
    from shulu.accounts.ledger import connect

    engine = connect(settings.database_url)
    if settings.scenario is not None:
        from shulu.io import load_scenario

        scn = load_scenario(settings.scenario)
    else:
        import pandas as pd

        from shulu.data.china import build_china_scenario

        scn = build_china_scenario(settings.year or pd.Timestamp.now(tz="UTC").year, n_jobs=100)
    return ServiceState(scn, engine, policy=settings.policy)


def create_app(settings: Settings | None = None, state: ServiceState | None = None) -> FastAPI:
    """The service as an ASGI app (``state`` for tests that build their own)."""
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    from shulu.service.routers import accounts, carbon_aware, health, jobs, regions, sites, tenants

    settings = settings or Settings()
    app = FastAPI(title="shulu placement service", version=__version__,
                  description="Carbon-aware placement and carbon accounts for data-center networks. The "
                              "`/emissions` and `/locations` routes follow the Green Software Foundation's Carbon "
                              "Aware SDK WebAPI; `/v1` is shulu's own API (Bearer API keys).")
    app.state.settings = settings
    app.state.svc = state if state is not None else load_state(settings)
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_burst)
    app.state.key_cache = {}
    registry = CollectorRegistry()
    app.state.registry = registry
    app.add_middleware(LimitsAndMetrics, max_body_bytes=settings.max_body_bytes, registry=registry)

    @app.exception_handler(InputError)
    async def input_error(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": [exc.field or "body"], "msg": str(exc), "type": "value_error"}]},
                            status_code=422)

    for r in (jobs.router, health.router, carbon_aware.router, accounts.router, sites.router, regions.router,
              tenants.router):
        app.include_router(r)
    static = Path(__file__).resolve().parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(static / "index.html")

    return app


def run(settings: Settings, **uvicorn_kw: Any) -> None:
    """Serve on uvicorn (one worker: placements are serialised in-process)."""
    import gc

    import uvicorn

    app = create_app(settings)
    # The served network (signals, forecasts, the policy's arrays) is long-lived: move it out of the collector's
    # sight, so that full collections under load do not walk it again and again (they stalled requests ~100 ms).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", **uvicorn_kw)

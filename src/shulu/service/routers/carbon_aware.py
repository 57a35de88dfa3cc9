"""Carbon Aware SDK compatible routes: ``/emissions/...`` and ``/locations``.

The Green Software Foundation's Carbon Aware SDK WebAPI (v1) answers "where and when is electricity cleanest?". These
routes have its paths, query parameters, request bodies and JSON field names, so its clients (the generated
clients, the Kubernetes carbon-intensity exporter, schedulers built on it) work against shulu unchanged. They are
served from the served scenario: a *location* is a site id, a *rating* / *value* / *carbonIntensity* is the site's
grid carbon intensity ``intensity_g_per_kwh`` [gCO2/kWh], and each data point is one simulation step long.
Forecasts come from shulu's forecasters (:data:`FORECASTER`, the oracle by default).

As in the SDK, bad input is answered with 400 and a ``ValidationProblemDetails`` body (``title``, ``status``,
``detail`` and ``errors``: field name -> messages), never with a 5xx; a data query with no data answers 204.
Times are ISO 8601; a time without an offset is taken as UTC. ``docs/service.md`` lists the behaviour choices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from shulu.errors import InputError
from shulu.forecast import Forecaster, get_forecaster
from shulu.service.deps import State
from shulu.service.state import ServiceState

FloatArray = npt.NDArray[np.float64]

FORECASTER = "perfect"
"""Forecaster behind ``/emissions/forecasts/*`` (a name for :func:`shulu.forecast.get_forecaster`)."""
FORECAST_HORIZON_H = 72.0
"""Length of a forecast [h] (cut at the end of the served horizon)."""
MAX_LOCATIONS = 100
"""Most ``location`` values one request may name."""
MAX_BATCH = 100
"""Most items in one batch request."""
MAX_POINTS = 100_000
"""Most data points one ``/emissions/bylocation(s)`` answer may hold (locations x steps)."""
INT32_MAX = 2**31 - 1
PROBLEM_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.1"
VALIDATION_TITLE = "One or more validation errors occurred."


# --- errors as the SDK sends them ------------------------------------------------------------------------------------
class ValidationProblemDetails(BaseModel):
    """RFC 9457 problem details with per-field messages (ASP.NET's ``ValidationProblemDetails``)."""

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    errors: dict[str, list[str]] | None = None


class ProblemError(Exception):
    """Bad input: answered as 400 with a :class:`ValidationProblemDetails` body."""

    def __init__(self, detail: str, errors: dict[str, list[str]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors

    def response(self) -> JSONResponse:
        """The 400 answer."""
        return _problem(self.detail, self.errors)


def _problem(detail: str, errors: dict[str, list[str]]) -> JSONResponse:
    body = ValidationProblemDetails(type=PROBLEM_TYPE, title=VALIDATION_TITLE, status=400, detail=detail,
                                    errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=400, media_type="application/problem+json")


def _error_key(loc: tuple[Any, ...]) -> str:
    """ASP.NET-style name of a bad value: ``windowSize``, ``[1].startTime``, ``$`` for the whole body."""
    key = ""
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "$"


class SdkRoute(APIRoute):
    """A route whose request validation errors and :class:`ProblemError` become 400 ValidationProblemDetails."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler."""
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors: dict[str, list[str]] = {}
                for err in exc.errors():
                    errors.setdefault(_error_key(tuple(err.get("loc", ()))), []).append(str(err.get("msg", "")))
                return _problem("The request's parameters or body are invalid.", errors)
            except ProblemError as exc:
                return exc.response()

        return route_handler


router = APIRouter(route_class=SdkRoute)
BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {"model": ValidationProblemDetails, "description": "Bad Request: invalid parameters or body"}}
NO_CONTENT: dict[int | str, dict[str, Any]] = {204: {"description": "No Content: no data for the request"}}


# --- the SDK's JSON shapes ----------------------------------------------------------------------------------------
class EmissionsData(BaseModel):
    """One observed data point (the SDK's ``EmissionsData``)."""

    location: str = Field(description="Location (site id)", examples=["s0"])
    time: datetime = Field(description="Start of the data point (UTC)")
    rating: float = Field(description="Carbon intensity [gCO2/kWh]")
    duration: str = Field(description="Length of the data point as a .NET TimeSpan ([d.]hh:mm:ss)",
                          examples=["01:00:00"])


class EmissionsDataDTO(BaseModel):
    """One forecast data point or averaging window (the SDK's ``EmissionsDataDTO``)."""

    location: str = Field(description="Location (site id)")
    timestamp: datetime = Field(description="Start of the point or window (UTC)")
    duration: int = Field(description="Length of the point or window [min]")
    value: float = Field(description="Carbon intensity, the window's time-weighted mean [gCO2/kWh]")


class EmissionsForecastDTO(BaseModel):
    """A forecast for one location with its optimal windows (the SDK's ``EmissionsForecastDTO``)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)
    generated_at: datetime = Field(alias="generatedAt", description="When the forecast was issued (UTC)")
    requested_at: datetime = Field(alias="requestedAt", description="When it was requested (current) or the "
                                   "historical time asked for (batch)")
    location: str = Field(description="Location (site id)")
    data_start_at: datetime = Field(alias="dataStartAt", description="Start of the forecast data used")
    data_end_at: datetime = Field(alias="dataEndAt", description="End of the forecast data used")
    window_size: int = Field(alias="windowSize", description="Workload duration [min]")
    optimal_data_points: list[EmissionsDataDTO] = Field(
        alias="optimalDataPoints", description="The windows with the lowest mean intensity (several if tied; empty "
                                               "if forecastData is)")
    forecast_data: list[EmissionsDataDTO] = Field(
        alias="forecastData", description="Forecast points, or windowSize-long windows stepping by one point, in "
                                          "time order")


class CarbonIntensityDTO(BaseModel):
    """The mean intensity of a location over a period (the SDK's ``CarbonIntensityDTO``)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)
    location: str = Field(description="Location (site id)")
    start_time: datetime = Field(alias="startTime", description="Start of the period (UTC)")
    end_time: datetime = Field(alias="endTime", description="End of the period (UTC)")
    carbon_intensity: float = Field(alias="carbonIntensity", description="Time-weighted mean carbon intensity over "
                                                                         "the period [gCO2/kWh]")


class CarbonIntensityBatchParametersDTO(BaseModel):
    """One period of an average batch (the SDK's ``CarbonIntensityBatchParametersDTO``)."""

    model_config = ConfigDict(extra="forbid")
    location: str = Field(alias="location", description="Location (site id)", examples=["s0"])
    start_time: datetime = Field(alias="startTime", description="Start of the period (no offset: UTC)")
    end_time: datetime = Field(alias="endTime", description="End of the period (no offset: UTC)")


class EmissionsForecastBatchParametersDTO(BaseModel):
    """One historical forecast request (the SDK's ``EmissionsForecastBatchParametersDTO``)."""

    model_config = ConfigDict(extra="forbid")
    requested_at: datetime = Field(alias="requestedAt", description="Historical time: the forecast issued then is "
                                                                     "used (no offset: UTC)")
    location: str = Field(alias="location", description="Location (site id)", examples=["s0"])
    data_start_at: datetime | None = Field(None, alias="dataStartAt", description="Start of the forecast data to "
                                                                                  "use; default its first point")
    data_end_at: datetime | None = Field(None, alias="dataEndAt", description="End of the forecast data to use; "
                                                                              "default its end")
    window_size: int | None = Field(None, alias="windowSize", gt=0, le=INT32_MAX,
                                    description="Workload duration [min]; default one data point")


class Location(BaseModel):
    """A location's position (the SDK's ``Location``)."""

    latitude: float | None = Field(None, description="Latitude [deg]")
    longitude: float | None = Field(None, description="Longitude [deg]")
    name: str | None = Field(None, description="Location name (the site id, as passed in ``location``)")


# --- helpers ---------------------------------------------------------------------------------------------------------
def _utc(dt: datetime) -> datetime:
    """A time without an offset is UTC (as the SDK's containers run)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _seconds(svc: ServiceState, dt: datetime) -> float:
    """Seconds from the served horizon's start (no overflow for any representable time)."""
    return (_utc(dt) - svc.scenario.start.to_pydatetime()) / timedelta(seconds=1)


def _at(svc: ServiceState, seconds: float) -> datetime:
    """The time ``seconds`` after the served horizon's start."""
    return svc.scenario.start.to_pydatetime() + timedelta(seconds=seconds)


def _timespan(seconds: float) -> str:
    """A duration as .NET serialises a TimeSpan: ``hh:mm:ss`` or ``d.hh:mm:ss``."""
    total = round(seconds)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}.{hours:02d}:{minutes:02d}:{secs:02d}" if days else f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _n_steps(svc: ServiceState) -> int:
    return int(svc.ctx.signals["intensity_g_per_kwh"].shape[0])


def _sites(svc: ServiceState, names: list[str], field: str = "location") -> list[int]:
    """Column indices of the named sites (empty names skipped, repeats once), or 400."""
    if len(names) > MAX_LOCATIONS:
        raise ProblemError(f"At most {MAX_LOCATIONS} locations per request.",
                           {field: [f"{len(names)} values given; at most {MAX_LOCATIONS} allowed"]})
    wanted = list(dict.fromkeys(n for n in names if n))
    if not wanted:
        raise ProblemError(f"Required field: A value for '{field}' must be provided.",
                           {field: [f"A value for '{field}' must be provided."]})
    unknown = [n for n in wanted if n not in svc.site_index]
    if unknown:
        raise ProblemError("Unknown location.", {field: [f"unknown location {n!r}; expected one of "
                                                         f"{sorted(svc.site_index)}" for n in unknown]})
    return [svc.site_index[n] for n in wanted]


def _steps(svc: ServiceState, a: float, b: float) -> range:
    """Steps whose interval overlaps [a, b) (the step holding ``a`` if a == b), within the served horizon."""
    step, n = float(svc.ctx.step_s), _n_steps(svc)
    if a == b:
        k = math.floor(a / step)
        return range(k, k + 1) if 0 <= k < n else range(0)
    return range(max(0, math.floor(a / step)), min(n, math.ceil(b / step)))


def _integral(values: FloatArray, step: float, x: FloatArray) -> FloatArray:
    """Integral of a step series (``values[k]`` over [k step, (k+1) step)) from 0 to each ``x`` in [0, n step]."""
    cum = np.concatenate([[0.0], np.cumsum(values * step)])
    k = np.clip(np.floor(x / step).astype(np.int64), 0, len(values) - 1)
    return cum[k] + values[k] * (x - k * step)


def _emissions(svc: ServiceState, names: list[str], time: datetime | None, to_time: datetime | None,
               duration_minutes: int, fields: tuple[str, str] = ("time", "toTime")) -> list[EmissionsData]:
    """Observed data points of the named sites over the query's period (the SDK's rules for defaults)."""
    sites = _sites(svc, names)
    if to_time is not None and time is None:
        raise ProblemError(f"{fields[0]} is required when {fields[1]} is given.",
                           {fields[0]: [f"{fields[0]} is required when {fields[1]} is given"]})
    a = _seconds(svc, time) if time is not None else (svc.now() - svc.scenario.start).total_seconds()
    b = _seconds(svc, to_time) if to_time is not None else a + 60.0 * duration_minutes
    if b < a:
        raise ProblemError(f"{fields[0]} must not be after {fields[1]}.",
                           {fields[0]: [f"{fields[0]} must not be after {fields[1]}"]})
    steps = _steps(svc, a, b)
    if len(steps) * len(sites) > MAX_POINTS:
        raise ProblemError("Too many data points; ask for a shorter period or fewer locations.",
                           {fields[1]: [f"{len(steps) * len(sites)} data points asked for; at most {MAX_POINTS}"]})
    inten = svc.ctx.signals["intensity_g_per_kwh"]
    span = _timespan(svc.ctx.step_s)
    times = [svc.time_of(k).to_pydatetime() for k in steps]
    return [EmissionsData(location=svc.ctx.site_ids[s], time=t, rating=float(inten[k, s]), duration=span)
            for s in sites for k, t in zip(steps, times, strict=True)]


def _listed(points: list[EmissionsData]) -> list[EmissionsData] | Response:
    return points if points else Response(status_code=204)


@cache
def _forecaster() -> Forecaster:
    return get_forecaster(FORECASTER)


def _forecasts(svc: ServiceState, sites: list[int], issued: int, requested_at: datetime,
               data_start_at: datetime | None, data_end_at: datetime | None, window_size: int | None,
               prefix: str = "") -> list[EmissionsForecastDTO]:
    """The forecast issued at step ``issued`` for each site, scoped to [dataStartAt, dataEndAt], with its windows."""
    step = float(svc.ctx.step_s)
    horizon = min(_n_steps(svc) - issued, max(1, round(FORECAST_HORIZON_H * 3600.0 / step)))
    pred = np.asarray(_forecaster().predict(svc.ctx.signals["intensity_g_per_kwh"], issued, horizon, step_s=step),
                      dtype=np.float64)
    t0, t1 = issued * step, (issued + horizon) * step  # the forecast covers [t0, t1) from the horizon's start
    a = _seconds(svc, data_start_at) if data_start_at is not None else t0
    b = _seconds(svc, data_end_at) if data_end_at is not None else t1
    errors: dict[str, list[str]] = {}
    if a >= b:
        errors.setdefault(f"{prefix}dataStartAt", []).append("dataStartAt must be earlier than dataEndAt")
    span = f"'{_at(svc, t0).isoformat()}' through '{_at(svc, t1).isoformat()}'"
    for name, x in (("dataStartAt", a), ("dataEndAt", b)):
        if not t0 <= x <= t1:
            errors.setdefault(f"{prefix}{name}", []).append(
                f"{name} must be within time range of the forecasted data, {span}")
    if errors:
        raise ProblemError("Invalid EmissionsForecast", errors)
    if window_size is None:  # the forecast's own points that overlap the period
        ks = np.arange(math.floor((a - t0) / step), math.ceil((b - t0) / step))
        starts: FloatArray = (t0 + ks * step).astype(np.float64)
        minutes = int(step // 60)

        def means_of(values: FloatArray) -> FloatArray:
            return values[ks]
    else:  # windows of windowSize minutes inside the period, stepping by one point
        width = 60.0 * window_size
        n = math.floor((b - a - width) / step) + 1 if b - a >= width else 0
        starts = a + np.arange(n, dtype=np.float64) * step
        minutes = window_size

        def means_of(values: FloatArray) -> FloatArray:
            hi: FloatArray = _integral(values, step, starts - t0 + width)
            lo: FloatArray = _integral(values, step, starts - t0)
            return np.asarray((hi - lo) / width, dtype=np.float64)
    out = []
    for s in sites:
        means = means_of(pred[:, s])
        loc = svc.ctx.site_ids[s]
        points = [EmissionsDataDTO(location=loc, timestamp=_at(svc, float(t)), duration=minutes, value=float(v))
                  for t, v in zip(starts, means, strict=True)]
        low = means.min() if points else None
        best = [p for p, v in zip(points, means, strict=True) if v == low]
        out.append(EmissionsForecastDTO(generated_at=_at(svc, t0), requested_at=_utc(requested_at).astimezone(UTC),
                                        location=loc, data_start_at=_at(svc, a), data_end_at=_at(svc, b),
                                        window_size=minutes, optimal_data_points=best, forecast_data=points))
    return out


def _average(svc: ServiceState, name: str, start_time: datetime, end_time: datetime,
             prefix: str = "") -> CarbonIntensityDTO:
    """Time-weighted mean intensity of one site over [startTime, endTime]."""
    s = _sites(svc, [name], field=f"{prefix}location")[0]
    a, b = _seconds(svc, start_time), _seconds(svc, end_time)
    step = float(svc.ctx.step_s)
    if a >= b:
        raise ProblemError("startTime must be earlier than endTime.",
                           {f"{prefix}startTime": ["startTime must be earlier than endTime"]})
    if a < 0 or b > _n_steps(svc) * step:
        raise ProblemError(f"Period out of range. Data points did not cover the requested average period: "
                           f"{start_time.isoformat()} through {end_time.isoformat()}",
                           {f"{prefix}startTime" if a < 0 else f"{prefix}endTime": [
                               f"the served data cover {svc.scenario.start.isoformat()} through "
                               f"{svc.scenario.end.isoformat()}"]})
    values = np.asarray(svc.ctx.signals["intensity_g_per_kwh"][:, s], dtype=np.float64)
    mean = float((_integral(values, step, np.array([b])) - _integral(values, step, np.array([a])))[0] / (b - a))
    return CarbonIntensityDTO(location=svc.ctx.site_ids[s], start_time=_utc(start_time).astimezone(UTC),
                              end_time=_utc(end_time).astimezone(UTC), carbon_intensity=mean)


# --- query parameters ------------------------------------------------------------------------------------------------
Locations = Annotated[list[str], Query(alias="location", description="Location names (site ids); repeat the "
                                       "parameter for several", examples=[["s0"]])]
Time = Annotated[datetime | None, Query(alias="time", description="[Optional] Start of the period (ISO 8601; no "
                                        "offset: UTC); default now", examples=["2022-03-01T15:30:00Z"])]
ToTime = Annotated[datetime | None, Query(alias="toTime", description="[Optional] End of the period; default the "
                                          "start (the one point holding it)", examples=["2022-03-01T18:30:00Z"])]
DurationMinutes = Annotated[int, Query(alias="durationMinutes", ge=0, le=INT32_MAX,
                                       description="[Optional] Period length [min] when toTime is not given "
                                                   "(older SDK clients send it)")]


# --- routes ----------------------------------------------------------------------------------------------------------
@router.get("/emissions/bylocations/best", tags=["CarbonAware"], response_model=list[EmissionsData],
            operation_id="GetBestEmissionsDataForLocationsByTime",
            summary="Calculate the best emission data by list of locations for a specified time period.",
            responses={**NO_CONTENT, **BAD_REQUEST})
def best_emissions(svc: State, location: Locations, time: Time = None, to_time: ToTime = None,
                   duration_minutes: DurationMinutes = 0) -> list[EmissionsData] | Response:
    """Calculate the best emission data by list of locations for a specified time period.

    The data points of all the locations over the period with the lowest rating (several if tied): the
    greenest place and time.
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    location : list of str
        Location names (site ids), ``location`` repeated.
    time, to_time : datetime, optional
        Query ``time`` and ``toTime``: the period (default: the point holding now).
    duration_minutes : int
        Query ``durationMinutes``: period length when ``toTime`` is absent.

    Returns
    -------
    list of EmissionsData or Response
        The best points, or 204 when the period holds no served data.
    """
    points = _emissions(svc, location, time, to_time, duration_minutes)
    if not points:
        return Response(status_code=204)
    low = min(p.rating for p in points)
    return [p for p in points if p.rating == low]


@router.get("/emissions/bylocations", tags=["CarbonAware"], response_model=list[EmissionsData],
            operation_id="GetEmissionsDataForLocationsByTime",
            summary="Calculate the observed emission data by list of locations for a specified time "
                    "period.",
            responses={**NO_CONTENT, **BAD_REQUEST})
def emissions_by_locations(svc: State, location: Locations, time: Time = None, to_time: ToTime = None,
                           duration_minutes: DurationMinutes = 0) -> list[EmissionsData] | Response:
    """Calculate the observed emission data by list of locations for a specified time period.

    Every data point (one per simulation step) of each location that overlaps [time, toTime), by location then
    time; with no ``toTime`` (and no ``durationMinutes``), the point holding ``time``.
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    location : list of str
        Location names (site ids), ``location`` repeated.
    time, to_time : datetime, optional
        Query ``time`` and ``toTime``: the period (default: the point holding now).
    duration_minutes : int
        Query ``durationMinutes``: period length when ``toTime`` is absent.

    Returns
    -------
    list of EmissionsData or Response
        The points, or 204 when the period holds no served data.
    """
    return _listed(_emissions(svc, location, time, to_time, duration_minutes))


@router.get("/emissions/bylocation", tags=["CarbonAware"], response_model=list[EmissionsData],
            operation_id="GetEmissionsDataForLocationByTime",
            summary="Calculate the observed emission data by location for a specified time period.",
            responses={**NO_CONTENT, **BAD_REQUEST})
def emissions_by_location(
        svc: State,
        location: Annotated[str, Query(description="Location name (site id)", examples=["s0"])],
        time: Time = None, to_time: ToTime = None, duration_minutes: DurationMinutes = 0,
        start_time: Annotated[datetime | None, Query(alias="startTime", description="Older clients' name for "
                                                     "time")] = None,
        end_time: Annotated[datetime | None, Query(alias="endTime", description="Older clients' name for "
                                                   "toTime")] = None) -> list[EmissionsData] | Response:
    """Calculate the observed emission data by location for a specified time period.

    As ``/emissions/bylocations`` for one location. ``startTime`` and ``endTime`` are accepted for ``time`` and
    ``toTime`` (some SDK versions' clients send them).
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    location : str
        Location name (site id).
    time, to_time : datetime, optional
        Query ``time`` and ``toTime``: the period (default: the point holding now).
    duration_minutes : int
        Query ``durationMinutes``: period length when ``toTime`` is absent.
    start_time, end_time : datetime, optional
        Query ``startTime`` and ``endTime``: used where ``time`` / ``toTime`` are absent.

    Returns
    -------
    list of EmissionsData or Response
        The points, or 204 when the period holds no served data.
    """
    return _listed(_emissions(svc, [location], time if time is not None else start_time,
                              to_time if to_time is not None else end_time, duration_minutes))


@router.get("/emissions/forecasts/current", tags=["CarbonAware"], response_model=list[EmissionsForecastDTO],
            operation_id="GetCurrentForecastData",
            summary="Retrieves the most recent forecasted data and calculates the optimal marginal carbon "
                    "intensity window.",
            responses=BAD_REQUEST)
def current_forecast(
        svc: State, location: Locations,
        data_start_at: Annotated[datetime | None, Query(alias="dataStartAt", description="Start of the forecast "
                                                        "data to use; default its first point",
                                                        examples=["2022-03-01T15:30:00Z"])] = None,
        data_end_at: Annotated[datetime | None, Query(alias="dataEndAt", description="End of the forecast data to "
                                                      "use; default its end",
                                                      examples=["2022-03-01T18:30:00Z"])] = None,
        window_size: Annotated[int | None, Query(alias="windowSize", gt=0, le=INT32_MAX,
                                                 description="Workload duration [min]; default one data point",
                                                 examples=[30])] = None) -> list[EmissionsForecastDTO]:
    """Retrieves the most recent forecasted data and calculates the optimal marginal carbon intensity window.

    The forecast is issued at the step holding now (the served horizon's first step when now is outside it) and
    runs to the end of the served horizon or for ``FORECAST_HORIZON_H`` hours. Within [dataStartAt, dataEndAt]
    (both must lie inside the forecast), ``forecastData`` holds the time-weighted mean of every ``windowSize``-long
    window starting at dataStartAt and stepping by one data point (without windowSize: the forecast's own points),
    and ``optimalDataPoints`` the windows with the lowest mean — the best time to start the workload.
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    location : list of str
        Location names (site ids), ``location`` repeated.
    data_start_at, data_end_at : datetime, optional
        Query ``dataStartAt`` and ``dataEndAt``: the part of the forecast to use.
    window_size : int, optional
        Query ``windowSize``: workload duration [min].

    Returns
    -------
    list of EmissionsForecastDTO
        One forecast per location.
    """
    sites = _sites(svc, location)
    now = svc.now()
    try:
        issued = svc.step_of(now)
    except InputError:  # now is outside the served horizon: forecast from its start
        issued = 0
    return _forecasts(svc, sites, issued, now.to_pydatetime(), data_start_at, data_end_at, window_size)


@router.post("/emissions/forecasts/batch", tags=["CarbonAware"], response_model=list[EmissionsForecastDTO],
             operation_id="BatchForecastDataAsync",
             summary="Given an array of historical forecasts, retrieves the forecasts and their optimal windows.",
             responses=BAD_REQUEST)
def batch_forecast(svc: State, requests: Annotated[list[EmissionsForecastBatchParametersDTO], Body(
        description="Array of requested forecasts")]) -> list[EmissionsForecastDTO]:
    """Given an array of historical forecasts, retrieves the data that contains forecasts metadata, the optimal
    forecast and a range of forecasts filtered by the attributes [start...end] if provided.

    Each item is answered as ``/emissions/forecasts/current`` would have been at ``requestedAt`` (which must lie in
    the served horizon): the forecast issued in the step holding it. Useful to back-test what a scheduler would
    have done.
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    requests : list of EmissionsForecastBatchParametersDTO
        The requested forecasts (at most ``MAX_BATCH``).

    Returns
    -------
    list of EmissionsForecastDTO
        One forecast per item, in order.
    """
    if len(requests) > MAX_BATCH:
        raise ProblemError(f"At most {MAX_BATCH} items per batch.", {"$": [f"{len(requests)} items given"]})
    out = []
    for i, req in enumerate(requests):
        prefix = f"[{i}]."
        sites = _sites(svc, [req.location], field=f"{prefix}location")
        at = _seconds(svc, req.requested_at)
        if not 0 <= at < _n_steps(svc) * svc.ctx.step_s:
            raise ProblemError("requestedAt is outside the served horizon.", {f"{prefix}requestedAt": [
                f"requestedAt must be within {svc.scenario.start.isoformat()} through {svc.scenario.end.isoformat()}"]})
        out += _forecasts(svc, sites, math.floor(at / svc.ctx.step_s), req.requested_at, req.data_start_at,
                          req.data_end_at, req.window_size, prefix=prefix)
    return out


@router.get("/emissions/average-carbon-intensity", tags=["CarbonAware"], response_model=CarbonIntensityDTO,
            operation_id="GetAverageCarbonIntensity",
            summary="Retrieves the measured carbon intensity data between the time boundaries and calculates the "
                    "average carbon intensity during that period.",
            responses=BAD_REQUEST)
def average_carbon_intensity(
        svc: State,
        location: Annotated[str, Query(description="Location name (site id)", examples=["s0"])],
        start_time: Annotated[datetime, Query(alias="startTime", description="Start of the period (ISO 8601; no "
                                              "offset: UTC)", examples=["2022-03-01T15:30:00Z"])],
        end_time: Annotated[datetime, Query(alias="endTime", description="End of the period",
                                            examples=["2022-03-01T18:30:00Z"])]) -> CarbonIntensityDTO:
    """Retrieves the measured carbon intensity data between the time boundaries and calculates the average carbon
    intensity during that period.

    The time-weighted mean over [startTime, endTime]: a step partly inside counts for the part inside. The
    period must lie within the served horizon (else 400, as the SDK answers a period its data do not cover).
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    location : str
        Location name (site id).
    start_time, end_time : datetime
        Query ``startTime`` and ``endTime``: the period.

    Returns
    -------
    CarbonIntensityDTO
        The location, the period and the mean ``carbonIntensity`` [gCO2/kWh].
    """
    return _average(svc, location, start_time, end_time)


@router.post("/emissions/average-carbon-intensity/batch", tags=["CarbonAware"],
             response_model=list[CarbonIntensityDTO], operation_id="GetAverageCarbonIntensityBatch",
             summary="Calculate the average carbon intensity for each location and period of an array.",
             responses=BAD_REQUEST)
def average_carbon_intensity_batch(svc: State, requests: Annotated[list[CarbonIntensityBatchParametersDTO], Body(
        description="Array of inputs, each a location, startTime and endTime")]) -> list[CarbonIntensityDTO]:
    """Given an array of request objects, each with their own location and time boundaries, calculate the average
    carbon intensity for that location and time period and return an array of carbon intensity objects.

    As ``/emissions/average-carbon-intensity`` for each item (locations may differ); one bad item fails the batch
    with 400 naming it (``[i].startTime``).
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.
    requests : list of CarbonIntensityBatchParametersDTO
        The periods (at most ``MAX_BATCH``).

    Returns
    -------
    list of CarbonIntensityDTO
        One per item, in order.
    """
    if len(requests) > MAX_BATCH:
        raise ProblemError(f"At most {MAX_BATCH} items per batch.", {"$": [f"{len(requests)} items given"]})
    return [_average(svc, r.location, r.start_time, r.end_time, prefix=f"[{i}].") for i, r in enumerate(requests)]


@router.get("/locations", tags=["Locations"], response_model=dict[str, Location], operation_id="GetAllLocations",
            summary="Get all locations instances",
            responses=NO_CONTENT)
def all_locations(svc: State) -> dict[str, Location] | Response:
    """Get all locations instances.

    Every served site by id, with its latitude and longitude; 204 if the network has no sites.
    \f

    Parameters
    ----------
    svc : ServiceState
        The running service.

    Returns
    -------
    dict of str to Location or Response
        The locations.
    """
    out = {s.id: Location(latitude=s.lat_deg, longitude=s.lon_deg, name=s.id) for s in svc.scenario.network.sites}
    return out if out else Response(status_code=204)

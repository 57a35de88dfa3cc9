"""ASGI middleware: the request-size limit and Prometheus metrics, without Starlette's per-request task group.

Written against the raw ASGI interface (``scope, receive, send``) because ``@app.middleware("http")`` wraps every
request in a task group and a stream pair, which cost more than the placement itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

#: Latency histogram buckets [s].
LATENCY_BUCKETS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


class BodyTooLarge(HTTPException):
    """A request body went past the limit while it was being read (a 413 for the app's exception handler)."""

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_body_bytes} bytes")


class LimitsAndMetrics:
    """Refuse bodies over ``max_body_bytes`` with 413 (declared or streamed); count and time every request.

    Parameters
    ----------
    app
        The ASGI application to wrap.
    max_body_bytes
        Largest request body accepted [bytes].
    registry
        Where the ``shulu_http_requests`` counter and ``shulu_http_request_seconds`` histogram live.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, registry: CollectorRegistry) -> None:
        self.app = app
        self.max_body_bytes = int(max_body_bytes)
        self.requests = Counter("shulu_http_requests", "HTTP requests", ["route", "method", "status"],
                                registry=registry)
        self.latency = Histogram("shulu_http_request_seconds", "HTTP request latency [s]", ["route"],
                                 registry=registry, buckets=LATENCY_BUCKETS_S)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.max_body_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t = time.perf_counter()
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_body_bytes:
                    await self._too_large(send)
                    self.requests.labels("unmatched", scope["method"], "413").inc()
                    return
                break
        seen = 0
        status = [500]
        started = [False]
        limit = self.max_body_bytes

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                started[0] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started[0]:
                raise
            await self._too_large(send)
            status[0] = 413
        route = scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.requests.labels(path, scope["method"], str(status[0])).inc()
        self.latency.labels(path).observe(time.perf_counter() - t)

"""A small HTTP layer for provider clients: httpx with timeouts, retries with back-off, clear errors.

Retries cover connection errors, timeouts, HTTP 429 and 5xx (honouring ``Retry-After`` when it is a number of
seconds); other 4xx answers fail at once with a message naming the URL and the provider's reason. Tests pass an
:class:`httpx.MockTransport` that replays recorded responses, and a no-op ``sleep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx

from shulu.errors import InputError

#: Seconds to wait for a connection and for each read.
DEFAULT_TIMEOUT_S: Final[float] = 20.0
#: Attempts per request (1 + retries).
DEFAULT_ATTEMPTS: Final[int] = 4
#: First back-off [s]; doubles after each failed attempt.
DEFAULT_BACKOFF_S: Final[float] = 1.0
#: Longest single wait [s], also for a server's Retry-After.
MAX_BACKOFF_S: Final[float] = 60.0
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class ProviderError(InputError):
    """A provider could not deliver: unreachable, refused the credentials, or answered something unusable."""


class HttpClient:
    """GET JSON with timeouts and retries.

    Parameters
    ----------
    base_url : str
        Prefix of every path.
    headers : mapping, optional
        Headers sent with every request (an API key).
    timeout_s : float
        Connect and read timeout [s].
    attempts : int
        Tries per request, at least 1.
    backoff_s : float
        First wait between tries [s], doubled each time.
    transport : httpx.BaseTransport, optional
        For tests: an :class:`httpx.MockTransport`.
    sleep : callable, optional
        Waits a number of seconds (tests pass a no-op).
    """

    def __init__(self, base_url: str, *, headers: Mapping[str, str] | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, attempts: int = DEFAULT_ATTEMPTS,
                 backoff_s: float = DEFAULT_BACKOFF_S, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if attempts < 1:
            raise InputError(f"expected attempts >= 1, got {attempts}", field="attempts")
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.client = httpx.Client(headers=dict(headers or {}), timeout=httpx.Timeout(timeout_s),
                                   transport=transport, follow_redirects=False)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """Full URL of a path (an absolute URL is kept)."""
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, auth: httpx.Auth | tuple[str, str] | None = None,
                 what: str = "provider") -> Any:
        """GET ``path`` and parse its JSON body, retrying transient failures.

        Raises
        ------
        ProviderError
            After the last attempt, or at once on a non-retryable HTTP error or a non-JSON body.
        """
        url = self.url(path)
        wait = self.backoff_s
        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                resp = self.client.get(url, params=dict(params or {}), headers=dict(headers or {}), auth=auth)
            except httpx.TimeoutException:
                last = "timed out"
            except httpx.TransportError as exc:
                last = f"could not connect ({exc.__class__.__name__}: {exc})"
            else:
                if resp.status_code < 400:
                    try:
                        return resp.json()
                    except ValueError:
                        raise ProviderError(f"{what}: expected a JSON answer from {url}, got "
                                            f"{resp.text[:80]!r}") from None
                last = f"HTTP {resp.status_code} {resp.reason_phrase}: {_reason(resp)}"
                if resp.status_code not in _RETRY_STATUS:
                    hint = " (check the credentials)" if resp.status_code in (401, 403) else ""
                    raise ProviderError(f"{what}: {url}: {last}{hint}")
                retry_after = resp.headers.get("retry-after", "")
                if retry_after.replace(".", "", 1).isdigit():
                    wait = max(wait, float(retry_after))
            if attempt < self.attempts:
                self.sleep(min(wait, MAX_BACKOFF_S))
                wait *= 2.0
        raise ProviderError(f"{what}: {url}: {last} (after {self.attempts} attempts)")


def _reason(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200].strip() or "no details"
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "title"):
            if key in body:
                return str(body[key])[:200]
    return str(body)[:200]

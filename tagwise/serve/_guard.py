"""Front-door guards of the server, as pure ASGI middleware that run before a body is parsed.

* :class:`BodyLimit` refuses a body over the byte limit (413) from its Content-Length, or while
  a chunked upload streams in.
* :class:`Admission` sheds ``POST /v1/predict`` with 503 *before reading its body* when the
  model already has more work queued than the queue-time budget (the rows waiting and those of
  the requests still being parsed, times the model's measured cost per row), when too many
  predictions are in flight (a hard cap, and under a standing queue an adaptive limit of
  budget × throughput, by Little's law), or when the event loop lags (it is saturated parsing
  requests, so anything admitted now would wait behind the backlog). Rejecting costs a fraction
  of what serving costs, so the server keeps answering — quickly, either way — at loads well past
  its capacity, instead of letting every request's latency grow without bound. The lag probe is
  the idea of CoDel-style queue management (Nichols & Jacobson, "Controlling Queue Delay", 2012):
  judge overload by how long work waits, not by how much of it there is. Under ``run_server``
  the same decision (:meth:`LoadState.refusal`) is first taken by the HTTP protocol itself
  (:mod:`tagwise.serve._door`), which is cheaper still.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

__all__ = ["Admission", "BodyLimit", "LoadState", "monitor_lag"]


@dataclass
class LoadState:
    """Shared between the admission middleware, the lag probe and ``/v1/stats``."""

    max_inflight: int
    max_lag_s: float
    max_wait_s: float = float("inf")
    #: estimated model wait of a new request, given the predictions in flight (``_app`` sets it)
    model_wait: Callable[[int], float] | None = None
    #: the adaptive in-flight limit never goes below this (bursts of this size are never shed)
    min_inflight: int = 32
    inflight: int = 0
    limit: float = float("inf")  # adaptive in-flight limit, set by ``monitor_lag``
    sojourn_s: float = 0.0  # time admitted predictions spend in the server (moving average)
    completed: int = 0  # admitted predictions answered (any status) since start
    throughput: float = 0.0  # predictions answered per second, recent window
    lag_s: float = 0.0
    shed_inflight: int = 0
    shed_lag: int = 0
    shed_wait: int = 0

    def refusal(self) -> str | None:
        """Why a new prediction must be refused now, or None to admit it; counts the refusal."""
        # The adaptive limit applies only once admitted requests take half the budget or more:
        # a burst on an idle server is queued, a standing queue is not.
        busy = self.sojourn_s >= self.max_wait_s / 2
        limit = min(self.max_inflight, self.limit) if busy else self.max_inflight
        if self.inflight >= limit:
            self.shed_inflight += 1
            return f"{self.inflight} predictions in flight (limit {limit:.0f})"
        if self.lag_s > self.max_lag_s:
            self.shed_lag += 1
            return f"event loop {self.lag_s * 1000:.0f} ms behind"
        if self.model_wait is not None:
            wait = self.model_wait(self.inflight)
            if wait > self.max_wait_s:
                self.shed_wait += 1
                return f"the model has about {wait:.2f}s of work queued (budget {self.max_wait_s}s)"
        return None


async def monitor_lag(load: LoadState, interval: float = 0.02, window: float = 0.5) -> None:
    """Measure how late the event loop wakes a sleeping task, and the throughput; runs until
    cancelled.

    ``load.lag_s`` is the *smallest* lag of the last ``window`` seconds, as CoDel judges a queue
    by its minimum sojourn time: one stall (a GC pause, a busy neighbour on the machine) does
    not shed anything, a standing backlog — every sample late — does.

    ``load.limit``, the adaptive in-flight limit, follows Little's law: requests in flight =
    throughput × time in the server, so capping them at ``max_wait_s × throughput`` keeps the
    time an admitted request spends in the server near the budget whatever the offered load
    (throughput over the last ``window`` seconds; never below ``min_inflight``). It applies
    while admitted requests spend half the budget or more in the server (see
    :meth:`LoadState.refusal`).
    """
    samples: deque[tuple[float, float, int]] = deque()
    while True:
        start = time.perf_counter()
        await asyncio.sleep(interval)
        now = time.perf_counter()
        samples.append((now, max(0.0, now - start - interval), load.completed))
        while samples[0][0] < now - window:
            samples.popleft()
        load.lag_s = min(lag for _, lag, _ in samples)
        span = now - samples[0][0]
        if span > 0:
            load.throughput = (load.completed - samples[0][2]) / span
            load.limit = max(load.min_inflight, load.max_wait_s * load.throughput)


_SHED_HEADERS = [(b"content-type", b"application/json"), (b"retry-after", b"1")]


def shed_body(why: str) -> bytes:
    """The JSON body of a 503 refusal (the ASGI and the HTTP-protocol paths send the same)."""
    return f'{{"error": "server overloaded: {why}. Retry later."}}'.encode()


def echoed_request_id(headers: Any) -> bytes | None:
    """A client's ``X-Request-Id`` from raw (name, value) headers, if it is safe to echo: up to
    128 printable ASCII characters."""
    for name, value in headers:
        if name == b"x-request-id":
            return value[:128] if value.isascii() and value.decode().isprintable() else None
    return None


class Admission:
    """Shed predictions with 503 + Retry-After before parsing them when the server is saturated.

    Also echoes a client's ``X-Request-Id`` header (up to 128 printable ASCII characters) on every
    answer, so that a client or a load generator can match answers to requests.
    """

    def __init__(self, app: Any, load: LoadState) -> None:
        self.app, self.load = app, load

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = echoed_request_id(scope.get("headers", ()))
        inner = send if rid is None else _echo(send, rid)
        if scope["path"] != "/v1/predict":
            await self.app(scope, receive, inner)
            return
        load = self.load
        why = load.refusal()
        if why is not None:
            body = shed_body(why)
            headers = [*_SHED_HEADERS, (b"content-length", str(len(body)).encode())]
            if rid is not None:
                headers.append((b"x-request-id", rid))
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        load.inflight += 1
        admitted = time.perf_counter()
        try:
            await self.app(scope, receive, inner)
        finally:
            load.inflight -= 1
            load.completed += 1
            load.sojourn_s += 0.05 * (time.perf_counter() - admitted - load.sojourn_s)


def _echo(send: Any, rid: bytes) -> Any:
    async def echo(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
            message = {**message, "headers": [*headers, (b"x-request-id", rid)]}
        await send(message)

    return echo


class BodyLimit:
    """Pure ASGI middleware: refuse bodies over ``max_bytes`` before they are buffered."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            size = length.decode(errors="replace")
            message = (
                f"request body of {size} bytes exceeds the limit of {self.max_bytes}; "
                "send smaller batches."
            )
            await JSONResponse({"error": message}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > self.max_bytes:  # chunked upload without a Content-Length
                raise HTTPException(
                    413, f"request body exceeds the limit of {self.max_bytes} bytes."
                )
            return msg

        await self.app(scope, limited, send)

"""Front-door guards of the server, as pure ASGI middleware that run before a body is parsed.

* :class:`BodyLimit` refuses a body over the byte limit (413) from its Content-Length, or while
  a chunked upload streams in.
* :class:`Admission` sheds ``POST /v1/predict`` with 503 *before reading its body* when too many
  predictions are already in flight, or when the event loop lags (it is saturated parsing
  requests, so anything admitted now would wait behind the backlog). Rejecting costs a fraction
  of what serving costs, so the server keeps answering — quickly, either way — at loads well past
  its capacity, instead of letting every request's latency grow without bound. The lag probe is
  the idea of CoDel-style queue management (Nichols & Jacobson, "Controlling Queue Delay", 2012):
  judge overload by how long work waits, not by how much of it there is.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
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
    inflight: int = 0
    lag_s: float = 0.0
    shed_inflight: int = 0
    shed_lag: int = 0


async def monitor_lag(load: LoadState, interval: float = 0.02, window: float = 0.5) -> None:
    """Measure how late the event loop wakes a sleeping task; runs until cancelled.

    ``load.lag_s`` is the *smallest* lag of the last ``window`` seconds, as CoDel judges a queue
    by its minimum sojourn time: one stall (a GC pause, a busy neighbour on the machine) does
    not shed anything, a standing backlog — every sample late — does.
    """
    samples: deque[tuple[float, float]] = deque()
    while True:
        start = time.perf_counter()
        await asyncio.sleep(interval)
        now = time.perf_counter()
        samples.append((now, max(0.0, now - start - interval)))
        while samples[0][0] < now - window:
            samples.popleft()
        load.lag_s = min(lag for _, lag in samples)


_SHED_HEADERS = [(b"content-type", b"application/json"), (b"retry-after", b"1")]


class Admission:
    """Shed predictions with 503 + Retry-After before parsing them when the server is saturated."""

    def __init__(self, app: Any, load: LoadState) -> None:
        self.app, self.load = app, load

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/predict":
            await self.app(scope, receive, send)
            return
        load = self.load
        if load.inflight >= load.max_inflight or load.lag_s > load.max_lag_s:
            if load.inflight >= load.max_inflight:
                load.shed_inflight += 1
                why = f"{load.inflight} predictions in flight (limit {load.max_inflight})"
            else:
                load.shed_lag += 1
                why = f"event loop {load.lag_s * 1000:.0f} ms behind"
            body = f'{{"error": "server overloaded: {why}. Retry later."}}'.encode()
            headers = [*_SHED_HEADERS, (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        load.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            load.inflight -= 1


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

"""Run the app under uvicorn with a graceful shutdown: SIGTERM stops accepting connections, marks
the server not ready, lets in-flight requests (and the batches they wait on) finish, then exits."""

from __future__ import annotations

import sys
from typing import Any

from tagwise.serve._app import ServeLimits, create_app

__all__ = ["run_server"]


def run_server(
    model: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServeLimits | None = None,
    graceful_timeout: float = 30.0,
    limit_concurrency: int | None = 1024,
    keep_alive_s: float = 5.0,
    log_level: str = "warning",
) -> None:
    """Serve ``model`` (a fitted estimator or a model directory) until SIGINT/SIGTERM.

    Parameters
    ----------
    host : interface to bind; loopback by default — expose it on purpose with ``0.0.0.0``
    port : TCP port (0 picks a free one)
    limits : request limits and batching knobs
    graceful_timeout : seconds in-flight requests get to finish after SIGTERM
    limit_concurrency : connections/tasks above which uvicorn answers 503 (first line of shedding)
    keep_alive_s : seconds an idle keep-alive connection stays open (uvicorn's default: 5)
    """
    import uvicorn

    from tagwise.serve._door import shedding_protocol
    from tagwise.serve._guard import Admission

    app = create_app(model, limits=limits, admission=False)
    # Refusals are answered by the HTTP protocol itself when it can (httptools), otherwise by
    # Admission, which wraps the whole app, outside FastAPI's own middleware layers.
    protocol = shedding_protocol(app.state.load)
    config = uvicorn.Config(
        Admission(app, app.state.load),
        http=protocol or "auto",
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=int(graceful_timeout),
        limit_concurrency=limit_concurrency,
        timeout_keep_alive=int(keep_alive_s),
        lifespan="on",
    )

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            app.state.serving["draining"] = True  # /health/ready → 503 at once
            super().handle_exit(sig, frame)

    server = _Server(config)
    print(f"tagwise: serving on http://{host}:{port} (Ctrl-C or SIGTERM to stop)", file=sys.stderr)
    server.run()

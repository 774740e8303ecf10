"""``tagwise serve MODEL_DIR``: the HTTP prediction server (FastAPI + uvicorn)."""

from __future__ import annotations

from pathlib import Path

import typer

from tagwise.cli._app import app
from tagwise.exceptions import MissingDependencyError


@app.command("serve")
def serve(
    model_dir: Path = typer.Argument(..., help="Model directory (from `tagwise train`)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind; 0.0.0.0 exposes the server."),
    port: int = typer.Option(8000, min=0, max=65535, help="TCP port."),
    max_instances: int = typer.Option(256, min=1, help="Most instances in one request."),
    max_body_mb: float = typer.Option(8.0, min=0.001, help="Largest request body, in MiB."),
    max_text_chars: int = typer.Option(20_000, min=1, help="Longest text accepted (text models)."),
    max_batch_rows: int = typer.Option(1024, min=1, help="Most rows scored in one model call."),
    max_pending_rows: int = typer.Option(4096, min=1, help="Rows waiting before requests get 503."),
    max_queue_s: float = typer.Option(
        0.5,
        min=0.001,
        help="Queue-time budget: 503 when the estimated or actual wait for the model is longer.",
    ),
    max_inflight: int = typer.Option(256, min=1, help="Predictions in flight before 503 unread."),
    max_loop_lag_ms: float = typer.Option(100.0, min=1.0, help="Event-loop lag before 503 unread."),
    max_wait_ms: float = typer.Option(0.0, min=0.0, help="Batching window (0 = greedy)."),
    worker: str = typer.Option(
        "process", help="Where the model runs: 'process' (its own, no GIL contention) or 'thread'."
    ),
    threads: int = typer.Option(
        1, min=0, help="Model threads (torch/BLAS); 0 leaves them as they are."
    ),
    limit_concurrency: int = typer.Option(
        1024, min=1, help="Open requests before uvicorn answers 503."
    ),
    keep_alive_s: float = typer.Option(
        5.0, min=1.0, help="Seconds an idle keep-alive connection stays open."
    ),
    graceful_timeout: float = typer.Option(
        30.0, min=0.0, help="Seconds in-flight requests get on SIGTERM."
    ),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Serve a model over HTTP: POST /v1/predict, GET /v1/labels, /v1/model, /health/*, /docs."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "serving needs FastAPI and uvicorn: pip install 'tagwise[serve]'."
        ) from None
    from tagwise.serve import ServeLimits, run_server

    limits = ServeLimits(
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_instances=max_instances,
        max_text_chars=max_text_chars,
        max_batch_rows=max_batch_rows,
        max_pending_rows=max_pending_rows,
        max_queue_s=max_queue_s,
        max_wait_ms=max_wait_ms,
        threads=threads or None,
        worker=worker,
        max_inflight=max_inflight,
        max_loop_lag_s=max_loop_lag_ms / 1000.0,
    )
    run_server(
        model_dir,
        host=host,
        port=port,
        limits=limits,
        graceful_timeout=graceful_timeout,
        limit_concurrency=limit_concurrency,
        keep_alive_s=keep_alive_s,
        log_level=log_level,
    )

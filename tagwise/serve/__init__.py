"""Serving: the HTTP app (FastAPI) with micro-batching and load shedding, and batch prediction."""

from __future__ import annotations

from typing import Any

__all__ = ["ServeLimits", "create_app", "run_server"]


def __getattr__(name: str) -> Any:
    # Lazy: the model worker process imports tagwise.serve._worker without FastAPI and uvicorn.
    if name in ("ServeLimits", "create_app"):
        from tagwise.serve import _app

        return getattr(_app, name)
    if name == "run_server":
        from tagwise.serve._server import run_server

        return run_server
    raise AttributeError(f"module 'tagwise.serve' has no attribute {name!r}")

"""Serving: the HTTP app (FastAPI) with micro-batching and load shedding, and batch prediction."""

from tagwise.serve._app import ServeLimits, create_app
from tagwise.serve._server import run_server

__all__ = ["ServeLimits", "create_app", "run_server"]

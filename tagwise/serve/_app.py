"""The HTTP API of a tagwise model (FastAPI): predict, labels, model manifest, health, OpenAPI.

Every error a client can cause is a 4xx with a JSON ``{"error": message}`` — 413 for a body over
the byte limit, 422 for a request that does not match the schema or the model (with the field
that is wrong), 503 with ``Retry-After`` when the server sheds load — never a 500 traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from tagwise.exceptions import TagwiseError
from tagwise.serve._batcher import MicroBatcher, Overloaded
from tagwise.serve._guard import Admission, BodyLimit, LoadState, monitor_lag
from tagwise.serve._worker import ModelProcess, _limit_threads

__all__ = ["ServeLimits", "create_app"]

log = logging.getLogger("tagwise.serve")


@dataclass(frozen=True)
class ServeLimits:
    """Request limits and batching/shedding knobs of the server.

    Parameters
    ----------
    max_body_bytes : largest request body accepted (413 above it)
    max_instances : most instances in one request
    max_text_chars : longest text accepted (text models)
    max_batch_rows : most rows scored in one model call
    max_pending_rows : rows queued or in flight before new requests get 503
    max_queue_s : queue-time budget: a request whose estimated wait for the model is longer
        gets 503 at once (before its body is read, when the estimate allows), and one that waited
        longer gets 503 instead of being scored late
    max_inflight : predictions being parsed, queued or scored before new ones get 503 unread
    max_loop_lag_s : event-loop lag above which new predictions get 503 unread
    max_wait_ms : batching window after the first queued request (0 = greedy, no added latency)
    worker : ``"thread"`` runs the model in a thread of the server process; ``"process"`` in a
        worker process of its own (see :mod:`tagwise.serve._worker`): the model then never
        competes with the event loop for the GIL — what ``tagwise serve`` does by default.
    threads : intra-op threads of the model (torch, BLAS); None leaves them as they are. The
        default 1 gives the model one core and the event loop the other: switching torch's
        thread count per call, or several threads contending for busy cores, cost tens of
        milliseconds per small batch in ``benchmarks/serve.py``.
    """

    max_body_bytes: int = 8 * 1024 * 1024
    max_instances: int = 256
    max_text_chars: int = 20_000
    max_batch_rows: int = 1024
    max_pending_rows: int = 4096
    max_queue_s: float = 0.5
    max_wait_ms: float = 0.0
    threads: int | None = 1
    worker: str = "thread"
    max_inflight: int = 256
    max_loop_lag_s: float = 0.1


class LabelScore(BaseModel):
    label: str
    score: float


class PredictResponse(BaseModel):
    predictions: list[list[LabelScore]] = Field(
        description="for each instance, its labels with scores, highest first"
    )


class ErrorResponse(BaseModel):
    error: str


def _request_model(text: bool, n_features: int | None, limits: ServeLimits) -> type[BaseModel]:
    if text:
        instance: Any = Annotated[str, StringConstraints(max_length=limits.max_text_chars)]
        doc = f"texts to label (at most {limits.max_text_chars} characters each)"
    else:
        row = list[Annotated[float, Field(allow_inf_nan=False)]]
        instance = (
            Annotated[row, Field(min_length=n_features, max_length=n_features)]
            if n_features
            else row
        )
        doc = f"feature vectors of length {n_features}"
    return create_model(
        "PredictRequest",
        __config__=ConfigDict(extra="forbid"),
        instances=(
            list[instance],
            Field(
                min_length=1,
                max_length=limits.max_instances,
                description=f"{doc}; at most {limits.max_instances} per request",
            ),
        ),
        threshold=(
            float | None,
            Field(None, ge=0.0, le=1.0, description="overrides the fitted thresholds"),
        ),
        top_k=(
            int | None,
            Field(None, ge=1, description="return the k best labels, whatever their scores"),
        ),
    )


def _label_scores(
    proba: np.ndarray, names: list[str], keep: np.ndarray | None, top_k: int | None
) -> list[Any]:
    """Per row, the kept labels (or the ``top_k`` best) with scores, highest first."""
    order = np.argsort(-proba, axis=1, kind="stable")
    if top_k is not None:
        order = order[:, :top_k]
    out = []
    for row, mask, idx in zip(proba, keep if keep is not None else order, order, strict=True):
        if top_k is None:
            idx = idx[mask[idx]]
        out.append([{"label": names[j], "score": float(row[j])} for j in idx])
    return out


def _own_strategy(model: Any) -> Any:
    """The fitted threshold strategy of a model whose ``predict_labels`` applies one (e.g. a
    ThresholdedClassifier with top-k or at-least-one), so that the server decides as it does."""
    from tagwise.base import has_own_decisions

    strategy = getattr(model, "strategy_", None)
    applies = has_own_decisions(model) and callable(getattr(strategy, "apply", None))
    return strategy if applies else None


def _describe(model: Any, manifest: dict[str, Any] | None) -> dict[str, Any]:
    if manifest is not None:
        return manifest
    n_features = getattr(model, "n_features_in_", None)
    return {
        "kind": getattr(type(model), "_artifact_kind", type(model).__name__),
        "params": {k: repr(v) for k, v in model.get_params(deep=False).items()},
        "label_names": [str(c) for c in model.classes_],
        "feature_schema": {
            "input": getattr(model, "_artifact_input", "features"),
            "n_features": n_features,
        },
    }


def _validation_message(errors: list[Any]) -> str:
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{where or 'body'}: {first.get('msg', 'invalid request')}{more}"


def create_app(model: Any, *, limits: ServeLimits | None = None, admission: bool = True) -> FastAPI:
    """Build the HTTP app for a fitted model or a model directory.

    Parameters
    ----------
    model : a fitted tagwise estimator, or the path of a model directory (loaded safely)
    limits : request limits and batching knobs (:class:`ServeLimits` defaults otherwise)
    admission : add the admission middleware (load shedding before parsing). ``run_server``
        passes False and wraps the whole app in :class:`Admission` instead (with
        ``app.state.load``), so that a refusal skips FastAPI's own middleware layers too.
    """
    from tagwise.io import load_model, read_manifest

    limits = limits or ServeLimits()
    if limits.worker not in ("thread", "process"):
        raise TagwiseError(f"worker must be 'thread' or 'process', not {limits.worker!r}.")
    manifest, source = None, model
    if isinstance(model, (str, os.PathLike)):
        manifest = read_manifest(Path(model))
        model = load_model(Path(model))
    if limits.threads is not None:
        _limit_threads(model, limits.threads)
    text = getattr(model, "_artifact_input", "features") == "text"
    n_features = None if text else getattr(model, "n_features_in_", None)
    names = [str(c) for c in model.classes_]
    fitted_cut = np.asarray(model._decision_thresholds(), dtype=np.float64)
    strategy = _own_strategy(model)
    info = _describe(model, manifest)
    worker = ModelProcess(source, threads=limits.threads) if limits.worker == "process" else None
    batcher = MicroBatcher(
        worker or (lambda X: np.asarray(model.predict_proba(X), dtype=np.float64)),
        max_batch_rows=limits.max_batch_rows,
        max_pending_rows=limits.max_pending_rows,
        max_queue_s=limits.max_queue_s,
        max_wait_ms=limits.max_wait_ms,
    )
    state = {"draining": False}

    def model_wait(inflight: int) -> float:
        """Estimated model wait of a new request: rows queued, plus those of the requests
        admitted but still being parsed (at the mean rows per request so far)."""
        parsing = max(0, inflight - batcher.waiting_requests)
        per_request = batcher.stats.rows / max(1, batcher.stats.requests)
        return batcher.estimated_wait_s(batcher.pending_rows + parsing * per_request)

    load = LoadState(
        max_inflight=limits.max_inflight,
        max_lag_s=limits.max_loop_lag_s,
        max_wait_s=limits.max_queue_s,
        model_wait=model_wait,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if worker is not None:  # loading the model in the child takes seconds: not on the loop
            await asyncio.to_thread(worker.start)
        await batcher.start()
        probe = asyncio.create_task(monitor_lag(load), name="tagwise-lag-probe")
        warm = [""] if text else np.zeros((1, n_features or 1), dtype=np.float32)
        try:  # the first call pays for lazy imports (torch) and allocations: not a client's request
            await batcher.submit(warm, 1)
        except Exception as exc:  # pragma: no cover - a model that cannot score zeros still serves
            log.warning("warm-up prediction failed: %s", exc)
        yield
        state["draining"] = True
        await batcher.stop()
        probe.cancel()
        if worker is not None:
            await asyncio.to_thread(worker.close)

    app = FastAPI(
        title="tagwise model server",
        version="1",
        description=f"Multi-label predictions: a {info.get('kind')} model, {len(names)} labels.",
        lifespan=lifespan,
    )
    app.state.batcher, app.state.serving, app.state.load = batcher, state, load
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    if admission:
        app.add_middleware(Admission, load=load)  # added last = outermost: sheds before anything
    PredictRequest = _request_model(text, n_features, limits)
    errors: dict[int | str, dict[str, Any]] = {c: {"model": ErrorResponse} for c in (413, 422, 503)}

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg"))} for e in exc.errors()[:20]
        ]
        return JSONResponse(
            {"error": _validation_message(detail), "detail": detail}, status_code=422
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": f"internal error ({type(exc).__name__})"}, status_code=500)

    async def predict(body: Any) -> JSONResponse:
        """Label a batch of instances; requests arriving together are scored together."""
        req: Any = body
        if req.top_k is not None and req.top_k > len(names):
            raise HTTPException(422, f"top_k={req.top_k} but the model has {len(names)} labels.")
        if text:
            inputs: Any = list(req.instances)
        else:
            with np.errstate(over="ignore"):  # 1e300 → inf in float32, refused just below
                inputs = np.asarray(req.instances, dtype=np.float32)
            if inputs.ndim != 2 or not np.isfinite(inputs).all():
                bad = (
                    np.argwhere(~np.isfinite(inputs))[:1].tolist() if inputs.ndim == 2 else [[0, 0]]
                )
                raise HTTPException(422, f"instances{bad[0]}: not a finite float32 value.")
        try:
            proba = await batcher.submit(inputs, len(req.instances))
        except Overloaded as exc:
            raise HTTPException(
                503, f"server overloaded: {exc} Retry later.", {"Retry-After": "1"}
            ) from None
        except TagwiseError as exc:
            raise HTTPException(422, str(exc)) from None
        keep: np.ndarray | None = None  # top_k ranks instead of deciding
        if req.top_k is None and req.threshold is None and strategy is not None:
            keep = np.asarray(strategy.apply(proba), dtype=bool)
        elif req.top_k is None:
            keep = proba >= (fitted_cut if req.threshold is None else req.threshold)
        return JSONResponse({"predictions": _label_scores(proba, names, keep, req.top_k)})

    # The request model is built per model (feature count, limits), so the annotation is set
    # here rather than written in the signature (postponed annotations cannot see locals).
    predict.__annotations__["body"] = PredictRequest
    app.post("/v1/predict", response_model=PredictResponse, responses=errors)(predict)

    @app.get("/v1/labels")
    async def labels() -> dict[str, Any]:
        """The model's label names and their decision thresholds."""
        return {"labels": names, "thresholds": fitted_cut.tolist()}

    @app.get("/v1/model")
    async def model_info() -> dict[str, Any]:
        """The model's manifest: kind, parameters, labels, feature schema, versions, metadata."""
        return info

    @app.get("/v1/stats")
    async def stats() -> dict[str, Any]:
        """Batching and load-shedding counters since start."""
        return {
            **asdict(batcher.stats),
            "pending_rows": batcher.pending_rows,
            "inflight": load.inflight,
            "loop_lag_ms": round(load.lag_s * 1000, 2),
            "model_ms_per_row": round(batcher.row_cost_s * 1000, 4),
            "inflight_limit": round(min(load.limit, load.max_inflight), 1),
            "throughput": round(load.throughput, 1),
            "sojourn_ms": round(load.sojourn_s * 1000, 2),
            "shed_inflight": load.shed_inflight,
            "shed_lag": load.shed_lag,
            "shed_wait_unread": load.shed_wait,
            "worker": limits.worker,
        }

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        """The process is up."""
        return {"status": "alive"}

    @app.get("/health/ready", responses={503: {"model": ErrorResponse}})
    async def ready() -> JSONResponse:
        """Ready to take predictions (503 while starting or draining on shutdown)."""
        if batcher.running and not state["draining"]:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"error": "not ready (starting or shutting down)"}, status_code=503)

    return app

"""Overload behaviour of the server: time-based admission, deadlines, the adaptive in-flight limit,
the model worker process, and the X-Request-Id echo — with fake slow models, no real load."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tagwise.data import make_multilabel
from tagwise.exceptions import TagwiseError
from tagwise.io._testing import ToyLinearTagger
from tagwise.serve import ServeLimits, create_app
from tagwise.serve._batcher import MicroBatcher, Overloaded
from tagwise.serve._guard import LoadState
from tagwise.serve._worker import ModelProcess

DATA = make_multilabel(60, 5, 3, random_state=4)


def _per_row(seconds: float) -> Any:
    """A fake model that costs ``seconds`` per row, like a real one at a fixed batch size."""

    def predict(X: np.ndarray) -> np.ndarray:
        time.sleep(seconds * len(X))
        return np.asarray(X, dtype=np.float64) * 2

    return predict


def test_the_batcher_learns_the_cost_per_row_and_refuses_by_estimated_wait() -> None:
    async def scenario() -> tuple[float, list[Any], float]:
        batcher = MicroBatcher(_per_row(0.02), max_batch_rows=4, max_queue_s=0.1)
        await batcher.start()
        await batcher.submit(np.zeros((1, 1), np.float32), 1)  # warm-up: not measured
        await batcher.submit(np.zeros((4, 1), np.float32), 4)
        cost = batcher.row_cost_s
        # 4 rows being scored (0.08 s), 4 queued behind them: ~0.16 s > the 0.1 s budget
        first = asyncio.create_task(batcher.submit(np.ones((4, 1), np.float32), 4))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(batcher.submit(np.ones((4, 1), np.float32), 4))
        await asyncio.sleep(0)
        started = time.perf_counter()
        results = await asyncio.gather(
            first, second, batcher.submit(np.ones((1, 1), np.float32), 1), return_exceptions=True
        )
        refused_in = time.perf_counter() - started
        await batcher.stop()
        return cost, results, refused_in

    cost, results, _ = asyncio.run(scenario())
    assert 0.015 < cost < 0.05
    assert isinstance(results[0], np.ndarray) and isinstance(results[1], np.ndarray)
    assert isinstance(results[2], Overloaded) and "of work queued (budget 0.1s)" in str(results[2])


def test_a_refusal_does_not_wait_for_the_model() -> None:
    async def scenario() -> float:
        batcher = MicroBatcher(_per_row(0.05), max_queue_s=0.01)
        await batcher.start()
        await batcher.submit(np.zeros((1, 1), np.float32), 1)
        await batcher.submit(np.zeros((2, 1), np.float32), 2)
        busy = asyncio.create_task(batcher.submit(np.zeros((4, 1), np.float32), 4))
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        with pytest.raises(Overloaded):
            await batcher.submit(np.zeros((1, 1), np.float32), 1)
        elapsed = time.perf_counter() - started
        await busy
        await batcher.stop()
        return elapsed

    assert asyncio.run(scenario()) < 0.05  # the model is busy for 0.2 s


def test_the_door_refuses_by_estimated_model_wait() -> None:
    load = LoadState(max_inflight=100, max_lag_s=1.0, max_wait_s=0.1, model_wait=lambda n: 0.03 * n)
    load.inflight = 3
    assert load.refusal() is None  # 0.09 s of work
    load.inflight = 4
    why = load.refusal()
    assert why is not None and "0.12s of work queued (budget 0.1s)" in why
    assert load.shed_wait == 1


def test_the_adaptive_limit_applies_only_to_a_standing_queue() -> None:
    load = LoadState(max_inflight=100, max_lag_s=1.0, max_wait_s=0.2)
    load.limit, load.inflight = 10.0, 10
    load.sojourn_s = 0.01  # a burst on an idle server: queued, not shed
    assert load.refusal() is None
    load.sojourn_s = 0.15  # admitted requests take most of the budget: the limit holds
    why = load.refusal()
    assert why is not None and "10 predictions in flight (limit 10)" in why
    load.inflight = 9
    assert load.refusal() is None


def test_the_probe_sets_the_limit_from_the_throughput() -> None:
    from tagwise.serve._guard import monitor_lag

    async def scenario() -> LoadState:
        load = LoadState(max_inflight=1000, max_lag_s=1.0, max_wait_s=0.5, min_inflight=4)
        probe = asyncio.create_task(monitor_lag(load, interval=0.01, window=0.2))
        for _ in range(30):  # ~200 answers per second
            await asyncio.sleep(0.01)
            load.completed += 2
        probe.cancel()
        return load

    load = asyncio.run(scenario())
    assert 80 < load.throughput < 260
    assert load.limit == pytest.approx(0.5 * load.throughput)


def test_requests_whose_deadline_passed_are_not_scored() -> None:
    calls: list[int] = []

    def model(X: np.ndarray) -> np.ndarray:
        calls.append(len(X))
        time.sleep(0.1)
        return np.asarray(X, dtype=np.float64)

    async def scenario() -> list[Any]:
        batcher = MicroBatcher(model, max_batch_rows=1, max_queue_s=0.05)
        await batcher.start()
        tasks = [batcher.submit(np.zeros((1, 1), np.float32), 1) for _ in range(3)]
        out = await asyncio.gather(*tasks, return_exceptions=True)
        await batcher.stop()
        return out

    results = asyncio.run(scenario())
    assert isinstance(results[0], np.ndarray)
    assert all(isinstance(r, Overloaded) for r in results[1:])
    assert calls == [1]  # the late ones never reached the model


def test_the_request_id_is_echoed_on_answers_and_refusals() -> None:
    model = ToyLinearTagger().fit(DATA.X, DATA.Y)
    # a lag limit a busy CI machine does not reach by itself: the first answer must be a 200
    app = create_app(model, limits=ServeLimits(max_loop_lag_s=0.5))
    with TestClient(app) as c:
        r = c.post("/v1/predict", json={"instances": [[0.0] * 5]}, headers={"X-Request-Id": "a1"})
        assert r.status_code == 200 and r.headers["x-request-id"] == "a1"
        assert c.get("/health/live", headers={"X-Request-Id": "b2"}).headers["x-request-id"] == "b2"
        app.state.load.lag_s = 1.0
        r = c.post("/v1/predict", json={"instances": [[0.0] * 5]}, headers={"X-Request-Id": "c3"})
        assert r.status_code == 503 and r.headers["x-request-id"] == "c3"
        r = c.post("/v1/predict", json={"instances": [[0.0] * 5]}, headers={"X-Request-Id": "\x7f"})
        assert "x-request-id" not in r.headers  # not printable: not echoed


def test_a_worker_process_scores_as_the_model_reports_errors_and_shuts_down() -> None:
    model = ToyLinearTagger().fit(DATA.X, DATA.Y)
    app = create_app(model, limits=ServeLimits(worker="process"))  # one spawn for the whole test
    worker = app.state.batcher._predict
    assert isinstance(worker, ModelProcess)
    with TestClient(app) as c:
        r = c.post("/v1/predict", json={"instances": DATA.X[:3].tolist(), "threshold": 0.0})
        got = [[d["score"] for d in p] for p in r.json()["predictions"]]
        want = [sorted(row, reverse=True) for row in model.predict_proba(DATA.X[:3])]
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert c.get("/v1/stats").json()["worker"] == "process"
        assert worker.pid is not None
        with pytest.raises((TagwiseError, RuntimeError)):  # the message crosses, not the object
            c.portal.call(worker.predict_async, np.zeros((2, 3), np.float32))  # wrong width
        big = np.tile(DATA.X.astype(np.float32), (400, 1))  # ~480 kB: over a pipe's buffer
        scores, seconds = c.portal.call(worker.predict_async, big)
        assert scores.shape == (len(big), DATA.Y.shape[1]) and 0 <= seconds < 5
    assert worker.pid is None  # the child was closed with the app
    with pytest.raises(TagwiseError, match="worker must be"):
        create_app(model, limits=ServeLimits(worker="fork"))


def test_the_protocol_refuses_at_the_door_and_keeps_the_connection() -> None:
    import socket
    import threading

    import httpx
    import uvicorn

    from tagwise.serve._door import shedding_protocol
    from tagwise.serve._guard import Admission

    slow = ToyLinearTagger(delay=0.4).fit(DATA.X, DATA.Y)
    app = create_app(slow, limits=ServeLimits(max_inflight=1), admission=False)
    protocol = shedding_protocol(app.state.load)
    if protocol is None:
        pytest.skip("httptools is not installed")
    refused: list[str] = []
    refuse = protocol._refuse

    def counting(self: Any, why: str) -> None:
        refused.append(why)
        refuse(self, why)

    protocol._refuse = counting  # a subclass made for this call: patching it is local
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        Admission(app, app.state.load), port=port, http=protocol, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base, body = f"http://127.0.0.1:{port}", {"instances": [[0.0] * 5]}
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.02)
        with httpx.Client(base_url=base, timeout=10) as busy, httpx.Client(base_url=base) as c:
            first = threading.Thread(target=busy.post, args=("/v1/predict",), kwargs={"json": body})
            first.start()
            time.sleep(0.15)  # the first request now holds the only in-flight slot
            started = time.perf_counter()
            r = c.post("/v1/predict", json=body, headers={"X-Request-Id": "r9"})
            refused_in = time.perf_counter() - started
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
            assert r.headers["x-request-id"] == "r9" and "1 predictions in flight" in r.text
            assert refused_in < 0.2  # not after the model's 0.4 s
            first.join()
            again = c.post("/v1/predict", json=body)  # same keep-alive connection
            assert again.status_code == 200
        stats = app.state.load
        assert stats.shed_inflight == 1 and stats.completed >= 2
        assert len(refused) == 1  # answered by the protocol, not by the ASGI middleware
    finally:
        server.should_exit = True
        thread.join(10)

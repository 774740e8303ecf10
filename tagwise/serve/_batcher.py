"""Micro-batching with load shedding: requests that arrive together are scored together.

One worker task owns the model. While it scores a batch, new requests queue up; when it is
free it takes *everything* queued (up to ``max_batch_rows`` rows) and scores it in one call —
the batch grows with the load by itself, and an idle server adds no waiting time (the "greedy"
policy of dynamic batching in TF-Serving / Triton, with ``max_wait_ms`` as the optional
window). The model runs behind a single dedicated thread (which may hand the batch on to a
worker process, :mod:`tagwise.serve._worker`), so the event loop stays free to parse and answer
requests, and calls never overlap.

Load shedding bounds the time a request waits for the model by ``max_queue_s`` (the queue-time
budget), judged by time rather than by queue length:

* the batcher measures what the model costs per row (an average over recent batches, at the
  batch sizes the current load produces) and estimates the wait of a new request as
  ``rows ahead of it × cost per row``; a request whose estimated wait is over the budget is
  refused at once (:class:`Overloaded` → HTTP 503 with Retry-After), as is one that would push
  the rows waiting past ``max_pending_rows`` (a hard cap on memory);
* deadline — when a batch is formed, a request that already waited longer than the budget is
  refused rather than scored late (its client may have given up, and scoring it would delay
  every request behind it). Estimate and deadline together keep the accepted requests' wait
  near the budget whatever the offered load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = ["MicroBatcher", "Overloaded"]


class Overloaded(Exception):
    """The server is at capacity; the client should retry later (HTTP 503)."""


@dataclass
class _Item:
    instances: Any  # float32 array (n, d) or list of str
    n_rows: int
    future: asyncio.Future[np.ndarray]
    enqueued: float = field(default_factory=time.perf_counter)


@dataclass
class BatcherStats:
    requests: int = 0
    rows: int = 0
    batches: int = 0
    max_batch_rows_seen: int = 0
    shed_full: int = 0
    shed_wait: int = 0
    shed_late: int = 0


class AsyncPredictor(Protocol):
    """A model elsewhere (e.g. :class:`~tagwise.serve._worker.ModelProcess`): scores and seconds."""

    async def predict_async(self, inputs: Any) -> tuple[np.ndarray, float]: ...


class MicroBatcher:
    """Queue requests and score them in batches on one worker thread.

    Parameters
    ----------
    predict : callable mapping a batch (float32 array (n, d) or list of n str) to an array of
        shape (n, n_labels), run in a thread; if it has a ``predict_async`` coroutine method
        (returning the scores and the model's seconds), that is awaited on the loop instead
    max_batch_rows : most rows scored in one call
    max_pending_rows : most rows queued or in flight before new requests are shed
    max_queue_s : queue-time budget: a request whose estimated wait is longer is refused, one
        that waited longer is shed instead of scored
    max_wait_ms : after the first request of a batch, wait this long for more (0 = greedy)
    """

    def __init__(
        self,
        predict: Callable[[Any], np.ndarray] | AsyncPredictor,
        *,
        max_batch_rows: int = 1024,
        max_pending_rows: int = 4096,
        max_queue_s: float = 2.0,
        max_wait_ms: float = 0.0,
    ) -> None:
        self._predict = predict
        self._predict_async = getattr(predict, "predict_async", None)
        self.max_batch_rows = max_batch_rows
        self.max_pending_rows = max_pending_rows
        self.max_queue_s = max_queue_s
        self.max_wait_s = max_wait_ms / 1000.0
        self.stats = BatcherStats()
        self.pending_rows = 0  # rows queued or being scored
        self.waiting_requests = 0  # requests submitted and not yet answered
        self.row_cost_s = 0.0  # model seconds per row, averaged over recent batches
        self._queue: asyncio.Queue[_Item | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._stopping

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagwise-model")
        self._task = asyncio.create_task(self._run(), name="tagwise-batcher")

    async def stop(self) -> None:
        """Score what is queued, then stop the worker (graceful shutdown)."""
        self._stopping = True  # new requests are refused; queued ones are still scored
        if self._queue is not None and self._task is not None:
            await self._queue.put(None)
            await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._task = None

    def estimated_wait_s(self, rows_ahead: float | None = None) -> float:
        """Seconds a request would wait behind ``rows_ahead`` rows (default: the rows pending)."""
        return (self.pending_rows if rows_ahead is None else rows_ahead) * self.row_cost_s

    async def submit(self, instances: Any, n_rows: int) -> np.ndarray:
        """Score ``instances`` (n_rows) together with whatever else is queued.

        Raises :class:`Overloaded` when the queue is full, the estimated wait is over the
        budget, or the request waited too long.
        """
        if self._queue is None or not self.running:
            raise Overloaded("the model is not running (starting up or shutting down).")
        if self.pending_rows + n_rows > self.max_pending_rows:
            self.stats.shed_full += 1
            raise Overloaded(
                f"{self.pending_rows} rows are already waiting (limit {self.max_pending_rows})."
            )
        wait = self.estimated_wait_s()
        if wait > self.max_queue_s:
            self.stats.shed_wait += 1
            raise Overloaded(
                f"the model has about {wait:.2f}s of work queued (budget {self.max_queue_s}s)."
            )
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self.pending_rows += n_rows
        self.waiting_requests += 1
        self.stats.requests += 1
        try:
            await self._queue.put(_Item(instances, n_rows, future))
            return await future
        finally:
            self.pending_rows -= n_rows
            self.waiting_requests -= 1

    async def _collect(self, first: _Item) -> tuple[list[_Item], bool]:
        assert self._queue is not None
        batch, rows, stop = [first], first.n_rows, False
        deadline = time.perf_counter() + self.max_wait_s
        while rows < self.max_batch_rows:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except asyncio.TimeoutError:
                    break
            if item is None:
                stop = True
                break
            batch.append(item)
            rows += item.n_rows
        return batch, stop

    def _admit(self, batch: list[_Item]) -> list[_Item]:
        now, live = time.perf_counter(), []
        for item in batch:
            if item.future.done():  # the client went away
                continue
            if now - item.enqueued > self.max_queue_s:
                self.stats.shed_late += 1
                item.future.set_exception(
                    Overloaded(
                        f"waited {now - item.enqueued:.2f}s in the queue "
                        f"(limit {self.max_queue_s}s)."
                    )
                )
                continue
            live.append(item)
        return live

    def _timed(self, inputs: Any) -> tuple[np.ndarray, float]:
        # Timed in the worker thread: the model's own time, not the wait for the loop after it.
        started = time.perf_counter()
        predict = self._predict
        assert callable(predict)  # only models without predict_async are run in the thread
        scores = predict(inputs)
        return scores, time.perf_counter() - started

    def _observe(self, seconds: float, rows: int) -> None:
        """Update the cost per row: a moving average weighted by rows, so that big batches (the
        ones that form under load, where the estimate matters) count the most."""
        if self.stats.batches == 0:  # the first call (warm-up) pays for lazy imports: skip it
            return
        weight = rows / (rows + 32)
        cost = seconds / max(rows, 1)
        self.row_cost_s = (
            cost if self.row_cost_s == 0.0 else ((1 - weight) * self.row_cost_s + weight * cost)
        )

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        stop = False
        while not stop:
            first = await self._queue.get()
            if first is None:
                break
            batch, stop = await self._collect(first)
            batch = self._admit(batch)
            if not batch:
                continue
            if isinstance(batch[0].instances, np.ndarray):
                inputs: Any = np.concatenate([item.instances for item in batch])
            else:
                inputs = [text for item in batch for text in item.instances]
            try:
                if self._predict_async is not None:  # e.g. a worker process: wait on the loop
                    scores, seconds = await self._predict_async(inputs)
                else:
                    call = loop.run_in_executor(self._executor, self._timed, inputs)
                    scores, seconds = await call
            except Exception as exc:  # handed to each request; the handler maps it to a status
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            rows = sum(item.n_rows for item in batch)
            self._observe(seconds, rows)
            self.stats.batches += 1
            self.stats.rows += rows
            self.stats.max_batch_rows_seen = max(self.stats.max_batch_rows_seen, rows)
            start = 0
            for item in batch:
                if not item.future.done():
                    item.future.set_result(scores[start : start + item.n_rows])
                start += item.n_rows

"""The model in its own process, so that scoring never competes with the event loop for the GIL.

In one process, the event loop (parsing JSON, validating, answering) and the model thread share
the GIL: every time the model's thread gives it up (around each torch op, each BLAS call) it
waits for the loop to hand it back — up to ``sys.getswitchinterval()`` (5 ms) per switch. Under
load the loop is always busy, so a 0.2 ms MLP call took ~30 ms in ``benchmarks/serve.py``, and a
pure-Python model (TF-IDF tokenising) stalled the loop for its whole batch. A worker process owns
the model instead: the parent sends each batch down a pipe and waits (without the GIL) for the
scores; pickling a batch costs tens of microseconds. The parent side runs on the event loop
itself (:meth:`ModelProcess.predict_async` awaits the socket), not in a thread: a thread would
again wait for the busy loop's GIL at every step of the round trip.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import pickle
import signal
import socket
import struct
import sys
import time
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

from tagwise.exceptions import TagwiseError

__all__ = ["ModelProcess"]


def _limit_threads(model: Any, n: int) -> None:
    """Fix the model's thread count once, for every nested model with an ``n_threads`` param."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)  # BLAS/OpenMP pools of numpy and scipy
    torch = sys.modules.get("torch")  # imported by the model if it uses it; never imported here
    if torch is not None:
        torch.set_num_threads(n)
    seen: set[int] = set()

    def visit(obj: Any, depth: int) -> None:
        if depth > 4 or id(obj) in seen or not hasattr(obj, "get_params"):
            return
        seen.add(id(obj))
        if "n_threads" in obj.get_params(deep=False):
            obj.set_params(n_threads=n)
        for value in vars(obj).values():
            visit(value, depth + 1)

    visit(model, 0)


def _child(conn: Any, source: Any, threads: int | None) -> None:
    """Worker loop: load the model, answer ``inputs → ("ok", scores) | ("error", …)`` until EOF."""
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the parent drains
    # in-flight requests, which need this process, and closes the pipe when it is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        if isinstance(source, (str, os.PathLike)):
            from tagwise.io import load_model

            source = load_model(source)
        if threads is not None:
            _limit_threads(source, threads)
    except BaseException as exc:  # reported to the parent, which refuses to start
        conn.send(("error", False, f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None, None))
    while True:
        try:
            inputs = conn.recv()
        except (EOFError, OSError):  # the parent exited or closed the pipe
            return
        if inputs is None:
            return
        started = time.perf_counter()
        try:
            scores = np.asarray(source.predict_proba(inputs), dtype=np.float64)
        except Exception as exc:  # the message, not the object: custom exceptions may not unpickle
            conn.send(("error", isinstance(exc, TagwiseError), str(exc) or type(exc).__name__))
        else:
            conn.send(("ok", scores, time.perf_counter() - started))


class ModelProcess:
    """Runs ``predict_proba`` in a child process; :meth:`predict_async` is the call.

    Parameters
    ----------
    source : a fitted model (pickled to the child) or a model directory (loaded by the child)
    threads : intra-op threads of the model in the child; None leaves them as they are

    Calls must not overlap (the batcher makes one at a time). A child that dies is started again
    on the next call; the call it died in raises.

    The parent's end of the pipe is a non-blocking socket driven by the event loop (sock_sendall,
    sock_recv_into), speaking the framing of ``multiprocessing.connection.Connection`` (a 4-byte
    big-endian length, then the pickle), so that the child can use a plain blocking Connection.
    """

    def __init__(self, source: Any, threads: int | None = 1, start_timeout: float = 300.0) -> None:
        self.source, self.threads, self.start_timeout = source, threads, start_timeout
        self._sock: socket.socket | None = None
        self._proc: Any = None

    def start(self) -> None:
        """Start the child; wait until it has loaded the model (blocking: call it off the loop)."""
        # spawn, not fork: the parent may already run threads (torch's, the event loop's).
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()  # duplex: a socketpair on POSIX
        args = (child, self.source, self.threads)
        proc = ctx.Process(target=_child, args=args, daemon=True, name="tagwise-model")
        proc.start()
        child.close()
        if not parent.poll(self.start_timeout):
            proc.kill()
            raise TagwiseError(f"the model process did not start in {self.start_timeout:.0f}s.")
        try:
            kind, _, message = parent.recv()
        except EOFError:
            proc.join(5)
            kind, message = "error", f"it exited with status {proc.exitcode}"
        if kind != "ready":
            proc.join(5)
            raise TagwiseError(f"the model process could not load the model: {message}")
        sock = socket.socket(fileno=os.dup(parent.fileno()))  # a socketpair end, as a socket
        parent.close()
        sock.setblocking(False)
        self._sock, self._proc = sock, proc

    async def predict_async(self, inputs: Any) -> tuple[np.ndarray, float]:
        """Send a batch, await its scores without blocking the loop.

        Returns the scores and the seconds the model took in the child — the service time, free
        of the time the answer waited for the busy event loop to pick it up.
        """
        if self._sock is None:
            await asyncio.to_thread(self.start)
        sock, loop = self._sock, asyncio.get_running_loop()
        assert sock is not None
        try:
            payload = ForkingPickler.dumps(inputs)
            await loop.sock_sendall(sock, _frame(len(payload)) + bytes(payload))
            (size,) = struct.unpack("!i", await _read(loop, sock, 4))
            if size == -1:  # Connection's framing for payloads over 2 GiB
                (size,) = struct.unpack("!Q", await _read(loop, sock, 8))
            kind, value, extra = pickle.loads(await _read(loop, sock, size))
        except (EOFError, OSError):
            code = self._proc.exitcode if self._proc is not None else None
            self._kill()  # the next call starts a fresh child
            raise RuntimeError(f"the model process died (exit status {code}).") from None
        except asyncio.CancelledError:  # an answer may still come: this pipe is out of step
            self._kill()
            raise
        if kind == "ok":
            return value, float(extra)
        raise (TagwiseError if value else RuntimeError)(extra)

    def _kill(self) -> None:
        sock, proc, self._sock, self._proc = self._sock, self._proc, None, None
        if sock is not None:
            sock.close()
        if proc is not None:
            proc.kill()

    def close(self) -> None:
        """Ask the child to exit (closing the pipe), and make sure it does."""
        sock, proc, self._sock, self._proc = self._sock, self._proc, None, None
        if sock is not None:
            sock.close()  # the child's recv() sees EOF and returns
        if proc is not None:
            proc.join(10)
            if proc.is_alive():  # pragma: no cover - a model stuck in a call
                proc.kill()
                proc.join()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None


def _frame(size: int) -> bytes:
    if size > 0x7FFFFFFF:
        return struct.pack("!i", -1) + struct.pack("!Q", size)
    return struct.pack("!i", size)


async def _read(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytearray:
    buf = bytearray(size)
    view, got = memoryview(buf), 0
    while got < size:
        n = await loop.sock_recv_into(sock, view[got:])
        if n == 0:
            raise EOFError("the model process closed the pipe")
        got += n
    return buf

"""One real uvicorn process: SIGTERM lets the in-flight request finish, then the server exits."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import httpx
import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    from tagwise.data import make_multilabel
    from tagwise.io._testing import ToyLinearTagger
    from tagwise.serve import run_server

    d = make_multilabel(50, 4, 3, random_state=0)
    model = ToyLinearTagger(delay=float(sys.argv[2])).fit(d.X, d.Y)
    run_server(model, port=int(sys.argv[1]), graceful_timeout=10, log_level="error")
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_finishes_in_flight_requests() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(port), "1.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)
        result: dict[str, Any] = {}

        def call() -> None:
            body = {"instances": [[0.1, 0.2, 0.3, 0.4]]}
            result["response"] = httpx.post(f"{base}/v1/predict", json=body, timeout=30)

        thread = threading.Thread(target=call)
        thread.start()
        time.sleep(0.3)  # the request is now inside the model's 1 s predict
        proc.send_signal(signal.SIGTERM)
        thread.join(timeout=30)
        assert result["response"].status_code == 200
        assert len(result["response"].json()["predictions"]) == 1
        # uvicorn re-raises the captured SIGTERM after its clean shutdown: exit by the signal
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/health/live", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

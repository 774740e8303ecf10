"""Serving benchmark on loopback: throughput and latency of ``tagwise serve`` under load.

For each model (the MLP on the MULAN ``yeast`` data; a TF-IDF text model on Reuters-21578):

1. train it (cached under ``benchmarks/.cache/serve``) and start ``tagwise serve`` in a subprocess;
2. closed loop: ``wrk`` (Debian's package: ``apt-get install wrk``) with 1, 8 and 64 concurrent
   connections for ``--duration`` seconds each, every request one instance drawn from the test
   split — requests per second, p50/p99 latency, errors (non-2xx and socket errors);
3. overload: wrk again, its connections paced (Lua ``delay``) to offer Poisson arrivals at
   ``--overload`` × the best closed-loop rate for ``--duration`` seconds — how many requests are
   answered 200, how many are shed with 503, and the latency of all answers;
4. optionally (``--fuzz``) Schemathesis against the server's OpenAPI document, from the
   benchmark's own environment (``python3 -m venv benchmarks/.env-serve &&
   benchmarks/.env-serve/bin/pip install schemathesis``), checking that nothing returns a 5xx.

Usage::

    python benchmarks/serve.py                     # 60 s per run, both models
    python benchmarks/serve.py --duration 10 --models mlp --fuzz

Load generator and server share this machine's cores: the figures are loopback figures for this
box, not a capacity plan. Every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "benchmarks" / ".cache" / "serve"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dataset(name: str, split: str) -> Any:
    from tagwise.data._fetch import load_dataset

    return load_dataset(name, split, home=DATASETS)


def prepare(kind: str) -> tuple[Path, list[str], str]:
    """Train (or reuse) the model; return its directory, request bodies and a description."""
    from tagwise.io import load_model, save_model
    from tagwise.metrics import score_all

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / kind
    if kind == "mlp":
        train, test = _dataset("yeast", "train"), _dataset("yeast", "test")
        instances: list[Any] = np.asarray(test.X, dtype=np.float32).round(5).tolist()
        desc = f"MLPClassifier on yeast ({train.n_features} features, {train.n_labels} labels)"
    else:
        train, test = _dataset("reuters21578", "train"), _dataset("reuters21578", "test")
        instances = [t[:2000] for t in test.text]
        desc = f"TextClassifier (TF-IDF + linear) on reuters21578 ({train.n_labels} labels)"
    if not (path / "manifest.json").is_file():
        if kind == "mlp":
            from tagwise.models import MLPClassifier

            model = MLPClassifier(random_state=0).fit(train.X, train.Y)
            proba = model.predict_proba(test.X)
        else:
            from tagwise.text import TextClassifier

            model = TextClassifier().fit(train.text, train.Y)
            proba = model.predict_proba(test.text)
        model.classes_ = np.asarray(train.label_names, dtype=object)
        scores = score_all(test.Y, (proba >= 0.5).astype(int), proba)
        metrics = {k: float(v) for k, v in scores.items() if np.isscalar(v)}
        save_model(model, path, metadata={"dataset": {"name": train.name}, "metrics": metrics})
    load_model(path)  # fail here, not in the server, if the artifact is unusable
    bodies = [json.dumps({"instances": [x]}) for x in instances[:500]]
    return path, bodies, desc


class Server:
    """``tagwise serve`` in a subprocess on a free loopback port."""

    def __init__(self, model_dir: Path, *extra: str) -> None:
        self.port = _free_port()
        cmd = [sys.executable, "-m", "tagwise", "serve", str(model_dir), "--port", str(self.port)]
        self.proc = subprocess.Popen([*cmd, *extra], stderr=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 120.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {self.proc.stderr.read() if self.proc.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def stats(self) -> dict[str, Any]:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/v1/stats", timeout=30) as r:
                return dict(json.loads(r.read()))
        except OSError as exc:
            return {"error": str(exc)}

    def stop(self) -> int | str:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return f"{self.proc.wait()} (killed: still running 60 s after SIGTERM)"


LUA = """
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } tw_timespec;
  int clock_gettime(int, tw_timespec *);
]]
local ts = ffi.new("tw_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
local threads = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; shed = 0; other = 0; lat_ok = {}; lat_shed = {} end
-- The send time travels in X-Request-Id, which the server echoes: latency per status code.
-- wrk calls request() just before it stamps its own start time, so the two clocks agree.
request = function()
  i = i %% #bodies + 1
  local headers = {["Content-Type"] = "application/json"}  -- wrk.format replaces wrk.headers
  headers["X-Request-Id"] = string.format("%%.0f", now_us())
  return wrk.format(nil, "/v1/predict", headers, bodies[i])
end
function response(status, headers, body)
  local sent = tonumber(headers["x-request-id"] or headers["X-Request-Id"] or "")
  local ms = sent and (now_us() - sent) / 1000 or nil
  if status == 200 then ok = ok + 1; if ms then lat_ok[#lat_ok + 1] = ms end
  elseif status == 503 then shed = shed + 1; if ms then lat_shed[#lat_shed + 1] = ms end
  else other = other + 1 end
end
%(pacing)s
local function pct(t, p)
  if #t == 0 then return -1 end
  return t[math.max(1, math.ceil(#t * p))]
end
function done(summary, latency, requests)
  local o, s, x, lo, ls = 0, 0, 0, {}, {}
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); s = s + t:get("shed"); x = x + t:get("other")
    for _, v in ipairs(t:get("lat_ok")) do lo[#lo + 1] = v end
    for _, v in ipairs(t:get("lat_shed")) do ls[#ls + 1] = v end
  end
  table.sort(lo); table.sort(ls)
  io.write(string.format("STATUS ok=%%d shed=%%d other=%%d\\n", o, s, x))
  local line = "%%s p50=%%.3f p99=%%.3f max=%%.3f\\n"
  io.write(string.format(line, "OKLAT", pct(lo, .5), pct(lo, .99), pct(lo, 1)))
  io.write(string.format(line, "SHEDLAT", pct(ls, .5), pct(ls, .99), pct(ls, 1)))
end
"""

# Open loop for wrk: each connection waits an exponential gap (mean connections/rate) before its
# next request, so the connections together offer Poisson arrivals at ``rate``. A connection
# still waiting on a slow answer sends late (wrk measures from the send), so the achieved rate
# is reported next to the target: it stays on target only while the server answers quickly.
PACING = "function delay() return -math.log(1 - math.random()) * %(gap_ms).3f end"


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def run_wrk(
    url: str, bodies_file: Path, connections: int, duration: int, rate: float | None = None
) -> dict[str, Any]:
    """Run wrk (closed loop, or paced to ``rate`` requests/s); parse its report."""
    pacing = PACING % {"gap_ms": connections * 1000.0 / rate} if rate else ""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA % {"bodies": bodies_file, "pacing": pacing})
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    out = subprocess.run([*cmd, "-s", str(script), url], capture_output=True, text=True).stdout
    script.unlink()
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, flags=re.M))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    status = re.search(r"STATUS ok=(\d+) shed=(\d+) other=(\d+)", out)
    if status is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    ok, shed, other = (int(g) for g in status.groups())
    lat: dict[str, float] = {}  # latency by status, from the X-Request-Id echo
    for kind, tag in (("ok", "OKLAT"), ("shed", "SHEDLAT")):
        line = re.search(rf"^{tag} (.*)$", out, flags=re.M)
        for q, v in re.findall(r"(p50|p99|max)=(-?[\d.]+)", line.group(1) if line else ""):
            lat[f"{kind}_{q}_ms"] = float(v) if float(v) >= 0 else float("nan")
    socket_errors = [int(g) for g in sock.groups()] if sock else [0, 0, 0, 0]
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "ok": ok,
        "shed": shed,
        "p50_ms": _ms(pct["50"]) if "50" in pct else float("nan"),  # no answer at all: NaN
        "p99_ms": _ms(pct["99"]) if "99" in pct else float("nan"),
        **lat,
        "timeouts": socket_errors[3],
        "errors": other + sum(socket_errors[:3]),
    }


def fuzz(url: str, examples: int) -> str:
    st = ROOT / "benchmarks" / ".env-serve" / "bin" / "st"
    if not st.exists():
        return "schemathesis not installed in benchmarks/.env-serve: skipped"
    cmd = [
        str(st),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(examples),
        "--mode",
        "all",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    tail = "\n".join(out.stdout.strip().splitlines()[-6:])
    return f"exit {out.returncode}\n{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="mlp,text")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--overload", type=float, default=2.0, help="× the best closed-loop rate")
    parser.add_argument("--overload-rate", type=float, help="offered rate (default: --overload)")
    parser.add_argument(
        "--connections", type=int, default=1000, help="connections of the overload run"
    )
    parser.add_argument(
        "--fuzz", action="store_true", help="run Schemathesis against /openapi.json"
    )
    parser.add_argument("--fuzz-examples", type=int, default=200)
    parser.add_argument("--watch", action="store_true", help="print /v1/stats every 2 s")
    parser.add_argument(
        "--serve-args",
        default="--keep-alive-s 60",
        help="options of `tagwise serve`, e.g. '--worker thread'. The overload run's paced "
        "connections can idle for seconds between requests (exponential gaps, mean "
        "connections/rate): past uvicorn's default 5 s keep-alive the server closes them and wrk "
        "counts read errors, hence a longer keep-alive by default.",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    rows, notes = [], []
    extra = args.serve_args.split()
    for kind in args.models.split(","):
        model_dir, bodies, desc = prepare(kind)
        bodies_file = Path(tempfile.mkstemp(suffix=".jsonl")[1])
        bodies_file.write_text("\n".join(bodies) + "\n")
        print(f"{kind}: {desc}; starting the server", file=sys.stderr, flush=True)
        server = Server(model_dir, *extra)
        server.wait_ready()
        if args.watch:
            watcher = subprocess.Popen(
                ["bash", "-c", f"while sleep 2; do curl -s -m 2 {server.url}/v1/stats; echo; done"],
                stderr=subprocess.DEVNULL,
            )
        try:
            best = 0.0
            for c in (int(x) for x in args.concurrency.split(",") if x):
                r = run_wrk(f"{server.url}/v1/predict", bodies_file, c, args.duration)
                print(f"{kind} c={c}: {r}", file=sys.stderr, flush=True)
                best = max(best, r["ok"] / args.duration)
                rows.append(_row(kind, f"closed loop, {c} clients", r, args.duration))
            rate = args.overload_rate or args.overload * best
            o = run_wrk(
                f"{server.url}/v1/predict", bodies_file, args.connections, args.duration, rate
            )
            print(f"{kind} overload: {o}", file=sys.stderr, flush=True)
            goodput = f", goodput {o['ok'] / args.duration / best:.0%} of best" if best else ""
            load = (
                f"open loop, {rate:.0f}/s offered ({args.overload:g}× best), {o['rps']:.0f}/s "
                f"achieved, {args.connections} connections{goodput}"
            )
            rows.append(_row(kind, load, o, args.duration))
            stats = server.stats()
            if "error" in stats:
                notes.append(f"- {kind}: {desc}; server stats unavailable ({stats['error']})")
            else:
                notes.append(
                    f"- {kind}: {desc}; server stats: {stats['rows']} rows in "
                    f"{stats['batches']} model calls (mean batch "
                    f"{stats['rows'] / max(1, stats['batches']):.1f}, max "
                    f"{stats['max_batch_rows_seen']}); shed unread: {stats['shed_inflight']} over "
                    f"the in-flight cap, {stats['shed_lag']} for loop lag, "
                    f"{stats.get('shed_wait_unread', 0)} over the queue-time budget; shed after "
                    f"parsing: {stats['shed_full']} queue full, {stats.get('shed_wait', 0)} over "
                    f"the budget, {stats['shed_late']} waited too long"
                )
                print(f"{kind} stats: {stats}", file=sys.stderr, flush=True)
            if args.fuzz:
                notes.append(f"- {kind} schemathesis: {fuzz(server.url, args.fuzz_examples)}")
        finally:
            if args.watch:
                watcher.kill()
            code = server.stop()
            notes.append(f"- {kind}: server exit status after SIGTERM: {code}")
            bodies_file.unlink()
    print(
        f"\nServing on loopback, {args.duration} s per row, one instance per request (wrk -t1); "
        f"server: tagwise serve {' '.join(extra)}\n"
    )
    print(
        "Latency per status, measured by wrk's script from send to answer (the server echoes "
        "X-Request-Id); timeouts: no answer within 10 s; errors: other statuses, socket errors.\n"
    )
    print(
        "| model | load | 200/s | 503/s | 200 p50 ms | 200 p99 ms | 200 max ms | 503 p50 ms "
        "| 503 p99 ms | timeouts | errors |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print("\n" + "\n".join(notes))


def _row(kind: str, load: str, r: dict[str, Any], duration: int) -> str:
    def ms(key: str) -> str:
        value = r.get(key, float("nan"))
        return "—" if value != value else f"{value:.1f}"

    return (
        f"| {kind} | {load} | {r['ok'] / duration:.0f} | {r['shed'] / duration:.0f} "
        f"| {ms('ok_p50_ms')} | {ms('ok_p99_ms')} | {ms('ok_max_ms')} | {ms('shed_p50_ms')} "
        f"| {ms('shed_p99_ms')} | {r['timeouts']} | {r['errors']} |"
    )


if __name__ == "__main__":
    main()

"""Triton vs in-process torch for the satmon forecasters, in one run.

Measures, per model:
* batch-1 latency p50: in-process ``model.predict`` vs a Triton request (HTTP and gRPC);
* batch-1 throughput: one request in flight at a time (windows/s);
* dynamic batching: many single-window requests in flight (gRPC async), the server
  merges them — windows/s and the ratio to one-at-a-time batch-1;
* bulk windows/s: requests of 64 windows, several in flight.

Prints the ratios against the goals and writes ``bench/results/triton_bench.json``.
Run against the stack (`satmon up`) or a scratch server:
    python bench/triton_bench.py --http 127.0.0.1:18500 --grpc 127.0.0.1:18501
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

# As in model.py: idle OpenMP threads sleep, so the in-process run and the client don't
# fight the server's spinning threads on a small machine. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import tritonclient.grpc as grpcclient

from satmon.clients.triton import TritonForecaster
from satmon.contract.forecast import MODEL_NAMES
from satmon.forecast.modelio import load_model
from satmon.settings import get_settings


def main() -> None:
    settings = get_settings()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--http", default=f"127.0.0.1:{settings.triton_http_port}")
    ap.add_argument("--grpc", default=f"127.0.0.1:{settings.triton_grpc_port}")
    ap.add_argument("--models", nargs="+", default=list(MODEL_NAMES))
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each throughput run")
    ap.add_argument("--latency-n", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the in-process run")
    ap.add_argument("--out", type=Path, default=Path("bench/results/triton_bench.json"))
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    windows = (400.0 + rng.normal(0, 1, (4096, 20)).cumsum(axis=1)).astype(np.float32)
    results: dict[str, Any] = {}
    for name in args.models:
        r: dict[str, Any] = {}
        r["torch_b1_p50_ms"] = torch_latency(name, windows, args.latency_n)
        http = TritonForecaster(args.http)
        grpc = TritonForecaster(f"grpc://{args.grpc}")
        r["triton_http_b1_p50_ms"] = triton_latency(http, name, windows, args.latency_n)
        r["triton_grpc_b1_p50_ms"] = triton_latency(grpc, name, windows, args.latency_n)
        r["triton_b1_p50_ms"] = min(r["triton_http_b1_p50_ms"], r["triton_grpc_b1_p50_ms"])
        r["b1_sequential_windows_per_s"] = sequential_throughput(grpc, name, windows, args.seconds)
        for inflight in (16, 64):
            r[f"dynamic_b1_x{inflight}_windows_per_s"] = concurrent_throughput(
                args.grpc, name, windows, 1, inflight, args.seconds
            )
        r["bulk_b64_x4_windows_per_s"] = concurrent_throughput(
            args.grpc, name, windows, 64, 4, args.seconds
        )
        r["torch_b256_windows_per_s"] = torch_throughput(name, windows, 256, args.seconds)
        best_dynamic = max(r["dynamic_b1_x16_windows_per_s"], r["dynamic_b1_x64_windows_per_s"])
        r["ratio_triton_vs_torch_b1_p50"] = r["triton_b1_p50_ms"] / r["torch_b1_p50_ms"]
        r["ratio_dynamic_vs_b1_throughput"] = best_dynamic / r["b1_sequential_windows_per_s"]
        r["best_windows_per_s"] = max(best_dynamic, r["bulk_b64_x4_windows_per_s"])
        results[name] = r
        http.close()
        grpc.close()
        report(name, r)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


def report(name: str, r: dict[str, Any]) -> None:
    print(f"\n== {name}")
    for key, value in r.items():
        print(f"  {key:36s} {value:12.3f}")
    print(f"  goal: triton/torch batch-1 p50 <= 2.5x   -> {r['ratio_triton_vs_torch_b1_p50']:.2f}x")
    print(
        f"  goal: dynamic batching >= 5x batch-1     -> {r['ratio_dynamic_vs_b1_throughput']:.2f}x"
    )
    print(f"  goal: >= 10,000 windows/s                -> {r['best_windows_per_s']:.0f}")


def torch_latency(name: str, windows: np.ndarray, n: int) -> float:
    model = load_model(name)
    x = torch.from_numpy(windows)
    times = []
    with torch.inference_mode():
        for i in range(n + 20):
            t = time.perf_counter()
            model.predict(x[i % len(x) : i % len(x) + 1])  # type: ignore[operator]
            if i >= 20:
                times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def torch_throughput(name: str, windows: np.ndarray, batch: int, seconds: float) -> float:
    model = load_model(name)
    x = torch.from_numpy(windows)
    done, end = 0, time.perf_counter() + seconds
    with torch.inference_mode():
        while time.perf_counter() < end:
            i = done % (len(x) - batch)
            model.predict(x[i : i + batch])  # type: ignore[operator]
            done += batch
    return done / seconds


def triton_latency(client: TritonForecaster, name: str, windows: np.ndarray, n: int) -> float:
    times = []
    for i in range(n + 20):
        t = time.perf_counter()
        client.forecast(name, windows[i % len(windows)][None])
        if i >= 20:
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def sequential_throughput(
    client: TritonForecaster, name: str, windows: np.ndarray, seconds: float
) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.forecast(name, windows[done % len(windows)][None])
        done += 1
    return done / (time.perf_counter() - start)


def concurrent_throughput(
    url: str, name: str, windows: np.ndarray, batch: int, inflight: int, seconds: float
) -> float:
    """Keep ``inflight`` async gRPC requests of ``batch`` windows going for ``seconds``."""
    client = grpcclient.InferenceServerClient(url)
    slots = threading.Semaphore(inflight)
    lock = threading.Lock()
    state = {"done": 0, "errors": 0}

    def on_done(result: Any, error: Any) -> None:
        with lock:
            state["errors" if error else "done"] += 1
        slots.release()

    inputs = []
    for i in range(16):
        inp = grpcclient.InferInput("window", [batch, 20], "FP32")
        inp.set_data_from_numpy(
            np.ascontiguousarray(windows[i * batch % (len(windows) - batch) :][:batch])
        )
        inputs.append(inp)
    outputs = [grpcclient.InferRequestedOutput("forecast")]
    # warm up
    for _ in range(inflight):
        client.infer(name, [inputs[0]], outputs=outputs)
    start = time.perf_counter()
    sent = 0
    while time.perf_counter() - start < seconds:
        slots.acquire()
        client.async_infer(name, [inputs[sent % 16]], on_done, outputs=outputs)
        sent += 1
    for _ in range(inflight):
        slots.acquire()
    elapsed = time.perf_counter() - start
    client.close()
    if state["errors"]:
        raise RuntimeError(f"{state['errors']} requests failed")
    return state["done"] * batch / elapsed


if __name__ == "__main__":
    main()

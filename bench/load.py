"""Load test of POST /v1/classify on loopback: 50 concurrent clients, realistic texts, bounded in
count and time; the same server's GET /healthz in the same run gives the framework's own limit.

Closed loop (each client sends as soon as answered) gives the maximum throughput; open loop
(requests at a fixed rate) gives the latency at that rate. The load generator runs on the same
2 cores as the server.

    python bench/load.py [--workers N] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import numpy as np
from common import REPO, write

from nlp_assises.datasets import load_labelled


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def hammer(url: str, payloads: list, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(payloads))
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue and time.perf_counter() < deadline:
            payload = queue.pop()
            start = time.perf_counter()
            try:
                response = await (
                    client.post(url, json=payload) if payload is not None else client.get(url)
                )
                errors += response.status_code != 200
            except httpx.TransportError:  # counted, never fatal: the figures say how many
                errors += 1
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


async def paced(url: str, payloads: list, rate: float, concurrency: int) -> dict:
    """Open loop: requests start at a fixed rate whatever the answers (latency counted from the
    planned start, so a slow server cannot hide its queue)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def one(planned: float, payload) -> None:
            nonlocal errors
            try:
                response = await client.post(url, json=payload)
                errors += response.status_code != 200
            except httpx.TransportError:
                errors += 1
            latencies.append(loop.time() - planned)

        tasks = []
        for index, payload in enumerate(payloads):
            planned = start + index / rate
            await asyncio.sleep(max(0.0, planned - loop.time()))
            tasks.append(asyncio.create_task(one(planned, payload)))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    ms = np.array(latencies) * 1000
    return {
        "target_rate": rate,
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rates", default="100,150,200,300", help="open-loop rates to try")
    args = parser.parse_args()
    texts = [r["text"] for r in load_labelled("test")]
    payloads = [{"text": texts[i % len(texts)]} for i in range(args.requests)]
    port = free_port()
    env = dict(
        os.environ,
        NLP_ASSISES_DATA_DIR=tempfile.mkdtemp(prefix="nlp-assises-load-"),
        NLP_ASSISES_MODELS_DIR=str(REPO / "models"),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nlp_assises.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        warm = [{"text": t} for t in texts[:100]]
        asyncio.run(hammer(f"{base}/v1/classify", warm, args.concurrency, 30))
        classify = asyncio.run(
            hammer(f"{base}/v1/classify", payloads, args.concurrency, args.seconds)
        )
        health = asyncio.run(
            hammer(f"{base}/healthz", [None] * args.requests, args.concurrency, args.seconds)
        )
        open_loop = []
        for rate in (float(r) for r in args.rates.split(",")):
            count = int(min(args.requests, rate * 10))  # ten seconds at each rate
            open_loop.append(
                asyncio.run(paced(f"{base}/v1/classify", payloads[:count], rate, args.concurrency))
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return write(
        "load",
        {
            "workers": args.workers,
            "concurrency": args.concurrency,
            "mean_words": round(float(np.mean([len(t.split()) for t in texts])), 1),
            "closed_loop": {"classify": classify, "healthz": health},
            "open_loop_classify": open_loop,
            "classify_over_healthz": round(
                classify["requests_per_second"] / health["requests_per_second"], 3
            ),
            "targets": {"requests_per_second": 300, "p99_ms": 50, "ratio": 0.5},
        },
    )


if __name__ == "__main__":
    main()

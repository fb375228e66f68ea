"""Load test of POST /v1/classify on loopback: 50 concurrent connections, realistic texts, bounded
in time; the same server's GET /healthz in the same run gives the framework's own limit.

Three phases after a warm-up, each of ``--seconds``, all with the same connections:

- ``healthz``: closed loop (each connection sends as soon as answered) on GET /healthz;
- ``classify_max``: closed loop on POST /v1/classify, the most the server does (its latencies are
  mostly queueing: 50 requests always wait);
- ``classify_paced``: POST /v1/classify at ``--rate`` requests/s, the latency a portal sees at
  that rate.

The texts are every contribution of the labelled corpus and of the sample consultation (e-mails,
form, letters, meeting notes), taken in turn. The load generator is ``wrk`` (C, a few percent of a
core) when installed, else a Python one that needs much of a core itself; either runs on the same
cores as the server, so the figures are for the whole machine.

    python bench/load.py [--workers 2] [--seconds 20] [--rate 300] [--generator wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import numpy as np
from common import free_port, start_server, stop_server, wait_ready, write

from nlp_assises.datasets import load_labelled, sample_consultation_path
from nlp_assises.ingest import read_records

HERE = Path(__file__).resolve().parent
TARGETS = {"requests_per_second": 300, "p99_ms": 50, "classify_over_healthz": 0.5}


def realistic_texts() -> list[str]:
    texts = [r["text"] for r in load_labelled("train") + load_labelled("test")]
    texts += [r.text for r in read_records(sample_consultation_path())]
    return texts


def summary(latencies_ms: list[float], seconds: float, non_2xx: int, socket_errors: int) -> dict:
    ms = np.array(latencies_ms or [0.0])
    return {
        "requests": len(latencies_ms),
        "seconds": round(seconds, 2),
        "non_2xx": non_2xx,
        "socket_errors": socket_errors,
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


class Wrk:
    """Phases run by ``wrk`` with ``load.lua``; the script prints one JSON line at the end."""

    name = "wrk"

    def __init__(self, base: str, connections: int, threads: int = 2) -> None:
        self.base = base
        self.connections = connections
        self.threads = threads

    def run(self, path: str, seconds: float, bodies: Path | None = None, rate: float = 0) -> dict:
        env = dict(
            os.environ,
            BENCH_PATH=path,
            BENCH_RATE=str(rate),
            BENCH_THREADS=str(self.threads),
        )
        if bodies is not None:
            env["BENCH_BODIES"] = str(bodies)
        command = [
            "wrk",
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            str(HERE / "load.lua"),
            self.base,
        ]
        out = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["requests_per_second"] = round(result["requests"] / result["seconds"], 1)
        return result


class PythonGenerator:
    """The fallback without ``wrk``: httpx on one event loop (it needs much of a core itself, so
    its figures understate the server)."""

    name = "python"

    def __init__(self, base: str, connections: int) -> None:
        self.base = base
        self.connections = connections

    def run(self, path: str, seconds: float, bodies: Path | None = None, rate: float = 0) -> dict:
        payloads = bodies.read_text(encoding="utf-8").splitlines() if bodies else None
        result = asyncio.run(self._run(self.base + path, seconds, payloads, rate))
        result["requests_per_second"] = round(result["requests"] / result["seconds"], 1)
        return result

    async def _run(self, url: str, seconds: float, payloads, rate: float) -> dict:
        latencies: list[float] = []
        counts = {"non_2xx": 0, "socket_errors": 0, "sent": 0, "late_sends": 0}
        limits = httpx.Limits(
            max_connections=self.connections, max_keepalive_connections=self.connections
        )
        headers = {"Content-Type": "application/json"}
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + seconds

        async def one(client: httpx.AsyncClient) -> None:
            index = counts["sent"]
            counts["sent"] += 1
            if rate:
                slot = start + index / rate
                if slot > loop.time():
                    await asyncio.sleep(slot - loop.time())
                elif loop.time() - slot > 0.001:
                    counts["late_sends"] += 1
            sent = loop.time()
            try:
                if payloads is None:
                    response = await client.get(url)
                else:
                    body = payloads[index % len(payloads)].encode()
                    response = await client.post(url, content=body, headers=headers)
                counts["non_2xx"] += not 200 <= response.status_code < 300
            except httpx.TransportError:  # counted, never fatal: the figures say how many
                counts["socket_errors"] += 1
            latencies.append((loop.time() - sent) * 1000)

        async def connection(client: httpx.AsyncClient) -> None:
            while loop.time() < deadline:
                await one(client)

        async with httpx.AsyncClient(limits=limits, timeout=5) as client:
            await asyncio.gather(*(connection(client) for _ in range(self.connections)))
        result = summary(latencies, loop.time() - start, counts["non_2xx"], counts["socket_errors"])
        result["late_sends"] = counts["late_sends"]
        return result


def cpu_seconds(root: int) -> float:
    """CPU time used so far by process ``root`` and its descendants (Linux /proc): the server's
    cost per request, which other work on the machine does not inflate as it does latencies."""
    parents, times = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    wanted, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        wanted.update(children)
        frontier += children
    return sum(times.get(pid, 0) for pid in wanted) / os.sysconf("SC_CLK_TCK")


def measured(generator, server: subprocess.Popen, *args, **kwargs) -> dict:
    """A phase, with the CPU time the server and the generator spent on each request."""
    server_before = cpu_seconds(server.pid)
    own = os.times()
    result = generator.run(*args, **kwargs)
    spent = os.times()
    generator_cpu = sum(spent[:4]) - sum(own[:4])  # this process and its waited children
    requests = max(result["requests"], 1)
    result["server_cpu_ms_per_request"] = round(
        (cpu_seconds(server.pid) - server_before) * 1000 / requests, 3
    )
    result["generator_cpu_ms_per_request"] = round(generator_cpu * 1000 / requests, 3)
    return result


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--rate", type=float, default=300, help="paced phase, requests/s")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    kind = args.generator
    if kind == "auto":
        kind = "wrk" if shutil.which("wrk") else "python"
    texts = realistic_texts()
    scratch = Path(tempfile.mkdtemp(prefix="nlp-assises-load-"))
    bodies = scratch / "bodies.jsonl"
    bodies.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
        encoding="utf-8",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    server = start_server(port, args.workers, str(scratch / "data"))
    try:
        wait_ready(base, server, 300)
        generator = (Wrk if kind == "wrk" else PythonGenerator)(base, args.connections)
        generator.run("/v1/classify", args.warmup, bodies)
        health = measured(generator, server, "/healthz", args.seconds)
        classify_max = measured(generator, server, "/v1/classify", args.seconds, bodies)
        paced = measured(generator, server, "/v1/classify", args.seconds, bodies, rate=args.rate)
    finally:
        stop_server(server)
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = round(classify_max["requests_per_second"] / health["requests_per_second"], 3)
    cpu_ratio = round(
        health["server_cpu_ms_per_request"] / classify_max["server_cpu_ms_per_request"], 3
    )
    phases = (health, classify_max, paced)
    errors = sum(p["non_2xx"] + p["socket_errors"] + p.get("timeouts", 0) for p in phases)
    met = {
        # asked for at least the target rate, the paced phase kept it (within 2 %)
        "requests_per_second": args.rate >= TARGETS["requests_per_second"]
        and paced["requests_per_second"] >= 0.98 * args.rate,
        "p99_ms": paced["p99_ms"] <= TARGETS["p99_ms"],
        "classify_over_healthz": ratio >= TARGETS["classify_over_healthz"],
        "no_errors": errors == 0,
    }
    return write(
        "load",
        {
            "generator": kind,
            "workers": args.workers,
            "connections": args.connections,
            "seconds_per_phase": args.seconds,
            "texts": len(texts),
            "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "healthz": health,
            "classify_max": classify_max,
            "classify_paced": {"target_rate": args.rate, **paced},
            "classify_over_healthz": ratio,
            # the same ratio from the server's CPU time per request, which is what the
            # throughput ratio measures when nothing else runs on the machine
            "classify_over_healthz_by_cpu": cpu_ratio,
            "errors": errors,
            "targets": TARGETS,
            "met": met,
        },
    )


if __name__ == "__main__":
    main()

"""What the access layer costs a request: CSRF guard, metrics and the classify rate limit.

One process, one loaded pipeline, two ASGI stacks over it: ``bare`` without the CSRF guard, the
metrics middleware and the rate limit (the body limit's Content-Length path, unchanged, is in
both), and ``full`` as served. Requests go in-process through httpx's ASGI transport, in rounds
that alternate the stacks; CPU time (``time.process_time``, every thread) rather than wall time,
since it moves little when other work shares the machine. Each stack classifies its own 500 of
the texts ``bench/load.py`` sends, so neither finds the other's cache entries (realistic, but the
two halves differ in cost by a few per cent); ``classify_same`` sends one short text 500 times
to each stack, so the NLP costs alike and the difference is the stack's.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time

import httpx
from common import REPO, write
from load import realistic_texts

from nlp_assises.settings import Settings
from service import metrics, security
from service.app import create_app

ROUNDS = 5
HEALTH_PER_ROUND = 400
SAME = {"text": "Plus de patrouilles à pied le soir, et un commissariat ouvert le samedi."}


async def _timed(client: httpx.AsyncClient, calls: list[tuple[str, dict | None]]) -> float:
    start = time.process_time()
    for path, body in calls:
        response = await (client.post(path, json=body) if body else client.get(path))
        assert response.status_code == 200, response.text
    return time.process_time() - start


async def run(texts: list[str]) -> dict:
    data_dir = tempfile.mkdtemp(prefix="access-overhead-")
    common = {"data_dir": data_dir, "models_dir": REPO / "models", "metrics_access": "public"}
    full = create_app(Settings(**common, classify_rate="1000000/minute"))
    bare = create_app(Settings(**common, classify_rate=""))
    bare.user_middleware = [
        m for m in bare.user_middleware if m.cls not in (metrics.Metrics, security.CsrfGuard)
    ]
    per_round = len(texts) // (2 * ROUNDS)
    halves = {"bare": texts[0::2], "full": texts[1::2]}
    phases = ("classify", "classify_same", "healthz")
    cpu = {stack: dict.fromkeys(phases, 0.0) for stack in ("bare", "full")}
    async with full.router.lifespan_context(full):
        for name in ("pipeline", "batcher", "jobs"):  # one set of models for both stacks
            setattr(bare.state, name, getattr(full.state, name))
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench")
            for name, app in (("bare", bare), ("full", full))
        }
        for client in clients.values():  # warm-up: first calls build lazy state
            await _timed(client, [("/healthz", None)] * 20 + [("/v1/classify", {"text": "x y"})])
        for r in range(ROUNDS):
            for name, client in clients.items():
                batch = halves[name][r * per_round : (r + 1) * per_round]
                calls = [("/v1/classify", {"text": t}) for t in batch]
                cpu[name]["classify"] += await _timed(client, calls)
                same = [("/v1/classify", SAME)] * per_round
                cpu[name]["classify_same"] += await _timed(client, same)
                cpu[name]["healthz"] += await _timed(
                    client, [("/healthz", None)] * HEALTH_PER_ROUND
                )
        for client in clients.values():
            await client.aclose()
    n = {
        "classify": per_round * ROUNDS,
        "classify_same": per_round * ROUNDS,
        "healthz": HEALTH_PER_ROUND * ROUNDS,
    }
    ms = {
        stack: {k: round(v * 1000 / n[k], 4) for k, v in figures.items()}
        for stack, figures in cpu.items()
    }
    return {
        "requests": n,
        "cpu_ms_per_request": ms,
        "ratio_full_over_bare": {k: round(ms["full"][k] / ms["bare"][k], 3) for k in phases},
        "added_ms_per_request": {k: round(ms["full"][k] - ms["bare"][k], 4) for k in phases},
        "load_average": os.getloadavg(),
    }


def main() -> dict:
    texts = realistic_texts()[:1000]
    return write("access_overhead", asyncio.run(run(texts)))


if __name__ == "__main__":
    main()

"""Prometheus metrics: requests by route template and status, latencies, classify batch sizes,
jobs by state.

Labels are route templates (``/v1/contributions/{contribution_id}``), never raw paths or query
strings, so no identifier or searched text reaches the metrics; a request no route matched is
counted as ``unmatched``.

``serve --workers N`` runs N processes: each would count only what it served, and a scrape
reaches one at random. So with several workers the server sets ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode, see :func:`multiprocess_dir`) and ``/metrics`` adds up
every process's files.
"""

from __future__ import annotations

import os
import tempfile
import time

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlp_assises import jobs
from nlp_assises.store import Store
from service.deps import require_key

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "nlp_assises_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "nlp_assises_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BATCH = Histogram(
    "nlp_assises_classify_batch_size",
    "Texts per batch formed by the classify micro-batcher.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
REFUSED = Counter(
    "nlp_assises_http_refused",
    "Requests refused before routing: body over the limit, or CSRF check failed.",
    ["reason"],
)


class Metrics:
    """Plain ASGI (the classify path is measured per request): the route template is read from
    the scope after routing, where Starlette leaves the matched route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            REQUESTS.labels(method, template, str(status)).inc()
            LATENCY.labels(method, template).observe(time.perf_counter() - start)


class JobsCollector:
    """Jobs by kind and state, read from the store at scrape time (the state lives there, not
    in any one process)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self):
        family = GaugeMetricFamily(
            "nlp_assises_jobs", "Jobs in the store, by kind and state.", labels=["kind", "state"]
        )
        for (kind, state), count in jobs.counts_by_kind(self.store).items():
            family.add_metric([kind, state], count)
        yield family


def exposition(store: Store) -> tuple[bytes, str]:
    """The text a scrape gets: this process's metrics, or every process's in multiprocess mode."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(JobsCollector(store))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def use_multiprocess_dir() -> str | None:
    """Before starting several workers: a fresh folder for their metrics files, named in the
    environment they inherit (prometheus-client reads it when it is imported). Returns the
    folder to remove at the end, or None when the operator chose one."""
    if os.environ.get(MULTIPROC_ENV):
        return None
    path = tempfile.mkdtemp(prefix="nlp-assises-metrics-")
    os.environ[MULTIPROC_ENV] = path
    return path


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus' scrape. ``metrics_access``: ``admin`` (default) wants an admin key in
    X-API-Key or ``Authorization: Bearer`` (Prometheus' ``authorization`` scrape option);
    ``public`` is open (the metrics hold no personal data); ``off`` removes the route."""
    if request.app.state.settings.metrics_access == "admin":
        require_key("admin")(request)
    body, kind = exposition(request.app.state.pipeline.store)
    return Response(body, media_type=kind)

"""The FastAPI application: routers per resource, models loaded once at start-up."""

from __future__ import annotations

import gc
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlp_assises import workspace
from nlp_assises.errors import NlpAssisesError
from nlp_assises.jobs import JobRunner
from nlp_assises.pipeline import Pipeline
from nlp_assises.privacy import install_log_filter
from nlp_assises.settings import Settings
from service import metrics
from service.batching import MicroBatcher
from service.ratelimit import RateLimits
from service.routers import (
    admin,
    classify,
    contributions,
    corrections,
    health,
    pages,
    search,
    themes,
)
from service.security import CsrfGuard

log = logging.getLogger("nlp_assises.service")


def limit_threads() -> None:
    """One BLAS/torch thread per server process: with one process per core, more threads only
    oversubscribe the cores."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once a body passes the limit: an HTTPException, so FastAPI's body
    reading lets it through to the JSON error handler (other exceptions there become a 400)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body over {max_bytes} bytes")


class BodyLimit:
    """413 for a body over ``max_bytes``: at once for a declared Content-Length, and as soon as
    the bytes received pass the limit for a body without one (chunked), before it is read whole.

    Plain ASGI: an ``@app.middleware`` wrapper costs about a tenth of a fast request; a request
    with a valid Content-Length (what portals send) is not wrapped at all, since the server never
    hands the app more bytes than declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
                break
        if length.isdigit():
            if int(length) > self.max_bytes:
                await self._refuse(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:  # read by a middleware, outside FastAPI's exception handlers
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics.REFUSED.labels(reason="body_too_large").inc()
        response = JSONResponse({"error": str(BodyTooLarge(self.max_bytes).detail)}, 413)
        await response(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # A weak pseudonym secret is refused before anything starts; the first start makes one.
    settings.resolved_pseudonym_secret  # noqa: B018

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        limit_threads()
        install_log_filter()  # uvicorn's log handlers exist now: its lines go through the policy
        pipeline = Pipeline(settings)
        # Load everything now, not on the first request: /healthz answers 200 only once loaded.
        pipeline.classifier  # noqa: B018
        pipeline.cleaner.clean("Chargement des modèles : M. Exemple, 01 02 03 04 05.")
        pipeline.store  # noqa: B018
        # The overview's totals take a pass over the whole store: now, not on a writer's visit.
        workspace.overview(pipeline.store, pipeline.scheme)
        # The models are millions of long-lived objects: out of the collector's sight, a full
        # collection no longer walks them all in the middle of a request (tail latency).
        gc.collect()
        gc.freeze()
        app.state.pipeline = pipeline
        app.state.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        # Semantic search needs every contribution's embedding: built in the background, so a
        # large store does not delay start-up (a search arriving before waits for it).
        app.state.jobs.submit(pipeline.search_index.refresh, pipeline.store)
        # Jobs queued through the API live in the store: every server process claims them.
        app.state.job_runner = JobRunner.for_pipeline(pipeline)
        app.state.job_runner.start()
        app.state.batcher = MicroBatcher(pipeline.analyse, max_batch=settings.classify_batch)
        app.state.batcher.start()
        # CPU-bound work is serialised in one thread per process: more threads only fight for
        # the GIL and the cores (run several processes with `serve --workers N` instead).
        anyio.to_thread.current_default_thread_limiter().total_tokens = 8
        yield
        await app.state.batcher.stop()
        app.state.job_runner.stop()
        app.state.jobs.shutdown(wait=False, cancel_futures=True)
        pipeline.store.close()

    app = FastAPI(
        title="nlp-assises",
        version="0.1.0",
        description="Classification en thèmes et propositions émergentes des contributions aux "
        "Assises territoriales de la sécurité intérieure.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limits = RateLimits(settings)
    # Outermost last: the body limit counts what CSRF reads of a form; metrics sit inside CSRF,
    # which copies the scope, so that they see the route the router matched.
    app.add_middleware(metrics.Metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type"],
        )
    app.add_middleware(CsrfGuard, settings=settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        detail = [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse(
            {"error": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(NlpAssisesError)
    async def domain_error(request: Request, exc: NlpAssisesError):
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.error(
            "unexpected %s on %s %s", exc.__class__.__name__, request.method, request.url.path
        )
        return JSONResponse({"error": "internal error"}, status_code=500)

    for module in (health, classify, contributions, themes, search, corrections, admin, pages):
        app.include_router(module.router)
    if settings.metrics_access != "off":
        app.include_router(metrics.router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    return app

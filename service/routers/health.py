"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.deps import PipelineDep
from service.schemas import Health

router = APIRouter(tags=["santé"])


@router.get("/healthz", response_model=Health, summary="200 once the models are loaded")
async def healthz(pipeline: PipelineDep) -> Health:
    model = pipeline.classifier
    return Health(
        status="ok",
        model_version=model.card.get("version"),
        embedder=pipeline.fast_embedder.model_id,
    )


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health}},
    summary="200 when the models and the store answer",
)
def readyz(pipeline: PipelineDep):
    try:
        with pipeline.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "store unavailable"}, status_code=503)
    return Health(
        status="ready",
        model_version=pipeline.classifier.card.get("version"),
        embedder=pipeline.fast_embedder.model_id,
    )

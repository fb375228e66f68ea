"""Writers' corrections: made with a writer key, stored with the key's name and the time,
applied at once to the current proposals and kept across re-clustering."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query

from nlp_assises.corrections import CorrectionError, UnknownTarget
from nlp_assises.privacy import correction_payload
from nlp_assises.store.models import ApiKey
from service.deps import PipelineDep, require_key
from service.schemas import (
    CORRECTION_EXAMPLES,
    CorrectionKind,
    CorrectionOut,
    CorrectionPage,
    CorrectionRequest,
    ErrorOut,
)

router = APIRouter(
    prefix="/v1/corrections",
    tags=["corrections"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


@router.post(
    "",
    response_model=CorrectionOut,
    status_code=201,
    responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    summary="Make a correction",
)
def make_correction(
    body: Annotated[CorrectionRequest, Body(openapi_examples=CORRECTION_EXAMPLES)],
    pipeline: PipelineDep,
    key: Annotated[ApiKey, Depends(require_key("writer"))],
) -> dict:
    """Rename, merge or split proposals, move a contribution or confirm its themes, pick or
    unpick a quote. Nothing is stored when it is refused: 404 when the proposal or contribution
    is not (or no longer) there, 409 when it does not fit the store (proposals of different
    themes, a theme the scheme does not have, hors_theme with a theme)."""
    try:
        return pipeline.correct(body.kind, body.target, body.payload.model_dump(), author=key.name)
    except UnknownTarget as exc:
        raise HTTPException(404, str(exc)) from None
    except CorrectionError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("", response_model=CorrectionPage, summary="Corrections made, newest first")
def list_corrections(
    pipeline: PipelineDep,
    key: Annotated[ApiKey, Depends(require_key("writer"))],
    kind: CorrectionKind | None = None,
    target: Annotated[str | None, Query(max_length=96)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    total, rows = pipeline.store.corrections_page(
        kind=kind, target=target, offset=offset, limit=limit
    )
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "items": [
            {**c.to_dict(), "payload": correction_payload(c.payload or {}, key.role)} for c in rows
        ],
    }

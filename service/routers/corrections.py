"""Writers' corrections: made with a writer key, stored with the key's name and the time,
applied at once to the current proposals and kept across re-clustering."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nlp_assises.store.models import ApiKey
from service.deps import PipelineDep, require_key
from service.schemas import (
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
    responses={400: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    summary="Make a correction",
)
def make_correction(
    body: CorrectionRequest,
    pipeline: PipelineDep,
    key: Annotated[ApiKey, Depends(require_key("writer"))],
) -> dict:
    """Rename, merge or split proposals, move a contribution or confirm its themes, pick or
    unpick a quote. A correction that cannot apply (unknown proposal, proposals of different
    themes...) is refused with 400 and nothing is stored."""
    return pipeline.correct(
        body.kind, body.target, body.payload.model_dump(exclude_none=True), author=key.name
    )


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
        "items": [c.to_dict() for c in rows],
    }

"""Search (keyword and semantic, "contributions like this one") and the report download."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from nlp_assises.report import build_report, write_report
from service.deps import PipelineDep, require
from service.schemas import ErrorOut, SearchHit

router = APIRouter(
    prefix="/v1",
    tags=["recherche et rapport"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)

MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@router.get(
    "/search",
    response_model=list[SearchHit],
    responses={422: {"model": ErrorOut}},
    summary="Keyword or semantic search, or contributions like one",
)
def search(
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("writer"))],
    q: Annotated[str | None, Query(max_length=500)] = None,
    like: Annotated[str | None, Query(description="A contribution id")] = None,
    mode: Literal["semantic", "keyword"] = "semantic",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list:
    """`q`: words (keyword) or meaning (semantic); `like`: a contribution id. Neither: nothing."""
    if not (q and q.strip()) and not like:
        return []
    return pipeline.search(q, like=like, mode=mode, limit=limit, role=role)


@router.get(
    "/report",
    response_class=FileResponse,
    summary="The synthesis report",
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def report(
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("writer"))],
    format: Literal["docx", "md", "html"] = "docx",
) -> FileResponse:
    """Every figure is computed from the store now."""
    folder = Path(tempfile.mkdtemp(prefix="nlp-assises-report-"))
    path = write_report(
        build_report(pipeline.store, pipeline.scheme, role=role), folder / f"synthese.{format}"
    )

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(
        path,
        media_type=MEDIA[format],
        filename=f"synthese.{format}",
        background=BackgroundTask(cleanup),
    )

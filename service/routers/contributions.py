"""Contributions: list with filters, read one with its repairs and scores (writer key or above)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from nlp_assises.privacy import contribution_view, sees_personal_data, visible_match
from service.deps import PipelineDep, require
from service.schemas import ContributionDetail, ErrorOut, Page

router = APIRouter(
    prefix="/v1/contributions",
    tags=["contributions"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


def contribution_out(contribution, classification, role: str | None) -> dict:
    """A contribution as ``role`` may see it (nlp_assises.privacy)."""
    return {
        "id": contribution.id,
        "text": contribution_view(contribution, role)["text"],
        "date": contribution.date,
        "source": contribution.source,
        "channel": contribution.channel,
        "language": contribution.language,
        "flags": contribution.flags or [],
        "campaign_id": contribution.campaign_id,
        "labels": classification.labels if classification else [],
        "primary": classification.primary if classification else None,
        "needs_review": classification.needs_review if classification else None,
        "scores": classification.scores if classification else {},
    }


@router.get("", response_model=Page, summary="Contributions, filtered and paginated")
def list_contributions(
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("writer"))],
    theme: Annotated[str | None, Query(description="A theme id or hors_theme")] = None,
    cluster: Annotated[str | None, Query(description="An emerging proposal id")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text to find")] = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    needs_review: bool | None = None,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    total, rows = pipeline.store.search(
        theme=theme,
        cluster=cluster,
        q=q,
        date_from=date_from,
        date_to=date_to,
        needs_review=needs_review,
        offset=offset,
        limit=limit,
    )
    items = [contribution_out(c, k, role) for c, k in rows]
    if q and not sees_personal_data(role):
        # Words match only what the caller sees: a name the text view hides is not probed.
        shown = [i for i in items if visible_match(i["text"], q)]
        total, items = total - (len(items) - len(shown)), shown
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.get(
    "/{contribution_id}",
    response_model=ContributionDetail,
    responses={404: {"model": ErrorOut}},
    summary="One contribution",
)
def get_contribution(
    contribution_id: str, pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]
) -> dict:
    contribution = pipeline.store.get(contribution_id)
    if contribution is None:
        raise HTTPException(404, f"no contribution {contribution_id!r}")
    classification = pipeline.store.latest_classifications_for([contribution_id]).get(
        contribution_id
    )
    view = contribution_view(contribution, role)
    return {
        **contribution_out(contribution, classification, role),
        "repairs": view["repairs"],
        "original": view["original"],
        "proposals": pipeline.store.clusters_of(contribution_id),
    }

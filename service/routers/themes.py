"""Themes with their counts, and the emerging proposals of each (writer key or above)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from nlp_assises.privacy import cluster_view, clusters_view, store_repairs
from nlp_assises.report import build_report
from service.deps import PipelineDep, require
from service.routers.contributions import contribution_out
from service.schemas import ClusterOut, ErrorOut, Page, ThemeOut

router = APIRouter(
    prefix="/v1",
    tags=["thèmes et propositions"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


@router.get("/themes", response_model=list[ThemeOut], summary="Themes, counts and shares")
def themes(pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]) -> list:
    data = build_report(pipeline.store, pipeline.scheme, max_proposals=0)
    return [
        {
            "id": t.id,
            "label": t.label,
            "description": t.description,
            "contributions": t.contributions,
            "share": t.share,
            "in_no_proposal": t.in_no_proposal,
        }
        for t in data.themes
    ]


@router.get(
    "/clusters", response_model=list[ClusterOut], summary="Emerging proposals, ranked by people"
)
def clusters(
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("writer"))],
    theme: str | None = None,
) -> list:
    return clusters_view(
        pipeline.store.current_clusters(theme), role, store_repairs(pipeline.store)
    )


@router.get(
    "/clusters/{cluster_id}/contributions",
    response_model=Page,
    responses={404: {"model": ErrorOut}},
    summary="The contributions of one proposal",
)
def cluster_members(
    cluster_id: str,
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("writer"))],
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    if not any(c.id == cluster_id for c in pipeline.store.current_clusters()):
        raise HTTPException(404, f"no emerging proposal {cluster_id!r}")
    total, rows = pipeline.store.search(cluster=cluster_id, offset=offset, limit=limit)
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "items": [contribution_out(c, k, role) for c, k in rows],
    }


@router.get(
    "/clusters/{cluster_id}",
    response_model=ClusterOut,
    responses={404: {"model": ErrorOut}},
    summary="One emerging proposal",
)
def cluster(
    cluster_id: str, pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]
):
    found = [c for c in pipeline.store.current_clusters() if c.id == cluster_id]
    if not found:
        raise HTTPException(404, f"no emerging proposal {cluster_id!r}")
    return cluster_view(found[0], role, store_repairs(pipeline.store))

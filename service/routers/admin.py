"""Admin and long work: ingest contributions, run jobs (re-cluster, retrain), model versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi import Path as FastAPIPath
from sqlalchemy import select

from nlp_assises.privacy import derived_text
from nlp_assises.records import Record
from nlp_assises.store import models as m
from service.deps import PipelineDep, SettingsDep, require
from service.schemas import ErrorOut, IngestReportOut, IngestRequest, JobOut, JobRequest

router = APIRouter(
    prefix="/v1",
    tags=["administration"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


@router.post(
    "/contributions",
    response_model=IngestReportOut,
    status_code=201,
    responses={413: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    summary="Add contributions (cleaned, pseudonymised, stored once)",
)
def ingest(
    body: IngestRequest,
    pipeline: PipelineDep,
    settings: SettingsDep,
    role: Annotated[str, Depends(require("admin"))],
) -> dict:
    """Each item is stored before the answer is sent: a 201 means it is on disk. The same
    submission sent twice is stored once (counted as a duplicate)."""
    if len(body.items) > settings.max_batch_items:
        raise HTTPException(
            413, f"{len(body.items)} items; the limit is {settings.max_batch_items}"
        )
    for i, item in enumerate(body.items):
        if len(item.text) > settings.max_text_chars:
            raise HTTPException(
                413, f"items[{i}].text is over {settings.max_text_chars} characters"
            )
    records = [
        Record(
            text=item.text,
            id=item.id,
            date=item.date,
            source=item.source,
            author=item.author,
            themes=item.themes,
        )
        for item in body.items
    ]
    report = pipeline.store.ingest(
        records,
        pipeline.cleaner,
        scheme=pipeline.scheme,
        pseudonym_secret=settings.pseudonym_secret,
    )
    return report.to_dict() | {"ids": report.ids}


def _job_out(run: m.PipelineRun, role: str | None) -> dict:
    """A job as ``role`` may see it: an error message may quote a text."""
    return {
        "id": run.id,
        "kind": run.kind.removeprefix("job:"),
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "result": run.stats or {},
        "error": derived_text(run.error, role),
    }


@router.post("/jobs", response_model=JobOut, status_code=202, summary="Start a long job")
def start_job(
    body: JobRequest,
    request: Request,
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("admin"))],
) -> dict:
    """`recluster` re-runs campaigns and proposals on the store; `classify` classifies what the
    current model has not seen; `retrain` trains a new classifier version (not promoted)."""
    run_id = pipeline.store.start_run(f"job:{body.kind}")
    request.app.state.jobs.submit(_run_job, pipeline, body.kind, run_id)
    return _job_out(_get_run(pipeline, run_id), role)


def _run_job(pipeline, kind: str, run_id: int) -> None:
    from nlp_assises.bootstrap import train_default_classifier

    try:
        if kind == "recluster":
            result = pipeline.cluster_store()
            stats = {"clusters": len(result.clusters), "campaigns": result.params["campaigns"]}
        elif kind == "classify":
            stats = {"classified": pipeline.classify_store()}
        else:
            extra = pipeline.writers_labels()  # every writer's theme correction is a label
            version = train_default_classifier(pipeline.settings, promote=False, extra=extra)
            stats = {"version": version, "writers_labels": len(extra)}
    except Exception as exc:  # the job records its failure; the server goes on
        pipeline.store.finish_run(run_id, error=f"{exc.__class__.__name__}: {exc}")
        return
    pipeline.store.finish_run(run_id, stats=stats)


def _get_run(pipeline, run_id: int) -> m.PipelineRun:
    with pipeline.store.session() as session:
        run = session.get(m.PipelineRun, run_id)
        if run is None or not run.kind.startswith("job:"):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {run_id}")
        return run


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={404: {"model": ErrorOut}},
    summary="A job's status",
)
def job(
    job_id: Annotated[int, FastAPIPath(ge=1, le=2**62)],
    pipeline: PipelineDep,
    role: Annotated[str, Depends(require("writer"))],
) -> dict:
    return _job_out(_get_run(pipeline, job_id), role)


@router.get("/jobs", response_model=list[JobOut], summary="Recent jobs")
def jobs(pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]) -> list:
    with pipeline.store.session() as session:
        runs = session.scalars(
            select(m.PipelineRun)
            .where(m.PipelineRun.kind.like("job:%"))
            .order_by(m.PipelineRun.id.desc())
            .limit(50)
        )
        return [_job_out(r, role) for r in runs]


@router.get("/models", summary="The models in use and the registered versions")
def models(pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]) -> dict:
    return {
        "embedder": pipeline.fast_embedder.model_id,
        "classifier": pipeline.classifier.card.get("version"),
        "classifiers": pipeline.registry.versions(),
    }

"""Admin and long work: ingest contributions, queue jobs (re-cluster, retrain), model versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi import Path as FastAPIPath

from nlp_assises import jobs as job_queue
from nlp_assises.privacy import derived_text
from nlp_assises.records import Record
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


def _job_out(job: job_queue.Job, role: str | None) -> dict:
    """A job as ``role`` may see it: an error message may quote a text."""
    out = job.to_dict() | {"worker": job.owner}
    return out | {"error": derived_text(out.get("error"), role)}


@router.post(
    "/jobs",
    response_model=JobOut,
    status_code=202,
    responses={422: {"model": ErrorOut}},
    summary="Queue a long job",
)
def start_job(
    body: JobRequest,
    request: Request,
    pipeline: PipelineDep,
    settings: SettingsDep,
    role: Annotated[str, Depends(require("admin"))],
) -> dict:
    """`recluster` re-runs campaigns and proposals on the store; `classify` classifies what the
    current model has not seen; `retrain` trains a new classifier version (not promoted).

    The job is kept in the store and run by one of the server processes, one job writing
    proposals at a time; if its process dies, it is run again (up to `max_attempts`)."""
    job = job_queue.enqueue(pipeline.store, body.kind, max_attempts=settings.job_max_attempts)
    request.app.state.job_runner.wake()
    return _job_out(job, role)


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
    found = job_queue.get(pipeline.store, job_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    return _job_out(found, role)


@router.get("/jobs", response_model=list[JobOut], summary="Recent jobs")
def jobs(pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]) -> list:
    return [_job_out(j, role) for j in job_queue.recent(pipeline.store, limit=50)]


@router.get("/models", summary="The models in use and the registered versions")
def models(pipeline: PipelineDep, role: Annotated[str, Depends(require("writer"))]) -> dict:
    return {
        "embedder": pipeline.fast_embedder.model_id,
        "classifier": pipeline.classifier.card.get("version"),
        "classifiers": pipeline.registry.versions(),
    }

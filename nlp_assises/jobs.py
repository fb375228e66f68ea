"""Long jobs (re-cluster, classify, retrain) as a queue in the store, run by any server process.

A job is a row of the ``jobs`` table. Every server process runs a :class:`JobRunner` thread that
claims the oldest queued job with a conditional UPDATE (the row count says which process won),
renews a lease on it while it runs (heartbeat) and records the outcome. A lease that runs out
means its process died: the job is queued again, up to its ``max_attempts``, then failed with a
message. Each job has a lane (``store`` for work that writes classifications or proposals,
``models`` for training); a partial unique index allows one running job per lane, so two
re-clusterings never overlap, whichever processes claimed them. It all goes through SQLAlchemy:
SQLite and PostgreSQL alike, no broker.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import String, and_, cast, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from nlp_assises.errors import InputError
from nlp_assises.store import models as m

if TYPE_CHECKING:
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.settings import Settings
    from nlp_assises.store import Store

log = logging.getLogger("nlp_assises.jobs")

STATES = ("queued", "running", "done", "failed")
# kind → lane: one running job per lane.
LANES = {"recluster": "store", "classify": "store", "retrain": "models"}
TEST_LANES = {"hold": "store"}  # only with the `job_test_kinds` setting
HOLD_DEADLINE = 600.0  # seconds a `hold` job waits for its release file


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    status: str
    lane: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    lease_until: datetime | None
    owner: str | None
    attempts: int
    max_attempts: int
    result: dict = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def from_row(cls, row: m.Job) -> Job:
        return cls(
            id=row.id,
            kind=row.kind,
            status=row.status,
            lane=row.lane,
            queued_at=_aware(row.queued_at),
            started_at=_aware(row.started_at),
            finished_at=_aware(row.finished_at),
            heartbeat_at=_aware(row.heartbeat_at),
            lease_until=_aware(row.lease_until),
            owner=row.owner,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            result=dict(row.result or {}),
            error=row.error,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _now() -> datetime:
    return datetime.now(UTC)


def worker_id() -> str:
    """Who holds a lease: host and process, plus a random part (a pid is reused after a
    restart, and a restarted process must not pass for the dead one)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def known_kinds(settings: Settings | None = None) -> dict[str, str]:
    """The kinds this process runs, with their lanes."""
    if settings is not None and settings.job_test_kinds:
        return LANES | TEST_LANES
    return dict(LANES)


# -- the queue ---------------------------------------------------------------------------------
def enqueue(store: Store, kind: str, *, max_attempts: int = 3) -> Job:
    """Queue a job; a server process (this one or another, now or at its next start) runs it."""
    lanes = LANES | TEST_LANES
    if kind not in lanes:
        raise InputError(f"unknown job kind {kind!r}; one of {', '.join(LANES)}")
    if max_attempts < 1:
        raise InputError("max_attempts must be at least 1")
    with store.session() as session:
        row = m.Job(
            kind=kind,
            status="queued",
            lane=lanes[kind],
            queued_at=_now(),
            attempts=0,
            max_attempts=max_attempts,
            result={},
        )
        session.add(row)
        session.flush()
        return Job.from_row(row)


def get(store: Store, job_id: int) -> Job | None:
    with store.session() as session:
        row = session.get(m.Job, job_id)
        return Job.from_row(row) if row is not None else None


def recent(store: Store, limit: int = 50) -> list[Job]:
    """The latest jobs, newest first."""
    with store.session() as session:
        rows = session.scalars(select(m.Job).order_by(m.Job.id.desc()).limit(limit))
        return [Job.from_row(r) for r in rows]


def counts(store: Store) -> dict[str, int]:
    """How many jobs are in each state (every state listed, zeros included)."""
    with store.session() as session:
        rows = session.execute(select(m.Job.status, func.count()).group_by(m.Job.status))
        return {state: 0 for state in STATES} | {status: n for status, n in rows}


def counts_by_kind(store: Store) -> dict[tuple[str, str], int]:
    """How many jobs of each kind are in each state (only the pairs that occur): a gauge."""
    with store.session() as session:
        rows = session.execute(
            select(m.Job.kind, m.Job.status, func.count()).group_by(m.Job.kind, m.Job.status)
        )
        return {(kind, status): n for kind, status, n in rows}


def claim(
    store: Store,
    owner: str,
    *,
    lease_seconds: float,
    kinds: Collection[str] | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Take the oldest queued job (of ``kinds``) whose lane is free, under a lease; None when
    there is none. Safe between processes: the UPDATE only changes a row still queued, and the
    unique index on running lanes refuses a second job in a lane (IntegrityError: lost)."""
    busy = select(m.Job.lane).where(m.Job.status == "running", m.Job.lane.is_not(None))
    query = (
        select(m.Job.id)
        .where(m.Job.status == "queued", or_(m.Job.lane.is_(None), m.Job.lane.not_in(busy)))
        .order_by(m.Job.id)
        .limit(8)
    )
    if kinds is not None:
        query = query.where(m.Job.kind.in_(sorted(kinds)))
    with store.session() as session:
        candidates = list(session.scalars(query))
    # Read the clock once the lane was seen free: a job never starts before the one it waited for
    # finished (read earlier, a start could predate the end of the job before it in its lane).
    now = now or _now()
    for job_id in candidates:
        try:
            with store.session() as session:
                taken = session.execute(
                    update(m.Job)
                    .where(m.Job.id == job_id, m.Job.status == "queued")
                    .values(
                        status="running",
                        owner=owner,
                        attempts=m.Job.attempts + 1,
                        started_at=now,
                        finished_at=None,
                        heartbeat_at=now,
                        lease_until=now + timedelta(seconds=lease_seconds),
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
        except IntegrityError:  # another process started a job of this lane first
            continue
        if taken == 1:
            return get(store, job_id)
    return None


def _mine(job_id: int, owner: str):
    return and_(m.Job.id == job_id, m.Job.owner == owner, m.Job.status == "running")


def _set(store: Store, where, **values) -> bool:
    with store.session() as session:
        changed = session.execute(
            update(m.Job).where(where).values(**values).execution_options(synchronize_session=False)
        ).rowcount
    return changed == 1


def heartbeat(
    store: Store, job_id: int, owner: str, *, lease_seconds: float, now: datetime | None = None
) -> bool:
    """Extend the lease; False when the job is no longer ``owner``'s (its lease ran out and
    another process took it over, or it was failed)."""
    now = now or _now()
    return _set(
        store,
        _mine(job_id, owner),
        heartbeat_at=now,
        lease_until=now + timedelta(seconds=lease_seconds),
    )


def finish(store: Store, job_id: int, owner: str, result: dict) -> bool:
    """Record success; False (nothing recorded) when ``owner`` no longer holds the job."""
    return _set(
        store,
        _mine(job_id, owner),
        status="done",
        finished_at=_now(),
        lease_until=None,
        result=result,
        error=None,
    )


def fail(store: Store, job_id: int, owner: str, error: str) -> bool:
    """Record a failure (not retried: the same input would fail the same way)."""
    return _set(
        store,
        _mine(job_id, owner),
        status="failed",
        finished_at=_now(),
        lease_until=None,
        error=error,
    )


def recover_expired(store: Store, *, now: datetime | None = None) -> tuple[int, int]:
    """Queue again the running jobs whose lease ran out (their process died), or fail those
    that used all their attempts; returns (queued again, failed). A plain read when none."""
    now = now or _now()
    expired = and_(
        m.Job.status == "running", or_(m.Job.lease_until.is_(None), m.Job.lease_until < now)
    )
    with store.session() as session:
        if session.scalar(select(m.Job.id).where(expired).limit(1)) is None:
            return 0, 0
    attempts = cast(m.Job.attempts, String)
    with store.session() as session:
        failed = session.execute(
            update(m.Job)
            .where(expired, m.Job.attempts >= m.Job.max_attempts)
            .values(
                status="failed",
                finished_at=now,
                lease_until=None,
                error=literal("given up after ")
                + attempts
                + literal(
                    " attempt(s): each time, the server process running it stopped before the"
                    " end (its lease ran out without a heartbeat)"
                ),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        queued = session.execute(
            update(m.Job)
            .where(expired, m.Job.attempts < m.Job.max_attempts)
            .values(
                status="queued",
                owner=None,
                lease_until=None,
                error=literal("attempt ")
                + attempts
                + literal(
                    " stopped before the end (its server process died: the lease ran out);"
                    " queued again"
                ),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    if queued or failed:
        log.warning("jobs whose process died: %d queued again, %d failed", queued, failed)
    return queued, failed


# -- what each kind does -------------------------------------------------------------------------
def run_job(pipeline: Pipeline, job: Job) -> dict:
    """Run ``job`` on ``pipeline``; its result is stored with the job. Each kind can run again
    after a crash: clustering runs and classifications are saved in one transaction each."""
    if job.kind == "recluster":
        result = pipeline.cluster_store()
        return {"clusters": len(result.clusters), "campaigns": result.params["campaigns"]}
    if job.kind == "classify":
        return {"classified": pipeline.classify_store()}
    if job.kind == "retrain":
        from nlp_assises.bootstrap import train_default_classifier

        extra = pipeline.writers_labels()  # every writer's theme correction is a label
        version = train_default_classifier(pipeline.settings, promote=False, extra=extra)
        return {"version": version, "writers_labels": len(extra)}
    if job.kind == "hold" and pipeline.settings.job_test_kinds:
        return hold(pipeline.settings, job)
    raise InputError(f"unknown job kind {job.kind!r}")


def hold(settings: Settings, job: Job) -> dict:
    """Tests only: wait until ``data_dir/job-hold/ID.release`` exists, writing each attempt's
    start and end to ``ID.log``: a job that lasts exactly as long as a test needs."""
    folder = settings.data_dir / "job-hold"
    folder.mkdir(parents=True, exist_ok=True)
    trace = folder / f"{job.id}.log"
    with trace.open("a") as out:
        out.write(f"start {job.attempts} {os.getpid()} {time.time()}\n")
    deadline = time.monotonic() + HOLD_DEADLINE
    while not (folder / f"{job.id}.release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not released within {HOLD_DEADLINE:.0f} s")
        time.sleep(0.05)
    with trace.open("a") as out:
        out.write(f"end {job.attempts} {os.getpid()} {time.time()}\n")
    return {"attempt": job.attempts, "pid": os.getpid()}


# -- the runner ----------------------------------------------------------------------------------
class JobRunner:
    """One thread per server process: recovers expired leases, claims a job, runs it while a
    second thread renews its lease, records the outcome; waits ``poll_seconds`` (or a
    :meth:`wake`) when there is nothing to do."""

    def __init__(
        self,
        store: Store,
        run: Callable[[Job], dict],
        *,
        kinds: Collection[str],
        lease_seconds: float = 60.0,
        poll_seconds: float = 2.0,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.run = run
        self.kinds = frozenset(kinds)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.owner = owner or worker_id()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: int | None = None

    @classmethod
    def for_pipeline(cls, pipeline: Pipeline) -> JobRunner:
        settings = pipeline.settings
        return cls(
            pipeline.store,
            lambda job: run_job(pipeline, job),
            kinds=known_kinds(settings),
            lease_seconds=settings.job_lease_seconds,
            poll_seconds=settings.job_poll_seconds,
        )

    def start(self) -> None:
        # A daemon: a job still running does not keep a stopping process alive; its lease runs
        # out and another process (or the next start) runs it again.
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    @property
    def running(self) -> int | None:
        """The id of the job this process is running, if any."""
        return self._running

    def stop(self, timeout: float = 5.0) -> None:
        """Claim nothing more; wait up to ``timeout`` for an idle thread, not for a running job
        (the process may exit under it: the job's lease runs out and it runs again)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._running is None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            job = self._next()
            if job is not None:
                self._execute(job)
                continue
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _next(self) -> Job | None:
        try:
            recover_expired(self.store)
            return claim(self.store, self.owner, lease_seconds=self.lease_seconds, kinds=self.kinds)
        except SQLAlchemyError as exc:  # the store is back at the next poll, and so are we
            log.warning("job queue unreachable: %s", exc.__class__.__name__)
            return None

    def _execute(self, job: Job) -> None:
        log.info("job %d (%s) started, attempt %d", job.id, job.kind, job.attempts)
        done = threading.Event()
        beats = threading.Thread(
            target=self._beat, args=(job.id, done), name=f"job-{job.id}-lease", daemon=True
        )
        beats.start()
        self._running = job.id
        try:
            try:
                result = self.run(job)
            except Exception as exc:  # the job records its failure; the server goes on
                kept = fail(self.store, job.id, self.owner, f"{exc.__class__.__name__}: {exc}")
            else:
                kept = finish(self.store, job.id, self.owner, result)
        except SQLAlchemyError as exc:  # outcome not recorded: the lease runs out, it runs again
            log.warning("job %d: outcome not recorded (%s)", job.id, exc.__class__.__name__)
            return
        finally:
            self._running = None
            done.set()
            beats.join()
        if not kept:
            log.warning("job %d: lease lost while it ran; this run's outcome is dropped", job.id)
        else:
            log.info("job %d (%s) ended", job.id, job.kind)

    def _beat(self, job_id: int, done: threading.Event) -> None:
        while not done.wait(self.lease_seconds / 4):
            try:
                if not heartbeat(self.store, job_id, self.owner, lease_seconds=self.lease_seconds):
                    log.warning("job %d: lease lost (another process took it over)", job_id)
                    return
            except SQLAlchemyError as exc:
                log.warning("job %d: heartbeat failed (%s)", job_id, exc.__class__.__name__)

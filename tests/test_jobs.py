"""The job queue on a real store: claims raced by real processes, leases, expiry, lanes, the
runner thread, and the migration of the jobs kept before it."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from nlp_assises import jobs
from nlp_assises.errors import InputError
from nlp_assises.store import Store
from nlp_assises.store import models as m
from nlp_assises.store.db import alembic_config, make_engine, upgrade


@pytest.fixture
def url(store_url) -> str:
    """A fresh SQLite file, then a fresh PostgreSQL database (tests/conftest.py `store_url`)."""
    return store_url


@pytest.fixture
def store(url):
    store = Store(url)
    yield store
    store.close()


def test_a_job_goes_from_queued_to_done_under_a_lease(store):
    queued = jobs.enqueue(store, "recluster", max_attempts=2)
    assert (queued.status, queued.attempts, queued.started_at, queued.lane) == (
        "queued",
        0,
        None,
        "store",
    )
    assert jobs.counts(store) == {"queued": 1, "running": 0, "done": 0, "failed": 0}
    job = jobs.claim(store, "a", lease_seconds=30)
    assert job.id == queued.id and (job.status, job.owner, job.attempts) == ("running", "a", 1)
    assert job.lease_until - job.started_at == timedelta(seconds=30)
    assert jobs.claim(store, "b", lease_seconds=30) is None  # nothing else queued

    later = job.started_at + timedelta(seconds=20)
    assert jobs.heartbeat(store, job.id, "a", lease_seconds=30, now=later)
    assert jobs.get(store, job.id).lease_until == later + timedelta(seconds=30)
    assert not jobs.heartbeat(store, job.id, "b", lease_seconds=30)  # not b's job

    assert jobs.finish(store, job.id, "a", {"clusters": 3})
    done = jobs.get(store, job.id)
    assert (done.status, done.result, done.error, done.lease_until) == (
        "done",
        {"clusters": 3},
        None,
        None,
    )
    assert done.finished_at >= done.started_at >= done.queued_at
    assert not jobs.finish(store, job.id, "a", {})  # recorded once
    assert not jobs.fail(store, job.id, "a", "late")
    assert jobs.counts(store)["done"] == 1 and jobs.recent(store)[0].id == job.id
    jobs.enqueue(store, "recluster")
    assert jobs.counts_by_kind(store) == {("recluster", "done"): 1, ("recluster", "queued"): 1}
    with pytest.raises(InputError, match="unknown job kind"):
        jobs.enqueue(store, "drop-tables")


def test_an_expired_lease_queues_the_job_again_then_fails_it(store):
    job_id = jobs.enqueue(store, "classify", max_attempts=2).id
    first = jobs.claim(store, "dead", lease_seconds=10)
    assert jobs.recover_expired(store, now=first.lease_until - timedelta(seconds=1)) == (0, 0)
    assert jobs.recover_expired(store, now=first.lease_until + timedelta(seconds=1)) == (1, 0)
    again = jobs.get(store, job_id)
    assert (again.status, again.owner, again.attempts) == ("queued", None, 1)
    assert "attempt 1 stopped before the end" in again.error
    # the process taken for dead can neither renew nor record anything any more
    assert not jobs.heartbeat(store, job_id, "dead", lease_seconds=10)
    assert not jobs.finish(store, job_id, "dead", {"classified": 1})

    second = jobs.claim(store, "alive", lease_seconds=10)
    assert (second.id, second.attempts, second.owner) == (job_id, 2, "alive")
    assert jobs.recover_expired(store, now=second.lease_until + timedelta(seconds=1)) == (0, 1)
    failed = jobs.get(store, job_id)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error.startswith("given up after 2 attempt(s)")
    assert jobs.claim(store, "alive", lease_seconds=10) is None


def test_one_running_job_per_lane(store):
    recluster = jobs.enqueue(store, "recluster").id
    classify = jobs.enqueue(store, "classify").id
    retrain = jobs.enqueue(store, "retrain").id
    assert jobs.claim(store, "a", lease_seconds=30).id == recluster
    assert jobs.claim(store, "b", lease_seconds=30).id == retrain  # the store lane is busy
    assert jobs.claim(store, "c", lease_seconds=30) is None
    # the database itself refuses a second running job in a lane, whoever writes it
    with pytest.raises(IntegrityError), store.session() as session:
        session.execute(update(m.Job).where(m.Job.id == classify).values(status="running"))
    assert jobs.finish(store, recluster, "a", {})
    assert jobs.claim(store, "c", lease_seconds=30).id == classify
    assert jobs.claim(store, "d", lease_seconds=30, kinds={"recluster"}) is None


def _claim_all(url: str, name: str, start, out) -> None:
    """A separate process: claim until nothing is left, reporting what it got."""
    store = Store(url, migrate=False)
    start.wait(60)
    got = []
    while (job := jobs.claim(store, name, lease_seconds=60)) is not None:
        got.append(job.id)
    out.put((name, got))
    store.close()


def _claim_once(url: str, name: str, start, out, rounds: int) -> None:
    store = Store(url, migrate=False)
    for _ in range(rounds):
        start.wait(60)  # all claimers go together
        job = jobs.claim(store, name, lease_seconds=60)
        out.put((name, job.id if job else None))
        start.wait(60)  # the parent resets the round
    store.close()


def test_processes_racing_to_claim_each_job_once(store, url):
    """Two processes claim from the same queue at the same time: every job goes to exactly
    one, as the store records it."""
    ids = [jobs.enqueue(store, "retrain").id for _ in range(2)]  # one lane: one at a time
    ids += [_enqueue_free(store) for _ in range(30)]
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_claim_all, args=(url, name, start, out)) for name in ("p1", "p2")
    ]
    for process in processes:
        process.start()
    results = dict(out.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(30)
    claimed = results["p1"] + results["p2"]
    assert not set(results["p1"]) & set(results["p2"])
    assert len(claimed) == len(ids) - 1  # the second retrain waits for the first to end
    owners = dict(_owners(store))
    assert all(owners[i] == name for name, got in results.items() for i in got)


def test_processes_racing_for_one_lane_start_one_job(store, url):
    """Two processes, two queued jobs of one lane, claimed at the same instant: one job runs."""
    rounds = 5
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(3), context.Queue()
    processes = [
        context.Process(target=_claim_once, args=(url, name, start, out, rounds))
        for name in ("p1", "p2")
    ]
    for process in processes:
        process.start()
    for _ in range(rounds):
        jobs.enqueue(store, "recluster")
        jobs.enqueue(store, "classify")
        start.wait(120)
        got = [out.get(timeout=120) for _ in processes]
        winners = [(name, job_id) for name, job_id in got if job_id is not None]
        assert len(winners) == 1, got
        name, job_id = winners[0]
        assert jobs.get(store, job_id).owner == name
        with store.session() as session:  # clear the queue for the next round
            session.execute(update(m.Job).values(status="done"))
        start.wait(120)
    for process in processes:
        process.join(30)


def _enqueue_free(store) -> int:
    """A job in no lane (the queue allows it; no public kind has none)."""
    job_id = jobs.enqueue(store, "classify").id
    with store.session() as session:
        session.execute(update(m.Job).where(m.Job.id == job_id).values(lane=None))
    return job_id


def _owners(store):
    with store.session() as session:
        return list(session.execute(select(m.Job.id, m.Job.owner)))


def test_the_runner_runs_renews_and_records(store):
    """The runner thread claims what is queued, renews the lease while the job runs, records
    results and failures; a second runner never runs the same job."""
    seen: list[tuple[str, int]] = []
    beat = threading.Event()

    def run_as(name):
        def run(job):
            seen.append((name, job.id))
            if job.kind == "retrain":
                raise ValueError("no labels")
            deadline = time.monotonic() + 60
            while jobs.get(store, job.id).heartbeat_at == job.started_at:  # a renewal
                assert time.monotonic() < deadline, "no heartbeat"
                time.sleep(0.05)
            beat.set()
            return {"by": name}

        return run

    runners = [
        jobs.JobRunner(
            store, run_as(name), kinds=jobs.LANES, lease_seconds=2, poll_seconds=0.05, owner=name
        )
        for name in ("r1", "r2")
    ]
    ids = [jobs.enqueue(store, kind).id for kind in ("recluster", "classify", "retrain")]
    for runner in runners:
        runner.start()
    try:
        deadline = time.monotonic() + 120
        while any(jobs.get(store, i).status in ("queued", "running") for i in ids):
            assert time.monotonic() < deadline, [jobs.get(store, i) for i in ids]
            time.sleep(0.05)
    finally:
        for runner in runners:
            runner.stop()
    recluster, classify, retrain = (jobs.get(store, i) for i in ids)
    assert beat.is_set() and recluster.status == classify.status == "done"
    assert recluster.result["by"] == recluster.owner and classify.result["by"] == classify.owner
    assert (retrain.status, retrain.error) == ("failed", "ValueError: no labels")
    assert sorted(job_id for _, job_id in seen) == sorted(ids)  # each run once
    # recluster and classify share a lane: one after the other
    assert recluster.finished_at <= classify.started_at or classify.finished_at <= (
        recluster.started_at
    )


def test_the_migration_keeps_the_jobs_of_before(url):
    """Jobs were pipeline runs: they move to the jobs table with their ids, and those left
    running (their thread pool died with the server) are failed with a message."""
    engine = make_engine(url)
    upgrade(engine, "0003")
    with engine.begin() as connection:  # ids 1, 2, 3 of a fresh table
        for kind, status in [
            ("pipeline", "done"),
            ("job:recluster", "running"),
            ("job:classify", "done"),
        ]:
            connection.execute(
                insert(m.PipelineRun.__table__).values(kind=kind, status=status, stats={"n": 3})
            )
    engine.dispose()
    store = Store(url)
    try:
        interrupted, done = jobs.get(store, 2), jobs.get(store, 3)
        assert (interrupted.kind, interrupted.status) == ("recluster", "failed")
        assert "interrupted" in interrupted.error
        assert (done.kind, done.status, done.result) == ("classify", "done", {"n": 3})
        assert jobs.enqueue(store, "classify").id == 4
        with store.session() as session:
            kinds = session.scalars(select(m.PipelineRun.kind)).all()
        assert kinds == ["pipeline"]
    finally:
        store.close()
    command.downgrade(alembic_config(engine), "0003")  # back: the jobs become pipeline runs
    with engine.connect() as connection:
        kinds = connection.execute(select(m.PipelineRun.kind).order_by(m.PipelineRun.id))
        assert list(kinds.scalars()) == [
            "pipeline",
            "job:recluster",
            "job:classify",
            "job:classify",
        ]
    engine.dispose()


def test_the_api_offers_the_kinds_the_runner_runs():
    from typing import get_args

    from service.schemas import JobRequest

    assert set(get_args(JobRequest.model_fields["kind"].annotation)) == set(jobs.LANES)

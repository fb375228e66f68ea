"""Jobs on real server processes: queued while no server runs, a server SIGKILLed in the middle
of a job, `serve --workers 2` given two re-clusterings, and bad input to `POST /v1/jobs`."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from nlp_assises import jobs
from nlp_assises.store import Store
from tests.conftest import CLI, SAMPLE_FORM, Server, create_key
from tests.test_end_to_end import STARTED, _two_workers, _wait_for

pytestmark = pytest.mark.slow


def _poll(base: str, job_id: int, key: str, until, seconds: float = 240) -> dict:
    """GET the job until ``until(job)``, within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        job = httpx.get(f"{base}/v1/jobs/{job_id}", headers={"X-API-Key": key}, timeout=30).json()
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def _wait_for_path(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def _running(job: dict) -> bool:
    return job["status"] == "running"


def _ended(job: dict) -> bool:
    return job["status"] in ("done", "failed")


def test_a_job_cut_short_by_a_killed_server_runs_again_or_fails_never_stuck(cli_env):
    """Two `hold` jobs (test kind: each attempt waits for a release file, logging its start
    and end) queued while no server runs. The server is SIGKILLed in each: the one allowed
    one attempt fails with a message at the next start, the one allowed two runs again, once,
    after its first run's process died."""
    env = cli_env | {
        "NLP_ASSISES_JOB_TEST_KINDS": "true",
        "NLP_ASSISES_JOB_LEASE_SECONDS": "3",
        "NLP_ASSISES_JOB_POLL_SECONDS": "0.2",
    }
    key = create_key(env, "admin")  # also creates the store
    data = Path(env["NLP_ASSISES_DATA_DIR"])
    store = Store(f"sqlite:///{(data / 'nlp_assises.db').resolve()}")
    once = jobs.enqueue(store, "hold", max_attempts=1).id
    twice = jobs.enqueue(store, "hold", max_attempts=2).id
    hold = data / "job-hold"
    try:
        server = Server(env)  # picks up what was queued before it started
        _poll(server.base, once, key, _running)
        _wait_for_path(hold / f"{once}.log")  # inside the job
        server.kill()
        assert jobs.get(store, once).status == "running"  # as its dead process left it

        server = Server(env)
        failed = _poll(server.base, once, key, _ended)
        assert failed["status"] == "failed" and failed["attempts"] == 1
        assert failed["error"].startswith("given up after 1 attempt(s)")
        _poll(server.base, twice, key, _running)
        _wait_for_path(hold / f"{twice}.log")
        second_pid = server.process.pid
        server.kill()
        killed = time.time()
        (hold / f"{twice}.release").touch()

        server = Server(env)
        done = _poll(server.base, twice, key, _ended)
        assert (done["status"], done["attempts"], done["error"]) == ("done", 2, None)
        assert done["result"] == {"attempt": 2, "pid": server.process.pid}
        trace = [line.split() for line in (hold / f"{twice}.log").read_text().splitlines()]
        assert [(event, int(n), int(pid)) for event, n, pid, _ in trace] == [
            ("start", 1, second_pid),
            ("start", 2, server.process.pid),
            ("end", 2, server.process.pid),
        ]
        assert float(trace[1][3]) > killed  # run again only once the first run's process died
        assert [j["status"] for j in _list(server.base, key)] == ["done", "failed"]
        server.stop()
    finally:
        store.close()


def _list(base: str, key: str) -> list[dict]:
    return httpx.get(f"{base}/v1/jobs", headers={"X-API-Key": key}, timeout=30).json()


def test_two_workers_run_two_reclusterings_one_after_the_other(tmp_path, cli_env):
    """`serve --workers 2`, both started, two re-clusterings asked at once over two
    connections: whichever processes take them (an idle worker looks for queued jobs every
    poll), the second starts after the first ends. Bad input to POST /v1/jobs on the same
    server: a 4xx JSON error, no job queued."""
    subprocess.run([*CLI, "run", str(SAMPLE_FORM)], env=cli_env, check=True, capture_output=True)
    admin, writer = create_key(cli_env, "admin"), create_key(cli_env, "writer")
    log = tmp_path / "serve.log"
    with _two_workers(cli_env, log) as (_, port):
        _wait_for(lambda: log.read_text().count(STARTED) == 2, 300)
        assert log.read_text().count(STARTED) == 2  # both workers claim jobs from now on
        base = f"http://127.0.0.1:{port}"
        queued = []
        for _ in range(2):
            with httpx.Client(base_url=base, timeout=300) as client:  # a connection each
                response = client.post(
                    "/v1/jobs", json={"kind": "recluster"}, headers={"X-API-Key": admin}
                )
                assert response.status_code == 202, response.text
                queued.append(response.json()["id"])
        _post_bad_input(base, admin, writer)
        ran = [_poll(base, job_id, writer, _ended, 600) for job_id in queued]
        assert [j["status"] for j in ran] == ["done", "done"], ran
        first, second = sorted(
            (datetime.fromisoformat(j["started_at"]), datetime.fromisoformat(j["finished_at"]))
            for j in ran
        )
        assert first[1] <= second[0], (ran[0]["worker"], ran[1]["worker"])
        assert sorted(j["id"] for j in _list(base, writer)) == sorted(queued)


def _post_bad_input(base: str, admin: str, writer: str) -> None:
    headers = {"X-API-Key": admin}
    with httpx.Client(base_url=base, timeout=120) as client:
        for body in ({"kind": "nope"}, {"kind": "hold"}, {}, [], {"kind": "recluster", "x": 1}):
            response = client.post("/v1/jobs", json=body, headers=headers)
            assert response.status_code == 422 and response.json()["error"], body
        response = client.post("/v1/jobs", content=b"{not json", headers=headers)
        assert response.status_code == 422 and response.json()["error"]
        assert client.post("/v1/jobs", json={"kind": "recluster"}).status_code == 401
        forbidden = client.post(
            "/v1/jobs", json={"kind": "recluster"}, headers={"X-API-Key": writer}
        )
        assert forbidden.status_code == 403
        big = b'{"kind": "' + b"r" * 5_000_000 + b'"}'
        assert client.post("/v1/jobs", content=big, headers=headers).status_code == 413

    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operation = schema["/v1/jobs"]["POST"]

    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case):
        response = case.call(base_url=base, headers=headers, timeout=120)
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert response.json()["error"]

    run()

"""The whole pipeline on the bundled sample, then the API served by a real uvicorn process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from nlp_assises.datasets import load_sample_labels, sample_consultation_path
from tests.conftest import CLI, Server, create_key, free_port

pytestmark = pytest.mark.slow


def test_run_then_query_the_served_api(tmp_path, cli_env):
    command = [sys.executable, "-m", "nlp_assises.cli"]
    run = subprocess.run(
        [*command, "run", str(sample_consultation_path())],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    labels = load_sample_labels()
    assert summary["ingest"]["new"] == len(labels) and summary["ingest"]["rejected"] == 0
    assert summary["classified"] == len(labels) and summary["clusters"] > 0
    assert summary["campaigns"] >= 2
    key = subprocess.run(
        [*command, "keys", "create", "test", "--role", "writer"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    report = tmp_path / "synthese.docx"
    assert (
        subprocess.run(
            [*command, "report", "-o", str(report)], env=cli_env, capture_output=True, timeout=300
        ).returncode
        == 0
    )
    assert report.stat().st_size > 10_000

    server = Server(cli_env)
    base = server.base
    try:
        classified = httpx.post(
            f"{base}/v1/classify",
            json={"text": "On attend deux heures au commissariat pour porter plainte."},
        ).json()
        assert classified["primary"] in {
            "service",
            "communication",
            "lien",
            "participation",
            "hors_theme",
        }
        headers = {"X-API-Key": key}
        page = httpx.get(f"{base}/v1/contributions?limit=5", headers=headers).json()
        assert page["total"] == len(labels) and len(page["items"]) == 5
        clusters = httpx.get(f"{base}/v1/clusters", headers=headers).json()
        assert len(clusters) == summary["clusters"]
        themes = httpx.get(f"{base}/v1/themes", headers=headers).json()
        assert [t["id"] for t in themes] == ["communication", "service", "lien", "participation"]
        # each theme says how many of its contributions sit in no proposal (a run was stored)
        assert all(0 <= t["in_no_proposal"] <= t["contributions"] for t in themes)
        assert httpx.get(f"{base}/v1/clusters").status_code == 401
    finally:
        server.stop()


def _listeners(port: int) -> int:
    """Listening TCP sockets on ``port`` (Linux /proc)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1
        for line in lines
        if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"  # LISTEN
    )


@contextlib.contextmanager
def _two_workers(env: dict, log: Path | None = None):
    """`serve --workers 2` on a free port (its output to ``log``), yielded once both sockets
    listen; killed (whole process group) on the way out."""
    port = free_port()
    out = log.open("wb") if log else subprocess.DEVNULL
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: _listeners(port) >= 2, 240)
        assert _listeners(port) == 2
        yield server, port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        if log:
            out.close()


def _wait_for(condition, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and not condition():
        time.sleep(0.5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_listen_each_on_its_own_socket_and_stop_together(cli_env):
    """`serve --workers 2`: one socket per process (the kernel spreads connections over them),
    a second server on the same port refused with one line, every process gone after SIGTERM."""
    with _two_workers(cli_env) as (server, port):
        body = {"text": "Plus de patrouilles à pied dans le bourg, le soir."}
        # the sockets listen before the models are loaded: the answer comes once they are
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=240) as client:
            assert client.post("/v1/classify", json=body).json()["primary"]
        second = subprocess.run(
            [*CLI, "serve", "--port", str(port), "--workers", "2"],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0 and "cannot listen" in second.stderr
        assert "Traceback" not in second.stderr
        server.terminate()
        server.wait(timeout=60)
        time.sleep(1)
        assert _listeners(port) == 0


STARTING = "Waiting for application startup."
STARTED = "Application startup complete."


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("when", ["loading", "serving"])
def test_workers_do_not_outlive_a_killed_server(tmp_path, cli_env, when):
    """SIGKILL to the serving process alone (no chance to stop its workers): they go too, at
    once, even while they are still loading the models. For "loading", the test holds the
    store's write lock, which start-up needs: no worker can finish starting before the kill."""
    log = tmp_path / "serve.log"
    lock = None
    if when == "loading":
        create_key(cli_env, "admin")  # the store exists: its lock can be held
        database = Path(cli_env["NLP_ASSISES_DATA_DIR"]) / "nlp_assises.db"
        lock = sqlite3.connect(database, isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
    try:
        with _two_workers(cli_env, log) as (server, port):
            if when == "loading":
                _wait_for(lambda: STARTING in log.read_text(), 240)
                assert STARTED not in log.read_text()
            else:
                _wait_for(lambda: log.read_text().count(STARTED) == 2, 240)
                assert log.read_text().count(STARTED) == 2
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            if lock is not None:
                lock.execute("ROLLBACK")  # start-up could go on now: the workers must not
            _wait_for(lambda: _listeners(port) == 0, 30)
            assert _listeners(port) == 0
            if when == "loading":
                assert STARTED not in log.read_text()  # stopped, not started then stopped
    finally:
        if lock is not None:
            lock.close()

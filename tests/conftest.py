"""Shared fixtures: real models from the repository's registry, a fresh store per test.

The store is a SQLite file unless ``NLP_ASSISES_TEST_DATABASE=postgresql`` (``make test-pg``):
then every test's store is a fresh database on a real PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from nlp_assises.settings import Settings
from tests.postgres import INSTALL_HINT, Databases, PostgresServer, bindir

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MODELS = REPO / "models"
TEST_DATABASE = os.environ.get("NLP_ASSISES_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgresql"):
    raise SystemExit(f"NLP_ASSISES_TEST_DATABASE={TEST_DATABASE!r}: expected sqlite or postgresql")


def needs_shared():
    return pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared is absent")


@pytest.fixture(scope="session")
def models_ready() -> Path:
    """The default models, built by `make models` (built here if a test run starts bare)."""
    from nlp_assises.bootstrap import ensure_default_models

    ensure_default_models(Settings(models_dir=MODELS))
    return MODELS


@pytest.fixture(scope="session")
def pg_databases():
    """A PostgreSQL server for the session (``NLP_ASSISES_TEST_PG_URL``'s, or one started here).

    Without the server's binaries the tests that need it are skipped, except in CI (``CI`` set),
    where they fail: CI must run them.
    """
    if os.environ.get("NLP_ASSISES_TEST_PG_URL"):
        yield Databases(os.environ["NLP_ASSISES_TEST_PG_URL"])
        return
    found = bindir()
    if found is None:
        message = f"PostgreSQL's server binaries are absent: {INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(found)
    try:
        yield Databases(server.admin_url)
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_databases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped after it."""
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """The store's tests run on both databases the contract names."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'nlp_assises.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def database_url(request) -> str | None:
    """This test's database URL: None (a SQLite file in the data folder) unless the suite runs
    on PostgreSQL."""
    return request.getfixturevalue("pg_url") if TEST_DATABASE == "postgresql" else None


@pytest.fixture
def settings(tmp_path, models_ready, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "var", models_dir=models_ready, database_url=database_url)


def _session_database(request) -> str | None:
    """A database for a session fixture's own store (None: its SQLite file)."""
    if TEST_DATABASE != "postgresql":
        return None
    return request.getfixturevalue("pg_databases").create("session")


@pytest.fixture(scope="session")
def new_database_url(request) -> Callable[[], str | None]:
    """For module fixtures that build their own Settings: a fresh database's URL when the suite
    runs on PostgreSQL, else None (a SQLite file in their data folder)."""
    return lambda: _session_database(request)


@pytest.fixture(scope="session")
def embedder(models_ready):
    from nlp_assises.embedding import load_embedder

    return load_embedder(Settings(models_dir=models_ready).embedder_spec)


@pytest.fixture(scope="session")
def cleaner():
    from nlp_assises.cleaning import Cleaner

    return Cleaner()


@pytest.fixture(scope="session")
def form_pipeline(tmp_path_factory, models_ready, request):
    """The whole pipeline run once on the sample's web form (220 contributions), in a store of
    its own; tests that change it (corrections) must not depend on each other's changes."""
    from nlp_assises.pipeline import Pipeline

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("form") / "var",
        models_dir=models_ready,
        database_url=_session_database(request),
    )
    pipeline = Pipeline(settings)
    pipeline.run(REPO / "nlp_assises/data/sample/formulaire.csv")
    return pipeline


@pytest.fixture
def cli_env(tmp_path, models_ready, database_url) -> dict:
    """Environment for running the real `nlp-assises` command in a subprocess."""
    env = dict(os.environ)
    env["NLP_ASSISES_DATA_DIR"] = str(tmp_path / "var")
    env["NLP_ASSISES_MODELS_DIR"] = str(models_ready)
    env.pop("NLP_ASSISES_DEBUG", None)
    env.pop("NLP_ASSISES_DATABASE_URL", None)
    if database_url:
        env["NLP_ASSISES_DATABASE_URL"] = database_url
    return env


CLI = [sys.executable, "-m", "nlp_assises.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_key(env: dict, role: str) -> str:
    """A key made by the real command, as an operator would."""
    return subprocess.run(
        [*CLI, "keys", "create", f"test {role}", "--role", role],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


class Server:
    """`nlp-assises serve` in its own process group, on a free port, waited for until healthy."""

    def __init__(self, env: dict, port: int | None = None, args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        self.stop()
        raise AssertionError("the server did not become healthy")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


SAMPLE_FORM = REPO / "nlp_assises" / "data" / "sample" / "formulaire.csv"


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory, models_ready, request):
    """The online form's 220 contributions run through the real CLI into a fresh store, and
    `nlp-assises serve` on it, with a writer and an admin key: what a prefecture would have."""
    env = dict(os.environ)
    env["NLP_ASSISES_DATA_DIR"] = str(tmp_path_factory.mktemp("site") / "var")
    env["NLP_ASSISES_MODELS_DIR"] = str(models_ready)
    env.pop("NLP_ASSISES_DEBUG", None)
    env.pop("NLP_ASSISES_DATABASE_URL", None)
    if url := _session_database(request):
        env["NLP_ASSISES_DATABASE_URL"] = url
    subprocess.run([*CLI, "run", str(SAMPLE_FORM)], env=env, check=True, capture_output=True)
    keys = {role: create_key(env, role) for role in ("writer", "admin")}
    server = Server(env)
    yield {"base": server.base, "env": env, "keys": keys, "server": server}
    server.stop()


def sign_in(client, key: str, base: str = "", suite: str = "/"):
    """Sign in on the pages as a writer does: the form's CSRF token, then the key (httpx or
    TestClient; ``base`` for a real server). Returns the answer to the form."""
    import re

    page = client.get(f"{base}/connexion")
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return client.post(f"{base}/connexion", data={"cle": key, "suite": suite, "csrftoken": token})


def wait_for_job(client, job_id: int, headers: dict, seconds: float = 300) -> dict:
    """Poll a job until it leaves the queue and ends (done or failed), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")

"""``run --engine dask`` on a real local Dask cluster (2 worker processes, the real models): the
same store as ``--engine local`` on SQLite and PostgreSQL, resumed runs, a worker killed mid-run,
and one-line errors. Small inputs: each test is a few partitions of a few contributions."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys

import pytest

from nlp_assises.ingest import read_records
from nlp_assises.pipeline import Pipeline
from nlp_assises.report import build_report, to_markdown
from nlp_assises.settings import Settings
from nlp_assises.store import Store
from tests.conftest import SAMPLE_FORM, free_port

pytestmark = pytest.mark.slow

SECRET = "dask-engine-test-secret-0123456789"
PARTITION = 12


@pytest.fixture(scope="module")
def cluster(models_ready):
    """Two worker processes, shared by the module's tests (each loads the models once)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        yield local.scheduler_address, client


def _write_jsonl(path, records, extra=()) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i, record in enumerate(records):
            row = {
                "id": record.id,
                "text": record.text,
                "date": record.date.isoformat() if record.date else None,
                # some authors, to see the workers hash them with the installation's secret
                "author": f"Personne {i % 9}" if i % 3 == 0 else None,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        for row in extra:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A first input (80 contributions, one exact duplicate, one empty text) and a second
    of 5 new ones, few enough to be assigned to the proposals without a refit."""
    records = [r for r in read_records(SAMPLE_FORM) if r.text.strip()][:85]
    folder = tmp_path_factory.mktemp("dask-inputs")
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    duplicate = {"id": records[3].id, "text": records[3].text, "date": records[3].date.isoformat()}
    _write_jsonl(first, records[:80], extra=[{"text": "  "}])
    with first.open("a", encoding="utf-8") as handle:  # the same submission again
        handle.write(json.dumps({**duplicate, "author": "Personne 3"}, ensure_ascii=False) + "\n")
    _write_jsonl(second, records[80:85])
    return first, second


def _settings(tmp_path, name, models, url) -> Settings:
    return Settings(
        data_dir=tmp_path / name,
        models_dir=models,
        database_url=url,
        pseudonym_secret=SECRET,
        dask_partition_size=PARTITION,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def two_urls(request, tmp_path):
    """Two empty stores of one kind: one for each engine."""
    if request.param == "sqlite":
        yield None, None  # each pipeline's SQLite file in its data folder
        return
    databases = request.getfixturevalue("pg_databases")
    urls = databases.create("local"), databases.create("dask")
    yield urls
    for url in urls:
        databases.drop(url)


def snapshot(settings: Settings) -> dict:
    """Everything a run leaves that a reader can see, scores apart (compared with a
    tolerance): contributions, latest labels, proposals with their members, the report."""
    store = Store.from_settings(settings)
    contributions = [
        (c.id, c.original, c.text, c.flags, c.repairs, c.language, c.author_pseudonym,
         c.themes_gold, c.campaign_id, c.date)
        for c in store.contributions()
    ]  # fmt: skip
    latest = store.latest_classifications()
    labels = {i: (k.primary, sorted(k.labels), k.needs_review) for i, k in latest.items()}
    scores = {i: k.scores for i, k in latest.items()}
    clusters, members, params = store.current_run()
    for cluster in clusters:
        cluster.pop("centroid")
    members = sorted(
        (r["cluster_id"], r["contribution_id"], r["unit_start"], round(r["score"], 4))
        for r in members
    )
    report = to_markdown(
        dataclasses.replace(build_report(store, Pipeline(settings).scheme), generated_at="-")
    )
    store.close()
    return {
        "contributions": contributions,
        "labels": labels,
        "scores": scores,
        "clusters": clusters,
        "members": members,
        "params": params,
        "report": report,
    }


def assert_same(local: dict, dask: dict) -> None:
    for key in ("contributions", "labels", "clusters", "members", "params", "report"):
        assert dask[key] == local[key], key
    assert dask["scores"].keys() == local["scores"].keys()
    for cid, scores in local["scores"].items():
        assert dask["scores"][cid] == pytest.approx(scores, abs=1e-6), cid


def test_dask_gives_the_local_engines_store(cluster, inputs, two_urls, tmp_path, models_ready):
    address, _ = cluster
    local = Pipeline(_settings(tmp_path, "local", models_ready, two_urls[0]))
    dask = Pipeline(_settings(tmp_path, "dask", models_ready, two_urls[1]))
    for path, clustering in zip(inputs, ("refit", "assigned"), strict=True):
        expected = local.run(path)
        got = dask.run(path, engine="dask", scheduler=address)
        assert got.clustering == expected.clustering == clustering
        assert {**got.to_dict(), "run_id": 0} == {**expected.to_dict(), "run_id": 0}
        assert_same(snapshot(local.settings), snapshot(dask.settings))
    assert expected.ingest == {"new": 5, "duplicate": 0, "rejected": 0}
    assert dask.store.count() == 85
    assert any(c.author_pseudonym for c in dask.store.contributions())  # hashed on the workers


def test_a_sampled_refit_on_the_workers_is_the_one_in_this_process(
    cluster, inputs, tmp_path, models_ready
):
    """Above ``dask_fit_sample`` stored contributions the Dask engine fits the proposals on a
    seeded sample and places the others on the workers: the same store as the same refit in
    one process, and counts recounted over every member."""
    from nlp_assises.scale.refit import SampledRefit, in_sample

    address, _ = cluster
    local = Pipeline(_settings(tmp_path, "local", models_ready, None))
    dask = Pipeline(_settings(tmp_path, "dask", models_ready, None))
    for pipeline in (local, dask):
        pipeline.settings.dask_fit_sample = 40
    local.ingest(inputs[0])  # no proposals yet, as in the Dask run's store
    local.classify_store()
    refit = SampledRefit(local, sample_size=40, partition_size=PARTITION)
    result = refit.run()
    got = dask.run(inputs[0], engine="dask", scheduler=address)
    assert got.clustering == "refit"
    assert_same(snapshot(local.settings), snapshot(dask.settings))

    total = local.store.count()
    sample = [i for i in local.store.contribution_ids() if in_sample(i, 40 / total)]
    assert 0 < len(sample) < total and result.params["fit_sample"] == len(sample)
    clusters, members, _ = local.store.current_run()
    assert clusters
    placed = {r["contribution_id"] for r in members} - set(sample)
    assert placed  # contributions outside the sample joined proposals
    themes = {c.id: c for c in local.clustering_items()}
    for cluster_ in clusters:
        ids = {r["contribution_id"] for r in members if r["cluster_id"] == cluster_["id"]}
        assert cluster_["size"] == len(ids)
        assert all(cluster_["theme"] in themes[i].themes for i in ids)


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_after_its_stored_partitions(
    cluster, inputs, tmp_path, models_ready
):
    from nlp_assises.scale.engine import DaskEngine

    address, _ = cluster
    settings = _settings(tmp_path, "resume", models_ready, None)

    def stop_after_two(stage: str, done: int, total: int) -> None:
        if stage == "ingest" and done >= 2 * PARTITION:
            raise Interrupted

    pipeline = Pipeline(settings, progress=stop_after_two)
    with DaskEngine(pipeline, address) as engine, pytest.raises(Interrupted):
        engine.run(inputs[0])
    # the driver cleaned and classified nothing itself: it never loaded the embedder
    assert "embedder" not in vars(pipeline) and "fast_embedder" not in vars(pipeline)
    # each worker runs a task on one thread: no BLAS/OpenMP/torch pool competing for the cores
    assert engine.threads == [{"torch": 1, "blas": 1}] * 2
    stored = pipeline.store.count()
    assert stored >= 2 * PARTITION - 1  # the duplicate and the empty text are at the end

    resumed = Pipeline(settings)
    with DaskEngine(resumed, address) as engine:
        summary = engine.run(inputs[0])
    partitions = -(-82 // PARTITION)  # 80 records, an empty text, a duplicate
    skipped = engine.partitions["skipped"]
    assert skipped >= 2 and skipped + engine.partitions["sent"] == partitions
    assert summary.ingest["new"] == 80 - stored
    assert resumed.store.count() == 80
    assert resumed.store.unclassified_ids(engine.version) == []


def test_a_worker_killed_mid_run_loses_nothing_and_stores_nothing_twice(
    cluster, inputs, tmp_path, models_ready
):
    from sqlalchemy import func, select

    from nlp_assises.store import models as m

    address, client = cluster
    killed = []

    def kill_a_busy_worker(stage: str, done: int, total: int) -> None:
        if killed or stage != "ingest":
            return
        busy = [worker for worker, tasks in client.processing().items() if tasks]
        if busy:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    pipeline = Pipeline(
        _settings(tmp_path, "killed", models_ready, None), progress=kill_a_busy_worker
    )
    summary = pipeline.run(inputs[0], engine="dask", scheduler=address)
    assert killed, "no partition was running when the first one was written"
    assert summary.ingest == {"new": 80, "duplicate": 1, "rejected": 1}
    with pipeline.store.session() as session:
        classifications = session.scalar(select(func.count()).select_from(m.Classification))
    assert pipeline.store.count() == 80 and classifications == 80


def cli(*args, env, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "nlp_assises.cli", *map(str, args)],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_the_cli_runs_on_a_local_cluster_as_locally(tmp_path, cli_env, inputs):
    small = tmp_path / "small.jsonl"
    small.write_text("".join(inputs[0].read_text(encoding="utf-8").splitlines(True)[:30]))
    env = {**cli_env, "NLP_ASSISES_PSEUDONYM_SECRET": SECRET}
    env.pop("NLP_ASSISES_DATABASE_URL", None)  # each run its SQLite file: test 1 covers PostgreSQL
    local = cli("run", small, env=env)
    assert local.returncode == 0, local.stderr
    env["NLP_ASSISES_DATA_DIR"] = str(tmp_path / "dask")
    env["NLP_ASSISES_DASK_PARTITION_SIZE"] = "8"
    dask = cli("run", small, "--engine", "dask", env=env)
    assert dask.returncode == 0, dask.stderr
    assert json.loads(dask.stdout) == json.loads(local.stdout)
    assert SECRET not in dask.stderr + dask.stdout


def test_unreachable_scheduler_or_database_is_one_line(tmp_path, cli_env, inputs):
    env = {**cli_env, "NLP_ASSISES_DASK_TIMEOUT": "2"}
    gone = f"tcp://127.0.0.1:{free_port()}"
    result = cli("run", inputs[1], "--engine", "dask", "--scheduler", gone, env=env, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"nlp-assises: error: cannot reach the Dask scheduler at {gone} within 2 s "
        "(OSError); start it or check --scheduler"
    ]
    env["NLP_ASSISES_DATABASE_URL"] = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"
    result = cli("run", inputs[1], "--engine", "dask", "--scheduler", gone, env=env, timeout=120)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "database" in lines[0].lower() and "Dask" not in lines[0], lines

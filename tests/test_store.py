"""The store on a real SQLite file and a real PostgreSQL database (``store_url``): migrations,
WAL, idempotent and durable ingestion, concurrent writers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text

from nlp_assises.datasets import load_labelled
from nlp_assises.records import Record
from nlp_assises.store import Store
from nlp_assises.store import models as m
from tests.conftest import SAMPLE_FORM, Server, create_key, free_port


def _head(store: Store) -> str:
    from alembic.script import ScriptDirectory

    from nlp_assises.store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head()


def test_fresh_database_is_migrated_and_in_wal_mode(settings):
    store = Store.from_settings(settings)
    if store.engine.dialect.name != "sqlite":
        pytest.skip("WAL is SQLite's; test_migrations_build_the_models_schema covers the rest")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _head(store)
    assert version == "0007_review_confidence"
    Store.from_settings(settings)  # migrating again is a no-op


def test_migrations_build_the_models_schema_and_go_down_and_up_again(store_url):
    """From an empty database to head, the schema is the models' (no column, type, index or
    constraint differs); down to nothing and up again gives it back."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from nlp_assises.store.db import downgrade, upgrade
    from nlp_assises.store.models import Base

    def differences(store: Store) -> list:
        with store.engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    store = Store(store_url)
    with store.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _head(store)
    assert differences(store) == []
    downgrade(store.engine, "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    upgrade(store.engine)
    assert set(inspect(store.engine).get_table_names()) == {
        *Base.metadata.tables,
        "alembic_version",
    }
    assert differences(store) == []
    Store(store_url)  # migrating again is a no-op
    store.close()


def test_processes_opening_a_fresh_database_at_once_create_the_schema_once(store_url):
    """`serve --workers 2` opens the store in two processes at once: one migrates, the others
    wait for its write lock and find the schema current."""
    script = "import sys; from nlp_assises.store import Store; Store(sys.argv[1]).close()"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, store_url], stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=180)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    store = Store(store_url, migrate=False)
    with store.engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(_head(store),)]


def test_ingest_is_idempotent_and_keeps_campaign_copies(store_url, cleaner):
    store = Store(store_url)
    store.pseudonym_secret = "a-test-secret-of-32-characters!!"  # the records have authors
    campaign = (
        "Nous refusons la fermeture de la brigade de Jaligny et demandons plus de patrouilles."
    )
    records = [
        Record(text=campaign, author="Alice"),
        Record(text=campaign, author="Bruno"),
        Record(text="  "),
        Record(text="Des caméras-piétons pour tous les agents.", id="x1"),
    ]
    report = store.ingest(records, cleaner)
    assert (report.new, report.duplicate, len(report.rejected)) == (3, 0, 1)
    assert report.rejected[0]["reason"] == "empty text"
    again = store.ingest(records, cleaner)
    assert (again.new, again.duplicate) == (0, 3)
    assert store.count() == 3
    stored = store.get("x1")
    assert stored.original == "Des caméras-piétons pour tous les agents." and stored.repairs == []
    other = store.ingest([Record(text="Un autre texte.", id="x1")], cleaner)
    assert other.new == 0 and "x1 already holds another text" in other.rejected[0]["reason"]


def test_authors_are_pseudonymised(store_url, cleaner):
    store = Store(store_url)
    store.ingest(
        [Record(text="Plus de patrouilles.", author="Martine Roux <m@x.fr>")],
        cleaner,
        pseudonym_secret="s3cret",
    )
    (row,) = store.contributions()
    assert row.author_pseudonym.startswith("auteur-") and "Roux" not in row.author_pseudonym


def test_search_filters_and_orders_alike_on_both_databases(store_url, cleaner):
    """Undated contributions come last in the newest-first search and first in the oldest-first
    list on both databases (their defaults put NULL at opposite ends); dates come back aware;
    theme, review and text filters read the JSON labels and ignore case."""
    store = Store(store_url)
    dates = {
        "a": datetime(2020, 1, 5, 9, tzinfo=UTC),
        "b": None,
        "c": datetime(2020, 2, 1, 12, tzinfo=timezone(timedelta(hours=1))),
        "d": None,
    }
    texts = {
        "a": "Plus de PATROUILLES la nuit.",
        "b": "Des patrouilles à pied en ville.",
        "c": "Des caméras-piétons pour les agents.",
        "d": "Rien à signaler sur ce sujet.",
    }
    store.ingest([Record(text=texts[i], id=i, date=dates[i]) for i in "badc"], cleaner)
    labels = {"a": ["securite"], "b": ["securite", "prevention"], "c": ["prevention"]}
    store.save_classifications(
        [
            {"id": i, "scores": {}, "labels": ls, "primary": ls[0], "needs_review": i == "b"}
            for i, ls in labels.items()
        ]
        + [{"id": "d", "scores": {}, "labels": [], "primary": "hors_theme", "needs_review": True}],
        "v1",
    )
    assert [c.id for c in store.contributions()] == ["b", "d", "a", "c"]
    total, rows = store.search()
    assert total == 4 and [c.id for c, _ in rows] == ["c", "a", "b", "d"]
    assert store.get("c").date == dates["c"] and store.get("c").date.utcoffset() == timedelta(0)
    assert [c.id for c, _ in store.search(theme="securite")[1]] == ["a", "b"]
    assert [c.id for c, _ in store.search(theme="prevention")[1]] == ["c", "b"]
    assert [c.id for c, _ in store.search(theme="hors_theme")[1]] == ["d"]
    assert [c.id for c, _ in store.search(needs_review=True)[1]] == ["b", "d"]
    assert [c.id for c, _ in store.search(q="patrouilles")[1]] == ["a", "b"]
    assert store.search(q="patrouilles", offset=1, limit=1)[1][0][0].id == "b"
    assert [c.id for c, _ in store.search(date_from=datetime(2020, 1, 6, tzinfo=UTC))[1]] == ["c"]


def test_partitions_cleaned_elsewhere_are_stored_with_their_labels_and_vectors(store_url):
    """``ingest_cleaned`` (the Dask driver's write): each call one transaction, nothing kept
    between calls; a submission or an id stored by an earlier call is found in the store."""
    import numpy as np

    from nlp_assises.cleaning import Cleaner
    from nlp_assises.embedding.cache import text_hash
    from nlp_assises.store import IngestReport, SQLEmbeddingCache
    from nlp_assises.store.rows import _contribution_row

    store, cleaner, report = Store(store_url), Cleaner(), IngestReport()

    def write(records: list[Record], seed: int) -> tuple[list[str], list[dict]]:
        cleaned = cleaner.clean_many([r.text for r in records])
        rows = [
            _contribution_row(r, c, "secret", None) for r, c in zip(records, cleaned, strict=True)
        ]
        labels = [
            {"id": r["id"], "scores": {"securite": 0.9}, "labels": ["securite"],
             "primary": "securite", "needs_review": False, "margin": 0.4 + seed}
            for r in rows
        ]  # fmt: skip
        vectors = np.arange(len(rows) * 4, dtype=np.float32).reshape(-1, 4) + 100 * seed
        hashes = [text_hash(r["text"]) for r in rows]
        new = store.ingest_cleaned(
            records, rows, report, classifications=labels, model_version="v1",
            vectors=("emb", hashes, vectors),
        )  # fmt: skip
        return new, rows

    patrol = Record(text="Plus de patrouilles à pied le soir.", id="a")
    new, _ = write([patrol, Record(text="Éclairer les rues du centre.", id="b")], 0)
    assert new == ["a", "b"]
    # the same submission again, an id holding another text, a new one
    other = Record(text="Un tout autre texte.", id="b")
    again = [patrol, other, Record(text="Des caméras.", id="c")]
    new, rows = write(again, 1)
    assert new == ["c"]
    assert (report.new, report.duplicate) == (3, 1)
    assert [r["reason"] for r in report.rejected] == ["id b already holds another text"]
    latest = store.latest_classifications()
    assert sorted(latest) == ["a", "b", "c"] and latest["c"].margin == pytest.approx(1.4)
    hashes = [text_hash(r["text"]) for r in rows]
    cached = SQLEmbeddingCache(store).get_many("emb", hashes)
    assert sorted(cached) == sorted([hashes[0], hashes[2]])  # not the rejected text's vector
    assert cached[hashes[2]].tolist() == [108.0, 109.0, 110.0, 111.0]
    assert cached[hashes[0]].tolist() == [0.0, 1.0, 2.0, 3.0]  # the first call's, kept


# -- concurrent writers ------------------------------------------------------------------------
# A lost update, for our tables: a writer's committed change that is absent from the result of
# two writers working at once. Contributions: an acknowledged submission stored other than exactly
# once, or a batch failing because another writer stored the same submission. Proposals: a
# correction recorded in `corrections` whose effect is missing from the current run because a
# concurrent writer rewrote the same proposal from what it read before; or two current runs.


def _together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at once; every result, or the first error."""
    barrier = threading.Barrier(count)

    def run(i: int):
        barrier.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_two_writers_ingesting_the_same_batch_store_each_contribution_once(store_url):
    from nlp_assises.cleaning import Cleaner

    rows = [r["text"] for r in load_labelled("train")][:240]
    records = [Record(text=f"{t} (envoi {i})", id=f"s{i}") for i, t in enumerate(rows)]
    stores = [Store(store_url) for _ in range(2)]
    # one cleaner each, as two processes would have
    reports = _together(2, lambda i: stores[i].ingest(records, Cleaner(), batch_size=40))
    assert [r.rejected for r in reports] == [[], []]
    assert sum(r.new for r in reports) == len(records)
    assert sum(r.duplicate for r in reports) == len(records)
    assert sorted(reports[0].ids + reports[1].ids) == sorted(r.id for r in records)
    assert stores[0].count() == len(records)


def _proposal_store(url: str, cleaner, members: int) -> Store:
    store = Store(url)
    store.ingest(
        [Record(text=f"Plus de patrouilles dans le quartier {i}.", id=f"c{i}") for i in range(10)],
        cleaner,
    )
    cluster = {"theme": "securite", "keywords": [], "quotes": [], "share": 0.5}
    store.save_cluster_run(
        [
            {**cluster, "id": "p-a", "label": "Des patrouilles", "size": members},
            {**cluster, "id": "p-b", "label": "Autre", "size": 10 - members},
        ],
        [
            {"cluster_id": "p-a" if i < members else "p-b", "contribution_id": f"c{i}"}
            for i in range(10)
        ],
        {},
    )
    return store


def test_concurrent_corrections_of_one_proposal_are_all_applied(store_url, cleaner):
    """Six writers each move a contribution out of proposal p-a while a seventh renames it, all
    at once, each through a Store of its own: every correction is in the current run."""
    from nlp_assises.corrections import Correction

    _proposal_store(store_url, cleaner, members=8).close()
    corrections = [
        Correction("move_contribution", f"c{i}", {"themes": ["prevention"]}, author=f"r{i}")
        for i in range(6)
    ] + [Correction("rename_proposal", "p-a", {"label": "Des patrouilles à pied"}, author="r6")]
    stores = [Store(store_url) for _ in corrections]
    stored = _together(len(corrections), lambda i: stores[i].add_correction(corrections[i]))
    assert len({c.id for c in stored}) == 7
    store = stores[0]
    assert len(store.corrections()) == 7
    clusters = {c.id: c for c in store.current_clusters()}
    assert clusters["p-a"].label == "Des patrouilles à pied"
    assert store.search(cluster="p-a")[0] == clusters["p-a"].size == 2
    assert {c.id for c, _ in store.search(cluster="p-a")[1]} == {"c6", "c7"}
    assert clusters["p-b"].size == 2


def test_concurrent_clustering_runs_leave_exactly_one_current(store_url, cleaner):
    """Four runs saved at once: all are kept and only the last committed is current."""
    _proposal_store(store_url, cleaner, members=5).close()
    stores = [Store(store_url) for _ in range(4)]

    def save(i: int) -> int:
        clusters, members, _ = stores[i].current_run()
        return stores[i].save_cluster_run(clusters, members, {"writer": i})

    runs = _together(4, save)
    with stores[0].session() as session:
        current = session.scalars(select(m.ClusterRun.id).where(m.ClusterRun.current)).all()
        every = session.scalars(select(m.ClusterRun.id)).all()
    assert current == [max(runs)] and len(every) == 5
    assert stores[0].current_cluster_run().id == max(runs)


def test_an_unreachable_database_is_a_one_line_error_without_the_password(cli_env):
    """The CLI names the host and port, hides the password and says what to do."""
    port = free_port()  # nothing listens there
    env = dict(
        cli_env, NLP_ASSISES_DATABASE_URL=f"postgresql+psycopg://u:s3cret@127.0.0.1:{port}/db"
    )
    done = subprocess.run(
        [sys.executable, "-m", "nlp_assises.cli", "keys", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and "s3cret" not in done.stderr
    assert f"127.0.0.1, port {port}" in lines[0] and "NLP_ASSISES_DATABASE_URL" in lines[0]


@pytest.mark.slow
def test_sigkill_mid_ingest_loses_nothing_committed(tmp_path, cli_env):
    """Kill the real command in the middle of a bulk ingest; the next run completes the file and
    every contribution is there exactly once, none half-written."""
    rows = [
        {"id": f"r{i}", "text": f"{r['text']} (contribution {i})"}
        for i, r in enumerate(load_labelled("train") * 2)
    ][:1500]
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    command = [sys.executable, "-m", "nlp_assises.cli", "ingest", str(path)]
    process = subprocess.Popen(
        command, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    database = tmp_path / "var" / "nlp_assises.db"
    url = cli_env.get("NLP_ASSISES_DATABASE_URL") or f"sqlite:///{database}"
    deadline = time.time() + 120
    store = None
    while time.time() < deadline:  # wait until some batches are committed
        if url != f"sqlite:///{database}" or database.exists():
            store = store or Store(url)
            if store.count() >= 200:
                break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    committed = store.count()
    assert 0 < committed < len(rows)
    for row in store.contributions():
        assert row.text and row.original and row.id.startswith("r")
    finish = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=600)
    assert finish.returncode == 0, finish.stderr
    report = json.loads(finish.stdout)
    assert report["new"] == len(rows) - committed and report["duplicate"] == committed
    assert store.count() == len(rows)


@pytest.mark.slow
def test_sigkill_of_the_server_mid_ingest_keeps_every_acknowledged_contribution(cli_env):
    """Acknowledged (201) contributions survive a SIGKILL of the server, exactly once."""
    import httpx

    key = create_key(cli_env, "admin")
    rows = [
        {"id": f"b{i}", "text": f"{r['text']} (envoi {i})"}
        for i, r in enumerate(load_labelled("train"))
    ][:1000]
    acknowledged: list[str] = []
    server = Server(cli_env)
    killer_at = time.time() + 1.5
    try:
        with httpx.Client(timeout=30, headers={"X-API-Key": key}) as client:
            for start_index in range(0, len(rows), 10):
                if time.time() > killer_at and server.process.poll() is None:
                    server.kill()
                batch = rows[start_index : start_index + 10]
                try:
                    response = client.post(f"{server.base}/v1/contributions", json={"items": batch})
                except httpx.TransportError:
                    break
                assert response.status_code == 201
                acknowledged += response.json()["ids"]
    finally:
        if server.process.poll() is None:
            server.kill()
    assert 0 < len(acknowledged) < len(rows)
    server = Server(cli_env, port=server.port)
    try:
        with httpx.Client(base_url=server.base, timeout=30, headers={"X-API-Key": key}) as client:
            stored, total, offset = [], None, 0
            while total is None or offset < total:
                page = client.get("/v1/contributions", params={"limit": 500, "offset": offset})
                total = page.json()["total"]
                stored += [item["id"] for item in page.json()["items"]]
                offset += 500
            assert len(stored) == len(set(stored)) == total
            assert set(acknowledged) <= set(stored)
            # sending everything again completes the set, each contribution once
            for start_index in range(0, len(rows), 50):
                batch = rows[start_index : start_index + 50]
                assert client.post("/v1/contributions", json={"items": batch}).status_code == 201
            assert client.get("/v1/contributions").json()["total"] == len(rows)
    finally:
        server.stop()


def _outcome(url: str) -> dict:
    """What a run leaves in the store, as comparable plain values."""
    store = Store(url, migrate=False)
    try:
        return {
            "contributions": store.contribution_ids(),
            "labels": {i: list(c.labels) for i, c in store.latest_classifications().items()},
            "proposals": sorted(
                (c.id, c.theme, c.label, c.size, c.people, c.first_date, c.last_date)
                for c in store.current_clusters()
            ),
            "members": sorted(
                (r["cluster_id"], r["contribution_id"], r["unit_start"])
                for r in store.current_cluster_members()
            ),
        }
    finally:
        store.close()


@pytest.mark.slow
def test_the_whole_pipeline_gives_the_same_store_on_postgresql_and_sqlite(cli_env, pg_url):
    """`nlp-assises run` on the sample's web form into PostgreSQL, then into SQLite: the same
    contributions, themes and proposals (ids, labels, counts, dates, members)."""
    command = [sys.executable, "-m", "nlp_assises.cli", "run", str(SAMPLE_FORM)]
    outcomes = {}
    sqlite_url = f"sqlite:///{cli_env['NLP_ASSISES_DATA_DIR']}/compare.db"
    for url in (pg_url, sqlite_url):
        done = subprocess.run(
            command,
            env=dict(cli_env, NLP_ASSISES_DATABASE_URL=url),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outcomes[url] = _outcome(url)
    on_pg, on_sqlite = outcomes[pg_url], outcomes[sqlite_url]
    assert len(on_pg["contributions"]) == 220 and len(on_pg["proposals"]) > 5
    for key in ("contributions", "labels", "proposals", "members"):
        assert on_pg[key] == on_sqlite[key], key

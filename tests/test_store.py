"""The store on a real SQLite file: migrations, WAL, idempotent and durable ingestion."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from nlp_assises.datasets import load_labelled
from nlp_assises.records import Record
from nlp_assises.store import Store
from tests.conftest import Server, create_key


def test_fresh_database_is_migrated_and_in_wal_mode(settings):
    store = Store.from_settings(settings)
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    from alembic.script import ScriptDirectory

    from nlp_assises.store.db import alembic_config

    assert version == ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head()
    assert version == "0005_web_sessions"
    Store.from_settings(settings)  # migrating again is a no-op


def test_ingest_is_idempotent_and_keeps_campaign_copies(settings, cleaner):
    store = Store.from_settings(settings)
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


def test_authors_are_pseudonymised(settings, cleaner):
    store = Store.from_settings(settings)
    store.ingest(
        [Record(text="Plus de patrouilles.", author="Martine Roux <m@x.fr>")],
        cleaner,
        pseudonym_secret="s3cret",
    )
    (row,) = store.contributions()
    assert row.author_pseudonym.startswith("auteur-") and "Roux" not in row.author_pseudonym


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
    deadline = time.time() + 120
    store = None
    while time.time() < deadline:  # wait until some batches are committed
        if database.exists():
            store = store or Store(f"sqlite:///{database}")
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

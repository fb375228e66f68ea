"""The whole pipeline on the bundled sample, then the API served by a real uvicorn process."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from nlp_assises.datasets import load_sample_labels, sample_consultation_path
from tests.conftest import Server

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
        assert httpx.get(f"{base}/v1/clusters").status_code == 401
    finally:
        server.stop()

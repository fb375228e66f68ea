"""Personal data planted in every kind of repair, run through the real pipeline into a real
store, then every endpoint and page walked with a writer key, a portal key and no key: none of
the planted values may come back (CONTRACTS.md, Privacy); an admin key does see them."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from urllib.parse import quote_plus

import httpx
import pytest
from fastapi.testclient import TestClient

from nlp_assises.keys import create_key
from nlp_assises.settings import Settings
from nlp_assises.store import Store
from service.app import create_app
from tests.conftest import CLI, SAMPLE_FORM, Server, sign_in, wait_for_job
from tests.conftest import create_key as cli_key
from tests.privacy_plants import PLANTED, leaks, write_planted

# The whole pipeline on the plants and the sample's form, and a real server: CI's full run.
pytestmark = pytest.mark.slow

PLANTED_IDS = [p["id"] for p in PLANTED]


@pytest.fixture(scope="module")
def site(tmp_path_factory, models_ready):
    """The sample's web form and the planted records, through the real pipeline; the app
    in-process, with a key of each role."""
    from nlp_assises.pipeline import Pipeline

    folder = tmp_path_factory.mktemp("privacy")
    inputs = folder / "in"
    inputs.mkdir()
    shutil.copy(SAMPLE_FORM, inputs / "formulaire.csv")
    write_planted(inputs)
    settings = Settings(data_dir=folder / "var", models_dir=models_ready)
    Pipeline(settings).run(inputs)
    with TestClient(create_app(settings)) as client:
        store = Store.from_settings(settings)
        keys = {
            role: create_key(store, f"t {role}", role) for role in ("portal", "writer", "admin")
        }
        yield client, keys, store


def _docx_text(content: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _api_answers(client, headers: dict) -> dict[str, str]:
    """Every read endpoint's answer (as sent) for the caller, keyed by what was asked."""
    out: dict[str, str] = {}

    def get(path: str, **params) -> httpx.Response:
        response = client.get(path, params=params, headers=headers)
        out[f"GET {path} {params}"] = (
            _docx_text(response.content)
            if params.get("format") == "docx" and response.status_code == 200
            else response.text
        )
        return response

    get("/v1/themes")
    get("/v1/contributions", limit=500)
    for q in ("patrouilles", "Quintard", "Valjean", "PERSONNE"):
        get("/v1/contributions", q=q, limit=500)
    for cid in PLANTED_IDS:
        assert get(f"/v1/contributions/{cid}").status_code == 200
    clusters = get("/v1/clusters").json()
    for cluster in clusters:
        get(f"/v1/clusters/{cluster['id']}")
        get(f"/v1/clusters/{cluster['id']}/contributions", limit=500)
    for mode in ("keyword", "semantic"):
        for q in ("patrouilles le soir", "Quintard", "Marchetti", "orange.fr", "06 12 34"):
            get("/v1/search", q=q, mode=mode, limit=100)
    for cid in PLANTED_IDS:
        get("/v1/search", like=cid, limit=100)
    for fmt in ("md", "html", "docx"):
        assert get("/v1/report", format=fmt).status_code == 200
    get("/v1/corrections", limit=500)
    get("/v1/jobs")
    get("/v1/models")
    return out


def _classify_answers(client, headers: dict) -> dict[str, str]:
    out = {}
    for plant in PLANTED:
        response = client.post("/v1/classify", json={"text": plant["text"]}, headers=headers)
        assert response.status_code == 200, response.text
        out[f"classify {plant['id']}"] = response.text
    items = [{"id": p["id"], "text": p["text"]} for p in PLANTED]
    for start in range(0, len(items), 5):  # the batch limit may be 5
        response = client.post(
            "/v1/classify/batch", json={"items": items[start : start + 5]}, headers=headers
        )
        assert response.status_code == 200
        out[f"batch {start}"] = response.text
    return out


def _pages(client, key: str, clusters: list[dict], themes: list[str]) -> dict[str, str]:
    client.cookies.clear()
    assert sign_in(client, key).status_code == 200
    paths = ["/", "/a-relire", "/corrections", "/a-relire?debut=20"]
    paths += [f"/themes/{t}" for t in themes]
    paths += [f"/propositions/{c['id']}" for c in clusters]
    paths += [f"/contributions/{cid}" for cid in PLANTED_IDS]
    for q in ("patrouilles", "Quintard", "Marchetti", "Lefèvre"):
        paths += [f"/recherche?q={q}&mode=mots", f"/recherche?q={q}&mode=sens"]
    paths += [f"/recherche?comme={cid}" for cid in PLANTED_IDS]
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.text
        q = httpx.URL(path).params.get("q")
        if q:  # the page echoes the writer's own words: that is not data it holds
            for echo in (f'value="{q}"', f"« {q} »", f"q={quote_plus(q)}"):
                text = text.replace(echo, "")
        out[path] = text
    client.cookies.clear()
    return out


def _leaks(answers: dict[str, str]) -> dict[str, list[str]]:
    return {where: found for where, text in answers.items() if (found := leaks(text))}


def test_admin_sees_the_planted_data(site):
    """The walk can fail: through the same endpoints, an admin gets every planted value."""
    client, keys, _ = site
    admin = {"X-API-Key": keys["admin"]}
    seen = "".join(_api_answers(client, admin).values())
    seen += "".join(_classify_answers(client, admin).values())
    from tests.privacy_plants import SECRETS

    assert [s for s in SECRETS if s not in seen] == []


def test_no_key_below_admin_receives_planted_data(site, caplog):
    client, keys, _ = site
    caplog.set_level(logging.DEBUG)
    writer = {"X-API-Key": keys["writer"]}
    admin = {"X-API-Key": keys["admin"]}
    # Corrections and a job, so their lists are not empty: a writer picks a quote from a
    # planted contribution, an admin re-clusters.
    contribution = client.get("/v1/contributions/plant-signature", headers=writer).json()
    if contribution["proposals"]:
        sentence = contribution["text"].split("\n")[0]
        client.post(
            "/v1/corrections",
            json={
                "kind": "pick_quote",
                "target": contribution["proposals"][0],
                "payload": {"contribution_id": "plant-signature", "text": sentence},
            },
            headers=writer,
        )
    job = client.post("/v1/jobs", json={"kind": "recluster"}, headers=admin).json()
    assert wait_for_job(client, job["id"], writer)["status"] == "done"

    answers = _api_answers(client, writer)
    answers |= _classify_answers(client, writer)
    answers |= {
        f"portal {k}": v
        for k, v in _classify_answers(client, {"X-API-Key": keys["portal"]}).items()
    }
    answers |= {f"no key {k}": v for k, v in _classify_answers(client, {}).items()}
    clusters = client.get("/v1/clusters", headers=writer).json()
    themes = [t["id"] for t in client.get("/v1/themes", headers=writer).json()]
    answers |= _pages(client, keys["writer"], clusters, themes)
    # The service's and the library's log lines (the test client logs its own requests).
    answers["log"] = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    )
    assert _leaks(answers) == {}
    # Still useful to a writer: the removed blocks are listed, with their length only.
    detail = client.get("/v1/contributions/plant-signature", headers=writer).json()
    block = next(r for r in detail["repairs"] if r["kind"] == "signature")
    assert block["before"] is None and block["length"] > 0 and block["withheld"] == "block"
    # A keyword search cannot probe for a replaced name, even where NER missed it.
    for q in ("Quintard", "Marchetti", "Lefèvre"):
        hits = client.get("/v1/search", params={"q": q, "mode": "keyword"}, headers=writer)
        assert hits.json() == []
        listed = client.get("/v1/contributions", params={"q": q}, headers=writer).json()
        assert (listed["total"], listed["items"]) == (0, [])
        sign_in(client, keys["writer"])
        page = client.get(f"/recherche?q={q}&mode=mots")
        client.cookies.clear()
        assert "Aucun résultat" in page.text


def test_portal_and_no_key_reach_nothing_else(site):
    client, keys, _ = site
    portal = {"X-API-Key": keys["portal"]}
    for headers, code in ((portal, 403), ({}, 401)):
        for path in ("/v1/contributions", "/v1/clusters", "/v1/search?q=x", "/v1/report"):
            assert client.get(path, headers=headers).status_code == code, path


def test_a_real_server_keeps_planted_data_from_a_writer(tmp_path, cli_env):
    """The same through `nlp-assises run` and `nlp-assises serve` on a real port."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_planted(inputs)
    subprocess.run([*CLI, "run", str(inputs)], env=cli_env, check=True, capture_output=True)
    writer, admin = cli_key(cli_env, "writer"), cli_key(cli_env, "admin")
    server = Server(cli_env)
    browser = httpx.Client(timeout=30, follow_redirects=True)
    try:
        assert sign_in(browser, writer, base=server.base).status_code == 200
        seen: dict[str, str] = {}
        for cid in PLANTED_IDS:
            url = f"{server.base}/v1/contributions/{cid}"
            seen[url] = httpx.get(url, headers={"X-API-Key": writer}, timeout=30).text
            page = browser.get(f"{server.base}/contributions/{cid}")
            assert page.status_code == 200
            seen[f"page {cid}"] = page.text
        answer = httpx.post(
            f"{server.base}/v1/classify", json={"text": PLANTED[1]["text"]}, timeout=30
        )
        seen["classify"] = answer.text
        assert _leaks(seen) == {}
        as_admin = httpx.get(
            f"{server.base}/v1/contributions/plant-signature",
            headers={"X-API-Key": admin},
            timeout=30,
        ).text
        assert "gisele.marchetti@orange.fr" in as_admin
    finally:
        browser.close()
        server.stop()


def test_no_contribution_of_the_sample_shows_a_writer_contact_details(site):
    """Beyond the plants, every contribution of the sample's form as a writer reads it: no
    e-mail address, no phone number, no value pseudonymisation replaced."""
    from nlp_assises.cleaning.shapes import EMAIL, PHONE

    client, keys, store = site
    exposed = []
    for contribution in store.contributions():
        values = {  # as JSON writes them (a newline is escaped)
            json.dumps(r["before"], ensure_ascii=False)[1:-1]
            for r in contribution.repairs or []
            if r["kind"] == "pseudonym" and len(r["before"]) >= 3
        }
        answer = client.get(
            f"/v1/contributions/{contribution.id}", headers={"X-API-Key": keys["writer"]}
        )
        seen = json.dumps(answer.json(), ensure_ascii=False)
        if EMAIL.search(seen) or PHONE.search(seen) or any(v in seen for v in values):
            exposed.append(contribution.id)
    assert store.count() > 200 and exposed == []

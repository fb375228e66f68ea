"""The API in-process (httpx through Starlette's TestClient): contract endpoints, keys, errors."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from nlp_assises.keys import create_key
from nlp_assises.records import Record
from nlp_assises.store import Store
from service.app import create_app
from tests.conftest import wait_for_job


@pytest.fixture(scope="module")
def client(tmp_path_factory, models_ready, new_database_url):
    from nlp_assises.settings import Settings

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("api") / "var",
        models_dir=models_ready,
        database_url=new_database_url(),
        max_text_chars=5000,
        max_batch_items=5,
    )
    with TestClient(create_app(settings)) as test_client:
        test_client.store = Store.from_settings(settings)
        yield test_client


def test_healthz_and_readyz(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["model_version"]
    assert client.get("/readyz").status_code == 200


def test_classify_contract_fields_and_no_personal_data(client):
    response = client.post(
        "/v1/classify",
        json={
            "text": "Bonjour, je suis Martine Roux (06 12 34 56 78). Deux heures d'attente au "
            "commissariat de Vichy pour déposer plainte, c'est trop."
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert {
        "scores",
        "labels",
        "primary",
        "needs_review",
        "model_version",
        "text",
        "repairs",
    } <= set(body)
    assert "Martine" not in response.text and "06 12" not in response.text
    assert body["primary"] in {"communication", "service", "lien", "participation", "hors_theme"}


def test_batch_keeps_ids_and_order(client):
    items = [
        {"id": "a", "text": "Plus de patrouilles à pied le soir."},
        {"id": "b", "text": "Mes impôts fonciers ont encore augmenté, c'est honteux."},
    ]
    body = client.post("/v1/classify/batch", json={"items": items}).json()
    assert [i["id"] for i in body["items"]] == ["a", "b"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"text": ""}, 422),
        ({"text": "   "}, 422),
        ({"text": "\u0085\u3000\t"}, 422),  # blank to Python and Rust, not to ECMA's \\S
        ({"text": "\u001c"}, 422),  # blank to Python, not to Rust's \\S
        ({"texte": "x"}, 422),
        ({"text": 3}, 422),
        ({"text": "ok", "extra": 1}, 422),
        ({"text": "a" * 6000}, 413),
    ],
)
def test_bad_classify_input_gets_a_json_4xx(client, payload, status):
    response = client.post("/v1/classify", json=payload)
    assert response.status_code == status and "error" in response.json()


def test_the_published_not_blank_pattern_reads_alike_in_python_and_in_pydantic():
    """schemathesis builds its "valid" strings from the OpenAPI pattern with Python's ``re``; the
    server checks with pydantic's Rust engine. On every code point they must agree, and a value
    is blank exactly when every character is a space to one of them (or U+FEFF, ECMA's)."""
    import re
    import sys
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    from service.schemas import NOT_BLANK

    checked = TypeAdapter(Annotated[str, Field(pattern=NOT_BLANK)])
    disagree = []
    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:
            continue
        char = chr(point)
        in_python = re.search(NOT_BLANK, char) is not None
        try:
            checked.validate_python(char)
            in_pydantic = True
        except ValidationError:
            in_pydantic = False
        blank = char.isspace() or char == "\ufeff"
        if not (in_python == in_pydantic == (not blank)):
            disagree.append(hex(point))
    assert disagree == []


def test_malformed_json_wrong_type_and_too_many_items(client):
    r = client.post(
        "/v1/classify", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and "error" in r.json()
    r = client.post(
        "/v1/classify", content=b"\xff\xfe\xfa", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "error" in r.json()  # invalid UTF-8
    r = client.post("/v1/classify", content=b"text=hello", headers={"content-type": "text/plain"})
    assert r.status_code == 422
    items = [{"text": "Plus de patrouilles."}] * 6
    assert client.post("/v1/classify/batch", json={"items": items}).status_code == 413


def test_contributions_need_a_writer_key_and_originals_an_admin(client):
    assert client.get("/v1/contributions").status_code == 401
    portal = create_key(client.store, "portail", "portal")
    assert client.get("/v1/contributions", headers={"X-API-Key": portal}).status_code == 403
    from nlp_assises.cleaning import Cleaner

    client.store.ingest(
        [Record(text="Je suis Paul Durand, il faudrait des patrouilles.", id="k1")], Cleaner()
    )
    writer = create_key(client.store, "rédactrice", "writer")
    admin = create_key(client.store, "admin", "admin")
    page = client.get("/v1/contributions", headers={"X-API-Key": writer}).json()
    assert page["total"] == 1 and "Durand" not in str(page)
    one = client.get("/v1/contributions/k1", headers={"X-API-Key": writer}).json()
    assert one["original"] is None and all(
        r["before"] is None for r in one["repairs"] if r["kind"] == "pseudonym"
    )
    one = client.get("/v1/contributions/k1", headers={"X-API-Key": admin}).json()
    assert "Durand" in one["original"]
    assert client.get("/v1/contributions/nope", headers={"X-API-Key": admin}).status_code == 404


def test_pages_ask_for_a_key_then_show_the_overview(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
    writer = create_key(client.store, "page", "writer")
    form = client.get("/connexion").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
    response = client.post("/connexion", data={"cle": writer, "suite": "/", "csrftoken": token})
    assert response.status_code == 200 and "Contributions par thème" in response.text
    assert client.get("/openapi.json").json()["paths"]["/v1/classify"]


def test_admin_ingest_jobs_search_report_and_members(client):
    from nlp_assises.datasets import load_labelled

    admin = {"X-API-Key": create_key(client.store, "admin2", "admin")}
    writer = {"X-API-Key": create_key(client.store, "writer2", "writer")}
    items = [{"id": r["id"], "text": r["text"]} for r in load_labelled("train")[:5]]
    assert (
        client.post("/v1/contributions", json={"items": items}, headers=writer).status_code == 403
    )
    response = client.post("/v1/contributions", json={"items": items}, headers=admin)
    assert response.status_code == 201 and response.json()["new"] == 5
    again = client.post("/v1/contributions", json={"items": items}, headers=admin).json()
    assert again["new"] == 0 and again["duplicate"] == 5
    for item in items:
        assert client.store.get(item["id"]) is not None  # durable once acknowledged

    job = client.post("/v1/jobs", json={"kind": "classify"}, headers=admin).json()
    assert job["status"] in ("queued", "running") and job["max_attempts"] >= 1
    done = wait_for_job(client, job["id"], writer)
    assert done["status"] == "done" and done["attempts"] == 1 and done["error"] is None
    times = [datetime.fromisoformat(done[k]) for k in ("queued_at", "started_at", "finished_at")]
    assert times == sorted(times) and done["worker"]
    job = client.post("/v1/jobs", json={"kind": "recluster"}, headers=admin).json()
    assert wait_for_job(client, job["id"], writer)["status"] == "done"
    assert client.post("/v1/jobs", json={"kind": "nope"}, headers=admin).status_code == 422

    hits = client.get("/v1/search", params={"q": "patrouilles à pied"}, headers=writer).json()
    assert hits and all(set(h) >= {"id", "text", "score"} for h in hits)
    assert hits == sorted(hits, key=lambda h: -h["score"])
    like = client.get("/v1/search", params={"like": items[0]["id"]}, headers=writer).json()
    assert items[0]["id"] not in {h["id"] for h in like}
    assert client.get("/v1/search", headers=writer).json() == []
    word = items[1]["text"].split()[3]
    keyword = client.get("/v1/search", params={"q": word, "mode": "keyword"}, headers=writer).json()
    assert all(word.lower() in h["text"].lower() for h in keyword)

    report = client.get("/v1/report", params={"format": "docx"}, headers=writer)
    assert report.status_code == 200 and report.content[:2] == b"PK"
    markdown = client.get("/v1/report", params={"format": "md"}, headers=writer).text
    assert "Annexe" in markdown

    models = client.get("/v1/models", headers=writer).json()
    assert models["classifier"] and models["embedder"]
    for cluster in client.get("/v1/clusters", headers=writer).json():
        page = client.get(f"/v1/clusters/{cluster['id']}/contributions", headers=writer).json()
        assert page["total"] == cluster["size"]
    assert client.get("/v1/clusters/nope/contributions", headers=writer).status_code == 404


def test_classify_with_a_key_and_an_oversized_body(client):
    text = "Mme Lefèvre attend toujours le rappel du commissariat de Moulins."
    admin = {"X-API-Key": create_key(client.store, "admin-classify", "admin")}
    portal = {"X-API-Key": create_key(client.store, "portal-classify", "portal")}
    seen = client.post("/v1/classify", json={"text": text}, headers=admin).json()
    assert {"before": "Lefèvre"}.items() <= seen["repairs"][0].items()
    hidden = client.post("/v1/classify", json={"text": text}, headers=portal).json()
    assert hidden["repairs"][0]["before"] is None and "Lefèvre" not in str(hidden)
    assert (
        client.post("/v1/classify", json={"text": text}, headers={"X-API-Key": "faux"}).json()[
            "repairs"
        ][0]["before"]
        is None
    )
    body = b'{"text": "' + b"a" * 4_000_000 + b'"}'
    response = client.post(
        "/v1/classify", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and "bytes" in response.json()["error"]

"""Access to the service: body limit, rate limits, page sessions and CSRF, metrics.

Sessions and CSRF run in-process (TestClient); the body limit, the rate limits and the metrics
of several workers against the real server (`nlp-assises serve`), since they depend on how
uvicorn hands over a body, on client addresses and on processes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from nlp_assises.keys import create_key as make_key
from nlp_assises.keys import list_keys, revoke_key, verify_key
from nlp_assises.settings import Settings
from nlp_assises.store import Store
from service.app import create_app
from service.security import CSRF_COOKIE, SESSION_COOKIE
from tests.conftest import Server, create_key

PLANTED = "Planted Pseudo-Citizen Zorglubine"
TEXT = "Plus de patrouilles à pied le soir dans le quartier de la gare."


# -- sessions and CSRF, in-process -------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory, models_ready):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("access") / "var",
        models_dir=models_ready,
        metrics_access="admin",
    )
    with TestClient(create_app(settings)) as client:
        client.store = Store.from_settings(settings)
        yield client


def _token(client: TestClient, path: str = "/connexion", base: str = "") -> str:
    page = client.get(base + path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)


def _sign_in(client: TestClient, key: str, base: str = "") -> httpx.Response:
    token = _token(client, base=base)
    return client.post(
        base + "/connexion",
        data={"cle": key, "suite": "/", "csrftoken": token},
        follow_redirects=False,
    )


def _set_cookie(response: httpx.Response, name: str) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header


def test_sign_in_sets_an_opaque_expiring_http_only_lax_cookie(site):
    site.cookies.clear()
    key = make_key(site.store, "rédactrice", "writer")
    response = _sign_in(site, key)
    assert response.status_code == 303
    header = _set_cookie(response, SESSION_COOKIE)
    value = site.cookies[SESSION_COOKIE]
    assert value != key and key not in header and key[10:20] not in value
    attributes = {a.strip().split("=")[0].lower() for a in header.split(";")}
    assert {"httponly", "max-age", "samesite"} <= attributes
    assert "samesite=lax" in header.lower() and "secure" not in attributes  # plain HTTP
    assert site.get("/").status_code == 200
    # the store holds no key and no token in clear
    with site.store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT * FROM web_sessions").fetchall()
    assert rows and all(value not in map(str, row) and key not in map(str, row) for row in rows)


def test_sign_out_kills_the_session_even_for_a_copy_of_the_cookie(site):
    site.cookies.clear()
    _sign_in(site, make_key(site.store, "départ", "writer"))
    stolen = site.cookies[SESSION_COOKIE]
    assert site.get("/", follow_redirects=False).status_code == 200
    out = site.post("/deconnexion", data={"csrftoken": _token(site, "/")}, follow_redirects=False)
    assert out.status_code == 303
    site.cookies.set(SESSION_COOKIE, stolen)
    again = site.get("/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/connexion")
    assert site.get("/v1/contributions").status_code == 401


def test_a_revoked_key_ends_its_sessions(site):
    site.cookies.clear()
    key = make_key(site.store, "révoquée", "writer")
    _sign_in(site, key)
    assert site.get("/", follow_redirects=False).status_code == 200
    (record,) = [k for k in list_keys(site.store) if k.name == "révoquée"]
    revoke_key(site.store, record.id)
    assert site.get("/", follow_redirects=False).status_code == 303


def test_session_expiry_comes_from_the_settings(tmp_path, models_ready):
    from datetime import timedelta

    from nlp_assises.web_sessions import session_key, start_session

    store = Store.from_settings(Settings(data_dir=tmp_path / "var", models_dir=models_ready))
    key = make_key(store, "courte", "writer")
    record = verify_key(store, key)
    alive = start_session(store, record, timedelta(hours=1))
    dead = start_session(store, record, timedelta(seconds=-1))
    assert session_key(store, alive).name == "courte"
    assert session_key(store, dead) is None
    assert session_key(store, "not-a-token") is None


@pytest.mark.parametrize("token", [None, "wrong", "altered"])
def test_a_form_without_the_right_csrf_token_is_refused_in_french(site, token):
    site.cookies.clear()
    _sign_in(site, make_key(site.store, "formulaire", "writer"))
    data = {"kind": "rename_proposal", "target": "service-0", "label": "Nouveau nom"}
    if token == "altered":  # this browser's token, one character changed
        real = site.cookies[CSRF_COOKIE]
        token = real[:-1] + ("A" if real[-1] != "A" else "B")
    if token:
        data["csrftoken"] = token
    response = site.post("/corriger", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Action refusée" in response.text and "jeton de sécurité" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_form_with_the_token_goes_through(site):
    site.cookies.clear()
    _sign_in(site, make_key(site.store, "valide", "writer"))
    data = {
        "kind": "rename_proposal",
        "target": "no-such-proposal",
        "label": "Nouveau nom",
        "retour": "/",
        "csrftoken": _token(site, "/"),
    }
    response = site.post("/corriger", data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    # handled by the page (which refuses the unknown proposal with its own message)
    assert "nlp_assises_flash=" in response.headers["set-cookie"]


def test_sign_in_and_out_need_the_token_even_without_cookies(site):
    site.cookies.clear()
    key = make_key(site.store, "sans jeton", "writer")
    response = site.post("/connexion", data={"cle": key}, follow_redirects=False)
    assert response.status_code == 403 and SESSION_COOKIE not in site.cookies
    assert site.post("/deconnexion", follow_redirects=False).status_code == 403


def test_the_session_cookie_does_not_authenticate_api_posts_without_the_token(site):
    site.cookies.clear()
    admin = make_key(site.store, "admin session", "admin")
    _sign_in(site, admin)
    # a GET with the session works (the pages' report links)
    assert site.get("/v1/contributions").status_code == 200
    refused = site.post("/v1/jobs", json={"kind": "cluster"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    # the same call authenticated by its header needs no token, cookie or not
    by_header = site.post("/v1/jobs", json={"kind": "nope"}, headers={"X-API-Key": admin})
    assert by_header.status_code == 422
    # and classify never takes the session for a key: no CSRF, public answer
    assert site.post("/v1/classify", json={"text": TEXT}).status_code == 200


def test_over_https_the_cookies_are_secure(site):
    site.cookies.clear()
    key = make_key(site.store, "https", "writer")
    base = "https://testserver"
    response = _sign_in(site, key, base=base)
    assert "secure" in _set_cookie(response, SESSION_COOKIE).lower().split("; ")
    site.cookies.clear()
    page = site.get("/connexion", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in _set_cookie(page, CSRF_COOKIE).lower().split("; ")
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    response = site.post(
        "/connexion",
        data={"cle": key, "csrftoken": token},
        headers={"X-Forwarded-Proto": "https", "Cookie": f"{CSRF_COOKIE}={token}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "secure" in _set_cookie(response, SESSION_COOKIE).lower().split("; ")


# -- metrics, in-process ----------------------------------------------------------------------
def _samples(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _requests(samples: dict, route: str, status: str, method: str = "POST") -> float:
    labels = (("method", method), ("route", route), ("status", status))
    return samples.get(("nlp_assises_http_requests_total", labels), 0.0)


def test_metrics_count_routes_by_template_and_hold_no_personal_data(site):
    site.cookies.clear()
    admin = make_key(site.store, "scrape", "admin")
    assert site.get("/metrics").status_code == 401
    writer = make_key(site.store, "scrape writer", "writer")
    assert site.get("/metrics", headers={"X-API-Key": writer}).status_code == 403
    before = _samples(site.get("/metrics", headers={"Authorization": f"Bearer {admin}"}).text)
    for _ in range(3):
        assert site.post("/v1/classify", json={"text": f"Je suis {PLANTED}. {TEXT}"}).is_success
    site.get(f"/v1/contributions/{PLANTED}", headers={"X-API-Key": writer})
    site.get("/v1/search", params={"q": PLANTED}, headers={"X-API-Key": writer})
    site.get(f"/nowhere/{PLANTED}")
    text = site.get("/metrics", headers={"X-API-Key": admin}).text
    after = _samples(text)
    assert _requests(after, "/v1/classify", "200") - _requests(before, "/v1/classify", "200") == 3
    assert _requests(after, "/v1/contributions/{contribution_id}", "404", "GET") >= 1
    assert _requests(after, "unmatched", "404", "GET") >= 1
    count = ("nlp_assises_classify_batch_size_count", ())
    assert after[count] - before.get(count, 0) >= 1
    latency = (
        "nlp_assises_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/v1/classify")),
    )
    assert after[latency] - before.get(latency, 0) == 3
    assert "Zorglubine" not in text and "Pseudo" not in text and "nowhere" not in text


def test_metrics_count_jobs_by_state(site):
    """The gauge reads the store's job queue. The test kind `hold` is one this app's runner
    never claims, so the job moves only when the test moves it."""
    from nlp_assises import jobs

    admin = make_key(site.store, "jobs", "admin")

    def count(state: str) -> float:
        samples = _samples(site.get("/metrics", headers={"X-API-Key": admin}).text)
        return samples.get(("nlp_assises_jobs", (("kind", "hold"), ("state", state))), 0.0)

    before = count("queued"), count("running"), count("failed")
    job = jobs.enqueue(site.store, "hold")
    assert count("queued") == before[0] + 1
    claimed = jobs.claim(site.store, "metrics-test", lease_seconds=60, kinds=["hold"])
    assert claimed is not None and claimed.id == job.id
    assert (count("queued"), count("running")) == (before[0], before[1] + 1)
    assert jobs.fail(site.store, job.id, "metrics-test", "planted failure")
    assert (count("running"), count("failed")) == (before[1], before[2] + 1)


# -- the real server: body limit, rate limits --------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory, models_ready) -> Iterator[dict]:
    import os

    env = dict(os.environ)
    env["NLP_ASSISES_DATA_DIR"] = str(tmp_path_factory.mktemp("served") / "var")
    env["NLP_ASSISES_MODELS_DIR"] = str(models_ready)
    env["NLP_ASSISES_CLASSIFY_RATE"] = "3/minute"
    env["NLP_ASSISES_CLASSIFY_BATCH_RATE"] = "2/minute"
    env["NLP_ASSISES_KEY_RATE_FACTOR"] = "2"
    env.pop("NLP_ASSISES_DEBUG", None)
    portal = create_key(env, "portal")
    other = create_key(env, "portal")
    server = Server(env)
    yield {"base": server.base, "portal": portal, "other": other}
    server.stop()


def _chunks(total: int, size: int = 64 * 1024, sent: list | None = None) -> Iterator[bytes]:
    """A JSON body of ``total`` bytes, sent chunked (no Content-Length)."""
    head, tail = b'{"text": "', b'"}'
    yield head
    left = total - len(head) - len(tail)
    while left > 0:
        piece = b"a" * min(size, left)
        left -= len(piece)
        if sent is not None:
            sent.append(len(piece))
        yield piece
    yield tail


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["/v1/classify", "/v1/jobs", "/v1/contributions"])
def test_a_chunked_body_over_the_limit_gets_413_json(served, path):
    with httpx.Client(base_url=served["base"], timeout=60) as client:
        response = client.post(
            path,
            content=_chunks(6_000_000),
            headers={"content-type": "application/json"},
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413, response.text
        assert "4000000" in response.json()["error"]
        # a small chunked body is read and answered as usual
        small = client.post(
            "/v1/classify/batch",
            content=(p for p in [b'{"items": [{"id": "a", "text": "', TEXT.encode(), b'"}]}']),
            headers={"content-type": "application/json", "X-API-Key": served["other"]},
        )
        assert small.status_code == 200, small.text


@pytest.mark.e2e
def test_a_declared_body_over_the_limit_gets_413_before_it_is_sent(served):
    with httpx.Client(base_url=served["base"], timeout=60) as client:
        response = client.post(
            "/v1/classify",
            content=b"x" * 4_000_001,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413 and "error" in response.json()


@pytest.mark.e2e
def test_classify_is_rate_limited_per_client_with_retry_after(served):
    base = served["base"]
    # another client address on the loopback: Linux routes all of 127.0.0.0/8 to lo
    elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
    with (
        httpx.Client(base_url=base, timeout=60) as client,
        httpx.Client(base_url=base, timeout=60, transport=elsewhere) as neighbour,
    ):
        answers = [client.post("/v1/classify", json={"text": TEXT}) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        refused = answers[3]
        assert refused.status_code == 429 and "error" in refused.json()
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # the limit is this address's: another address, or a valid key, is not affected
        assert neighbour.post("/v1/classify", json={"text": TEXT}).status_code == 200
        portal = {"X-API-Key": served["portal"]}
        keyed = [client.post("/v1/classify", json={"text": TEXT}, headers=portal) for _ in range(7)]
        assert [a.status_code for a in keyed] == [200] * 6 + [429]  # 3/minute x factor 2
        other = {"X-API-Key": served["other"]}  # another key has its own count
        assert client.post("/v1/classify", json={"text": TEXT}, headers=other).status_code == 200
        # a made-up key counts as no key: still this address's limit
        fake = client.post("/v1/classify", json={"text": TEXT}, headers={"X-API-Key": "na_x"})
        assert fake.status_code == 429
        # health checks are never limited
        assert all(client.get("/healthz").status_code == 200 for _ in range(10))


@pytest.mark.e2e
def test_batch_has_its_own_limit(served):
    elsewhere = httpx.HTTPTransport(local_address="127.0.0.3")
    with httpx.Client(base_url=served["base"], timeout=60, transport=elsewhere) as client:
        body = {"items": [{"id": "a", "text": TEXT}]}
        codes = [client.post("/v1/classify/batch", json=body).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert client.post("/v1/classify", json={"text": TEXT}).status_code == 200


# -- metrics with several workers --------------------------------------------------------------
@pytest.mark.e2e
def test_metrics_add_up_every_worker(tmp_path, models_ready):
    import os

    env = dict(os.environ)
    env["NLP_ASSISES_DATA_DIR"] = str(tmp_path / "var")
    env["NLP_ASSISES_MODELS_DIR"] = str(models_ready)
    env["NLP_ASSISES_METRICS_ACCESS"] = "public"
    env["NLP_ASSISES_CLASSIFY_RATE"] = ""
    env.pop("NLP_ASSISES_DEBUG", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = Server(env, args=("--workers", "2"))
    try:
        sent = 24
        for _ in range(sent):  # a new connection each: the kernel spreads them over the workers
            response = httpx.post(f"{server.base}/v1/classify", json={"text": TEXT}, timeout=120)
            assert response.status_code == 200
        deadline = time.time() + 60
        seen = []
        while time.time() < deadline and len(seen) < 6:
            text = httpx.get(f"{server.base}/metrics", timeout=120).text
            seen.append(_requests(_samples(text), "/v1/classify", "200"))
        # every scrape, whichever worker answers it, counts all the requests
        assert seen == [sent] * 6
    finally:
        server.stop()


def test_a_malformed_rate_is_a_one_line_configuration_error(tmp_path):
    from nlp_assises.errors import ConfigurationError
    from service.ratelimit import RateLimits

    with pytest.raises(ConfigurationError, match="NLP_ASSISES_CLASSIFY_RATE='lots'"):
        RateLimits(Settings(data_dir=tmp_path, classify_rate="lots"))
    assert RateLimits(Settings(data_dir=tmp_path, classify_rate="")).items.keys() == {"batch"}

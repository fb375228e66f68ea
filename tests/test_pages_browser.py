"""The writers' pages in a real headless Chromium against a real `nlp-assises serve`: sign in,
browse, correct, export the report and find the corrections in the Word file."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser import browser_context, chromium_path, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (make test)"),
]

NEW_LABEL = "Être prévenu quand les gendarmes interviennent dans la commune"


@pytest.fixture
def writer_page(sample_site):
    with browser_context(viewport={"width": 1200, "height": 900}) as context:
        page = context.new_page()
        sign_in(page, sample_site["base"], sample_site["keys"]["writer"])
        yield page


def _api(site, role="writer") -> httpx.Client:
    return httpx.Client(base_url=site["base"], headers={"X-API-Key": site["keys"][role]})


def _nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=name
    ).click()


def test_sign_in_is_required(sample_site):
    with browser_context() as context:
        page = context.new_page()
        page.goto(f"{sample_site['base']}/a-relire")
        assert page.url.startswith(f"{sample_site['base']}/connexion")
        page.get_by_label("Clé d'accès").fill("pas-une-cle")
        page.get_by_role("button", name="Se connecter").click()
        assert page.get_by_role("alert").inner_text().startswith("Clé invalide")
        page.get_by_label("Clé d'accès").fill(sample_site["keys"]["writer"])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/a-relire")  # back where the writer was going


def test_overview_theme_proposal_rename_pick_quote_and_export(writer_page, sample_site, tmp_path):
    page = writer_page
    assert page.get_by_role("heading", level=1).inner_text() == "Vue d'ensemble de la consultation"
    total = int(re.match(r"(\d+) contributions", page.locator("p.lead").inner_text()).group(1))
    assert total == 220
    themes = page.locator("#themes tbody tr")
    assert themes.count() == 4

    themes.first.get_by_role("link").click()
    theme_title = page.get_by_role("heading", level=1).inner_text()
    assert theme_title == "Communication et échanges"
    assert page.get_by_role("heading", name="Principaux constats").is_visible()
    first = page.locator("#propositions ~ ol.proposals > li").first
    first.get_by_role("heading", level=3).get_by_role("link").click()
    proposal_url = page.url
    assert "/propositions/" in proposal_url

    # Rename the proposal.
    page.get_by_label("Nouvel intitulé").fill(NEW_LABEL)
    page.get_by_role("button", name="Renommer").click()
    assert page.get_by_role("status").inner_text() == "La proposition est renommée."
    assert page.get_by_role("heading", level=1).inner_text() == NEW_LABEL

    # Pick the proposal sentence of its second contribution as a quote for the report.
    member = page.locator("li.member").nth(1)
    quote = member.locator("mark").first.inner_text()
    contribution_id = member.get_by_role("heading").get_by_role("link").inner_text()
    member.get_by_role("button", name=re.compile("Retenir la citation")).first.click()
    assert page.get_by_role("status").inner_text() == "La citation est retenue pour le rapport."
    picked = page.locator("#citations ~ ul.quotes > li").first
    assert quote in picked.inner_text() and "retenue" in picked.inner_text()

    # Both are stored with the writer's name.
    with _api(sample_site) as api:
        made = api.get("/v1/corrections").json()["items"]
    assert [c["kind"] for c in made[:2]] == ["pick_quote", "rename_proposal"]
    assert {c["author"] for c in made[:2]} == {"test writer"}

    # Export the report from the theme page's button and read the Word file.
    page.get_by_role("link", name=theme_title, exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport Word (DOCX)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".docx"
    from docx import Document

    document = Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert NEW_LABEL in cells and any(p == NEW_LABEL for p in paragraphs)
    assert f"« {quote} » ({contribution_id})" in paragraphs


def test_a_correction_form_works_with_the_keyboard_alone(writer_page, sample_site):
    page = writer_page
    with _api(sample_site) as api:
        proposal = api.get("/v1/clusters", params={"theme": "service"}).json()[0]
    page.goto(f"{sample_site['base']}/propositions/{proposal['id']}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nouvel-intitule":
            break
    else:
        pytest.fail("the label field cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Control+A")
    page.keyboard.type("Des horaires d'accueil affichés et tenus")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Renommer"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Des horaires d'accueil affichés et tenus"
    )


def test_contribution_page_shows_repairs_and_the_original_to_admins_only(sample_site):
    with _api(sample_site) as api:
        rows = api.get("/v1/contributions", params={"limit": 500}).json()["items"]
    pseudonymised = next(r["id"] for r in rows if "pseudonymized" in r["flags"])
    url = f"{sample_site['base']}/contributions/{pseudonymised}"
    with browser_context() as context:
        page = context.new_page()
        sign_in(page, sample_site["base"], sample_site["keys"]["admin"], then="/")
        page.goto(url)
        assert page.get_by_role("heading", name=re.compile("Texte original")).is_visible()
        marks = page.locator("mark.repair[title^=pseudonyme]")
        assert marks.count() >= 1
        assert " — avant : " in marks.first.get_attribute("title")  # the name, for admins
        assert page.locator("table caption", has_text="Scores du classifieur").is_visible()
    with browser_context() as context:
        page = context.new_page()
        sign_in(page, sample_site["base"], sample_site["keys"]["writer"], then="/")
        page.goto(url)
        assert page.get_by_role("heading", name=re.compile("Texte original")).count() == 0
        marks = page.locator("mark.repair[title^=pseudonyme]")
        assert marks.count() >= 1 and marks.first.get_attribute("title") == "pseudonyme"


def test_search_by_words_then_contributions_like_one(writer_page, sample_site):
    page = writer_page
    _nav(page, "Recherche")
    page.get_by_label("Rechercher dans les contributions").fill("gendarmerie")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("ol.rows > li")
    assert results.count() >= 1
    assert all("gendarmerie" in t.lower() for t in results.locator("p.text").all_inner_texts())
    first_id = results.first.get_by_role("heading").get_by_role("link").inner_text()
    results.first.get_by_role("link", name=re.compile("Semblables")).click()
    heading = page.get_by_role("heading", level=2).first.inner_text()
    assert heading == f"Contributions semblables à {first_id}"
    ids = page.locator("ol.rows > li h3 a").all_inner_texts()
    assert ids and first_id not in ids


def test_review_queue_confirm_takes_the_contribution_out(writer_page, sample_site):
    page = writer_page
    _nav(page, "À relire")
    count = page.get_by_role("status").inner_text()
    before = int(count.split()[0])
    assert before > 0
    texts = page.locator("ol.rows > li p.text").all_inner_texts()
    assert [len(t) for t in texts] == sorted(len(t) for t in texts)  # fastest first
    first = page.locator("ol.rows > li").first
    target = first.get_by_role("heading").get_by_role("link").inner_text()
    first.get_by_role("button", name=re.compile("^Confirmer")).click()
    assert page.locator("p.flash").inner_text() == "Le classement est confirmé."
    after = int(page.locator("p[role=status]", has_text="à relire").inner_text().split()[0])
    assert after == before - 1
    assert target not in page.locator("ol.rows > li h2 a").all_inner_texts()
    with _api(sample_site) as api:
        made = api.get("/v1/corrections", params={"kind": "confirm_review"}).json()["items"]
    assert made[0]["target"] == target and made[0]["author"] == "test writer"

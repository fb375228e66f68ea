"""Every number of the DOCX report is checked against the store, read here with plain SQL
(not through our own store code), after writers' corrections."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from docx import Document
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from nlp_assises.report import TABLE_COLUMNS, build_report, write_report

THEME_KINDS = ("move_contribution", "confirm_review")


def _json(value):
    """A JSON column as plain SQL gives it: text from SQLite, decoded by psycopg."""
    return json.loads(value) if isinstance(value, str) else value


def _expected(pipeline) -> dict:
    """The report's figures, recomputed from the tables with plain SQL on a connection of its
    own (SQLite or PostgreSQL, whichever the suite runs on)."""
    engine = create_engine(pipeline.store.engine.url, poolclass=NullPool)
    with engine.connect() as db:
        corrected = {}
        for target, payload in db.execute(
            text("SELECT target, payload FROM corrections WHERE kind IN (:a, :b) ORDER BY id"),
            dict(zip("ab", THEME_KINDS, strict=True)),
        ):
            corrected[target] = _json(payload)["themes"]
        rows = db.execute(
            text(
                """SELECT c.id, c.themes_gold, c.flags, c.campaign_id, k.labels, k.needs_review
               FROM contributions c LEFT JOIN classifications k ON k.id = (
                   SELECT max(id) FROM classifications WHERE contribution_id = c.id)"""
            )
        ).all()
        run = db.execute(text("SELECT id FROM cluster_runs WHERE current")).scalar_one()
        clusters = db.execute(
            text(
                "SELECT theme, label, people, size, campaign_copies, share, quotes FROM clusters "
                "WHERE run_id = :run ORDER BY people DESC, id"
            ),
            {"run": run},
        ).all()
        placed = set(
            db.execute(
                text(
                    "SELECT DISTINCT k.theme, m.contribution_id FROM cluster_members m "
                    "JOIN clusters k ON k.run_id = m.run_id AND k.id = m.cluster_id "
                    "WHERE m.run_id = :run"
                ),
                {"run": run},
            ).all()
        )
    engine.dispose()
    themes: Counter[str] = Counter()
    in_no_proposal: Counter[str] = Counter()  # a theme's answers (non-answers apart) in none
    flags: Counter[str] = Counter()
    hors = review = 0
    campaigns = set()
    for cid, gold, row_flags, campaign, labels, needs_review in rows:
        chosen = corrected.get(cid) or _json(gold or "null") or _json(labels or "[]")
        chosen = [t for t in chosen if t != "hors_theme"]
        hors += not chosen
        themes.update(chosen)
        if "non_answer" not in _json(row_flags or "[]"):
            in_no_proposal.update(t for t in chosen if (t, cid) not in placed)
        review += bool(needs_review) and cid not in corrected and not _json(gold or "null")
        flags.update(_json(row_flags or "[]"))
        campaigns.add(campaign)
    campaigns.discard(None)
    return {
        "total": len(rows),
        "themes": themes,
        "in_no_proposal": in_no_proposal,
        "hors": hors,
        "review": review,
        "flags": flags,
        "campaigns": len(campaigns),
        "clusters": clusters,
        "corrections": len(corrected),
    }


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %".replace(".", ",")


@pytest.fixture
def corrected(form_pipeline):
    """The pipeline's store after a writer renamed a proposal, picked a quote and moved one
    contribution out of the themes."""
    store = form_pipeline.store
    cluster = store.current_clusters("service")[0]
    form_pipeline.correct(
        "rename_proposal", cluster.id, {"label": "Un accueil plus rapide au guichet"}, author="r"
    )
    quote = cluster.quotes[-1]
    form_pipeline.correct("pick_quote", cluster.id, quote, author="r")
    other = store.current_clusters("lien")[0]
    _, members = store.search(cluster=other.id, limit=1)
    form_pipeline.correct(
        "move_contribution", members[0][0].id, {"themes": ["hors_theme"]}, author="r"
    )
    return form_pipeline, quote


def test_every_number_of_the_docx_report_matches_the_store(corrected, tmp_path):
    pipeline, quote = corrected
    data = build_report(pipeline.store, pipeline.scheme, max_proposals=1000)
    path = write_report(data, tmp_path / "r.docx")
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    expected = _expected(pipeline)

    assert f"{expected['total']} contributions analysées." in text
    for theme in pipeline.scheme.themes:
        count = expected["themes"][theme.id]
        share = _pct(round(count / expected["total"], 4))
        assert f"{count} contributions ({share} du total)." in text, theme.id
        unplaced = expected["in_no_proposal"][theme.id]
        unplaced_share = _pct(unplaced / count) if count else "0,0 %"
        assert (
            f"{unplaced} contributions du thème ({unplaced_share}) ne relèvent d'aucune "
            "proposition émergente" in text
        ), theme.id
    # the writer's move took one clustered contribution out of the themes: it is counted in
    # none of them, and every theme of the consultation has answers in no proposal
    assert all(expected["in_no_proposal"][t.id] for t in pipeline.scheme.themes)
    assert f"Contributions hors thème : {expected['hors']} ;" in text
    assert f"à relire (classement incertain) : {expected['review']} ;" in text
    assert f"thèmes fixés par les rédacteurs : {expected['corrections']}." in text
    assert f": {expected['flags']['repaired']} ; pseudonymisés : " in text
    assert f"pseudonymisés : {expected['flags']['pseudonymized']} ;" in text
    assert f"comptées à part : {expected['flags']['non_answer']}." in text
    assert f"Campagnes de copier-coller : {expected['campaigns']}," in text

    rows = [
        [cell.text for cell in row.cells]
        for table in document.tables
        for row in table.rows
        if row.cells[0].text != TABLE_COLUMNS[0]
    ]
    stored = [
        [label, str(people), str(size), str(copies), _pct(share)]
        for theme in pipeline.scheme.theme_ids
        for t, label, people, size, copies, share, _ in expected["clusters"]
        if t == theme
    ]
    assert rows == stored[: len(rows)] and len(rows) == len(stored)
    assert any(r[0] == "Un accueil plus rapide au guichet" for r in rows)
    assert f"« {quote['text']} » ({quote['contribution_id']})" in text


def test_markdown_and_html_reports_carry_the_same_figures(corrected, tmp_path):
    pipeline, quote = corrected
    data = build_report(pipeline.store, pipeline.scheme)
    markdown = write_report(data, tmp_path / "r.md").read_text(encoding="utf-8")
    html = write_report(data, tmp_path / "r.html").read_text(encoding="utf-8")
    expected = _expected(pipeline)
    for body in (markdown, html):
        assert f"{expected['total']} contributions analysées." in body
        assert "Un accueil plus rapide au guichet" in body
        for theme in pipeline.scheme.themes:
            unplaced = expected["in_no_proposal"][theme.id]
            assert f"{unplaced} contributions du thème (" in body, theme.id
    assert quote["text"] in markdown
    assert re.search(r"<table>.*Copies de campagne", html, re.S)

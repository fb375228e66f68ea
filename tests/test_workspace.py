"""What the writers' pages show, checked against the store it comes from (the sample form run
through the pipeline), and the corrections API on the served app (the real CLI and server)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from nlp_assises import workspace
from nlp_assises.stats import consultation_stats


@pytest.fixture(scope="module")
def pipeline(form_pipeline):
    """The session's run of the form: these tests read what the pages read, and the one that
    corrects checks figures before and after its own correction only."""
    return form_pipeline


def test_overview_shows_the_consultation_figures(pipeline):
    store, scheme = pipeline.store, pipeline.scheme
    view = workspace.overview(store, scheme)
    stats = consultation_stats(store, scheme)
    contributions = store.contributions()
    assert view.total == len(contributions) == 220
    assert [b.value for b in view.themes] == [stats.by_theme[t] for t in scheme.theme_ids]
    assert [b.href for b in view.themes] == [f"/themes/{t}" for t in scheme.theme_ids]
    assert (view.hors_theme, view.needs_review) == (stats.hors_theme, stats.needs_review)
    flags = Counter(f for c in contributions for f in c.flags or [])
    assert (view.repaired, view.pseudonymized, view.not_french) == (
        flags["repaired"],
        flags["pseudonymized"],
        flags["not_french"],
    )
    assert view.non_answers == flags["non_answer"] == stats.non_answers
    assert view.in_campaigns == sum(1 for c in contributions if c.campaign_id)
    assert sum(b.value for b in view.channels) == 220
    assert sum(b.value for b in view.timeline) == sum(1 for c in contributions if c.date)
    assert max(b.share for b in view.timeline) == 1.0
    assert view.first_date == min(c.date for c in contributions if c.date).date()


def test_theme_view_ranks_by_people_and_sets_campaigns_apart(pipeline):
    view = workspace.theme_view(pipeline.store, pipeline.scheme, "participation")
    people = [p.people for p in view.proposals]
    assert people == sorted(people, reverse=True)
    assert all(not p.campaign for p in view.proposals) and all(p.campaign for p in view.campaigns)
    ids = {p.id for p in view.proposals + view.campaigns}
    assert ids == {c.id for c in pipeline.store.current_clusters("participation")}
    assert view.findings[0].startswith(f"{view.contributions} contributions")
    # the theme's contributions no proposal holds are counted as the report counts them
    # (tests/test_report.py checks that count against the tables)
    stats = consultation_stats(pipeline.store, pipeline.scheme)
    unplaced = stats.in_no_proposal_line("participation")
    assert unplaced.startswith(f"{stats.in_no_proposal['participation']} contributions du thème")
    assert unplaced in view.findings
    assert workspace.theme_view(pipeline.store, pipeline.scheme, "inconnu") is None


def test_proposal_pages_cover_its_members_once_with_their_sentence(pipeline):
    cluster = max(pipeline.store.current_clusters(), key=lambda c: c.size)
    seen = []
    offset = 0
    while True:
        view = workspace.proposal_view(
            pipeline.store, pipeline.scheme, cluster.id, offset=offset, limit=3
        )
        assert view.pager.total == cluster.size
        seen += [m.id for m in view.members]
        for member in view.members:
            text = pipeline.store.get(member.id).text
            assert "".join(piece for piece, _ in member.parts) == text
            assert member.units and all(text[u.start :].startswith(u.text) for u in member.units)
            marked = [piece for piece, sentence in member.parts if sentence]
            assert marked and all(piece in text for piece in marked)
        if view.pager.next is None:
            break
        offset = view.pager.next
    assert len(seen) == len(set(seen)) == cluster.size


def test_repairs_replay_onto_the_cleaned_text(pipeline):
    repaired = [c for c in pipeline.store.contributions() if c.repairs]
    assert repaired
    for c in repaired:
        segments = workspace.highlight_repairs(c.original, c.text, c.repairs)
        assert segments is not None, c.id
        assert "".join(s.text for s in segments) == c.text
    pseudonymised = next(c for c in repaired if "pseudonymized" in c.flags)
    view = workspace.contribution_view(pipeline.store, pipeline.scheme, pseudonymised.id)
    marked = [s for s in view.segments if s.kind == "pseudonym"]
    assert marked and all(s.before is None and s.text.startswith("[") for s in marked)
    assert view.original is None
    admin = workspace.contribution_view(
        pipeline.store, pipeline.scheme, pseudonymised.id, admin=True
    )
    assert admin.original == pseudonymised.original
    assert all(s.before for s in admin.segments if s.kind == "pseudonym")


def test_review_queue_is_shortest_first_and_paged(pipeline):
    first = workspace.review_queue(pipeline.store, limit=5)
    second = workspace.review_queue(pipeline.store, offset=5, limit=5)
    assert first.pager.total == second.pager.total > 5
    lengths = [len(pipeline.store.get(r.id).text) for r in first.rows + second.rows]
    assert lengths == sorted(lengths)
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    assert workspace.review_queue(pipeline.store, limit=10_000).pager.limit == 100


def test_keyword_search_shows_where_the_word_is(pipeline):
    long_text = max(pipeline.store.contributions(), key=lambda c: len(c.text))
    word = long_text.text[-60:].split()[2]
    snippet = workspace.snippet(long_text.text, word)
    assert len(snippet) <= 602 and word.lower() in snippet.lower()


@pytest.mark.e2e
def test_corrections_api(sample_site):
    base, keys = sample_site["base"], sample_site["keys"]
    writer = httpx.Client(base_url=base, headers={"X-API-Key": keys["writer"]})
    cluster = writer.get("/v1/clusters", params={"theme": "lien"}).json()[-1]
    other = writer.get("/v1/clusters", params={"theme": "service"}).json()[-1]["id"]
    body = {"kind": "rename_proposal", "target": cluster["id"], "payload": {"label": "Nouveau"}}
    assert httpx.post(f"{base}/v1/corrections", json=body).status_code == 401
    made = writer.post("/v1/corrections", json=body)
    assert made.status_code == 201
    assert made.json()["author"] == "test writer" and made.json()["created_at"]
    assert writer.get(f"/v1/clusters/{cluster['id']}").json()["label"] == "Nouveau"
    bad = [
        ({**body, "target": "lien-inexistante"}, 404, "proposition inconnue"),
        ({**body, "payload": {"label": "  "}}, 422, "invalid request"),
        ({**body, "kind": "delete"}, 422, "invalid request"),
        ({**body, "payload": {"label": "x", "evil": 1}}, 422, "invalid request"),
        ({"kind": "pick_quote", "target": cluster["id"], "payload": {}}, 422, "invalid"),
        (
            {"kind": "move_contribution", "target": "FORM-0001", "payload": {"themes": ["x"]}},
            409,
            "thème inconnu",
        ),
        (
            {"kind": "move_contribution", "target": "nope", "payload": {"themes": ["lien"]}},
            404,
            "contribution inconnue",
        ),
        (
            {"kind": "merge_proposals", "target": cluster["id"], "payload": {"sources": [other]}},
            409,
            "même thème",
        ),
    ]
    total = writer.get("/v1/corrections").json()["total"]
    for request, status, message in bad:
        response = writer.post("/v1/corrections", json=request)
        assert response.status_code == status and message in response.json()["error"], request
    page = writer.get("/v1/corrections", params={"limit": 1}).json()
    assert page["total"] == total and len(page["items"]) == 1
    assert page["items"][0]["id"] == made.json()["id"]
    only = writer.get("/v1/corrections", params={"kind": "rename_proposal"}).json()["items"]
    assert {c["kind"] for c in only} == {"rename_proposal"}


def test_overview_follows_corrections_made_after_it_was_computed(pipeline):
    before = workspace.overview(pipeline.store, pipeline.scheme)
    target = workspace.review_queue(pipeline.store, limit=1).rows[0]
    pipeline.correct("confirm_review", target.id, {"themes": ["lien"]}, author="test")
    after = workspace.overview(pipeline.store, pipeline.scheme)
    assert after.needs_review == before.needs_review - 1
    assert target.id not in {r.id for r in workspace.review_queue(pipeline.store).rows}

"""Placing contributions in proposals fitted elsewhere (clustering/placement.py): a contribution
the fit left out of its grouping sample is placed where the fit put it, whatever partition it
comes in; non-answers and other themes stay out. Real spaCy model, real embedder, the team's
labelled corpus."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.placement import Placement, place
from nlp_assises.datasets import load_labelled

# The shipped split of large groups by a second word (splitting.py) rarely acts on 200
# contributions; forced here on small groups, so that placing must follow it too.
FORCED_SPLIT = {"split_min_parent": 3, "split_share": 0.1, "split_distinct": -1.0}


@pytest.fixture(scope="module", params=[{}, FORCED_SPLIT], ids=["default", "forced_split"])
def fitted(embedder, request):
    """A fit on 200 labelled contributions whose grouping samples 60 sentences a theme, so
    that most sentences are placed by the fit's rule rather than grouped."""
    rows = load_labelled("test")[:200]
    items = [
        Contribution(
            id=r["id"], text=r["text"], themes=[t for t in r["themes"] if t != "hors_theme"]
        )
        for r in rows
    ]
    clusterer = ProposalClusterer(embedder, known=None, max_fit_units=60, **request.param)
    result = clusterer.fit(items, ["participation", "service", "communication", "lien"])
    return clusterer, result, items


def _memberships(members) -> set[tuple]:
    return {(m["cluster_id"], m["contribution_id"], m["unit_start"]) for m in members}


def test_a_contribution_outside_the_grouping_sample_goes_where_the_fit_put_it(fitted):
    clusterer, result, items = fitted
    placement = Placement.from_fit(clusterer, result)
    assert placement.groupings and result.clusters
    # the sentences each theme's grouping sampled: placement may differ for those only
    sampled: set[tuple] = set()
    for theme, fitted in placement.groupings.items():
        grouping = fitted.grouping
        owners = sorted(
            (
                c
                for c in items
                if theme in c.themes and not clusterer.non_answers.is_non_answer(c.text)
            ),
            key=lambda c: (c.text, c.id),
        )  # the fit's order of a theme's sentences: its substantive contributions', by text
        units = clusterer.prepare(owners).units
        sampled |= {(units[i].contribution_id, units[i].start) for i in grouping.sample_}
        for stage in fitted.stages[1:]:  # a leftover pass groups a sample of the leftovers
            grouped = stage.among[stage.grouping.sample_]
            sampled |= {(units[i].contribution_id, units[i].start) for i in grouped}
    placed = place(clusterer, items, placement)
    fit_rows = {r for r in _memberships(result.members) if (r[1], r[2]) not in sampled}
    placed_rows = {r for r in _memberships(placed.members) if (r[1], r[2]) not in sampled}
    assert len(fit_rows) > 20  # most sentences were placed by the rule during the fit
    assert placed_rows == fit_rows
    if clusterer.split_min_parent == FORCED_SPLIT["split_min_parent"]:
        # a sub-group exists: placing routed every sentence as the fit's split did
        subs = {
            f.names.get(sub)
            for f in placement.groupings.values()
            for pairs in f.splits.values()
            for _, sub in pairs
        } - {None}
        assert subs


def test_partitions_and_pickling_change_nothing(fitted):
    clusterer, result, items = fitted
    placement = pickle.loads(pickle.dumps(Placement.from_fit(clusterer, result)))
    whole = place(clusterer, items, placement)
    parts = [place(clusterer, items[k : k + 37], placement) for k in range(0, len(items), 37)]
    assert _memberships(whole.members) == {r for p in parts for r in _memberships(p.members)}
    assert sum((p.theme_sizes for p in parts), start=type(whole.theme_sizes)()) == whole.theme_sizes
    for member in whole.members:
        assert -1.0 <= member["score"] <= 1.0001


def test_non_answers_and_other_themes_stay_out(fitted):
    clusterer, result, items = fitted
    placement = Placement.from_fit(clusterer, result)
    proposal = result.clusters[0]
    source = next(c for c in items if c.id in proposal["contributions"])
    elsewhere = [
        t for t in ("participation", "service", "communication", "lien") if t != proposal["theme"]
    ]
    probes = [
        replace(source, id="copie-sans-theme", themes=elsewhere[:1]),
        Contribution(id="ras", text="RAS", themes=[proposal["theme"]]),
    ]
    placed = place(clusterer, probes, placement)
    assert placed.non_answers == ["ras"]
    assert all(m["cluster_id"] not in {proposal["id"]} for m in placed.members)
    assert all(placement.themes[m["cluster_id"]] in elsewhere[:1] for m in placed.members)

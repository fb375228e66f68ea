"""Writers' corrections on a real run of the pipeline: applied at once, kept across re-clustering,
refused with a clear message when they make no sense, and turned into labelled data."""

from __future__ import annotations

import re

import pytest

from nlp_assises.corrections import CorrectionError


@pytest.fixture
def pipeline(form_pipeline):
    return form_pipeline


def _clusters(pipeline) -> dict:
    return {c.id: c for c in pipeline.store.current_clusters()}


def _members(pipeline, cluster_id) -> set[str]:
    _, rows = pipeline.store.search(cluster=cluster_id, limit=10_000)
    return {contribution.id for contribution, _ in rows}


def _known(clusters) -> list:
    """Clusters of recurring proposals: their ids are slugs, stable by construction."""
    return [c for c in clusters.values() if not re.search(r"-\d{3}$", c.id)]


def test_rename_is_applied_and_survives_reclustering(pipeline):
    cluster = _known(_clusters(pipeline))[0]
    stored = pipeline.correct(
        "rename_proposal", cluster.id, {"label": "  Des  policiers à pied  "}, author="redac-1"
    )
    assert stored["author"] == "redac-1" and stored["created_at"]
    assert _clusters(pipeline)[cluster.id].label == "Des policiers à pied"
    pipeline.cluster_store()
    assert _clusters(pipeline)[cluster.id].label == "Des policiers à pied"


def test_merge_moves_members_and_recounts(pipeline):
    clusters = _clusters(pipeline)
    by_theme: dict[str, list] = {}
    for c in _known(clusters):
        by_theme.setdefault(c.theme, []).append(c)
    kept, gone, *_ = next(cs for cs in by_theme.values() if len(cs) >= 2)
    expected = _members(pipeline, kept.id) | _members(pipeline, gone.id)
    pipeline.correct("merge_proposals", kept.id, {"sources": [gone.id]}, author="redac-2")
    after = _clusters(pipeline)
    assert gone.id not in after
    assert _members(pipeline, kept.id) == expected
    assert after[kept.id].size == len(expected)
    assert after[kept.id].people <= after[kept.id].size
    pipeline.cluster_store()
    assert gone.id not in _clusters(pipeline)
    assert _members(pipeline, kept.id) == expected


def test_split_creates_a_proposal_from_chosen_contributions(pipeline):
    cluster = max(_clusters(pipeline).values(), key=lambda c: c.size)
    members = sorted(_members(pipeline, cluster.id))
    chosen = members[:2]
    stored = pipeline.correct(
        "split_proposal",
        cluster.id,
        {"contribution_ids": chosen, "label": "Une proposition à part"},
        author="redac-3",
    )
    new_id = f"{cluster.id}-s{stored['id']}"
    after = _clusters(pipeline)
    assert after[new_id].label == "Une proposition à part"
    assert _members(pipeline, new_id) == set(chosen)
    assert not set(chosen) & _members(pipeline, cluster.id)
    assert after[cluster.id].size == cluster.size - 2


def test_moving_a_contribution_out_of_a_theme_leaves_its_proposals(pipeline):
    cluster = _known(_clusters(pipeline))[0]
    contribution = sorted(_members(pipeline, cluster.id))[0]
    pipeline.correct("move_contribution", contribution, {"themes": ["hors_theme"]}, author="r")
    assert contribution not in _members(pipeline, cluster.id)
    assert pipeline.store.theme_corrections()[contribution] == ["hors_theme"]
    pipeline.cluster_store()
    assert not pipeline.store.clusters_of(contribution)


def test_picked_quote_comes_first(pipeline):
    cluster = _known(_clusters(pipeline))[-1]
    quote = cluster.quotes[-1]
    pipeline.correct("pick_quote", cluster.id, quote, author="redac-1")
    quotes = _clusters(pipeline)[cluster.id].quotes
    assert quotes[0]["text"] == quote["text"] and quotes[0]["picked"] is True


@pytest.mark.parametrize(
    ("kind", "target", "payload", "message"),
    [
        ("delete_everything", "x", {}, "type de correction inconnu"),
        ("rename_proposal", "lien-inexistant", {"label": "Nouveau"}, "proposition inconnue"),
        ("rename_proposal", "lien-inexistant", {"label": "   "}, "intitulé est vide"),
        ("move_contribution", "inexistante", {"themes": ["service"]}, "contribution inconnue"),
        ("move_contribution", "x", {"themes": ["securite"]}, "thème inconnu 'securite'"),
        ("move_contribution", "x", {"themes": ["service", "hors_theme"]}, "exclut"),
        ("merge_proposals", "lien-x", {"sources": []}, "au moins une autre"),
    ],
)
def test_bad_corrections_are_refused_and_nothing_is_stored(
    pipeline, kind, target, payload, message
):
    before = len(pipeline.store.corrections())
    with pytest.raises(CorrectionError, match=message):
        pipeline.correct(kind, target, payload, author="redac-1")
    assert len(pipeline.store.corrections()) == before


def test_merge_across_themes_is_refused(pipeline):
    clusters = _known(_clusters(pipeline))
    first = clusters[0]
    other = next(c for c in clusters if c.theme != first.theme)
    before = len(pipeline.store.corrections())
    with pytest.raises(CorrectionError, match="même thème"):
        pipeline.correct("merge_proposals", first.id, {"sources": [other.id]}, author="r")
    assert len(pipeline.store.corrections()) == before
    assert other.id in _clusters(pipeline)


def test_merged_emerging_proposals_stay_merged_after_reclustering(pipeline):
    clusters = [c for c in _clusters(pipeline).values() if re.search(r"-\d{3}$", c.id)]
    by_theme: dict[str, list] = {}
    for c in clusters:
        by_theme.setdefault(c.theme, []).append(c)
    kept, gone, *_ = next(cs for cs in by_theme.values() if len(cs) >= 2)
    expected = _members(pipeline, kept.id) | _members(pipeline, gone.id)
    pipeline.correct("merge_proposals", kept.id, {"sources": [gone.id]}, author="redac-2")
    result = pipeline.cluster_store()
    after = _clusters(pipeline)
    assert kept.id in after and gone.id not in after
    assert _members(pipeline, kept.id) >= expected - set(pipeline.store.theme_corrections())
    assert result.params["corrections"]["orphaned"] == []


def test_a_split_follows_its_contributions_into_a_new_run(pipeline):
    """A re-run may group a split's contributions elsewhere in the theme: the writer said they
    make a proposal of their own, so they leave whichever proposal holds them (the split is not
    orphaned), and that proposal loses them and their quotes."""
    from nlp_assises.corrections import Correction, Member, apply_corrections

    result = pipeline.cluster_store()
    discovered = [c for c in result.clusters if re.search(r"-\d{3}$", c["id"])]
    by_theme: dict[str, list] = {}
    for c in discovered:
        by_theme.setdefault(c["theme"], []).append(c)
    first, other = next(cs for cs in by_theme.values() if len(cs) >= 2)[:2]
    chosen = other["contributions"][:2]  # in ``other`` now, split from ``first`` earlier
    info = {r["contribution_id"]: Member(person=r["contribution_id"]) for r in result.members}
    split = Correction(
        "split_proposal", first["id"], {"label": "À part", "contribution_ids": chosen}, id=9999
    )
    run = apply_corrections(result.clusters, result.members, [split], info)
    assert run.orphaned == [] and run.applied == [9999]
    after = {c["id"]: c for c in run.clusters}
    new = after[f"{first['id']}-s9999"]
    assert sorted(new["contributions"]) == sorted(chosen) and new["label"] == "À part"
    if other["id"] in after:  # it may have had only these two
        assert not set(chosen) & set(after[other["id"]]["contributions"])
        assert not {q["contribution_id"] for q in after[other["id"]]["quotes"]} & set(chosen)
    elsewhere = next(t for t in by_theme if t != first["theme"])  # out of the theme: orphaned
    away = by_theme[elsewhere][0]["contributions"][:1]
    split = Correction(
        "split_proposal", first["id"], {"label": "Ailleurs", "contribution_ids": away}, id=9998
    )
    if not set(away) & {i for c in by_theme[first["theme"]] for i in c["contributions"]}:
        assert apply_corrections(result.clusters, result.members, [split], info).orphaned == [9998]


@pytest.mark.slow
def test_writers_theme_corrections_become_training_labels(pipeline, tmp_path, embedder):
    import json

    from nlp_assises.bootstrap import (
        SCHEME_EXAMPLE_WEIGHT,
        WRITER_LABEL_WEIGHT,
        train_default_classifier,
    )
    from nlp_assises.classify import ModelRegistry
    from nlp_assises.datasets import scheme_example_records
    from nlp_assises.scheme import Scheme
    from nlp_assises.settings import Settings

    _, rows = pipeline.store.search(theme="service", limit=1)
    contribution = rows[0][0]
    pipeline.correct("move_contribution", contribution.id, {"themes": ["lien"]}, author="r")
    labels = {r["id"]: r for r in pipeline.writers_labels()}
    assert labels[contribution.id]["themes"] == ["lien"]
    assert labels[contribution.id]["text"] == contribution.text
    settings = Settings(models_dir=tmp_path / "models")
    version = train_default_classifier(
        settings, promote=False, embedder=embedder, extra=list(labels.values())
    )
    card = ModelRegistry(settings.classifiers_dir).path(version) / "model_card.json"
    card = json.loads(card.read_text())
    assert card["extra_labels"] == len(labels)
    # the scheme's short phrases count as several texts when the default learns them; the
    # writers' labels with their own weight
    phrases = len(scheme_example_records(Scheme.default())) if SCHEME_EXAMPLE_WEIGHT > 0 else 0
    relabelled = len(labels) if WRITER_LABEL_WEIGHT != 1 else 0
    assert card["training"]["weighted"] == phrases + relabelled
    assert card["scheme_example_weight"] == SCHEME_EXAMPLE_WEIGHT
    assert card["writer_label_weight"] == WRITER_LABEL_WEIGHT

"""The held-out-proposal folds (bench/proposals_heldout.py) hide what they claim to hide: no
held-out slug among what ``KnownProposals`` learns, no held-out contribution in its training.
A leak there would turn the discovery figures back into recognition figures."""

from __future__ import annotations

import pytest

from nlp_assises.classify.estimator import data_hash
from nlp_assises.clustering.known import NONE
from nlp_assises.datasets import load_labelled, load_proposals
from nlp_assises.errors import ConfigurationError
from nlp_assises.proposal_folds import build_folds, learn_fold, slug_folds, split_scores


@pytest.fixture(scope="module")
def corpus() -> tuple[list[dict], list[dict]]:
    return load_labelled("train"), load_proposals()


def test_folds_partition_the_slugs_and_drop_their_training_contributions(corpus):
    train, catalogue = corpus
    slugs = {p["slug"] for p in catalogue}
    folds = build_folds(train, catalogue, n_folds=5, seed=0)
    held = [f.held_out for f in folds]
    assert set().union(*held) == slugs  # every slug is held out once...
    assert sum(len(h) for h in held) == len(slugs)  # ...and only once
    assert {len(h) for h in held} == {len(slugs) // 5}
    for fold in folds:
        assert fold.learnt == slugs - fold.held_out
        assert not {r["proposal"] for r in fold.train} & fold.held_out
        # everything else stays, the records making no proposal included (the "none" class)
        kept = [r for r in train if r["proposal"] not in fold.held_out]
        assert [r["id"] for r in fold.train] == [r["id"] for r in kept]
        assert any(r["proposal"] is None for r in fold.train)
    assert slug_folds(sorted(slugs), 5, seed=0) == [sorted(h) for h in held]
    assert slug_folds(sorted(slugs), 5, seed=1) != [sorted(h) for h in held]


def test_a_learnt_fold_knows_nothing_of_its_held_out_slugs(corpus, embedder):
    train, catalogue = corpus
    fold = build_folds(train, catalogue, n_folds=5, seed=0)[2]
    model = learn_fold(fold, catalogue, embedder)
    assert set(model.classes_) == set(fold.learnt) | {NONE}
    assert set(model.proposals) == set(fold.learnt)  # not even their written labels
    # it was trained on exactly the fold's records: the card's hash of texts and labels says so
    texts = [r["text"] for r in fold.train]
    assert model.card["training"]["n"] == len(fold.train) < len(train)
    assert model.card["training"]["data_hash"] == data_hash(
        texts, [[r["proposal"] or NONE] for r in fold.train]
    )
    hidden_texts = {r["text"] for r in train if r["proposal"] in fold.held_out}
    assert hidden_texts and not hidden_texts & set(texts)
    # and it never names a held-out slug, not even for contributions that make one
    test = [r for r in load_labelled("test") if r["proposal"] in fold.held_out]
    assert test
    assert not {slug for slug, _ in model.predict([r["text"] for r in test])} & fold.held_out


def test_split_scores_keep_discovery_apart_from_recognition():
    gold = ["a", "a", "b", "b", "x", "x", "y", "y"]
    held = {"x", "y"}
    # learnt a, b recognised; x found as one emerging cluster; one y swallowed by "a"
    predicted = ["a", "a", "b", "b", "e1", "e1", "a", "s1"]
    recognised = ["a", "a", "b", "b", None, None, "a", None]
    scores = split_scores(gold, predicted, held, recognised)
    assert scores["discovery"]["contributions"] == 4
    assert scores["discovery"]["proposals"] == 2
    assert scores["discovery"]["swallowed_by_learnt"] == 1
    assert scores["discovery"]["ari"] < 1.0
    assert scores["recognition"]["ari"] == 1.0
    assert scores["recognition"]["recall"] == 1.0
    assert scores["recognition"]["precision"] == 0.8  # 4 right of 5 put in a learnt proposal
    perfect = split_scores(gold, gold, held)
    assert perfect["discovery"]["ari"] == perfect["overall"]["ari"] == 1.0
    assert "swallowed_by_learnt" not in perfect["discovery"]


def test_fold_count_is_checked(corpus):
    _, catalogue = corpus
    with pytest.raises(ConfigurationError, match="n_folds"):
        slug_folds([p["slug"] for p in catalogue], n_folds=1)


def test_writer_n2_is_read_by_no_proposal_model():
    """Writer N2 scores discovery (bench/proposals_heldout.py): none of its texts may be among
    what ``KnownProposals`` learns, else its never-learnt ideas would be learnt "none"s."""
    from nlp_assises.datasets import load_independent, proposal_training_records

    n2 = load_independent("test")
    assert n2 and {r["writer"] for r in n2} == {"N2"}
    learnt = proposal_training_records()
    assert not {r["id"] for r in n2} & {r["id"] for r in learnt}
    # other writers wrote a few of the same one-liners ("RAS", "Macron démission"), no more
    longer = {r["text"] for r in n2 if len(r["text"].split()) > 5}
    assert not longer & {r["text"] for r in learnt}

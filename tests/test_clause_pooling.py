"""Clause pooling of the theme classifier (``classify/clauses.py``), with the real embedder."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from nlp_assises.classify import ThemeClassifier, load_model
from nlp_assises.classify.clauses import clauses, pool_max, split_clauses, witness_mask
from nlp_assises.datasets import load_labelled
from nlp_assises.errors import ConfigurationError
from nlp_assises.scheme import Scheme

MIXED = (
    "Police de proximité renforcée et rapide à intervenir. Faire payer les casseurs, "
    "des travaux d'intérêt général et des juges plus sévères"
)


def test_a_contribution_splits_into_clauses_of_two_words_or_more():
    assert clauses(MIXED) == [
        "Police de proximité renforcée et rapide à intervenir",
        "Faire payer les casseurs",
        "des travaux d'intérêt général et des juges plus sévères",
    ]
    assert clauses("Plus de policiers - et des caméras ; vite") == [
        "Plus de policiers",
        "et des caméras",
    ]
    assert clauses("Sanctionner, éduquer.") == []  # one-word fragments are not clauses
    assert clauses("Une seule phrase sans coupure") == []
    owners, parts = split_clauses(["Une phrase", MIXED, "Deux mots. Trois mots ici"])
    assert owners.tolist() == [1, 1, 1, 2, 2] and parts[3:] == ["Deux mots", "Trois mots ici"]


def test_pooling_keeps_each_texts_best_score_and_training_its_witness():
    whole = np.array([0.2, -1.0, 0.5])
    owners = np.array([1, 1, 2])
    assert pool_max(whole, owners, np.array([0.7, -3.0, 0.1])).tolist() == [0.2, 0.7, 0.5]
    # text 0 has the theme: only its best clause is learnt; text 1 has not: all its clauses
    y = np.array([1, 0])
    keep = witness_mask(y, np.array([0, 0, 0, 1, 1]), np.array([0.1, 0.9, 0.4, 2.0, -1.0]))
    assert keep.tolist() == [False, True, False, True, True]


@pytest.fixture(scope="module")
def pooled(embedder):
    train = load_labelled("train")[::2]  # half the corpus: enough, and twice as fast
    return ThemeClassifier(embedder, pooling="clauses", cv=2).fit(
        [r["text"] for r in train], [r["themes"] for r in train], Scheme.default()
    )


def test_a_pooled_score_is_the_best_of_the_text_and_its_clauses(pooled):
    whole_only = copy.copy(pooled)
    whole_only.pooling = "text"
    texts = [MIXED, "Mes impôts ont doublé cette année."]
    pooled_scores = pooled.decision_function(texts)
    expected = np.max(
        np.vstack(
            [whole_only.decision_function(texts[:1]), whole_only.decision_function(clauses(MIXED))]
        ),
        axis=0,
    )
    assert np.allclose(pooled_scores[0], expected, atol=1e-5)
    assert np.allclose(pooled_scores[1], whole_only.decision_function(texts[1:])[0])  # one clause
    assert (pooled_scores[0] >= whole_only.decision_function(texts[:1])[0] - 1e-6).all()
    # the regressions learnt from the clauses too: not the text-only model's coefficients
    train = load_labelled("train")[::2]  # half the corpus: enough, and twice as fast
    text_only = ThemeClassifier(pooled.embedder, cv=2).fit(
        [r["text"] for r in train], [r["themes"] for r in train], Scheme.default()
    )
    assert not np.allclose(text_only.coef_, pooled.coef_, atol=1e-3)


def test_pooling_is_saved_and_older_models_load_without_it(pooled, embedder, tmp_path):
    pooled.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m", embedder)
    assert loaded.pooling == "clauses"
    assert np.allclose(loaded.predict_proba([MIXED]), pooled.predict_proba([MIXED]), atol=1e-6)
    card_path = tmp_path / "m" / "model_card.json"
    card = json.loads(card_path.read_text())
    del card["params"]["pooling"]  # as models saved before pooling existed
    card_path.write_text(json.dumps(card))
    assert load_model(tmp_path / "m", embedder).pooling == "text"
    with pytest.raises(ConfigurationError, match="pooling"):
        ThemeClassifier(embedder, pooling="sentences")

"""Hybrid discovery as a fitted estimator (grouping.py) and the lemmas it reads (lemmas.py):
units outside the grouped sample follow the rule written in the docs, predict's chunks change
nothing, the lemmas computed once in ``prepare`` are those a theme's units give. Real spaCy
model, real embedder, the team's labelled corpus."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize

from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.grouping import Context, HybridGrouping
from nlp_assises.clustering.lemmas import LemmaAnalyzer, lemma_pairs
from nlp_assises.clustering.results import Prepared
from nlp_assises.clustering.units import UnitExtractor
from nlp_assises.datasets import load_labelled


@pytest.fixture(scope="module")
def units(embedder):
    """The proposal units of 150 labelled contributions, their embeddings and lemmas."""
    rows = load_labelled("test")[:150]
    found = UnitExtractor().extract([r["id"] for r in rows], [r["text"] for r in rows])
    texts = [u.text for u in found]
    whole = {r["id"]: r["text"] for r in rows}
    owners = [u.contribution_id for u in found]
    ids = list(dict.fromkeys(owners))
    context = Context(ids, [whole[i] for i in ids], embedder.encode([whole[i] for i in ids]))
    return texts, embedder.encode(texts), owners, context, lemma_pairs(texts)


def grouping(lemmas, **params) -> HybridGrouping:
    defaults = {"min_similarity": 0.12, "min_group_size": 2, "max_fit_units": 80}
    analyzer = LemmaAnalyzer.from_pairs(lemmas, drop_generic=False)
    return HybridGrouping(analyzer=analyzer, **(defaults | params))


def test_units_outside_the_sample_join_the_group_they_are_most_similar_to(units):
    texts, embeddings, owners, context, lemmas = units
    model = grouping(lemmas)
    labels = model.fit_predict(texts, embeddings, owners, context)
    sample = model.sample_
    assert len(texts) > 80 and len(sample) == 80 and (model.sample_labels_ != -1).any()
    assert (labels[sample] == model.sample_labels_).all()
    # the rule, the long way: every row, its mean similarity to each group's sampled members
    sim = model.similarity_
    position = {c: k for k, c in enumerate(context.position)}
    whole = sim.transform(context.texts, context.embeddings)
    rows = normalize(sim.transform(texts, embeddings) + 0.5 * whole[[position[o] for o in owners]])
    grouped = model.sample_labels_
    similarity = (rows @ rows[sample].T).toarray()
    rest = np.setdiff1d(np.arange(len(texts)), sample)
    for i in rest:
        means = [similarity[i, grouped == g].mean() for g in range(grouped.max() + 1)]
        best = int(np.argmax(means))
        assert labels[i] == (best if means[best] >= 0.12 else -1)
    assert (labels[rest] != -1).any() and (labels[rest] == -1).any()


def test_predict_in_chunks_gives_the_same_groups(units):
    texts, embeddings, owners, context, lemmas = units
    model = grouping(lemmas).fit(texts, embeddings, owners, context)
    one = model.predict(texts, embeddings, owners, context)
    model.batch_size = 7
    assert (model.predict(texts, embeddings, owners, context) == one).all()
    # a member is nearest its group (a sampled unit left in no group may still reach one: its
    # own group was too small)
    members = model.sample_labels_ != -1
    assert (one[model.sample_][members] == model.sample_labels_[members]).all()


def test_fitted_state_is_small_and_travels(units):
    """What a Dask worker would receive: the fitted estimator, pickled by Dask's transport
    (the analyzer is a plain object, not a closure), predicts the same."""
    texts, embeddings, owners, context, lemmas = units
    model = grouping(lemmas).fit(texts, embeddings, owners, context)
    assert sparse.issparse(model.group_sums_)
    assert model.group_sums_.shape[1] == len(model.group_counts_) == model.sample_labels_.max() + 1
    copy = pickle.loads(pickle.dumps(model))
    assert (copy.predict(texts, embeddings) == model.predict(texts, embeddings)).all()


def test_lemmas_take_each_words_most_frequent_lemma_and_read_text_at_regex_speed():
    analyzer = LemmaAnalyzer.from_pairs(
        [
            (("patrouilles", "patrouille"), ("créer", "créer")),
            (("patrouilles", "patrouiller"),),
            (("patrouilles", "patrouille"),),
        ]
    )
    assert analyzer.lemma_of["patrouilles"] == "patrouille"
    assert analyzer("Créer des patrouilles à pied") == [
        "créer",
        "patrouille",
        "pied",
        "créer patrouille",
        "patrouille pied",
    ]
    generic = analyzer.with_generic(False)
    assert "police" in generic("Plus de police") and "police" not in analyzer("Plus de police")
    assert LemmaAnalyzer.from_dict(analyzer.to_dict())("Créer des patrouilles") == analyzer(
        "Créer des patrouilles"
    )


def test_clitics_are_read_apart_from_their_word_as_spacy_reads_them():
    texts = [
        "Plus d'éducation civique et l'éducation des parents",
        "Faut-il des amendes ? Qu'ils paient l’amende !",
        "éducation, amendes",
    ]
    analyzer = LemmaAnalyzer.from_pairs(lemma_pairs(texts))
    words = {w for t in texts for w in analyzer(t) if " " not in w}
    assert {"éducation", "amende", "civique", "parent"} <= words
    # no elided article or pronoun glued to a word, no inverted pronoun, in any lemma
    assert not any("'" in w or "’" in w or w.endswith("-il") for w in words), words
    assert analyzer("l'éducation") == analyzer("éducation") == ["éducation"]
    # an analyzer saved before the option existed reads words whole, as it was fitted
    saved = {k: v for k, v in analyzer.to_dict().items() if k != "split_clitics"}
    assert LemmaAnalyzer.from_dict(saved)("l'éducation") == ["l'éducation"]
    assert LemmaAnalyzer.from_dict(analyzer.to_dict())("l'éducation") == ["éducation"]


def test_prepare_lemmatises_each_unit_once_and_fit_gives_the_same_without_them(embedder):
    rows = [r for r in load_labelled("test") if r["proposal"]][:120]
    items = [Contribution(r["id"], r["text"], r["themes"][:1]) for r in rows]
    clusterer = ProposalClusterer(embedder, known=None, min_group_size=2)
    prepared = clusterer.prepare(items)
    assert len(prepared.lemmas) == len(prepared.units)
    assert prepared.lemmas == lemma_pairs([u.text for u in prepared.units])
    halves = Prepared.merge([clusterer.prepare(items[:60]), clusterer.prepare(items[60:])])
    assert halves.lemmas == prepared.lemmas and halves.units == prepared.units
    themes = sorted({t for c in items for t in c.themes})
    with_lemmas = clusterer.fit(items, themes, prepared=prepared)
    without = clusterer.fit(
        items, themes, prepared=Prepared(units=prepared.units, known=prepared.known)
    )
    assert with_lemmas.clusters and with_lemmas.clusters == without.clusters


def test_saved_state_predicts_the_same(units, tmp_path):
    """JSON + npz (no pickle): vocabularies, IDF, lemma table, group sums."""
    texts, embeddings, owners, context, lemmas = units
    model = grouping(lemmas).fit(texts, embeddings, owners, context)
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grouping.json", "grouping.npz"]
    loaded = HybridGrouping.load(tmp_path)
    expected = model.predict(texts, embeddings, owners, context)
    assert (loaded.predict(texts, embeddings, owners, context) == expected).all()
    assert (expected != -1).any()


def test_the_grouped_sample_and_its_groups_do_not_depend_on_the_order_of_the_units(units):
    """The sample is chosen by content (``sampling.content_order``): the same units in another
    order are grouped the same, and units left out of the input leave the sample only by
    themselves (a positional draw gave the real answers' groups at ARI 0.7 of each other)."""
    texts, embeddings, owners, context, lemmas = units
    whole = [context.texts[context.position[o]] for o in owners]
    keys = [f"{t}\x00{w}" for t, w in zip(texts, whole, strict=True)]
    model = grouping(lemmas)
    labels = model.fit_predict(texts, embeddings, owners, context)
    order = np.random.default_rng(0).permutation(len(texts))
    shuffled = grouping(lemmas)
    again = shuffled.fit_predict(
        [texts[i] for i in order], embeddings[order], [owners[i] for i in order], context
    )
    assert {keys[i] for i in model.sample_} == {keys[order[i]] for i in shuffled.sample_}
    assert (again == labels[order]).all()  # the same groups, numbered alike

    outside = np.setdiff1d(np.arange(len(texts)), model.sample_)[:10]
    kept = np.setdiff1d(np.arange(len(texts)), outside)
    smaller = grouping(lemmas).fit(
        [texts[i] for i in kept], embeddings[kept], [owners[i] for i in kept], context
    )
    assert {keys[kept[i]] for i in smaller.sample_} == {keys[i] for i in model.sample_}


def test_repeated_keys_enter_the_sample_one_by_one():
    from nlp_assises.clustering.sampling import content_order

    keys = ["Éduquer"] * 50 + [f"idée {k}" for k in range(50)]
    chosen = content_order(keys, 50, seed=3)
    assert len(set(chosen.tolist())) == 50
    assert 0 < sum(keys[i] == "Éduquer" for i in chosen) < 50
    assert (content_order(keys, 50, seed=3) == chosen).all()
    assert set(content_order(keys, 50, seed=4).tolist()) != set(chosen.tolist())

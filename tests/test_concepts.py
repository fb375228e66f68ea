"""Core words counted as concepts (clustering/concepts.py): a member that says its group's
proposal with a word close in meaning stays, an unrelated one still leaves, a new unit is placed
by the same rule, and the check travels as JSON. Real spaCy model (its static vectors), real
embedder."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.coherence import CoherenceCheck
from nlp_assises.clustering.concepts import concept_table, word_vectors
from nlp_assises.clustering.grouping import HybridGrouping
from nlp_assises.clustering.hybrid import HybridDiscovery
from nlp_assises.clustering.lemmas import LemmaAnalyzer, lemma_pairs

# one proposal said with "prison" by most, with "pénitencier" (a synonym) by one; an answer
# about street lights put in the group; and a second group
PRISON = [
    (0, "a", "Envoyer les casseurs en prison"),
    (0, "b", "La prison pour les dealers du quartier"),
    (0, "c", "Construire plus de places de prison"),
    (0, "d", "Mettre les récidivistes en prison"),
    (0, "e", "Le pénitencier pour les multirécidivistes"),
    (0, "f", "Installer des lampadaires dans les rues"),
    (1, "g", "Installer des caméras dans les parkings"),
    (1, "h", "Des caméras devant les écoles"),
    (1, "i", "Installer des caméras dans les halls d'immeuble"),
]
CUT = 0.7
# answers on other subjects, one each: a group of the discovery holds at most 15 % of a
# theme's contributions, so the groups above need a theme of 40 or so
OTHERS = [
    "Ouvrir la médiathèque le dimanche",
    "Réduire les impôts locaux des retraités",
    "Planter des arbres le long du canal",
    "Organiser un marché de producteurs bio",
    "Créer une piste cyclable vers la gare",
    "Rénover la piscine municipale",
    "Aider les associations sportives",
    "Proposer des cours de théâtre aux seniors",
    "Nettoyer les plages chaque printemps",
    "Construire une crèche intercommunale",
    "Subventionner les panneaux solaires",
    "Moderniser le site internet de la mairie",
    "Accueillir un festival de jazz en été",
    "Aménager un jardin partagé au centre",
    "Rouvrir le bureau de poste du village",
    "Augmenter la fréquence des bus le soir",
    "Soutenir les librairies indépendantes",
    "Développer le covoiturage entre communes",
    "Limiter les pesticides dans les champs",
    "Former les bénévoles au numérique",
    "Offrir des tickets de cinéma aux étudiants",
    "Restaurer la chapelle romane",
    "Trier les déchets à la cantine",
    "Recruter des médecins généralistes",
    "Agrandir le parking du stade",
    "Fleurir les ronds-points",
    "Créer un conseil municipal des enfants",
    "Baisser le prix de l'eau",
    "Améliorer le réseau de téléphonie mobile",
    "Ouvrir une épicerie solidaire",
]


@pytest.fixture(scope="module")
def words():
    texts = [t for *_, t in PRISON]
    return LemmaAnalyzer.from_pairs(lemma_pairs(texts), drop_generic=True)


def _check(words, concepts: bool) -> CoherenceCheck:
    check = CoherenceCheck(words, core_share=0.5, min_size=3)
    if concepts:
        check.learn_concepts([t for *_, t in PRISON], [o for _, o, _ in PRISON], CUT)
    return check


def test_a_paraphrase_stays_and_an_unrelated_member_still_leaves(words):
    """With lemmas, the "pénitencier" answer leaves the prison group (its core word is
    "prison"); with concepts it carries the core concept and stays; the answer about street
    lights leaves either way, and the camera group is untouched."""
    labels = np.array([g for g, *_ in PRISON])
    texts, owners = [t for *_, t in PRISON], [o for _, o, _ in PRISON]
    lemmas = _check(words, concepts=False).refine(labels, texts, owners)
    assert lemmas.tolist() == [0, 0, 0, 0, -1, -1, 1, 1, 1]
    check = _check(words, concepts=True)
    assert check.concepts["pénitencier"] == check.concepts["prison"]
    assert check.concepts["lampadaire"] != check.concepts["prison"]
    assert check.refine(labels, texts, owners).tolist() == [0, 0, 0, 0, 0, -1, 1, 1, 1]
    assert check.carried_.tolist() == [1, 1, 1, 1, 1, 0, 2, 1, 2]  # caméra, installer


def test_concepts_are_led_by_the_most_carried_word_in_any_order():
    """The table does not depend on the order the words come in; a word carried once joins a
    concept but never leads one; a word without a vector is its own concept."""
    counts = Counter({"prison": 5, "pénitencier": 1, "bagne": 1, "caméra": 3, "zzqxw": 2})
    table = concept_table(counts, word_vectors(sorted(counts)), cut=CUT)
    assert table["pénitencier"] == table["bagne"] == "prison"
    assert table["caméra"] == "caméra" and table["zzqxw"] == "zzqxw"
    alone = Counter({"pénitencier": 1, "bagne": 1})
    assert concept_table(alone, word_vectors(sorted(alone)), cut=CUT) == {
        "bagne": "bagne",
        "pénitencier": "pénitencier",
    }


def test_a_new_unit_is_placed_by_the_same_concepts(embedder):
    """Fitted with concepts, the "pénitencier" answer stays in the prison proposal and a new
    answer that says "pénitencier" joins it; fitted with lemmas, the same grouping puts both
    there but the check leaves them out. A new answer about street lights that the grouping
    puts there too is left out either way."""
    texts = [t for *_, t in PRISON] + OTHERS
    owners = [o for _, o, _ in PRISON] + [f"o{k}" for k in range(len(OTHERS))]
    new = ["Envoyer les dealers au pénitencier", "Des lampadaires pour les dealers du quartier"]
    placed = {}
    for concepts in (None, CUT):
        grouping = HybridGrouping(
            min_similarity=0.05,
            context_weight=0.0,
            analyzer=LemmaAnalyzer.from_pairs(lemma_pairs(texts), drop_generic=False),
        )
        discovery = HybridDiscovery(grouping, core_concepts=concepts, leftover_passes=0)
        topics = discovery.fit_predict(texts, embedder.encode(texts), owners)
        prison = topics[0]
        assert prison != -1 and (topics[:4] == prison).all()
        assert (grouped_as(grouping, len(texts))[:5] == grouping_label(discovery)).all()
        assert (topics[4] == prison) == (concepts is not None)
        fitted = discovery.placing_
        grouped = fitted.stages[0].grouping.predict(new, embedder.encode(new), ["x", "y"])
        assert (grouped == grouping_label(discovery)).all()  # before the check: the group
        placed[concepts] = fitted.place(new, embedder.encode(new), ["x", "y"], None)
    assert placed[None] == [None, None]
    assert placed[CUT] == [prison, None]


def test_the_check_is_saved_as_json_and_reads_the_same(words, tmp_path):
    check = _check(words, concepts=True)
    check.rescue = 0.6
    check.save(tmp_path)
    assert (tmp_path / "coherence.json").read_text(encoding="utf-8").startswith("{")
    loaded = CoherenceCheck.load(tmp_path)
    assert loaded.concepts == check.concepts and loaded.light_words == check.light_words
    assert loaded.rescue == 0.6 and loaded.prefix is None
    texts = [t for *_, t in PRISON] + ["Le bagne pour les casseurs"]
    assert [loaded.bag(t) for t in texts] == [check.bag(t) for t in texts]
    labels, owners = np.array([g for g, *_ in PRISON]), [o for _, o, _ in PRISON]
    same = loaded.refine(labels, texts[:-1], owners).tolist()
    assert same == check.refine(labels, texts[:-1], owners).tolist()


def test_the_clusterer_takes_the_cut_as_a_parameter(embedder):
    items = [Contribution(id=o, text=t, themes=["service"]) for _, o, t in PRISON]
    result = ProposalClusterer(embedder, known=None, core_concepts=CUT).fit(items, ["service"])
    assert result.params["core_concepts"] == CUT
    default = ProposalClusterer(embedder, known=None)
    assert default.get_params()["core_concepts"] is None


def test_a_member_close_to_those_with_the_core_word_is_rescued_and_placed_alike(embedder):
    """``rescue``: a member without the core word stays when its centred sentence embedding
    reaches the cut with the centroid of the members that carry it; just above its cosine it
    leaves. A new unit is placed by the same comparison with the same centroid."""
    texts = [t for *_, t in PRISON] + OTHERS
    owners = [o for _, o, _ in PRISON] + [f"o{k}" for k in range(len(OTHERS))]
    vectors = embedder.encode(texts)
    new = ["Le pénitencier pour les casseurs", "Des lampadaires pour les dealers du quartier"]

    def fit(rescue):
        grouping = HybridGrouping(
            min_similarity=0.05,
            context_weight=0.0,
            analyzer=LemmaAnalyzer.from_pairs(lemma_pairs(texts), drop_generic=False),
        )
        discovery = HybridDiscovery(grouping, core_rescue=rescue, leftover_passes=0)
        return discovery, discovery.fit_predict(texts, vectors, owners)

    discovery, topics = fit(None)
    prison = topics[0]
    assert topics[4] == -1  # "pénitencier": no core word
    centred = discovery.grouping.similarity_.centred(vectors)
    centroid = centred[topics == prison].mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    cosine = float(centred[4] @ centroid)
    assert fit(cosine + 0.01)[1][4] == -1
    discovery, topics = fit(cosine - 0.01)
    assert topics[4] == prison and (topics[:4] == prison).all()
    stage = discovery.placing_.stages[0]
    assert np.allclose(stage.centroids[grouping_label(discovery)], centroid)
    placed = discovery.placing_.place(new, embedder.encode(new), ["x", "y"], None)
    grouped = stage.grouping.predict(new, embedder.encode(new), ["x", "y"])
    close = stage.grouping.similarity_.centred(embedder.encode(new)) @ centroid >= cosine - 0.01
    for k in range(2):
        expected = prison if grouped[k] == grouping_label(discovery) and close[k] else None
        assert placed[k] == expected
    assert (grouped == grouping_label(discovery)).all()  # both put in the prison group,
    assert placed[0] == prison and placed[1] is None  # the comparison decided both ways


def grouped_as(grouping, n: int) -> np.ndarray:
    """Each of the ``n`` units' group in the grouping's sample (-1: not sampled or in none);
    the sample is in the order of its hash, not of the units (``sampling.py``)."""
    labels = np.full(n, -1)
    labels[grouping.sample_] = grouping.sample_labels_
    return labels


def grouping_label(discovery) -> int:
    """The prison group's number in the first pass's grouping (before the check): the first
    unit's."""
    grouping = discovery.grouping
    return int(grouping.sample_labels_[np.flatnonzero(grouping.sample_ == 0)[0]])

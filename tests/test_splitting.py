"""A large group split by a distinct second word (clustering/splitting.py): real spaCy lemmas,
real embedder; the sentences are written for the test (real answers stay out of the repo), and
the real answers are read from ../shared when it is there."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp_assises.clustering import Contribution
from nlp_assises.clustering.splitting import KeywordSplit
from tests.conftest import REPO, SHARED
from tests.proposal_scores import supported_share

REALDATA = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"
REAL_LABELS = REPO / "data" / "labels" / "realdata_proposals.jsonl"

PURE = [
    "De la pédagogie avant tout",
    "Plus de pédagogie",
    "La pédagogie",
    "Faire de la pédagogie auprès des jeunes",
    "Pédagogie, encore de la pédagogie",
    "Miser sur la pédagogie",
    "Une vraie pédagogie dans les quartiers",
    "Développer la pédagogie",
    "Pédagogie et dialogue",
    "La pédagogie dès le plus jeune âge",
    "Faire œuvre de pédagogie",
    "Pédagogie auprès des habitants",
]
SANCTION = [
    "Pédagogie et sanctions",
    "De la pédagogie puis des sanctions",
    "Pédagogie mais aussi sanction",
    "Sanction et pédagogie",
    "La pédagogie d'abord, la sanction ensuite",
]
REPRESSION = [
    "Pédagogie et répression",
    "Pédagogie puis répression",
    "La répression après la pédagogie",
    "Pédagogie, répression si besoin",
]
TEXTS = PURE + SANCTION + REPRESSION


@pytest.fixture(scope="module")
def embedder():
    from nlp_assises.embedding import load_embedder
    from nlp_assises.settings import Settings

    return load_embedder(Settings().models_dir / "embedders" / "static-fr-core-news-md")


@pytest.fixture(scope="module")
def parts(embedder):
    """The group as the clusterer reads it: the check's words, core words, centred vectors."""
    from nlp_assises.clustering.coherence import CoherenceCheck
    from nlp_assises.clustering.discovery import HybridSimilarity
    from nlp_assises.clustering.lemmas import LemmaAnalyzer, lemma_pairs

    check = CoherenceCheck(LemmaAnalyzer.from_pairs(lemma_pairs(TEXTS), drop_generic=True))
    bags = [check.bag(t) for t in TEXTS]
    owners = [f"c{i}" for i in range(len(TEXTS))]
    labels = np.zeros(len(TEXTS), dtype=int)
    cores = check.cores(labels, bags, owners)
    embeddings = embedder.encode(TEXTS)
    vectors = HybridSimilarity().fit(TEXTS, embeddings).centred(embeddings)
    return check, labels, bags, owners, vectors, cores


def test_a_large_group_is_split_by_its_members_second_word(parts):
    """ "pédagogie" is the group's core word; those who add "sanction" or "répression" make a
    compound proposal and form its sub-groups; the others stay; a new sentence that says
    "sanction" goes where the fit put those who say it."""
    check, labels, bags, owners, vectors, cores = parts
    assert "pédagogie" in cores[0]
    split = KeywordSplit(min_parent=20, share=0.1, min_size=3, min_distinct=0.0)
    refined = split.refine(labels, bags, owners, vectors, cores)
    n_pure, n_sanction = len(PURE), len(SANCTION)
    assert set(refined[:n_pure].tolist()) == {0}  # the pure ones stay in the parent
    sanction = set(refined[n_pure : n_pure + n_sanction].tolist())
    repression = set(refined[n_pure + n_sanction :].tolist())
    assert len(sanction) == 1 and len(repression) == 1 and sanction != repression
    assert 0 not in sanction | repression
    words = [w for w, _ in split.splits_[0]]
    assert words == ["sanction", "répression"]  # the most carried first
    new = check.bag("Un peu de pédagogie et des sanctions")
    assert KeywordSplit.route(0, new, split.splits_) == sanction.pop()
    assert KeywordSplit.route(0, check.bag("Toujours plus de pédagogie"), split.splits_) == 0


def test_small_groups_and_indistinct_words_are_not_split(parts):
    """Below ``min_parent`` contributions nothing moves; nor when the carriers of the second
    word are not closer to each other than to the rest by ``min_distinct``."""
    _, labels, bags, owners, vectors, cores = parts
    small = KeywordSplit(min_parent=len(TEXTS) + 1, min_distinct=0.0)
    assert small.refine(labels, bags, owners, vectors, cores).tolist() == labels.tolist()
    assert small.splits_ == {}
    strict = KeywordSplit(min_parent=20, min_distinct=1.0)
    assert strict.refine(labels, bags, owners, vectors, cores).tolist() == labels.tolist()


@pytest.mark.skipif(not REALDATA.is_file(), reason="../shared/realdata is absent")
def test_the_split_loses_no_real_answer_beside_answers_making_their_proposal(embedder):
    """All 7,237 real answers clustered as one open question, as shipped: among the labelled
    DEV answers of a proposal, the share making the proposal most of the others make
    (bench/proposals_real.py's ``supported``) is not lower with the split than without it by
    more than one run's noise, and as many labelled answers are clustered. The split was chosen
    on the first 431 DEV answers, where it gained 0.045; over five resamples that each leave out
    1 % of the unlabelled answers it gains 0.006 on DEV (seed by seed −0.009 to +0.025) and
    0.027 on TEST, while one full-file run can show −0.012 (docs/proposals.md, *How much one
    run owes to the exact set of answers*). So this guards against a real loss (more than
    0.03), not the sign of one draw."""
    from nlp_assises.cleaning import Cleaner
    from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache
    from nlp_assises.open_question import cluster_items

    labels = [json.loads(x) for x in REAL_LABELS.read_text(encoding="utf-8").splitlines() if x]
    records = [json.loads(x) for x in REALDATA.read_text(encoding="utf-8").splitlines()]
    cleaned = Cleaner(detect_language=False).clean_many([r["text"] for r in records])
    items = [
        Contribution(id=r["id"], text=c.text, themes=[])
        for r, c in zip(records, cleaned, strict=True)
    ]
    gold = {
        r["id"]: r["proposals"]
        for r in labels
        if r["split"] == "dev" and r["substantive"] and r["proposals"]
    }
    cached = CachedEmbedder(embedder, MemoryEmbeddingCache())

    def scores(**params) -> tuple[float, int]:
        return supported_share(cluster_items(items, cached, **params).assignments, gold)

    (split, clustered), (whole, clustered_whole) = scores(), scores(split_share=None)
    print(f"supported: with the split {split:.3f}, without {whole:.3f}")
    assert split >= whole - 0.03
    assert clustered >= clustered_whole

"""One theme's discovered groups, as ``ProposalClusterer.fit`` needs them.

The discovery path the clusterer was set with runs over one theme's proposal units: the hybrid
path (``hybrid.HybridDiscovery`` over ``grouping.HybridGrouping``, with the coherence check, the
leftover passes and the split by a second word) or the previous UMAP + HDBSCAN path
(``topics.UmapHdbscan``). Each unit gets its group (-1: none), each group its keywords. Kept apart
from the clusterer so that its module holds the run over themes and this one the work in one
theme. The question's words (``question``) are never a core word nor a keyword, so answers that
only repeat the question make no proposal of it.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from nlp_assises.clustering.coherence import LIGHT_WORDS
from nlp_assises.clustering.grouping import Context, HybridGrouping
from nlp_assises.clustering.hybrid import HybridDiscovery
from nlp_assises.clustering.lemmas import LemmaAnalyzer, LemmaPairs, question_words
from nlp_assises.clustering.metric import ProposalMetric
from nlp_assises.clustering.placement import FittedTheme
from nlp_assises.clustering.results import Contribution
from nlp_assises.clustering.splitting import KeywordSplit
from nlp_assises.clustering.topics import UmapHdbscan, represent
from nlp_assises.clustering.units import Unit
from nlp_assises.embedding.base import Embedder


class DiscoverySettings(Protocol):
    """The settings one theme's discovery reads: ``ProposalClusterer``'s (its docstring says
    what each does). A protocol, so that this module need not import the clusterer, which
    imports it."""

    embedder: Embedder
    discovery: str
    spacy_model: str
    question: str | None
    random_state: int
    max_fit_units: int | None
    outlier_threshold: float
    word_weight: float
    char_weight: float
    context_weight: float
    min_similarity: float
    min_group_size: int
    attach_similarity: float | None
    metric: ProposalMetric | None
    core_share: float | None
    core_prefix: int | None
    core_concepts: float | None
    core_rescue: float | None
    core_from_size: int | None
    core_min_part: float | None
    check_leftovers: bool
    leftover_passes: int
    split_share: float | None
    split_min_parent: int
    split_distinct: float


class ThemeGroups(NamedTuple):
    """One theme's groups: ``topics`` (each unit's group, -1: none), ``keywords`` (by group),
    ``carried`` (per unit, how many of its group's core words it says, ``coherence.py``; zeros
    without the check) and ``placing`` (what placing other units needs; None on the UMAP +
    HDBSCAN path)."""

    topics: np.ndarray
    keywords: dict[int, list[str]]
    carried: np.ndarray
    placing: FittedTheme | None


def discover_theme(
    clusterer: DiscoverySettings,
    units: list[Unit],
    embeddings: np.ndarray,
    lemmas: list[LemmaPairs],
    by_id: dict[str, Contribution],
    bertopic_params: dict,
) -> ThemeGroups:
    """One theme's groups of ``units`` by ``clusterer``'s discovery path and settings
    (``embeddings`` and ``lemmas``: one a unit; ``by_id``: their contributions;
    ``bertopic_params``: BERTopic's settings, for the UMAP + HDBSCAN path and the keywords)."""
    texts = [u.text for u in units]
    carried = np.zeros(len(units), dtype=int)
    if clusterer.discovery == "umap_hdbscan":
        topics, keywords = UmapHdbscan(
            clusterer.embedder,
            outlier_threshold=clusterer.outlier_threshold,
            max_fit_units=clusterer.max_fit_units,
            **bertopic_params,
        ).fit_predict(texts, embeddings, lemmas)
        return ThemeGroups(topics, keywords, carried, None)
    owners = [u.contribution_id for u in units]
    context = None
    if clusterer.context_weight:  # a sentence read with its whole contribution
        ids = list(dict.fromkeys(owners))
        whole = [by_id[i].text for i in ids]
        context = Context(ids, whole, clusterer.embedder.encode(whole))
    analyzer = LemmaAnalyzer.from_pairs(lemmas, drop_generic=False)
    asked = frozenset()  # the question's words: never a core word nor a keyword
    if clusterer.question:
        asked = question_words(clusterer.question, analyzer, clusterer.spacy_model)
    discovery = hybrid_discovery(clusterer, analyzer, asked)
    topics = discovery.fit_predict(texts, embeddings, owners, context)
    carried, placing = discovery.carried_, discovery.placing_
    keywords = represent(
        clusterer.embedder,
        discovery.grouping.analyzer.with_generic(True),
        texts,
        embeddings,
        topics,
        **bertopic_params,
    )
    if asked:
        keywords = drop_question_words(keywords, asked)
    return ThemeGroups(topics, keywords, carried, placing)


def hybrid_discovery(
    clusterer: DiscoverySettings, analyzer: LemmaAnalyzer, asked: frozenset[str]
) -> HybridDiscovery:
    """The hybrid path, unfitted, with ``clusterer``'s settings: its grouping reads ``analyzer``
    and ``asked`` (the question's words) joins the words that are never a group's core word."""
    grouping = HybridGrouping(
        word_weight=clusterer.word_weight,
        char_weight=clusterer.char_weight,
        context_weight=clusterer.context_weight,
        min_similarity=clusterer.min_similarity,
        min_group_size=clusterer.min_group_size,
        attach_similarity=clusterer.attach_similarity,
        max_fit_units=clusterer.max_fit_units,
        random_state=clusterer.random_state,
        analyzer=analyzer,
        metric=clusterer.metric,
    )
    return HybridDiscovery(
        grouping,
        core_share=clusterer.core_share,
        core_prefix=clusterer.core_prefix,
        core_concepts=clusterer.core_concepts,
        core_rescue=clusterer.core_rescue,
        core_from_size=clusterer.core_from_size,
        core_min_part=clusterer.core_min_part,
        check_leftovers=clusterer.check_leftovers,
        leftover_passes=clusterer.leftover_passes,
        split=KeywordSplit(
            min_parent=clusterer.split_min_parent,
            share=clusterer.split_share,
            min_size=clusterer.min_group_size,
            min_distinct=clusterer.split_distinct,
        )
        if clusterer.split_share is not None
        else None,
        spacy_model=clusterer.spacy_model,
        light_words=LIGHT_WORDS | asked,
    )


def drop_question_words(
    keywords: dict[int, list[str]], asked: frozenset[str]
) -> dict[int, list[str]]:
    """``keywords`` without those made only of the question's words: every answer repeats them,
    so they tell no group from another."""
    return {
        topic: [k for k in words if not set(k.split()) <= asked]
        for topic, words in keywords.items()
    }

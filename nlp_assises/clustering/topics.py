"""BERTopic in the clusterer: the model as the clusterer builds it (our embedder, UMAP,
HDBSCAN, the lemma vectorizer, KeyBERT-inspired + MMR representations), the representation of
groups found elsewhere (keywords), and the previous discovery path, UMAP + HDBSCAN
(``discovery="umap_hdbscan"``).

The hybrid path's groups come from ``grouping.py``; BERTopic only represents them, with its
reduce and cluster steps skipped (``BaseDimensionalityReduction``, ``BaseCluster``)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np

from nlp_assises.clustering.labels import clean_keywords
from nlp_assises.clustering.lemmas import LemmaAnalyzer, LemmaPairs
from nlp_assises.clustering.sampling import content_order
from nlp_assises.embedding.base import Embedder


def min_topic_size(n_units: int, min_cluster_size: int | None = None) -> int:
    """HDBSCAN's smallest cluster: ``min_cluster_size``, else 2 % of the units (at least 3)."""
    if min_cluster_size:
        return min_cluster_size
    return max(3, round(0.02 * n_units))


def _backend(embedder: Embedder, batch_size: int = 2048):
    """BERTopic's embedding backend over our embedder, whatever it is (a sentence-transformers
    folder, USE, E5): BERTopic must never pick or download one itself, and KeyBERT-inspired
    needs one to embed each topic's candidate words. A sentence-transformers model is encoded
    in large batches: KeyBERT-inspired embeds every candidate word of every topic, and at the
    default 32 a batch the call overhead dominates (static embeddings do not depend on the
    batch)."""
    from bertopic.backend import BaseEmbedder

    model = getattr(embedder, "model", None)
    if "sentence_transformers" in str(type(model)):

        class Batched(BaseEmbedder):  # BERTopic's SentenceTransformerBackend, larger batches
            def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
                return self.embedding_model.encode(
                    documents, batch_size=batch_size, show_progress_bar=verbose
                )

        return Batched(embedding_model=model)

    class Ours(BaseEmbedder):  # any other Embedder through its own encode
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return embedder.encode(list(documents), show_progress=verbose)

    return Ours()


def build_bertopic(
    embedder: Embedder,
    analyzer: LemmaAnalyzer,
    n_units: int,
    *,
    min_cluster_size: int | None = None,
    n_neighbors: int = 15,
    n_components: int = 5,
    random_state: int = 42,
    top_n_words: int = 8,
):
    """BERTopic with every step given explicitly (never a hub default); ``top_n_words``: the
    words kept per topic."""
    from bertopic import BERTopic
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    size = min_topic_size(n_units, min_cluster_size)
    umap_model = UMAP(
        n_neighbors=max(2, min(n_neighbors, n_units - 1)),
        n_components=max(2, min(n_components, n_units - 2)),
        min_dist=0.0,
        metric="cosine",
        random_state=random_state,
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=size,
        min_samples=max(1, size // 2),
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=True,
    )
    vectorizer = CountVectorizer(analyzer=analyzer, min_df=1)
    representation = [
        KeyBERTInspired(top_n_words=top_n_words + 2, random_state=random_state),
        MaximalMarginalRelevance(diversity=0.3, top_n_words=top_n_words),
    ]
    return BERTopic(
        language="french",
        embedding_model=_backend(embedder),
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=vectorizer,
        representation_model=representation,
        min_topic_size=size,
        calculate_probabilities=False,
        verbose=False,
    )


# BERTopic joins a group's members with spaces before counting its words; this mark ends each
# member so that the analyzer never pairs the last word of one with the first of the next.
_MEMBER_END = "\u2029"


class _MemberByMember:
    """An analyzer read member by member over BERTopic's joined text (see ``_MEMBER_END``)."""

    def __init__(self, analyzer: LemmaAnalyzer) -> None:
        self.analyzer = analyzer

    def __call__(self, text: str) -> list[str]:
        return [token for part in text.split(_MEMBER_END) for token in self.analyzer(part)]


def represent(
    embedder: Embedder,
    analyzer: LemmaAnalyzer,
    texts: Sequence[str],
    embeddings: np.ndarray,
    topics: np.ndarray,
    *,
    min_members: int = 2,
    **params,
) -> dict[int, list[str]]:
    """Keywords of given groups (``topics``, -1: none): BERTopic's c-TF-IDF over lemmas then
    KeyBERT-inspired + MMR, its reduce and cluster steps skipped; ``params``: those of
    :func:`build_bertopic`. A keyword is said by at least ``min_members`` of its group's
    members (all of them in a smaller group): a word one member wrote once is no keyword of
    what the group says."""
    topics = np.asarray(topics)
    if not (topics != -1).any():
        return {}
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction

    params.setdefault("top_n_words", 24)  # candidates: those said by too few members go
    model = build_bertopic(embedder, _MemberByMember(analyzer), len(texts), **params)
    model.umap_model = BaseDimensionalityReduction()
    model.hdbscan_model = BaseCluster()
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    model.fit_transform([f"{text}{_MEMBER_END}" for text in texts], embeddings=embeddings, y=topics)
    # BERTopic renumbers the given groups by size (largest first): read each group's words under
    # the id BERTopic gave it, or a group would show another group's keywords.
    renumbered = dict(zip(topics.tolist(), model.topics_, strict=True))
    sizes = Counter(topics.tolist())
    said: dict[int, Counter[str]] = {}
    for text, topic in zip(texts, topics.tolist(), strict=True):
        if topic != -1:
            said.setdefault(topic, Counter()).update(list(dict.fromkeys(analyzer(text))))
    keywords = {}
    for topic, counts in said.items():
        enough = min(min_members, sizes[topic])
        words = [w for w, _ in (model.get_topic(renumbered[topic]) or [])]
        words = [w for w in words if counts[w] >= enough]
        if len(words) < 3:  # then the words most of its members say
            words += [w for w, n in counts.most_common(8) if n >= enough and w not in words]
        keywords[topic] = clean_keywords(words)
    return keywords


def nearest_centroid(
    vectors: np.ndarray, centroids: np.ndarray, batch: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row's nearest centroid (by cosine) and that cosine, in bounded memory."""
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    centroids = (centroids / norms).astype(np.float32)
    index = np.empty(len(vectors), dtype=np.int64)
    best = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), batch):
        scores = vectors[start : start + batch] @ centroids.T
        index[start : start + batch] = scores.argmax(axis=1)
        best[start : start + batch] = scores.max(axis=1)
    return index, best


class UmapHdbscan:
    """The previous discovery: BERTopic (UMAP + HDBSCAN + outlier reduction) on at most
    ``max_fit_units`` units (a sample chosen by their text, ``sampling.py``); the others join
    the nearest topic centroid when their cosine reaches ``outlier_threshold``, as BERTopic's
    own outlier reduction does."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        min_cluster_size: int | None = None,
        n_neighbors: int = 15,
        n_components: int = 5,
        random_state: int = 42,
        outlier_threshold: float = 0.5,
        max_fit_units: int | None = 4000,
    ) -> None:
        self.embedder = embedder
        self.min_cluster_size = min_cluster_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.random_state = random_state
        self.outlier_threshold = outlier_threshold
        self.max_fit_units = max_fit_units

    def fit_predict(
        self, texts: Sequence[str], embeddings: np.ndarray, lemmas: Sequence[LemmaPairs]
    ) -> tuple[np.ndarray, dict[int, list[str]]]:
        """Each unit's topic (-1: none) and each topic's keywords; ``lemmas``: each unit's
        (word, lemma) pairs (the vectorizer learns its lemmas from the fitted units only)."""
        if not self.max_fit_units or len(texts) <= self.max_fit_units:
            return self._fit(texts, embeddings, lemmas)
        sample = content_order(texts, self.max_fit_units, seed=self.random_state)
        fitted, keywords = self._fit(
            [texts[i] for i in sample], embeddings[sample], [lemmas[i] for i in sample]
        )
        topics = np.full(len(texts), -1)
        topics[sample] = fitted
        labels = sorted(set(fitted.tolist()) - {-1})
        if labels:
            centroids = np.vstack([embeddings[sample[fitted == t]].mean(axis=0) for t in labels])
            rest = np.setdiff1d(np.arange(len(texts)), sample)
            nearest, similarity = nearest_centroid(embeddings[rest], centroids)
            keep = similarity >= self.outlier_threshold
            topics[rest[keep]] = np.asarray(labels)[nearest[keep]]
        return topics, keywords

    def _fit(
        self, texts: Sequence[str], embeddings: np.ndarray, lemmas: Sequence[LemmaPairs]
    ) -> tuple[np.ndarray, dict[int, list[str]]]:
        texts = list(texts)
        model = build_bertopic(
            self.embedder,
            LemmaAnalyzer.from_pairs(lemmas),
            len(texts),
            min_cluster_size=self.min_cluster_size,
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            random_state=self.random_state,
        )
        # BERTopic warns when topics are reassigned after outlier reduction: that is our intent.
        logging.getLogger("BERTopic").setLevel(logging.ERROR)
        topics, _ = model.fit_transform(texts, embeddings=embeddings)
        topics = np.asarray(topics)
        if (topics == -1).any() and (topics != -1).any():
            reduced = model.reduce_outliers(
                texts,
                topics.tolist(),
                strategy="embeddings",
                embeddings=embeddings,
                threshold=self.outlier_threshold,
            )
            topics = np.asarray(reduced)
        keywords: dict[int, list[str]] = {}
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # BERTopic warns that we reassign topics: we mean to
        try:
            model.update_topics(
                texts,
                topics=topics.tolist(),
                vectorizer_model=model.vectorizer_model,
                representation_model=model.representation_model,
            )
        finally:
            logging.disable(previous)
        for topic_id in set(topics.tolist()):
            if topic_id == -1:
                continue
            words = model.get_topic(topic_id) or []
            keywords[topic_id] = clean_keywords([w for w, _ in words])
        return topics, keywords

"""Emerging proposals: BERTopic within each theme, every step explicit and swappable.

embed (our embedder, never a hub default) → reduce (UMAP, fixed random_state) → cluster (HDBSCAN,
sizes that scale with the corpus) → outlier reduction → represent (CountVectorizer on spaCy lemmas
with French stop words, KeyBERT-inspired + MMR) → label (a phrase taken from the most central
proposal, which a writer can paste as it is).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from nlp_assises.cleaning.pseudonymize import ANY_PLACEHOLDER
from nlp_assises.clustering.discovery import CoherentGroups, HybridSimilarity
from nlp_assises.clustering.known import KnownProposals
from nlp_assises.clustering.labels import (
    GENERIC_WORDS,
    clean_keywords,
    label_from_unit,
    pasteable,
    pick_label_source,
    word_stems,
)
from nlp_assises.clustering.recognition import read_threshold
from nlp_assises.clustering.units import Unit, UnitExtractor
from nlp_assises.embedding.base import Embedder
from nlp_assises.non_answers import NonAnswerDetector

log = logging.getLogger(__name__)
_FRENCH_STOP = {
    "pour",
    "dans",
    "avec",
    "plus",
    "sont",
    "nous",
    "vous",
    "mais",
    "elle",
    "ils",
    "leur",
    "leurs",
    "cette",
    "comme",
    "tout",
    "tous",
    "très",
    "être",
    "avoir",
    "faire",
    "fait",
    "quand",
    "aussi",
    "même",
    "bien",
    "sans",
    "sous",
    "entre",
    "alors",
    "donc",
    "encore",
    "avant",
    "après",
    "depuis",
    "parce",
    "chez",
    "votre",
    "notre",
    "nos",
    "vos",
    "ces",
    "des",
    "les",
    "une",
    "qui",
    "que",
    "quoi",
}


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


@dataclass
class Contribution:
    id: str
    text: str
    themes: list[str]
    date: str | None = None
    author: str | None = None
    campaign: str | None = None
    added: datetime | None = None  # when it was stored (assignment picks the newer ones)


@dataclass
class ClusteringResult:
    clusters: list[dict] = field(default_factory=list)
    assignments: dict[str, list[str]] = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    non_answers: list[str] = field(default_factory=list)  # ids of "RAS", "voir ci-dessus"...

    def add_member(self, cluster_id: str, unit: Unit, score: float) -> None:
        if cluster_id not in self.assignments.setdefault(unit.contribution_id, []):
            self.assignments[unit.contribution_id].append(cluster_id)
        self.members.append(
            {
                "cluster_id": cluster_id,
                "contribution_id": unit.contribution_id,
                "unit_text": unit.text,
                "unit_start": unit.start,
                "score": score,
            }
        )


@dataclass
class Prepared:
    """``ProposalClusterer.prepare``'s output: proposal units (in contribution order) and each
    contribution's recurring proposal slug (None: none)."""

    units: list[Unit] = field(default_factory=list)
    known: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def merge(cls, parts: Sequence[Prepared]) -> Prepared:
        return cls(
            units=[u for part in parts for u in part.units],
            known={k: v for part in parts for k, v in part.known.items()},
        )


class ProposalClusterer:
    """Clusters proposal units theme by theme.

    Parameters
    ----------
    embedder:
        Our embedding layer; BERTopic receives its model explicitly (never a hub default).
    min_cluster_size:
        HDBSCAN's smallest cluster; ``None`` scales it with the number of units (2% , at least 3).
    n_neighbors, n_components, random_state:
        UMAP settings (fixed ``random_state`` makes runs reproducible).
    n_quotes:
        Verbatim quotes per proposal (3 to 5).
    known:
        Recurring proposals learnt from labelled data; contributions it recognises, when the
        proposal's theme is one of theirs, join them (with their written label) and only the
        others are clustered as emerging proposals.
    max_fit_units:
        Above this many proposal units in a theme, BERTopic is fitted on a fixed random sample of
        them and the others join the nearest proposal (cosine ≥ ``outlier_threshold``), which
        keeps time and memory bounded on large consultations (``None``: fit on all).
    assign_threshold:
        :meth:`assign` puts a new proposal unit into the nearest stored proposal of its theme
        when their cosine reaches it; below, the unit waits for the next refit.
    non_answers:
        Recognises non-answers ("RAS", "voir ci-dessus", "pas d'avis"), which are set apart
        (``ClusteringResult.non_answers``) and never join a proposal; ``True``: the default
        :class:`NonAnswerDetector`, ``False``: none.
    discovery:
        ``"hybrid"`` (default): coherent groups over lexical + semantic similarity
        (``discovery.py``); ``"umap_hdbscan"``: the previous BERTopic path (UMAP + HDBSCAN).
    min_similarity, word_weight, char_weight, context_weight, min_group_size, attach_similarity:
        The hybrid path: a group's members are on average at least ``min_similarity`` alike
        (``word_weight`` × lemma TF-IDF cosine + ``char_weight`` × character n-gram cosine + the
        rest × centred embedding cosine; each sentence read with ``context_weight`` of its whole
        contribution); groups of fewer than ``min_group_size`` contributions are left
        unassigned. Chosen on writer E (held-out folds) and the DEV half of the real labels.
    recognition_threshold:
        Probability from which a learnt proposal is trusted; ``None``: the one calibrated on
        real answers (``nlp_assises/data/recognition_threshold.json``).
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        spacy_model: str = "fr_core_news_md",
        min_cluster_size: int | None = None,
        n_neighbors: int = 15,
        n_components: int = 5,
        random_state: int = 42,
        n_quotes: int = 5,
        outlier_threshold: float = 0.5,
        known: KnownProposals | None = None,
        max_fit_units: int | None = 4000,
        assign_threshold: float = 0.75,
        non_answers: NonAnswerDetector | bool = True,
        discovery: str = "hybrid",
        min_similarity: float = 0.10,
        word_weight: float = 0.5,
        char_weight: float = 0.4,
        min_group_size: int = 3,
        recognition_threshold: float | None = None,
        context_weight: float = 1.0,
        attach_similarity: float | None = None,
    ) -> None:
        self.embedder = embedder
        self.spacy_model = spacy_model
        self.min_cluster_size = min_cluster_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.random_state = random_state
        self.n_quotes = n_quotes
        self.outlier_threshold = outlier_threshold
        self.known = known
        self.max_fit_units = max_fit_units
        self.assign_threshold = assign_threshold
        self.non_answers = NonAnswerDetector() if non_answers is True else non_answers or None
        if discovery not in ("hybrid", "umap_hdbscan"):
            raise ValueError(f"discovery must be 'hybrid' or 'umap_hdbscan', not {discovery!r}")
        self.discovery = discovery
        self.min_similarity = min_similarity
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.min_group_size = min_group_size
        # None: the threshold calibrated on real answers (nlp_assises/data/, recognition.py)
        self.recognition_threshold = recognition_threshold
        self.context_weight = context_weight
        self.attach_similarity = attach_similarity

    def get_params(self) -> dict:
        return {
            "min_cluster_size": self.min_cluster_size,
            "n_neighbors": self.n_neighbors,
            "n_components": self.n_components,
            "random_state": self.random_state,
            "n_quotes": self.n_quotes,
            "outlier_threshold": self.outlier_threshold,
            "embedder_id": self.embedder.model_id,
            "known_proposals": self.known.card.get("version") if self.known else None,
            "max_fit_units": self.max_fit_units,
            "assign_threshold": self.assign_threshold,
            "non_answers": self.non_answers is not None,
            "discovery": self.discovery,
            "min_similarity": self.min_similarity,
            "word_weight": self.word_weight,
            "char_weight": self.char_weight,
            "min_group_size": self.min_group_size,
            "recognition_threshold": self._recognition_threshold(),
            "context_weight": self.context_weight,
            "attach_similarity": self.attach_similarity,
        }

    def _recognition_threshold(self) -> float:
        if self.recognition_threshold is not None:
            return self.recognition_threshold
        return read_threshold()

    # -- building blocks (each a plain object BERTopic receives) -----------------------------
    def _min_size(self, n_units: int) -> int:
        if self.min_cluster_size:
            return self.min_cluster_size
        return max(3, round(0.02 * n_units))

    def _lemma_analyzer(self, texts: Sequence[str], drop_generic: bool = True):
        """A CountVectorizer analyzer over spaCy lemmas. Lemmas are learnt once from the units
        (word → its most frequent lemma), so that the analyzer also reads the per-topic
        concatenations BERTopic builds, at regex speed."""
        from spacy.lang.fr.stop_words import STOP_WORDS

        from nlp_assises.nlp import load_spacy

        nlp = load_spacy(self.spacy_model, components=("lemmatizer",))
        stop = {w.lower() for w in STOP_WORDS} | (GENERIC_WORDS if drop_generic else set())
        counts: dict[str, Counter[str]] = {}
        texts = [ANY_PLACEHOLDER.sub(" ", t) for t in texts]
        for doc in nlp.pipe(texts, batch_size=64):
            for token in doc:
                if token.is_alpha:
                    counts.setdefault(token.text.lower(), Counter())[token.lemma_.lower()] += 1
        lemma_of = {word: c.most_common(1)[0][0] for word, c in counts.items()}
        word = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

        def analyzer(text: str) -> list[str]:
            tokens = []
            for match in word.finditer(ANY_PLACEHOLDER.sub(" ", text).lower()):
                lemma = lemma_of.get(match.group(0), match.group(0))
                if len(lemma) > 2 and lemma not in stop and match.group(0) not in stop:
                    tokens.append(lemma)
            return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]

        return analyzer

    def _bertopic(self, n_units: int, texts: Sequence[str]):
        from bertopic import BERTopic
        from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import CountVectorizer
        from umap import UMAP

        size = self._min_size(n_units)
        umap_model = UMAP(
            n_neighbors=max(2, min(self.n_neighbors, n_units - 1)),
            n_components=max(2, min(self.n_components, n_units - 2)),
            min_dist=0.0,
            metric="cosine",
            random_state=self.random_state,
        )
        hdbscan_model = HDBSCAN(
            min_cluster_size=size,
            min_samples=max(1, size // 2),
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        )
        vectorizer = CountVectorizer(analyzer=self._lemma_analyzer(texts), min_df=1)
        representation = [
            KeyBERTInspired(top_n_words=10, random_state=self.random_state),
            MaximalMarginalRelevance(diversity=0.3, top_n_words=8),
        ]
        return BERTopic(
            language="french",
            embedding_model=getattr(self.embedder, "model", None),
            umap_model=umap_model,
            hdbscan_model=hdbscan_model,
            vectorizer_model=vectorizer,
            representation_model=representation,
            min_topic_size=size,
            calculate_probabilities=False,
            verbose=False,
        )

    # -- the whole thing --------------------------------------------------------------------
    def prepare(self, contributions: Sequence[Contribution]) -> Prepared:
        """The work ``fit`` does on each contribution on its own: its proposal units and the
        recurring proposal it makes (or None). Done on partitions (the Dask engine's workers),
        then merged, it is what ``fit`` would have done in one process."""
        units = UnitExtractor(self.spacy_model).extract(
            [c.id for c in contributions], [c.text for c in contributions]
        )
        known: dict[str, str | None] = {}
        if self.known is not None:
            predicted = self.known.predict(
                [c.text for c in contributions], min_probability=self._recognition_threshold()
            )
            known = {c.id: slug for c, (slug, _) in zip(contributions, predicted, strict=True)}
        return Prepared(units=units, known=known)

    def fit(
        self,
        contributions: Sequence[Contribution],
        theme_ids: Sequence[str],
        *,
        prepared: Prepared | None = None,
    ) -> ClusteringResult:
        """Proposals within each theme; ``prepared``: ``prepare``'s output for these
        contributions (in their order), when it was computed elsewhere."""
        result = ClusteringResult(params=self.get_params())
        by_id = {c.id: c for c in contributions}
        for c in contributions:
            result.assignments.setdefault(c.id, [])
        contributions = self._set_apart(contributions, result)
        if prepared is None:
            prepared = self.prepare(contributions)
        kept = {c.id for c in contributions}
        units_of: dict[str, list[Unit]] = {}  # split once, even for several themes
        for unit in prepared.units:
            if unit.contribution_id in kept:
                units_of.setdefault(unit.contribution_id, []).append(unit)
        theme_sizes = {t: sum(1 for c in contributions if t in c.themes) for t in theme_ids}
        recognised: dict[str, str] = {}
        if self.known is not None:
            for c in contributions:
                slug = prepared.known.get(c.id)
                # two pieces of evidence must agree: the proposal's theme is one of the
                # contribution's (else "sanctionner" joins "protéger les forces de l'ordre")
                theme = slug and self.known.proposals[slug]["theme"]
                if slug and theme in theme_ids and theme in c.themes:
                    recognised[c.id] = slug
            self._emit_known(recognised, units_of, by_id, theme_sizes, result)
        for theme in theme_ids:
            members = [c for c in contributions if theme in c.themes and c.id not in recognised]
            if not members:
                continue
            units = [u for c in members for u in units_of.get(c.id, ())]
            min_size = self._min_size(len(units)) if self.discovery == "umap_hdbscan" else 2
            if len(units) < max(10, 2 * min_size):
                log.info("theme %s: %d units, too few to cluster", theme, len(units))
                continue
            embeddings = self.embedder.encode([u.text for u in units])
            if self.discovery == "hybrid":
                topics, keywords = self._fit_hybrid(units, embeddings, by_id)
            else:
                topics, keywords = self._fit_sampled(units, embeddings)
            groups: dict[int, list[int]] = {}
            for index, topic in enumerate(topics.tolist()):
                if topic != -1:
                    groups.setdefault(topic, []).append(index)
            # A group none of whose sentences reads as a proposal ("On se sent seul", stories)
            # is no finding to show: its contributions stay unassigned.
            groups = {
                topic: indices
                for topic, indices in groups.items()
                if any(pasteable(label_from_unit(units[i].text)) for i in indices)
            }
            ranked = self._rank(groups, units, by_id)
            for rank, (topic, indices) in enumerate(ranked, 1):
                self._emit(
                    f"{theme}-{rank:03d}",
                    theme,
                    units,
                    embeddings,
                    indices,
                    None,
                    keywords.get(topic, []),
                    by_id,
                    theme_sizes[theme],
                    result,
                )
        return result

    def assign(
        self, contributions: Sequence[Contribution], clusters: Sequence[dict]
    ) -> ClusteringResult:
        """Place new contributions into stored proposals, without a refit.

        ``clusters``: the current run's proposals (``id``, ``theme``, ``centroid``). A
        contribution the recurring proposals recognise joins that proposal when the run has it;
        otherwise each of its proposal units joins the nearest proposal of the contribution's
        themes when their cosine reaches ``assign_threshold``. The others are left for the next
        refit: their ``assignments`` stay empty.
        """
        result = ClusteringResult(params=self.get_params())
        for c in contributions:
            result.assignments.setdefault(c.id, [])
        contributions = self._set_apart(contributions, result)
        usable = [c for c in clusters if c.get("centroid") is not None]
        if not contributions or not usable:
            return result
        ids = [c["id"] for c in usable]
        themes = np.array([c["theme"] for c in usable])
        centroids = np.vstack([np.asarray(c["centroid"], dtype=np.float32) for c in usable])
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        known_cluster: dict[str, int] = {}
        if self.known is not None:
            position = {cluster_id: i for i, cluster_id in enumerate(ids)}
            for c, (slug, _) in zip(
                contributions,
                self.known.predict(
                    [c.text for c in contributions],
                    min_probability=self._recognition_threshold(),
                ),
                strict=True,
            ):
                theme = slug and self.known.proposals[slug]["theme"]
                cluster_id = slug and f"{theme}-{slug}"
                if cluster_id in position and theme in c.themes:  # as in fit
                    known_cluster[c.id] = position[cluster_id]
        by_id = {c.id: c for c in contributions}
        units = UnitExtractor(self.spacy_model).extract(
            [c.id for c in contributions], [c.text for c in contributions]
        )
        embeddings = self.embedder.encode([u.text for u in units])
        for unit, scores in zip(units, embeddings @ centroids.T, strict=True):
            target = known_cluster.get(unit.contribution_id)
            if target is None:
                allowed = np.isin(themes, by_id[unit.contribution_id].themes)
                target = int(np.argmax(np.where(allowed, scores, -np.inf)))
                if not allowed.any() or scores[target] < self.assign_threshold:
                    continue
            result.add_member(ids[target], unit, float(scores[target]))
        return result

    def _set_apart(
        self, contributions: Sequence[Contribution], result: ClusteringResult
    ) -> list[Contribution]:
        """The substantive contributions; the non-answers' ids go to ``result.non_answers``
        (they make no proposal unit, so they can neither join nor blur a proposal)."""
        if self.non_answers is None:
            return list(contributions)
        kept = []
        for c in contributions:
            if self.non_answers.is_non_answer(c.text):
                result.non_answers.append(c.id)
            else:
                kept.append(c)
        return kept

    def _emit_known(self, recognised, units_of, by_id, theme_sizes, result) -> None:
        """One cluster per recognised recurring proposal, in its home theme, with its label."""
        ids = list(recognised)
        if not ids:
            return
        units = [u for i in ids for u in units_of.get(i, ())]
        embeddings = self.embedder.encode([u.text for u in units])
        by_slug: dict[str, list[int]] = {}
        for index, unit in enumerate(units):
            by_slug.setdefault(recognised[unit.contribution_id], []).append(index)
        for slug, indices in self._rank(by_slug, units, by_id):
            info = self.known.proposals[slug]
            words = Counter(
                w.lower()
                for i in indices
                for w in re.findall(r"[^\W\d_]{4,}", ANY_PLACEHOLDER.sub(" ", units[i].text))
            )
            keywords = clean_keywords(
                [w for w, _ in words.most_common(30) if w not in _FRENCH_STOP]
            )
            self._emit(
                f"{info['theme']}-{slug}",
                info["theme"],
                units,
                embeddings,
                indices,
                info["label"],
                keywords,
                by_id,
                theme_sizes[info["theme"]],
                result,
            )

    @staticmethod
    def _rank(groups: dict, units: list[Unit], by_id) -> list[tuple]:
        """Groups ordered by people (a campaign counts once), then contributions."""
        ranked = []
        for key, indices in groups.items():
            contribution_ids = list(dict.fromkeys(units[i].contribution_id for i in indices))
            people = {by_id[c].campaign or by_id[c].author or c for c in contribution_ids}
            ranked.append(
                (-len(people), -len(contribution_ids), min(contribution_ids), key, indices)
            )
        return [(key, indices) for *_, key, indices in sorted(ranked, key=lambda r: r[:3])]

    def _fit_hybrid(
        self, units: list[Unit], embeddings: np.ndarray, by_id: dict | None = None
    ) -> tuple[np.ndarray, dict[int, list[str]]]:
        """Coherent groups over lexical + semantic similarity (``discovery.py``), on at most
        ``max_fit_units`` units (a seeded sample); the other units join the group they are most
        similar to on average when that mean reaches ``min_similarity``. BERTopic then only
        represents the groups (keywords), with its clustering steps skipped."""
        texts = [u.text for u in units]
        owners = [u.contribution_id for u in units]
        similarity = HybridSimilarity(
            word_weight=self.word_weight,
            char_weight=self.char_weight,
            analyzer=self._lemma_analyzer(texts, drop_generic=False),
        ).fit(texts, embeddings)
        rows = similarity.transform(texts, embeddings)
        if self.context_weight and by_id:  # a sentence read with its whole contribution
            owners_ids = list(dict.fromkeys(owners))
            whole = [by_id[i].text for i in owners_ids]
            context = similarity.transform(whole, self.embedder.encode(whole))
            position = {c: k for k, c in enumerate(owners_ids)}
            rows = normalize(rows + self.context_weight * context[[position[o] for o in owners]])
        groups = CoherentGroups(
            min_similarity=self.min_similarity,
            min_size=self.min_group_size,
            attach_similarity=self.attach_similarity,
        )
        if not self.max_fit_units or len(units) <= self.max_fit_units:
            topics = groups.fit_predict(rows, owners)
        else:
            rng = np.random.default_rng(self.random_state)
            sample = np.sort(rng.choice(len(units), self.max_fit_units, replace=False))
            fitted = groups.fit_predict(rows[sample], [owners[i] for i in sample])
            topics = np.full(len(units), -1)
            topics[sample] = fitted
            labels = sorted(set(fitted.tolist()) - {-1})
            if labels:
                member = sparse.csr_matrix(
                    (
                        np.ones(int((fitted != -1).sum())),
                        (np.flatnonzero(fitted != -1), fitted[fitted != -1]),
                    ),
                    shape=(len(sample), len(labels)),
                )
                counts = np.asarray(member.sum(axis=0)).ravel()
                rest = np.setdiff1d(np.arange(len(units)), sample)
                base = rows[sample]
                for start in range(0, len(rest), 2048):
                    chunk = rest[start : start + 2048]
                    mean = np.asarray(((rows[chunk] @ base.T) @ member).todense()) / counts
                    best = mean.argmax(axis=1)
                    keep = mean[np.arange(len(chunk)), best] >= self.min_similarity
                    topics[chunk[keep]] = best[keep]
        return topics, self._keywords(texts, embeddings, topics)

    def _keywords(
        self, texts: list[str], embeddings: np.ndarray, topics: np.ndarray
    ) -> dict[int, list[str]]:
        """BERTopic's representation of given groups (its reduce and cluster steps skipped)."""
        if not (topics != -1).any():
            return {}
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction

        model = self._bertopic(len(texts), texts)
        model.umap_model = BaseDimensionalityReduction()
        model.hdbscan_model = BaseCluster()
        logging.getLogger("BERTopic").setLevel(logging.ERROR)
        model.fit_transform(texts, embeddings=embeddings, y=np.asarray(topics))
        return {
            t: clean_keywords([w for w, _ in (model.get_topic(t) or [])])
            for t in set(topics.tolist()) - {-1}
        }

    def _fit_sampled(
        self, units: list[Unit], embeddings: np.ndarray
    ) -> tuple[np.ndarray, dict[int, list[str]]]:
        """BERTopic on at most ``max_fit_units`` units (a seeded sample); the others join the
        nearest topic centroid, as BERTopic's own outlier reduction does."""
        if not self.max_fit_units or len(units) <= self.max_fit_units:
            return self._fit_theme(units, embeddings)
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(units), self.max_fit_units, replace=False))
        fitted, keywords = self._fit_theme([units[i] for i in sample], embeddings[sample])
        topics = np.full(len(units), -1)
        topics[sample] = fitted
        labels = sorted(set(fitted.tolist()) - {-1})
        if labels:
            centroids = np.vstack([embeddings[sample[fitted == t]].mean(axis=0) for t in labels])
            rest = np.setdiff1d(np.arange(len(units)), sample)
            nearest, similarity = nearest_centroid(embeddings[rest], centroids)
            keep = similarity >= self.outlier_threshold
            topics[rest[keep]] = np.asarray(labels)[nearest[keep]]
        return topics, keywords

    def _fit_theme(
        self, units: list[Unit], embeddings: np.ndarray
    ) -> tuple[np.ndarray, dict[int, list[str]]]:
        texts = [u.text for u in units]
        model = self._bertopic(len(units), texts)
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

    def _emit(
        self,
        cluster_id,
        theme,
        units,
        embeddings,
        indices,
        label,
        keywords,
        by_id,
        theme_size,
        result: ClusteringResult,
    ) -> None:
        contribution_ids = list(dict.fromkeys(units[i].contribution_id for i in indices))
        people = len({by_id[c].campaign or by_id[c].author or c for c in contribution_ids})
        vectors = embeddings[indices]
        centroid = vectors.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        closeness = vectors @ centroid
        if label is not None:  # a written label: quotes that say it in their words come first
            wanted = word_stems(label)
            support = np.array([len(wanted & word_stems(units[i].text)) for i in indices])
            order = np.lexsort((-closeness, -support))
        else:
            order = np.argsort(-closeness, kind="stable")
        quotes, quoted = [], set()
        scanned = 0
        for k in order:
            unit = units[indices[k]]
            scanned += 1
            campaign = by_id[unit.contribution_id].campaign
            if unit.contribution_id in quoted or (campaign and campaign in quoted):
                continue
            quoted.add(unit.contribution_id)
            if campaign:
                quoted.add(campaign)
            quotes.append(
                {"contribution_id": unit.contribution_id, "text": unit.text, "start": unit.start}
            )
            if len(quotes) >= self.n_quotes:
                break
        if label is None:
            label_source = pick_label_source([units[indices[k]] for k in order], scanned)
            label = label_from_unit(label_source.text)
            # The sentence the label comes from is quoted first, in place of any other sentence
            # of its contribution (one quote a contribution): the label's words are in a quote.
            source = {
                "contribution_id": label_source.contribution_id,
                "text": label_source.text,
                "start": label_source.start,
            }
            others = [q for q in quotes if q["contribution_id"] != source["contribution_id"]]
            quotes = [source, *others][: self.n_quotes]
        campaigns = Counter(by_id[c].campaign for c in contribution_ids if by_id[c].campaign)
        dates = sorted(by_id[c].date for c in contribution_ids if by_id[c].date)
        result.clusters.append(
            {
                "id": cluster_id,
                "theme": theme,
                "label": label,
                "keywords": keywords,
                "size": len(contribution_ids),
                "people": people,
                "campaign_copies": sum(campaigns.values()) - len(campaigns),
                "share": round(len(contribution_ids) / max(1, theme_size), 4),
                "contributions": contribution_ids,
                "quotes": quotes,
                "first_date": dates[0] if dates else None,
                "last_date": dates[-1] if dates else None,
                "centroid": centroid.round(6).tolist(),
            }
        )
        for i in indices:
            result.add_member(cluster_id, units[i], float(embeddings[i] @ centroid))

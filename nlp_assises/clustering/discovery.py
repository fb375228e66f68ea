"""Discovery of emerging proposals: lexical + semantic similarity, coherent groups only.

Static sentence embeddings are dominated by shared vocabulary ("police", "incivilités"), so
two different proposals of a theme look alike; the words a proposal is made of (lemmas) and
their spellings (character n-grams, robust to real citizens' typos) separate them better. The
similarity of two proposal units is a weighted sum of three cosines: TF-IDF of lemmas, TF-IDF
of character n-grams, embeddings.

Groups come from average-linkage agglomerative clustering cut at a minimum similarity: a group
exists only when its members are, on average, that similar to each other, so no group is a
catch-all of members that share no proposal. Groups below ``min_size`` contributions are left
unassigned (no finding rests on one or two answers); an unassigned unit joins a group only
when its mean similarity to the group's members reaches the same minimum.

Both steps are plain sklearn-style objects (parameters in ``__init__``), so that the clusterer's
steps stay swappable: features → groups → (BERTopic) representation → label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from nlp_assises.cleaning.pseudonymize import ANY_PLACEHOLDER


class HybridSimilarity:
    """Similarity of texts as ``word_weight`` × cosine of lemma TF-IDF + ``char_weight`` ×
    cosine of character n-gram TF-IDF + the rest × cosine of the embeddings.

    ``transform`` returns one sparse row per text whose dot products are that similarity (each
    block L2-normalised and scaled by the square root of its weight), so similarities of a
    large corpus are computed in batches without a dense n × n matrix.

    ``metric``: a fitted ``metric.ProposalMetric`` (None: unsupervised). With it, each word and
    character n-gram column is multiplied by its learnt factor and the centred embeddings are
    whitened (``word_factors_``, ``char_factors_``, ``whitening_``: all the fitted similarity
    keeps of it).
    """

    def __init__(
        self,
        *,
        word_weight: float = 0.4,
        char_weight: float = 0.3,
        analyzer: Callable[[str], list[str]] | None = None,
        char_ngrams: tuple[int, int] = (3, 5),
        metric=None,
    ) -> None:
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.analyzer = analyzer
        self.char_ngrams = char_ngrams
        self.metric = metric

    @property
    def embedding_weight(self) -> float:
        return max(0.0, 1.0 - self.word_weight - self.char_weight)

    def fit(self, texts: Sequence[str], embeddings: np.ndarray) -> HybridSimilarity:
        # Static embeddings share a large common direction (every sentence of a consultation
        # is "about" the same thing): centred, their cosine tells proposals apart.
        self.mean_ = normalize(np.asarray(embeddings, dtype=np.float64)).mean(axis=0)
        texts = [ANY_PLACEHOLDER.sub(" ", t) for t in texts]
        self.words_ = TfidfVectorizer(
            analyzer=self.analyzer or "word", sublinear_tf=True, min_df=1
        ).fit(texts)
        self.chars_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True, min_df=2
        ).fit([t.lower() for t in texts])
        self.word_factors_ = self.char_factors_ = self.whitening_ = None
        if self.metric is not None:  # learnt from the known proposals (metric.py)
            self.word_factors_ = self.metric.word_factors(self.words_.get_feature_names_out())
            self.char_factors_ = self.metric.char_factors(self.chars_.get_feature_names_out())
            self.whitening_ = self.metric.whitening_
        return self

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        texts = [ANY_PLACEHOLDER.sub(" ", t) for t in texts]
        blocks = []
        words = self.words_.transform(texts) if self.word_weight > 0 else None
        chars = self.chars_.transform([t.lower() for t in texts]) if self.char_weight > 0 else None
        if self.word_factors_ is not None and words is not None:
            words = words @ sparse.diags(self.word_factors_)
        if self.char_factors_ is not None and chars is not None:
            chars = chars @ sparse.diags(self.char_factors_)
        for weight, matrix in (
            (self.word_weight, words),
            (self.char_weight, chars),
            (self.embedding_weight, self.embedded(embeddings) if self.embedding_weight else None),
        ):
            if weight > 0:
                blocks.append(normalize(sparse.csr_matrix(matrix)) * np.sqrt(weight))
        return sparse.hstack(blocks, format="csr")

    def embedded(self, embeddings: np.ndarray) -> np.ndarray:
        """The embedding block before its weight: centred, and whitened with a learnt metric."""
        centred = self.centred(embeddings)
        return centred if self.whitening_ is None else normalize(centred @ self.whitening_)

    def centred(self, embeddings: np.ndarray) -> np.ndarray:
        """Unit-norm embeddings minus the corpus mean, normalised again."""
        return normalize(normalize(np.asarray(embeddings, dtype=np.float64)) - self.mean_)


def gram(X: sparse.spmatrix) -> np.ndarray:
    """``X @ X.T`` as a dense array. The embedding block of ``HybridSimilarity``'s rows is dense:
    through scipy's sparse product it costs n² × its width in scalar steps (a quarter of a
    10k run), so columns filled in most rows are multiplied as dense arrays (BLAS)."""
    X = sparse.csc_matrix(X)
    dense = np.diff(X.indptr) > X.shape[0] // 2
    out = np.asarray((X[:, ~dense] @ X[:, ~dense].T).todense(), dtype=np.float64)
    if dense.any():
        block = X[:, dense].toarray().astype(np.float64)
        out += block @ block.T
    return out


class CoherentGroups:
    """Average-linkage groups whose members are similar to each other on average.

    ``min_similarity``: the cut (average linkage merges two groups only while their mean
    similarity reaches it). ``min_size``: smallest group, in distinct contributions; smaller
    groups are unassigned (label -1). ``attach``: unassigned units join the group they are most
    similar to on average, when that mean reaches ``min_similarity``.
    """

    def __init__(
        self,
        *,
        min_similarity: float = 0.3,
        min_size: int = 2,
        attach: bool = True,
        attach_similarity: float | None = None,
        max_share: float = 0.15,
        one_proposal_similarity: float = 0.5,
    ) -> None:
        self.min_similarity = min_similarity
        self.min_size = min_size
        self.attach = attach
        self.attach_similarity = attach_similarity
        self.max_share = max_share
        self.one_proposal_similarity = one_proposal_similarity

    def fit_predict(self, X: sparse.csr_matrix, owners: Sequence[str]) -> np.ndarray:
        """``X``: rows whose dot products are similarities (``HybridSimilarity``);
        ``owners``: the contribution of each row (a group's size counts contributions)."""
        n = X.shape[0]
        if n < 2:
            return np.full(n, -1)
        similarity = gram(X)
        np.clip(similarity, -1.0, 1.0, out=similarity)
        distance = 1.0 - similarity
        np.fill_diagonal(distance, 0.0)
        model = AgglomerativeClustering(
            n_clusters=None,
            metric="precomputed",
            linkage="average",
            distance_threshold=1.0 - self.min_similarity,
        )
        labels = model.fit_predict(distance)
        labels = self._split_large(labels, similarity, owners)
        labels = self._drop_small(labels, owners)
        if self.attach and (labels == -1).any() and (labels != -1).any():
            groups = sorted(set(labels.tolist()) - {-1})
            members = np.zeros((n, len(groups)))
            for j, g in enumerate(groups):
                members[labels == g, j] = 1.0
            mean = (similarity @ members) / members.sum(axis=0)
            loose = np.flatnonzero(labels == -1)
            best = mean[loose].argmax(axis=1)
            floor = self.attach_similarity or self.min_similarity
            keep = mean[loose, best] >= floor
            labels[loose[keep]] = np.asarray(groups)[best[keep]]
            # attached answers may have made a group too large: the same rule again
            labels = self._drop_small(self._split_large(labels, similarity, owners), owners)
        return labels

    def _split_large(
        self, labels: np.ndarray, similarity: np.ndarray, owners: Sequence[str]
    ) -> np.ndarray:
        """No catch-all: a group holding more than ``max_share`` of the contributions stays
        whole only when its members are very alike (mean similarity ≥
        ``one_proposal_similarity``: they make one proposal); otherwise it is cut again at a
        stricter similarity, step by step, until every piece is small enough or that alike."""
        owners = np.asarray(owners)
        limit = self.max_share * len(set(owners.tolist()))
        labels = labels.copy()
        pending = sorted(set(labels.tolist()) - {-1})
        next_label = max(pending, default=-1) + 1
        floor = self.min_similarity
        while pending and floor < self.one_proposal_similarity:
            floor += 0.05
            again = []
            for g in pending:
                where = np.flatnonzero(labels == g)
                if len(set(owners[where].tolist())) <= limit or len(where) < 2:
                    continue
                inner = similarity[np.ix_(where, where)]
                if inner[~np.eye(len(where), dtype=bool)].mean() >= self.one_proposal_similarity:
                    continue
                pieces = AgglomerativeClustering(
                    n_clusters=None,
                    metric="precomputed",
                    linkage="average",
                    distance_threshold=1.0 - floor,
                ).fit_predict(np.clip(1.0 - inner, 0.0, 2.0))
                for piece in sorted(set(pieces.tolist())):
                    labels[where[pieces == piece]] = next_label
                    again.append(next_label)
                    next_label += 1
            pending = again
        for g in pending:  # still too large and not alike enough: left unassigned
            where = labels == g
            if len(set(owners[where].tolist())) > limit:
                inner = similarity[np.ix_(where, where)]
                if inner[~np.eye(int(where.sum()), dtype=bool)].mean() < (
                    self.one_proposal_similarity
                ):
                    labels[where] = -1
        return labels

    def _drop_small(self, labels: np.ndarray, owners: Sequence[str]) -> np.ndarray:
        labels = labels.copy()
        owners = np.asarray(owners)
        for g in set(labels.tolist()):
            where = labels == g
            if len(set(owners[where].tolist())) < self.min_size:
                labels[where] = -1
        # renumber 0..k-1 by first appearance (stable)
        mapping: dict[int, int] = {}
        for g in labels.tolist():
            if g != -1 and g not in mapping:
                mapping[g] = len(mapping)
        return np.array([mapping.get(g, -1) for g in labels.tolist()])

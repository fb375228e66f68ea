"""Hybrid discovery as a fitted estimator: coherent groups of proposal units learnt on a sample
chosen by content, then any other unit placed by the same rule, in chunks.

``fit`` learns the lexical + semantic features (``HybridSimilarity``: vocabularies and IDF of lemmas
and character n-grams, the embeddings' mean) on every unit it is given, then groups at most
``max_fit_units`` of them (a sample chosen by the units' content, ``sampling.py``:
``CoherentGroups``' average linkage needs the sample's n × n similarities). A unit outside the
sample joins the group it is most similar to on average (its mean similarity to the group's sampled
members) when that mean reaches ``min_similarity``. The mean similarity to a group is the dot
product of a unit's row with the sum of the group's member rows divided by their number, so the
fitted state is small (the vectorizers, the per-group sums and counts, the sample's labels) and
``predict`` costs one sparse product a chunk, with bounded memory: it can run anywhere the state is
sent (Dask workers), and :meth:`to_dict` / :meth:`save` keep it as JSON and npz (never pickle).

Each unit is read with ``context_weight`` of its whole contribution (the contribution's row
added to the unit's, then normalised): a sentence such as "Il faut plus de moyens" means what
its answer is about.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from nlp_assises.clustering.discovery import CoherentGroups, HybridSimilarity
from nlp_assises.clustering.lemmas import LemmaAnalyzer
from nlp_assises.clustering.sampling import content_order


class Context:
    """The whole contributions the units come from: ``ids``, ``texts`` and ``embeddings``
    (one row a contribution), looked up by a unit's owner."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str], embeddings: np.ndarray) -> None:
        self.texts = list(texts)
        self.embeddings = np.asarray(embeddings)
        self.position = {c: k for k, c in enumerate(ids)}


class HybridGrouping:
    """Coherent groups over lexical + semantic similarity (``discovery.py``), as an estimator.

    Parameters are those of ``ProposalClusterer`` (its docstring says what each one does);
    ``batch_size``: units per chunk in :meth:`predict`; ``metric``: a fitted
    ``metric.ProposalMetric`` the similarity uses (None: unsupervised).

    Fitted attributes: ``similarity_`` (a fitted ``HybridSimilarity``), ``sample_`` (indices of
    the grouped units among those given to ``fit``), ``sample_labels_`` (their groups, -1:
    none), ``group_sums_`` (features × groups: the sum of each group's member rows, CSR),
    ``group_counts_`` (members a group).
    """

    def __init__(
        self,
        *,
        word_weight: float = 0.5,
        char_weight: float = 0.4,
        context_weight: float = 0.5,
        min_similarity: float = 0.12,
        min_group_size: int = 3,
        attach_similarity: float | None = None,
        max_fit_units: int | None = 4000,
        random_state: int = 42,
        analyzer: LemmaAnalyzer | None = None,
        batch_size: int = 2048,
        metric=None,
    ) -> None:
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.context_weight = context_weight
        self.min_similarity = min_similarity
        self.min_group_size = min_group_size
        self.attach_similarity = attach_similarity
        self.max_fit_units = max_fit_units
        self.random_state = random_state
        self.analyzer = analyzer
        self.batch_size = batch_size
        self.metric = metric

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None = None,
    ) -> HybridGrouping:
        """``owners``: each unit's contribution (a group's size counts contributions);
        ``context``: the owners' whole contributions, or None."""
        self.similarity_ = HybridSimilarity(
            word_weight=self.word_weight,
            char_weight=self.char_weight,
            analyzer=self.analyzer,
            metric=self.metric,
        ).fit(texts, embeddings)
        return self._group(texts, embeddings, owners, context)

    def regroup(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None = None,
    ) -> HybridGrouping:
        """Another fitted estimator with these features (vocabularies, IDF and mean learnt on
        every unit of the theme) whose groups are found among ``texts`` only, by the same rule:
        the pass over the units an earlier pass left unassigned (``ProposalClusterer``'s
        ``leftover_passes``)."""
        other = copy.copy(self)  # shares ``similarity_``; the groups are its own
        return other._group(texts, embeddings, owners, context)

    def _group(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None,
    ) -> HybridGrouping:
        """Groups of a sample of ``texts`` chosen by content (``fit``'s second half)."""
        n = len(texts)
        size = min(n, self.max_fit_units) if self.max_fit_units else n
        # by content, in hash order: the same units give the same groups in any order
        keys = [
            f"{text}\x00{self._whole(owner, context)}"
            for owner, text in zip(owners, texts, strict=True)
        ]
        sample = content_order(keys, size, seed=self.random_state)
        sampled_owners = [owners[i] for i in sample]
        rows = self._rows([texts[i] for i in sample], embeddings[sample], sampled_owners, context)
        labels = CoherentGroups(
            min_similarity=self.min_similarity,
            min_size=self.min_group_size,
            attach_similarity=self.attach_similarity,
        ).fit_predict(rows, sampled_owners)
        self.sample_ = sample
        self.sample_labels_ = np.asarray(labels)
        grouped = np.flatnonzero(self.sample_labels_ != -1)
        k = int(self.sample_labels_.max()) + 1 if len(grouped) else 0
        member = sparse.csr_matrix(
            (np.ones(len(grouped)), (grouped, self.sample_labels_[grouped])),
            shape=(len(sample), k),
        )
        self.group_sums_ = (rows.T @ member).tocsr()
        self.group_counts_ = np.asarray(member.sum(axis=0)).ravel()
        return self

    @staticmethod
    def _whole(owner: str, context: Context | None) -> str:
        """What a unit is read with: its contribution's text (its id without a context)."""
        return owner if context is None else context.texts[context.position[owner]]

    def fit_predict(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None = None,
    ) -> np.ndarray:
        """Every unit's group (-1: none): the sample's from grouping, the others' from
        :meth:`predict`."""
        self.fit(texts, embeddings, owners, context)
        return self.labels(texts, embeddings, owners, context)

    def labels(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None = None,
    ) -> np.ndarray:
        """Every unit's group after :meth:`fit` or :meth:`regroup` on these same units."""
        labels = np.full(len(texts), -1)
        labels[self.sample_] = self.sample_labels_
        rest = np.setdiff1d(np.arange(len(texts)), self.sample_)
        if len(rest) and len(self.group_counts_):
            labels[rest] = self.predict(
                [texts[i] for i in rest],
                embeddings[rest],
                [owners[i] for i in rest],
                context,
            )
        return labels

    def predict(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str] | None = None,
        context: Context | None = None,
    ) -> np.ndarray:
        """The group each unit is most similar to on average, when that mean reaches
        ``min_similarity`` (else -1); ``owners`` and ``context`` as in :meth:`fit`."""
        labels = np.full(len(texts), -1)
        if not len(self.group_counts_):
            return labels
        for start in range(0, len(texts), self.batch_size):
            stop = start + self.batch_size
            rows = self._rows(
                texts[start:stop],
                embeddings[start:stop],
                owners[start:stop] if owners is not None else None,
                context,
            )
            mean = self._products(rows) / self.group_counts_
            best = mean.argmax(axis=1)
            keep = mean[np.arange(len(best)), best] >= self.min_similarity
            labels[start + np.flatnonzero(keep)] = best[keep]
        return labels

    # -- saving: JSON + npz, never pickle ---------------------------------------------------
    def save(self, folder: str | Path) -> None:
        """The fitted state in ``folder``: ``grouping.json`` (parameters, vocabularies, the
        lemma table) and ``grouping.npz`` (IDF, the embeddings' mean, group sums and counts,
        the sample and its labels)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        similarity = self.similarity_
        params = {
            k: v
            for k, v in vars(self).items()
            if not k.endswith("_") and k not in ("analyzer", "metric")
        }
        state = {
            "params": params,
            "similarity": {
                "word_weight": similarity.word_weight,
                "char_weight": similarity.char_weight,
                "char_ngrams": list(similarity.char_ngrams),
            },
            "analyzer": self.analyzer.to_dict() if self.analyzer is not None else None,
            "words": _vectorizer_state(similarity.words_),
            "chars": _vectorizer_state(similarity.chars_),
        }
        (folder / "grouping.json").write_text(json.dumps(state, ensure_ascii=False))
        sums = self.group_sums_.tocsr()
        learnt = {  # what the similarity keeps of a learnt metric (none: unsupervised)
            key: value
            for key in ("word_factors_", "char_factors_", "whitening_")
            if (value := getattr(similarity, key, None)) is not None
        }
        np.savez_compressed(
            folder / "grouping.npz",
            words_idf=similarity.words_.idf_,
            chars_idf=similarity.chars_.idf_,
            mean=similarity.mean_,
            sums_data=sums.data,
            sums_indices=sums.indices,
            sums_indptr=sums.indptr,
            sums_shape=np.asarray(sums.shape),
            counts=self.group_counts_,
            sample=self.sample_,
            sample_labels=self.sample_labels_,
            **learnt,
        )

    @classmethod
    def load(cls, folder: str | Path) -> HybridGrouping:
        """A fitted estimator from :meth:`save`'s files, ready to ``predict``."""
        folder = Path(folder)
        state = json.loads((folder / "grouping.json").read_text())
        arrays = np.load(folder / "grouping.npz", allow_pickle=False)
        analyzer = LemmaAnalyzer.from_dict(state["analyzer"]) if state["analyzer"] else None
        model = cls(**state["params"], analyzer=analyzer)
        options = state["similarity"]
        similarity = HybridSimilarity(
            word_weight=options["word_weight"],
            char_weight=options["char_weight"],
            analyzer=analyzer,
            char_ngrams=tuple(options["char_ngrams"]),
        )
        similarity.mean_ = arrays["mean"]
        similarity.words_ = _vectorizer(state["words"], arrays["words_idf"], analyzer)
        similarity.chars_ = _vectorizer(state["chars"], arrays["chars_idf"], None)
        for key in ("word_factors_", "char_factors_", "whitening_"):
            setattr(similarity, key, arrays[key] if key in arrays.files else None)
        model.similarity_ = similarity
        model.group_sums_ = sparse.csr_matrix(
            (arrays["sums_data"], arrays["sums_indices"], arrays["sums_indptr"]),
            shape=tuple(arrays["sums_shape"]),
        )
        model.group_counts_ = arrays["counts"]
        model.sample_ = arrays["sample"]
        model.sample_labels_ = arrays["sample_labels"]
        return model

    def _products(self, rows: sparse.csr_matrix) -> np.ndarray:
        """``rows @ group_sums_`` as a dense array; the embedding block (the columns past the
        lexical ones) is dense on both sides, so it is multiplied as dense arrays."""
        sums = self.group_sums_
        lexical = sums.shape[0] - self._dense_columns()
        out = np.asarray((rows[:, :lexical] @ sums[:lexical]).todense())
        if lexical < sums.shape[0]:
            out += rows[:, lexical:].toarray() @ sums[lexical:].toarray()
        return out

    def _dense_columns(self) -> int:
        similarity = self.similarity_
        return len(similarity.mean_) if similarity.embedding_weight > 0 else 0

    def _rows(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str] | None,
        context: Context | None,
    ) -> sparse.csr_matrix:
        """Each unit's row, read with its whole contribution (its owner's row, computed once a
        chunk however many of the chunk's units it has)."""
        rows = self.similarity_.transform(texts, embeddings)
        if not self.context_weight or context is None or owners is None:
            return rows
        wanted = [context.position[o] for o in owners]
        distinct = list(dict.fromkeys(wanted))
        local = {k: j for j, k in enumerate(distinct)}
        context_rows = self.similarity_.transform(
            [context.texts[k] for k in distinct], context.embeddings[distinct]
        )
        return normalize(rows + self.context_weight * context_rows[[local[k] for k in wanted]])


def _vectorizer_state(vectorizer: TfidfVectorizer) -> dict:
    """A fitted TF-IDF vectorizer's parameters (those JSON can hold) and vocabulary."""
    params = {}
    for key, value in vectorizer.get_params().items():
        if key == "analyzer" and callable(value):
            continue  # the lemma analyzer is saved on its own
        try:
            json.dumps(value)
        except TypeError:
            continue  # dtype: the default
        params[key] = value
    vocabulary = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
    return {"params": params, "vocabulary": vocabulary}


def _vectorizer(state: dict, idf: np.ndarray, analyzer) -> TfidfVectorizer:
    params = dict(state["params"])
    params["ngram_range"] = tuple(params["ngram_range"])
    if analyzer is not None:
        params["analyzer"] = analyzer
    vectorizer = TfidfVectorizer(**params)
    vectorizer.vocabulary_ = state["vocabulary"]
    vectorizer.idf_ = idf
    return vectorizer

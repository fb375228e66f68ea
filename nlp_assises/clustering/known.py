"""Recurring proposals learnt from labelled contributions: the guided half of the clustering.

Consultations on one subject bring back the same concrete proposals in new words. A logistic
regression over the same features as the theme classifier (embeddings and character n-grams)
learns the recurring proposals of the labelled corpus, with a "none" class for contributions that
make none of them; contributions it recognises join that proposal, with its human-written label,
and only the rest is left to unsupervised clustering of emerging proposals.

Saved as JSON + npz, like the classifier; registered in ``models/proposals``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from nlp_assises.classify.estimator import FORMAT_VERSION, check_embedder, data_hash
from nlp_assises.classify.features import LexicalFeatures
from nlp_assises.clustering.metric import ProposalMetric
from nlp_assises.embedding.base import Embedder
from nlp_assises.errors import ConfigurationError

NONE = "_aucune"


class KnownProposals:
    """Recognises recurring proposals.

    Parameters
    ----------
    embedder:
        The embedding layer (its id is recorded and checked at load time).
    C:
        Inverse regularisation of the logistic regression (4: chosen with ``class_weight`` on
        real DEV answers by cross-fitted recognition precision, ``bench/recognition_weighting.py``).
    min_probability:
        Below it, a contribution is left to the emerging-proposal clustering.
    word_weight:
        Word n-grams beside the character n-grams. Off: measured worse here (held-out ARI 0.825
        without, 0.752 with), unlike for themes.
    class_weight:
        ``None`` (default): every training text counts once, so "none of them" keeps its real
        weight (two texts in three); ``"balanced"`` (before 2026-12-06) gave each of the 40
        proposals as much weight as the whole "none" class, which pushed answers near a learnt
        proposal (sanctions, civic education) into it with high probability on real text.
    """

    kind = "known-proposals"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        C: float = 4.0,
        min_probability: float = 0.15,
        word_weight: float = 0.0,
        class_weight: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.C = C
        self.min_probability = min_probability
        self.word_weight = word_weight
        if class_weight not in (None, "balanced"):
            raise ConfigurationError(
                f"class_weight must be None or 'balanced', not {class_weight!r}"
            )
        self.class_weight = class_weight
        self.proposals: dict[str, dict] = {}
        self.card: dict = {}
        # the similarity learnt from the same records for discovery (``metric.py``), when
        # ``bootstrap.train_default_proposals(learnt_metric=True)`` learnt one; saved with it
        self.metric_: ProposalMetric | None = None

    def get_params(self) -> dict:
        return {
            "C": self.C,
            "min_probability": self.min_probability,
            "word_weight": self.word_weight,
            "class_weight": self.class_weight,
        }

    def _features(self, texts: Sequence[str]):
        vectors = self.embedder.encode(list(texts))
        return sparse.hstack(
            [sparse.csr_matrix(vectors), self._lexical.transform(list(texts))], format="csr"
        )

    def fit(
        self, texts: Sequence[str], proposals: Sequence[str | None], catalogue: Sequence[dict]
    ) -> KnownProposals:
        """``proposals[i]``: the slug ``texts[i]`` makes, or None; ``catalogue``: the slugs with
        their French ``label`` and home ``theme``."""
        self.proposals = {p["slug"]: {"label": p["label"], "theme": p["theme"]} for p in catalogue}
        unknown = {p for p in proposals if p and p not in self.proposals}
        if unknown:
            raise ConfigurationError(f"proposals missing from the catalogue: {sorted(unknown)}")
        y = [p or NONE for p in proposals]
        if len(set(y)) < 2:
            raise ConfigurationError("at least two proposals are needed to learn them")
        self._lexical = LexicalFeatures(word_weight=self.word_weight).fit(list(texts))
        model = LogisticRegression(C=self.C, max_iter=3000, class_weight=self.class_weight)
        model.fit(self._features(texts), y)
        self.classes_ = [str(c) for c in model.classes_]
        self.coef_ = model.coef_.astype(np.float32)
        self.intercept_ = model.intercept_.astype(np.float32)
        self.card = {
            "kind": self.kind,
            "format_version": FORMAT_VERSION,
            "embedder_id": self.embedder.model_id,
            "params": self.get_params(),
            "proposals": self.proposals,
            "training": {
                "n": len(texts),
                "data_hash": data_hash(list(texts), [[p or NONE] for p in proposals]),
            },
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = np.asarray(self._features(texts) @ self.coef_.T) + self.intercept_
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(
        self,
        texts: Sequence[str],
        batch_size: int = 2048,
        *,
        min_probability: float | None = None,
    ) -> list[tuple[str | None, float]]:
        """(slug or None, probability) for each text; in batches, so that the character n-gram
        features of a large consultation never sit in memory at once. ``min_probability``
        replaces the learnt one (the clusterer passes the threshold calibrated on real text)."""
        threshold = self.min_probability if min_probability is None else min_probability
        out = []
        for start in range(0, len(texts), batch_size):
            out.extend(self._predict(texts[start : start + batch_size], threshold))
        return out

    def _predict(self, texts: Sequence[str], threshold: float) -> list[tuple[str | None, float]]:
        out = []
        for row in self.predict_proba(texts):
            best = int(np.argmax(row))
            slug = self.classes_[best]
            keep = slug != NONE and row[best] >= threshold
            out.append((slug if keep else None, float(row[best])))
        return out

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "weights.npz", coef=self.coef_, intercept=self.intercept_)
        self._lexical.save(folder)
        (folder / "classes.json").write_text(json.dumps(self.classes_, ensure_ascii=False))
        (folder / "model_card.json").write_text(json.dumps(self.card, indent=2, ensure_ascii=False))
        if self.metric_ is not None:
            self.metric_.save(folder / "metric")
        return folder

    @classmethod
    def load(cls, folder: str | Path, embedder: Embedder | None = None) -> KnownProposals:
        folder = Path(folder)
        card = json.loads((folder / "model_card.json").read_text())
        # a card written before ``class_weight`` existed was trained "balanced"
        model = cls(embedder, **{"class_weight": "balanced", **card["params"]})
        model.card = card
        model.proposals = card["proposals"]
        model.classes_ = json.loads((folder / "classes.json").read_text())
        with np.load(folder / "weights.npz", allow_pickle=False) as data:
            model.coef_, model.intercept_ = data["coef"], data["intercept"]
        model._lexical = LexicalFeatures.load(folder)
        if (folder / "metric" / "metric.json").is_file():
            model.metric_ = ProposalMetric.load(folder / "metric")
        check_embedder(card, embedder, folder)
        return model

"""Zero-shot start: classify from the themes' own descriptions, before anyone has labelled.

Each theme is a prototype, the embedding of its label and description. A contribution's cosine to
each prototype is turned into scores with a softmax; its best cosine against ``min_similarity``
decides ``hors_theme``. Scores are *not* calibrated (there is nothing to calibrate on), so the
model card says so and decisions near the boundaries are sent to review generously.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from nlp_assises.classify.decision import Decision
from nlp_assises.classify.estimator import FORMAT_VERSION, check_embedder
from nlp_assises.embedding.base import Embedder
from nlp_assises.scheme import HORS_THEME, Scheme


class ZeroShotClassifier:
    """Classifies from the scheme's descriptions alone, before any label exists.

    Example::

        model = ZeroShotClassifier(embedder).fit(Scheme.load("schema.toml"))
        model.predict(["Une application pour porter plainte en ligne."])[0].primary
    """

    kind = "zero-shot"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        temperature: float = 0.03,
        min_similarity: float = 0.3,
        label_share: float = 0.3,
        review_below: float = 0.6,
    ) -> None:
        self.embedder = embedder
        self.temperature = temperature
        self.min_similarity = min_similarity
        self.label_share = label_share
        self.review_below = review_below
        self.scheme: Scheme | None = None
        self.card: dict = {}

    def get_params(self) -> dict:
        return {
            "temperature": self.temperature,
            "min_similarity": self.min_similarity,
            "label_share": self.label_share,
            "review_below": self.review_below,
        }

    def fit(self, scheme: Scheme) -> ZeroShotClassifier:
        self.scheme = scheme
        texts = [f"{t.label}. {t.description}" for t in scheme.themes]
        self.prototypes_ = self.embedder.encode(texts)
        self.card = {
            "kind": self.kind,
            "format_version": FORMAT_VERSION,
            "scheme": scheme.to_dict(),
            "embedder_id": self.embedder.model_id,
            "params": self.get_params(),
            "calibrated": False,
            "training": {"n": 0, "data_hash": None},
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return self

    def similarities(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None):
        if embeddings is None:
            embeddings = self.embedder.encode(list(texts))
        return embeddings @ self.prototypes_.T

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None):
        sims = self.similarities(texts, embeddings=embeddings)
        z = (sims - sims.max(axis=1, keepdims=True)) / self.temperature
        share = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        relevance = 1.0 / (
            1.0
            + np.exp(-(sims.max(axis=1, keepdims=True) - self.min_similarity) / self.temperature)
        )
        return share * relevance

    def predict(
        self, texts: Sequence[str], *, embeddings: np.ndarray | None = None
    ) -> list[Decision]:
        theme_ids = self.scheme.theme_ids
        decisions = []
        for row in self.predict_proba(texts, embeddings=embeddings):
            order = np.argsort(-row)
            labels = [theme_ids[i] for i in order if row[i] >= self.label_share]
            top = float(row[order[0]])
            decisions.append(
                Decision(
                    scores={t: round(float(p), 4) for t, p in zip(theme_ids, row, strict=True)},
                    labels=labels,
                    primary=labels[0] if labels else HORS_THEME,
                    needs_review=top < self.review_below,
                    margin=round(abs(top - self.label_share), 4),
                )
            )
        return decisions

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "prototypes.npz", prototypes=self.prototypes_)
        (folder / "model_card.json").write_text(json.dumps(self.card, indent=2, ensure_ascii=False))
        return folder

    @classmethod
    def load(cls, folder: str | Path, embedder: Embedder | None = None) -> ZeroShotClassifier:
        folder = Path(folder)
        card = json.loads((folder / "model_card.json").read_text())
        model = cls(embedder, **card["params"])
        model.card = card
        model.scheme = Scheme.from_dict(card["scheme"])
        with np.load(folder / "prototypes.npz", allow_pickle=False) as data:
            model.prototypes_ = data["prototypes"]
        check_embedder(card, embedder, folder)
        return model

"""Zero-shot start: classify from the scheme alone, before anyone has labelled.

Each theme is described by several phrases: its label and official description, and, when the
scheme has them, its ``scope`` and ``examples``; the scheme's ``off_topic`` phrases describe
``hors_theme``. A contribution's score for a group of phrases is its mean cosine to them (the
embedder) plus a TF-IDF cosine to their words (``lexical_weight``): static word vectors blur
"amende" and "peine", the words do not. Both are put on one scale measured on the consultation's
own *unlabelled* texts when ``fit`` is given them (their IDF and the spread of their scores).
A contribution is ``hors_theme`` when the off-topic phrases come closer than its best theme minus
``off_topic_margin`` (in units of that spread), or when no theme reaches ``min_score``.

With those texts, a self-training step follows (``self_train``): the most confident half of each
answer becomes a pseudo-label, and a logistic regression on the embedding and the words, anchored
by the scheme's own phrases, learns the consultation's phrasing. Nothing in all this reads a label.

Scores are *not* calibrated (there is nothing to calibrate on): every decision is sent to review,
and the model card says so. Folders saved before the phrases existed (one prototype per theme,
``method = "description"``) still load and predict as they did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlp_assises.classify.decision import Decision
from nlp_assises.classify.estimator import FORMAT_VERSION, check_embedder
from nlp_assises.classify.features import fold
from nlp_assises.embedding.base import Embedder, l2_normalize
from nlp_assises.scheme import HORS_THEME, Scheme, Theme

_WORD_PATTERN = r"(?u)\b\w\w+\b"
# Fewer texts than this and the self-training step is skipped: too few to learn from.
_MIN_SELF_TRAIN = 20


def _stop_words() -> list[str]:
    """French function words as the texts' tokens (they would match every theme)."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    return sorted({token for word in STOP_WORDS for token in re.findall(_WORD_PATTERN, fold(word))})


def theme_phrases(theme: Theme) -> list[str]:
    """What the classifier knows of a theme: label + description, scope, examples."""
    scope = [theme.scope] if theme.scope else []
    return [f"{theme.label}. {theme.description}", *scope, *theme.examples]


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        preprocessor=fold,
        token_pattern=_WORD_PATTERN,
        stop_words=_stop_words(),
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


class ZeroShotClassifier:
    """Classifies from the scheme's descriptions, scopes and examples, before any label exists.

    ``fit(scheme, texts)`` may be given the consultation's unlabelled texts (recommended: they set
    the word weights and the score scale, and the self-training step learns from them; it needs
    at least 20); ``fit(scheme)`` alone works too. Parameters chosen on the independent corpus's
    ``train`` split and the real ``dev`` half (``bench/zero_shot.py``, ``docs/classifier.md``).

    Example::

        model = ZeroShotClassifier(embedder).fit(Scheme.load("schema.toml"), texts)
        model.predict(["Une application pour porter plainte en ligne."])[0].primary
    """

    kind = "zero-shot"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        method: str = "phrases",
        lexical_weight: float = 1.5,
        off_topic_margin: float = 0.5,
        min_score: float = -1.0,
        softness: float = 0.25,
        self_train: bool = True,
        self_train_keep: float = 0.5,
        self_train_c: float = 1.0,
        anchor_weight: float = 3.0,
        temperature: float = 0.03,
        min_similarity: float = 0.3,
        label_share: float = 0.3,
        review_below: float = 0.6,
    ) -> None:
        self.embedder = embedder
        self.method = method
        self.lexical_weight = lexical_weight
        self.off_topic_margin = off_topic_margin
        self.min_score = min_score
        self.softness = softness
        self.self_train = self_train
        self.self_train_keep = self_train_keep
        self.self_train_c = self_train_c
        self.anchor_weight = anchor_weight
        self.coef_: np.ndarray | None = None
        self.temperature = temperature
        self.min_similarity = min_similarity
        self.label_share = label_share
        self.review_below = review_below
        self.scheme: Scheme | None = None
        self.card: dict = {}

    def get_params(self) -> dict:
        return {
            "method": self.method,
            "lexical_weight": self.lexical_weight,
            "off_topic_margin": self.off_topic_margin,
            "min_score": self.min_score,
            "softness": self.softness,
            "self_train": self.self_train,
            "self_train_keep": self.self_train_keep,
            "self_train_c": self.self_train_c,
            "anchor_weight": self.anchor_weight,
            "temperature": self.temperature,
            "min_similarity": self.min_similarity,
            "label_share": self.label_share,
            "review_below": self.review_below,
        }

    # -- fitting ----------------------------------------------------------------------------------
    def _groups(self, scheme: Scheme) -> list[list[str]]:
        groups = [theme_phrases(t) for t in scheme.themes]
        return [*groups, list(scheme.off_topic)] if scheme.off_topic else groups

    def fit(self, scheme: Scheme, texts: Sequence[str] | None = None) -> ZeroShotClassifier:
        """Prototypes from ``scheme``; ``texts``: the consultation's unlabelled contributions."""
        if self.method not in ("phrases", "description"):
            raise ValueError(f"unknown zero-shot method {self.method!r}")
        self.scheme = scheme
        texts = [t for t in (texts or []) if t and t.strip()]
        if self.method == "description":
            self.prototypes_ = self.embedder.encode(
                [f"{t.label}. {t.description}" for t in scheme.themes]
            )
        else:
            groups = self._groups(scheme)
            phrases = [p for g in groups for p in g]
            self.prototypes_ = l2_normalize(np.asarray(self.embedder.encode(phrases)))
            self.owner_ = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
            self._vectorizer = _vectorizer().fit(texts + phrases)
            self._set_group_words()
            # The scale of the scores: measured on the consultation's texts when there are some,
            # else on the phrases themselves (each against the other groups').
            if texts:
                embeddings = self.embedder.encode(texts)
                sims = self._group_scores(texts, embeddings)
            else:
                sims = self._group_scores(phrases)
                sims = sims[np.arange(len(phrases))[:, None], self._others()]
            self.center_, self.scale_ = float(sims.mean()), float(sims.std() or 1.0)
            self.coef_ = self.intercept_ = self.classes_ = None
            if self.self_train and len(texts) >= _MIN_SELF_TRAIN:
                self._self_train(texts, embeddings)
        self.card = {
            "kind": self.kind,
            "format_version": FORMAT_VERSION,
            "scheme": scheme.to_dict(),
            "embedder_id": self.embedder.model_id,
            "params": self.get_params(),
            "calibrated": False,
            "review": "every decision (zero-shot scores are not calibrated)",
            "training": {"n": 0, "data_hash": None, "unlabelled_texts": len(texts)},
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return self

    def _self_train(self, texts: list[str], embeddings: np.ndarray) -> None:
        """Learn from the consultation's own texts: each text's best column (a theme or
        hors_theme) is its pseudo-label; the most confident ``self_train_keep`` of each column
        train a logistic regression on the embedding and the words, which then reads the
        consultation's own phrasing rather than only the scheme's."""
        shares = self._shares(texts, embeddings)
        full = np.column_stack([shares, 1.0 - shares.sum(axis=1)])
        pseudo, confidence = full.argmax(axis=1), full.max(axis=1)
        keep = np.zeros(len(texts), dtype=bool)
        for column in np.unique(pseudo):
            rows = np.flatnonzero(pseudo == column)
            best = rows[np.argsort(-confidence[rows])]
            keep[best[: max(1, int(np.ceil(self.self_train_keep * len(rows))))]] = True
        if len(np.unique(pseudo[keep])) < 2:
            return  # one column only: nothing to separate, the phrases alone decide
        # The scheme's own phrases join as labelled anchors, so the learner cannot drift from them.
        phrases = [p for g in self._groups(self.scheme) for p in g]
        anchors = (
            self.owner_
            if self.scheme.off_topic
            else np.minimum(self.owner_, len(self.scheme.themes))
        )
        design = sparse.vstack(
            [
                self._design(np.asarray(texts)[keep].tolist(), embeddings[keep]),
                self._design(phrases, self.prototypes_),
            ],
            format="csr",
        )
        weights = np.concatenate([np.ones(keep.sum()), np.full(len(phrases), self.anchor_weight)])
        learner = LogisticRegression(C=self.self_train_c, max_iter=2000)
        learner.fit(design, np.concatenate([pseudo[keep], anchors]), sample_weight=weights)
        self.coef_ = learner.coef_.astype(np.float32)
        self.intercept_ = learner.intercept_.astype(np.float32)
        self.classes_ = learner.classes_.astype(np.int64)

    def _design(self, texts: list[str], embeddings: np.ndarray):
        """The self-trained model's features: the normalised embedding and the TF-IDF words."""
        dense = sparse.csr_array(l2_normalize(np.asarray(embeddings, dtype=np.float32)))
        return sparse.hstack([dense, self._vectorizer.transform(texts)], format="csr")

    def _self_trained_shares(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        logits = np.asarray(self._design(texts, embeddings) @ self.coef_.T) + self.intercept_
        if len(self.classes_) == 2:  # binary: one logit for the second class
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            probs = np.column_stack([1.0 - p, p])
        else:
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        full = np.zeros((len(texts), len(self.scheme.themes) + 1))
        full[:, self.classes_] = probs
        return full[:, : len(self.scheme.themes)]

    def _others(self) -> np.ndarray:
        """For each phrase, the groups it does not belong to."""
        n_groups = int(self.owner_.max()) + 1
        return np.array([[g for g in range(n_groups) if g != o] for o in self.owner_])

    def _set_group_words(self) -> None:
        groups = self._groups(self.scheme)
        self.group_words_ = self._vectorizer.transform([" ".join(g) for g in groups])

    # -- scoring ----------------------------------------------------------------------------------
    def _group_scores(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """Per text and group of phrases: mean cosine + lexical_weight x TF-IDF cosine."""
        if embeddings is None:
            embeddings = self.embedder.encode(list(texts))
        cosines = l2_normalize(np.asarray(embeddings, dtype=np.float32)) @ self.prototypes_.T
        n_groups = int(self.owner_.max()) + 1
        scores = np.zeros((len(cosines), n_groups))
        for g in range(n_groups):
            scores[:, g] = cosines[:, self.owner_ == g].mean(axis=1)
        if self.lexical_weight:
            words = self._vectorizer.transform(list(texts))
            scores += self.lexical_weight * (words @ self.group_words_.T).toarray()
        return scores

    def similarities(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None):
        """Per text and theme (then off-topic, when the scheme lists it): the standardised score
        (``description``: the cosine to the theme's prototype)."""
        if self.method == "description":
            if embeddings is None:
                embeddings = self.embedder.encode(list(texts))
            return embeddings @ self.prototypes_.T
        return (self._group_scores(texts, embeddings) - self.center_) / self.scale_

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None):
        """Per text and theme, a share in [0, 1] (not a calibrated probability); a text's shares
        sum to less than 1 by what goes to ``hors_theme``."""
        if self.method == "phrases":
            if embeddings is None:
                embeddings = self.embedder.encode(list(texts))
            if self.coef_ is not None:
                return self._self_trained_shares(list(texts), embeddings)
            return self._shares(texts, embeddings)
        # The old model: a softmax over the cosines, damped when even the best is low.
        sims = self.similarities(texts, embeddings=embeddings)
        best = sims.max(axis=1, keepdims=True)
        z = (sims - best) / self.temperature
        share = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return share / (1.0 + np.exp(-(best - self.min_similarity) / self.temperature))

    def _shares(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """The phrases' shares: a softmax over the themes and one hors_theme column."""
        sims = self.similarities(texts, embeddings=embeddings)
        n_themes = len(self.scheme.themes)
        # hors_theme competes as one more column: the off-topic phrases moved by the margin, or
        # a floor when no theme scores above min_score.
        none = np.full(len(sims), self.min_score)
        if sims.shape[1] > n_themes:
            none = np.maximum(none, sims[:, n_themes] + self.off_topic_margin)
        sims = np.column_stack([sims[:, :n_themes], none])
        z = (sims - sims.max(axis=1, keepdims=True)) / self.softness
        share = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return share[:, :n_themes]

    def predict(
        self, texts: Sequence[str], *, embeddings: np.ndarray | None = None
    ) -> list[Decision]:
        """Decisions, all with ``needs_review`` True: nothing here is calibrated."""
        theme_ids = self.scheme.theme_ids
        proba = self.predict_proba(texts, embeddings=embeddings)
        decisions = []
        for row in proba:
            order = np.argsort(-row)
            top = float(row[order[0]])
            if self.method == "description":
                labels = [theme_ids[i] for i in order if row[i] >= self.label_share]
            elif top < 1.0 - row.sum() or top <= 0.0:  # hors_theme has the largest share
                labels = []
            else:
                labels = [theme_ids[order[0]]] + [
                    theme_ids[i] for i in order[1:] if row[i] >= self.label_share
                ]
            decisions.append(
                Decision(
                    scores={t: round(float(p), 4) for t, p in zip(theme_ids, row, strict=True)},
                    labels=labels,
                    primary=labels[0] if labels else HORS_THEME,
                    needs_review=True,
                    margin=round(abs(top - self.label_share), 4),
                )
            )
        return decisions

    # -- persistence ------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"prototypes": self.prototypes_}
        if self.method == "phrases":
            arrays |= {
                "owner": self.owner_,
                "scale": np.array([self.center_, self.scale_]),
                "idf": self._vectorizer.idf_,
            }
            if self.coef_ is not None:
                arrays |= {
                    "coef": self.coef_,
                    "intercept": self.intercept_,
                    "classes": self.classes_,
                }
            vocabulary = {k: int(v) for k, v in self._vectorizer.vocabulary_.items()}
            (folder / "zero_shot_words.json").write_text(json.dumps(vocabulary, ensure_ascii=False))
        np.savez(folder / "prototypes.npz", **arrays)
        (folder / "model_card.json").write_text(json.dumps(self.card, indent=2, ensure_ascii=False))
        return folder

    @classmethod
    def load(cls, folder: str | Path, embedder: Embedder | None = None) -> ZeroShotClassifier:
        folder = Path(folder)
        card = json.loads((folder / "model_card.json").read_text())
        # Folders written before the phrases have no method: one prototype per description.
        model = cls(embedder, **({"method": "description"} | card["params"]))
        model.card = card
        model.scheme = Scheme.from_dict(card["scheme"])
        with np.load(folder / "prototypes.npz", allow_pickle=False) as data:
            model.prototypes_ = data["prototypes"]
            if model.method == "phrases":
                model.owner_ = data["owner"]
                model.center_, model.scale_ = (float(x) for x in data["scale"])
                vocabulary = json.loads((folder / "zero_shot_words.json").read_text())
                model._vectorizer = _vectorizer(vocabulary).fit(["a b"])
                model._vectorizer.idf_ = data["idf"]
                model._set_group_words()
                if "coef" in data:
                    model.coef_ = data["coef"]
                    model.intercept_ = data["intercept"]
                    model.classes_ = data["classes"]
        check_embedder(card, embedder, folder)
        return model

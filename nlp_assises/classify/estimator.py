"""The theme classifier: a scikit-learn-style estimator over sentence embeddings and lexical
features. One logistic regression per theme (multi-label), Platt-calibrated on out-of-fold
scores, with a per-theme threshold chosen on those same out-of-fold probabilities. Saved as JSON
+ npz only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold

from nlp_assises.classify.clauses import pool_max, split_clauses, witness_mask
from nlp_assises.classify.decision import Decision, decide, primary_confidence
from nlp_assises.classify.features import LexicalFeatures, dense_to_csr, hstack_csr
from nlp_assises.embedding.base import Embedder
from nlp_assises.errors import ConfigurationError, ModelNotFoundError
from nlp_assises.scheme import HORS_THEME, Scheme

FORMAT_VERSION = 1


def labels_to_matrix(labels: Sequence[Sequence[str]], theme_ids: Sequence[str]) -> np.ndarray:
    index = {t: i for i, t in enumerate(theme_ids)}
    y = np.zeros((len(labels), len(theme_ids)), dtype=np.int8)
    for row, record_labels in enumerate(labels):
        for label in record_labels:
            if label != HORS_THEME:
                y[row, index[label]] = 1
    return y


def data_hash(texts: Sequence[str], labels: Sequence[Sequence[str]]) -> str:
    digest = hashlib.sha256()
    for text, record_labels in sorted(zip(texts, (sorted(x) for x in labels), strict=True)):
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f" + ",".join(record_labels).encode() + b"\x1e")
    return digest.hexdigest()


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold in [0.2, 0.8] maximising F1 on (out-of-fold) probabilities."""
    best_t, best_f1 = 0.5, -1.0
    for t in np.arange(0.2, 0.81, 0.025):
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        fp = float(np.sum(pred & (y == 0)))
        fn = float(np.sum(~pred & (y == 1)))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1 + 1e-9:
            best_t, best_f1 = float(t), f1
    return round(best_t, 3)


# Each rule's levels, tried from the smallest review queue up (``_level_for_target``)
REVIEW_LEVELS = {
    "margin": np.arange(0.0, 0.301, 0.01),  # the band around the thresholds
    "confidence": np.arange(0.0, 0.9951, 0.005),  # the probability that primary is right
}


def _level_for_target(
    rule: str,
    proba: np.ndarray,
    thresholds: np.ndarray,
    labels: Sequence[Sequence[str]],
    theme_ids: Sequence[str],
    target: float,
) -> float:
    """The level of ``rule`` that sends the fewest decisions to review while those left out of
    review are right (primary among the gold themes) at least ``target`` of the time; the
    strictest level when none does."""
    gold = [set(g) or {HORS_THEME} for g in labels]
    decisions = decide(proba, theme_ids, thresholds, review_band=0.0)
    right = np.array([d.primary in g for d, g in zip(decisions, gold, strict=True)])
    if rule == "margin":
        sureness = np.array([d.margin for d in decisions])
    else:
        sureness = primary_confidence(proba, thresholds)
    levels = REVIEW_LEVELS[rule]
    for level in levels:
        kept = sureness >= level
        if kept.any() and right[kept].mean() >= target:
            return round(float(level), 3)
    return round(float(levels[-1]), 3)


POOLINGS = ("text", "clauses")


class ThemeClassifier:
    """Multi-label theme classifier.

    Parameters
    ----------
    embedder:
        Any ``Embedder``; its ``model_id`` is recorded and checked again at load time.
    lexical:
        Add TF-IDF character n-grams to the embeddings.
    C:
        Inverse regularisation of each logistic regression.
    embedding_weight:
        Scale of the (unit-norm) embedding block against the lexical block.
    word_weight:
        Scale of the word n-gram block against the character n-gram block (0: characters only).
    review_by:
        ``"confidence"``: a decision goes to review when the probability that its ``primary`` is
        right is under ``review_confidence``; ``"margin"`` (the first rule): when some theme's
        probability is within ``review_band`` of its threshold (``decision.py`` compares them).
    review_band, review_confidence:
        The level of each rule.
    review_target:
        When set, the rule's level is learnt instead: the smallest review queue whose
        out-of-fold decisions outside review are right (lenient primary) at least this often, so
        the queue is sized by how often the model is wrong on unseen writers, not by a constant.
    pooling:
        ``"text"``: one score per theme for the whole contribution; ``"clauses"``: the highest of
        the whole text's and its clauses' scores, each regression learning from clauses as well
        (``clauses.py``: one clause asking for a theme carries it, as the real answers'
        labellers read them). Measured in docs/classifier.md, *Clause pooling*.
    cv:
        Folds for the out-of-fold scores that calibrate and set thresholds. With ``groups`` given
        to ``fit`` (the writer of each text), folds never split a writer: calibration, thresholds
        and the review band are then learnt on writers the fold's model never read.
    """

    kind = "supervised"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        lexical: bool = True,
        C: float = 16.0,
        embedding_weight: float = 1.0,
        word_weight: float = 2.0,
        review_by: str = "confidence",
        review_band: float = 0.1,
        review_confidence: float = 0.8,
        review_target: float | None = None,
        pooling: str = "text",
        cv: int = 5,
        random_state: int = 0,
    ) -> None:
        self.embedder = embedder
        self.lexical = lexical
        self.C = C
        self.embedding_weight = embedding_weight
        self.word_weight = word_weight
        if review_by not in REVIEW_LEVELS:
            raise ConfigurationError(
                f"review_by={review_by!r}: choose one of {', '.join(REVIEW_LEVELS)}"
            )
        self.review_by = review_by
        self.review_band = review_band
        self.review_confidence = review_confidence
        self.review_target = review_target
        if pooling not in POOLINGS:
            raise ConfigurationError(f"pooling={pooling!r}: choose one of {', '.join(POOLINGS)}")
        self.pooling = pooling
        self.cv = cv
        self.random_state = random_state
        self.scheme: Scheme | None = None
        self.thresholds_: np.ndarray | None = None
        self.card: dict = {}

    # -- features --------------------------------------------------------------------------
    def _features(self, texts: Sequence[str], embeddings: np.ndarray | None = None):
        if embeddings is None:
            embeddings = self.embedder.encode(list(texts))
        blocks = [dense_to_csr(embeddings * self.embedding_weight)]
        if self.lexical:
            blocks.append(self._lexical.transform(list(texts)))
        return hstack_csr(blocks)

    def _new_lr(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=2000, solver="liblinear"
        )

    def _fit_theme(self, X, y, weights, parts=None) -> LogisticRegression:
        """One theme's regression; with clause pooling, refitted on the texts plus the clauses
        ``witness_mask`` keeps (``parts``: their features and the row of the text of each)."""
        lr = self._new_lr().fit(X, y, sample_weight=weights)
        if parts is None:
            return lr
        X_parts, owners = parts
        keep = witness_mask(y, owners, lr.decision_function(X_parts))
        return self._new_lr().fit(
            sparse.vstack([X, X_parts[keep]], format="csr"),
            np.r_[y, y[owners[keep]]],
            sample_weight=None if weights is None else np.r_[weights, weights[owners[keep]]],
        )

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        scheme: Scheme,
        *,
        embeddings: np.ndarray | None = None,
        groups: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> ThemeClassifier:
        """``labels[i]`` is a list of theme ids, or ``["hors_theme"]``; ``groups[i]`` (optional)
        the writer or source of text ``i``, kept whole in the out-of-fold splits;
        ``sample_weight[i]`` (optional) how much text ``i`` counts in the regressions, so a few
        hundred labels of the consultation itself are not drowned by thousands of written ones
        (calibration and thresholds stay unweighted: they describe decisions, one per text)."""
        if self.embedder is None:
            raise ConfigurationError("ThemeClassifier needs an embedder to fit")
        texts = list(texts)
        self.scheme = scheme
        theme_ids = scheme.theme_ids
        for record_labels in labels:
            scheme.validate_labels(list(record_labels))
        y = labels_to_matrix(labels, theme_ids)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weights is not None and (len(weights) != len(texts) or (weights <= 0).any()):
            raise ConfigurationError("sample_weight must give one positive weight per text")
        missing = [t for t, n in zip(theme_ids, y.sum(axis=0), strict=True) if n < 2]
        if missing:
            raise ConfigurationError(
                f"not enough examples for theme(s) {', '.join(missing)}: each theme needs at least "
                "2 labelled contributions (use `nlp-assises classify` zero-shot until then)"
            )
        if embeddings is None:
            embeddings = self.embedder.encode(texts)
        if self.lexical:
            self._lexical = LexicalFeatures(word_weight=self.word_weight).fit(texts)
        X = self._features(texts, embeddings)
        owners, parts = split_clauses(texts) if self.pooling == "clauses" else (None, [])
        part_embeddings = self.embedder.encode(parts) if parts else None
        X_parts = self._features(parts, part_embeddings) if parts else None

        # Out-of-fold scores: calibration and thresholds are learnt on predictions made on
        # contributions the model did not see.
        oof = np.zeros(y.shape, dtype=np.float64)
        for train_idx, test_idx in self._oof_splits(y, groups):
            if self.lexical:  # the vocabulary too is learnt without the held-out fold
                fold_lex = LexicalFeatures(word_weight=self.word_weight).fit(
                    [texts[i] for i in train_idx]
                )
                saved, self._lexical = self._lexical, fold_lex
                X_fold = self._features(texts, embeddings)
                X_parts_fold = self._features(parts, part_embeddings) if parts else None
                self._lexical = saved
            else:
                X_fold, X_parts_fold = X, X_parts
            fold_parts = self._fold_parts(X_parts_fold, owners, len(texts), train_idx, test_idx)
            for j in range(len(theme_ids)):
                if y[train_idx, j].min() == y[train_idx, j].max():
                    continue
                lr = self._fit_theme(
                    X_fold[train_idx],
                    y[train_idx, j],
                    None if weights is None else weights[train_idx],
                    fold_parts["train"],
                )
                oof[test_idx, j] = lr.decision_function(X_fold[test_idx])
                if fold_parts["test"] is not None:
                    X_held, held_owners = fold_parts["test"]
                    oof[test_idx, j] = pool_max(
                        oof[test_idx, j], held_owners, lr.decision_function(X_held)
                    )

        self.coef_ = np.zeros((len(theme_ids), X.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(len(theme_ids), dtype=np.float32)
        self.platt_ = np.zeros((len(theme_ids), 2), dtype=np.float64)
        for j in range(len(theme_ids)):
            lr = self._fit_theme(X, y[:, j], weights, (X_parts, owners) if parts else None)
            self.coef_[j] = lr.coef_.ravel()
            self.intercept_[j] = lr.intercept_[0]
            platt = LogisticRegression(C=1e4).fit(oof[:, [j]], y[:, j])
            self.platt_[j] = (platt.coef_[0, 0], platt.intercept_[0])
        oof_proba = self._calibrate(oof)
        self.thresholds_ = np.array(
            [_best_f1_threshold(y[:, j], oof_proba[:, j]) for j in range(len(theme_ids))]
        )
        if self.review_target is not None:
            level = _level_for_target(
                self.review_by, oof_proba, self.thresholds_, labels, theme_ids, self.review_target
            )
            if self.review_by == "margin":
                self.review_band = level
            else:
                self.review_confidence = level
        self.oof_proba_ = oof_proba
        self.card = {
            "kind": self.kind,
            "format_version": FORMAT_VERSION,
            "scheme": scheme.to_dict(),
            "embedder_id": self.embedder.model_id,
            "params": self.get_params(),
            "training": {
                "n": len(texts),
                "data_hash": data_hash(texts, labels),
                "per_theme": {t: int(n) for t, n in zip(theme_ids, y.sum(axis=0), strict=True)},
                "hors_theme": int((y.sum(axis=1) == 0).sum()),
                "oof_groups": len(set(groups)) if groups is not None else None,
                "weighted": int((weights != 1).sum()) if weights is not None else 0,
            },
            "thresholds": dict(zip(theme_ids, self.thresholds_.tolist(), strict=True)),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return self

    @staticmethod
    def _fold_parts(X_parts, owners, n_texts: int, train_idx, test_idx) -> dict:
        """The clauses of a fold's training texts and of its held-out texts, each with the row
        of its text on that side of the fold (``None``: no clauses)."""
        sides: dict = {"train": None, "test": None}
        if X_parts is None:
            return sides
        for side, idx in (("train", train_idx), ("test", test_idx)):
            row = np.full(n_texts, -1, dtype=np.int64)
            row[idx] = np.arange(len(idx))
            mine = row[owners] >= 0
            if mine.any():
                sides[side] = (X_parts[mine], row[owners[mine]])
        return sides

    def _oof_splits(self, y: np.ndarray, groups: Sequence[str] | None):
        """Folds for the out-of-fold scores: by group when given (at least two groups)."""
        if groups is not None:
            if len(groups) != len(y):
                raise ConfigurationError("groups must give one group per labelled text")
            n_groups = len(set(groups))
            if n_groups >= 2:
                folds = GroupKFold(n_splits=min(self.cv, n_groups))
                return list(folds.split(y, groups=list(groups)))
        n_splits = max(2, min(self.cv, int(y.sum(axis=0).min())))
        folds = KFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        return list(folds.split(y))

    def get_params(self) -> dict:
        return {
            "lexical": self.lexical,
            "C": self.C,
            "embedding_weight": self.embedding_weight,
            "word_weight": self.word_weight,
            "review_by": self.review_by,
            "review_band": self.review_band,
            "review_confidence": self.review_confidence,
            "review_target": self.review_target,
            "pooling": self.pooling,
            "cv": self.cv,
            "random_state": self.random_state,
        }

    @classmethod
    def params_in_use(cls, saved: dict) -> dict:
        """The parameters a model saved with ``saved`` runs with: a parameter its card lacks
        keeps the behaviour of the version that saved it (before the confidence rule, review by
        margin; before pooling, none), so ``load`` and the staleness check read a card alike."""
        return cls(**({"review_by": "margin"} | saved)).get_params()

    def _calibrate(self, scores: np.ndarray) -> np.ndarray:
        z = scores * self.platt_[:, 0] + self.platt_[:, 1]
        return 1.0 / (1.0 + np.exp(-z))

    # -- prediction ------------------------------------------------------------------------
    def decision_function(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None):
        """Each theme's score: of the whole text, or with clause pooling the highest of the
        whole text's and its clauses'."""
        X = self._features(texts, embeddings)
        scores = np.asarray(X @ self._coef_columns()) + self.intercept_
        if self.pooling == "clauses":
            owners, parts = split_clauses(texts)
            if parts:
                part_scores = np.asarray(self._features(parts) @ self._coef_columns())
                scores = pool_max(scores, owners, part_scores + self.intercept_)
        return scores

    def _coef_columns(self) -> np.ndarray:
        """``coef_.T`` laid out by rows: scipy would otherwise copy it on every product."""
        cached = getattr(self, "_coef_t", None)
        if cached is None or cached[0] is not self.coef_:
            self._coef_t = (self.coef_, np.ascontiguousarray(self.coef_.T))
        return self._coef_t[1]

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None):
        """Calibrated probability of each theme (columns in scheme order)."""
        if self.thresholds_ is None:
            raise RuntimeError("ThemeClassifier is not fitted")
        if len(texts) == 0:
            return np.zeros((0, len(self.scheme.themes)))
        return self._calibrate(self.decision_function(texts, embeddings=embeddings))

    def predict(
        self, texts: Sequence[str], *, embeddings: np.ndarray | None = None
    ) -> list[Decision]:
        return self.decide(self.predict_proba(texts, embeddings=embeddings))

    def decide(
        self, probabilities: np.ndarray, thresholds: np.ndarray | None = None
    ) -> list[Decision]:
        """Decisions for calibrated ``probabilities`` (``predict_proba``, ``oof_proba_``) by this
        model's thresholds (or ``thresholds``) and its own review rule."""
        return decide(
            probabilities,
            self.scheme.theme_ids,
            self.thresholds_ if thresholds is None else thresholds,
            review_band=self.review_band,
            review_confidence=self.review_confidence if self.review_by == "confidence" else None,
        )

    # -- persistence -----------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "weights.npz",
            coef=self.coef_,
            intercept=self.intercept_,
            platt=self.platt_,
            thresholds=self.thresholds_,
        )
        if self.lexical:
            self._lexical.save(folder)
        (folder / "model_card.json").write_text(json.dumps(self.card, indent=2, ensure_ascii=False))
        return folder

    @classmethod
    def load(cls, folder: str | Path, embedder: Embedder | None = None) -> ThemeClassifier:
        folder = Path(folder)
        card_path = folder / "model_card.json"
        if not card_path.is_file():
            raise ModelNotFoundError(f"{folder}: no model_card.json, not a classifier folder")
        card = json.loads(card_path.read_text())
        model = cls(embedder, **cls.params_in_use(card["params"]))
        model.card = card
        model.scheme = Scheme.from_dict(card["scheme"])
        with np.load(folder / "weights.npz", allow_pickle=False) as data:
            model.coef_ = data["coef"]
            model.intercept_ = data["intercept"]
            model.platt_ = data["platt"]
            model.thresholds_ = data["thresholds"]
        if model.lexical:
            model._lexical = LexicalFeatures.load(folder)
        check_embedder(card, embedder, folder)
        return model


def check_embedder(card: dict, embedder: Embedder | None, folder: Path) -> None:
    """A model is only valid with the embedder it was trained on."""
    if embedder is not None and card.get("embedder_id") not in (None, embedder.model_id):
        raise ConfigurationError(
            f"{folder} was trained with embedder {card['embedder_id']!r} but {embedder.model_id!r} "
            "is loaded: retrain with `nlp-assises train`, or set NLP_ASSISES_EMBEDDING_MODEL to "
            "the embedder it was trained with."
        )

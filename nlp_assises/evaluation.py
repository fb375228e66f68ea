"""Evaluation of theme decisions against gold labels, as ``nlp-assises evaluate`` reports it.

Two readings of ``primary``, side by side, because they differ on multi-theme contributions:

- **lenient** (the contract's ``accuracy`` and ``macro_f1``): ``primary`` is right when it is
  one of the record's gold themes (or ``hors_theme`` for a record labelled ``hors_theme``); for
  macro-F1 the gold class of a multi-theme record is the predicted one when it is among its
  themes, its first theme otherwise;
- **strict** (``accuracy_strict``, ``macro_f1_strict``): ``primary`` must be the record's dominant
  theme, its first listed one.

On single-theme records both agree. Classes are the themes and ``hors_theme`` present in the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from nlp_assises.classify.decision import Decision
from nlp_assises.classify.estimator import labels_to_matrix
from nlp_assises.scheme import HORS_THEME


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """ECE of binary probabilities ``p`` against outcomes ``y`` (equal-width bins)."""
    y, p = np.asarray(y, dtype=float).ravel(), np.asarray(p, dtype=float).ravel()
    if len(y) == 0:
        return 0.0
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(y[mask].mean() - p[mask].mean())
    return float(ece)


def gold_primary(gold: Sequence[Sequence[str]], predicted: Sequence[str]) -> list[str]:
    """The gold class of each record for single-label metrics: the predicted theme when it is
    one of the record's themes (two right answers), else its first theme (or ``hors_theme``)."""
    return [
        p if p in (set(g) or {HORS_THEME}) else g[0] if g else HORS_THEME
        for p, g in zip(predicted, gold, strict=True)
    ]


def evaluate(
    gold: Sequence[Sequence[str]],
    decisions: Sequence[Decision],
    theme_ids: Sequence[str],
) -> dict:
    """The contract's metrics (``n``, ``accuracy``, ``macro_f1``, ``per_theme``,
    ``multilabel_f1``) plus calibration and review figures."""
    if len(gold) != len(decisions):
        raise ValueError("gold and decisions differ in length")
    n = len(gold)
    if n == 0:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0, "per_theme": {}, "multilabel_f1": 0.0}
    gold_sets = [set(g) or {HORS_THEME} for g in gold]
    predicted = [d.primary for d in decisions]
    correct = [p in g for p, g in zip(predicted, gold_sets, strict=True)]
    gold_classes = gold_primary(gold, predicted)
    classes = sorted(
        {*gold_classes} | ({HORS_THEME} if any(HORS_THEME in g for g in gold_sets) else set()),
        key=lambda c: (c == HORS_THEME, c),
    )
    macro_f1 = f1_score(gold_classes, predicted, labels=classes, average="macro", zero_division=0)
    dominant = [g[0] if g else HORS_THEME for g in gold]
    strict_classes = sorted({*dominant, *classes}, key=lambda c: (c == HORS_THEME, c))
    macro_f1_strict = f1_score(
        dominant, predicted, labels=strict_classes, average="macro", zero_division=0
    )
    correct_strict = np.array([p == d for p, d in zip(predicted, dominant, strict=True)])

    y_true = labels_to_matrix(gold, theme_ids)
    y_pred = labels_to_matrix([d.labels for d in decisions], theme_ids)
    proba = np.array([[d.scores[t] for t in theme_ids] for d in decisions])
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, zero_division=0
    )
    per_theme = {
        t: {
            "precision": round(float(precision[j]), 4),
            "recall": round(float(recall[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
            "ece": round(expected_calibration_error(y_true[:, j], proba[:, j]), 4),
        }
        for j, t in enumerate(theme_ids)
    }
    hors_gold = np.array([HORS_THEME in g for g in gold_sets])
    hors_pred = np.array([p == HORS_THEME for p in predicted])
    if hors_gold.any():
        tp = float((hors_gold & hors_pred).sum())
        per_theme[HORS_THEME] = {
            "precision": round(tp / max(1, hors_pred.sum()), 4),
            "recall": round(tp / max(1, hors_gold.sum()), 4),
            "f1": round(2 * tp / max(1, hors_pred.sum() + hors_gold.sum()), 4),
            "support": int(hors_gold.sum()),
        }
    review = np.array([d.needs_review for d in decisions])
    correct_arr = np.array(correct)
    return {
        "n": n,
        "accuracy": round(float(correct_arr.mean()), 4),
        "macro_f1": round(float(macro_f1), 4),
        "accuracy_strict": round(float(correct_strict.mean()), 4),
        "macro_f1_strict": round(float(macro_f1_strict), 4),
        "multi_theme_share": round(float(np.mean([len(g) > 1 for g in gold])), 4),
        "per_theme": per_theme,
        "multilabel_f1": round(
            float(f1_score(y_true, y_pred, average="micro", zero_division=0)), 4
        ),
        "multilabel_f1_samples": round(
            float(
                f1_score(
                    np.hstack([y_true, hors_gold[:, None]]),
                    np.hstack([y_pred, hors_pred[:, None]]),
                    average="samples",
                    zero_division=0,
                )
            ),
            4,
        ),
        "ece": round(expected_calibration_error(y_true, proba), 4),
        "needs_review_rate": round(float(review.mean()), 4),
        "accuracy_when_not_reviewed": round(float(correct_arr[~review].mean()), 4)
        if (~review).any()
        else None,
        "accuracy_strict_when_not_reviewed": round(float(correct_strict[~review].mean()), 4)
        if (~review).any()
        else None,
    }

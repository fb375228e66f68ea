"""From calibrated per-theme probabilities to the contract's decision.

``labels`` are the themes whose probability passes their own threshold; ``primary`` is the most
probable of them, or ``hors_theme`` when none passes; ``needs_review`` says a person should look
rather than trust the decision. Two rules decide it:

- by **confidence** (``review_confidence``): the probability that ``primary`` is right, read
  from the calibrated scores (``p`` of the primary theme; for ``hors_theme``, the probability
  that no theme applies, the themes taken as independent), is under the given level. It asks
  the question the review queue exists for, whether the answer is right;
- by **margin** (``review_band``, the first rule, kept for the models trained with it): some
  theme's probability is this close to its threshold, even a theme that does not change
  ``primary``.

At the same share of answers reviewed, the confidence rule leaves fewer wrong decisions outside
review on every split measured (docs/classifier.md, "Review by confidence").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nlp_assises.scheme import HORS_THEME


@dataclass
class Decision:
    scores: dict[str, float]
    labels: list[str]
    primary: str
    needs_review: bool
    margin: float  # distance of the closest probability to its threshold
    confidence: float | None = None  # probability that ``primary`` is right (calibrated models)

    def to_dict(self) -> dict:
        return asdict(self)


def primary_confidence(probabilities: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Per row, the probability that the decided ``primary`` is right: the primary theme's
    probability, or for ``hors_theme`` (no theme passes) the product of ``1 - p``."""
    probabilities = np.atleast_2d(probabilities)
    passed = probabilities >= np.asarray(thresholds, dtype=np.float64)
    masked = np.where(passed, probabilities, -1.0)
    top = masked.max(axis=1, initial=-1.0)
    none = np.prod(1.0 - probabilities, axis=1)
    return np.where(passed.any(axis=1), top, none)


def decide(
    probabilities: np.ndarray,
    theme_ids: Sequence[str],
    thresholds: Sequence[float],
    *,
    review_band: float = 0.1,
    review_confidence: float | None = None,
) -> list[Decision]:
    """Decisions for calibrated ``probabilities``; with ``review_confidence`` the review is by
    confidence, else by ``review_band`` (module docstring)."""
    probabilities = np.atleast_2d(probabilities)
    thresholds_arr = np.asarray(thresholds, dtype=np.float64)
    confidences = primary_confidence(probabilities, thresholds_arr)
    decisions = []
    for row, confidence in zip(probabilities, confidences, strict=True):
        passed = row >= thresholds_arr
        order = np.argsort(-row)
        labels = [theme_ids[i] for i in order if passed[i]]
        primary = labels[0] if labels else HORS_THEME
        margin = float(np.min(np.abs(row - thresholds_arr)))
        if review_confidence is not None:
            review = bool(confidence < review_confidence)
        else:
            review = bool(margin < review_band)
        decisions.append(
            Decision(
                scores={t: round(float(p), 4) for t, p in zip(theme_ids, row, strict=True)},
                labels=labels,
                primary=primary,
                needs_review=review,
                margin=round(margin, 4),
                confidence=round(float(confidence), 4),
            )
        )
    return decisions

"""From calibrated per-theme probabilities to the contract's decision.

``labels`` are the themes whose probability passes their own threshold; ``primary`` is the most
probable of them, or ``hors_theme`` when none passes; ``needs_review`` says the answer is close to a
threshold, so a person should look rather than trust it.
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

    def to_dict(self) -> dict:
        return asdict(self)


def decide(
    probabilities: np.ndarray,
    theme_ids: Sequence[str],
    thresholds: Sequence[float],
    *,
    review_band: float = 0.1,
) -> list[Decision]:
    probabilities = np.atleast_2d(probabilities)
    thresholds_arr = np.asarray(thresholds, dtype=np.float64)
    decisions = []
    for row in probabilities:
        passed = row >= thresholds_arr
        order = np.argsort(-row)
        labels = [theme_ids[i] for i in order if passed[i]]
        primary = labels[0] if labels else HORS_THEME
        margin = float(np.min(np.abs(row - thresholds_arr)))
        decisions.append(
            Decision(
                scores={t: round(float(p), 4) for t, p in zip(theme_ids, row, strict=True)},
                labels=labels,
                primary=primary,
                needs_review=bool(margin < review_band),
                margin=round(margin, 4),
            )
        )
    return decisions

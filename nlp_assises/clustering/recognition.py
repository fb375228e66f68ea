"""The probability from which a learnt proposal is trusted, calibrated on real answers.

``KnownProposals`` was learnt on the team's own writing; on real citizens' text its
probabilities are not calibrated, and from 0.15 it gave learnt proposals to unrelated short
answers. The threshold is chosen on the DEV half of hand-labelled real answers
(``bench/proposals_real.py --save-threshold``) as the lowest one whose precision reaches the
target there, and stored with its provenance in ``nlp_assises/data/recognition_threshold.json``;
below it an answer goes to discovery.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from nlp_assises.errors import ConfigurationError

THRESHOLD_FILE = "recognition_threshold.json"
FALLBACK = 0.15  # the value before calibration, when the file is missing


def read_threshold(path: str | Path | None = None) -> float:
    """The calibrated recognition threshold (package data unless ``path``)."""
    if path is None:
        return _packaged()
    return _parse(Path(path).read_text(encoding="utf-8"), str(path))


@cache
def _packaged() -> float:
    from nlp_assises.datasets import data_path

    source = data_path(THRESHOLD_FILE)
    if not source.is_file():
        return FALLBACK
    return _parse(source.read_text(encoding="utf-8"), THRESHOLD_FILE)


def _parse(text: str, where: str) -> float:
    try:
        value = json.loads(text)["min_probability"]
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"{where}: no min_probability ({error})") from None
    if not isinstance(value, int | float) or not 0.0 < value <= 1.0:
        raise ConfigurationError(f"{where}: min_probability must be in (0, 1], not {value!r}")
    return float(value)


def precision_recall(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    threshold: float,
) -> dict:
    """Recognition at ``threshold``: ``predicted`` is (top slug or None, its probability) per
    answer, ``gold`` the proposals each answer makes. A recognised answer is right when it makes
    the slug (main or not); recall is over the answers making one of the ``learnt`` slugs."""
    put = right = found = 0
    relevant = sum(any(g in learnt for g in proposals) for proposals in gold)
    for (slug, probability), proposals in zip(predicted, gold, strict=True):
        if slug is None or probability < threshold:
            continue
        put += 1
        if slug in proposals:
            right += 1
            found += 1
    return {
        "threshold": round(threshold, 3),
        "recognised": put,
        "right": right,
        "precision": round(right / put, 4) if put else None,
        "recall": round(found / relevant, 4) if relevant else None,
        "answers_making_a_learnt_proposal": relevant,
    }


def calibrate(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    target: float = 0.9,
    grid: Sequence[float] = tuple(round(0.15 + 0.05 * i, 2) for i in range(17)),
) -> dict:
    """The lowest threshold of ``grid`` whose precision reaches ``target``, and every higher
    one's too (so that a lucky dip does not decide it); a threshold that recognises nothing
    makes no mistake. The highest of the grid if none does."""
    rows = [precision_recall(predicted, gold, learnt, t) for t in grid]
    chosen = rows[-1]
    for i, row in enumerate(rows):
        tail = [r["precision"] for r in rows[i:] if r["precision"] is not None]
        if all(p >= target for p in tail):
            chosen = row
            break
    return {"chosen": chosen, "grid": rows, "target": target}

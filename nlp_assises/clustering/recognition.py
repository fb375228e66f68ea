"""The probability from which a learnt proposal is trusted, calibrated on real answers.

``KnownProposals`` was learnt on the team's own writing; on real citizens' text its
probabilities are not calibrated, and from 0.15 it gave learnt proposals to unrelated short
answers. The threshold is chosen on the DEV half of hand-labelled real answers
(``bench/proposals_real.py --save-threshold``) as the lowest one whose precision reaches the
target there, and stored with its provenance in ``nlp_assises/data/recognition_threshold.json``;
below it an answer goes to discovery.

One threshold for all 40 proposals recognised nothing on real answers: a few proposals
("jeunes-service-civique" for "éducation civique", "respect-forces-ordre" for "sanctionner")
are wrong at any probability there, and they decide the common threshold. So a proposal whose
own DEV precision stays at the target from some threshold on, with at least ``min_right``
right, gets that threshold (``per_proposal`` in the file); the others keep the common one.

That common threshold was 0.99 on the 431 DEV answers: the proposals wrong there decided it for
all the others, and the team's own held-out writers then had 9 % of their learnt proposals
recognised. :func:`calibrate_each` gives **every** proposal its own threshold, just above its
own mistakes on DEV and never under a ``floor``, which is what a proposal DEV never saw gets.
The floor is chosen by :func:`choose_floor` on DEV alone, by cross-fitting: thresholds
calibrated on some DEV answers are judged on the others, where some proposals were never seen,
as in a new consultation. On the 626 DEV answers of 1,300 labels, with a recogniser that counts
"none of them" at its real weight, the floor 0.5 is right 36 times in 39 by cross-fitting: every
proposal its own threshold is the shipped calibration since then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from nlp_assises.errors import ConfigurationError

THRESHOLD_FILE = "recognition_threshold.json"
FALLBACK = 0.15  # the value before calibration, when the file is missing


@dataclass(frozen=True)
class Thresholds:
    """The probability from which each learnt proposal is trusted: its own when it has one
    (``per_proposal``, slug → threshold), else ``default``."""

    default: float
    per_proposal: Mapping[str, float] = field(default_factory=dict)

    def of(self, slug: str) -> float:
        return self.per_proposal.get(slug, self.default)

    @property
    def lowest(self) -> float:
        return min([self.default, *self.per_proposal.values()])


def thresholds_from(value: float | Mapping) -> Thresholds:
    """A :class:`Thresholds` from one probability for all proposals, or from a mapping in the
    file's form (``min_probability`` and optional ``per_proposal``)."""
    data = value if isinstance(value, Mapping) else {"min_probability": value}
    return _validated(data, "recognition_threshold")


def read_threshold(path: str | Path | None = None) -> float:
    """The calibrated common recognition threshold (package data unless ``path``)."""
    return read_thresholds(path).default


def read_thresholds(path: str | Path | None = None) -> Thresholds:
    """The calibrated thresholds, common and per proposal (package data unless ``path``)."""
    if path is None:
        return _packaged()
    return _parse(Path(path).read_text(encoding="utf-8"), str(path))


@cache
def _packaged() -> Thresholds:
    from nlp_assises.datasets import data_path

    source = data_path(THRESHOLD_FILE)
    if not source.is_file():
        return Thresholds(FALLBACK)
    return _parse(source.read_text(encoding="utf-8"), THRESHOLD_FILE)


def _parse(text: str, where: str) -> Thresholds:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"{where}: no min_probability ({error})") from None
    return _validated(data, where)


def _validated(data, where: str) -> Thresholds:
    """The thresholds of a mapping in the file's form, each checked to be in (0, 1]."""
    try:
        value = data["min_probability"]
        per_proposal = data.get("per_proposal") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"{where}: no min_probability ({error})") from None
    if not isinstance(per_proposal, dict):
        raise ConfigurationError(f"{where}: per_proposal must map slugs to thresholds")
    for name, v in [("min_probability", value), *per_proposal.items()]:
        if not isinstance(v, int | float) or not 0.0 < v <= 1.0:
            raise ConfigurationError(f"{where}: {name} must be in (0, 1], not {v!r}")
    return Thresholds(float(value), {k: float(v) for k, v in per_proposal.items()})


def recognise(known, texts: Sequence[str], thresholds: Thresholds) -> list[str | None]:
    """Each text's learnt proposal (``KnownProposals``), or None when its probability is below
    that proposal's threshold."""
    predicted = known.predict(list(texts), min_probability=thresholds.lowest)
    return [slug for slug, _ in applied(predicted, thresholds)]


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


# Thresholds tried: 0.15 to 0.95, then finer above (the writers' proposals reach 0.95 on real
# answers they do not fit), and 1.0, which recognises nothing (no proposal is that sure)
GRID = (*(round(0.15 + 0.05 * i, 2) for i in range(17)), 0.97, 0.99, 1.0)


def calibrate(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    target: float = 0.9,
    grid: Sequence[float] = GRID,
) -> dict:
    """The lowest threshold of ``grid`` whose precision reaches ``target``, and every higher
    one's too (so that a lucky dip does not decide it); a threshold that recognises nothing
    makes no mistake. The highest of the grid if none does."""
    rows = [precision_recall(predicted, gold, learnt, t) for t in grid]
    holds = _tail_holds(rows, target)
    chosen = next((r for r, ok in zip(rows, holds, strict=True) if ok), rows[-1])
    return {"chosen": chosen, "grid": rows, "target": target}


def calibrate_per_proposal(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    target: float = 0.9,
    grid: Sequence[float] = GRID,
    min_right: int = 2,
) -> dict:
    """Per proposal, the lowest threshold of ``grid`` from which its own precision (answers it
    is the top proposal of) stays at ``target`` at every higher threshold, with at least
    ``min_right`` right there; proposals without one are left to the common threshold, which is
    then calibrated (:func:`calibrate`) on the answers whose top proposal is one of them."""
    per_proposal = {}
    for slug in sorted({s for s, _ in predicted if s}):
        rows = _own_grid(predicted, gold, slug, grid)
        for row, ok in zip(rows, _tail_holds(rows, target), strict=True):
            if row["right"] >= min_right and ok:
                per_proposal[slug] = row["threshold"]
                break
    rest = [(s, p) if s not in per_proposal else (None, 0.0) for s, p in predicted]
    common = calibrate(rest, gold, learnt - set(per_proposal), target, grid)
    return {"per_proposal": per_proposal, "common": common}


def _own_grid(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    slug: str,
    grid: Sequence[float],
) -> list[dict]:
    """Precision and recall of ``slug`` alone (the answers it is the top proposal of) at each
    threshold of ``grid``."""
    mine = [(s, p) if s == slug else (None, 0.0) for s, p in predicted]
    return [precision_recall(mine, gold, {slug}, t) for t in grid]


def _tail_holds(rows: Sequence[dict], target: float) -> list[bool]:
    """For each row of a grid, whether precision reaches ``target`` there and at every higher
    threshold (a threshold that recognises nothing makes no mistake)."""
    holds, ok = [], True
    for row in reversed(rows):
        ok = ok and (row["precision"] is None or row["precision"] >= target)
        holds.append(ok)
    return holds[::-1]


def calibrate_each(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    target: float = 0.9,
    floor: float = FALLBACK,
    grid: Sequence[float] = GRID,
) -> Thresholds:
    """Every proposal's own threshold: the lowest of ``grid``, not under ``floor``, from which
    its precision (answers it is the top proposal of) reaches ``target`` at every higher
    threshold. A proposal the answers never gave as top proposal gets ``floor``."""
    grid = sorted({max(t, floor) for t in grid})
    per_proposal = {}
    for slug in sorted({s for s, _ in predicted if s} & learnt):
        rows = _own_grid(predicted, gold, slug, grid)
        holds = _tail_holds(rows, target)
        threshold = next((r["threshold"] for r, ok in zip(rows, holds, strict=True) if ok), 1.0)
        if threshold > floor:
            per_proposal[slug] = threshold
    return Thresholds(floor, per_proposal)


def applied(predicted: Sequence[tuple[str | None, float]], thresholds: Thresholds) -> list:
    """``predicted`` with the proposals under their threshold taken away (probability 0)."""
    return [(s, p) if s and p >= thresholds.of(s) else (None, 0.0) for s, p in predicted]


def cross_fitted(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    calibrator,
    *,
    folds: int = 5,
    seeds: Sequence[int] = (0, 1, 2),
) -> dict:
    """Precision and recall of ``calibrator(predicted, gold, learnt) -> Thresholds`` on answers
    it was not calibrated on: each answer's proposal is judged by thresholds calibrated on the
    other folds, pooled over folds and seeds."""
    predicted, gold = list(predicted), list(gold)
    kept, judged = [], []
    for seed in seeds:
        fold_of = np.random.default_rng(seed).permutation(len(predicted)) % folds
        for k in range(folds):
            train = [i for i in range(len(predicted)) if fold_of[i] != k]
            test = [i for i in range(len(predicted)) if fold_of[i] == k]
            thresholds = calibrator([predicted[i] for i in train], [gold[i] for i in train], learnt)
            kept += applied([predicted[i] for i in test], thresholds)
            judged += [gold[i] for i in test]
    row = precision_recall(kept, judged, learnt, 0.0)
    return {key: row[key] for key in ("recognised", "right", "precision", "recall")} | {
        "folds": folds,
        "seeds": len(seeds),
    }


FLOORS = (0.15, 0.3, 0.5, 0.7, 0.85, 0.99)


def choose_floor(
    predicted: Sequence[tuple[str | None, float]],
    gold: Sequence[Sequence[str]],
    learnt: set[str],
    target: float = 0.9,
    floors: Sequence[float] = FLOORS,
) -> dict:
    """The lowest floor of :func:`calibrate_each` whose cross-fitted precision reaches
    ``target`` (the highest when none does), with every floor's cross-fitted figures."""
    rows = []
    for floor in floors:

        def calibrator(p, g, lr, floor=floor):
            return calibrate_each(p, g, lr, target, floor)

        rows.append({"floor": floor} | cross_fitted(predicted, gold, learnt, calibrator))
    passing = [r for r in rows if r["precision"] is not None and r["precision"] >= target]
    chosen = passing[0] if passing else rows[-1]
    return {"chosen": chosen, "floors": rows, "target": target}

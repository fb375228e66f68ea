"""Choosing a classifier's settings on the consultation's own labels (``nlp-assises train --tune``).

The fixed small-set settings (``small_data.py``) were chosen on one consultation with the static
embedder. A consultation that brings its own labels, or a larger encoder, can instead choose
``C`` and the word n-gram weight by cross-validation on those labels, as scikit-learn's
``GridSearchCV`` does: repeated stratified k-fold over the dominant theme, the out-of-fold
decisions of a repeat scored together, the highest mean macro-F1 kept. On the 431 labelled real
answers of ``bench/few_label.py`` this gives 0.816 held-out macro-F1 with the USE encoder
(against 0.793 for its defaults) and 0.772 with the static one (0.778 for the fixed small-set
settings): ``docs/classifier.md``, *Few-label retraining*.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from nlp_assises.embedding import Embedder
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import Scheme

# What ``--tune`` tries: the grid the fixed small-set settings were chosen from
TUNING_GRID: Mapping[str, Sequence[float]] = {"C": (1.0, 4.0, 16.0), "word_weight": (0.0, 1.0, 2.0)}
# What each grid point reports (means over the repeats)
CV_METRICS = ("macro_f1", "macro_f1_strict", "ece", "accuracy_when_not_reviewed")


def cross_validated(
    make_model: Callable[[], object],
    texts: Sequence[str],
    labels: Sequence[Sequence[str]],
    scheme: Scheme,
    *,
    embeddings: np.ndarray | None = None,
    folds: int = 5,
    repeats: int = 2,
) -> dict:
    """Mean over ``repeats`` of the scores of the pooled out-of-fold decisions of
    ``make_model()`` (an estimator with ``fit(texts, labels, scheme)`` and ``predict(texts)``),
    folds stratified by the dominant theme. ``embeddings`` (one row per text) spare encoding
    every fold again."""
    from sklearn.model_selection import StratifiedKFold

    dominant = [theme[0] for theme in labels]
    runs = []
    for repeat in range(repeats):
        decisions: list = [None] * len(texts)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=repeat)
        for train_idx, test_idx in splitter.split(np.zeros(len(texts)), dominant):
            extra = {} if embeddings is None else {"embeddings": embeddings[train_idx]}
            model = make_model()
            model.fit(
                [texts[i] for i in train_idx], [labels[i] for i in train_idx], scheme, **extra
            )
            extra = {} if embeddings is None else {"embeddings": embeddings[test_idx]}
            made = model.predict([texts[i] for i in test_idx], **extra)
            for i, decision in zip(test_idx, made, strict=True):
                decisions[i] = decision
        runs.append(evaluate(list(labels), decisions, scheme.theme_ids))
    return {
        key: round(float(np.mean([run[key] for run in runs if run[key] is not None])), 4)
        for key in CV_METRICS
    }


def tune(
    embedder: Embedder,
    texts: Sequence[str],
    labels: Sequence[Sequence[str]],
    scheme: Scheme,
    *,
    grid: Mapping[str, Sequence[float]] = TUNING_GRID,
    folds: int = 5,
    repeats: int = 2,
    progress: Callable[[int, int, dict], None] | None = None,
) -> dict:
    """Every combination of ``grid`` (``ThemeClassifier`` keyword arguments) scored by
    :func:`cross_validated`; ``params`` is the one with the highest mean macro-F1 (the first of
    the grid's order on a tie). ``progress(done, total, row)`` is called after each."""
    from nlp_assises.classify.estimator import ThemeClassifier

    embeddings = embedder.encode(list(texts))
    names = list(grid)
    combinations = list(itertools.product(*(grid[name] for name in names)))
    rows = []
    for done, values in enumerate(combinations, start=1):
        params = dict(zip(names, values, strict=True))
        scores = cross_validated(
            lambda params=params: ThemeClassifier(embedder, **params),
            texts,
            labels,
            scheme,
            embeddings=embeddings,
            folds=folds,
            repeats=repeats,
        )
        rows.append({"params": params} | scores)
        if progress is not None:
            progress(done, len(combinations), rows[-1])
    best = max(rows, key=lambda row: row["macro_f1"])
    return {"params": best["params"], "grid": rows, "folds": folds, "repeats": repeats}

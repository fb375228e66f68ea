"""Compare theme models on the same held-out texts, and promote a new one only when it is better.

The metrics are ``nlp-assises evaluate``'s (``nlp_assises.evaluation.evaluate``); the figures come
as DataFrames for notebooks (a summary, per-theme table, confusion matrix, calibration table).

>>> import nlp_assises as na
>>> pipeline = na.Pipeline()
>>> test = na.load_labelled("test")
>>> comparison = na.compare_models(
...     {"actuel": pipeline.classifier, "nouveau": new_model},
...     [r["text"] for r in test], [r["themes"] for r in test])        # doctest: +SKIP
>>> comparison.summary()                                              # doctest: +SKIP
>>> na.promote_if_better(pipeline.registry, new_model, comparison)    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nlp_assises.classify.decision import Decision
from nlp_assises.classify.estimator import labels_to_matrix
from nlp_assises.classify.registry import ModelRegistry, ThemeModel
from nlp_assises.errors import ConfigurationError
from nlp_assises.evaluation import evaluate, gold_primary
from nlp_assises.scheme import HORS_THEME

SUMMARY_METRICS = ("accuracy", "macro_f1", "multilabel_f1", "ece", "needs_review_rate")


@dataclass
class Comparison:
    """Decisions and metrics of several models on the same labelled texts."""

    theme_ids: list[str]
    gold: list[list[str]]
    decisions: dict[str, list[Decision]]
    metrics: dict[str, dict] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """One row per model: accuracy and macro-F1 of ``primary``, multi-label F1, calibration
        error (ECE) and the share sent to review."""
        return pd.DataFrame(
            {name: {k: m.get(k) for k in SUMMARY_METRICS} for name, m in self.metrics.items()}
        ).T

    def per_theme(self, metric: str = "f1") -> pd.DataFrame:
        """One row per theme (and ``hors_theme``), one column per model."""
        return pd.DataFrame(
            {
                name: {theme: v.get(metric) for theme, v in m["per_theme"].items()}
                for name, m in self.metrics.items()
            }
        )

    def confusion(self, name: str) -> pd.DataFrame:
        """Gold ``primary`` (rows) against the model's ``primary`` (columns), as counted for
        macro-F1: a contribution with two themes is right with either."""
        predicted = [d.primary for d in self.decisions[name]]
        gold = gold_primary(self.gold, predicted)
        classes = [*self.theme_ids, HORS_THEME]
        table = pd.crosstab(
            pd.Categorical(gold, categories=classes),
            pd.Categorical(predicted, categories=classes),
            rownames=["attendu"],
            colnames=["prédit"],
            dropna=False,
        )
        return table

    def calibration(self, name: str, n_bins: int = 10) -> pd.DataFrame:
        """Reliability table of every theme probability: per bin of predicted probability,
        the mean prediction, the observed frequency and the count (perfect calibration: the two
        are equal)."""
        y = labels_to_matrix(self.gold, self.theme_ids).ravel().astype(float)
        p = np.array(
            [[d.scores[t] for t in self.theme_ids] for d in self.decisions[name]], dtype=float
        ).ravel()
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        frame = pd.DataFrame({"bin": bins, "predicted": p, "observed": y})
        table = frame.groupby("bin").agg(
            predicted=("predicted", "mean"), observed=("observed", "mean"), n=("observed", "size")
        )
        table.index = [f"{b / n_bins:.1f}–{(b + 1) / n_bins:.1f}" for b in table.index]
        return table

    def best(self, metric: str = "macro_f1") -> str:
        return max(self.metrics, key=lambda name: self.metrics[name][metric])


def compare_models(
    models: Mapping[str, ThemeModel],
    texts: Sequence[str],
    gold: Sequence[Sequence[str]],
) -> Comparison:
    """Run every model on ``texts`` and measure it against ``gold`` (theme ids per text, or
    ``["hors_theme"]``). The models must share one scheme.

    Example::

        comparison = compare_models({"actuel": current, "nouveau": model}, texts, gold)
        comparison.per_theme("f1")
    """
    if not models:
        raise ValueError("compare_models needs at least one model")
    schemes = {tuple(model.scheme.theme_ids) for model in models.values()}
    if len(schemes) != 1:
        raise ConfigurationError("the models to compare classify into different themes")
    theme_ids = list(next(iter(schemes)))
    texts = list(texts)
    gold = [list(g) for g in gold]
    comparison = Comparison(theme_ids=theme_ids, gold=gold, decisions={})
    for name, model in models.items():
        decisions = model.predict(texts)
        comparison.decisions[name] = decisions
        comparison.metrics[name] = evaluate(gold, decisions, theme_ids)
    return comparison


@dataclass
class Promotion:
    """What ``promote_if_better`` did: the version it registered, whether it is now current."""

    version: str
    promoted: bool
    metric: str
    candidate: float
    current: float
    reason: str


def promote_if_better(
    registry: ModelRegistry,
    candidate: ThemeModel,
    comparison: Comparison,
    *,
    candidate_name: str = "nouveau",
    current_name: str = "actuel",
    metric: str = "macro_f1",
    min_gain: float = 0.0,
) -> Promotion:
    """Register ``candidate`` (its held-out metrics in its model card) and make it the current
    version only if its ``metric`` beats the current model's by more than ``min_gain`` on the
    same texts. The previous version stays in the registry: ``registry.rollback()`` undoes it.

    Example::

        decision = promote_if_better(pipeline.registry, model, comparison)
        decision.promoted, decision.reason
    """
    new = comparison.metrics[candidate_name][metric]
    old = comparison.metrics[current_name][metric]
    candidate.card["metrics"] = {
        "held_out": comparison.metrics[candidate_name],
        "compared_with": {current_name: comparison.metrics[current_name]},
    }
    better = new > old + min_gain
    version = registry.add(candidate, promote=better)
    reason = (
        f"{metric} {new:.4f} > {old:.4f} + {min_gain}: promoted"
        if better
        else f"{metric} {new:.4f} ≤ {old:.4f} + {min_gain}: kept the current version"
    )
    return Promotion(version, better, metric, new, old, reason)

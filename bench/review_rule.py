"""Which decisions go to review: by margin to a threshold, or by the primary's confidence.

The default classifier is fitted once (``bootstrap.default_classifier_training``, writer-grouped
out-of-fold scores). Its calibrated scores are then read by two review rules
(``classify/decision.py``):

- **margin**: some theme's probability is within a band of its threshold (the first rule);
- **confidence**: the probability that ``primary`` is right is under a level.

For each rule and each ``review_target`` of ``TARGETS`` the level is learnt as ``fit`` learns it
(the smallest queue whose out-of-fold decisions outside review are right that often), then
applied to every split: the share sent to review and the share right outside it. Beside that, the
two rules at the **same share reviewed** (20, 30, 40 %): which one leaves fewer errors outside.

Choice, fixed before the run, on the out-of-fold decisions (the writers the band is learnt on)
and the real dev half only: the confidence rule replaces the margin rule if it is right more
often at each matched share on both; its default target is then the highest of ``TARGETS`` whose
out-of-fold review share is at most the margin rule's at 0.95 (the queue the writers know, no
longer). N2, the unseen proposals, E and the real test half are reported, never used to choose.

    nice -n 10 .venv/bin/python bench/review_rule.py
"""

from __future__ import annotations

import numpy as np
from classifier_independent import Fixed, real_records
from common import REPO, Timer, write

from nlp_assises.bootstrap import default_classifier_training
from nlp_assises.classify import ThemeClassifier
from nlp_assises.classify.decision import decide
from nlp_assises.classify.estimator import _level_for_target
from nlp_assises.datasets import load_independent, load_labelled
from nlp_assises.embedding import load_embedder
from nlp_assises.scheme import HORS_THEME, Scheme

SCHEME = Scheme.default()
TARGETS = (0.95, 0.96, 0.97, 0.975, 0.98)
SHARES = (0.2, 0.3, 0.4)
PREVIOUS = ("margin", 0.95)  # the rule and target shipped before this benchmark


def signals(model: ThemeClassifier, proba: np.ndarray, records: list[dict]) -> dict:
    """Per decision: right (lenient primary), margin and confidence."""
    made = decide(proba, SCHEME.theme_ids, model.thresholds_, review_band=0.0)
    gold = [set(r["themes"]) - {HORS_THEME} or {HORS_THEME} for r in records]
    return {
        "right": np.array([d.primary in g for d, g in zip(made, gold, strict=True)]),
        "margin": np.array([d.margin for d in made]),
        "confidence": np.array([d.confidence for d in made]),
    }


def outside(sig: dict, rule: str, level: float) -> dict:
    kept = sig[rule] >= level
    return {
        "reviewed": round(float(1 - kept.mean()), 3),
        "right_outside_review": round(float(sig["right"][kept].mean()), 3) if kept.any() else None,
    }


def matched(sig: dict) -> dict:
    """Right outside review when each rule sends the same share (its least sure answers)."""
    n = len(sig["right"])
    out = {}
    for share in SHARES:
        k = round(share * n)
        out[f"{share:.0%}"] = {
            rule: round(float(sig["right"][np.argsort(sig[rule], kind="stable")[k:]].mean()), 3)
            for rule in ("margin", "confidence")
        }
    return out


def main() -> dict:
    real = real_records() or {}
    records, weights = default_classifier_training(SCHEME)
    splits = {
        "N2 (new writer + new proposals)": load_independent("test"),
        "unseen proposals": load_independent("unseen_proposal"),
        "E (first corpus, held-out writer)": load_labelled("test"),
    }
    if real:
        splits = {"real dev half": real["dev"], **splits, "real test half": real["test"]}
    texts = sorted({r["text"] for rs in (records, *splits.values()) for r in rs})
    encoder = load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md")
    vectors = Fixed(
        encoder.model_id, encoder.dim, dict(zip(texts, encoder.encode(texts), strict=True))
    )
    with Timer() as timer:
        model = ThemeClassifier(vectors, review_target=PREVIOUS[1]).fit(
            [r["text"] for r in records],
            [r["themes"] for r in records],
            SCHEME,
            groups=[r.get("writer") or "extra" for r in records],
            sample_weight=weights,
        )
    labels = [r["themes"] for r in records]
    oof = signals(model, model.oof_proba_, records)
    sigs = {"writers, out of fold": oof} | {
        name: signals(model, model.predict_proba([r["text"] for r in recs]), recs)
        for name, recs in splits.items()
    }
    curves = {}
    for rule in ("margin", "confidence"):
        for target in TARGETS:
            level = _level_for_target(
                rule, model.oof_proba_, model.thresholds_, labels, SCHEME.theme_ids, target
            )
            curves[f"{rule} {target}"] = {"level": level} | {
                name: outside(sig, rule, level) for name, sig in sigs.items()
            }
    matched_shares = {name: matched(sig) for name, sig in sigs.items()}
    choice_sets = ["writers, out of fold"] + (["real dev half"] if real else [])
    better = all(
        row["confidence"] > row["margin"]
        for name in choice_sets
        for row in matched_shares[name].values()
    )
    budget = curves[f"{PREVIOUS[0]} {PREVIOUS[1]}"]["writers, out of fold"]["reviewed"]
    fitting = [
        t
        for t in TARGETS
        if curves[f"confidence {t}"]["writers, out of fold"]["reviewed"] <= budget
    ]
    chosen = ("confidence", max(fitting)) if better and fitting else PREVIOUS
    return write(
        "review_rule",
        {
            "fit_seconds": round(timer.seconds, 1),
            "real_text": bool(real) or f"skipped: {REPO.parent / 'shared'} is absent",
            "sizes": {name: len(sig["right"]) for name, sig in sigs.items()},
            "right_at_matched_share": matched_shares,
            "by_target": curves,
            "choice": {
                "confidence_better_at_every_matched_share_on_choice_data": better,
                "previous_out_of_fold_review_share": budget,
                "chosen": {"review_by": chosen[0], "review_target": chosen[1]},
            },
        },
    )


if __name__ == "__main__":
    main()

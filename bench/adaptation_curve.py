"""How many of a consultation's own labels the default needs, and which ones to label first.

The default classifier learns text the team wrote; on real answers (Grand Débat Q134,
../shared/realdata) it is far from a reader (``bench/label_agreement.py``). A consultation closes
part of that gap by correcting answers in the review queue and retraining (the ``retrain`` job,
notebook 02): the corrections join the bundled corpora, each counting
``bootstrap.WRITER_LABEL_WEIGHT``. This benchmark draws the learning curve of that path:

- pool: the real **dev** half's hand labels (non-answers left out); reported on the real **test**
  half and on N2 (the new writer and new proposals), which no fit sees;
- ``review queue``: the labels a writer would give first, the pool ordered as
  ``labelling.review_queue`` orders it (the default's least confident decisions first);
- ``random``: the same number drawn at random (``--seeds``, three by default: their mean and
  spread);
- 0 labels is the shipped default, all labels the pool entire; every row in the same run.

``--params`` fits another classifier the same way (``'{"pooling": "clauses"}'``: clause pooling,
``docs/classifier.md``); ``--seeds`` with no value leaves the random draws out.

    nice -n 10 .venv/bin/python bench/adaptation_curve.py [--sizes 100 200 400] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import json
import random

import numpy as np
from classifier_independent import real_records
from classifier_real import SCHEME, summary
from common import REALDATA, REPO, Timer, write

from nlp_assises.bootstrap import (
    DEFAULT_CLASSIFIER_PARAMS,
    WRITER_LABEL_WEIGHT,
    default_classifier_training,
)
from nlp_assises.classify import ThemeClassifier
from nlp_assises.classify.clauses import clauses
from nlp_assises.datasets import load_independent
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder

KEYS = (
    "macro_f1",
    "macro_f1_strict",
    "macro_f1_measured_classes",
    "needs_review_rate",
    "accuracy_when_not_reviewed",
    "ece",
)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[100, 200, 400])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2], help="random draws")
    parser.add_argument(
        "--params", type=json.loads, default={}, help="JSON: ThemeClassifier parameters"
    )
    args = parser.parse_args()
    real = real_records()
    if real is None:
        return write("adaptation_curve", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    pool, test = real["dev"], real["test"]
    n2 = load_independent("test")
    bundled, _ = default_classifier_training(SCHEME)
    texts = sorted({r["text"] for rs in (bundled, pool, test, n2) for r in rs})
    encoder = load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md")
    vectors = CachedEmbedder(encoder, MemoryEmbeddingCache())
    vectors.encode(texts + [c for t in texts for c in clauses(t)])  # one encoding pass

    def fit(extra: list[dict]) -> ThemeClassifier:
        # as the retrain job trains: the default's records and weights, then the labels
        records, weights = default_classifier_training(SCHEME, extra)
        return ThemeClassifier(vectors, **(DEFAULT_CLASSIFIER_PARAMS | args.params)).fit(
            [r["text"] for r in records],
            [r["themes"] for r in records],
            SCHEME,
            groups=[r.get("writer") or "consultation" for r in records],
            sample_weight=weights,
        )

    def scored(model: ThemeClassifier) -> dict:
        return {
            name: {
                k: v
                for k, v in summary(recs, model.predict([r["text"] for r in recs])).items()
                if k in KEYS
            }
            for name, recs in (("real test", test), ("N2", n2))
        }

    with Timer() as timer:
        shipped = fit([])
    rows: dict[str, dict] = {"0 labels (shipped default)": scored(shipped)}
    print("0", json.dumps(rows["0 labels (shipped default)"]), flush=True)
    seconds_per_fit = round(timer.seconds, 1)

    # the review queue's order: unsure decisions first, then the least confident
    decisions = shipped.predict([r["text"] for r in pool])
    order = sorted(
        range(len(pool)), key=lambda i: (not decisions[i].needs_review, decisions[i].confidence)
    )
    for size in sorted(s for s in args.sizes if 0 < s < len(pool)):
        queue = scored(fit([pool[i] for i in order[:size]]))
        drawn = [
            scored(fit(random.Random(seed).sample(pool, size)))
            for seed in args.seeds  # the seeds' rows differ only by which answers were drawn
        ]
        rows[f"{size} labels, review queue first"] = queue
        if drawn:
            mean = {
                split: {
                    k: round(float(np.mean([d[split][k] for d in drawn])), 4)
                    for k in KEYS
                    if all(d[split][k] is not None for d in drawn)
                }
                for split in queue
            }
            spread = {
                split: round(float(np.std([d[split]["macro_f1"] for d in drawn])), 4)
                for split in queue
            }
            rows[f"{size} labels, at random (mean of {len(args.seeds)})"] = mean | {
                "macro_f1_std": spread
            }
        print(size, json.dumps(rows), flush=True)
    rows[f"all {len(pool)} dev labels"] = scored(fit(pool))
    return write(
        "adaptation_curve",
        {
            "pool": f"real dev half, {len(pool)} labelled answers",
            "reported": {"real test": len(test), "N2": len(n2)},
            "label_weight": WRITER_LABEL_WEIGHT,
            "classifier_params": args.params,
            "seconds_per_fit": seconds_per_fit,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()

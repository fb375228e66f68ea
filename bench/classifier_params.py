"""The default classifier's regularisation and block weights, chosen on the writers and real dev.

The default learns tens of thousands of character and word n-grams from about 11,000 written
texts with little regularisation (``C=16``). Real answers use words the writers never wrote
("augmenter le nombre de policiers" is in none of their texts): a model held closer to the
embeddings, or regularised harder, may carry better to them. Each row refits the default's recipe
(``bootstrap.default_classifier_training``: the bundled corpora, the scheme's phrases) with other
``C``, ``embedding_weight`` or ``word_weight``, or with clause pooling (``classify/clauses.py``).

Rule, fixed before the run (as in ``bench/classifier_real.py``): the highest writers' strict
out-of-fold macro-F1 (the fit's own writer-grouped decisions on the independent writers' texts)
plus real dev strict macro-F1. N2, the unseen proposals, writer E and the real test half are
reported in the same run, never used to choose. Rows run two at a time (one per core).

    nice -n 5 .venv/bin/python bench/classifier_params.py [--grid '[{"C": 4}, ...]']
"""

from __future__ import annotations

import argparse
import json
import multiprocessing

from classifier_independent import real_records
from classifier_real import SCHEME, scores_of, summary
from common import REALDATA, REPO, Timer, write

from nlp_assises.bootstrap import DEFAULT_CLASSIFIER_PARAMS, default_classifier_training
from nlp_assises.classify import ThemeClassifier
from nlp_assises.classify.clauses import clauses
from nlp_assises.datasets import load_independent, load_labelled
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder

# The default's values first: the baseline row of the same run
DEFAULT_GRID = [
    {},
    {"C": 2.0},
    {"C": 4.0},
    {"C": 8.0},
    {"C": 32.0},
    {"embedding_weight": 2.0},
    {"embedding_weight": 3.0},
    {"C": 4.0, "embedding_weight": 2.0},
    {"word_weight": 1.0},
    {"pooling": "clauses"},
]

_DATA: dict = {}  # filled before the workers fork; read by ``_row``


def _row(params: dict) -> dict:
    records, weights = _DATA["train"]
    with Timer() as timer:
        model = ThemeClassifier(_DATA["vectors"], **(DEFAULT_CLASSIFIER_PARAMS | params)).fit(
            [r["text"] for r in records],
            [r["themes"] for r in records],
            SCHEME,
            groups=[r.get("writer") or "extra" for r in records],
            sample_weight=weights,
        )
    made = model.decide(model.oof_proba_)
    keep = [i for i, r in enumerate(records) if str(r.get("writer", "")).startswith("N")]
    writers = scores_of([records[i] for i in keep], [made[i] for i in keep])
    dev = summary(_DATA["dev"], model.predict([r["text"] for r in _DATA["dev"]]))
    row = {
        "params": params,
        "choice": {"writers_oof": writers, "real_dev": dev},
        "rule": round(writers["macro_f1_strict"] + dev["macro_f1_strict"], 4),
        "reported": {
            name: summary(recs, model.predict([r["text"] for r in recs]))
            for name, recs in _DATA["reported"].items()
        },
        "review_confidence": model.review_confidence,
        "seconds": round(timer.seconds, 1),
    }
    print(json.dumps({"params": params, "rule": row["rule"]}), flush=True)
    return row


def main(grid: list[dict]) -> dict:
    real = real_records()
    if real is None:
        return write("classifier_params", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    train, weights = default_classifier_training(SCHEME)
    reported = {
        "N2 (new writer + new proposals)": load_independent("test"),
        "unseen proposals": load_independent("unseen_proposal"),
        "E (first corpus, held-out writer)": load_labelled("test"),
        "real test half": real["test"],
    }
    texts = sorted({r["text"] for rs in (train, real["dev"], *reported.values()) for r in rs})
    texts += sorted({c for t in texts for c in clauses(t)})
    encoder = load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md")
    vectors = CachedEmbedder(encoder, MemoryEmbeddingCache())
    vectors.encode(texts)  # once, before the rows fork
    _DATA.update(vectors=vectors, train=(train, weights), dev=real["dev"], reported=reported)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        rows = pool.map(_row, grid, chunksize=1)
    chosen = max(rows, key=lambda row: row["rule"])
    return write(
        "classifier_params",
        {
            "rule": "highest writers' strict OOF macro-F1 + real dev strict macro-F1",
            "defaults": {
                k: getattr(ThemeClassifier(), k) for k in ("C", "embedding_weight", "word_weight")
            },
            "chosen": chosen["params"],
            "training_texts": len(train),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--grid", type=json.loads, default=DEFAULT_GRID, help="JSON list of parameter dicts"
    )
    main(parser.parse_args().grid)

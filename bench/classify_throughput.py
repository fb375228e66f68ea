"""Classification throughput in batch after load, excluding cleaning (target: 500/s on 2 cores)."""

from __future__ import annotations

from common import REPO, Timer, peak_rss_mb, write

from nlp_assises.classify import ModelRegistry
from nlp_assises.datasets import load_labelled
from nlp_assises.embedding import load_embedder


def main() -> dict:
    embedder = load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md")
    model = ModelRegistry(REPO / "models" / "classifiers").load(embedder=embedder)
    texts = [r["text"] for r in load_labelled("train") + load_labelled("test")]
    texts = (texts * 4)[:5000]
    model.predict(texts[:64])
    runs = []
    for _ in range(3):
        with Timer() as timer:
            model.predict(texts)
        runs.append(len(texts) / timer.seconds)
    return write(
        "classify_throughput",
        {
            "texts": len(texts),
            "mean_words": round(sum(len(t.split()) for t in texts) / len(texts)),
            "contributions_per_second": round(max(runs), 1),
            "runs": [round(r, 1) for r in runs],
            "target": 500,
            "peak_rss_mb": peak_rss_mb(),
        },
    )


if __name__ == "__main__":
    main()

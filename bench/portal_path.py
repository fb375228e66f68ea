"""CPU time per text of the portal's path (`Pipeline.analyse`) and of each of its stages.

Batches of 16, as the service's micro-batcher forms them under load. The caches are warmed on the
training corpus, then the figures are taken on texts they have not seen (the sample consultation
and the held-out corpus), as a portal's texts would be. CPU time (``time.process_time``) rather
than wall time: it moves little when other work shares the machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from common import models_argument, write

from nlp_assises.datasets import load_labelled, sample_consultation_path
from nlp_assises.ingest import read_records
from nlp_assises.pipeline import Pipeline
from nlp_assises.settings import Settings

BATCH = 16


def _batches(texts: list[str]) -> list[list[str]]:
    return [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]


def _warm_pipeline(warm: list[str], models: Path) -> Pipeline:
    pipeline = Pipeline(Settings(models_dir=models))
    for batch in _batches(warm):
        pipeline.analyse(batch)
    return pipeline


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    models_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault("NLP_ASSISES_DATA_DIR", tempfile.mkdtemp(prefix="portal-path-"))
    warm = [r["text"] for r in load_labelled("train")]
    texts = [r["text"] for r in load_labelled("test")]
    texts += [r.text for r in read_records(sample_consultation_path())]

    pipeline = _warm_pipeline(warm, args.models)
    start = time.process_time()
    for batch in _batches(texts):
        pipeline.analyse(batch)
    whole = time.process_time() - start

    # Each stage alone, on a second pipeline warmed the same way (the first has seen the texts).
    pipeline = _warm_pipeline(warm, args.models)
    cleaner = pipeline.cleaner
    names = cleaner._pseudonymizer
    stages = dict.fromkeys(("repairs", "names", "pseudonym_rules", "language", "classifier"), 0.0)

    @contextmanager
    def timed(stage: str):
        start = time.process_time()
        yield
        stages[stage] += time.process_time() - start

    for batch in _batches(texts):
        with timed("repairs"):
            repaired = [cleaner._repair(t)[0] for t in batch]
        with timed("names"):
            found = names.ner_spans(repaired)
        with timed("pseudonym_rules"):
            pseudonymised = [
                names.pseudonymize(t, n)[0] for t, n in zip(repaired, found, strict=True)
            ]
        with timed("language"):
            for text in pseudonymised:
                cleaner._language.detect(text)
        with timed("classifier"):
            pipeline.classify_texts(pseudonymised)

    per_text = {k: round(v / len(texts) * 1000, 3) for k, v in stages.items()}
    return write(
        "portal_path",
        {
            "models": str(args.models),
            "texts": len(texts),
            "warmed_on": len(warm),
            "batch": BATCH,
            "whole_path_cpu_ms_per_text": round(whole / len(texts) * 1000, 3),
            "stages_cpu_ms_per_text": per_text,
        },
    )


if __name__ == "__main__":
    main()

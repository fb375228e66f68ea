"""What fitting the proposals on a sample costs on real answers (the Dask engine's refit above
``NLP_ASSISES_DASK_FIT_SAMPLE``, ``nlp_assises.scale.refit``).

The 7,237 real answers of ../shared/realdata (Grand Débat Q134) are clustered as the answers to
one open question (as ``bench/proposals_real.py`` does), three ways in the same run:

- the fit on every answer (what ``--engine local`` does);
- the fit on a seeded sample of 2,000 and of 4,000 answers (``scale.refit.in_sample``, as the
  sampled refit draws it), every other answer placed by ``clustering.placement.place``.

Scored against the hand labels (``data/labels/realdata_proposals.jsonl``, DEV and TEST halves)
with ``proposals_real.cluster_scores``: ARI, ``supported``, largest proposal, answers clustered.
Nothing was chosen on these figures (the sampled refit's default size, 25,000, was set by the
driver's memory at 100k). Skipped with a message when ../shared is absent.

    nice -n 10 .venv/bin/python bench/sampled_refit.py
"""

from __future__ import annotations

import json
from collections import Counter

from common import REALDATA, REPO, Timer, write
from proposals_real import LABELS, cluster_scores, load_labels

from nlp_assises.cleaning import Cleaner
from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.placement import Placement, place
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.scale.refit import in_sample

GROUP = "question"
SAMPLES = (2000, 4000)


def mains(members) -> tuple[dict, Counter]:
    """Each answer's main proposal (the one its first proposal sentence joined) and each
    proposal's answers."""
    main: dict[str, str] = {}
    answers: dict[str, set[str]] = {}
    for member in members:
        main.setdefault(member["contribution_id"], member["cluster_id"])
        answers.setdefault(member["cluster_id"], set()).add(member["contribution_id"])
    return main, Counter({k: len(v) for k, v in answers.items()})


def scored(labels, main, sizes, substantive, seconds) -> dict:
    return {
        "seconds": round(seconds, 1),
        "proposals": len(sizes),
        "answers_clustered": len(main),
        **{
            split: cluster_scores(
                [r for r in labels if r["split"] == split], main, sizes, substantive
            )
            for split in ("dev", "test")
        },
    }


def main() -> dict:
    if not REALDATA.is_file():
        return write("sampled_refit", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    if not LABELS.is_file():
        return write("sampled_refit", {"skipped": f"{LABELS} is absent"})
    labels = load_labels()
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    cleaned = Cleaner(detect_language=False).clean_many([r["text"] for r in records])
    items = [
        Contribution(id=r["id"], text=c.text, themes=[GROUP])
        for r, c in zip(records, cleaned, strict=True)
    ]
    embedder = CachedEmbedder(
        load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
        MemoryEmbeddingCache(),
    )

    def clusterer() -> ProposalClusterer:
        return ProposalClusterer(embedder, known=None)

    out: dict = {"corpus": REALDATA.name, "answers": len(items), "labelled": len(labels)}
    with Timer() as timer:
        full = clusterer().fit(items, [GROUP])
    substantive = len(items) - len(full.non_answers)
    main, sizes = mains(full.members)
    out["fit_on_all"] = scored(labels, main, sizes, substantive, timer.seconds)
    for size in SAMPLES:
        fraction = size / len(items)
        sample = [c for c in items if in_sample(c.id, fraction)]
        rest = [c for c in items if not in_sample(c.id, fraction)]
        with Timer() as timer:
            fitter = clusterer()
            result = fitter.fit(sample, [GROUP])
            placed = place(fitter, rest, Placement.from_fit(fitter, result))
        members = result.members + placed.members
        main, sizes = mains(members)
        out[f"fit_on_{size}"] = {
            "sample": len(sample),
            **scored(labels, main, sizes, substantive, timer.seconds),
        }
    return write("sampled_refit", out)


if __name__ == "__main__":
    result = main()
    for key, row in result.items():
        if isinstance(row, dict) and "dev" in row:
            print(
                key,
                {
                    s: (row[s]["ari"], row[s]["supported"], row[s]["largest"]["share"])
                    for s in ("dev", "test")
                },
                row["answers_clustered"],
            )

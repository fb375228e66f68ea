"""How much the emerging proposals of real answers move when their input barely does.

A writer runs the tool again on the same answers, in another order, or after a few more
arrived, and expects the same proposals. The 7,237 real answers of ``../shared/realdata``
(never copied into the project) are clustered as one open question (``na.cluster_texts``'s
path) with the default settings, then again:

- the same answers in another order (``--shuffles`` seeded shuffles);
- without 1 % of the answers (``--resamples`` seeded draws; the answers' order kept).

Each run is compared with the first on the answers both hold: ARI of each answer's main
proposal (answers in no proposal count as singletons) and how many answers are in a proposal
in one run and in none in the other. Before the sample of grouped units was chosen by content
(2026-12-07), another order gave ARI 0.69-0.71 and 1 % fewer answers 0.69-0.73, with about
900 answers in a proposal in one run only (docs/proposals.md, *Groups that do not depend on the
order of the answers*). Skipped with a message when ../shared is absent.

    nice -n 10 .venv/bin/python bench/proposals_stability.py [--shuffles 2] [--resamples 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import numpy as np
from common import REALDATA, Timer, encoder_argument, load_encoder, write
from proposals_real import LEFT_OUT_SHARE, answer_items, ours
from sklearn.metrics import adjusted_rand_score


def main_proposals(items, embedder) -> dict[str, str | None]:
    """Each answer's main proposal with the default settings (None: in none)."""
    return ours(items, embedder)[0]


def agreement(first: dict[str, str | None], other: dict[str, str | None]) -> dict:
    """``other`` against ``first`` on the answers both hold."""
    both = [i for i in other if i in first]
    a = [first[i] or f"alone-{i}" for i in both]
    b = [other[i] or f"alone-{i}" for i in both]
    return {
        "answers": len(both),
        "ari": round(float(adjusted_rand_score(a, b)), 4),
        "in_a_proposal_in_one_run_only": sum(bool(first[i]) != bool(other[i]) for i in both),
    }


def summary(rows: list[dict]) -> dict:
    aris = [r["ari"] for r in rows]
    return {"mean_ari": round(float(np.mean(aris)), 4), "min_ari": min(aris), "runs": rows}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shuffles", type=int, default=2)
    parser.add_argument("--resamples", type=int, default=3)
    encoder_argument(parser)
    args = parser.parse_args()
    if not REALDATA.is_file():
        print(f"skipped: {REALDATA} is absent (../shared is not mounted)", file=sys.stderr)
        return write("proposals_stability", {"skipped": f"{REALDATA} is absent"})
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    items = answer_items(records)
    embedder = load_encoder(args)
    with Timer() as timer:
        first = main_proposals(items, embedder)
    out: dict = {
        "corpus": REALDATA.name,
        "answers": len(items),
        "first_run_seconds": round(timer.seconds, 1),
        "in_a_proposal": sum(v is not None for v in first.values()),
    }
    shuffled = []
    for seed in range(args.shuffles):
        order = items[:]
        random.Random(seed).shuffle(order)
        shuffled.append({"seed": seed, **agreement(first, main_proposals(order, embedder))})
        print("another order", shuffled[-1], flush=True)
    fewer = []
    ids = sorted(c.id for c in items)
    for seed in range(args.resamples):
        left_out = set(random.Random(seed).sample(ids, round(LEFT_OUT_SHARE * len(items))))
        kept = [c for c in items if c.id not in left_out]
        fewer.append({"seed": seed, **agreement(first, main_proposals(kept, embedder))})
        print("1 % fewer answers", fewer[-1], flush=True)
    if shuffled:
        out["another_order"] = summary(shuffled)
    if fewer:
        out["one_percent_fewer"] = summary(fewer)
    return write("proposals_stability", out)


if __name__ == "__main__":
    main()

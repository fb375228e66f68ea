"""Sub-proposals on real answers nobody here wrote (Grand Débat Q134, ../shared/realdata).

All 7,237 answers are clustered as the answers to one open question (as bench/proposals_real.py
does: ``cluster --no-themes``), the proposals fitted once without sub-proposals, then
``SubProposals`` run on that fit for each cut of ``--cuts`` (timed apart: its extra cost). With
the hand labels (``data/labels/realdata_proposals.jsonl``: the proposals each answer makes, main
first; a dev|test split; never the text), per split and per cut:

- how many proposals get sub-proposals, how many sub-proposals, how many contributions sit in
  one (of those in a proposal of at least ``min_parent``);
- purity: per group, the share of its labelled members making the group's majority gold main
  proposal, weighted by labelled members; for the sub-proposals, and for their parents over the
  same labelled members (a sub-proposal should be at least as pure as its parent: it is a
  narrower piece of it). ``agree``: the share of a sub-proposal's labelled members whose gold
  proposals (any of them) include its parent's majority one (it did not pick up members of
  another proposal).

The default cut is chosen on DEV; TEST is reported beside it. Skipped with a message when
../shared is absent.

    nice -n 10 .venv/bin/python bench/subproposals_real.py [--cuts 0.2 0.3 0.4]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import replace

from common import REALDATA, REPO, Timer, write

from nlp_assises.cleaning import Cleaner
from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.subproposals import SubProposals
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder

LABELS = REPO / "data" / "labels" / "realdata_proposals.jsonl"


def purity(groups: list[list[str]], gold: dict[str, list[str]]) -> tuple[float | None, int]:
    """Labelled-member-weighted share making each group's majority main proposal; labelled n."""
    right = total = 0
    for members in groups:
        mains = [gold[c][0] for c in members if gold.get(c)]
        if mains:
            right += Counter(mains).most_common(1)[0][1]
            total += len(mains)
    return (round(right / total, 3) if total else None), total


def scores(clusters: list[dict], gold: dict[str, list[str]], min_parent: int) -> dict:
    """The figures of one cut over the labelled answers in ``gold`` (one split)."""
    large = [c for c in clusters if c["size"] >= min_parent]
    with_subs = [c for c in large if c["sub_proposals"]]
    subs = [s for c in large for s in c["sub_proposals"]]
    in_sub = {i for s in subs for i in s["contributions"]}
    in_large = {i for c in large for i in c["contributions"]}
    sub_groups = [s["contributions"] for s in subs]
    # the parents over the same labelled members: each member counted under its parent
    parent_groups = [
        sorted({i for s in c["sub_proposals"] for i in s["contributions"]}) for c in with_subs
    ]
    agree = right = 0
    for c in with_subs:
        mains = [gold[i][0] for i in c["contributions"] if gold.get(i)]
        if not mains:
            continue
        majority = Counter(mains).most_common(1)[0][0]
        for s in c["sub_proposals"]:
            for i in s["contributions"]:
                if gold.get(i):
                    agree += 1
                    right += majority in gold[i]
    sub_purity, labelled = purity(sub_groups, gold)
    parent_purity, _ = purity(parent_groups, gold)
    return {
        "labelled_in_sub_proposals": labelled,
        "sub_purity": sub_purity,
        "parent_purity_same_members": parent_purity,
        "agree_with_parent_majority": round(right / agree, 3) if agree else None,
        "_counts": (len(large), len(with_subs), len(subs), len(in_sub), len(in_large)),
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", nargs="*", type=float, default=[0.2, 0.3, 0.4])
    parser.add_argument("--min-parent", type=int, default=12)
    parser.add_argument("--show", action="store_true", help="print the sub-proposals' labels")
    args = parser.parse_args()
    if not REALDATA.is_file():
        return write("subproposals_real", {"skipped": f"{REALDATA} is absent (../shared/realdata)"})
    if not LABELS.is_file():
        return write("subproposals_real", {"skipped": f"{LABELS} is absent"})
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line]
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    embedder = CachedEmbedder(
        load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
        MemoryEmbeddingCache(),
    )
    cleaned = Cleaner(detect_language=False).clean_many([r["text"] for r in records])
    items = [
        Contribution(id=r["id"], text=c.text, themes=["reponses"])
        for r, c in zip(records, cleaned, strict=True)
    ]
    clusterer = ProposalClusterer(embedder, known=None, sub_min_parent=None)
    with Timer() as fit_timer:
        prepared = clusterer.prepare(items)
        result = clusterer.fit(items, ["reponses"], prepared=prepared)
    lemmas_of = dict(zip(prepared.units, prepared.lemmas, strict=True))
    by_id = {c.id: c for c in items}
    gold = {
        split: {r["id"]: r["proposals"] for r in labels if r["split"] == split and r["proposals"]}
        for split in ("dev", "test")
    }
    out: dict = {
        "corpus": REALDATA.name,
        "answers": len(records),
        "labelled": len(labels),
        "proposals": len(result.clusters),
        "min_parent": args.min_parent,
        "fit_seconds_without_sub_proposals": round(fit_timer.seconds, 1),
        "cuts": {},
    }
    for cut in args.cuts:
        run = replace(result, clusters=[dict(c) for c in result.clusters])
        finder = SubProposals(embedder, min_parent=args.min_parent, min_similarity=cut)
        with Timer() as timer:
            finder.add(run, prepared.units, lemmas_of, by_id)
        row: dict = {"seconds": round(timer.seconds, 1)}
        for split, answers in gold.items():
            figures = scores(run.clusters, answers, args.min_parent)
            large, with_subs, subs, in_sub, in_large = figures.pop("_counts")
            row |= {
                "large_proposals": large,
                "with_sub_proposals": with_subs,
                "sub_proposals": subs,
                "contributions_in_a_sub_proposal": in_sub,
                "contributions_in_large_proposals": in_large,
            }
            row[split] = figures
        if args.show:  # real citizens' words: on the terminal only, never in the results file
            for c in run.clusters[:10]:
                for s in c["sub_proposals"]:
                    print(f"{cut} {c['label']!r} ({c['size']}) > {s['label']!r} ({s['size']})")
        out["cuts"][str(cut)] = row
    dev = {c: r["dev"]["sub_purity"] or 0.0 for c, r in out["cuts"].items()}
    out["chosen_on_dev"] = max(dev, key=dev.get) if dev else None
    return write("subproposals_real", out)


if __name__ == "__main__":
    main()

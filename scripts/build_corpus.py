"""Build the labelled corpus from the writers' files in ``data/written/``, or check it is built.

Every text of the corpus is in ``data/written/<writer>-partNN.txt``, as its writer wrote it: a
header line per record, then the text, until the next header::

    ### N1-0001 | themes=service,lien | proposal=patrouilles-a-pied | register=sms | who=lycéenne
    slt on voit jamais personne a pied ds le centre...

``themes`` lists the dominant theme first (or ``hors_theme`` alone); ``proposal`` is a slug of
``nlp_assises/data/proposals.json``, of ``data/written/ideas.json`` or of the writer's own
``<writer>_ideas.json`` (two slugs, main first, when the text makes two), or ``-``.

Splits, all written to ``nlp_assises/data/corpus/``:

- ``train.jsonl`` / ``test.jsonl``: the team's first corpus, writers A–D and the held-out writer E
  (one brief with a quota plan for all five; kept for comparison with earlier figures);
- ``independent.jsonl``: the new writers (no quota plan), each record with a ``split``:
  ``train`` (may be learnt from), ``test`` (the writers of ``data/written/heldout.json``: new
  writers) or ``unseen_proposal`` (another writer's text making one of the held-out ideas, never
  learnt from). No text making a held-out idea is in ``train``, so the test split holds new
  writers *and* new proposals.

    python scripts/build_corpus.py            # rebuild
    python scripts/build_corpus.py --check    # exit 1 if the packaged corpus differs
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlp_assises.scheme import Scheme  # noqa: E402

WRITTEN = REPO / "data" / "written"
OUT = REPO / "nlp_assises" / "data" / "corpus"
FIRST_CORPUS_WRITERS = ("A", "B", "C", "D", "E")
FIRST_CORPUS_TEST = "E"
HEADER = re.compile(
    r"^### (?P<id>\S+) \| themes=(?P<themes>[a-z_,]+) \| proposal=(?P<proposal>[a-z0-9\-,]+)"
    r" \| register=(?P<register>[^|]+?) \| who=(?P<who>.*)$"
)
SHORT_WORDS = 6  # "RAS", "plus de police la nuit": people write the same short answers
PART = re.compile(r"^(?P<writer>[A-Z][A-Z0-9]*)-part\d+\.txt$")


@dataclass
class Written:
    id: str
    writer: str
    themes: list[str]
    proposals: list[str]
    register: str
    who: str
    where: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.lines).strip()


def read_part(path: Path, writer: str) -> list[Written]:
    """The records of one writer's file, in order."""
    records: list[Written] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(True), 1):
        if line.startswith("### "):
            match = HEADER.match(line.rstrip("\n"))
            if not match:
                raise SystemExit(f"{path.name}:{lineno}: malformed header: {line.strip()[:80]}")
            proposal = match["proposal"]
            records.append(
                Written(
                    id=match["id"],
                    writer=writer,
                    themes=match["themes"].split(","),
                    proposals=[] if proposal == "-" else proposal.split(","),
                    register=match["register"].strip(),
                    who=match["who"].strip(),
                    where=f"{path.name}:{lineno}",
                )
            )
        elif records:
            records[-1].lines.append(line)
        elif line.strip():
            raise SystemExit(f"{path.name}:{lineno}: text before the first '### ' header")
    return records


def known_slugs(written: Path) -> set[str]:
    slugs = {p["slug"] for p in json.loads((REPO / "nlp_assises/data/proposals.json").read_text())}
    for path in written.glob("*ideas.json"):
        slugs |= {idea["slug"] for idea in json.loads(path.read_text())["ideas"]}
    return slugs


def read_all(written: Path) -> dict[str, list[Written]]:
    """Every writer's records, by writer, validated (themes, slugs, ids, duplicate texts)."""
    scheme = Scheme.default()
    slugs = known_slugs(written)
    by_writer: dict[str, list[Written]] = {}
    for path in sorted(written.glob("*-part*.txt")):
        match = PART.match(path.name)
        if not match:
            raise SystemExit(f"{path.name}: expected a name like N1-part01.txt")
        by_writer.setdefault(match["writer"], []).extend(read_part(path, match["writer"]))
    ids: set[str] = set()
    texts: dict[str, str] = {}
    for records in by_writer.values():
        for r in records:
            r.themes = scheme.validate_labels(r.themes, where=f"{r.where}: ")
            unknown = [s for s in r.proposals if s not in slugs]
            if unknown:
                raise SystemExit(
                    f"{r.where}: unknown proposal {unknown[0]!r} (add it to an ideas file)"
                )
            if not r.text:
                raise SystemExit(f"{r.where}: empty text")
            if r.id in ids:
                raise SystemExit(f"{r.where}: duplicate id {r.id}")
            if r.text in texts and len(r.text.split()) > SHORT_WORDS:
                raise SystemExit(f"{r.where}: same text as {texts[r.text]}")
            ids.add(r.id)
            texts[r.text] = r.id
    return by_writer


def first_corpus_row(r: Written) -> dict:
    return {
        "id": r.id,
        "text": r.text,
        "themes": r.themes,
        "proposal": r.proposals[0] if r.proposals else None,
        "register": r.register,
        "persona": r.who,
        "writer": r.writer,
    }


def independent_row(r: Written, split: str) -> dict:
    return {
        "id": r.id,
        "text": r.text,
        "themes": r.themes,
        "proposal": r.proposals[0] if r.proposals else None,
        "proposals": r.proposals,
        "register": r.register,
        "persona": r.who,
        "writer": r.writer,
        "split": split,
    }


def build(written: Path = WRITTEN) -> dict[str, str]:
    """The corpus files' contents, by file name."""
    heldout = json.loads((written / "heldout.json").read_text())
    test_writers = set(heldout["test_writers"])
    unseen = set(heldout["held_out_proposals"])
    by_writer = read_all(written)
    files: dict[str, list[dict]] = {"train.jsonl": [], "test.jsonl": [], "independent.jsonl": []}
    for writer in sorted(by_writer):
        for r in by_writer[writer]:
            if writer in FIRST_CORPUS_WRITERS:
                name = "test.jsonl" if writer == FIRST_CORPUS_TEST else "train.jsonl"
                files[name].append(first_corpus_row(r))
            else:
                split = (
                    "test"
                    if writer in test_writers
                    else "unseen_proposal"
                    if unseen & set(r.proposals)
                    else "train"
                )
                files["independent.jsonl"].append(independent_row(r, split))
    return {
        name: "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        for name, rows in files.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--written", type=Path, default=WRITTEN)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    contents = build(args.written)
    stale = [
        n
        for n, c in contents.items()
        if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != c
    ]
    if args.check:
        if stale:
            raise SystemExit(
                f"corpus out of date: {', '.join(stale)} (run scripts/build_corpus.py)"
            )
        print("corpus up to date")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        (args.out / name).write_text(content, encoding="utf-8")
        print(name, content.count("\n"), "records")


if __name__ == "__main__":
    main()

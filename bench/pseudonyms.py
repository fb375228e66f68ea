"""Pseudonymisation precision and recall, span by span, against hand-made labels.

Real text: the Grand Débat answers in ``../shared/realdata/`` (never copied into the project),
labelled by hand in ``data/labels/realdata_pseudonyms.jsonl`` (ids and character offsets only):

- ``"set": "found"``: every span the pseudonymiser replaced on the 7,237 texts before issue 15's
  changes, judged ``private`` (personal data: must be replaced), ``public`` (a public figure in a
  public role: replacing it is tolerated, not required) or ``not`` (not personal data at all);
- ``"set": "sample"``: 300 texts drawn at random (seed 134), read whole, with every span of
  personal data in them (``spans``, possibly empty).

Each labelled text falls in the ``tune`` or the ``report`` half by the first byte of the SHA-256
of its id: rules were chosen on ``tune``; ``report`` is the figure to quote
(docs/privacy-measures.md).

The team's sample (``data/sample_sources``) carries its authors' names and e-mails: every
occurrence of them in a body is a span the pseudonymiser must replace (recall only: the other
names in those bodies are not labelled).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections import Counter

from common import REPO, write

LABELS = REPO / "data" / "labels" / "realdata_pseudonyms.jsonl"
REALDATA = REPO.parent / "shared" / "realdata" / "granddebat_q134_incivilites.jsonl"
SOURCES = REPO / "data" / "sample_sources"


def half(text_id: str) -> str:
    """The half a labelled text belongs to: stable, independent of the order of the labels."""
    return "tune" if hashlib.sha256(text_id.encode()).digest()[0] % 2 == 0 else "report"


def replaced_spans(pseudonymizer, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """(start, end, kind) of what the pseudonymiser replaces in each text."""
    names = pseudonymizer.ner_spans(texts)
    out = []
    for text, found in zip(texts, names, strict=True):
        _, repairs = pseudonymizer.pseudonymize(text, found)
        out.append(
            [(r.start, r.start + len(r.before), r.after[1:].rsplit("_", 1)[0]) for r in repairs]
        )
    return out


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def real_figures(pseudonymizer) -> dict:
    rows = [json.loads(line) for line in REALDATA.open(encoding="utf-8")]
    labels = [json.loads(line) for line in LABELS.open(encoding="utf-8")]
    ids = [r["id"] for r in rows]
    texts = [r["text"] for r in rows]
    start = time.process_time()
    replaced = dict(zip(ids, replaced_spans(pseudonymizer, texts), strict=True))
    cpu = time.process_time() - start
    verdict = {(x["id"], x["start"], x["end"]): x["verdict"] for x in labels if x["set"] == "found"}
    sample = {x["id"]: x["spans"] for x in labels if x["set"] == "sample"}

    out: dict = {"texts": len(texts), "ner_and_rules_cpu_s": round(cpu, 2)}
    for part in ("tune", "report", "all"):
        keep = [i for i in ids if part == "all" or half(i) == part]
        # Precision: every replaced span of these texts, with its verdict.
        counts: Counter[str] = Counter()
        kinds: dict[str, Counter[str]] = {}
        for text_id in keep:
            for s, e, kind in replaced[text_id]:
                judged = verdict.get((text_id, s, e), "unjudged")
                counts[judged] += 1
                kinds.setdefault(kind, Counter())[judged] += 1
        judged = counts["private"] + counts["public"] + counts["not"]
        # Recall: the personal data read in the random sample, found or not (exact span, or
        # covered by a replaced span).
        wanted = Counter()
        caught = Counter()
        for text_id in (i for i in keep if i in sample):
            for span in sample[text_id]:
                if span["verdict"] != "private":
                    continue
                wanted[span["kind"]] += 1
                caught[span["kind"]] += any(
                    s <= span["start"] and span["end"] <= e for s, e, _ in replaced[text_id]
                )
        sampled = sum(1 for i in keep if i in sample)
        out[part] = {
            "texts": len(keep),
            "replaced_spans": sum(counts.values()),
            "verdicts": dict(counts),
            "precision_strict": _ratio(counts["private"], judged),
            "precision_with_public_figures": _ratio(counts["private"] + counts["public"], judged),
            "not_personal_per_1000_texts": round(1000 * counts["not"] / len(keep), 2),
            "per_kind": {k: dict(v) for k, v in sorted(kinds.items())},
            "recall_sample_texts": sampled,
            "recall_sample_personal_spans": sum(wanted.values()),
            "recall": _ratio(sum(caught.values()), sum(wanted.values())),
            "recall_per_kind": {k: _ratio(caught[k], wanted[k]) for k in sorted(wanted)},
        }
    return out


def _author_spans(body: str, name: str | None, email: str | None) -> list[tuple[int, int, str]]:
    """Where the author's e-mail and the parts of their name (three letters or more, capital
    first: "Chaumette", "Marie-Claude") occur in the body."""
    spans = []
    if email:
        spans += [(m.start(), m.end(), "EMAIL") for m in re.finditer(re.escape(email), body)]
    for part in (name or "").split():
        if len(part.strip(".")) >= 3 and part[:1].isupper():
            pattern = rf"(?<![\w-]){re.escape(part)}(?![\w-])"
            spans += [(m.start(), m.end(), "PERSONNE") for m in re.finditer(pattern, body)]
    return spans


def sample_figures(cleaner) -> dict:
    rows = [
        json.loads(line)
        for path in sorted(SOURCES.glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
    ]
    bodies = [r["body"] for r in rows]
    replaced = replaced_spans(cleaner._pseudonymizer, bodies)
    # The whole cleaner (signatures and quoted replies go first): what a reader still sees.
    cleaned = cleaner.clean_many(bodies)
    out: dict = {"records": len(rows)}
    for part in ("tune", "report", "all"):
        wanted, caught = Counter(), Counter()
        naming = leaks = 0
        for row, found, clean in zip(rows, replaced, cleaned, strict=True):
            if part != "all" and half(row["id"]) != part:
                continue
            spans = _author_spans(row["body"], row["author_name"], row["author_email"])
            for s, e, kind in spans:
                wanted[kind] += 1
                caught[kind] += any(a <= s and e <= b for a, b, _ in found)
            naming += bool(spans)
            leaks += bool(_author_spans(clean.text, row["author_name"], row["author_email"]))
        out[part] = {
            "author_spans": dict(wanted),
            "recall": _ratio(sum(caught.values()), sum(wanted.values())),
            "recall_per_kind": {k: _ratio(caught[k], wanted[k]) for k in sorted(wanted)},
            "records_naming_their_author": naming,
            "records_still_naming_their_author_after_cleaning": leaks,
        }
    return out


def main() -> dict:
    from nlp_assises.cleaning import Cleaner

    cleaner = Cleaner(detect_language=False)
    result: dict = {"labels": str(LABELS.relative_to(REPO))}
    if REALDATA.is_file():
        result["realdata"] = real_figures(cleaner._pseudonymizer)
    else:
        result["realdata"] = {"skipped": f"{REALDATA} is absent (../shared is not mounted)"}
        print(f"skipped the real-text figures: {REALDATA} is absent", file=sys.stderr)
    result["team_sample"] = sample_figures(cleaner)
    return write("pseudonyms", result)


if __name__ == "__main__":
    main()

"""The PDF accent artifact as real PDF text extraction gives it, and what the cleaner makes of it.

bench/repair.py damages text with the model the repairer was built for. Here the damage is
independent of it: correct French is drawn into real PDFs (fpdf2, DejaVu Sans, a TrueType font)
in the ways producers draw accented letters (``damage.PDF_STYLES``: a stand-in glyph over the base
letter, with or without a gap after it, a spacing accent over it, NFD text with the mark inline or
drawn on its own, and precomposed glyphs as the control), read back with pypdf (the project's
reader's plain mode, pages joined as ``ingest.readers.read_pdf`` joins them, and pypdf's layout
mode), then cleaned. The damage model of bench/repair.py runs on the same texts in the same run.

Text: the sample consultation's sources as their writers wrote them (data/sample_sources, French
only) and, when ../shared/realdata is present, a seeded draw of real Grand Débat answers (skipped
with a message otherwise). Texts with a character the font lacks are left out (counted).

Per original word (a run of letters or digits, NFC): an accented word is *repaired* when it is
found in place in the cleaned text (difflib alignment of words); an unaccented word is *damaged*
when it is not. Word boundaries are compared on the non-space characters aligned between original
and cleaned text: a space between two letters or digits of the original missing from the cleaned
text is a *merge*, one the original does not have is a *split*. ``merged_by_damage`` and
``split_by_damage`` count the same on the extracted text, before cleaning. Targets: zero damaged
and zero merged words.

    python bench/repair_pdf.py [REALDATA_TEXTS]     (default 1000)
"""

from __future__ import annotations

import difflib
import json
import os
import random
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from common import REPO, write

from nlp_assises.cleaning import Cleaner
from nlp_assises.cleaning.damage import (
    DEJAVU,
    PDF_STYLES,
    drawable,
    pdf_accent_artifact,
    write_pdf_with_artifact,
)

_WORD = re.compile(r"[^\W_]+")  # words, without the punctuation around them
REALDATA = REPO.parent / "shared" / "realdata" / "granddebat_q134_incivilites.jsonl"


def sample_texts() -> list[str]:
    texts = []
    for path in sorted((REPO / "data" / "sample_sources").glob("sample_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        texts += [row["body"] for row in rows if row.get("lang", "fr") == "fr"]
    return texts


def realdata_texts(count: int) -> list[str] | None:
    if not REALDATA.is_file():
        print(f"realdata: {REALDATA} is absent, that part is skipped", file=sys.stderr)
        return None
    rows = [json.loads(line) for line in REALDATA.read_text().splitlines() if line]
    return [r["text"] for r in random.Random(2019).sample(rows, min(count, len(rows)))]


def _accented(token: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", token))


def _boundaries(text: str) -> tuple[str, set[int], list[int]]:
    """The text without whitespace, the positions in it where a word starts (but the first), and
    the index of the word each character belongs to."""
    chars: list[str] = []
    starts: set[int] = set()
    word_of: list[int] = []
    for index, token in enumerate(text.split()):
        if chars:
            starts.add(len(chars))
        chars.extend(token)
        word_of.extend([index] * len(token))
    return "".join(chars), starts, word_of


def _aligned(a: str, b: str) -> dict[int, int]:
    """Position in ``b`` of each character of ``a`` that difflib aligns."""
    mapping = {}
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        mapping.update({block.a + k: block.b + k for k in range(block.size)})
    return mapping


def _lost(
    chars: str, starts: set[int], mapping: dict[int, int], other_starts: set[int]
) -> list[int]:
    """Word starts of one text between two letters or digits aligned side by side in the other
    text, where the other text has no word start (a space taken from before a comma is not a
    merge: the whitespace step does that to every text)."""
    return [
        p
        for p in sorted(starts)
        if chars[p - 1].isalnum()
        and chars[p].isalnum()
        and p in mapping
        and p - 1 in mapping
        and mapping[p] == mapping[p - 1] + 1
        and mapping[p] not in other_starts
    ]


def score(originals: list[str], cleaned: list[str]) -> dict:
    counts = dict.fromkeys(("words", "accented", "repaired", "damaged", "merged", "split"), 0)
    examples: dict[str, list] = {"not_repaired": [], "damaged": [], "merged": [], "split": []}

    def example(kind: str, before: str, after: str) -> None:
        if len(examples[kind]) < 6:
            examples[kind].append([before, after])

    for original, fixed in zip(originals, cleaned, strict=True):
        a, b = _WORD.findall(original), _WORD.findall(fixed)
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        matched = {m.a + k for m in matcher.get_matching_blocks() for k in range(m.size)}
        for i, token in enumerate(a):
            accented = _accented(token)
            counts["words"] += 1
            counts["accented"] += accented
            counts["repaired"] += accented and i in matched
            counts["damaged"] += not accented and i not in matched
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                kind = "damaged" if any(not _accented(t) for t in a[i1:i2]) else "not_repaired"
                example(kind, " ".join(a[i1:i2]), " ".join(b[j1:j2]))
        (chars_a, starts_a, word_a), (chars_b, starts_b, word_b) = (
            _boundaries(original),
            _boundaries(fixed),
        )
        to_b = _aligned(chars_a, chars_b)
        to_a = {v: k for k, v in to_b.items()}
        for p in _lost(chars_a, starts_a, to_b, starts_b):
            counts["merged"] += 1
            words_a, words_b = original.split(), fixed.split()
            example(
                "merged", " ".join(words_a[word_a[p] - 1 : word_a[p] + 1]), words_b[word_b[to_b[p]]]
            )
        for q in _lost(chars_b, starts_b, to_a, starts_a):
            counts["split"] += 1
            words_a, words_b = original.split(), fixed.split()
            example(
                "split", words_a[word_a[to_a[q]]], " ".join(words_b[word_b[q] - 1 : word_b[q] + 1])
            )
    plain = counts["words"] - counts["accented"]
    counts["repaired_rate"] = round(counts["repaired"] / max(1, counts["accented"]), 5)
    counts["damaged_rate"] = round(counts["damaged"] / max(1, plain), 5)
    return {**counts, "examples": examples}


def read_pages(path: Path, pages: list[range], layout: bool) -> list[str]:
    """Each text's pages, extracted and joined as the project's reader does (plain mode)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    options = {"extraction_mode": "layout"} if layout else {}
    return ["\n".join(reader.pages[p].extract_text(**options) or "" for p in r) for r in pages]


def run(name: str, texts: list[str], cleaner: Cleaner, folder: Path) -> dict:
    kept = [t for t in texts if drawable(t)]
    originals = [" ".join(unicodedata.normalize("NFC", t).split()) for t in kept]
    rows: dict[str, dict] = {}

    def measure(row: str, damaged: list[str]) -> None:
        start = time.perf_counter()
        cleaned = [r.text for r in cleaner.clean_many(damaged)]
        seconds = time.perf_counter() - start
        rows[row] = score(originals, cleaned)
        extracted = score(originals, damaged)  # what the extraction itself merged or split
        rows[row]["merged_by_damage"] = extracted["merged"]
        rows[row]["split_by_damage"] = extracted["split"]
        rows[row]["changed_by_damage"] = sum(
            " ".join(d.split()) != o for d, o in zip(damaged, originals, strict=True)
        )
        rows[row]["clean_seconds"] = round(seconds, 2)
        print(
            f"{name} {row}: {json.dumps({k: v for k, v in rows[row].items() if k != 'examples'})}",
            file=sys.stderr,
            flush=True,
        )

    measure("clean_text", kept)
    measure("damage_model_allier", [pdf_accent_artifact(t, seed=i) for i, t in enumerate(kept)])
    measure(
        "damage_model_whitespace_collapsed",
        [" ".join(pdf_accent_artifact(t, seed=i).split()) for i, t in enumerate(kept)],
    )
    for style in PDF_STYLES:
        path = folder / f"{name}-{style}.pdf"
        pages = write_pdf_with_artifact(kept, path, style)
        for layout in (False, True):
            measure(
                f"pdf_{style}_{'layout' if layout else 'plain'}", read_pages(path, pages, layout)
            )
    return {"texts": len(kept), "left_out_undrawable": len(texts) - len(kept), "results": rows}


def main() -> dict:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    cleaner = Cleaner(pseudonymize=False, detect_language=False, email_cleanup=False)
    corpora = {"sample": sample_texts()}
    real = realdata_texts(count)
    with tempfile.TemporaryDirectory() as folder:
        results = {name: run(name, texts, cleaner, Path(folder)) for name, texts in corpora.items()}
        if real is not None:
            results["realdata"] = run("realdata", real, cleaner, Path(folder))
    return write(
        "repair_pdf",
        {
            "font": DEJAVU,
            "styles": PDF_STYLES,
            "realdata": "absent: skipped"
            if real is None
            else f"{len(real)} answers drawn (seed 2019)",
            "corpora": results,
        },
    )


if __name__ == "__main__":
    main()

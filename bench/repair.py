"""Repair benchmark: correct French corrupted with each kind of damage, then restored.

Correct text: the team's labelled corpus and sample consultation sources (every text as its writer
wrote it, SMS spelling and typos included: "correct" means "as written"). Damage: the PDF accent
artifact at several rates (Allier stand-ins and another producer's), the artifact with whitespace
collapsed afterwards, classic mojibake (cp1252, latin-1, double), and combinations; plus the clean
text itself, where any change is a damaged token.

Token accuracy = tokens of the original found in place in the restored text (difflib alignment on
whitespace tokens) / tokens of the original. Speed is the repair steps on one core.
"""

from __future__ import annotations

import difflib
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from common import REPO, write

from nlp_assises.cleaning import Cleaner
from nlp_assises.cleaning.damage import (
    ALLIER_STAND_INS,
    OTHER_STAND_INS,
    mojibake,
    pdf_accent_artifact,
)
from nlp_assises.datasets import load_labelled


def corpus() -> list[str]:
    texts = [r["text"] for r in load_labelled("train") + load_labelled("test")]
    for path in sorted((REPO / "data" / "sample_sources").glob("sample_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        texts += [row["body"] for row in rows if row.get("lang", "fr") == "fr"]
    return texts


def _collapse(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


DAMAGE = {
    "clean": lambda t, i: t,
    "artifact_allier_100": lambda t, i: pdf_accent_artifact(t, seed=i),
    "artifact_allier_50": lambda t, i: pdf_accent_artifact(t, rate=0.5, seed=i),
    "artifact_allier_10": lambda t, i: pdf_accent_artifact(t, rate=0.1, seed=i),
    "artifact_other_stand_ins": lambda t, i: pdf_accent_artifact(
        t, stand_ins=OTHER_STAND_INS, seed=i
    ),
    "artifact_then_whitespace_collapsed": lambda t, i: _collapse(pdf_accent_artifact(t, seed=i)),
    "mojibake_cp1252": lambda t, i: mojibake(t),
    "mojibake_latin1": lambda t, i: mojibake(t, encoding="latin-1"),
    "mojibake_double": lambda t, i: mojibake(t, rounds=2),
    "artifact_then_mojibake": lambda t, i: mojibake(
        pdf_accent_artifact(t, stand_ins=ALLIER_STAND_INS, seed=i)
    ),
}


def score(originals: list[str], restored: list[str]) -> dict:
    total = kept = 0
    damaged_examples = []
    for original, fixed in zip(originals, restored, strict=True):
        a, b = original.split(), fixed.split()
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        same = sum(block.size for block in matcher.get_matching_blocks())
        total += len(a)
        kept += same
        if same < len(a) and len(damaged_examples) < 8:
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag != "equal":
                    damaged_examples.append((" ".join(a[i1:i2]), " ".join(b[j1:j2])))
                    break
    return {
        "tokens": total,
        "tokens_wrong": total - kept,
        "token_accuracy": round(kept / max(1, total), 5),
        "examples": damaged_examples,
    }


def main() -> dict:
    texts = corpus()
    cleaner = Cleaner(pseudonymize=False, detect_language=False, email_cleanup=False)
    # The reference is the text after whitespace normalisation alone (what any reader sees).
    originals = [" ".join(t.split()) for t in texts]
    rows = {}
    for name, damage in DAMAGE.items():
        damaged = [damage(t, i) for i, t in enumerate(texts)]
        start = time.perf_counter()
        restored = [r.text for r in cleaner.clean_many(damaged)]
        seconds = time.perf_counter() - start
        row = score(originals, restored)
        row["changed_texts_by_damage"] = sum(d != t for d, t in zip(damaged, texts, strict=True))
        row["tokens_per_second"] = round(sum(len(d.split()) for d in damaged) / seconds)
        rows[name] = row
    return write("repair", {"texts": len(texts), "results": rows, "one_core": True})


if __name__ == "__main__":
    main()

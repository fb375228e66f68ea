"""The labelled corpora are rebuilt from the writers' files, and their held-out splits hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nlp_assises.datasets import load_independent, load_labelled

REPO = Path(__file__).resolve().parents[1]


def test_packaged_corpus_is_what_the_writers_files_build():
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts/build_corpus.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_a_malformed_header_is_refused_with_its_place(tmp_path):
    for name in ("heldout.json", "ideas.json"):
        (tmp_path / name).write_text((REPO / "data/written" / name).read_text())
    (tmp_path / "N9-part01.txt").write_text("### N9-0001 | themes=service | proposal=-\nbonjour\n")
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts/build_corpus.py"),
            "--written",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "N9-part01.txt:1: malformed header" in done.stderr
    assert not (tmp_path / "out").exists()


def test_independent_held_out_split_has_new_writers_and_new_proposals():
    heldout = json.loads((REPO / "data/written/heldout.json").read_text())
    train, test = load_independent("train"), load_independent("test")
    unseen = load_independent("unseen_proposal")
    assert {r["writer"] for r in test} <= set(heldout["test_writers"])
    assert not {r["writer"] for r in train} & set(heldout["test_writers"])
    hidden = set(heldout["held_out_proposals"])
    assert not any(hidden & set(r["proposals"]) for r in train)
    assert all(hidden & set(r["proposals"]) for r in unseen)
    first = {r["text"] for split in ("train", "test") for r in load_labelled(split)}
    assert not first & {r["text"] for r in train + test + unseen}

"""The hand theme labels of 1,300 real answers in three batches
(data/labels/realdata_themes.jsonl), and the second labellers' blind labels of the test half
(realdata_themes_second.jsonl, ``bench/label_agreement.py``), stay well-formed: they measure the
classifier, so a typo in a theme id or a drifting split would skew that measure silently."""

from __future__ import annotations

import hashlib
import json

import pytest

from nlp_assises.scheme import HORS_THEME, Scheme
from tests.conftest import REPO, SHARED

LABELS = REPO / "data" / "labels" / "realdata_themes.jsonl"
REALDATA = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"
SECOND = REPO / "data" / "labels" / "realdata_themes_second.jsonl"
KEYS = {"id", "themes", "non_answer", "split", "note", "confidence", "batch"}


def _rows(path=LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_labels_follow_the_scheme_and_the_split_rule():
    rows = _rows()
    scheme = Scheme.default()
    assert len(rows) == 1300 and len({r["id"] for r in rows}) == 1300
    assert {r["batch"] for r in rows} == {"1", "2a", "2b"}
    for row in rows:
        assert set(row) <= KEYS and {"id", "themes", "non_answer", "split"} <= set(row), row["id"]
        assert scheme.validate_labels(row["themes"], where=f"{row['id']}: ") == row["themes"]
        digest = int(hashlib.sha256(row["id"].encode()).hexdigest(), 16)
        assert row["split"] == ("dev" if digest % 2 == 0 else "test"), row["id"]
        if row["non_answer"]:
            assert row["themes"] == [HORS_THEME], row["id"]
        assert row.get("confidence", "low") == "low", row["id"]
    # both splits hold every theme the sample has enough of to measure
    for split in ("dev", "test"):
        present = {t for r in rows if r["split"] == split for t in r["themes"]}
        assert {"service", "lien", HORS_THEME} <= present, split


def test_second_labels_cover_the_test_half_once_and_follow_the_scheme():
    first = {r["id"]: r for r in _rows()}
    second = _rows(SECOND)
    scheme = Scheme.default()
    ids = [r["id"] for r in second]
    assert len(ids) == len(set(ids))
    assert set(ids) == {i for i, r in first.items() if r["split"] == "test"}
    assert {r["labeller"] for r in second} == {"x", "y"}
    for row in second:
        assert set(row) <= KEYS - {"batch"} | {"labeller"}, row["id"]
        assert scheme.validate_labels(row["themes"], where=f"{row['id']}: ") == row["themes"]
        assert row["split"] == first[row["id"]]["split"]
        if row["non_answer"]:
            assert row["themes"] == [HORS_THEME], row["id"]
        assert row.get("confidence", "low") == "low", row["id"]


@pytest.mark.skipif(not REALDATA.is_file(), reason="../shared/realdata is absent")
@pytest.mark.parametrize("path", [LABELS, SECOND], ids=["first", "second"])
def test_labels_name_real_answers_and_carry_no_text(path):
    with REALDATA.open(encoding="utf-8") as handle:
        texts = {row["id"]: row["text"] for row in map(json.loads, handle)}
    rows = _rows(path)
    assert all(r["id"] in texts for r in rows)
    # a note is a few words of the labeller's, never a copy of the answer
    for row in rows:
        note = row.get("note", "")
        assert len(note) <= 80 and (not note or note.lower() not in texts[row["id"]].lower())

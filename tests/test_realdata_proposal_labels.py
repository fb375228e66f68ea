"""The hand proposal labels of 1,300 real answers (data/labels/realdata_proposals.jsonl and its
inventory) stay well-formed: they measure how precisely the 40 learnt proposals are recognised, so
a slug that drifts from proposals.json, a typo or a drifting split would skew that measure
silently. The second labeller's blind labels of the test half (realdata_proposals_second.jsonl,
``bench/label_agreement.py``) are held to the same rules."""

from __future__ import annotations

import hashlib
import json

import pytest

from nlp_assises.scheme import HORS_THEME, Scheme
from tests.conftest import REPO, SHARED

LABELS = REPO / "data" / "labels" / "realdata_proposals.jsonl"
INVENTORY = REPO / "data" / "labels" / "realdata_proposal_inventory.json"
LEARNT = REPO / "nlp_assises" / "data" / "proposals.json"
IDEAS = REPO / "data" / "written" / "ideas.json"
REALDATA = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"
SECOND = REPO / "data" / "labels" / "realdata_proposals_second.jsonl"
SECOND_INVENTORY = REPO / "data" / "labels" / "realdata_proposal_inventory_second.json"
KEYS = {"id", "substantive", "proposals", "split", "batch", "note"}


def _rows(path=LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _inventory(path=INVENTORY) -> dict[str, dict]:
    return {p["slug"]: p for p in json.loads(path.read_text(encoding="utf-8"))["proposals"]}


def test_rows_follow_the_split_rule_and_name_inventory_slugs():
    rows, inventory = _rows(), _inventory()
    assert len(rows) == 1300 and len({r["id"] for r in rows}) == 1300
    assert [r["batch"] for r in rows] == ["1"] * 500 + ["2a"] * 400 + ["2b"] * 400
    for row in rows:
        assert set(row) <= KEYS and KEYS - {"note"} <= set(row), row["id"]
        digest = int(hashlib.sha256(row["id"].encode()).hexdigest(), 16)
        assert row["split"] == ("dev" if digest % 2 == 0 else "test"), row["id"]
        props = row["proposals"]
        assert len(set(props)) == len(props) and set(props) <= set(inventory), row["id"]
        if not row["substantive"]:
            assert props == [], row["id"]
    used = {s for r in rows for s in r["proposals"]}
    assert used == set(inventory), "the inventory lists exactly the slugs the labels use"


def test_second_labels_cover_the_first_test_half_with_known_or_own_slugs():
    first = {r["id"]: r for r in _rows()}
    second, own = _rows(SECOND), _inventory(SECOND_INVENTORY)
    assert {r["id"] for r in second} == {
        i for i, r in first.items() if r["split"] == "test" and r["batch"] == "1"
    }
    assert len(second) == len({r["id"] for r in second})
    themes = set(Scheme.default().theme_ids) | {HORS_THEME}
    assert all(s.startswith("r2-") and p["theme"] in themes for s, p in own.items())
    for row in second:
        assert set(row) <= KEYS - {"batch"} and KEYS - {"note", "batch"} <= set(row), row["id"]
        assert row["split"] == first[row["id"]]["split"], row["id"]
        props = row["proposals"]
        assert len(set(props)) == len(props), row["id"]
        assert set(props) <= set(_inventory()) | set(own), row["id"]
        if not row["substantive"]:
            assert props == [], row["id"]
    assert {s for r in second for s in r["proposals"]} >= set(own)


def test_inventory_reuses_learnt_and_idea_slugs_verbatim():
    known = {p["slug"]: p for p in json.loads(LEARNT.read_text(encoding="utf-8"))}
    known |= {p["slug"]: p for p in json.loads(IDEAS.read_text(encoding="utf-8"))["ideas"]}
    themes = set(Scheme.default().theme_ids) | {HORS_THEME}
    for slug, entry in _inventory().items():
        assert entry["theme"] in themes and entry["label"].strip(), slug
        if slug.startswith("r-"):
            assert slug not in known, slug
        else:
            # a reused slug means exactly that proposal: same label, same theme
            assert (entry["label"], entry["theme"]) == (
                known[slug]["label"],
                known[slug]["theme"],
            ), slug


@pytest.mark.skipif(not REALDATA.is_file(), reason="../shared/realdata is absent")
@pytest.mark.parametrize("path", [LABELS, SECOND], ids=["first", "second"])
def test_labels_name_real_answers_and_carry_no_text(path):
    with REALDATA.open(encoding="utf-8") as handle:
        texts = {row["id"]: row["text"] for row in map(json.loads, handle)}
    for row in _rows(path):
        assert row["id"] in texts, row["id"]
        # a note is a few words of the labeller's, never a copy of the answer
        note = row.get("note", "")
        assert len(note) <= 80 and (not note or note.lower() not in texts[row["id"]].lower()), row[
            "id"
        ]

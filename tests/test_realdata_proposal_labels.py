"""The hand proposal labels of 500 real answers (data/labels/realdata_proposals.jsonl and its
inventory) stay well-formed: they measure how precisely the 40 learnt proposals are recognised, so
a slug that drifts from proposals.json, a typo or a drifting split would skew that measure
silently."""

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
KEYS = {"id", "substantive", "proposals", "split", "note"}


def _rows() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]


def _inventory() -> dict[str, dict]:
    return {p["slug"]: p for p in json.loads(INVENTORY.read_text(encoding="utf-8"))["proposals"]}


def test_rows_follow_the_split_rule_and_name_inventory_slugs():
    rows, inventory = _rows(), _inventory()
    assert len(rows) == 500 and len({r["id"] for r in rows}) == 500
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
def test_labels_name_real_answers_and_carry_no_text():
    with REALDATA.open(encoding="utf-8") as handle:
        texts = {row["id"]: row["text"] for row in map(json.loads, handle)}
    for row in _rows():
        assert row["id"] in texts, row["id"]
        # a note is a few words of the labeller's, never a copy of the answer
        note = row.get("note", "")
        assert len(note) <= 80 and (not note or note.lower() not in texts[row["id"]].lower()), row[
            "id"
        ]

"""Copy-paste campaigns on real answers with planted copies: the two-step detector (band keys,
then candidates confirmed on their texts) finds what a MinHash LSH index over every text finds."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from nlp_assises.clustering.campaigns import CampaignDetector, _shingles
from tests.conftest import SHARED

REAL = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"


def _texts() -> tuple[list[str], list[str]]:
    """Real answers when ../shared is present (else the sample's), with copies of some of
    them: exact, one word dropped, two words changed: what a copy-paste campaign looks like."""
    if REAL.exists():
        rows = [json.loads(line) for line in REAL.open(encoding="utf-8")][:1500]
        ids, texts = [r["id"] for r in rows], [r["text"] for r in rows]
    else:
        from nlp_assises.ingest import read_records
        from tests.conftest import SAMPLE_FORM

        records = [r for r in read_records(SAMPLE_FORM) if r.text.strip()]
        ids, texts = [r.id for r in records], [r.text for r in records]
    rng = random.Random(7)
    long = [t for t in texts if len(t.split()) >= 20]
    for k in range(120):
        words = rng.choice(long[:40]).split()  # few sources: several copies of each
        if k % 3 == 1:
            del words[rng.randrange(len(words))]
        elif k % 3 == 2:
            for _ in range(2):
                words[rng.randrange(len(words))] = "vraiment"
        ids.append(f"copie-{k}")
        texts.append(" ".join(words))
    return ids, texts


def _reference(ids, texts, threshold=0.6, min_size=3, min_words=12) -> dict:
    """The previous detector: every text's MinHash in one LSH index, each candidate pair
    confirmed by the Jaccard similarity of the shingles, groups of ``min_size`` or more."""
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    shingles, hashes = {}, {}
    for cid, text in zip(ids, texts, strict=True):
        sh = _shingles(text)
        if len(text.split()) < min_words or not sh:
            continue
        mh = MinHash(num_perm=128, seed=1)
        for s in sh:
            mh.update(s.encode("utf-8"))
        shingles[cid], hashes[cid] = sh, mh
        lsh.insert(cid, mh)
    parent = {cid: cid for cid in shingles}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for cid, mh in hashes.items():
        for other in lsh.query(mh):
            a, b = shingles[cid], shingles[other]
            if other != cid and len(a & b) / len(a | b) >= threshold:
                ra, rb = find(cid), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for cid in shingles:
        groups.setdefault(find(cid), []).append(cid)
    return {frozenset(g) for g in groups.values() if len(g) >= min_size}


def test_two_steps_find_the_campaigns_one_index_finds():
    ids, texts = _texts()
    found = CampaignDetector().fit_predict(ids, texts)
    groups: dict[str, set[str]] = {}
    for cid, campaign in found.items():
        if campaign:
            groups.setdefault(campaign, set()).add(cid)
    assert {frozenset(g) for g in groups.values()} == _reference(ids, texts)
    assert sum(1 for cid in found if cid.startswith("copie-") and found[cid]) >= 60  # not vacuous
    assert found[ids[0]] is None or len(groups[found[ids[0]]]) >= 3


def test_band_keys_are_the_same_in_any_batch_and_zero_for_short_texts():
    _, texts = _texts()
    detector = CampaignDetector()
    whole = detector.band_keys(texts[:200])
    parts = np.vstack([detector.band_keys(texts[k : min(k + 37, 200)]) for k in range(0, 200, 37)])
    assert np.array_equal(whole, parts)
    short = detector.band_keys(["Plus de police.", "Appliquer la loi, tout simplement."])
    assert not short.any()


def test_group_asks_for_the_candidates_texts_only():
    ids, texts = _texts()
    detector = CampaignDetector()
    keys = detector.band_keys(texts)
    asked: list[str] = []

    def texts_of(wanted):
        asked.extend(wanted)
        return [texts[ids.index(i)] for i in wanted]

    found = detector.group(ids, keys, texts_of)
    assert set(found) <= set(asked)
    assert len(asked) < len(ids) / 2
    assert len(set(asked)) == len(asked)


@pytest.mark.parametrize("size", [0, 1])
def test_nothing_to_group(size):
    ids, texts = _texts()
    assert CampaignDetector().fit_predict(ids[:size], texts[:size]) == {i: None for i in ids[:size]}

"""bench/proposals_real.py's resampling: how much a method's real-answer scores owe to the exact
set of answers. Each resample leaves out 1 % of the answers nobody labelled, never a labelled
one (the judged sample stays the same), the same seed leaves out the same answers, and each
resample's seed is also the salt of the method's own draw (``random_state``)."""

from __future__ import annotations

import sys
from collections import Counter

from nlp_assises.clustering import Contribution
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

from proposals_real import LEFT_OUT_SHARE, resampled_scores


def test_resamples_leave_out_unlabelled_answers_only_and_repeat_by_seed():
    items = [Contribution(id=f"r{i}", text=f"réponse {i}", themes=[]) for i in range(400)]
    labels = [
        {
            "id": f"r{i}",
            "split": "dev" if (i // 10) % 2 else "test",
            "substantive": True,
            "proposals": [f"p{i % 3}"],
        }
        for i in range(0, 400, 10)
    ]
    labelled = {r["id"] for r in labels}
    seen: list[set[str]] = []
    salts: list[int | None] = []

    def run(kept, salt=None):
        seen.append({c.id for c in kept})
        salts.append(salt)
        # a method that puts the answers making p0 apart from the others
        main_of = {c.id: ("a" if int(c.id[1:]) % 3 == 0 else "b") for c in kept}
        return main_of, Counter(main_of.values()), None

    first = resampled_scores(run, items, labels, 3)
    assert len(seen) == 3 and salts == [0, 1, 2]
    for ids in seen:
        assert labelled <= ids
        assert len(ids) == len(items) - round(LEFT_OUT_SHARE * len(items))
    assert len({frozenset(ids) for ids in seen}) == 3  # three different resamples
    again = resampled_scores(run, items, labels, 3)
    assert [frozenset(ids) for ids in seen[3:]] == [frozenset(ids) for ids in seen[:3]]
    assert again == first
    for split in ("dev", "test"):
        supported = first[split]["supported"]
        assert len(supported["runs"]) == 3
        assert supported["min"] <= supported["mean"] <= supported["max"]
    assert resampled_scores(run, items, labels, 0) is None

"""The real-answer proposal score the tests share with ``bench/proposals_real.py``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence


def supported_share(
    assignments: Mapping[str, Sequence[str]], gold: Mapping[str, Sequence[str]]
) -> tuple[float, int]:
    """``supported`` as the benchmark counts it: among the labelled answers in a proposal with
    another labelled answer, the share that make the proposal most of the others make; and how
    many labelled answers are in a proposal. Answers are taken in ``gold``'s order (the
    labels' order, as the benchmark: ties go to the proposal seen first)."""
    members: dict[str, list[str]] = {}
    for i in gold:
        if assignments.get(i):
            members.setdefault(assignments[i][0], []).append(i)
    judged = made = 0
    for ids in members.values():
        counts = Counter(p for i in ids for p in gold[i])
        for i in ids if len(ids) >= 2 else ():
            others = counts - Counter(gold[i])
            judged += 1
            made += bool(others) and others.most_common(1)[0][0] in gold[i]
    return made / judged, sum(len(ids) for ids in members.values())

"""A large group whose members add a second, distinct word to its own is split by that word.

After the coherence check every member of a group says one of its core words, but on real
answers a large group still mixes proposals that share that word and differ by another one:
"pédagogie" holds "de la pédagogie", "pédagogie et sanctions" and "pédagogie puis répression";
"surveillance" holds "caméras de surveillance" and "surveillance vidéo"; "éducation" holds
"éducation" and "éducation et sanction". The hand labels of the real answers (Grand Débat
Q134) tell those apart, and a member of the mixed group then sits beside members that do not
make its proposal.

Within each group of at least ``min_parent`` contributions, a **split word** is a content word
that is none of the group's core words and that at least ``share`` of its contributions (and
``min_size`` or more) carry. Split words are taken by how many contributions carry them (the
most first): the members still in the parent that carry one form a sub-group when they are
``min_size`` contributions or more **and** distinct from the rest of the parent in meaning:
their mean pairwise cosine (centred sentence embeddings) exceeds their mean cosine with the
rest by at least ``min_distinct`` (a word the whole group says in passing moves nobody). A
sub-group becomes a proposal of its own; the members that carry no split word stay in the
parent. A new unit placed in the parent goes, by the same rule, to the first sub-group whose
word it carries (``splits_``, kept by ``placement.FittedTheme``).

Chosen on the DEV half of the real labels (``bench/proposals_real.py``; docs/proposals.md):
``supported`` 0.739 against 0.694 without the split, as many labelled answers clustered (363),
ARI 0.092 against 0.105 (a split's members leave their parent's other members); writer E's
discovery is unchanged (its groups are too small to split).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class KeywordSplit:
    """Splits large groups by a distinct second word (module docstring).

    ``min_parent``: smallest group split, in contributions; ``share``: the share of a group's
    contributions a split word must be carried by; ``min_size``: smallest sub-group, in
    contributions; ``min_distinct``: how much closer a sub-group's members must be to each
    other than to the rest of the parent (mean cosine of centred embeddings).

    After :meth:`refine`: ``splits_``: parent group → its ``(word, sub-group)`` pairs, in the
    order a unit is tried against them.
    """

    def __init__(
        self,
        *,
        min_parent: int = 20,
        share: float = 0.1,
        min_size: int = 3,
        min_distinct: float = 0.125,
    ) -> None:
        self.min_parent = min_parent
        self.share = share
        self.min_size = min_size
        self.min_distinct = min_distinct

    def refine(
        self,
        labels: np.ndarray,
        bags: Sequence[frozenset[str]],
        owners: Sequence[str],
        vectors: np.ndarray,
        cores: dict[int, frozenset[str]],
    ) -> np.ndarray:
        """``labels``: each unit's group (-1: none); ``bags``: each unit's content words (the
        coherence check's); ``vectors``: the units' centred unit-norm embeddings; ``cores``:
        each group's core words. Returns the labels with the sub-groups numbered after the
        largest label."""
        labels = np.asarray(labels).copy()
        self.splits_: dict[int, list[tuple[str, int]]] = {}
        next_label = int(labels.max()) + 1 if len(labels) else 0
        for g in sorted(set(labels.tolist()) - {-1}):
            where = np.flatnonzero(labels == g)
            people = {owners[i] for i in where}
            if len(people) < self.min_parent:
                continue
            core = cores.get(g, frozenset())
            carriers: dict[str, set[str]] = {}
            for i in where:
                for word in bags[i] - core:
                    carriers.setdefault(word, set()).add(owners[i])
            need = max(self.min_size, self.share * len(people))
            words = sorted(
                ((len(who), w) for w, who in carriers.items() if len(who) >= need), reverse=True
            )
            left = set(where.tolist())
            for _, word in words:
                sub = sorted(i for i in left if word in bags[i])
                rest = sorted(left - set(sub))
                if len({owners[i] for i in sub}) < self.min_size or not rest:
                    continue
                if self._distinctness(vectors[sub], vectors[rest]) < self.min_distinct:
                    continue
                labels[sub] = next_label
                self.splits_.setdefault(g, []).append((word, next_label))
                left -= set(sub)
                next_label += 1
        return labels

    @staticmethod
    def _distinctness(inside: np.ndarray, outside: np.ndarray) -> float:
        """Mean pairwise cosine within ``inside`` minus its mean cosine with ``outside``."""
        m, gram = len(inside), inside @ inside.T
        within = float((gram.sum() - np.trace(gram)) / (m * (m - 1)))
        return within - float((inside @ outside.T).mean())

    @staticmethod
    def route(label, bag: frozenset[str], splits: dict) -> object:
        """Where a unit given ``label`` ends: the first sub-group of ``label`` whose word its
        ``bag`` carries, else ``label`` (``splits``: :attr:`splits_`, or the same named)."""
        for word, sub in splits.get(label, ()):
            if word in bag:
                return sub
        return label

"""A group is shown as one proposal only when its members say it in shared words.

Average-linkage groups are coherent on average, but a member can reach a group through its
context (the rest of its answer), a light verb ("mettre en place", "développer") or its
spelling alone, and then sits under a label it does not make (on hand-labelled real answers,
over a quarter of the judged members of the DEV half). After grouping, each group's **core
words** are the content lemmas carried by at least ``core_share`` of its contributions (and by
two or more); a member whose own sentence carries none of them leaves the group; the core is
recomputed until nothing moves (a member that left while a word was not yet core comes back
once it is: a unit stays in its group exactly when it carries the group's final core words,
the rule that places new units), and a group left with fewer than ``min_size`` contributions
is no proposal. A member that left joins no other group of this pass: giving it to the group
whose core it carries most was measured worse on the real DEV answers (``supported`` 0.64
against 0.77), and so was the group it is most alike among those whose core it carries (see
docs/proposals.md). The units no group kept are grouped again among themselves by
``ProposalClusterer``'s leftover pass, under the same check.
"Nothing shown as a finding the contributions do not support" (issue 13): an answer unassigned
is better than an answer shown under a proposal it does not make.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

# Words that join sentences without naming what they propose: light verbs and quantities
# ("mettre en place", "développer", "pas grand chose") and the question's own subject.
LIGHT_WORDS = frozenset(
    {
        "mettre",
        "place",
        "développer",
        "trouver",
        "prendre",
        "donner",
        "rendre",
        "grand",
        "chose",
        "rien",
        "moyen",
        "niveau",
        "cas",
        "part",
        "solution",
        "problème",
        "incivilité",
        "incivilités",
        "incivil",
        "réellement",
        "vraiment",
        "beaucoup",
        "davantage",
        "mieux",
        "certain",
        "autre",
        "déjà",
        "toujours",
    }
)


class CoherenceCheck:
    """Members of a group must carry one of its core words (module docstring).

    ``words``: a text's content lemmas (a ``LemmaAnalyzer`` with generic words dropped; pairs
    of lemmas are ignored). ``core_share``: the share of a group's contributions a word must be
    carried by to be core. ``min_size``: smallest group kept, in contributions.
    """

    def __init__(
        self,
        words: Callable[[str], list[str]],
        *,
        core_share: float = 0.5,
        min_size: int = 3,
        light_words: frozenset[str] = LIGHT_WORDS,
        prefix: int | None = None,
    ) -> None:
        self.words = words
        self.prefix = prefix
        self.core_share = core_share
        self.min_size = min_size
        self.light_words = light_words

    def refine(self, labels: np.ndarray, texts: Sequence[str], owners: Sequence[str]) -> np.ndarray:
        """``labels``: each unit's group (-1: none); returns the labels after the check.
        ``carried_``: how many of its final group's core words each unit carries (0: none)."""
        grouped = np.asarray(labels).copy()
        labels = grouped.copy()
        bags = [self._bag(t) for t in texts]
        # Until it settles: a unit is in the group it was given iff it carries the group's
        # core words as they are now; one that left while a word was not yet core comes back
        # once it is (placing a new unit applies the same rule to the final cores). A group
        # left too small has no core words: its units never come back.
        for _ in range(10):
            cores = self.cores(labels, bags, owners)
            kept = np.array(
                [
                    g if g != -1 and bags[i] & cores.get(g, frozenset()) else -1
                    for i, g in enumerate(grouped.tolist())
                ],
                dtype=grouped.dtype,
            )
            kept = self._drop_small(kept, owners)
            if np.array_equal(kept, labels):
                break
            labels = kept
        cores = self.cores(labels, bags, owners)
        self.carried_ = np.array(
            [
                len(bag & cores[g]) if g != -1 else 0
                for g, bag in zip(labels.tolist(), bags, strict=True)
            ],
            dtype=int,
        )
        mapping: dict[int, int] = {}  # renumbered 0..k-1 by first appearance, as discovery does
        for g in labels.tolist():
            if g != -1 and g not in mapping:
                mapping[g] = len(mapping)
        return np.array([mapping.get(g, -1) for g in labels.tolist()], dtype=int)

    def cores(
        self, labels: np.ndarray, bags: Sequence[frozenset[str]], owners: Sequence[str]
    ) -> dict[int, frozenset[str]]:
        """Each group's core words: carried by ≥ ``core_share`` of its contributions, and ≥ 2."""
        carried: dict[int, dict[str, set[str]]] = {}
        people: dict[int, set[str]] = {}
        for g, bag, owner in zip(labels.tolist(), bags, owners, strict=True):
            if g == -1:
                continue
            people.setdefault(g, set()).add(owner)
            for w in bag:
                carried.setdefault(g, {}).setdefault(w, set()).add(owner)
        out = {}
        for g, by_word in carried.items():
            need = max(2.0, self.core_share * len(people[g]))
            out[g] = frozenset(w for w, who in by_word.items() if len(who) >= need)
        return out

    def bag(self, text: str) -> frozenset[str]:
        """The words of ``text`` that can be core words (placement checks new units with it)."""
        return self._bag(text)

    def _bag(self, text: str) -> frozenset[str]:
        words = (w for w in self.words(text) if " " not in w and w not in self.light_words)
        if self.prefix is None:
            return frozenset(words)
        return frozenset(_fold(w)[: self.prefix] for w in words)

    def _drop_small(self, labels: np.ndarray, owners: Sequence[str]) -> np.ndarray:
        owners_of: dict[int, set[str]] = {}
        for g, owner in zip(labels.tolist(), owners, strict=True):
            owners_of.setdefault(g, set()).add(owner)
        small = [g for g, who in owners_of.items() if g != -1 and len(who) < self.min_size]
        if small:
            labels = np.where(np.isin(labels, small), -1, labels)
        return labels


def _fold(word: str) -> str:
    """``word`` without its accents ("défibrillateur" and "defibrilateur" share a prefix)."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")

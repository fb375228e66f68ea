"""One theme's emerging proposals on the hybrid path: group, check, and group the leftovers again.

``grouping.HybridGrouping`` forms coherent groups over lexical + semantic similarity; the
coherence check (``coherence.CoherenceCheck``) keeps in a group only the members that say one of
its core words; the units no group kept (the check's removals and the loose units) are then
grouped again among themselves, by the same grouping (its features, its cut) and the same
check, ``leftover_passes`` times: a proposal the first pass's groups hid can emerge. Each pass
is kept as a stage of ``placement.FittedTheme``, so that a new unit is placed by the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp_assises.clustering.coherence import CoherenceCheck
from nlp_assises.clustering.grouping import Context, HybridGrouping
from nlp_assises.clustering.lemmas import LemmaAnalyzer
from nlp_assises.clustering.placement import FittedTheme


class HybridDiscovery:
    """Groups one theme's units; ``fit_predict`` gives each unit's group (-1: none).

    After fitting: ``carried_`` (per unit, how many of its group's core words it says; zeros
    without the check) and ``placing_`` (the passes, as placing other units needs them).
    ``core_share`` None turns the check off; see ``ProposalClusterer`` for the parameters."""

    def __init__(
        self,
        *,
        word_weight: float = 0.5,
        char_weight: float = 0.4,
        context_weight: float = 1.0,
        min_similarity: float = 0.10,
        min_group_size: int = 3,
        attach_similarity: float | None = None,
        max_fit_units: int | None = 4000,
        random_state: int = 42,
        core_share: float | None = 0.5,
        core_prefix: int | None = None,
        leftover_passes: int = 1,
    ) -> None:
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.context_weight = context_weight
        self.min_similarity = min_similarity
        self.min_group_size = min_group_size
        self.attach_similarity = attach_similarity
        self.max_fit_units = max_fit_units
        self.random_state = random_state
        self.core_share = core_share
        self.core_prefix = core_prefix
        self.leftover_passes = leftover_passes

    def fit_predict(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        analyzer: LemmaAnalyzer,
        context: Context | None = None,
    ) -> np.ndarray:
        grouping = HybridGrouping(
            word_weight=self.word_weight,
            char_weight=self.char_weight,
            context_weight=self.context_weight,
            min_similarity=self.min_similarity,
            min_group_size=self.min_group_size,
            attach_similarity=self.attach_similarity,
            max_fit_units=self.max_fit_units,
            random_state=self.random_state,
            analyzer=analyzer,
        )
        topics = grouping.fit_predict(texts, embeddings, owners, context)
        check = None
        if self.core_share is not None:  # members must say the group's proposal in its words
            check = CoherenceCheck(
                analyzer.with_generic(True),
                core_share=self.core_share,
                min_size=self.min_group_size,
                prefix=self.core_prefix,
            )
        topics, carried, stage = self._checked(check, grouping, topics, texts, owners)
        placing = FittedTheme([stage], check)
        for _ in range(self.leftover_passes):  # the units no group kept get another chance
            left = np.flatnonzero(topics == -1)
            if len(left) < max(10, 2 * self.min_group_size):
                break
            sub_texts, sub_owners = [texts[i] for i in left], [owners[i] for i in left]
            again = grouping.regroup(sub_texts, embeddings[left], sub_owners, context)
            found = again.labels(sub_texts, embeddings[left], sub_owners, context)
            offset = int(topics.max()) + 1
            found, found_carried, stage = self._checked(
                check, again, found, sub_texts, sub_owners, offset, left
            )
            if (found == -1).all():
                break
            joined = found != -1
            topics[left[joined]] = found[joined] + offset
            carried[left] = found_carried
            placing.stages.append(stage)
        self.carried_, self.placing_ = carried, placing
        return topics

    @staticmethod
    def _checked(check, grouping, grouped, texts, owners, offset=0, among=None):
        """One pass's labels after the coherence check (``check``: None, unchanged), how many
        core words each unit carries, and the pass as placing needs it."""
        if check is None:
            refined, carried = np.asarray(grouped), np.zeros(len(texts), dtype=int)
        else:
            refined, carried = check.refine(grouped, texts, owners), check.carried_
        stage = FittedTheme.stage(grouping, check, grouped, refined, texts, owners, offset, among)
        return refined, carried, stage

"""One theme's emerging proposals on the hybrid path: group, check, and group the leftovers again.

``grouping.HybridGrouping`` forms coherent groups over lexical + semantic similarity; the
coherence check (``coherence.CoherenceCheck``) keeps in a group only the members that say one of
its core words; the units no group kept (the check's removals and the loose units) are then
grouped again among themselves, by the same grouping (its features, its cut) and the same
check, ``leftover_passes`` times: a proposal the first pass's groups hid can emerge. Each pass
is kept as a stage of ``placement.FittedTheme``, so that a new unit is placed by the same rule.
Last, a large group whose members add a distinct second word to its own is split by that word
(``splitting.KeywordSplit``; needs the check's words), and placing applies the same split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp_assises.clustering.coherence import LIGHT_WORDS, CoherenceCheck
from nlp_assises.clustering.grouping import Context, HybridGrouping
from nlp_assises.clustering.placement import FittedTheme
from nlp_assises.clustering.splitting import KeywordSplit


class HybridDiscovery:
    """Groups one theme's units; ``fit_predict`` gives each unit's group (-1: none).

    ``grouping``: an unfitted ``HybridGrouping`` (its analyzer reads the check's words too);
    ``core_share`` None turns the check off; ``split``: an unfitted ``KeywordSplit`` (None:
    no split; it needs the check); ``check_leftovers``: the leftover passes check every group,
    small ones too; ``light_words``: words that are never a group's core word (the check's
    default, and the question's own words when it is given); see ``ProposalClusterer`` for the
    parameters.
    After fitting: ``carried_`` (per unit, how many of its group's core words it says; zeros
    without the check) and ``placing_`` (the passes, as placing other units needs them)."""

    def __init__(
        self,
        grouping: HybridGrouping,
        *,
        core_share: float | None = 0.5,
        core_prefix: int | None = None,
        core_concepts: float | None = None,
        core_rescue: float | None = None,
        core_from_size: int | None = None,
        core_min_part: float | None = None,
        leftover_passes: int = 1,
        check_leftovers: bool = False,
        split: KeywordSplit | None = None,
        spacy_model: str = "fr_core_news_md",
        light_words: frozenset[str] = LIGHT_WORDS,
    ) -> None:
        self.grouping = grouping
        self.core_share = core_share
        self.core_prefix = core_prefix
        self.core_concepts = core_concepts
        self.core_rescue = core_rescue
        self.core_from_size = core_from_size
        self.core_min_part = core_min_part
        self.leftover_passes = leftover_passes
        self.check_leftovers = check_leftovers
        self.split = split
        self.spacy_model = spacy_model
        self.light_words = light_words

    def fit_predict(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None = None,
    ) -> np.ndarray:
        grouping, min_size = self.grouping, self.grouping.min_group_size
        topics = grouping.fit_predict(texts, embeddings, owners, context)
        check = None
        if self.core_share is not None:  # members must say the group's proposal in its words
            check = CoherenceCheck(
                grouping.analyzer.with_generic(True),
                core_share=self.core_share,
                min_size=min_size,
                prefix=self.core_prefix,
                rescue=self.core_rescue,
                from_size=self.core_from_size,
                min_part=self.core_min_part,
                light_words=self.light_words,
            )
            if self.core_concepts is not None:  # words close in meaning: one core word
                check.learn_concepts(texts, owners, self.core_concepts, self.spacy_model)
        vectors = None  # the units' centred embeddings, for the check's rescue only
        if check is not None and check.rescue is not None:
            vectors = grouping.similarity_.centred(embeddings)
        topics, carried, stage = self._checked(check, grouping, topics, texts, owners, vectors)
        placing = FittedTheme([stage], check)
        for _ in range(self.leftover_passes):  # the units no group kept get another chance
            left = np.flatnonzero(topics == -1)
            if len(left) < max(10, 2 * min_size):
                break
            sub_texts, sub_owners = [texts[i] for i in left], [owners[i] for i in left]
            again = grouping.regroup(sub_texts, embeddings[left], sub_owners, context)
            found = again.labels(sub_texts, embeddings[left], sub_owners, context)
            offset = int(topics.max()) + 1
            found, found_carried, stage = self._checked(
                check,
                again,
                found,
                sub_texts,
                sub_owners,
                vectors[left] if vectors is not None else None,
                offset,
                left,
                every_group=self.check_leftovers,
            )
            if (found == -1).all():
                break
            joined = found != -1
            topics[left[joined]] = found[joined] + offset
            carried[left] = found_carried
            placing.stages.append(stage)
        if self.split is not None and check is not None:  # large groups, by a second word
            bags = [check.bag(t) for t in texts]
            cores = check.cores(topics, bags, owners)
            centred = vectors if vectors is not None else grouping.similarity_.centred(embeddings)
            topics = self.split.refine(topics, bags, owners, centred, cores)
            placing.splits = self.split.splits_
        self.carried_, self.placing_ = carried, placing
        return topics

    @staticmethod
    def _checked(
        check, grouping, grouped, texts, owners, vectors, offset=0, among=None, every_group=False
    ):
        """One pass's labels after the coherence check (``check``: None, unchanged), how many
        core words each unit carries, and the pass as placing needs it."""
        if check is None:
            refined, carried = np.asarray(grouped), np.zeros(len(texts), dtype=int)
        else:
            refined = check.refine(grouped, texts, owners, vectors, every_group=every_group)
            carried = check.carried_
        stage = FittedTheme.stage(grouping, check, grouped, refined, texts, owners, offset, among)
        return refined, carried, stage

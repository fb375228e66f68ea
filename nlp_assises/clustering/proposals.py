"""Emerging proposals within each theme: recurring proposals recognised, the others discovered.

prepare (proposal units, recurring proposals, lemmas: per contribution) → the recognised ones
emitted under their written label (``recognised_proposals.py``) → per theme, discover
(``theme_groups.py``: ``hybrid.HybridDiscovery``, coherent groups over lexical + semantic
similarity, the coherence check, a pass over the leftovers; or ``topics.UmapHdbscan``, the previous
BERTopic path) → represent (``topics.represent``: BERTopic's c-TF-IDF over lemmas,
KeyBERT-inspired + MMR) → label (a phrase taken from the most central proposal, which a writer can
paste as it is) and quotes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from nlp_assises.clustering.assignment import place_in_stored
from nlp_assises.clustering.known import KnownProposals
from nlp_assises.clustering.label_check import LabelCheck
from nlp_assises.clustering.labels import content_stems, label_from_unit, pasteable
from nlp_assises.clustering.lemmas import LemmaAnalyzer, lemma_pairs
from nlp_assises.clustering.metric import ProposalMetric
from nlp_assises.clustering.placement import FittedTheme
from nlp_assises.clustering.proposal_record import discovered_label, emit_proposal
from nlp_assises.clustering.recognised_proposals import emit_recognised
from nlp_assises.clustering.recognition import (
    Thresholds,
    read_thresholds,
    recognise,
    thresholds_from,
)
from nlp_assises.clustering.results import ClusteringResult, Contribution, Prepared, rank_groups
from nlp_assises.clustering.subproposals import SubProposals
from nlp_assises.clustering.theme_groups import discover_theme
from nlp_assises.clustering.topics import build_bertopic, min_topic_size
from nlp_assises.clustering.units import Unit, UnitExtractor
from nlp_assises.embedding.base import Embedder
from nlp_assises.non_answers import NonAnswerDetector

__all__ = ["ClusteringResult", "Contribution", "Prepared", "ProposalClusterer"]

log = logging.getLogger(__name__)


class ProposalClusterer:
    """Clusters proposal units theme by theme.

    Parameters
    ----------
    embedder:
        Our embedding layer; BERTopic receives its model explicitly (never a hub default).
    min_cluster_size:
        HDBSCAN's smallest cluster; ``None`` scales it with the number of units (2% , at least 3).
    n_neighbors, n_components, random_state:
        UMAP settings (fixed ``random_state`` makes runs reproducible); ``random_state`` also
        salts which units are grouped above ``max_fit_units`` (``sampling.py``).
    n_quotes:
        Verbatim quotes per proposal (3 to 5).
    known:
        Recurring proposals learnt from labelled data; contributions it recognises, when the
        proposal's theme is one of theirs, join them (with their written label) and only the
        others are clustered as emerging proposals.
    max_fit_units:
        Above this many proposal units in a theme, groups are found on a sample of them chosen by
        their content (the same units give the same sample in any order) and the others join
        a group by the same rule (hybrid: mean similarity to its sampled members ≥
        ``min_similarity``; UMAP + HDBSCAN: the nearest topic centroid, cosine ≥
        ``outlier_threshold``), which keeps time and memory bounded on large consultations
        (``None``: fit on all).
    assign_threshold:
        :meth:`assign` puts a new proposal unit into the nearest stored proposal of its theme
        when their cosine reaches it; below, the unit waits for the next refit.
    non_answers:
        Recognises non-answers ("RAS", "voir ci-dessus", "pas d'avis"), which are set apart
        (``ClusteringResult.non_answers``) and never join a proposal; ``True``: the default
        :class:`NonAnswerDetector`, ``False``: none.
    discovery:
        ``"hybrid"`` (default): coherent groups over lexical + semantic similarity
        (``grouping.HybridGrouping`` over ``discovery.py``); ``"umap_hdbscan"``: the previous
        BERTopic path (UMAP + HDBSCAN, ``topics.UmapHdbscan``).
    min_similarity, word_weight, char_weight, context_weight, min_group_size, attach_similarity:
        The hybrid path: a group's members are on average at least ``min_similarity`` alike
        (``word_weight`` × lemma TF-IDF cosine + ``char_weight`` × character n-gram cosine + the
        rest × centred embedding cosine; each sentence read with ``context_weight`` of its whole
        contribution); groups of fewer than ``min_group_size`` contributions are left
        unassigned. Chosen on writer E (held-out folds) and the DEV half of the real labels.
    core_share:
        The coherence check (``coherence.py``): a member stays in a discovered group only if
        its sentence carries one of the words ``core_share`` of the group's contributions carry
        (``None``: off).
    core_prefix:
        Core words compared by their first ``core_prefix`` letters, accents folded (``None``:
        whole lemmas); looser, so more members stay (measured in docs/proposals.md, off).
    core_concepts:
        Core words counted as concepts (``concepts.py``): a theme's lemmas whose centred static
        word vectors reach this cosine with a more frequent one count as that word, so a
        paraphrase can carry its group's core word (``None``: lemmas, as before; measured in
        docs/proposals.md).
    core_rescue:
        A member that carries none of its group's core words stays when its sentence's centred
        embedding reaches this cosine with the centroid of the members that carry them
        (``None``: never; measured in docs/proposals.md).
    core_from_size:
        Groups of fewer contributions than this, as grouped, are not checked: a proposal a
        handful of people make in their own words rarely shares one word (``None``: every group
        is checked). Chosen on writer E's held-out proposals and the real DEV answers.
    core_min_part:
        A member of a checked group stays only when the group's core words are at least this
        share of its own content words (``None``: one core word is enough): a long sentence
        that names the group's word in passing ("… plutôt qu'un couvre-feu") is not shown
        under it. Chosen on the real DEV answers: ``supported`` 0.754 → 0.814 (docs/proposals.md).
    leftover_passes:
        How many times the units no group kept (the check's removals and the loose units) are
        grouped again among themselves, by the same grouping (its features, its cut) and the
        same check: a proposal the first pass's groups hid can emerge (0: never).
    check_leftovers:
        The leftover pass checks its small groups too (``core_from_size`` applies to the first
        pass only): units the first pass could not place are grouped more loosely, and a small
        group of them left unchecked was a proposal in name only. Chosen on the real DEV
        answers: ``supported`` 0.814 → 0.831 (docs/proposals.md).
    recognition_threshold:
        Probability from which a learnt proposal is trusted: one for all, or a mapping in the
        form of ``nlp_assises/data/recognition_threshold.json`` (``min_probability`` and
        ``per_proposal``); ``None``: those calibrated on real answers, stored in that file.
    sub_min_parent:
        Proposals of at least this many contributions get their main variants as
        ``sub_proposals`` (``subproposals.SubProposals``); ``None``: none.
    metric:
        A similarity learnt from the known proposals (a fitted ``metric.ProposalMetric``:
        within-proposal whitening of the embeddings, proposal-specific terms weighted up) that
        the hybrid path's grouping, and the placing of other units, use; ``None`` (default):
        the unsupervised similarity. Measured in docs/proposals.md, off by default.
    split_share, split_min_parent, split_distinct:
        A discovered group of at least ``split_min_parent`` contributions whose members add a
        second word to its core words ("pédagogie" → "pédagogie et sanctions", "pédagogie puis
        répression") is split by that word (``splitting.KeywordSplit``): a word carried by at
        least ``split_share`` of its contributions, whose carriers are closer to each other
        than to the rest of the group by ``split_distinct`` (mean cosine of centred
        embeddings), makes a proposal of its own (``split_share`` None: no split). Chosen on
        the real answers' DEV half: ``supported`` 0.739 against 0.694 without the split
        (241 and 261 members judged, 363 labelled answers clustered either way); writer E's
        discovery ARI is unchanged (0.330: none of its groups reaches 20 contributions).
    question:
        The question the contributions answer (an open question's, ``cluster --question``):
        its content words are never a group's core word nor a keyword, so answers that only
        repeat it ("les pouvoirs publics doivent…") make no proposal of it (None: none).
    label_check_below, label_check_share:
        A discovered proposal of fewer than ``label_check_below`` contributions, as grouped,
        keeps only the members that say at least ``label_check_share`` of its label's content
        words, and is not shown when fewer than ``min_group_size`` do (``label_check``; None,
        the default: no check). Measured with 30 and 0.5 (docs/proposals.md, *Small proposals
        over the members that say their label*): on the real answers blind readers' "oui" 0.71
        → 0.79 and DEV ``supported`` up, for a fifth fewer answers clustered; on the team's
        held-out writers, who say one proposal in several wordings, discovery ARI falls to
        near 0. So it is an option for a large consultation, off by default.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        spacy_model: str = "fr_core_news_md",
        min_cluster_size: int | None = None,
        n_neighbors: int = 15,
        n_components: int = 5,
        random_state: int = 42,
        n_quotes: int = 5,
        outlier_threshold: float = 0.5,
        known: KnownProposals | None = None,
        max_fit_units: int | None = 4000,
        assign_threshold: float = 0.75,
        non_answers: NonAnswerDetector | bool = True,
        discovery: str = "hybrid",
        min_similarity: float = 0.10,
        word_weight: float = 0.5,
        char_weight: float = 0.4,
        min_group_size: int = 3,
        recognition_threshold: float | Mapping | None = None,
        context_weight: float = 1.0,
        attach_similarity: float | None = None,
        core_share: float | None = 0.5,
        leftover_passes: int = 1,
        core_prefix: int | None = None,
        sub_min_parent: int | None = 12,
        core_concepts: float | None = None,
        core_rescue: float | None = None,
        core_from_size: int | None = 8,
        core_min_part: float | None = 0.2,
        check_leftovers: bool = True,
        metric: ProposalMetric | None = None,
        split_share: float | None = 0.1,
        split_min_parent: int = 20,
        split_distinct: float = 0.125,
        question: str | None = None,
        label_check_below: int | None = None,
        label_check_share: float = 0.5,
    ) -> None:
        self.embedder = embedder
        self.spacy_model = spacy_model
        self.min_cluster_size = min_cluster_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.random_state = random_state
        self.n_quotes = n_quotes
        self.outlier_threshold = outlier_threshold
        self.known = known
        self.max_fit_units = max_fit_units
        self.assign_threshold = assign_threshold
        self.non_answers = NonAnswerDetector() if non_answers is True else non_answers or None
        if discovery not in ("hybrid", "umap_hdbscan"):
            raise ValueError(f"discovery must be 'hybrid' or 'umap_hdbscan', not {discovery!r}")
        self.discovery = discovery
        self.min_similarity = min_similarity
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.min_group_size = min_group_size
        # None: the threshold calibrated on real answers (nlp_assises/data/, recognition.py)
        self.recognition_threshold = recognition_threshold
        self.context_weight = context_weight
        self.attach_similarity = attach_similarity
        self.core_share = core_share
        self.leftover_passes = leftover_passes
        self.core_prefix = core_prefix
        self.core_concepts = core_concepts
        self.core_rescue = core_rescue
        self.core_from_size = core_from_size
        self.core_min_part = core_min_part
        self.check_leftovers = check_leftovers
        self.sub_min_parent = sub_min_parent
        self.metric = metric
        self.split_share = split_share
        self.split_min_parent = split_min_parent
        self.split_distinct = split_distinct
        self.question = question
        self.label_check_below = label_check_below
        self.label_check_share = label_check_share

    def get_params(self) -> dict:
        plain = (
            "min_cluster_size n_neighbors n_components random_state n_quotes outlier_threshold"
            " max_fit_units assign_threshold discovery min_similarity word_weight char_weight"
            " min_group_size context_weight attach_similarity core_share leftover_passes"
            " core_prefix core_concepts core_rescue core_from_size core_min_part sub_min_parent"
            " split_share split_min_parent split_distinct check_leftovers question"
            " label_check_below label_check_share"
        )
        return {k: getattr(self, k) for k in plain.split()} | {
            "embedder_id": self.embedder.model_id,
            "known_proposals": self.known.card.get("version") if self.known else None,
            "non_answers": self.non_answers is not None,
            "recognition_threshold": self._thresholds().default,
            "recognition_per_proposal": dict(self._thresholds().per_proposal),
            "metric": self.metric.card.get("training", {}).get("n") if self.metric else None,
        }

    def _thresholds(self) -> Thresholds:
        if self.recognition_threshold is not None:
            return thresholds_from(self.recognition_threshold)
        return read_thresholds()

    def _bertopic_params(self) -> dict:
        return {
            "min_cluster_size": self.min_cluster_size,
            "n_neighbors": self.n_neighbors,
            "n_components": self.n_components,
            "random_state": self.random_state,
        }

    def bertopic(self, texts: Sequence[str]):
        """A BERTopic model built as the clusterer builds it for ``texts`` (lemmas learnt from
        them), unfitted: for BERTopic's own visualisations (``proposal_runs.topic_model``)."""
        analyzer = LemmaAnalyzer.from_pairs(lemma_pairs(texts, self.spacy_model))
        return build_bertopic(self.embedder, analyzer, len(texts), **self._bertopic_params())

    # -- the whole thing --------------------------------------------------------------------
    def prepare(self, contributions: Sequence[Contribution]) -> Prepared:
        """The work ``fit`` does on each contribution on its own: its proposal units, their
        lemmas and the recurring proposal it makes (or None). Done on partitions (the Dask
        engine's workers), then merged, it is what ``fit`` would have done in one process."""
        units = UnitExtractor(self.spacy_model).extract(
            [c.id for c in contributions], [c.text for c in contributions]
        )
        lemmas = lemma_pairs([u.text for u in units], self.spacy_model)
        known: dict[str, str | None] = {}
        if self.known is not None:
            slugs = recognise(self.known, [c.text for c in contributions], self._thresholds())
            known = dict(zip([c.id for c in contributions], slugs, strict=True))
        return Prepared(units=units, known=known, lemmas=lemmas)

    def fit(
        self,
        contributions: Sequence[Contribution],
        theme_ids: Sequence[str],
        *,
        prepared: Prepared | None = None,
    ) -> ClusteringResult:
        """Proposals within each theme; ``prepared``: ``prepare``'s output for these
        contributions (in their order), when it was computed elsewhere."""
        result = ClusteringResult(params=self.get_params())
        self.groupings_: dict[str, FittedTheme] = {}  # theme → how to place other units
        by_id = {c.id: c for c in contributions}
        for c in contributions:
            result.assignments.setdefault(c.id, [])
        # One order whatever the input's, by text: ties and sums then fall the same way, so the
        # same texts give the same proposals in any order and under any ids
        # (tests/test_open_question.py).
        contributions = sorted(contributions, key=lambda c: (c.text, c.id))
        contributions = self._set_apart(contributions, result)
        if prepared is None:
            prepared = self.prepare(contributions)
        if prepared.lemmas is None:  # prepared elsewhere without them
            prepared.lemmas = lemma_pairs([u.text for u in prepared.units], self.spacy_model)
        lemmas_of = dict(zip(prepared.units, prepared.lemmas, strict=True))
        kept = {c.id for c in contributions}
        units_of: dict[str, list[Unit]] = {}  # split once, even for several themes
        for unit in prepared.units:
            if unit.contribution_id in kept:
                units_of.setdefault(unit.contribution_id, []).append(unit)
        theme_sizes = {t: sum(1 for c in contributions if t in c.themes) for t in theme_ids}
        recognised: dict[str, str] = {}
        if self.known is not None:
            for c in contributions:
                slug = prepared.known.get(c.id)
                # two pieces of evidence must agree: the proposal's theme is one of the
                # contribution's (else "sanctionner" joins "protéger les forces de l'ordre")
                theme = slug and self.known.proposals[slug]["theme"]
                if slug and theme in theme_ids and theme in c.themes:
                    recognised[c.id] = slug
            emit_recognised(
                recognised,
                units_of,
                by_id,
                theme_sizes,
                result,
                embedder=self.embedder,
                known=self.known,
                n_quotes=self.n_quotes,
            )
        label_check = LabelCheck(
            self.label_check_below, self.label_check_share, self.min_group_size
        )
        for theme in theme_ids:
            members = [c for c in contributions if theme in c.themes and c.id not in recognised]
            if not members:
                continue
            units = [u for c in members for u in units_of.get(c.id, ())]
            min_size = 2
            if self.discovery == "umap_hdbscan":
                min_size = min_topic_size(len(units), self.min_cluster_size)
            if len(units) < max(10, 2 * min_size):
                log.info("theme %s: %d units, too few to cluster", theme, len(units))
                continue
            embeddings = self.embedder.encode([u.text for u in units])
            topics, keywords, carried, placing = discover_theme(
                self,
                units,
                embeddings,
                [lemmas_of[u] for u in units],
                by_id,
                self._bertopic_params(),
            )
            groups: dict[int, list[int]] = {}
            for index, topic in enumerate(topics.tolist()):
                if topic != -1:
                    groups.setdefault(topic, []).append(index)
            # A group none of whose sentences reads as a proposal ("On se sent seul", stories)
            # is no finding to show: its contributions stay unassigned.
            groups = {
                topic: indices
                for topic, indices in groups.items()
                if any(pasteable(label_from_unit(units[i].text)) for i in indices)
            }
            # Each group named on all its members; a small one then keeps those that say its
            # label (``label_check``), or is not shown when too few do.
            named = {
                topic: discovered_label(
                    units, embeddings, indices, by_id, carried[indices], n_quotes=self.n_quotes
                )
                for topic, indices in groups.items()
            }
            checked = {t: g for t, g in groups.items() if label_check.applies(g, units)}
            for topic, indices in checked.items():
                groups[topic] = label_check.keep(indices, units, *named[topic])
            groups = {topic: indices for topic, indices in groups.items() if indices}
            ranked = rank_groups(groups, units, by_id)
            if placing is not None:  # how ``placement.place`` puts other units in them
                ids = {t: f"{theme}-{r:03d}" for r, (t, _) in enumerate(ranked, 1)}
                said = {t: content_stems(named[t][0]) for t in checked if t in groups}
                self.groupings_[theme] = placing.named(ids, said, label_check)
            for rank, (topic, indices) in enumerate(ranked, 1):
                emit_proposal(
                    f"{theme}-{rank:03d}",
                    theme,
                    units,
                    embeddings,
                    indices,
                    None,
                    keywords.get(topic, []),
                    by_id,
                    theme_sizes[theme],
                    result,
                    support=carried[indices],
                    n_quotes=self.n_quotes,
                    named=named[topic],
                )
        if self.sub_min_parent is not None:  # a large proposal's main variants (or [])
            SubProposals(
                self.embedder, min_parent=self.sub_min_parent, random_state=self.random_state
            ).add(result, prepared.units, lemmas_of, by_id)
        else:
            for cluster in result.clusters:
                cluster["sub_proposals"] = []
        return result

    def assign(
        self, contributions: Sequence[Contribution], clusters: Sequence[dict]
    ) -> ClusteringResult:
        """Place new contributions into stored proposals, without a refit.

        ``clusters``: the current run's proposals (``id``, ``theme``, ``centroid``). A
        contribution the recurring proposals recognise joins that proposal when the run has it;
        otherwise each of its proposal units joins the nearest proposal of the contribution's
        themes when their cosine reaches ``assign_threshold``. The others are left for the next
        refit: their ``assignments`` stay empty.
        """
        result = ClusteringResult(params=self.get_params())
        for c in contributions:
            result.assignments.setdefault(c.id, [])
        contributions = self._set_apart(contributions, result)
        return place_in_stored(
            contributions,
            clusters,
            result,
            embedder=self.embedder,
            known=self.known,
            thresholds=self._thresholds(),
            assign_threshold=self.assign_threshold,
            spacy_model=self.spacy_model,
        )

    def _set_apart(
        self, contributions: Sequence[Contribution], result: ClusteringResult
    ) -> list[Contribution]:
        """The substantive contributions; the non-answers' ids go to ``result.non_answers``
        (they make no proposal unit, so they can neither join nor blur a proposal)."""
        if self.non_answers is None:
            return list(contributions)
        kept = []
        for c in contributions:
            if self.non_answers.is_non_answer(c.text):
                result.non_answers.append(c.id)
            else:
                kept.append(c)
        return kept

"""Proposals fitted on a sample, every other contribution placed in them by the fit's own rule.

A national consultation is too large to group at once: ``ProposalClusterer.fit`` runs on a seeded
sample of contributions, and :func:`place` puts each other contribution where the fit would have
put it had it been one of the units the fit samples out (``HybridGrouping.predict``: the group
its units are most alike on average, when that mean reaches ``min_similarity``, kept there when
the coherence check keeps it, else the same with the leftover pass's groups; a recognised
recurring proposal first). Each contribution is placed on its own, so the work splits into
partitions (the Dask engine's workers) and gives the same members in any order.

:class:`Placement` is the fitted state this needs, small and picklable (the groupings'
vocabularies and group sums, the proposals' centroids): it is sent once to every worker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nlp_assises.clustering.coherence import CoherenceCheck
from nlp_assises.clustering.grouping import Context, HybridGrouping
from nlp_assises.clustering.label_check import LabelCheck
from nlp_assises.clustering.recognition import recognise
from nlp_assises.clustering.results import ClusteringResult, Contribution
from nlp_assises.clustering.splitting import KeywordSplit
from nlp_assises.clustering.units import Unit, UnitExtractor


@dataclass
class Stage:
    """One pass of a theme's discovery: its ``grouping``; ``proposal_of``: each of its groups
    the coherence check kept → the fit's topic; ``cores``: those groups' core words;
    ``among``: the theme's units this pass grouped (None: all of them); ``centroids``: those
    groups' centroids for the check's ``rescue`` (empty without it); ``unchecked``: the groups
    too small for the check (``CoherenceCheck.from_size``), which take any unit."""

    grouping: HybridGrouping
    proposal_of: dict[int, object]
    cores: dict[int, frozenset] = field(default_factory=dict)
    among: np.ndarray | None = None
    centroids: dict[int, np.ndarray] = field(default_factory=dict)
    unchecked: frozenset = frozenset()


@dataclass
class FittedTheme:
    """One theme's fitted discovery, as placing needs it: its passes (``stages``: the first
    over every unit, each next one over the units the earlier ones left unassigned), the
    coherence check (None: every unit a pass puts in a kept group stays there), the large
    groups' splits by a second word (``splitting.KeywordSplit.splits_``: topic → its
    ``(word, sub-topic)`` pairs) and, once named, each topic's proposal id (``names``; None:
    a group the fit did not show, e.g. no pasteable label), the label words of the small groups
    whose members must say them (``label_words``, by topic) and that rule (``label_check``)."""

    stages: list[Stage]
    check: CoherenceCheck | None = None
    splits: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    names: dict[int, object] | None = None
    label_words: dict[int, frozenset[str]] = field(default_factory=dict)
    label_check: LabelCheck | None = None

    @property
    def grouping(self) -> HybridGrouping:
        """The first pass's grouping (its vocabularies serve every pass)."""
        return self.stages[0].grouping

    @staticmethod
    def stage(grouping, check, grouped, refined, texts, owners, offset=0, among=None) -> Stage:
        """A pass from the grouping's labels ``grouped`` and the same after ``check.refine``
        (``refined``, which only removes members and renumbers groups, so each kept group has
        one), its kept groups numbered from ``offset`` (the topics of earlier passes); the
        check's core words and centroids are those of that ``refine`` call."""
        kept = {a: b for a, b in zip(grouped.tolist(), refined.tolist(), strict=True) if b != -1}
        cores, centroids, unchecked = {}, {}, frozenset()
        if check is not None:
            cores = {a: check.cores_.get(a, frozenset()) for a in kept}
            centroids = {a: check.centroids_[a] for a in kept if a in check.centroids_}
            unchecked = frozenset(a for a in kept if a in check.unchecked_)
        proposal_of = {a: b + offset for a, b in kept.items()}
        return Stage(grouping, proposal_of, cores, among, centroids, unchecked)

    def named(
        self,
        ids: dict[int, str],
        label_words: dict[int, frozenset[str]] | None = None,
        label_check: LabelCheck | None = None,
    ) -> FittedTheme:
        """The same with the fit's topics named by their proposal ids (None: not shown), and
        the small groups' label words a unit must say to join them (``label_check.LabelCheck``)."""
        words = dict(label_words or {})
        return FittedTheme(self.stages, self.check, self.splits, dict(ids), words, label_check)

    def place(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[str],
        context: Context | None,
    ) -> list:
        """The proposal each unit joins (None: none), as the fit decides: a pass puts it in
        the group it is most alike; it stays there when the check keeps that group and the unit
        says one of the group's core words (then it goes to the first of the group's
        sub-groups whose word it says, if any); otherwise it is left to the next pass."""
        out: list = [None] * len(texts)
        todo = np.arange(len(texts))
        for stage in self.stages:
            if not len(todo):
                break
            groups = stage.grouping.predict(
                [texts[i] for i in todo], embeddings[todo], [owners[i] for i in todo], context
            )
            vectors = None
            if self.check is not None and self.check.rescue is not None:
                vectors = stage.grouping.similarity_.centred(embeddings[todo])
            left = []
            for k, (i, g) in enumerate(zip(todo.tolist(), groups.tolist(), strict=True)):
                if g in stage.proposal_of and (
                    self.check is None
                    or g in stage.unchecked
                    or self.check.keeps(
                        self.check.bag(texts[i]),
                        stage.cores.get(g, frozenset()),
                        vectors[k] if vectors is not None else None,
                        stage.centroids.get(g),
                    )
                ):
                    topic = stage.proposal_of[g]
                    if self.splits and self.check is not None:  # a large group's sub-group
                        topic = KeywordSplit.route(topic, self.check.bag(texts[i]), self.splits)
                    if self._says_label(topic, texts[i]):  # else unplaced, as in the fit
                        out[i] = topic if self.names is None else self.names.get(topic)
                else:
                    left.append(i)
            todo = np.asarray(left, dtype=int)
        return out

    def _says_label(self, topic, text: str) -> bool:
        """Whether a unit may join ``topic``: a small group's members say its label."""
        words = self.label_words.get(topic)
        return words is None or self.label_check is None or self.label_check.says(words, text)


@dataclass
class Placement:
    """``groupings``: theme → its :class:`FittedTheme`;
    ``centroids``: proposal id → unit vector (members are scored against it); ``themes``:
    proposal id → theme."""

    groupings: dict[str, tuple] = field(default_factory=dict)
    centroids: dict[str, np.ndarray] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_fit(cls, clusterer, result: ClusteringResult) -> Placement:
        """What ``clusterer.fit`` (the call that gave ``result``) learnt."""
        centroids = {
            c["id"]: np.asarray(c["centroid"], dtype=np.float32)
            for c in result.clusters
            if c.get("centroid") is not None
        }
        return cls(
            groupings=dict(getattr(clusterer, "groupings_", {})),
            centroids=centroids,
            themes={c["id"]: c["theme"] for c in result.clusters},
        )


@dataclass
class Placed:
    """:func:`place`'s output for one partition: the members (``ClusteringResult.members``'
    rows), the non-answers, and how many substantive contributions each theme has (the
    proposals' shares are counted over the whole store)."""

    members: list[dict] = field(default_factory=list)
    non_answers: list[str] = field(default_factory=list)
    theme_sizes: Counter = field(default_factory=Counter)


def place(clusterer, contributions: Sequence[Contribution], placement: Placement) -> Placed:
    """Each contribution into the fitted proposals, as ``clusterer.fit`` places the units it
    did not sample. ``clusterer``: a ``ProposalClusterer`` with the fit's parameters and
    recurring proposals (its embedder may be another process's copy)."""
    result = ClusteringResult()
    kept = clusterer._set_apart(contributions, result)
    placed = Placed(non_answers=result.non_answers)
    for c in kept:
        placed.theme_sizes.update(set(c.themes))
    units = UnitExtractor(clusterer.spacy_model).extract(
        [c.id for c in kept], [c.text for c in kept]
    )
    units_of: dict[str, list[Unit]] = {}
    for unit in units:
        units_of.setdefault(unit.contribution_id, []).append(unit)
    by_id = {c.id: c for c in kept}
    recognised = _recognised(clusterer, kept, placement)
    known_units = [u for c in kept if c.id in recognised for u in units_of.get(c.id, ())]
    if known_units:
        vectors = clusterer.embedder.encode([u.text for u in known_units])
        proposals = [recognised[u.contribution_id] for u in known_units]
        _add(placed, known_units, proposals, vectors, placement.centroids)
    for theme, fitted in placement.groupings.items():
        owners = [c for c in kept if theme in c.themes and c.id not in recognised]
        theme_units = [u for c in owners for u in units_of.get(c.id, ())]
        if not theme_units:
            continue
        texts = [u.text for u in theme_units]
        embeddings = clusterer.embedder.encode(texts)
        context = None
        if fitted.grouping.context_weight:
            whole = [by_id[c.id].text for c in owners]
            context = Context([c.id for c in owners], whole, clusterer.embedder.encode(whole))
        proposals = fitted.place(
            texts, embeddings, [u.contribution_id for u in theme_units], context
        )
        joined = [i for i, p in enumerate(proposals) if p is not None]
        _add(
            placed,
            [theme_units[i] for i in joined],
            [proposals[i] for i in joined],
            embeddings[joined],
            placement.centroids,
        )
    return placed


def _recognised(clusterer, contributions, placement: Placement) -> dict[str, str]:
    """Contribution id → the fitted recurring proposal it makes, as ``fit`` decides (the
    recogniser's slug, whose theme must be one of the contribution's)."""
    if clusterer.known is None or not contributions:
        return {}
    found = {}
    slugs = recognise(clusterer.known, [c.text for c in contributions], clusterer._thresholds())
    for c, slug in zip(contributions, slugs, strict=True):
        theme = slug and clusterer.known.proposals[slug]["theme"]
        proposal = slug and f"{theme}-{slug}"
        if proposal in placement.themes and theme in c.themes:
            found[c.id] = proposal
    return found


def _add(placed: Placed, units, proposals, vectors, centroids: dict) -> None:
    """Members for ``units`` in ``proposals``, scored by cosine to the proposal's centroid."""
    for unit, proposal, vector in zip(units, proposals, vectors, strict=True):
        centroid = centroids.get(proposal)
        placed.members.append(
            {
                "cluster_id": proposal,
                "contribution_id": unit.contribution_id,
                "unit_text": unit.text,
                "unit_start": unit.start,
                "score": float(vector @ centroid) if centroid is not None else 0.0,
            }
        )

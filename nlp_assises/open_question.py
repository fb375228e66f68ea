"""The answers to one open question, clustered without the theme classifier.

For a data scientist or another consultation: every answer goes into one group and the same
steps as the proposals within a theme run on it (proposal units, our embedder, coherent groups,
lemma keywords, a label taken from a central answer, verbatim quotes, copy-paste campaigns
counted once). Two things are left out on purpose: the theme classifier (``theme`` is ``None``)
and the recurring proposals learnt from the Assises (a different question must not be forced
into them). Non-answers ("RAS", "voir ci-dessus", "pas d'avis") are set apart: ``substantive``
is false and they are in no cluster.

Example::

    import nlp_assises as na
    result = na.cluster_texts(df["reponse"], ids=df["id"])
    result.clusters_frame()[["label", "size", "keywords"]]
    result.assignments_frame().query("not substantive")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from nlp_assises.clustering.campaigns import CampaignDetector
from nlp_assises.clustering.proposals import ClusteringResult, Contribution, ProposalClusterer
from nlp_assises.clustering.subproposals import sub_assignments
from nlp_assises.embedding.base import Embedder
from nlp_assises.errors import InputError
from nlp_assises.non_answers import NonAnswerDetector
from nlp_assises.settings import Settings

# The one group's key inside the clusterer: cluster ids read "reponses-001", "reponses-002"…
GROUP = "reponses"
CLUSTER_FIELDS = ["id", "theme", "label", "keywords", "size", "contributions", "quotes"]


def cluster_items(
    items: Sequence[Contribution],
    embedder: Embedder,
    *,
    spacy_model: str = "fr_core_news_md",
    **params,
) -> ClusteringResult:
    """Cluster ``items`` as one group, with no recurring proposals; ``theme`` is ``None`` in
    every cluster. ``params`` go to :class:`ProposalClusterer` (``min_similarity``…)."""
    if params.get("known") is not None:
        raise ValueError("answers to an open question are clustered without known proposals")
    params.pop("known", None)
    clusterer = ProposalClusterer(embedder, spacy_model=spacy_model, known=None, **params)
    result = clusterer.fit([replace(c, themes=[GROUP]) for c in items], [GROUP])
    for cluster in result.clusters:
        cluster["theme"] = None
    result.params["themes"] = None
    return result


def cluster_rows(result: ClusteringResult, campaigns: Mapping[str, str]) -> list[dict]:
    """``clusters.json``'s rows: the clusters without their centroid, with their campaigns."""
    rows = [{k: v for k, v in c.items() if k != "centroid"} for c in result.clusters]
    for row in rows:
        row["campaign"] = sorted({campaigns[i] for i in row["contributions"] if campaigns.get(i)})
    return rows


def assignment_rows(
    ids: Iterable[str],
    texts: Iterable[str],
    result: ClusteringResult,
    campaigns: Mapping[str, str],
    labels: Iterable[list[str]] | None = None,
) -> list[dict]:
    """``assignments.jsonl``'s rows: ``id``, ``labels`` (themes; ``[]`` without themes),
    ``proposals`` (cluster ids), ``sub_proposals`` (the ids of the proposals' variants it is
    in), ``substantive`` and, for a non-answer, its kind."""
    apart = set(result.non_answers)
    subs = sub_assignments(result.clusters)
    detector = NonAnswerDetector()
    ids, texts = list(ids), list(texts)
    labels = [list(x) for x in labels] if labels is not None else [[] for _ in ids]
    return [
        {
            "id": cid,
            "labels": row_labels,
            "proposals": result.assignments.get(cid, []),
            "sub_proposals": subs.get(cid, []),
            "substantive": cid not in apart,
            "non_answer": (detector.kind(text) or "other") if cid in apart else None,
            "campaign": campaigns.get(cid),
        }
        for cid, text, row_labels in zip(ids, texts, labels, strict=True)
    ]


@dataclass
class TextClusters:
    """What :func:`cluster_texts` returns: the same rows as ``nlp-assises cluster --no-themes``
    writes (``clusters``: ``clusters.json``; ``assignments``: ``assignments.jsonl``)."""

    clusters: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def non_answers(self) -> list[str]:
        """Ids of the answers set apart as non-answers."""
        return [a["id"] for a in self.assignments if not a["substantive"]]

    def clusters_frame(self) -> pd.DataFrame:
        """One row per cluster, largest first, indexed by ``id``."""
        frame = pd.DataFrame(self.clusters, columns=self._cluster_columns())
        return frame.set_index("id")

    def assignments_frame(self) -> pd.DataFrame:
        """One row per answer, in input order, indexed by ``id``.

        ``clusters`` is the list of its cluster ids (``proposals`` in the file)."""
        frame = pd.DataFrame(
            self.assignments,
            columns=[
                "id",
                "proposals",
                "sub_proposals",
                "substantive",
                "non_answer",
                "campaign",
                "labels",
            ],
        )
        return frame.rename(columns={"proposals": "clusters"}).set_index("id")

    def _cluster_columns(self) -> list[str]:
        extra = [k for c in self.clusters[:1] for k in c if k not in CLUSTER_FIELDS]
        return CLUSTER_FIELDS + extra


def cluster_texts(
    texts: Sequence[str] | pd.Series,
    ids: Sequence[str] | pd.Series | None = None,
    *,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    clean: bool = True,
    **params,
) -> TextClusters:
    """Cluster the answers to one open question, without themes and without the Assises'
    recurring proposals; non-answers ("RAS", "voir ci-dessus") are set apart.

    The same steps as the proposals within a theme (units, embedder, coherent groups, keywords,
    a label from a central answer, verbatim quotes, campaigns counted once); ``theme`` is
    ``None``. Example::

        result = na.cluster_texts(df["reponse"], ids=df["id"])
        result.clusters_frame()[["label", "size", "keywords"]]
        result.assignments_frame().query("not substantive")


    ``ids``: one per text, unique (default: a Series' index, else positions "0", "1"…).
    ``clean``: run the cleaner first (repairs and pseudonymisation: the quotes are then free of
    names and addresses).
    ``embedder``: default the configured one. ``params`` go to :class:`ProposalClusterer`
    (``question``: the question the texts answer, whose words then make no cluster of their
    own; ``min_similarity``, ``min_group_size``, ``random_state``, ``non_answers``…).
    """
    from nlp_assises.pipeline import Pipeline

    if ids is None:  # a Series' index, else positions: answers repeat ("Éduquer"), ids cannot
        ids = texts.index if isinstance(texts, pd.Series) else range(len(texts))
    texts = ["" if t is None else str(t) for t in texts]
    if not texts:
        raise InputError("no text to cluster")
    ids = [str(i) for i in ids]
    if len(ids) != len(texts):
        raise InputError(f"{len(ids)} ids for {len(texts)} texts")
    if len(set(ids)) != len(ids):
        raise InputError("ids must be unique")
    pipeline = Pipeline(settings)
    if clean:
        texts = [r.text for r in pipeline.cleaner.clean_many(texts)]
    campaigns = CampaignDetector().fit_predict(ids, texts)
    items = [
        Contribution(id=i, text=t, themes=[], campaign=campaigns.get(i))
        for i, t in zip(ids, texts, strict=True)
    ]
    result = cluster_items(
        items,
        embedder or pipeline.fast_embedder,
        spacy_model=pipeline.settings.spacy_model,
        **params,
    )
    return TextClusters(
        clusters=cluster_rows(result, campaigns),
        assignments=assignment_rows(ids, texts, result, campaigns),
        params=result.params,
    )

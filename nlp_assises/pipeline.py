"""The pipeline every entry point shares: settings → models → clean, classify, cluster, store.

``Pipeline`` builds each part lazily from one ``Settings`` and owns nothing else: the CLI, the API
and the notebooks are thin layers over it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from nlp_assises.classify import ModelRegistry, load_model
from nlp_assises.classify.registry import ThemeModel
from nlp_assises.cleaning import Cleaner
from nlp_assises.clustering import CampaignDetector, Contribution, ProposalClusterer
from nlp_assises.clustering.lineage import carry_ids, pieces_of
from nlp_assises.clustering.proposals import ClusteringResult, Prepared
from nlp_assises.corrections import (
    Correction,
    Member,
    apply_corrections,
    follow_lineage,
    validate,
)
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.embedding.base import Embedder
from nlp_assises.errors import ConfigurationError
from nlp_assises.ingest import read_records
from nlp_assises.privacy import text_view, visible_match
from nlp_assises.pseudonym_secret import check as check_pseudonym_secret
from nlp_assises.records import Record
from nlp_assises.scheme import HORS_THEME, Scheme
from nlp_assises.search_index import VectorIndex
from nlp_assises.settings import Settings, get_settings

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
# (new contributions, current proposals) -> memberships, as ProposalClusterer.assign gives them
Assigner = Callable[[list[Contribution], list[dict]], list[dict]]
Preparer = Callable[[list[Contribution]], Prepared]  # ProposalClusterer.prepare, elsewhere


@dataclass
class RunSummary:
    run_id: int
    ingest: dict
    classified: int
    clusters: int
    campaigns: int
    clustering: str = "refit"  # or "assigned" (no refit), "unchanged"

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def clustering_item(
    row: tuple, writers_themes: dict[str, list[str]], campaigns: dict[str, str | None]
) -> Contribution:
    """One ``Store.clustering_rows`` row as the clusterer takes it: its themes are a writer's
    correction, else the input's labels, else the classifier's."""
    cid, text, themes_gold, date, author, added, labels = row
    if cid in writers_themes:
        themes = [t for t in writers_themes[cid] if t != HORS_THEME]
    elif themes_gold:
        themes = [t for t in themes_gold if t != HORS_THEME]
    elif labels is not None:
        themes = list(labels)
    else:
        themes = []
    return Contribution(
        id=cid,
        text=text,
        themes=themes,
        date=date.isoformat() if date else None,
        author=author,
        campaign=campaigns.get(cid),
        added=added,
    )


class Pipeline:
    """Every part (scheme, store, embedder, classifier, cleaner, clusterer) built on first use
    from one ``Settings``, and the operations over them.

    Example::

        pipeline = Pipeline(Settings(data_dir="var/essai"))
        pipeline.run(sample_consultation_path())    # ingest, clean, classify, cluster
        pipeline.classify_texts(["Il faudrait plus de patrouilles à pied le soir."])
    """

    def __init__(
        self, settings: Settings | None = None, *, progress: Progress | None = None
    ) -> None:
        self.settings = settings or get_settings()
        self.progress = progress or _no_progress
        check_pseudonym_secret(self.settings.pseudonym_secret)  # a weak one is refused at once

    # -- parts, built on first use -----------------------------------------------------------
    @cached_property
    def scheme(self) -> Scheme:
        if self.settings.scheme:
            return Scheme.load(self.settings.scheme)
        return Scheme.default()

    @cached_property
    def store(self):
        from nlp_assises.store import Store

        return Store.from_settings(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        """The configured embedder, behind the store's cache when the store is in use."""
        base = load_embedder(self.settings.embedder_spec)
        from nlp_assises.store import SQLEmbeddingCache

        return CachedEmbedder(base, SQLEmbeddingCache(self.store))

    @cached_property
    def fast_embedder(self) -> Embedder:
        """The same embedder with a bounded in-memory cache only, for request paths (no
        database)."""
        cache = MemoryEmbeddingCache(max_items=50_000)
        return CachedEmbedder(load_embedder(self.settings.embedder_spec), cache)

    @cached_property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings.classifiers_dir)

    def load_classifier(
        self, path: str | Path | None = None, embedder: Embedder | None = None
    ) -> ThemeModel:
        path = path or self.settings.classifier_model
        embedder = embedder or self.fast_embedder
        if path:
            return load_model(path, embedder)
        return self.registry.load(embedder=embedder)

    @cached_property
    def classifier(self) -> ThemeModel:
        return self.load_classifier()

    def load_known_proposals(self, embedder: Embedder | None = None):
        """The registry's recurring proposals, or None when none was learnt."""
        registry = ModelRegistry(self.settings.proposals_dir)
        if registry.current is None:
            return None
        return registry.load(embedder=embedder or self.embedder)

    @cached_property
    def cleaner(self) -> Cleaner:
        return Cleaner(spacy_model=self.settings.spacy_model)

    # -- operations ---------------------------------------------------------------------------
    def read(self, path: str | Path) -> list[Record]:
        """Every record of a file or folder; raises ``InputError`` before anything is stored."""
        return list(read_records(path))

    def classify_texts(self, texts: Sequence[str], model: ThemeModel | None = None) -> list[dict]:
        """Decisions for already-cleaned texts, with the model version."""
        model = model or self.classifier
        version = model.card.get("version", "unknown")
        return [{**d.to_dict(), "model_version": version} for d in model.predict(list(texts))]

    def analyse(self, texts: Sequence[str]) -> list[dict]:
        """Clean then classify raw texts (the portal's path): the cleaned text, its repairs, its
        language and the decision. A text that is not French or is empty after cleaning is sent
        to review whatever its scores."""
        cleaned = self.cleaner.clean_many(list(texts))
        decisions = self.classify_texts([c.text for c in cleaned])
        out = []
        for result, decision in zip(cleaned, decisions, strict=True):
            row = {
                "text": result.text,
                "repairs": [r.to_dict() for r in result.repairs],
                "language": result.language,
                **decision,
            }
            if "not_french" in result.flags or "empty" in result.flags:
                row["needs_review"] = True
            out.append(row)
        return out

    def search(
        self,
        query: str | None = None,
        *,
        like: str | None = None,
        mode: str = "semantic",
        limit: int = 20,
        role: str | None = None,
    ) -> list[dict]:
        """Contributions matching ``query`` (``keyword``: the words appear; ``semantic``: closest
        in meaning), or like the contribution ``like``. Texts are as ``role`` may see them
        (:mod:`nlp_assises.privacy`; default the lowest role), and a keyword matches only what
        that role sees: the pseudonymised text, never the original."""
        if mode == "keyword" and query:
            _, rows = self.store.search(q=query, limit=limit)
            found = [(c, k, text_view(c.text, c.repairs, role)) for c, k in rows]
            return [
                {"id": c.id, "text": text, "score": 1.0, "primary": k.primary if k else None}
                for c, k, text in found
                if visible_match(text, query)
            ]
        index = self.search_index
        index.refresh(self.store)
        if like is not None:
            probe = index.vector_of(like)
            if probe is None:
                return []
        else:
            probe = self.embedder.encode([query or ""])[0]
        hits = index.search(probe, limit=limit, exclude=like)
        ids = [i for i, _ in hits]
        texts = {c.id: text_view(c.text, c.repairs, role) for c in self.store.contributions(ids)}
        labels = self.store.latest_classifications_for(ids)
        return [
            {
                "id": i,
                "text": texts[i],
                "score": round(score, 4),
                "primary": labels[i].primary if i in labels else None,
            }
            for i, score in hits
            if i in texts
        ]

    @cached_property
    def search_index(self) -> VectorIndex:
        """Every stored contribution's embedding, grown as contributions arrive."""
        return VectorIndex(self.embedder)

    def ingest(self, source: str | Path | list[Record], *, run_id: int | None = None) -> dict:
        """Store the records of a file or folder (or records already read)."""
        records = source if isinstance(source, list) else self.read(source)
        total = len(records)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            self.progress("ingest", done, total)

        report = self.store.ingest(
            records,
            self.cleaner,
            scheme=self.scheme,
            pseudonym_secret=self.settings.resolved_pseudonym_secret,
            run_id=run_id,
            progress=tick,
        )
        return report.to_dict()

    def classify_store(self, *, only_missing: bool = True) -> int:
        """Classify stored contributions with the current model (those it has not seen)."""
        model = self.load_classifier(embedder=self.embedder)
        version = model.card.get("version", "unknown")
        self.store.record_model(
            "classifier",
            version,
            str(self.settings.classifiers_dir / version),
            {k: v for k, v in model.card.items() if k != "scheme"},
        )
        self.store.record_model("embedder", self.embedder.model_id, self.settings.embedder_spec, {})
        done = self.store.latest_classifications()
        rows = [
            c
            for c in self.store.contributions()
            if not only_missing or done.get(c.id) is None or done[c.id].model_version != version
        ]
        for start in range(0, len(rows), 256):
            batch = rows[start : start + 256]
            decisions = model.predict([c.text for c in batch])
            out = []
            for contribution, decision in zip(batch, decisions, strict=True):
                row = {"id": contribution.id, **decision.to_dict()}
                if "not_french" in (contribution.flags or []):
                    row["needs_review"] = True
                out.append(row)
            self.store.save_classifications(out, version)
            self.progress("classify", min(start + 256, len(rows)), len(rows))
        return len(rows)

    def clustering_items(self) -> list[Contribution]:
        """The stored contributions as the clusterer takes them, each with its themes (a
        writer's correction, else the input's labels, else the classifier's); copy-paste
        campaigns are detected and stored on the way."""
        rows = list(self.store.clustering_rows())  # columns only, not ORM rows
        writers_themes = self.store.theme_corrections()
        campaigns = CampaignDetector().fit_predict([r[0] for r in rows], [r[1] for r in rows])
        self.store.set_campaigns(campaigns)
        return [clustering_item(row, writers_themes, campaigns) for row in rows]

    def proposal_clusterer(self, **params) -> ProposalClusterer:
        """The clusterer the pipeline uses, with ``params`` (``min_cluster_size``,
        ``n_neighbors``...) changed."""
        params.setdefault("sub_min_parent", self.settings.sub_proposal_min_size or None)
        return ProposalClusterer(
            self.embedder,
            spacy_model=self.settings.spacy_model,
            known=self.load_known_proposals(),
            **params,
        )

    def save_clustering(
        self,
        result: ClusteringResult,
        items: Sequence[Contribution] | None,
        *,
        themes: Sequence[str] | None = None,
    ) -> int:
        """Store ``result`` as the current run: proposals the previous run also found keep
        their ids, then the writers' corrections are applied (``items``: the contributions
        clustered, for the corrections' counts; None: read from the store).

        With ``themes``, only those themes' proposals are replaced: the current run's other
        proposals are kept as they are."""
        previous = self.store.cluster_snapshot()
        if themes is not None:
            previous = [c for c in previous if c["theme"] in themes]
        links = carry_ids(result, previous, self.store.issued_cluster_ids())
        result.params["lineage"] = dict(sorted(Counter(link.kind for link in links).items()))
        corrections = self.store.corrections()
        if corrections:  # writers' corrections outlive the run they were made on
            continued: dict[str, list[str]] = {}
            for link in links:
                if link.kind == "split" and link.new_id != link.old_id:
                    continued.setdefault(link.old_id, []).append(link.new_id)
            merged = [c.target for c in corrections if c.kind == "merge_proposals"]
            for old_id, new_ids in pieces_of(previous, result, merged).items():
                continued.setdefault(old_id, [])
                continued[old_id] += [i for i in new_ids if i not in continued[old_id]]
            corrections = follow_lineage(corrections, {c["id"] for c in result.clusters}, continued)
            if items is not None:
                info = {
                    c.id: Member(
                        person=c.campaign or c.author or c.id, campaign=c.campaign, date=c.date
                    )
                    for c in items
                }
            else:  # a streamed refit (scale.refit): read from the store, members only
                info = self.store.member_info({r["contribution_id"] for r in result.members})
            applied = apply_corrections(result.clusters, result.members, corrections, info)
            result.clusters, result.members = applied.clusters, applied.members
            result.params["corrections"] = {
                "applied": len(applied.applied),
                "orphaned": applied.orphaned,
            }
        clusters, members, params = result.clusters, result.members, dict(result.params)
        if themes is not None:
            kept, kept_members, previous_params = self.store.current_run()
            kept = [k for k in kept if k["theme"] not in themes]
            kept_ids = {k["id"] for k in kept}
            clusters = kept + [k for k in clusters if k["theme"] in themes]
            new_ids = {k["id"] for k in clusters} - kept_ids
            members = [r for r in kept_members if r["cluster_id"] in kept_ids] + [
                r for r in members if r["cluster_id"] in new_ids
            ]
            params = {**previous_params, "themes_replaced": {t: result.params for t in themes}}
        return self.store.save_cluster_run(
            clusters, members, params, [link.to_dict() for link in links]
        )

    def cluster_store(self, prepare: Preparer | None = None) -> ClusteringResult:
        """Campaigns, then emerging proposals within each theme, stored as the current run.

        Proposals that the previous run also found keep their ids (``clustering.lineage``); how
        the two runs' proposals relate (kept, split, merge, new, gone) is stored with the run.
        ``prepare(items)``: ``ProposalClusterer.prepare`` done elsewhere (the Dask engine's
        workers); default in this process."""
        items = self.clustering_items()
        self.progress("cluster", 0, len(self.scheme.themes))
        prepared = prepare(items) if prepare is not None else None
        result = self.proposal_clusterer().fit(items, self.scheme.theme_ids, prepared=prepared)
        self.save_clustering(result, items)
        self.progress("cluster", len(self.scheme.themes), len(self.scheme.themes))
        result.params["campaigns"] = len({c.campaign for c in items if c.campaign})
        return result

    def assign_new(self, place: Assigner | None = None) -> int:
        """Put the contributions stored since the current clustering run into its proposals,
        without a refit (recurring proposal, else the nearest proposal of their themes); returns
        how many joined one. The others wait for the next ``cluster_store``.

        ``place(items, clusters)`` gives the memberships (default: ``ProposalClusterer.assign``
        in this process; the Dask engine spreads it over its workers)."""
        run = self.store.current_cluster_run()
        if run is None:
            raise ConfigurationError("no proposals yet: cluster the store once before assigning")
        since = _aware(run.created_at)
        clusters = self.store.cluster_snapshot()
        placed = {i for c in clusters for i in c["contributions"]}  # by an earlier assignment
        items = [
            c
            for c in self.clustering_items()
            if c.added and _aware(c.added) > since and c.id not in placed
        ]
        self.progress("assign", 0, len(items))
        if place is None:
            members = self.proposal_clusterer().assign(items, clusters).members
        else:
            members = place(items, clusters)
        self.store.add_cluster_members(members)
        self.progress("assign", len(items), len(items))
        return len({m["contribution_id"] for m in members})

    def writers_labels(self) -> list[dict]:
        """The writers' theme corrections as labelled records (``id``, ``text``, ``themes``),
        ready to train on."""
        corrected = self.store.theme_corrections()
        return [
            {"id": c.id, "text": c.text, "themes": corrected[c.id]}
            for c in self.store.contributions(list(corrected))
        ]

    def correct(self, kind: str, target: str, payload: dict | None = None, *, author: str) -> dict:
        """Record a writer's correction and apply it to the current proposals.

        >>> pipeline.correct("rename_proposal", "lien-003", {"label": "Des policiers à pied"},
        ...                  author="redacteur-1")  # doctest: +SKIP
        """
        correction = validate(
            Correction(kind=kind, target=target, payload=payload or {}, author=author),
            self.scheme.theme_ids,
        )
        return self.store.add_correction(correction).to_dict()

    def run(
        self,
        path: str | Path,
        *,
        recluster: bool | None = None,
        engine: str = "local",
        scheduler: str | None = None,
    ) -> RunSummary:
        """The whole pipeline on ``path`` into the store: ingest, clean, classify, cluster.

        ``recluster``: True refits the proposals, False only assigns the new contributions to
        the current ones; None (default) refits unless the new contributions are few (at most
        ``settings.assign_max_share`` of the store) and no stored one was reclassified.
        ``engine="dask"`` runs the per-contribution work on a Dask cluster (``scheduler``'s, or
        a local one), with the same results (:mod:`nlp_assises.scale.engine`)."""
        if engine == "dask":
            from nlp_assises.scale.engine import DaskEngine, count_records

            total = count_records(path)  # bad input fails before a cluster is even started,
            self.store.count()  # and so does an unreachable database
            with DaskEngine(self, scheduler) as dask:
                return dask.run(path, total=total, recluster=recluster)
        if engine != "local":
            raise ConfigurationError(f"unknown engine {engine!r}: expected local or dask")
        records = self.read(path)  # bad input fails here, before a run is even recorded
        run_id = self.store.start_run("pipeline")
        try:
            ingest = self.ingest(records, run_id=run_id)
            classified = self.classify_store()
            clustering = self.update_proposals(ingest["new"], classified, recluster)
        except Exception as exc:
            self.store.finish_run(run_id, error=f"{exc.__class__.__name__}: {exc}")
            raise
        return self.finish_run(run_id, ingest, classified, clustering)

    def update_proposals(
        self,
        new: int,
        classified: int,
        recluster: bool | None,
        place: Assigner | None = None,
        prepare: Preparer | None = None,
        refit: Callable[[], object] | None = None,
    ) -> str:
        """Refit, assign or leave the proposals after ``new`` contributions were stored and
        ``classified`` were (re)classified (``run``'s rule); returns which it did. ``refit``:
        how to refit, when not ``cluster_store(prepare)`` (the Dask engine's streamed refit)."""
        if (
            not self.store.current_clusters()
            or recluster
            or (
                recluster is None
                and (new or classified)
                and (classified > new or new > self.settings.assign_max_share * self.store.count())
            )
        ):
            if refit is not None:
                refit()
            else:
                self.cluster_store(prepare)
            return "refit"
        if new or classified:
            self.assign_new(place)
            return "assigned"
        return "unchanged"

    def finish_run(self, run_id: int, ingest: dict, classified: int, clustering: str) -> RunSummary:
        """Record the run as done, with its summary."""
        summary = RunSummary(
            run_id=run_id,
            ingest={k: v for k, v in ingest.items() if k != "rejections"},
            classified=classified,
            clusters=len(self.store.current_clusters()),
            campaigns=self.store.count_campaigns(),
            clustering=clustering,
        )
        self.store.finish_run(run_id, stats=summary.to_dict())
        return summary

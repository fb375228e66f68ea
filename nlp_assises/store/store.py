"""The store: contributions and everything computed about them, behind one small API.

Writes are transactional in batches: a crash loses at most the batch in flight, never half a
record, and what was committed stays committed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, String, cast, delete, func, select, update
from sqlalchemy.orm import Session, aliased

from nlp_assises.cleaning import Cleaner
from nlp_assises.corrections import (
    THEME_KINDS,
    Correction,
    CorrectionError,
    Member,
    UnknownTarget,
    apply_corrections,
    recount,
    theme_labels,
    touched_proposals,
)
from nlp_assises.errors import ConfigurationError
from nlp_assises.records import Record
from nlp_assises.scheme import Scheme
from nlp_assises.store import models as m
from nlp_assises.store.db import (
    check_reachable,
    insert_ignoring_conflicts,
    lock_for_write,
    make_engine,
    session_factory,
    upgrade,
)

_IN_CHUNK = 500  # bound parameters per IN (...) query


@dataclass
class IngestReport:
    new: int = 0
    duplicate: int = 0
    rejected: list[dict] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": len(self.rejected),
            "rejections": self.rejected,
        }


def pseudonymize_author(author: str | None, secret: str) -> str | None:
    """A keyed hash: the same author always gets the same pseudonym, which reveals nothing."""
    if not author or not author.strip():
        return None
    key = " ".join(author.lower().split())
    digest = hmac.new(secret.encode(), key.encode("utf-8", "replace"), hashlib.sha256)
    return "auteur-" + digest.hexdigest()[:10]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Store:
    """Opens (and migrates) the database at ``url``."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        else:
            check_reachable(self.engine)
        self._sessions = session_factory(self.engine)
        self._memo: dict[str, tuple] = {}
        # The installation's pseudonym secret, for authors (set by ``from_settings``).
        self.pseudonym_secret: str | None = None

    @classmethod
    def from_settings(cls, settings) -> Store:
        store = cls(settings.resolved_database_url)
        store.pseudonym_secret = settings.resolved_pseudonym_secret
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session holding the store's write lock from its first statement: for
        read-modify-write transactions, which must read what a concurrent writer committed
        rather than overwrite it (see :func:`~nlp_assises.store.db.lock_for_write`)."""
        with self._sessions() as session, session.begin():
            lock_for_write(session.connection())
            yield session

    # -- ingestion -------------------------------------------------------------------------
    def ingest(
        self,
        records: Sequence[Record],
        cleaner: Cleaner,
        *,
        scheme: Scheme | None = None,
        pseudonym_secret: str | None = None,
        batch_size: int = 100,
        run_id: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Clean and store ``records``; the same submission twice is stored once. Authors are
        hashed with ``pseudonym_secret``, by default the installation's (``from_settings``)."""
        pseudonym_secret = pseudonym_secret or self.pseudonym_secret
        if pseudonym_secret is None and any(r.author for r in records):
            raise ConfigurationError(
                "authors need a pseudonym secret: open the store with Store.from_settings"
            )
        report = IngestReport()
        seen: set[str] = set()
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            candidates: list[Record] = []
            for record in batch:
                where = record.source or record.id
                if not record.text or not record.text.strip():
                    report.rejected.append({"record": where, "reason": "empty text"})
                    continue
                if scheme is not None and record.themes:
                    try:
                        record.themes = scheme.validate_labels(record.themes)
                    except Exception as exc:
                        report.rejected.append({"record": where, "reason": str(exc)})
                        continue
                candidates.append(record)
            keys = {r.submission_key for r in candidates}
            with self.session() as session:
                existing = set()
                for chunk in _chunks(sorted(keys), _IN_CHUNK):
                    existing |= set(
                        session.scalars(
                            select(m.Contribution.submission_key).where(
                                m.Contribution.submission_key.in_(chunk)
                            )
                        )
                    )
                fresh = []
                for record in candidates:
                    digest = record.submission_key
                    if digest in existing or digest in seen:
                        report.duplicate += 1
                        continue
                    seen.add(digest)
                    fresh.append(record)
                ids = [r.id for r in fresh]
                taken = set()
                for chunk in _chunks(ids, _IN_CHUNK):
                    taken |= set(
                        session.scalars(
                            select(m.Contribution.id).where(m.Contribution.id.in_(chunk))
                        )
                    )
                cleaned = cleaner.clean_many([r.text for r in fresh])
                rows: list[dict] = []
                kept: list[Record] = []
                for record, result in zip(fresh, cleaned, strict=True):
                    if record.id in taken:
                        report.rejected.append(_id_taken(record))
                        continue
                    taken.add(record.id)
                    kept.append(record)
                    rows.append(_contribution_row(record, result, pseudonym_secret, run_id))
                # A concurrent writer may store some of these between the reads above and
                # this insert: its rows are skipped here, then told apart below.
                inserted = set()
                if rows:
                    statement = insert_ignoring_conflicts(session.connection(), m.Contribution)
                    inserted = set(session.scalars(statement.returning(m.Contribution.id), rows))
                lost = [r for r in kept if r.id not in inserted]
                if lost:
                    stored = set()
                    for chunk in _chunks([r.submission_key for r in lost], _IN_CHUNK):
                        stored |= set(
                            session.scalars(
                                select(m.Contribution.submission_key).where(
                                    m.Contribution.submission_key.in_(chunk)
                                )
                            )
                        )
                    for record in lost:
                        if record.submission_key in stored:
                            report.duplicate += 1
                        else:
                            report.rejected.append(_id_taken(record))
                report.new += len(inserted)
                report.ids += [row["id"] for row in rows if row["id"] in inserted]
            if progress:
                progress(len(batch))
        return report

    # -- contributions ---------------------------------------------------------------------
    def count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(m.Contribution)) or 0

    def contribution_ids(self) -> list[str]:
        """Every contribution id, in the order they were stored."""
        with self.session() as session:
            return list(
                session.scalars(
                    select(m.Contribution.id).order_by(m.Contribution.created_at, m.Contribution.id)
                )
            )

    def contributions(self, ids: Sequence[str] | None = None) -> list[m.Contribution]:
        with self.session() as session:
            # NULLS FIRST/LAST spelt out: SQLite and PostgreSQL default to opposite ends.
            query = select(m.Contribution).order_by(
                m.Contribution.date.asc().nulls_first(), m.Contribution.id
            )
            if ids is None:
                return list(session.scalars(query))
            found: dict[str, m.Contribution] = {}
            for chunk in _chunks(list(ids), _IN_CHUNK):
                for row in session.scalars(query.where(m.Contribution.id.in_(chunk))):
                    found[row.id] = row
            return [found[i] for i in ids if i in found]

    def search(
        self,
        *,
        theme: str | None = None,
        cluster: str | None = None,
        q: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        needs_review: bool | None = None,
        offset: int = 0,
        limit: int = 50,
        count: bool = True,
    ) -> tuple[int | None, list[tuple[m.Contribution, m.Classification | None]]]:
        """A page of contributions with their latest classification, filtered; and the total
        (None with ``count=False``: counting a text search reads every contribution)."""
        latest = (
            select(m.Classification.contribution_id, func.max(m.Classification.id).label("last"))
            .group_by(m.Classification.contribution_id)
            .subquery()
        )
        query = (
            select(m.Contribution, m.Classification)
            .outerjoin(latest, latest.c.contribution_id == m.Contribution.id)
            .outerjoin(m.Classification, m.Classification.id == latest.c.last)
        )
        if theme:
            if theme == "hors_theme":
                query = query.where(m.Classification.primary == theme)
            else:
                query = query.where(cast(m.Classification.labels, String).like(f'%"{theme}"%'))
        if needs_review is not None:
            query = query.where(m.Classification.needs_review == needs_review)
        if cluster:
            with self.session() as session:
                run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            members = select(m.ClusterMember.contribution_id).where(
                m.ClusterMember.run_id == run_id, m.ClusterMember.cluster_id == cluster
            )
            query = query.where(m.Contribution.id.in_(members))
        if q:
            query = query.where(m.Contribution.text.ilike(f"%{q}%"))
        if date_from:
            query = query.where(m.Contribution.date >= date_from)
        if date_to:
            query = query.where(m.Contribution.date <= date_to)
        with self.session() as session:
            total = (
                session.scalar(select(func.count()).select_from(query.subquery())) or 0
                if count
                else None
            )
            rows = session.execute(
                query.order_by(m.Contribution.date.desc().nulls_last(), m.Contribution.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return total, [(row[0], row[1]) for row in rows]

    def clusters_of(self, contribution_id: str) -> list[str]:
        with self.session() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            return sorted(
                set(
                    session.scalars(
                        select(m.ClusterMember.cluster_id).where(
                            m.ClusterMember.run_id == run_id,
                            m.ClusterMember.contribution_id == contribution_id,
                        )
                    )
                )
            )

    def label_rows(self) -> Iterator[tuple]:
        """One light row per contribution for counting: (id, themes_gold, flags, campaign_id,
        channel, date, labels, needs_review, model_version), the labels those of its latest
        classification. Columns only, streamed: fast enough for 100,000 contributions."""
        latest = (
            select(m.Classification.contribution_id, func.max(m.Classification.id).label("last"))
            .group_by(m.Classification.contribution_id)
            .subquery()
        )
        query = (
            select(
                m.Contribution.id,
                m.Contribution.themes_gold,
                m.Contribution.flags,
                m.Contribution.campaign_id,
                m.Contribution.channel,
                m.Contribution.date,
                m.Classification.labels,
                m.Classification.needs_review,
                m.Classification.model_version,
            )
            .outerjoin(latest, latest.c.contribution_id == m.Contribution.id)
            .outerjoin(m.Classification, m.Classification.id == latest.c.last)
        )
        with self.session() as session:
            yield from session.execute(query.execution_options(yield_per=5000))

    def memo(self, name: str, compute: Callable[[], object]) -> object:
        """``compute()``, kept until the store's :meth:`fingerprint` changes (for summaries that
        pages ask for often and that cost a pass over every contribution)."""
        key = self.fingerprint()
        if name in self._memo and self._memo[name][0] == key:
            return self._memo[name][1]
        value = compute()
        self._memo[name] = (key, value)
        return value

    def fingerprint(self) -> tuple:
        """Changes whenever anything a count depends on changes: a key for caching summaries."""
        with self.session() as session:
            return (
                session.scalar(select(func.count()).select_from(m.Contribution)),
                session.scalar(select(func.max(m.Contribution.created_at))),
                session.scalar(select(func.max(m.Classification.id))),
                session.scalar(select(func.max(m.CorrectionRow.id))),
                session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current)),
            )

    def get(self, contribution_id: str) -> m.Contribution | None:
        with self.session() as session:
            return session.get(m.Contribution, contribution_id)

    # -- classifications -------------------------------------------------------------------
    def save_classifications(self, rows: Iterable[dict], model_version: str) -> int:
        """Replace the classifications of these contributions by ``model_version``'s."""
        rows = list(rows)
        with self.session() as session:
            for chunk in _chunks([r["id"] for r in rows], _IN_CHUNK):
                session.execute(
                    delete(m.Classification).where(
                        m.Classification.contribution_id.in_(chunk),
                        m.Classification.model_version == model_version,
                    )
                )
            for row in rows:
                session.add(
                    m.Classification(
                        contribution_id=row["id"],
                        model_version=model_version,
                        scores=row["scores"],
                        labels=row["labels"],
                        primary=row["primary"],
                        needs_review=row["needs_review"],
                        margin=row.get("margin", 0.0),
                    )
                )
        return len(rows)

    def latest_classifications(self) -> dict[str, m.Classification]:
        """The most recent classification of each contribution."""
        with self.session() as session:
            latest = (
                select(
                    m.Classification.contribution_id, func.max(m.Classification.id).label("last")
                )
                .group_by(m.Classification.contribution_id)
                .subquery()
            )
            rows = session.scalars(
                select(m.Classification).join(latest, m.Classification.id == latest.c.last)
            )
            return {row.contribution_id: row for row in rows}

    def latest_classifications_for(self, ids: Sequence[str]) -> dict[str, m.Classification]:
        with self.session() as session:
            out: dict[str, m.Classification] = {}
            for chunk in _chunks(list(ids), _IN_CHUNK):
                rows = session.scalars(
                    select(m.Classification)
                    .where(m.Classification.contribution_id.in_(chunk))
                    .order_by(m.Classification.id)
                )
                for row in rows:
                    out[row.contribution_id] = row
            return out

    # -- clusters --------------------------------------------------------------------------
    def save_cluster_run(
        self,
        clusters: list[dict],
        members: list[dict],
        params: dict,
        links: Sequence[dict] | None = None,
    ) -> int:
        """Store a clustering run and make it the current one, in one transaction; ``links``
        (``kind``, ``old_id``, ``new_id``, ``similarity``, ``overlap``) tie its proposals to the
        previous current run's."""
        with self.writing() as session:
            previous = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            session.execute(update(m.ClusterRun).values(current=False))
            run = m.ClusterRun(params=params, current=True)
            session.add(run)
            session.flush()
            session.add_all(_cluster_row(run.id, cluster) for cluster in clusters)
            session.add_all(m.ClusterMember(run_id=run.id, **_member(r)) for r in members)
            session.add_all(
                m.ClusterLink(
                    run_id=run.id,
                    previous_run_id=previous,
                    **{k: link.get(k) for k in _LINK_FIELDS},
                )
                for link in links or ()
            )
            return run.id

    def current_cluster_run(self) -> m.ClusterRun | None:
        with self.session() as session:
            return session.scalar(select(m.ClusterRun).where(m.ClusterRun.current))

    def cluster_snapshot(self) -> list[dict]:
        """The current run's proposals as lineage and assignment need them: ``id``, ``theme``,
        ``centroid`` (a float32 array, or None), ``contributions`` and ``units``
        (``(contribution_id, start)`` of each proposal unit)."""
        with self.session() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            if run_id is None:
                return []
            members: dict[str, list[tuple[str, int | None]]] = {}
            for cluster_id, contribution_id, start in session.execute(
                select(
                    m.ClusterMember.cluster_id,
                    m.ClusterMember.contribution_id,
                    m.ClusterMember.unit_start,
                )
                .where(m.ClusterMember.run_id == run_id)
                .order_by(m.ClusterMember.pk)
            ):
                members.setdefault(cluster_id, []).append((contribution_id, start))
            return [
                {
                    "id": row.id,
                    "theme": row.theme,
                    "centroid": np.frombuffer(row.centroid, dtype=np.float32)
                    if row.centroid
                    else None,
                    "contributions": list(dict.fromkeys(c for c, _ in members.get(row.id, []))),
                    "units": members.get(row.id, []),
                }
                for row in session.scalars(
                    select(m.Cluster).where(m.Cluster.run_id == run_id).order_by(m.Cluster.pk)
                )
            ]

    def issued_cluster_ids(self) -> set[str]:
        """Every proposal id any run ever used: a new proposal never takes one of them."""
        with self.session() as session:
            return set(session.scalars(select(m.Cluster.id).distinct()))

    def cluster_links(self, run_id: int | None = None) -> list[dict]:
        """How the proposals of run ``run_id`` (default: the current run) continue the previous
        run's: one row per link, ``kind`` being kept, split, merge, new or gone."""
        with self.session() as session:
            if run_id is None:
                run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            rows = session.scalars(
                select(m.ClusterLink)
                .where(m.ClusterLink.run_id == run_id)
                .order_by(m.ClusterLink.pk)
            )
            return [
                {"run_id": r.run_id, "previous_run_id": r.previous_run_id}
                | {k: getattr(r, k) for k in _LINK_FIELDS}
                for r in rows
            ]

    def add_cluster_members(self, members: Sequence[dict]) -> int:
        """Add memberships to the current run (contributions assigned to existing proposals
        without a refit) and recount the proposals they join; returns the rows added."""
        if not members:
            return 0
        with self.writing() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            if run_id is None:
                raise ValueError("no clustering run to add members to")
            touched = {r["cluster_id"] for r in members}
            clusters, missing = _run_clusters(session, run_id, touched)
            if missing:
                raise ValueError(f"unknown proposal {sorted(missing)[0]!r} in the current run")
            session.add_all(m.ClusterMember(run_id=run_id, **_member(r)) for r in members)
            session.flush()
            rows = [
                _member_dict(r)
                for r in session.scalars(
                    select(m.ClusterMember).where(
                        m.ClusterMember.run_id == run_id, m.ClusterMember.cluster_id.in_(touched)
                    )
                )
            ]
            by_id = {c.id: _cluster_dict(c) for c in clusters}
            info = _member_info(session, {r["contribution_id"] for r in rows})
            recount(by_id, set(touched), rows, info)
            for cluster in clusters:
                counted = by_id[cluster.id]
                for key in ("size", "people", "campaign_copies", "share"):
                    setattr(cluster, key, counted[key])
                cluster.first_date, cluster.last_date = counted["first_date"], counted["last_date"]
            return len(members)

    def current_clusters(
        self, theme: str | None = None, ids: Sequence[str] | None = None
    ) -> list[m.Cluster]:
        """The current run's proposals (of ``theme``, or with these ``ids``), ranked by people."""
        with self.session() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            if run_id is None:
                return []
            query = select(m.Cluster).where(m.Cluster.run_id == run_id)
            if theme:
                query = query.where(m.Cluster.theme == theme)
            if ids is not None:
                query = query.where(m.Cluster.id.in_(list(ids)[:_IN_CHUNK]))
            return list(session.scalars(query.order_by(m.Cluster.people.desc(), m.Cluster.id)))

    def current_cluster_members(self) -> list[dict]:
        """Every proposal unit of the current clustering run (``cluster_id``,
        ``contribution_id``, ``unit_text``, ``unit_start``, ``score``), for DataFrames."""
        return self.current_run()[1]

    def current_run(self) -> tuple[list[dict], list[dict], dict]:
        """The current clustering run as ``(clusters, members, params)`` dicts, as
        ``save_cluster_run`` takes them (empty when there is none)."""
        with self.session() as session:
            run = session.scalar(select(m.ClusterRun).where(m.ClusterRun.current))
            if run is None:
                return [], [], {}
            clusters = session.scalars(
                select(m.Cluster).where(m.Cluster.run_id == run.id).order_by(m.Cluster.pk)
            )
            members = session.scalars(
                select(m.ClusterMember)
                .where(m.ClusterMember.run_id == run.id)
                .order_by(m.ClusterMember.pk)
            )
            return (
                [_cluster_dict(c) for c in clusters],
                [_member_dict(r) for r in members],
                dict(run.params or {}),
            )

    def count_campaigns(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count(func.distinct(m.Contribution.campaign_id))))

    def set_campaigns(self, campaign_of: dict[str, str | None]) -> None:
        with self.session() as session:
            session.execute(update(m.Contribution).values(campaign_id=None))
            for contribution_id, campaign in campaign_of.items():
                if campaign:
                    session.execute(
                        update(m.Contribution)
                        .where(m.Contribution.id == contribution_id)
                        .values(campaign_id=campaign)
                    )

    # -- writers' workspace: aggregates and pages, never every contribution at once ----------
    def cluster_page(
        self, cluster_id: str, *, offset: int = 0, limit: int = 20
    ) -> tuple[int, list[tuple[m.Contribution, list[m.ClusterMember]]]]:
        """A page of a current proposal's contributions, each with its proposal sentences (a
        contribution may carry several), the closest to the proposal first; and how many
        contributions it has."""
        with self.session() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            where = (m.ClusterMember.run_id == run_id, m.ClusterMember.cluster_id == cluster_id)
            total = session.scalar(
                select(func.count(func.distinct(m.ClusterMember.contribution_id))).where(*where)
            )
            best = func.max(m.ClusterMember.score)
            ids = list(
                session.scalars(
                    select(m.ClusterMember.contribution_id)
                    .where(*where)
                    .group_by(m.ClusterMember.contribution_id)
                    .order_by(best.desc(), m.ClusterMember.contribution_id)
                    .offset(offset)
                    .limit(limit)
                )
            )
            members: dict[str, list[m.ClusterMember]] = {i: [] for i in ids}
            for row in session.scalars(
                select(m.ClusterMember)
                .where(*where, m.ClusterMember.contribution_id.in_(ids))
                .order_by(m.ClusterMember.unit_start)
            ):
                members[row.contribution_id].append(row)
            found = {
                c.id: c
                for c in session.scalars(select(m.Contribution).where(m.Contribution.id.in_(ids)))
            }
            return total or 0, [(found[i], members[i]) for i in ids if i in found]

    def review_queue(
        self, *, offset: int = 0, limit: int = 20
    ) -> tuple[int, list[tuple[m.Contribution, m.Classification]]]:
        """Contributions the classifier was unsure of that no writer has settled yet, shortest
        (fastest to read) first; and how many there are."""
        newer = aliased(m.Classification)
        is_latest = m.Classification.id == (
            select(func.max(newer.id))
            .where(newer.contribution_id == m.Classification.contribution_id)
            .scalar_subquery()
        )
        settled = select(m.CorrectionRow.target).where(m.CorrectionRow.kind.in_(THEME_KINDS))
        where = (
            m.Classification.needs_review.is_(True),
            is_latest,
            m.Classification.contribution_id.notin_(settled),
        )
        query = (
            select(m.Contribution, m.Classification)
            .select_from(m.Classification)
            .join(m.Contribution, m.Contribution.id == m.Classification.contribution_id)
            .where(*where)
        )
        with self.session() as session:
            total = session.scalar(select(func.count()).select_from(m.Classification).where(*where))
            rows = session.execute(
                query.order_by(func.length(m.Contribution.text), m.Contribution.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return total or 0, [(row[0], row[1]) for row in rows]

    def corrections_page(
        self,
        *,
        kind: str | None = None,
        target: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[int, list[Correction]]:
        """A page of corrections, newest first; and how many there are."""
        query = select(m.CorrectionRow)
        if kind:
            query = query.where(m.CorrectionRow.kind == kind)
        if target:
            query = query.where(m.CorrectionRow.target == target)
        with self.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(m.CorrectionRow.id.desc()).offset(offset).limit(limit)
            )
            return total, [_correction(row) for row in rows]

    # -- writers' corrections -----------------------------------------------------------
    def corrections(self, kinds: Sequence[str] | None = None) -> list[Correction]:
        """Every correction, oldest first (the order they are applied in)."""
        query = select(m.CorrectionRow).order_by(m.CorrectionRow.id)
        if kinds:
            query = query.where(m.CorrectionRow.kind.in_(list(kinds)))
        with self.session() as session:
            return [_correction(row) for row in session.scalars(query)]

    def theme_corrections(self) -> dict[str, list[str]]:
        """Contribution id → the themes a writer last gave it (labelled data for retraining)."""
        return theme_labels(self.corrections(THEME_KINDS))

    def add_correction(self, correction: Correction) -> Correction:
        """Record a (validated) correction and apply it to the current run, in one transaction.

        Raises :class:`CorrectionError` when its target is not in the store or the current run.
        Concurrent corrections are applied one after the other, each on the run as the previous
        one left it (the write lock), so none undoes another.
        """
        with self.writing() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            if correction.kind in THEME_KINDS:
                if session.get(m.Contribution, correction.target) is None:
                    raise UnknownTarget(f"contribution inconnue : {correction.target}")
                touched = set(
                    session.scalars(
                        select(m.ClusterMember.cluster_id).where(
                            m.ClusterMember.run_id == run_id,
                            m.ClusterMember.contribution_id == correction.target,
                        )
                    )
                )
            else:
                touched = touched_proposals(correction)
            row = m.CorrectionRow(
                kind=correction.kind,
                target=correction.target,
                payload=correction.payload,
                author=correction.author,
            )
            session.add(row)
            session.flush()
            stored = _correction(row)
            if not touched:
                return stored
            if run_id is None:
                raise UnknownTarget("aucune proposition n'a encore été calculée")
            clusters, missing = _run_clusters(session, run_id, touched)
            if missing:
                raise UnknownTarget(f"proposition inconnue : {sorted(missing)[0]}")
            members = list(
                session.scalars(
                    select(m.ClusterMember).where(
                        m.ClusterMember.run_id == run_id, m.ClusterMember.cluster_id.in_(touched)
                    )
                )
            )
            info = _member_info(session, {r.contribution_id for r in members})
            applied = apply_corrections(
                [_cluster_dict(c) for c in clusters],
                [_member_dict(r) for r in members],
                [stored],
                info,
            )
            if applied.orphaned:
                raise CorrectionError(
                    "correction impossible : les propositions doivent exister et être du même thème"
                )
            for cluster in clusters:
                session.delete(cluster)
            for member in members:
                session.delete(member)
            session.flush()
            session.add_all(_cluster_row(run_id, c) for c in applied.clusters)
            session.add_all(m.ClusterMember(run_id=run_id, **_member(r)) for r in applied.members)
            return stored

    def member_info(self, ids: Iterable[str]) -> dict[str, Member]:
        """What applying corrections needs to recount proposals over these contributions."""
        with self.session() as session:
            return _member_info(session, set(ids))

    # -- model versions and runs ----------------------------------------------------------
    def record_model(self, kind: str, version: str, path: str, card: dict) -> None:
        with self.session() as session:  # a version already recorded is kept as it is
            statement = insert_ignoring_conflicts(session.connection(), m.ModelVersion)
            session.execute(statement.values(kind=kind, version=version, path=path, card=card))

    def start_run(self, kind: str) -> int:
        with self.session() as session:
            run = m.PipelineRun(kind=kind)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self, run_id: int, *, stats: dict | None = None, error: str | None = None
    ) -> None:
        with self.session() as session:
            run = session.get(m.PipelineRun, run_id)
            run.status = "failed" if error else "done"
            run.finished_at = datetime.now(UTC)
            run.stats = stats or {}
            run.error = error


def _run_clusters(session: Session, run_id: int, ids: set[str]) -> tuple[list[m.Cluster], set[str]]:
    """The clusters ``ids`` of run ``run_id``, and those of ``ids`` it does not have."""
    clusters = list(
        session.scalars(select(m.Cluster).where(m.Cluster.run_id == run_id, m.Cluster.id.in_(ids)))
    )
    return clusters, ids - {c.id for c in clusters}


def _id_taken(record: Record) -> dict:
    return {
        "record": record.source or record.id,
        "reason": f"id {record.id} already holds another text",
    }


def _contribution_row(record: Record, result, secret: str, run_id: int | None) -> dict:
    return {
        "id": record.id,
        "submission_key": record.submission_key,
        "content_hash": record.content_hash,
        "original": record.text,
        "text": result.text,
        "repairs": [r.to_dict() for r in result.repairs],
        "flags": result.flags,
        "language": result.language,
        "source": record.source,
        "channel": record.meta.get("channel"),
        "date": _aware(record.date),
        "author_pseudonym": pseudonymize_author(record.author, secret),
        "themes_gold": record.themes,
        "meta": {k: v for k, v in record.meta.items() if _jsonable(v)},
        "run_id": run_id,
    }


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _jsonable(value) -> bool:
    return isinstance(value, str | int | float | bool | list | dict) or value is None


def _parse_dt(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _correction(row: m.CorrectionRow) -> Correction:
    return Correction(
        kind=row.kind,
        target=row.target,
        payload=dict(row.payload or {}),
        author=row.author,
        id=row.id,
        created_at=_aware(row.created_at),
    )


def _cluster_row(run_id: int, cluster: dict) -> m.Cluster:
    centroid = cluster.get("centroid")
    if centroid is not None and not isinstance(centroid, bytes):
        centroid = np.asarray(centroid, dtype=np.float32).tobytes()
    return m.Cluster(
        id=cluster["id"],
        run_id=run_id,
        theme=cluster["theme"],
        label=cluster["label"],
        keywords=cluster["keywords"],
        size=cluster["size"],
        people=cluster.get("people", cluster["size"]),
        campaign_copies=cluster.get("campaign_copies", 0),
        share=cluster.get("share", 0.0),
        quotes=cluster["quotes"],
        first_date=_parse_dt(cluster.get("first_date")),
        last_date=_parse_dt(cluster.get("last_date")),
        centroid=centroid,
    )


def _cluster_dict(row: m.Cluster) -> dict:
    return {
        "id": row.id,
        "theme": row.theme,
        "label": row.label,
        "keywords": list(row.keywords or []),
        "size": row.size,
        "people": row.people,
        "campaign_copies": row.campaign_copies,
        "share": row.share,
        "quotes": [dict(q) for q in row.quotes or []],
        "first_date": row.first_date,
        "last_date": row.last_date,
        "centroid": row.centroid,
    }


_LINK_FIELDS = ("kind", "old_id", "new_id", "similarity", "overlap")
_MEMBER_FIELDS = ("cluster_id", "contribution_id", "unit_text", "unit_start", "score")


def _member(row: dict) -> dict:
    return {k: row.get(k) for k in _MEMBER_FIELDS if k in row}


def _member_dict(row: m.ClusterMember) -> dict:
    return {k: getattr(row, k) for k in _MEMBER_FIELDS}


def _member_info(session: Session, ids: set[str]) -> dict[str, Member]:
    info: dict[str, Member] = {}
    for chunk in _chunks(sorted(ids), _IN_CHUNK):
        rows = session.execute(
            select(
                m.Contribution.id,
                m.Contribution.campaign_id,
                m.Contribution.author_pseudonym,
                m.Contribution.date,
            ).where(m.Contribution.id.in_(chunk))
        )
        for cid, campaign, author, date in rows:
            info[cid] = Member(
                person=campaign or author or cid, campaign=campaign, date=_aware(date)
            )
    return info

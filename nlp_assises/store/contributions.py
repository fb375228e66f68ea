"""Contributions and their classifications: reads, search, counts, the classifier's labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import String, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from nlp_assises.store import models as m
from nlp_assises.store.rows import _IN_CHUNK, _chunks


class ContributionsMixin:
    """The ``Store`` methods over the contributions and classifications tables."""

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

    def texts(self, ids: Sequence[str]) -> list[str]:
        """The cleaned texts of ``ids``, in their order (columns only: for the few a step
        needs out of millions, such as the candidates of a copy-paste campaign)."""
        found: dict[str, str] = {}
        with self.session() as session:
            for chunk in _chunks(list(ids), _IN_CHUNK):
                query = select(m.Contribution.id, m.Contribution.text)
                found.update(session.execute(query.where(m.Contribution.id.in_(chunk))).all())
        return [found[i] for i in ids]

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
        query = _with_latest_classification(
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
        with self.session() as session:
            yield from session.execute(query.execution_options(yield_per=5000))

    def clustering_rows(self) -> Iterator[tuple]:
        """What the proposals need of each contribution, in ``contributions()``'s order: (id,
        text, themes_gold, date, author_pseudonym, created_at, labels of its latest
        classification). Columns only, streamed: not the ORM rows, which carry the original
        text, repairs and metadata too (twice the memory at 100,000 contributions)."""
        query = _with_latest_classification(
            m.Contribution.id,
            m.Contribution.text,
            m.Contribution.themes_gold,
            m.Contribution.date,
            m.Contribution.author_pseudonym,
            m.Contribution.created_at,
            m.Classification.labels,
        ).order_by(m.Contribution.date.asc().nulls_first(), m.Contribution.id)
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
            insert_classifications(session, rows, model_version)
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

    def unclassified_ids(self, model_version: str) -> list[str]:
        """The contributions whose latest classification is not ``model_version``'s (or that
        have none), in ``contributions()``'s order: ids only, for stores too large to load."""
        latest = (
            select(m.Classification.contribution_id, func.max(m.Classification.id).label("last"))
            .group_by(m.Classification.contribution_id)
            .subquery()
        )
        query = (
            select(m.Contribution.id)
            .outerjoin(latest, latest.c.contribution_id == m.Contribution.id)
            .outerjoin(m.Classification, m.Classification.id == latest.c.last)
            .where(
                (m.Classification.id.is_(None)) | (m.Classification.model_version != model_version)
            )
            .order_by(m.Contribution.date.asc().nulls_first(), m.Contribution.id)
        )
        with self.session() as session:
            return list(session.scalars(query.execution_options(yield_per=10000)))

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


def insert_classifications(session: Session, rows: Sequence[dict], model_version: str) -> None:
    """``model_version``'s classifications (``{"id", "scores", "labels", "primary",
    "needs_review", "margin", "confidence"}`` rows) in one Core executemany: a national run
    writes millions, and ORM objects cost more than the insert itself."""
    if not rows:
        return
    session.connection().execute(
        insert(m.Classification.__table__),
        [
            {
                "contribution_id": row["id"],
                "model_version": model_version,
                "scores": row["scores"],
                "labels": row["labels"],
                "primary": row["primary"],
                "needs_review": row["needs_review"],
                "margin": row.get("margin", 0.0),
                "confidence": row.get("confidence"),
            }
            for row in rows
        ],
    )


def _with_latest_classification(*columns):
    """``columns`` of every contribution joined with its latest classification (outer join: a
    contribution not yet classified comes with empty classification columns)."""
    latest = (
        select(m.Classification.contribution_id, func.max(m.Classification.id).label("last"))
        .group_by(m.Classification.contribution_id)
        .subquery()
    )
    return (
        select(*columns)
        .outerjoin(latest, latest.c.contribution_id == m.Contribution.id)
        .outerjoin(m.Classification, m.Classification.id == latest.c.last)
    )

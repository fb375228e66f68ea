"""Writers' corrections and the review queue: recorded, paged, applied to the current run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from nlp_assises.corrections import (
    THEME_KINDS,
    Correction,
    CorrectionError,
    Member,
    UnknownTarget,
    apply_corrections,
    theme_labels,
    touched_proposals,
)
from nlp_assises.store import models as m
from nlp_assises.store.rows import (
    _cluster_dict,
    _cluster_row,
    _correction,
    _member,
    _member_dict,
    _member_info,
    _run_clusters,
)


class CorrectionsMixin:
    """The ``Store`` methods over the corrections table (and the review queue it settles)."""

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

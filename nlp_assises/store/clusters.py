"""Clustering runs: proposals, their members, lineage links, campaigns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from nlp_assises.corrections import recount
from nlp_assises.store import models as m
from nlp_assises.store.rows import (
    _IN_CHUNK,
    _LINK_FIELDS,
    _cluster_dict,
    _cluster_row,
    _member,
    _member_dict,
    _member_info,
    _run_clusters,
)

_WRITE_BATCH = 5000  # rows an executemany: bounded memory, few round trips
# an executemany needs every column in every row: what the ORM would have filled in
_MEMBER_DEFAULTS = {"unit_text": None, "unit_start": None, "score": 0.0}


def insert_members(session: Session, run_id: int, members: Sequence[dict]) -> None:
    """Proposal units into a run, in ``session``'s transaction: Core inserts in batches, no ORM
    object a row (a national run has millions of them)."""
    table = m.ClusterMember.__table__
    connection = session.connection()
    for start in range(0, len(members), _WRITE_BATCH):
        batch = [
            {**_MEMBER_DEFAULTS, **_member(r), "run_id": run_id}
            for r in members[start : start + _WRITE_BATCH]
        ]
        connection.execute(insert(table), batch)


class ClustersMixin:
    """The ``Store`` methods over the cluster runs, clusters, members and links tables."""

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
            session.flush()
            insert_members(session, run.id, members)
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

    def current_members_by_theme(self) -> dict[str, set[str]] | None:
        """Each theme's contributions that sit in one of its current proposals, writers'
        corrections included (they rewrite the run); None when nothing was clustered yet."""
        with self.session() as session:
            run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
            if run_id is None:
                return None
            rows = session.execute(
                select(m.Cluster.theme, m.ClusterMember.contribution_id)
                .join(
                    m.ClusterMember,
                    (m.ClusterMember.run_id == m.Cluster.run_id)
                    & (m.ClusterMember.cluster_id == m.Cluster.id),
                )
                .where(m.Cluster.run_id == run_id)
                .distinct()
            )
            members: dict[str, set[str]] = {}
            for theme, contribution_id in rows:
                members.setdefault(theme, set()).add(contribution_id)
            return members

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
        """The campaigns found by the last detection: every other contribution has none. One
        transaction, the members' rows updated in batches (an executemany, not a statement a
        contribution)."""
        rows = [{"cid": c, "campaign": k} for c, k in campaign_of.items() if k]
        statement = (
            update(m.Contribution.__table__)
            .where(m.Contribution.__table__.c.id == bindparam("cid"))
            .values(campaign_id=bindparam("campaign"))
        )
        with self.writing() as session:
            session.execute(update(m.Contribution).values(campaign_id=None))
            connection = session.connection()
            for start in range(0, len(rows), _WRITE_BATCH):
                connection.execute(statement, rows[start : start + _WRITE_BATCH])

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

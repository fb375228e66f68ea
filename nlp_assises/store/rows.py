"""Row conversions and small helpers the store's parts share (``Store`` is split by table group:
ingestion, contributions, clusters, corrections, runs)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp_assises.corrections import Correction, Member
from nlp_assises.records import Record
from nlp_assises.store import models as m

_IN_CHUNK = 500  # bound parameters per IN (...) query


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
        sub_proposals=cluster.get("sub_proposals") or [],
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
        "sub_proposals": [dict(s) for s in row.sub_proposals or []],
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

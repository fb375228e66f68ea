"""The store's tables (SQLAlchemy 2). The schema itself is created by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as its UTC instant and read back aware, in UTC, on every database.

    SQLite keeps a date's wall-clock time and drops its offset (12:00+01:00 would come back as
    12:00, an hour late once taken as UTC); PostgreSQL keeps the instant. Naive values are UTC.
    The column is still ``DateTime(timezone=True)``: no migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict: JSON, list: JSON}


class Contribution(Base):
    __tablename__ = "contributions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    original: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    repairs: Mapped[list] = mapped_column(JSON, default=list)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="und")
    source: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(32))
    date: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    author_pseudonym: Mapped[str | None] = mapped_column(String(32), index=True)
    themes_gold: Mapped[list | None] = mapped_column(JSON)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    campaign_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_runs.id"))

    classifications: Mapped[list[Classification]] = relationship(
        back_populates="contribution", cascade="all, delete-orphan"
    )


class Embedding(Base):
    """The embedding cache, keyed by (model id, text hash)."""

    __tablename__ = "embeddings"

    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Classification(Base):
    __tablename__ = "classifications"
    __table_args__ = (UniqueConstraint("contribution_id", "model_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contribution_id: Mapped[str] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    model_version: Mapped[str] = mapped_column(String(128))
    scores: Mapped[dict] = mapped_column(JSON)
    labels: Mapped[list] = mapped_column(JSON)
    primary: Mapped[str] = mapped_column(String(64), index=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    margin: Mapped[float] = mapped_column(Float, default=0.0)
    # probability that ``primary`` is right; None before migration 0007 and for zero-shot models
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contribution: Mapped[Contribution] = relationship(back_populates="classifications")


class ClusterRun(Base):
    __tablename__ = "cluster_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class Cluster(Base):
    __tablename__ = "clusters"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("cluster_runs.id", ondelete="CASCADE"))
    theme: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer, default=0)
    campaign_copies: Mapped[int] = mapped_column(Integer, default=0)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    quotes: Mapped[list] = mapped_column(JSON)
    first_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    # its main variants (clustering/subproposals.py): [{id, label, keywords, size, people,
    # contributions, quotes}]; None in runs stored before them
    sub_proposals: Mapped[list | None] = mapped_column(JSON)
    __table_args__ = (UniqueConstraint("run_id", "id"),)


class ClusterMember(Base):
    __tablename__ = "cluster_members"
    __table_args__ = (Index("ix_cluster_members_run_cluster", "run_id", "cluster_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("cluster_runs.id", ondelete="CASCADE"))
    cluster_id: Mapped[str] = mapped_column(String(64))
    contribution_id: Mapped[str] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    unit_text: Mapped[str | None] = mapped_column(Text)
    unit_start: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(Text)
    card: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PipelineRun(Base):
    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A long job queued through the API (see :mod:`nlp_assises.jobs`): every server process
    claims queued jobs from here, so a job outlives the process that queued or ran it."""

    __tablename__ = "jobs"
    __table_args__ = (
        # At most one running job per lane, whichever process runs it: the database refuses a
        # second claim, so two re-clusterings never overlap.
        Index(
            "ux_jobs_running_lane",
            "lane",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    lane: Mapped[str | None] = mapped_column(String(32))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class ApiKey(Base):
    """An API key, stored as a SHA-256 hash (keys are 256-bit random tokens, so a fast hash is
    enough); the key itself is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A writer's signed-in session on the pages: the cookie holds a random token, the store its
    SHA-256 hash, so neither the cookie nor the table gives the API key away. Signing out deletes
    the row; a revoked key's sessions stop at once (looked up with the key)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CorrectionRow(Base):
    """A writer's correction (see :mod:`nlp_assises.corrections`): who, when, what; applied to
    every clustering run made after it."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(96), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClusterLink(Base):
    """How a clustering run's proposals continue the previous run's (see
    :mod:`nlp_assises.clustering.lineage`): kept, split, merge, new or gone."""

    __tablename__ = "cluster_links"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("cluster_runs.id", ondelete="CASCADE"), index=True
    )
    previous_run_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    old_id: Mapped[str | None] = mapped_column(String(96), index=True)
    new_id: Mapped[str | None] = mapped_column(String(96), index=True)
    similarity: Mapped[float | None] = mapped_column(Float)
    overlap: Mapped[float | None] = mapped_column(Float)

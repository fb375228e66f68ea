"""jobs: a queue in the store, claimed under a lease by any server process

Jobs used to be ``pipeline_runs`` rows of kind ``job:...`` run by one process's thread pool: a
restart left them "running" forever. They move to their own table, with the same ids (old links
to ``/v1/jobs/{id}`` keep working); those left "running" are marked failed.

Revision ID: 0004_jobs
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_jobs"
down_revision = "0003"
branch_labels = None
depends_on = None

INTERRUPTED = "interrupted: the server stopped while it ran (before jobs were kept in the store)"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lane", sa.String(length=32), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index(
        "ux_jobs_running_lane",
        "jobs",
        ["lane"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.execute(
        sa.text(
            "INSERT INTO jobs (id, kind, status, lane, queued_at, started_at, finished_at,"
            " attempts, max_attempts, result, error)"
            " SELECT id, substr(kind, 5),"
            " CASE WHEN status = 'running' THEN 'failed' ELSE status END,"
            " NULL, started_at, started_at, finished_at, 1, 1, stats,"
            " CASE WHEN status = 'running' THEN :interrupted ELSE error END"
            " FROM pipeline_runs WHERE kind LIKE 'job:%'"
        ).bindparams(interrupted=INTERRUPTED)
    )
    op.execute(
        "DELETE FROM pipeline_runs WHERE kind LIKE 'job:%' AND id NOT IN"
        " (SELECT run_id FROM contributions WHERE run_id IS NOT NULL)"
    )
    if op.get_bind().dialect.name == "postgresql":  # ids copied: the sequence goes past them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('jobs', 'id'),"
            " (SELECT COALESCE(MAX(id), 0) + 1 FROM jobs), false)"
        )


def downgrade() -> None:
    op.execute(
        "INSERT INTO pipeline_runs (kind, status, started_at, finished_at, stats, error)"
        " SELECT 'job:' || kind, status, COALESCE(started_at, queued_at), finished_at, result,"
        " error FROM jobs"
    )
    op.drop_index("ux_jobs_running_lane", table_name="jobs")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_table("jobs")

"""cluster lineage: how each run's proposals continue the previous run's

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_links",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("previous_run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("old_id", sa.String(length=96), nullable=True),
        sa.Column("new_id", sa.String(length=96), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("overlap", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["cluster_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_cluster_links_run_id", "cluster_links", ["run_id"])
    op.create_index("ix_cluster_links_old_id", "cluster_links", ["old_id"])
    op.create_index("ix_cluster_links_new_id", "cluster_links", ["new_id"])


def downgrade() -> None:
    op.drop_index("ix_cluster_links_new_id", table_name="cluster_links")
    op.drop_index("ix_cluster_links_old_id", table_name="cluster_links")
    op.drop_index("ix_cluster_links_run_id", table_name="cluster_links")
    op.drop_table("cluster_links")

"""sub-proposals: a large proposal's main variants, kept on its row

Revision ID: 0006_sub_proposals
Revises: 0005_web_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_sub_proposals"
down_revision = "0005_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: the runs stored before have none (read as [])
    op.add_column("clusters", sa.Column("sub_proposals", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("sub_proposals")

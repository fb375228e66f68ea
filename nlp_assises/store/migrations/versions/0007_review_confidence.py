"""classifications: the probability that the primary theme is right (the review queue's order)

Revision ID: 0007_review_confidence
Revises: 0006_sub_proposals
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_review_confidence"
down_revision = "0006_sub_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: classifications stored before, and zero-shot ones, have none
    op.add_column("classifications", sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classifications") as batch:  # SQLite drops by copying the table
        batch.drop_column("confidence")

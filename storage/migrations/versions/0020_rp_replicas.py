"""replicas: a waiting update names its sender (hashed), and when another replica took it over

Revision ID: 0020rp
Revises: 0018wp
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020rp"
down_revision: str | None = "0018wp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.add_column(sa.Column("sender_key", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_inbound_events_sender_waiting", "inbound_events", ["sender_key", "id"],
                    sqlite_where=sa.text("handled_at IS NULL"),
                    postgresql_where=sa.text("handled_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_inbound_events_sender_waiting", table_name="inbound_events")
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("resumed_at")
        batch.drop_column("sender_key")

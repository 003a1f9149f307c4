"""inbox: an update is recorded on arrival and marked handled when it is

Revision ID: 0019ib
Revises: 0014pj
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019ib"
down_revision: str | None = "0014pj"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
    # Every update recorded so far was recorded by the transaction that handled it.
    op.execute(sa.text("UPDATE inbound_events SET handled_at = received_at"))
    op.create_index("ix_inbound_events_waiting", "inbound_events", ["id"],
                    sqlite_where=sa.text("handled_at IS NULL"),
                    postgresql_where=sa.text("handled_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_inbound_events_waiting", table_name="inbound_events")
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("handled_at")
        batch.drop_column("payload")

"""meetings get an end time: existing meetings end two hours after they start

Revision ID: 0016mv
Revises: 0019ib
Create Date: 2026-12-08 18:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0016mv"
down_revision: str | None = "0019ib"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The length every meeting was assumed to have before it had an end (the old .ics files).
ASSUMED = timedelta(hours=2)


def upgrade() -> None:
    # Not a batch (a copy of the table) on SQLite: with foreign keys on, dropping the old
    # meetings table would cascade to its delegates' rows. A column added in place must have a
    # default to be NOT NULL; every row gets its real end at once, and new rows always give one.
    op.add_column("meetings", sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False,
                                        server_default=sa.text("'1970-01-01 00:00:00'")))
    meetings = sa.table("meetings", sa.column("id", sa.Integer()),
                        sa.column("starts_at", sa.DateTime(timezone=True)),
                        sa.column("ends_at", sa.DateTime(timezone=True)))
    connection = op.get_bind()
    # Row by row in Python: the same on SQLite (text) and PostgreSQL (timestamptz); a commune
    # has a few dozen meetings a year.
    rows = connection.execute(sa.select(meetings.c.id, meetings.c.starts_at)).all()
    for meeting_id, starts_at in rows:
        connection.execute(meetings.update().where(meetings.c.id == meeting_id)
                           .values(ends_at=starts_at + ASSUMED))
    if connection.dialect.name != "sqlite":  # SQLite cannot drop a default in place
        op.alter_column("meetings", "ends_at", server_default=None)


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a column without copying the table), for the same reason.
    op.drop_column("meetings", "ends_at")

"""hamlet households: how many households a hamlet has, where the commune gave the figure

Revision ID: 0022pd
Revises: 0018wp
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022pd"
down_revision: str | None = "0020rp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hamlets") as batch:
        batch.add_column(sa.Column("households", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hamlets") as batch:
        batch.drop_column("households")

"""field models: each commune's field classifier, trained from its staff's classifications

Revision ID: 0015fm
Revises: 0016mv
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015fm"
down_revision: str | None = "0016mv"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_models",
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("through_audit_id", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["communes.id"],
                                name=op.f("fk_field_models_commune_id_communes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("commune_id", name=op.f("pk_field_models")),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_table("field_models")

"""web panel: one-time sign-in links and sessions of the office's panel; the overview's indexes

Revision ID: 0018wp
Revises: 0017db
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018wp"
down_revision: str | None = "0017db"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "panel_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_panel_sign_ins_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_sign_ins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_panel_sign_ins_token_hash")),
    )
    op.create_index(op.f("ix_panel_sign_ins_person_id"), "panel_sign_ins", ["person_id"],
                    unique=False)
    op.create_table(
        "panel_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_panel_sessions_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_panel_sessions_token_hash")),
    )
    op.create_index(op.f("ix_panel_sessions_person_id"), "panel_sessions", ["person_id"],
                    unique=False)
    op.create_index("ix_petitions_commune_created", "petitions", ["commune_id", "created_at"],
                    unique=False)
    op.create_index("ix_petitions_commune_answered", "petitions",
                    ["commune_id", "answered_at", "created_at"], unique=False)
    op.create_index("ix_petitions_commune_places", "petitions",
                    ["commune_id", "status", "field_id", "hamlet_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_petitions_commune_places", table_name="petitions")
    op.drop_index("ix_petitions_commune_answered", table_name="petitions")
    op.drop_index("ix_petitions_commune_created", table_name="petitions")
    op.drop_index(op.f("ix_panel_sessions_person_id"), table_name="panel_sessions")
    op.drop_table("panel_sessions")
    op.drop_index(op.f("ix_panel_sign_ins_person_id"), table_name="panel_sign_ins")
    op.drop_table("panel_sign_ins")

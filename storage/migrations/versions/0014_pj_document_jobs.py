"""document jobs: posters, reports and lists asked for in the chat, built in the background

Revision ID: 0014pj
Revises: 0013w2
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014pj"
down_revision: str | None = "0013w2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_document_jobs_person_id_people"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["identity_id"], ["channel_identities.id"],
                                name=op.f("fk_document_jobs_identity_id_channel_identities"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_jobs")),
    )
    op.create_index(op.f("ix_document_jobs_person_id"), "document_jobs", ["person_id"],
                    unique=False)
    op.create_index(op.f("ix_document_jobs_status"), "document_jobs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_jobs_status"), table_name="document_jobs")
    op.drop_index(op.f("ix_document_jobs_person_id"), table_name="document_jobs")
    op.drop_table("document_jobs")

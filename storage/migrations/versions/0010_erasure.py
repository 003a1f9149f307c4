"""erasure: whom outbox messages and stored files are about; single-use personal file links

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_subjects",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_subjects_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_outbox_subjects_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "person_id", name=op.f("pk_outbox_subjects")),
    )
    op.create_index(
        op.f("ix_outbox_subjects_person_id"), "outbox_subjects", ["person_id"], unique=False
    )
    op.create_table(
        "stored_file_subjects",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"],
            name=op.f("fk_stored_file_subjects_file_id_stored_files"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_stored_file_subjects_person_id_people"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "person_id", name=op.f("pk_stored_file_subjects")),
    )
    op.create_index(
        op.f("ix_stored_file_subjects_person_id"), "stored_file_subjects", ["person_id"],
        unique=False,
    )
    with op.batch_alter_table("stored_files") as batch:
        batch.add_column(
            sa.Column("personal", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stored_files") as batch:
        batch.drop_column("used_at")
        batch.drop_column("personal")
    op.drop_index(op.f("ix_stored_file_subjects_person_id"), table_name="stored_file_subjects")
    op.drop_table("stored_file_subjects")
    op.drop_index(op.f("ix_outbox_subjects_person_id"), table_name="outbox_subjects")
    op.drop_table("outbox_subjects")

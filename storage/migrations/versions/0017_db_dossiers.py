"""dossiers and report-back: each delegate's dossier before a round, the voters' report-back

Revision ID: 0017db
Revises: 0015fm
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017db"
down_revision: str | None = "0015fm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["contact_rounds.id"],
                                name=op.f("fk_dossier_deliveries_round_id_contact_rounds"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["delegate_id"], ["delegates.id"],
                                name=op.f("fk_dossier_deliveries_delegate_id_delegates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_deliveries")),
        sa.UniqueConstraint("round_id", "delegate_id",
                            name=op.f("uq_dossier_deliveries_round_id_delegate_id")),
    )
    op.create_index(op.f("ix_dossier_deliveries_delegate_id"), "dossier_deliveries",
                    ["delegate_id"], unique=False)
    op.create_table(
        "report_backs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("with_next_meeting", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sent_with_meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_report_backs_meeting_id_meetings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["commune_id"], ["communes.id"],
                                name=op.f("fk_report_backs_commune_id_communes")),
        sa.ForeignKeyConstraint(["sent_with_meeting_id"], ["meetings.id"],
                                name=op.f("fk_report_backs_sent_with_meeting_id_meetings"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["people.id"],
                                name=op.f("fk_report_backs_created_by_people"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_backs")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_report_backs_meeting_id")),
    )
    op.create_index(op.f("ix_report_backs_status"), "report_backs", ["status"], unique=False)
    op.create_index("ix_petitions_hamlet_created", "petitions", ["hamlet_id", "created_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_petitions_hamlet_created", table_name="petitions")
    op.drop_index(op.f("ix_report_backs_status"), table_name="report_backs")
    op.drop_table("report_backs")
    op.drop_index(op.f("ix_dossier_deliveries_delegate_id"), table_name="dossier_deliveries")
    op.drop_table("dossier_deliveries")

"""province and commune setup: office contacts, agencies' fields, dialogue options, province
roles, the commune a province admin works in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:17:51.374148
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dialogue_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["communes.id"],
                                name=op.f("fk_dialogue_options_commune_id_communes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_options")),
        sa.UniqueConstraint("commune_id", "kind", "code",
                            name=op.f("uq_dialogue_options_commune_id_kind_code")),
    )
    op.create_index(op.f("ix_dialogue_options_commune_id"), "dialogue_options", ["commune_id"],
                    unique=False)
    op.create_table(
        "agency_fields",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_agency_fields_agency_id_agencies"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["field_id"], ["fields.id"],
                                name=op.f("fk_agency_fields_field_id_fields"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agency_id", "field_id", name=op.f("pk_agency_fields")),
    )
    op.create_table(
        "province_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_province_grants_person_id_people"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["province_id"], ["provinces.id"],
                                name=op.f("fk_province_grants_province_id_provinces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_grants")),
        sa.UniqueConstraint("person_id", "province_id", "role",
                            name=op.f("uq_province_grants_person_id_province_id_role")),
    )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("opening_hours", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("district", sa.String(length=200), nullable=True))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("working_commune_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_people_working_commune_id_communes"),
                                    "communes", ["working_commune_id"], ["id"],
                                    ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_people_working_commune_id_communes"),
                                 type_="foreignkey")
        batch_op.drop_column("working_commune_id")
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.drop_column("district")
        batch_op.drop_column("opening_hours")
        batch_op.drop_column("address")
        batch_op.drop_column("office_phone")
    op.drop_table("province_grants")
    op.drop_table("agency_fields")
    op.drop_index(op.f("ix_dialogue_options_commune_id"), table_name="dialogue_options")
    op.drop_table("dialogue_options")

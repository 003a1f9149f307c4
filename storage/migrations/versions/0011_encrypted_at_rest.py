"""encrypted at rest: phones and household categories sealed, phones found by keyed hash;
invite tokens kept only as hashes, invites revocable; link codes dated for their daily caps;
outbox rows carrying a one-time secret (invite link, code) are emptied once settled

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:20:00

Existing plain values are encrypted with the keyring the `cutri` command installed before
migrating (its settings or key file). The sealed value goes into a new column that then takes
the old one's name: SQLite drops and renames columns in place, whereas rebuilding `people`
(what Alembic's batch mode does) would fire its foreign keys' cascades.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.encryption import current_keyring

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = sa.String(length=160)


def _convert(
    table_name: str, column_name: str, old_type: sa.types.TypeEngine[str], *, seal: bool
) -> None:
    """Rewrite one column's values sealed (or opened again), through a temporary column."""
    bind = op.get_bind()
    context = f"{table_name}.{column_name}"
    temporary = f"{column_name}_converted"
    op.add_column(table_name, sa.Column(temporary, SEALED if seal else old_type, nullable=True))
    hashed = seal and table_name == "people"
    columns: list[sa.sql.expression.ColumnClause[Any]] = [
        sa.column("id"), sa.column(column_name), sa.column(temporary)
    ]
    if hashed:
        columns.append(sa.column("phone_hash"))
    raw = sa.table(table_name, *columns)
    rows = bind.execute(
        sa.select(raw.c.id, raw.c[column_name]).where(raw.c[column_name].is_not(None))
    ).all()
    if rows:
        keyring = current_keyring()
        for row_id, value in rows:
            changes = {temporary: keyring.encrypt(value, context) if seal
                       else keyring.decrypt(value, context)}
            if hashed:
                changes["phone_hash"] = keyring.lookup_hash(value)
            bind.execute(sa.update(raw).where(raw.c.id == row_id).values(**changes))
    op.drop_column(table_name, column_name)
    op.execute(sa.text(f"ALTER TABLE {table_name} RENAME COLUMN {temporary} TO {column_name}"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Freed pages are zeroed, so the plain values do not linger in the file.
        op.execute(sa.text("PRAGMA secure_delete=ON"))
    op.add_column("people", sa.Column("phone_hash", sa.String(length=64), nullable=True))
    op.drop_index("ix_people_phone", table_name="people")
    _convert("people", "phone", sa.String(length=20), seal=True)
    op.create_index("ix_people_phone_hash", "people", ["phone_hash"], unique=False)
    _convert("registrations", "category", sa.String(length=16), seal=True)

    op.add_column("outbox", sa.Column("secret", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    # Link codes live ten minutes: the ones pending now are dropped rather than dated.
    op.execute(sa.text("DELETE FROM link_codes"))
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
        batch_op.create_index(batch_op.f("ix_link_codes_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    invites = sa.table("invites", sa.column("id"), sa.column("token"), sa.column("token_hash"))
    bind = op.get_bind()
    for row_id, token in bind.execute(sa.select(invites.c.id, invites.c.token)).all():
        digest = hashlib.sha256(token.encode()).hexdigest()
        bind.execute(sa.update(invites).where(invites.c.id == row_id).values(token_hash=digest))
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invites_token", type_="unique")
        batch_op.drop_column("token")
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_invites_token_hash"), ["token_hash"])
        batch_op.create_foreign_key(
            batch_op.f("fk_invites_created_by_people"), "people", ["created_by"], ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    # Invite links cannot be recovered from their hashes: the old ones stop working.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("secret")
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_codes_created_at"))
        batch_op.drop_column("created_at")
    op.execute(sa.text("UPDATE invites SET token_hash = substr(token_hash, 1, 32)"))
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invites_created_by_people", type_="foreignkey")
        batch_op.drop_constraint("uq_invites_token_hash", type_="unique")
        batch_op.alter_column(
            "token_hash", new_column_name="token", existing_type=sa.String(length=64),
            type_=sa.String(length=32), existing_nullable=False,
        )
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("created_by")
        batch_op.create_unique_constraint("uq_invites_token", ["token"])
    _convert("registrations", "category", sa.String(length=16), seal=False)
    op.drop_index("ix_people_phone_hash", table_name="people")
    _convert("people", "phone", sa.String(length=20), seal=False)
    op.drop_column("people", "phone_hash")
    op.create_index("ix_people_phone", "people", ["phone"], unique=False)

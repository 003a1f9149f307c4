"""petitions table: the panel's search reads a trigram index; its filters and orders, btree ones

Revision ID: 0023pt
Revises: 0018wp
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023pt"
down_revision: str | None = "0022pd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Searching "%words%" in a million folded texts needs trigrams, which SQLite has not: there
# the search reads the commune's rows, which a commune's own database holds few enough of.
TRIGRAM_INDEXES = {  # storage.models.petitions.POSTGRESQL_ONLY_INDEXES
    "ix_petitions_folded_trigrams": "content_folded gin_trgm_ops",
    "ix_petitions_code_trigrams": "lower(code) gin_trgm_ops",
}


# The table's orders, each read from an index in its order; the other filters' columns ride
# along (INCLUDE, PostgreSQL only) so that a filter is checked and the matches counted without
# reading the petitions themselves.
FILTERED = ("status", "field_id", "hamlet_id", "agency_id", "due_on")
TABLE_INDEXES = {
    "ix_petitions_table_received": ["commune_id", "created_at", "id"],
    "ix_petitions_table_due": ["commune_id", "due_on", "created_at", "id"],
    "ix_petitions_table_status": ["commune_id", "status", "created_at", "id"],
    "ix_petitions_table_field": ["commune_id", "field_id", "created_at", "id"],
    "ix_petitions_table_hamlet": ["commune_id", "hamlet_id", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in TABLE_INDEXES.items():
        op.create_index(name, "petitions", columns, postgresql_include=[
            column for column in FILTERED if column not in columns])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: a database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON petitions USING gin ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
    for name in TABLE_INDEXES:
        op.drop_index(name, table_name="petitions")

"""petitions table: the panel's search reads a trigram index; its filters and orders, btree ones

Revision ID: 0023pt
Revises: 0018wp
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023pt"
down_revision: str | None = "0018wp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Searching "%words%" in a million folded texts needs trigrams, which SQLite has not: there
# the search reads the commune's rows, which a commune's own database holds few enough of.
TRIGRAM_INDEXES = {
    "ix_petitions_folded_trigrams": "content_folded gin_trgm_ops",
    "ix_petitions_code_trigrams": "lower(code) gin_trgm_ops",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: a database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON petitions USING gin ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
